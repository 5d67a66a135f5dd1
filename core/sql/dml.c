/* dml.c: INSERT, UPDATE and DELETE as nodes, with their generative methods
 * (values, where, returning, INSERT ... SELECT).  Which columns a statement
 * sets is decided when compiling (compile_dml.c), from values() and from the
 * keys of the execution parameters, as SQLAlchemy does. */
#include "expr_int.h"

#include <string.h>

static void dml_destroy(rt_node *n)
{
    dmlnode *s = (dmlnode *)n;
    rt_node_release(s->table);
    rt_strs_free(s->keys, s->nkeys);
    rt_nodes_free(s->values, s->nkeys * s->nrows);
    rt_node_release(s->where);
    rt_nodes_free(s->returning, s->nreturning);
    rt_node_release(s->select);
    rt_strs_free(s->sel_keys, s->nsel_keys);
    rt_free(s);
}

static dmlnode *dml_alloc(rt_node_kind kind, rt_node *table, rt_error *err)
{
    if (!table || table->kind != RT_NODE_TABLE) {
        rt_error_set(err, RT_ERR_ARGUMENT, "%s: a table is required, got %s",
                     kind == RT_NODE_INSERT ? "insert()" : kind == RT_NODE_UPDATE ? "update()"
                                                                                  : "delete()",
                     table ? rt_node_kind_name(table->kind) : "nothing");
        return NULL;
    }
    dmlnode *s = rt_calloc(1, sizeof *s);
    if (!s) {
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&s->base, kind, dml_destroy);
    s->table = rt_node_retain(table);
    return s;
}

rt_node *rt_insert_new(rt_node *table, rt_error *err)
{
    dmlnode *s = dml_alloc(RT_NODE_INSERT, table, err);
    return s ? &s->base : NULL;
}

rt_node *rt_update_new(rt_node *table, rt_error *err)
{
    dmlnode *s = dml_alloc(RT_NODE_UPDATE, table, err);
    return s ? &s->base : NULL;
}

rt_node *rt_delete_new(rt_node *table, rt_error *err)
{
    dmlnode *s = dml_alloc(RT_NODE_DELETE, table, err);
    return s ? &s->base : NULL;
}

rt_table *rt_dml_table(const rt_node *stmt)
{
    if (!stmt || (stmt->kind != RT_NODE_INSERT && stmt->kind != RT_NODE_UPDATE &&
                  stmt->kind != RT_NODE_DELETE))
        return NULL;
    return rt_table_of(((const dmlnode *)stmt)->table);
}

static int is_dml(const rt_node *n)
{
    return n && (n->kind == RT_NODE_INSERT || n->kind == RT_NODE_UPDATE ||
                 n->kind == RT_NODE_DELETE);
}

/* A copy of s sharing its parts (children retained). */
static dmlnode *dml_copy(const rt_node *n, rt_error *err)
{
    if (!is_dml(n)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "an insert, update or delete is required, got %s",
                     n ? rt_node_kind_name(n->kind) : "nothing");
        return NULL;
    }
    const dmlnode *s = (const dmlnode *)n;
    dmlnode *c = dml_alloc(n->kind, s->table, err);
    if (!c)
        return NULL;
    c->where = rt_node_retain(s->where);
    c->select = rt_node_retain(s->select);
    if (rt_strs_dup((const char *const *)s->keys, s->nkeys, &c->keys) < 0 ||
        rt_nodes_dup(s->values, s->nkeys * s->nrows, &c->values, err) < 0) {
        rt_strs_free(c->keys, s->nkeys);
        c->keys = NULL;
        goto fail;
    }
    c->nkeys = s->nkeys;
    c->nrows = s->nrows;
    if (rt_nodes_dup(s->returning, s->nreturning, &c->returning, err) < 0)
        goto fail;
    c->nreturning = s->nreturning;
    if (rt_strs_dup((const char *const *)s->sel_keys, s->nsel_keys, &c->sel_keys) < 0)
        goto fail;
    c->nsel_keys = s->nsel_keys;
    return c;
