/* persistence.c: emitting one flush action's rows, as SQLAlchemy's
 * persistence.py: collect, then emit.  Consecutive rows of the same
 * statement shape (the same columns written, the same need for a generated
 * key) form a batch.  INSERTs whose keys are known go as one executemany;
 * INSERTs that need a generated key go one row at a time, through one
 * prepared statement, reading the key from RETURNING (PostgreSQL) or the
 * rowid (SQLite).  A multi-row VALUES ... RETURNING would save round trips,
 * but neither database promises that RETURNING rows come back in VALUES
 * order, and mapping keys to the wrong instances is not a risk worth the
 * gain; it is also what SQLAlchemy 1.x emits.  UPDATE and DELETE by primary
 * key are one statement executed with many parameter sets; the UPDATEs of
 * post_update foreign keys are one statement per row.  Nothing here
 * touches the states: generated keys are stored in the rows, and
 * unitofwork.c applies them once the whole flush has succeeded. */
#include "orm_int.h"

#include <string.h>

#define PK_PREFIX "orm_pk_"
#define WRITES(h) ((h) == HOW_STATE || (h) == HOW_DEFAULT || (h) == HOW_SYNC)

static int same_shape(const flush_row *a, const flush_row *b, size_t nattrs)
{
    if (a->need_pk != b->need_pk)
        return 0;
    for (size_t i = 0; i < nattrs; i++) {
        int wa = WRITES(a->how[i]);
        int wb = WRITES(b->how[i]);
        if (wa != wb)
            return 0;
    }
    return 1;
}

/* WHERE pk1 = :orm_pk_<key> AND ... on the table node. */
static rt_node *pk_where(rt_mapper *m, rt_node *stmt, rt_error *err)
{
    rt_node *out = rt_node_retain(stmt);
    rt_buf name;
    rt_buf_init(&name);
    for (size_t k = 0; k < m->npk && out; k++) {
        rt_column *c = m->attrs[m->pk[k]].column;
        rt_buf_reset(&name);
        rt_buf_printf(&name, PK_PREFIX "%s", c->key);
        rt_node *col = rt_from_column_by_key(m->table_node, c->key, err);
        rt_node *bind = col ? rt_bind_new(rt_buf_str(&name), NULL, c->type, err) : NULL;
        rt_node *cond = bind ? rt_binary_new(col, RT_OP_EQ, bind, NULL, err) : NULL;
        rt_node *next = cond ? rt_dml_where(out, cond, err) : NULL;
        rt_node_release(col);
        rt_node_release(bind);
        rt_node_release(cond);
        rt_node_release(out);
        out = next;
    }
    rt_buf_free(&name);
    return out;
}

/* What fills each slot of a flush statement: attribute a (a >= 0), or the
 * (committed) primary-key value number -2 - a, or nothing (-1: the
 * parameter is unknown to the mapper).  Worked out once per batch. */
static void slot_sources(rt_mapper *m, const rt_compiled *cp, long *src)
{
    for (size_t j = 0; j < cp->nslots; j++) {
        const char *name = cp->slot_names[j];
        src[j] = -1;
        if (strncmp(name, PK_PREFIX, sizeof PK_PREFIX - 1) == 0) {
            const char *key = name + sizeof PK_PREFIX - 1;
            for (size_t k = 0; k < m->npk; k++)
                if (strcmp(m->attrs[m->pk[k]].column->key, key) == 0)
                    src[j] = -2 - (long)k;
            if (src[j] == -1)
                src[j] = -2 - (long)m->npk;        /* binds NULL */
            continue;
        }
        rt_column *c = rt_table_column(m->table, name);
        src[j] = c ? rt_mapper_column_attr(m, c) : -1;
    }
}

/* Fills one parameter set for row r from the slots' sources. */
static int fill_params(rt_mapper *m, const rt_compiled *cp, const long *src,
                       const flush_row *r, rt_value *out, rt_error *err)
{
    const rt_value *pk[16];
    int have_pk = 0;
    for (size_t j = 0; j < cp->nslots; j++) {
        long a = src[j];
        if (a <= -2) {
            size_t k = (size_t)(-2 - a);
            if (!have_pk) {
                orm_state_pk(r->st, pk, 1);
                have_pk = 1;
            }
            out[j] = k < m->npk ? *pk[k] : rt_value_null();
            continue;
        }
        if (a < 0 || !WRITES(r->how[a]))
            return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                                "A value is required for bind parameter '%s'",
                                cp->slot_names[j]);
        out[j] = r->vals[a];
    }
    return 0;
}

/* The column keys a row writes (into keys, at most nattrs). */
static size_t row_keys(rt_mapper *m, const flush_row *r, const char **keys)
{
    size_t n = 0;
    for (size_t a = 0; a < m->nattrs; a++)
        if (WRITES(r->how[a]))
            keys[n++] = m->attrs[a].column->key;
    return n;
}

static int run(rt_conn *c, rt_compiled *cp, const rt_value *params, size_t nsets,
               rt_result **res, rt_error *err)
{
    rt_result *r = NULL;
    if (rt_conn_execute(c, cp, params, nsets, &r, err) < 0)
        return -1;
    if (res)
        *res = r;
    else
        rt_result_free(r);
    return 0;
}

