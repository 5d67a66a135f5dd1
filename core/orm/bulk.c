/* bulk.c: the session's bulk operations, as SQLAlchemy's bulk_save_objects
 * and bulk_insert_mappings: rows written from states (or, through the
 * binding, from plain Lua tables) with none of the unit of work's
 * bookkeeping: no cascades along relationships, no identity map, no
 * dependency ordering, and the states are left as they were (unless their
 * generated keys are asked for).  What they share with a flush is the
 * emission (persistence.c: consecutive rows of one shape go as one
 * executemany) and the transaction rule: the writes happen in the session's
 * transaction, inside a SAVEPOINT when earlier writes of that transaction
 * must survive a failure, so a failed bulk operation leaves the database as
 * it was. */
#include "orm_int.h"

#include <string.h>

int rt_session_bulk_begin(rt_session *s, rt_conn **c, rt_txn *sp, rt_error *err)
{
    int had_txn = rt_session_in_transaction(s);
    *sp = 0;
    if (rt_session_connection(s, c, err) < 0)
        return -1;
    if (had_txn && s->txn_has_writes && rt_conn_begin_nested(*c, sp, err) < 0)
        return -1;
    return 0;
}

int rt_session_bulk_end(rt_session *s, rt_conn *c, rt_txn sp, int ok, rt_error *err)
{
    if (ok) {
        if (sp && rt_conn_commit(c, sp, err) < 0)
            ok = 0;
        else {
            s->txn_has_writes = 1;
            return 0;
        }
    }
    orm_session_undo_writes(s, c, sp);
    return -1;
}

/* A client default of column c (a constant, or the binding's function):
 * 1 with *out an owned copy, 0 when there is none, -1 on error. */
static int client_default(rt_session *s, rt_column *c, int on_update, rt_value *out,
                          rt_error *err)
{
    const rt_default *d = on_update ? &c->onupdate : &c->default_;
    rt_value v;
    if (d->kind == RT_DEFAULT_SCALAR)
        v = d->value;
    else if (d->kind != RT_DEFAULT_CALLABLE)
        return 0;
    else if (!s->hooks.column_default)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "no way to call the default of column '%s'", c->name);
    else if (s->hooks.column_default(s->hooks.ctx, c, on_update, &v, err) < 0)
        return -1;
    return orm_value_copy(out, &v) < 0 ? rt_error_oom(err) : 1;
}

static int is_pk_attr(const rt_mapper *m, size_t a)
{
    for (size_t k = 0; k < m->npk; k++)
        if (m->pk[k] == a)
            return 1;
    return 0;
}

/* Appends the row of st to act: an INSERT of its non-NULL values and client
 * defaults (NULLs are left out, as SQLAlchemy's bulk insert does, so that
 * server defaults apply), or an UPDATE of its modified attributes and
 * client onupdates by its primary key.  *skipped: an UPDATE with nothing to
 * write, not appended. */
static int add_row(rt_session *s, flush_action *act, rt_state *st, int op, int want_pk,
                   int *skipped, rt_error *err)
{
    rt_mapper *m = st->mapper;
    flush_row r;
    memset(&r, 0, sizeof r);
    *skipped = 0;
    if (orm_row_alloc(&r, m->nattrs) < 0)
        goto oom;
    int writes = 0;
    for (size_t a = 0; a < m->nattrs; a++) {
        rt_column *c = m->attrs[a].column;
        int rc;
        if (op == ROW_INSERT ? rt_state_get(st, a)->type != RT_NULL
                             : rt_state_attr_modified(st, a)) {
            r.how[a] = HOW_STATE;
            r.vals[a] = *rt_state_get(st, a);
        } else if ((rc = client_default(s, c, op == ROW_UPDATE, &r.vals[a], err)) != 0) {
            if (rc < 0)
                goto fail;
            r.how[a] = HOW_DEFAULT;
        } else if (op == ROW_INSERT && want_pk && is_pk_attr(m, a)) {
            r.need_pk = 1;
        }
        writes |= r.how[a] == HOW_STATE;
    }
    if (op == ROW_UPDATE && !writes) {
        *skipped = 1;
        goto fail;
    }
    if (r.need_pk && !(r.newpk = rt_calloc(m->npk, sizeof *r.newpk)))
        goto oom;
    if (act->nrows == act->caprows) {
        size_t cap = act->caprows ? act->caprows * 2 : 16;
        flush_row *rows = rt_realloc(act->rows, cap * sizeof *rows);
        if (!rows)
            goto oom;
        act->rows = rows;
        act->caprows = cap;
    }
    r.st = rt_state_retain(st);
    r.op = op;
    act->rows[act->nrows++] = r;
    return 0;
oom:
    rt_error_oom(err);
fail:
    for (size_t a = 0; r.how && a < m->nattrs; a++)
        if (r.how[a] == HOW_DEFAULT)
            orm_value_clear(&r.vals[a]);
    rt_free(r.vals);                   /* how shares its block */
    rt_free(r.newpk);
    return *skipped ? 0 : -1;
}

