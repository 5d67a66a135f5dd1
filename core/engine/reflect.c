/* reflect.c: reflection shared by every database: defining a table in a
 * MetaData from what the database reports (and the tables its foreign keys
 * reference, as SQLAlchemy does), MetaData.reflect(), table names, and the
 * helpers the per-database files use to build columns and constraints.
 *
 * The queries themselves are in reflect_sqlite.c (PRAGMAs, sqlite_master) and
 * reflect_postgresql.c (pg_catalog with bound parameters); they run through
 * the connection, so they are echoed like any statement. */
#include "reflect_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_expr.h"

static int is_sqlite(const rt_conn *c) { return c->engine->dialect == rt_dialect_sqlite(); }

/* === helpers === */

int rf_list_push(rf_list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **a = rt_realloc(l->items, cap * sizeof *a);
        if (!a)
            return -1;
        l->items = a;
        l->cap = cap;
    }
    char *copy = s ? rt_strdup(s) : NULL;
    if (s && !copy)
        return -1;
    l->items[l->n++] = copy;
    return 0;
}

void rf_list_clear(rf_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        rt_free(l->items[i]);
    rt_free(l->items);
    memset(l, 0, sizeof *l);
}

long rf_list_find(const rf_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i] && strcmp(l->items[i], s) == 0)
            return (long)i;
    return -1;
}

char *rf_text(rt_result *r, int i, int *oom)
{
    rt_value v;
    rt_result_value(r, i, &v);
    if (v.type == RT_NULL)
        return NULL;
    char buf[32];
    char *s;
    if (v.type == RT_TEXT || v.type == RT_BLOB) {
        s = rt_strndup(v.u.s.p, v.u.s.n);
    } else {
        snprintf(buf, sizeof buf, "%lld", (long long)(v.type == RT_INT ? v.u.i : v.u.b));
        s = rt_strdup(buf);
    }
    if (!s)
        *oom = 1;
    return s;
}

int64_t rf_int(rt_result *r, int i)
{
    rt_value v;
    rt_result_value(r, i, &v);
    switch (v.type) {
    case RT_INT: return v.u.i;
    case RT_BOOL: return v.u.b;
    case RT_FLOAT: return (int64_t)v.u.f;
    case RT_TEXT: return strtoll(v.u.s.p, NULL, 10);
    default: return 0;
    }
}

int rf_bool(rt_result *r, int i)
{
    rt_value v;
    rt_result_value(r, i, &v);
    if (v.type == RT_TEXT)
        return v.u.s.n > 0 && (v.u.s.p[0] == 't' || v.u.s.p[0] == '1');
    return rf_int(r, i) != 0;
}

int rf_add_column(rt_table *t, const char *name, rt_sqltype *type, int nullable,
                  const char *default_sql, rt_autoinc autoinc, rt_error *err)
{
    rt_column *col = rt_column_new(name, type);
    rt_type_release(type);
    if (!col)
        return rt_error_oom(err);
    col->nullable = nullable;
    col->autoincrement = autoinc;
    if (default_sql) {
        rt_node *n = rt_text_new(default_sql, err);
        if (!n) {
            rt_column_free(col);
            return -1;
        }
        rt_exprref_set_node(&col->server_default.expr, n);
        col->server_default.kind = RT_DEFAULT_EXPR;
        rt_node_release(n);
    }
    if (rt_table_add_column(t, col, err) < 0) {
        rt_column_free(col);
        return -1;
    }
    return 0;
}

rt_constraint *rf_add_constraint(rt_table *t, rt_constraint_kind kind, const char *name,
                                 const rf_list *cols, const rf_list *targets, rt_error *err)
{
    return rt_table_add_constraint(t, kind, name, (const char *const *)cols->items, cols->n,
                                   targets ? (const char *const *)targets->items : NULL, err);
}

