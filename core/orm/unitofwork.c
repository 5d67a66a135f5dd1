/* unitofwork.c: the flush as a graph problem, as SQLAlchemy's unitofwork.py.
 * The session's changes become actions, one "save" and one "delete" per
 * mapper, holding their rows in the order the instances were added.
 * Dependencies are edges between actions: the tables' foreign keys put the
 * save of a referenced table before the save of the referencing one and the
 * delete of the referencing one before the delete of the referenced one; a
 * mapper saves before it deletes.  The relationship processors
 * (dependency.c) add rows, foreign-key syncs and edges.  The generic sort is core/util's
 * rt_toposort.  The whole flush runs in the session's transaction, or a
 * SAVEPOINT when that transaction has written already, and touches the
 * states only once every statement has succeeded (orm_plan_apply), so a
 * failed flush leaves database and session as they were. */
#include "orm_int.h"

#include <string.h>

int orm_plan_add_edge(flush_plan *p, size_t before, size_t after, rt_error *err)
{
    if (p->nedges == p->capedges) {
        size_t cap = p->capedges ? p->capedges * 2 : 8;
        rt_edge *e = rt_realloc(p->edges, cap * sizeof *e);
        if (!e)
            return rt_error_oom(err);
        p->edges = e;
        p->capedges = cap;
    }
    p->edges[p->nedges].before = before;
    p->edges[p->nedges].after = after;
    p->nedges++;
    return 0;
}

static void row_free(flush_row *r, size_t nattrs)
{
    if (r->vals)
        for (size_t i = 0; i < nattrs; i++)
            if (r->how[i] == HOW_DEFAULT)
                orm_value_clear(&r->vals[i]);
    if (r->newpk)
        for (size_t k = 0; k < r->st->mapper->npk; k++)
            orm_value_clear(&r->newpk[k]);
    if (r->newpk && r->newpk != r->vals + (nattrs ? nattrs : 1))   /* see row_alloc */
        rt_free(r->newpk);
    rt_free(r->vals);                  /* how shares its block */
    rt_free(r->syncs);
    r->st->plan_save = r->st->plan_del = 0;
    rt_state_release(r->st);
}

void orm_plan_free(flush_plan *p)
{
    for (size_t a = 0; a < p->nactions; a++) {
        flush_action *act = &p->actions[a];
        for (size_t i = 0; i < act->nrows; i++)
            row_free(&act->rows[i], act->mapper->nattrs);
        rt_free(act->rows);
    }
    rt_free(p->actions);
    rt_free(p->order);
    rt_free(p->edges);
    rt_free(p->assoc);
    for (size_t i = 0; i < p->npost; i++)
        orm_value_clear(&p->post[i].value);
    rt_free(p->post);
    for (size_t i = 0; i < p->touched.n; i++) {
        p->touched.items[i]->orphan = p->touched.items[i]->touched = 0;
        rt_state_release(p->touched.items[i]);
    }
    orm_vec_free(&p->touched);
    memset(p, 0, sizeof *p);
}

flush_action *orm_plan_action(flush_plan *p, rt_mapper *m, int is_delete, size_t *idx,
                              rt_error *err)
{
    for (size_t a = 0; a < p->nactions; a++)
        if (p->actions[a].mapper == m && p->actions[a].is_delete == is_delete) {
            if (idx)
                *idx = a;
            return &p->actions[a];
        }
    if (idx)
        *idx = p->nactions;
    flush_action *arr = rt_realloc(p->actions, (p->nactions + 1) * sizeof *arr);
    if (!arr) {
        rt_error_oom(err);
        return NULL;
    }
    p->actions = arr;
    flush_action *act = &arr[p->nactions++];
    memset(act, 0, sizeof *act);
    act->mapper = m;
    act->is_delete = is_delete;
    if (p->row_hint && (act->rows = rt_alloc(p->row_hint * sizeof *act->rows)))
        act->caprows = p->row_hint;      /* else add_row grows it */
    return act;
}

/* orm_row_alloc with room for npk more values after the row's, where an
 * INSERT's generated key goes (one allocation per row, not two). */
static int row_alloc(flush_row *r, size_t nattrs, size_t npk)
{
    size_t n = nattrs ? nattrs : 1;
    r->vals = rt_calloc(1, (n + npk) * sizeof *r->vals + n);
    if (!r->vals) {
        r->how = NULL;
        return -1;
    }
    r->how = (unsigned char *)(r->vals + n + npk);
    return 0;
}