/* Primary-key attribute a as the INSERT wrote it (a key copied from a
 * related row is in the row, not yet in the state). */
static const rt_value *written(const flush_row *r, size_t a)
{
    return WRITES(r->how[a]) ? &r->vals[a] : rt_state_get(r->st, a);
}

/* The key of a one-row INSERT without RETURNING: the rowid (SQLite) for a
 * single generated key, else the values written. */
static int rowid_newpk(rt_mapper *m, int64_t rowid, flush_row *r, rt_error *err)
{
    if (m->npk == 1 && !WRITES(r->how[m->pk[0]]) && rowid > 0) {
        r->newpk[0] = rt_value_int(rowid);
        return 0;
    }
    for (size_t k = 0; k < m->npk; k++)
        if (orm_value_copy(&r->newpk[k], written(r, m->pk[k])) < 0)
            return rt_error_oom(err);
    return 0;
}

/* Reads the generated key of a one-row INSERT into r->newpk. */
static int read_newpk(rt_mapper *m, rt_compiled *cp, rt_result *res, flush_row *r,
                      rt_error *err)
{
    if (cp->pk_returning) {
        int got = rt_result_next(res, err);
        if (got < 0)
            return -1;
        for (size_t k = 0; k < m->npk && got; k++) {
            rt_value v;
            if (cp->pk_returning[k] < 0) {
                if (orm_value_copy(&r->newpk[k], written(r, m->pk[k])) < 0)
                    return rt_error_oom(err);
                continue;
            }
            rt_result_value(res, (int)cp->pk_returning[k], &v);
            if (orm_value_copy(&r->newpk[k], &v) < 0)
                return rt_error_oom(err);
        }
        return 0;
    }
    return rowid_newpk(m, rt_result_lastrowid(res), r, err);
}

/* The mapper's statement for op (ROW_*), retained: built at its first use
 * and kept by the mapper, so that the next flush finds it compiled (for
 * the same columns) instead of building and keying a new statement. */
static rt_node *flush_stmt(rt_mapper *m, int op, rt_error *err)
{
    if (!m->flush_stmt[op]) {
        if (op == ROW_INSERT) {
            m->flush_stmt[op] = rt_insert_new(m->table_node, err);
        } else {
            rt_node *base = op == ROW_UPDATE ? rt_update_new(m->table_node, err)
                                             : rt_delete_new(m->table_node, err);
            m->flush_stmt[op] = base ? pk_where(m, base, err) : NULL;
            rt_node_release(base);
        }
    }
    return rt_node_retain(m->flush_stmt[op]);
}

static int emit_batch(rt_conn *c, flush_action *act, size_t first, size_t n, rt_error *err)
{
    rt_mapper *m = act->mapper;
    flush_row *rows = &act->rows[first];
    const rt_dialect *d = rt_engine_dialect(rt_conn_engine(c));
    const char **keys = rt_calloc(m->nattrs + 1, sizeof *keys);
    rt_node *stmt = NULL;
    rt_compiled *cp = NULL;
    rt_value *params = NULL;
    long *src = NULL;
    int rc = -1;
    if (!keys)
        return rt_error_oom(err);
    int op = rows[0].op;
    size_t nkeys = op == ROW_DELETE ? 0 : row_keys(m, &rows[0], keys);
    if (!(stmt = flush_stmt(m, op, err)))
        goto done;
    int one_by_one = op == ROW_INSERT && rows[0].need_pk;
    int many = n > 1 && !one_by_one;
    if (op == ROW_DELETE ? rt_compile(stmt, d, &cp, err)
                         : many ? rt_compile_keys_many(stmt, d, keys, nkeys, &cp, err)
                                : rt_compile_keys(stmt, d, keys, nkeys, &cp, err))
        goto done;
    params = rt_calloc(n * cp->nslots + 1, sizeof *params);
    src = rt_calloc(cp->nslots + 1, sizeof *src);
    if (!params || !src) {
        rt_error_oom(err);
        goto done;
    }
    slot_sources(m, cp, src);
    for (size_t i = 0; i < n; i++)
        if (fill_params(m, cp, src, &rows[i], &params[i * cp->nslots], err) < 0)
            goto done;
    if (one_by_one && !cp->pk_returning && !cp->returning_added) {
        int64_t *ids = rt_calloc(n, sizeof *ids);     /* one prepared statement */
        if (!ids) {
            rt_error_oom(err);
            goto done;
        }
        int r = rt_conn_execute_rowids(c, cp, params, n, ids, err);
        for (size_t i = 0; i < n && r == 0; i++)
            r = rowid_newpk(m, ids[i], &rows[i], err);
        rt_free(ids);
        if (r < 0)
            goto done;
    } else if (one_by_one) {
        for (size_t i = 0; i < n; i++) {
            rt_result *res = NULL;
            if (run(c, cp, &params[i * cp->nslots], 1, &res, err) < 0)
                goto done;
            int r = read_newpk(m, cp, res, &rows[i], err);
            rt_result_free(res);
            if (r < 0)
                goto done;
        }
    } else if (op == ROW_INSERT && !many && cp->returning_added) {
        rt_result *res = NULL;
        if (run(c, cp, params, 1, &res, err) < 0)
            goto done;
        rt_result_free(res);
    } else if (op == ROW_UPDATE) {
        rt_result *res = NULL;
        if (run(c, cp, params, n, &res, err) < 0)
            goto done;
        int64_t matched = rt_result_rowcount(res);
        rt_result_free(res);
        if (matched >= 0 && (size_t)matched != n) {   /* StaleDataError */
            rt_error_set(err, RT_ERR_INVALID_REQUEST,
                         "UPDATE statement on table '%s' expected to update %zu row(s); "
                         "%lld were matched.", m->table->name, n, (long long)matched);
            goto done;
        }
    } else if (run(c, cp, params, n, NULL, err) < 0) {
        goto done;
    }
    rc = 0;
done:
    rt_free(params);
    rt_free(src);
    rt_compiled_release(cp);
    rt_node_release(stmt);
    rt_free(keys);
    return rc;
}