fail:
    if (err->cls == RT_ERR_NONE)
        rt_error_oom(err);
    dml_destroy(&c->base);
    return NULL;
}

static long key_index(const dmlnode *s, const char *key)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i], key) == 0)
            return (long)i;
    return -1;
}

/* One row merged into the single-row values of c (later keys win). */
static int merge_row(dmlnode *c, const char *const *keys, rt_node *const *values, size_t n,
                     rt_error *err)
{
    for (size_t i = 0; i < n; i++) {
        long k = key_index(c, keys[i]);
        if (k >= 0) {
            rt_node_release(c->values[k]);
            c->values[k] = rt_node_retain(values[i]);
            continue;
        }
        char *key = rt_strdup(keys[i]);
        char **ka = key ? rt_realloc(c->keys, (c->nkeys + 1) * sizeof *ka) : NULL;
        if (ka)
            c->keys = ka;
        rt_node **va = ka ? rt_realloc(c->values, (c->nkeys + 1) * sizeof *va) : NULL;
        if (!va) {
            rt_free(key);
            return rt_error_oom(err);
        }
        c->values = va;
        c->keys[c->nkeys] = key;
        c->values[c->nkeys++] = rt_node_retain(values[i]);
    }
    c->nrows = 1;
    return 0;
}

static int check_values(const rt_node *stmt, const char *const *keys, rt_node *const *values,
                        size_t n, size_t nrows, rt_error *err)
{
    if (stmt && stmt->kind == RT_NODE_DELETE)
        return rt_error_set(err, RT_ERR_ARGUMENT, "values(): a delete has no values");
    if (nrows > 1 && (!stmt || stmt->kind != RT_NODE_INSERT))
        return rt_error_set(err, RT_ERR_ARGUMENT, "values(): several rows are only possible "
                            "for an insert");
    if (stmt && is_dml(stmt) && ((const dmlnode *)stmt)->select)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "This construct already inserts from "
                            "a SELECT");
    for (size_t i = 0; i < n; i++)
        if (!keys[i] || !*keys[i])
            return rt_error_set(err, RT_ERR_ARGUMENT, "values(): a column key is required");
    for (size_t i = 0; i < n * nrows; i++) {
        const rt_node *v = values[i];
        if (!rt_node_is_expr(v) && !rt_node_is_selectable(v))
            return rt_error_set(err, RT_ERR_ARGUMENT, "values(): the value for '%s' must be "
                                "an SQL expression or a value, got %s", keys[i % n],
                                v ? rt_node_kind_name(v->kind) : "nothing");
    }
    return 0;
}

rt_node *rt_dml_values(rt_node *stmt, const char *const *keys, rt_node *const *values,
                       size_t n, size_t nrows, rt_error *err)
{
    if (nrows == 0)
        nrows = 1;
    if (check_values(stmt, keys, values, n, nrows, err) < 0)
        return NULL;
    dmlnode *c = dml_copy(stmt, err);
    if (!c)
        return NULL;
    if (nrows > 1 || c->nrows > 1) {
        /* several rows replace whatever values() gave before */
        rt_strs_free(c->keys, c->nkeys);
        rt_nodes_free(c->values, c->nkeys * c->nrows);
        c->keys = NULL;
        c->values = NULL;
        c->nkeys = c->nrows = 0;
        if (rt_strs_dup(keys, n, &c->keys) < 0) {
            rt_error_oom(err);
            goto fail;
        }
        if (rt_nodes_dup(values, n * nrows, &c->values, err) < 0) {
            rt_strs_free(c->keys, n);
            c->keys = NULL;
            goto fail;
        }
        c->nkeys = n;
        c->nrows = nrows;
        return &c->base;
    }
    if (merge_row(c, keys, values, n, err) < 0)
        goto fail;
    return &c->base;
fail:
    dml_destroy(&c->base);
    return NULL;
}