int orm_row_alloc(flush_row *r, size_t nattrs) { return row_alloc(r, nattrs, 0); }

static flush_row *add_row(flush_action *act, rt_state *st, int op, rt_error *err)
{
    if (act->nrows == act->caprows) {
        size_t cap = act->caprows ? act->caprows * 2 : 8;
        flush_row *r = rt_realloc(act->rows, cap * sizeof *r);
        if (!r) {
            rt_error_oom(err);
            return NULL;
        }
        act->rows = r;
        act->caprows = cap;
    }
    flush_row *r = &act->rows[act->nrows];
    memset(r, 0, sizeof *r);
    if (op != ROW_DELETE &&
        row_alloc(r, st->mapper->nattrs, op == ROW_INSERT ? st->mapper->npk : 0) < 0) {
        rt_error_oom(err);
        return NULL;
    }
    r->st = rt_state_retain(st);
    r->op = op;
    act->nrows++;
    if (op == ROW_DELETE)
        st->plan_del = (long)act->nrows;
    else
        st->plan_save = (long)act->nrows;
    return r;
}

static int is_pk_attr(const rt_mapper *m, size_t a)
{
    for (size_t k = 0; k < m->npk; k++)
        if (m->pk[k] == a)
            return 1;
    return 0;
}

/* A client default for column c: a constant, or the binding's function. */
static int client_default(rt_session *s, rt_column *c, int on_update, rt_value *out,
                          rt_error *err)
{
    const rt_default *d = on_update ? &c->onupdate : &c->default_;
    if (d->kind == RT_DEFAULT_SCALAR)
        return orm_value_copy(out, &d->value) < 0 ? rt_error_oom(err) : 1;
    if (d->kind == RT_DEFAULT_CALLABLE) {
        if (!s->hooks.column_default)
            return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                                "no way to call the default of column '%s'", c->name);
        rt_value v;
        if (s->hooks.column_default(s->hooks.ctx, c, on_update, &v, err) < 0)
            return -1;
        return orm_value_copy(out, &v) < 0 ? rt_error_oom(err) : 1;
    }
    return 0;
}

static int plan_insert(rt_session *s, flush_action *act, rt_state *st, rt_error *err)
{
    rt_mapper *m = st->mapper;
    flush_row *r = add_row(act, st, ROW_INSERT, err);
    if (!r)
        return -1;
    for (size_t a = 0; a < m->nattrs; a++) {
        rt_column *c = m->attrs[a].column;
        const rt_value *v = rt_state_get(st, a);
        int rc;
        if (v->type != RT_NULL) {
            r->how[a] = HOW_STATE;
            r->vals[a] = *v;
        } else if ((rc = client_default(s, c, 0, &r->vals[a], err)) != 0) {
            if (rc < 0)
                return -1;
            r->how[a] = HOW_DEFAULT;
        } else if (c->default_.kind == RT_DEFAULT_EXPR || c->server_default.kind != RT_DEFAULT_NONE) {
            r->how[a] = HOW_FETCH;
        } else if (is_pk_attr(m, a)) {
            r->how[a] = HOW_SKIP;
            r->need_pk = 1;
        } else {
            r->how[a] = HOW_STATE;          /* NULL, so that rows batch alike */
            r->vals[a] = rt_value_null();
        }
    }
    for (size_t k = 0; k < m->npk; k++)
        if (r->how[m->pk[k]] == HOW_FETCH)
            r->need_pk = 1;
    if (r->need_pk)
        r->newpk = r->vals + (m->nattrs ? m->nattrs : 1);   /* zeroed by row_alloc */
    return 0;
}

static int plan_update(rt_session *s, flush_action *act, rt_state *st, rt_error *err)
{
    rt_mapper *m = st->mapper;
    if (!rt_state_modified(st))
        return 0;
    flush_row *r = add_row(act, st, ROW_UPDATE, err);
    if (!r)
        return -1;
    for (size_t a = 0; a < m->nattrs; a++) {
        int rc;
        if (rt_state_attr_modified(st, a)) {
            r->how[a] = HOW_STATE;
            r->vals[a] = *rt_state_get(st, a);
        } else if ((rc = client_default(s, m->attrs[a].column, 1, &r->vals[a], err)) != 0) {
            if (rc < 0)
                return -1;
            r->how[a] = HOW_DEFAULT;
        }
    }
    return 0;
}

