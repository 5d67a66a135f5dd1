/* query.c: loading rows into instances.  A row's values for a mapper's
 * attributes either find the instance already in the identity map (which
 * keeps its loaded and modified values and only fills in expired ones, as
 * SQLAlchemy does without populate_existing) or make a new persistent one.
 * Also the SELECT by primary key behind get(), refresh and the loading of
 * expired attributes.  Building queries (filters, joins, ordering) is the
 * expression language's work, driven by the binding's Query. */
#include "orm_int.h"

#include <string.h>

int orm_execute(rt_session *s, rt_node *n, rt_result **out, rt_error *err)
{
    rt_conn *c;
    rt_compiled *cp = NULL;
    if (rt_session_connection(s, &c, err) < 0 || rt_conn_compile(c, n, &cp, err) < 0)
        return -1;
    size_t nvals = rt_node_bind_values(n, NULL, 0);
    const rt_value **vals = rt_calloc(nvals + 1, sizeof *vals);
    rt_value *params = rt_calloc(cp->nslots + 1, sizeof *params);
    int rc = -1;
    if (!vals || !params) {
        rt_error_oom(err);
        goto done;
    }
    rt_node_bind_values(n, vals, nvals);
    for (size_t i = 0; i < cp->nslots; i++) {
        long b = cp->slot_binds ? cp->slot_binds[i] : -1;
        if (b < 0 || (size_t)b >= nvals) {
            rt_error_set(err, RT_ERR_INVALID_REQUEST,
                         "A value is required for bind parameter '%s'", cp->slot_names[i]);
            goto done;
        }
        params[i] = *vals[b];
    }
    rc = rt_conn_execute(c, cp, params, 1, out, err);
done:
    rt_free(vals);
    rt_free(params);
    rt_compiled_release(cp);
    return rc;
}

int rt_session_load_row(rt_session *s, rt_mapper *m, const rt_value *vals, rt_state **out,
                        rt_error *err)
{
    const rt_value *pk[16];
    int all_null = 1;
    *out = NULL;
    if (m->npk > 16)
        return rt_error_set(err, RT_ERR_ARGUMENT, "too many primary key columns");
    for (size_t k = 0; k < m->npk; k++) {
        pk[k] = &vals[m->pk[k]];
        all_null &= pk[k]->type == RT_NULL;
    }
    if (all_null)
        return 0;
    char fast[128];
    rt_buf key;              /* used for keys that are not integers only */
    const char *k = fast;
    size_t klen = orm_identity_key_int(m, pk, fast, sizeof fast);
    if (!klen) {
        rt_buf_init(&key);
        orm_identity_key(m, pk, &key);
        if (key.failed) {
            rt_buf_free(&key);
            return rt_error_oom(err);
        }
        k = rt_buf_str(&key);
        klen = key.len;
    }
    size_t h = orm_identity_hash(k, klen), spot;
    rt_state *st;
    if (orm_identity_lookup(s->identity, k, h, &st, &spot) < 0) {
        if (k != fast)
            rt_buf_free(&key);
        return rt_error_oom(err);
    }
    if (st) {
        if (k != fast)
            rt_buf_free(&key);
        if (orm_state_load(st, vals, 0, err) < 0)
            return -1;
        *out = rt_state_retain(st);
        return 0;
    }
    st = orm_state_new_row(m, vals, k, klen, err);   /* one allocation */
    if (k != fast)
        rt_buf_free(&key);
    if (!st)
        return -1;
    st->status = RT_STATE_PERSISTENT;
    orm_identity_put(s->identity, spot, st, h);
    st->session = s;
    *out = st;
    return 0;
}

/* m's columns WHERE each primary-key column = a bind of pk[k] (a new
 * statement), or NULL on failure. */
static rt_node *select_by_pk(rt_mapper *m, const rt_value *const *pk, rt_error *err)
{
    rt_node *q = rt_mapper_select(m, err);      /* a new reference */
    for (size_t k = 0; k < m->npk && q; k++) {
        rt_column *c = m->attrs[m->pk[k]].column;
        rt_node *col = rt_from_column_by_key(m->table_node, c->key, err);
        rt_node *bind = col ? rt_bind_new(NULL, pk[k], c->type, err) : NULL;
        rt_node *cond = bind ? rt_binary_new(col, RT_OP_EQ, bind, NULL, err) : NULL;
        rt_node *next = cond ? rt_select_where(q, cond, err) : NULL;
        rt_node_release(col);
        rt_node_release(bind);
        rt_node_release(cond);
        rt_node_release(q);
        q = next;
    }
    return q;
}