char *rf_target(const char *schema, const char *table, const char *column)
{
    rt_buf b;
    rt_buf_init(&b);
    if (schema)
        rt_buf_printf(&b, "%s.", schema);
    rt_buf_puts(&b, table);
    if (column)
        rt_buf_printf(&b, ".%s", column);
    return rt_buf_steal(&b);
}

/* === tables === */

/* Reflects the tables t's foreign keys reference that md lacks. */
static int follow_fks(rt_conn *c, rt_table *t, rt_error *err)
{
    for (size_t i = 0; i < t->nconstraints; i++) {
        const rt_constraint *k = t->constraints[i];
        if (k->kind != RT_CONSTRAINT_FOREIGN_KEY || !k->ncols)
            continue;
        char *full = NULL, *col = NULL;
        if (rt_fk_target_split(k->fk.targets[0], &full, &col) < 0)
            return rt_error_oom(err);
        /* "users.id": table part "users"; "app.users.id": "app.users" */
        int rc = 0;
        if (!rt_metadata_table(t->metadata, full)) {
            char *dot = strrchr(full, '.');
            if (dot)
                *dot = '\0';
            rc = rt_reflect_table(c, t->metadata, dot ? dot + 1 : full, dot ? full : NULL, 1,
                                  NULL, err);
        }
        rt_free(full);
        rt_free(col);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int rt_reflect_table(rt_conn *c, rt_metadata *md, const char *name, const char *schema,
                     int follow_fks_too, rt_table **out, rt_error *err)
{
    if (out)
        *out = NULL;
    rt_table *t = rt_metadata_add_table(md, name, schema, err);
    if (!t)
        return -1;
    int rc = is_sqlite(c) ? rt_reflect_sqlite_table(c, t, err) : rt_reflect_pg_table(c, t, err);
    if (rc == 0 && follow_fks_too)
        rc = follow_fks(c, t, err);
    if (rc < 0) {
        rt_metadata_remove_table(md, t);
        return -1;
    }
    if (out)
        *out = t;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int rt_reflect_table_names(rt_conn *c, const char *schema, char ***names, size_t *n,
                           rt_error *err)
{
    rf_list l = {0};
    int rc = is_sqlite(c) ? rt_reflect_sqlite_names(c, schema, &l, err)
                          : rt_reflect_pg_names(c, schema, &l, err);
    if (rc < 0) {
        rf_list_clear(&l);
        return -1;
    }
    if (l.n)
        qsort(l.items, l.n, sizeof *l.items, compare_names);
    *names = l.items;
    *n = l.n;
    return 0;
}

void rt_reflect_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rt_free(names[i]);
    rt_free(names);
}

static int wanted(const char *name, const char *const *only, size_t nonly)
{
    if (!only)
        return 1;
    for (size_t i = 0; i < nonly; i++)
        if (strcmp(only[i], name) == 0)
            return 1;
    return 0;
}

int rt_metadata_reflect(rt_conn *c, rt_metadata *md, const char *schema,
                        const char *const *only, size_t nonly, rt_error *err)
{
    char **names;
    size_t n;
    if (rt_reflect_table_names(c, schema, &names, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; only && i < nonly && rc == 0; i++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], only[i]) != 0)
            j++;
        if (j == n)
            rc = rt_error_set(err, RT_ERR_INVALID_REQUEST,
                              "Could not reflect: requested table(s) not available in "
                              "Engine(%s): (%s)", rt_dialect_name(c->engine->dialect), only[i]);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!wanted(names[i], only, nonly))
            continue;
        rt_buf b;
        rt_buf_init(&b);
        rt_buf_printf(&b, schema ? "%s.%s" : "%s%s", schema ? schema : "", names[i]);
        if (b.failed)
            rc = rt_error_oom(err);
        else if (!rt_metadata_table(md, rt_buf_str(&b)))
            rc = rt_reflect_table(c, md, names[i], schema, 1, NULL, err);
        rt_buf_free(&b);
    }
    rt_reflect_names_free(names, n);
    return rc;
}