flush_row *orm_plan_save_row(rt_session *s, flush_plan *p, rt_state *st, rt_error *err)
{
    flush_action *act = orm_plan_action(p, st->mapper, 0, NULL, err);
    if (!act)
        return NULL;
    if (!st->plan_save) {
        int rc = st->status == RT_STATE_PENDING ? plan_insert(s, act, st, err)
                                                : add_row(act, st, ROW_UPDATE, err) ? 0 : -1;
        if (rc < 0)
            return NULL;
    }
    return &act->rows[st->plan_save - 1];
}

int orm_plan_delete_row(flush_plan *p, rt_state *st, rt_error *err)
{
    flush_action *act = orm_plan_action(p, st->mapper, 1, NULL, err);
    return act && add_row(act, st, ROW_DELETE, err) ? 0 : -1;
}

int orm_row_sync(flush_row *r, size_t attr, rt_state *src, size_t src_attr, rt_error *err)
{
    for (size_t i = 0; i < r->nsyncs; i++)
        if (r->syncs[i].attr == attr) {
            r->syncs[i].src = src;
            r->syncs[i].src_attr = src_attr;
            return 0;
        }
    flush_sync *n = rt_realloc(r->syncs, (r->nsyncs + 1) * sizeof *n);
    if (!n)
        return rt_error_oom(err);
    r->syncs = n;
    n[r->nsyncs++] = (flush_sync){attr, src, src_attr};
    if (r->how[attr] == HOW_DEFAULT)
        orm_value_clear(&r->vals[attr]);
    r->how[attr] = HOW_SYNC;
    r->vals[attr] = rt_value_null();
    return 0;
}

const rt_value *orm_plan_src_value(flush_plan *p, rt_state *src, size_t attr)
{
    if (src->plan_save) {
        flush_action *sa = orm_plan_action(p, src->mapper, 0, NULL, NULL);
        flush_row *sr = sa ? &sa->rows[src->plan_save - 1] : NULL;
        for (size_t j = 0; sr && sr->newpk && j < src->mapper->npk; j++)
            if (src->mapper->pk[j] == attr)
                return &sr->newpk[j];
    }
    return rt_state_get(src, attr);
}

void orm_plan_resolve_syncs(flush_plan *p, flush_action *act, size_t first, size_t end)
{
    for (size_t i = first; i < end; i++) {
        flush_row *r = &act->rows[i];
        for (size_t k = 0; k < r->nsyncs; k++) {
            flush_sync *y = &r->syncs[k];
            r->vals[y->attr] = y->src ? *orm_plan_src_value(p, y->src, y->src_attr)
                                      : rt_value_null();
        }
    }
}

/* Rewrites a cycle among the plan's actions in the terms of the mappers. */
static void circular(flush_plan *p, rt_error *err)
{
    rt_buf b;
    rt_buf_init(&b);
    for (size_t a = 0; a < p->nactions; a++) {
        size_t first = 0;
        while (p->actions[first].mapper != p->actions[a].mapper)
            first++;
        if (first == a)
            rt_buf_printf(&b, "%s%s", b.len ? ", " : "", p->actions[a].mapper->class_name);
    }
    rt_error_clear(err);
    rt_error_set(err, RT_ERR_CIRCULAR, "Circular dependency detected among the rows of %s: "
                 "their foreign keys refer to each other.  Set post_update = true on one of "
                 "the relationships of the cycle, so that its foreign key is written by an "
                 "UPDATE after the rows are inserted.", rt_buf_str(&b));
    rt_buf_free(&b);
}