/* orm_load_by_pk's statement, m's columns WHERE each primary-key column =
 * a bind, compiled for dialect d and kept in the mapper (building and
 * compiling it is most of the work of a get()).  Its binds carry
 * placeholders; the compiled statement's slots must refer to them in
 * primary-key order (checked), as execution puts the key values there.
 * 0 with *out the statement (borrowed) or NULL when the statement's
 * parameters are not only the key values (see by_pk_uncached); -1 on failure. */
static int pk_select(rt_mapper *m, const rt_dialect *d, rt_compiled **out, rt_error *err)
{
    *out = NULL;
    if (m->get_cp && m->get_dialect == d) {
        *out = m->get_cp;
        return 0;
    }
    rt_compiled *cp = NULL;
    rt_value marks[16];               /* placeholders: the key's position */
    const rt_value *mark_ptrs[16];
    if (m->npk > 16)
        return 0;                     /* not for caching */
    for (size_t k = 0; k < m->npk; k++) {
        marks[k] = rt_value_int((int64_t)k);
        mark_ptrs[k] = &marks[k];
    }
    rt_node *q = select_by_pk(m, mark_ptrs, err);
    if (!q || rt_compile(q, d, &cp, err) < 0) {
        rt_node_release(q);
        return -1;
    }
    /* every slot takes the key value its bind stands for (the statement's
     * first values; constants may follow) */
    const rt_value *vals[32];
    size_t nvals = rt_node_bind_values(q, vals, 32);
    int ok = nvals >= m->npk && nvals <= 32 && cp->slot_binds;
    for (size_t k = 0; ok && k < m->npk; k++)
        ok = vals[k]->type == RT_INT && vals[k]->u.i == (int64_t)k;
    for (size_t i = 0; ok && i < cp->nslots; i++)
        ok = cp->slot_binds[i] >= 0 && (size_t)cp->slot_binds[i] < m->npk;
    rt_node_release(q);       /* cp keeps what it needs */
    if (!ok) {                /* not for caching: built for each call */
        rt_compiled_release(cp);
        return 0;
    }
    rt_compiled_release(m->get_cp);
    m->get_cp = cp;
    m->get_dialect = d;
    *out = cp;
    return 0;
}

/* The SELECT by primary key built with the key values and executed (the
 * statement of pk_select when it cannot be kept); *out a new result. */
static int by_pk_uncached(rt_session *s, rt_mapper *m, const rt_value *const *pk,
                          rt_result **out, rt_error *err)
{
    rt_node *q = select_by_pk(m, pk, err);
    int rc = q ? orm_execute(s, q, out, err) : -1;
    rt_node_release(q);
    return rc;
}

int orm_load_by_pk(rt_session *s, rt_mapper *m, const rt_value *const *pk, rt_state *into,
                   int overwrite, rt_state **out, int *found, rt_error *err)
{
    rt_result *res = NULL;
    rt_value *vals = NULL, params[16], vals_buf[32];   /* the usual row on the stack */
    rt_conn *c;
    int rc = -1;
    if (out)
        *out = NULL;
    if (found)
        *found = 0;
    if (m->npk > 16)
        return rt_error_set(err, RT_ERR_ARGUMENT, "too many primary key columns");
    if (rt_session_connection(s, &c, err) < 0)
        return -1;
    rt_compiled *cp;
    if (pk_select(m, rt_engine_dialect(rt_conn_engine(c)), &cp, err) < 0)
        return -1;
    if (cp) {
        rt_compiled_retain(cp);   /* m may drop it while this runs */
        for (size_t i = 0; i < cp->nslots && i < 16; i++)
            params[i] = *pk[cp->slot_binds[i]];
        if (cp->nslots > 16) {
            rt_error_set(err, RT_ERR_ARGUMENT, "too many primary key columns");
            goto done;
        }
        if (rt_conn_execute(c, cp, params, 1, &res, err) < 0)
            goto done;
    } else if (by_pk_uncached(s, m, pk, &res, err) < 0) {
        goto done;
    }
    int got = rt_result_next(res, err);
    if (got < 0)
        goto done;
    if (got) {
        vals = m->nattrs <= 32 ? vals_buf : rt_calloc(m->nattrs + 1, sizeof *vals);
        if (!vals) {
            rt_error_oom(err);
            goto done;
        }
        for (size_t i = 0; i < m->nattrs; i++)
            rt_result_value(res, (int)i, &vals[i]);
        if (found)
            *found = 1;
        if (into) {
            if (orm_state_load(into, vals, overwrite, err) < 0)
                goto done;
        } else if (rt_session_load_row(s, m, vals, out, err) < 0) {
            goto done;
        }
    }
    rc = 0;
done:
    if (vals != vals_buf)
        rt_free(vals);
    rt_result_free(res);
    rt_compiled_release(cp);
    return rc;
}