/* With return_defaults: the keys generated for an action's INSERTs go into
 * their states, which then know their identity (a transient state becomes
 * detached, as one loaded and expunged). */
static int apply_keys(flush_action *act, rt_error *err)
{
    rt_mapper *m = act->mapper;
    for (size_t i = 0; i < act->nrows; i++) {
        flush_row *r = &act->rows[i];
        rt_state *st = r->st;
        if (r->op != ROW_INSERT)
            continue;
        for (size_t a = 0; a < m->nattrs; a++)
            if (r->how[a] == HOW_DEFAULT) {
                orm_state_value_clear(st, &st->cur[a]);
                st->cur[a] = r->vals[a];           /* moved */
                r->vals[a] = rt_value_null();
                r->how[a] = HOW_SKIP;
                st->flags[a] |= ATTR_LOADED;
            }
        for (size_t k = 0; r->newpk && k < m->npk; k++) {
            size_t a = m->pk[k];
            orm_state_value_clear(st, &st->cur[a]);
            st->cur[a] = r->newpk[k];
            r->newpk[k] = rt_value_null();
            st->flags[a] |= ATTR_LOADED;
        }
        orm_state_commit(st);
        if (orm_state_compute_key(st, 0, err) < 0)
            return -1;
        if (st->status == RT_STATE_TRANSIENT)
            st->status = RT_STATE_DETACHED;
    }
    return 0;
}

int rt_session_bulk_save(rt_session *s, rt_state *const *states, size_t n, int return_defaults,
                         rt_error *err)
{
    flush_plan *plans = NULL;     /* one per run of states of one mapper and operation */
    size_t nplans = 0;
    rt_conn *c;
    rt_txn sp;
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (states[i]->session && states[i]->session != s)
            return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                                "Object of class %s is attached to another session",
                                states[i]->mapper->class_name);
    if (rt_session_bulk_begin(s, &c, &sp, err) < 0)
        return -1;
    for (size_t i = 0; i < n && rc == 0;) {
        rt_mapper *m = states[i]->mapper;
        int op = states[i]->key ? ROW_UPDATE : ROW_INSERT;
        flush_plan *more = rt_realloc(plans, (nplans + 1) * sizeof *more);
        if (!more) {
            rc = rt_error_oom(err);
            break;
        }
        plans = more;
        flush_plan *p = &plans[nplans++];
        memset(p, 0, sizeof *p);
        flush_action *act = orm_plan_action(p, m, 0, NULL, err);
        size_t j = i;
        rc = act ? 0 : -1;
        for (; rc == 0 && j < n && states[j]->mapper == m &&
               (states[j]->key ? ROW_UPDATE : ROW_INSERT) == op; j++) {
            int skipped;
            rc = add_row(s, act, states[j], op, return_defaults, &skipped, err);
        }
        if (rc == 0 && act->nrows)
            rc = orm_persist_action(p, c, act, err);
        i = j;
    }
    rc = rt_session_bulk_end(s, c, sp, rc == 0, err);
    for (size_t k = 0; k < nplans; k++) {
        if (rc == 0 && return_defaults && plans[k].nactions)
            rc = apply_keys(&plans[k].actions[0], err);
        orm_plan_free(&plans[k]);
    }
    rt_free(plans);
    return rc;
}