int orm_plan_build(rt_session *s, flush_plan *p, rt_error *err)
{
    memset(p, 0, sizeof *p);
    p->row_hint = s->held.n < 4096 ? s->held.n : 4096;   /* no regrowing per row */
    if (orm_dep_presort(s, p, err) < 0)
        goto fail;
    /* saves first, in the order mappers first appear; then deletes */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->held.n; i++) {
            rt_state *st = s->held.items[i];
            int del = (st->marked_deleted || st->orphan) &&
                      st->status == RT_STATE_PERSISTENT;
            int save = !st->marked_deleted && !st->orphan && (st->status == RT_STATE_PENDING ||
                                               (st->status == RT_STATE_PERSISTENT &&
                                                rt_state_modified(st)));
            if ((pass == 0 && !save) || (pass == 1 && !del))
                continue;
            flush_action *act = orm_plan_action(p, st->mapper, del, NULL, err);
            if (!act)
                goto fail;
            int rc = del ? (add_row(act, st, ROW_DELETE, err) ? 0 : -1)
                         : st->status == RT_STATE_PENDING ? plan_insert(s, act, st, err)
                                                          : plan_update(s, act, st, err);
            if (rc < 0)
                goto fail;
        }
    if (orm_dep_process(s, p, err) < 0)
        goto fail;
    /* drop actions left empty (updates with no net change) */
    size_t k = 0;
    for (size_t a = 0; a < p->nactions; a++) {
        if (p->actions[a].nrows)
            p->actions[k++] = p->actions[a];
        else
            rt_free(p->actions[a].rows);
    }
    p->nactions = k;
    /* edges from foreign keys between the mappers' tables */
    for (size_t a = 0; a < p->nactions; a++)
        for (size_t b = 0; b < p->nactions; b++) {
            flush_action *x = &p->actions[a], *y = &p->actions[b];
            if (a == b)
                continue;
            if (x->mapper == y->mapper) {
                if (!x->is_delete && y->is_delete && orm_plan_add_edge(p, a, b, err) < 0)
                    goto fail;
                continue;
            }
            if (x->is_delete != y->is_delete || x->mapper->table == y->mapper->table)
                continue;
            /* y's table references x's: save x before y; delete y before x */
            if (orm_dep_references(y->mapper, x->mapper)) {
                int rc = x->is_delete ? orm_plan_add_edge(p, b, a, err)
                                      : orm_plan_add_edge(p, a, b, err);
                if (rc < 0)
                    goto fail;
            }
        }
    if (orm_dep_edges(p, err) < 0 || orm_dep_sort_rows(p, err) < 0)
        goto fail;
    p->norder = p->nactions + (p->nassoc ? 1 : 0);
    p->order = rt_calloc(p->norder ? p->norder : 1, sizeof *p->order);
    if (!p->order) {
        rt_error_oom(err);
        goto fail;
    }
    if (rt_toposort(p->norder, p->edges, p->nedges, p->order, err) < 0) {
        if (err->cls == RT_ERR_CIRCULAR)
            circular(p, err);
        goto fail;
    }
    return 0;
fail:
    orm_plan_free(p);
    return -1;
}

/* Whether row r writes a primary-key attribute (its identity may change). */
static int writes_pk(const rt_mapper *m, const flush_row *r)
{
    for (size_t k = 0; k < m->npk; k++)
        if (r->how[m->pk[k]] != HOW_SKIP && r->how[m->pk[k]] != HOW_FETCH)
            return 1;
    return 0;
}

/* A state of the plan (a row or touched) that the flush left clean. */
static int flushed_clean(const rt_state *st)
{
    return (st->plan_save || st->plan_del || st->touched) &&
           st->status == RT_STATE_PERSISTENT && !rt_state_modified(st);
}