/* Whether row j copies a key from a row of the same action at or after i. */
static int depends_on_batch(const flush_action *a, size_t i, size_t j)
{
    const flush_row *r = &a->rows[j];
    for (size_t k = 0; k < r->nsyncs; k++) {
        const rt_state *src = r->syncs[k].src;
        if (src && src->mapper == a->mapper && src->plan_save &&
            (size_t)src->plan_save - 1 >= i && (size_t)src->plan_save - 1 < j)
            return 1;
    }
    return 0;
}

int orm_persist_action(flush_plan *p, rt_conn *c, flush_action *a, rt_error *err)
{
    size_t i = 0;
    while (i < a->nrows) {
        size_t j = i + 1;
        if (a->rows[i].op == ROW_DELETE)
            j = a->nrows;
        else
            while (j < a->nrows && same_shape(&a->rows[i], &a->rows[j], a->mapper->nattrs) &&
                   !depends_on_batch(a, i, j))
                j++;
        orm_plan_resolve_syncs(p, a, i, j);
        if (emit_batch(c, a, i, j - i, err) < 0)
            return -1;
        i = j;
    }
    return 0;
}

/* The post_update UPDATE of st: its entries of this phase from index i on
 * (values resolved into the entries), WHERE its primary key. */
static int emit_post(flush_plan *p, rt_conn *c, size_t i, int before, rt_error *err)
{
    rt_state *st = p->post[i].st;
    rt_mapper *m = st->mapper;
    const rt_dialect *d = rt_engine_dialect(rt_conn_engine(c));
    const char *keys[64];
    size_t nkeys = 0;
    for (size_t j = i; j < p->npost; j++) {
        flush_post *e = &p->post[j];
        if (e->st != st || (!e->src) != before)
            continue;
        if (nkeys == 64)
            return rt_error_set(err, RT_ERR_INVALID_REQUEST, "too many post_update columns");
        keys[nkeys++] = m->attrs[e->attr].column->key;
        orm_value_clear(&e->value);
        if (e->src && orm_value_copy(&e->value, orm_plan_src_value(p, e->src, e->src_attr)) < 0)
            return rt_error_oom(err);
    }
    rt_node *base = rt_update_new(m->table_node, err);
    rt_node *stmt = base ? pk_where(m, base, err) : NULL;
    rt_node_release(base);
    rt_compiled *cp = NULL;
    rt_value *params = NULL;
    int rc = -1;
    if (!stmt || rt_compile_keys(stmt, d, keys, nkeys, &cp, err) < 0)
        goto done;
    if (!(params = rt_calloc(cp->nslots + 1, sizeof *params))) {
        rt_error_oom(err);
        goto done;
    }
    for (size_t k = 0; k < cp->nslots; k++) {
        const char *name = cp->slot_names[k];
        int pk = strncmp(name, PK_PREFIX, sizeof PK_PREFIX - 1) == 0;
        if (pk)
            name += sizeof PK_PREFIX - 1;
        params[k] = rt_value_null();
        for (size_t a = 0; a < m->nattrs; a++) {
            if (strcmp(m->attrs[a].column->key, name) != 0)
                continue;
            if (pk)          /* a row inserted by this flush: its new key */
                params[k] = *orm_plan_src_value(p, st, a);
            for (size_t j = i; j < p->npost && !pk; j++)
                if (p->post[j].st == st && p->post[j].attr == a)
                    params[k] = p->post[j].value;
        }
    }
    rc = run(c, cp, params, 1, NULL, err);
done:
    rt_free(params);
    rt_compiled_release(cp);
    rt_node_release(stmt);
    return rc;
}

int orm_persist_post(flush_plan *p, rt_conn *c, int before, rt_error *err)
{
    for (size_t i = 0; i < p->npost; i++) {
        int first = (!p->post[i].src) == before;
        for (size_t j = 0; j < i && first; j++)
            first = p->post[j].st != p->post[i].st || (!p->post[j].src) != before;
        if (first && emit_post(p, c, i, before, err) < 0)
            return -1;
    }
    return 0;
}