rt_node *rt_dml_where(rt_node *stmt, rt_node *cond, rt_error *err)
{
    if (!rt_node_is_expr(cond)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "where(): an SQL expression is required, got %s",
                     cond ? rt_node_kind_name(cond->kind) : "nothing");
        return NULL;
    }
    if (stmt && stmt->kind == RT_NODE_INSERT) {
        rt_error_set(err, RT_ERR_ARGUMENT, "where(): an insert has no WHERE clause");
        return NULL;
    }
    dmlnode *c = dml_copy(stmt, err);
    if (!c)
        return NULL;
    rt_node *w = cond;
    if (c->where) {
        rt_node *both[2] = {c->where, cond};
        w = rt_list_new(RT_LIST_AND, both, 2, err);
        if (!w) {
            dml_destroy(&c->base);
            return NULL;
        }
    } else {
        rt_node_retain(w);
    }
    rt_node_release(c->where);
    c->where = w;
    return &c->base;
}

rt_node *rt_dml_returning(rt_node *stmt, rt_node *const *cols, size_t n, rt_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!rt_node_is_expr(cols[i]) && (!cols[i] || cols[i]->kind != RT_NODE_TABLE)) {
            rt_error_set(err, RT_ERR_ARGUMENT, "returning(): a column expression is "
                         "required, got %s", cols[i] ? rt_node_kind_name(cols[i]->kind)
                                                     : "nothing");
            return NULL;
        }
    dmlnode *c = dml_copy(stmt, err);
    if (!c)
        return NULL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += cols[i]->kind == RT_NODE_TABLE ? rt_from_ncols(cols[i]) : 1;
    rt_node **a = rt_realloc(c->returning, (c->nreturning + m + 1) * sizeof *a);
    if (!a) {
        rt_error_oom(err);
        dml_destroy(&c->base);
        return NULL;
    }
    c->returning = a;
    for (size_t i = 0; i < n; i++) {
        if (cols[i]->kind != RT_NODE_TABLE) {
            a[c->nreturning++] = rt_node_retain(cols[i]);
            continue;
        }
        for (size_t k = 0; k < rt_from_ncols(cols[i]); k++) {
            if (!(a[c->nreturning] = rt_from_column(cols[i], k, err))) {
                dml_destroy(&c->base);
                return NULL;
            }
            c->nreturning++;
        }
    }
    return &c->base;
}

rt_node *rt_insert_from_select(rt_node *ins, const char *const *keys, size_t n,
                               rt_node *select, rt_error *err)
{
    if (!ins || ins->kind != RT_NODE_INSERT) {
        rt_error_set(err, RT_ERR_ARGUMENT, "from_select(): an insert is required");
        return NULL;
    }
    if (!rt_node_is_selectable(select)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "from_select(): a select is required, got %s",
                     select ? rt_node_kind_name(select->kind) : "nothing");
        return NULL;
    }
    if (((const dmlnode *)ins)->nrows) {
        rt_error_set(err, RT_ERR_INVALID_REQUEST, "This construct already has values(); "
                     "from_select() cannot be added");
        return NULL;
    }
    rt_table *t = rt_dml_table(ins);
    for (size_t i = 0; i < n; i++)
        if (!keys[i] || !rt_table_column(t, keys[i])) {
            rt_error_set(err, RT_ERR_ARGUMENT, "from_select(): table '%s' has no column '%s'",
                         t->name, keys[i] ? keys[i] : "");
            return NULL;
        }
    size_t ncols = rt_select_first(select)->ncols;
    if (ncols != n) {
        rt_error_set(err, RT_ERR_ARGUMENT, "from_select(): %zu column names for a select of "
                     "%zu columns", n, ncols);
        return NULL;
    }
    dmlnode *c = dml_copy(ins, err);
    if (!c)
        return NULL;
    if (rt_strs_dup(keys, n, &c->sel_keys) < 0) {
        rt_error_oom(err);
        dml_destroy(&c->base);
        return NULL;
    }
    c->nsel_keys = n;
    rt_node_release(c->select);
    c->select = rt_node_retain(select);
    return &c->base;
}