int orm_plan_apply(rt_session *s, flush_plan *p, rt_error *err)
{
    int level = s->nest_level + 1;
    for (size_t o = 0; o < p->norder; o++) {
        if (p->order[o] >= p->nactions)
            continue;                     /* the association rows */
        flush_action *act = &p->actions[p->order[o]];
        rt_mapper *m = act->mapper;
        for (size_t i = 0; i < act->nrows; i++) {
            flush_row *r = &act->rows[i];
            rt_state *st = r->st;
            if (r->op == ROW_DELETE) {
                orm_identity_remove(s->identity, st);
                st->status = RT_STATE_DELETED;
                st->marked_deleted = 0;
                st->deleted_level = level;
                continue;
            }
            orm_state_commit(st);
            for (size_t a = 0; a < m->nattrs; a++) {
                if (r->how[a] == HOW_DEFAULT) {
                    orm_state_value_clear(st, &st->cur[a]);
                    st->cur[a] = r->vals[a];          /* moved */
                    r->vals[a] = rt_value_null();
                    r->how[a] = HOW_SKIP;
                    st->flags[a] = ATTR_LOADED;
                } else if (r->how[a] == HOW_STATE) {
                    st->flags[a] |= ATTR_LOADED;       /* NULL written: known */
                } else if (r->how[a] == HOW_SYNC) {
                    rt_value v;
                    if (orm_value_copy(&v, &r->vals[a]) < 0)
                        return rt_error_oom(err);
                    orm_state_value_clear(st, &st->cur[a]);
                    st->cur[a] = v;
                    st->flags[a] = ATTR_LOADED;
                } else if (r->how[a] == HOW_FETCH) {
                    orm_state_value_clear(st, &st->cur[a]);
                    st->flags[a] = 0;
                }
            }
            if (r->newpk)
                for (size_t k = 0; k < m->npk; k++) {
                    size_t a = m->pk[k];
                    orm_state_value_clear(st, &st->cur[a]);
                    st->cur[a] = r->newpk[k];
                    r->newpk[k] = rt_value_null();
                    st->flags[a] = ATTR_LOADED;
                }
            if (!st->key || r->newpk || writes_pk(m, r) ||
                orm_identity_get(s->identity, st->key) != st) {   /* a new identity */
                orm_identity_remove(s->identity, st);
                if (orm_state_compute_key(st, 0, err) < 0 ||
                    orm_identity_add(s->identity, st, err) < 0)
                    return -1;
            }
            if (r->op == ROW_INSERT) {
                st->status = RT_STATE_PERSISTENT;
                st->inserted_in_txn = level;
                if (orm_vec_push(&s->inserted, st) < 0)
                    return rt_error_oom(err);
            }
        }
    }
    for (size_t i = 0; i < p->npost; i++) {
        flush_post *e = &p->post[i];
        if (e->st->status != RT_STATE_PERSISTENT)
            continue;                       /* deleted by this flush */
        orm_state_value_clear(e->st, &e->st->cur[e->attr]);
        e->st->cur[e->attr] = e->value;     /* moved */
        e->value = rt_value_null();
        e->st->flags[e->attr] = ATTR_LOADED;
    }
    for (size_t i = 0; i < p->touched.n; i++) {
        rt_state *st = p->touched.items[i];
        orm_state_rels_flushed(st);
        if (st->orphan && st->status == RT_STATE_PENDING)
            orm_session_detach(s, st, RT_STATE_TRANSIENT);
    }
    /* clean now: the session stops holding them (the plan still does) */
    orm_session_unhold_if(s, flushed_clean);
    return 0;
}

int rt_session_autoflush(rt_session *s, rt_error *err)
{
    return s->autoflush ? rt_session_flush(s, err) : 0;
}

int rt_session_flush(rt_session *s, rt_error *err)
{
    flush_plan p;
    if (s->flushing)
        return 0;
    if (orm_plan_build(s, &p, err) < 0)
        return -1;
    if (p.norder == 0 && p.npost == 0) {
        orm_plan_free(&p);
        return 0;
    }
    s->flushing = 1;
    int had_txn = rt_session_in_transaction(s);
    rt_conn *c;
    rt_txn sp = 0;
    if (rt_session_connection(s, &c, err) < 0)
        goto fail;
    if (had_txn && s->txn_has_writes && rt_conn_begin_nested(c, &sp, err) < 0)
        goto fail;
    if (orm_persist_post(&p, c, 1, err) < 0)
        goto undo;
    for (size_t o = 0; o < p.norder; o++) {
        if (p.order[o] >= p.nactions) {
            if (orm_dep_persist_assoc(&p, c, err) < 0)
                goto undo;
            continue;
        }
        if (orm_persist_action(&p, c, &p.actions[p.order[o]], err) < 0)
            goto undo;
    }
    if (orm_persist_post(&p, c, 0, err) < 0)
        goto undo;
    if (sp && rt_conn_commit(c, sp, err) < 0)
        goto undo;
    s->txn_has_writes = 1;
    int rc = orm_plan_apply(s, &p, err);
    orm_plan_free(&p);
    s->flushing = 0;
    return rc;
undo:
    orm_session_undo_writes(s, c, sp);
fail:
    orm_plan_free(&p);
    s->flushing = 0;
    return -1;
}
