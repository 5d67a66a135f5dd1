/* reflect_sqlite.c: reflection on SQLite: PRAGMA table_info, foreign_key_list,
 * index_list and index_info, sqlite_master for table names, and a small
 * reading of the CREATE TABLE text for the names SQLite does not report
 * (CONSTRAINT name UNIQUE / FOREIGN KEY / PRIMARY KEY), as SQLAlchemy does.
 * Table names in PRAGMAs are quoted identifiers; sqlite_master is queried
 * with bound parameters. */
#include "reflect_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Runs "PRAGMA [schema.]what("name")". */
static int pragma(rt_conn *c, const rt_table *t, const char *what, const char *name,
                  rt_result **out, rt_error *err)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, "PRAGMA ");
    if (t->schema)
        rt_dialect_quote(rt_dialect_sqlite(), &b, t->schema);
    else
        rt_buf_puts(&b, "main");
    rt_buf_printf(&b, ".%s(\"", what);
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            rt_buf_putc(&b, '"');
        rt_buf_putc(&b, *p);
    }
    rt_buf_puts(&b, "\")");
    if (b.failed)
        return rt_error_oom(err);
    int rc = rt_schema_query(c, rt_buf_str(&b), NULL, NULL, 0, out, err);
    rt_buf_free(&b);
    return rc;
}

/* === names SQLite keeps only in the CREATE TABLE text === */

typedef struct named {
    char kind;          /* 'p', 'u', 'f' */
    char *name;
    rf_list cols;
} named;

typedef struct scanner {
    const char *s;
    char tok[256];
} scanner;

/* Next token: an identifier (unquoted), a punctuation character, or "" at the
 * end.  String literals are skipped. */
static const char *next_token(scanner *sc)
{
    const char *s = sc->s;
    size_t n = 0;
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (*s != '\'')
            break;
        for (s++; *s && !(*s == '\'' && s[1] != '\''); s += (*s == '\'') ? 2 : 1)
            ;
        if (*s)
            s++;
    }
    if (*s == '"' || *s == '`' || *s == '[') {
        char close = *s == '[' ? ']' : *s;
        for (s++; *s && !(*s == close && s[1] != close); s++) {
            if (*s == close)
                s++;
            if (n + 1 < sizeof sc->tok)
                sc->tok[n++] = *s;
        }
        if (*s)
            s++;
    } else if (isalnum((unsigned char)*s) || *s == '_') {
        while ((isalnum((unsigned char)*s) || *s == '_' || *s == '$') && n + 1 < sizeof sc->tok)
            sc->tok[n++] = *s++;
    } else if (*s) {
        sc->tok[n++] = *s++;
    }
    sc->tok[n] = '\0';
    sc->s = s;
    return sc->tok;
}

/* Reads "(a, b COLLATE x DESC, ...)" into cols (names only). */
static int read_cols(scanner *sc, rf_list *cols)
{
    if (strcmp(next_token(sc), "(") != 0)
        return 0;
    for (;;) {
        const char *t = next_token(sc);
        if (!*t || strcmp(t, ")") == 0)
            return 0;
        if (strcmp(t, ",") == 0)
            continue;
        if (rf_list_push(cols, t) < 0)
            return -1;
        for (;;) {   /* skip COLLATE, ASC, DESC ... up to the next , or ) */
            t = next_token(sc);
            if (!*t || strcmp(t, ")") == 0)
                return 0;
            if (strcmp(t, ",") == 0)
                break;
        }
    }
}

/* Finds "CONSTRAINT name KIND (cols)" in sql. */
static int scan_named(const char *sql, named **out, size_t *n)
{
    scanner sc = {sql, {0}};
    *out = NULL;
    *n = 0;
    while (*next_token(&sc)) {
        if (strcasecmp(sc.tok, "CONSTRAINT") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%s", next_token(&sc));
        const char *kw = next_token(&sc);
        char kind = strcasecmp(kw, "PRIMARY") == 0   ? 'p'
                    : strcasecmp(kw, "UNIQUE") == 0  ? 'u'
                    : strcasecmp(kw, "FOREIGN") == 0 ? 'f'
                                                      : 0;
        if (!kind)
            continue;
        if (kind != 'u')
            next_token(&sc);   /* KEY */
        named *a = rt_realloc(*out, (*n + 1) * sizeof *a);
        if (!a)
            return -1;
        *out = a;
        named *e = &a[*n];
        memset(e, 0, sizeof *e);
        e->kind = kind;
        (*n)++;
        if (!(e->name = rt_strdup(name)) || read_cols(&sc, &e->cols) < 0)
            return -1;
    }
    return 0;
}

static void named_free(named *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rt_free(a[i].name);
        rf_list_clear(&a[i].cols);
    }
    rt_free(a);
}

static int same_cols(const rf_list *a, const rf_list *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (!a->items[i] || !b->items[i] || strcmp(a->items[i], b->items[i]) != 0)
            return 0;
    return 1;
}

static const char *name_for(const named *a, size_t n, char kind, const rf_list *cols)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].kind == kind && same_cols(&a[i].cols, cols))
            return a[i].name;
    return NULL;
}

static int table_sql(rt_conn *c, const rt_table *t, char **sql, rt_error *err)
{
    rt_result *r;
    const char *names[] = {"name"};
    rt_value v = rt_value_text(t->name, strlen(t->name));
    rt_buf b;
    int oom = 0;
    rt_buf_init(&b);
    rt_buf_puts(&b, "SELECT sql FROM ");
    if (t->schema) {
        rt_dialect_quote(rt_dialect_sqlite(), &b, t->schema);
        rt_buf_putc(&b, '.');
    }
    rt_buf_puts(&b, "sqlite_master WHERE name = :name AND type = 'table'");
    *sql = NULL;
    int rc = b.failed ? rt_error_oom(err) : rt_schema_query(c, rt_buf_str(&b), names, &v, 1,
                                                            &r, err);
    rt_buf_free(&b);
    if (rc < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0)
        if (!*sql)
            *sql = rf_text(r, 0, &oom);
    rt_result_free(r);
    return rc < 0 ? -1 : oom ? rt_error_oom(err) : 0;
}

/* === columns and primary key === */

static int reflect_columns(rt_conn *c, rt_table *t, rt_error *err)
{
    rt_result *r;
    rf_list pk = {0};
    long pkpos[64];
    int rc, oom = 0, found = 0;
    if (pragma(c, t, "table_info", t->name, &r, err) < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0) {
        char *name = rf_text(r, 1, &oom), *type = rf_text(r, 2, &oom);
        char *dflt = rf_text(r, 4, &oom);
        int64_t pkn = rf_int(r, 5);
        rt_sqltype *ty = oom ? NULL : rt_type_from_sql(type ? type : "");
        found = 1;
        if (!oom && ty)
            rc = rf_add_column(t, name, ty, !rf_int(r, 3), dflt, RT_AUTOINC_AUTO, err);
        else
            rc = rt_error_oom(err);
        if (rc == 0 && pkn > 0 && pk.n < 64) {
            pkpos[pk.n] = (long)pkn;
            rc = rf_list_push(&pk, name) < 0 ? rt_error_oom(err) : 0;
        }
        rt_free(name);
        rt_free(type);
        rt_free(dflt);
        if (rc < 0)
            break;
    }
    rt_result_free(r);
    if (rc == 0 && !found)
        rc = rt_error_set(err, RT_ERR_NO_SUCH_TABLE, "%s", t->fullname);
    if (rc == 0 && pk.n) {
        rf_list ordered = {0};
        for (long p = 1; p <= (long)pk.n && rc == 0; p++)
            for (size_t i = 0; i < pk.n; i++)
                if (pkpos[i] == p && rf_list_push(&ordered, pk.items[i]) < 0)
                    rc = rt_error_oom(err);
        if (rc == 0 && !rf_add_constraint(t, RT_CONSTRAINT_PRIMARY_KEY, NULL, &ordered, NULL,
                                          err))
            rc = -1;
        rf_list_clear(&ordered);
    }
    rf_list_clear(&pk);
    return rc < 0 ? -1 : 0;
}

/* === foreign keys === */

typedef struct fkrow {
    int64_t id;
    char *table, *from, *to, *onupdate, *ondelete;
} fkrow;

static const char *action(const char *a)
{
    return a && strcmp(a, "NO ACTION") != 0 ? a : NULL;
}

/* The primary-key columns of table `name` (in t's schema), in key order: what
 * a foreign key that names only the table refers to. */
static int referenced_pk(rt_conn *c, const rt_table *t, const char *name, rf_list *pk,
                         rt_error *err)
{
    rt_result *r;
    rf_list cols = {0};
    int64_t pos[64];
    int rc, oom = 0;
    if (pragma(c, t, "table_info", name, &r, err) < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0) {
        if (rf_int(r, 5) <= 0 || cols.n >= 64)
            continue;
        pos[cols.n] = rf_int(r, 5);
        char *col = rf_text(r, 1, &oom);
        oom = oom || rf_list_push(&cols, col) < 0;
        rt_free(col);
    }
    rt_result_free(r);
    for (int64_t p = 1; rc == 0 && !oom && p <= (int64_t)cols.n; p++)
        for (size_t i = 0; i < cols.n; i++)
            if (pos[i] == p && rf_list_push(pk, cols.items[i]) < 0)
                oom = 1;
    rf_list_clear(&cols);
    return rc < 0 ? -1 : oom ? rt_error_oom(err) : 0;
}

static int add_fk(rt_conn *c, rt_table *t, fkrow *rows, size_t from, size_t to,
                  const named *nm, size_t nn, rt_error *err)
{
    rf_list cols = {0}, targets = {0}, pk = {0};
    int rc = rows[from].to ? 0 : referenced_pk(c, t, rows[from].table, &pk, err);
    for (size_t i = from; i < to && rc == 0; i++) {
        const char *tcol = rows[i].to ? rows[i].to : i - from < pk.n ? pk.items[i - from] : NULL;
        char *target = rf_target(t->schema, rows[i].table, tcol);
        if (!target || rf_list_push(&cols, rows[i].from) < 0 ||
            rf_list_push(&targets, target) < 0)
            rc = rt_error_oom(err);
        rt_free(target);
    }
    rt_constraint *k = NULL;
    if (rc == 0)
        k = rf_add_constraint(t, RT_CONSTRAINT_FOREIGN_KEY, name_for(nm, nn, 'f', &cols), &cols,
                              &targets, err);
    if (k) {
        rt_fk_options o = {.ondelete = action(rows[from].ondelete),
                           .onupdate = action(rows[from].onupdate)};
        rc = rt_constraint_set_fk_options(k, &o, err);
    } else {
        rc = -1;
    }
    rf_list_clear(&cols);
    rf_list_clear(&targets);
    rf_list_clear(&pk);
    return rc;
}

static int reflect_fks(rt_conn *c, rt_table *t, const named *nm, size_t nn, rt_error *err)
{
    rt_result *r;
    fkrow *rows = NULL;
    size_t n = 0;
    int rc, oom = 0;
    if (pragma(c, t, "foreign_key_list", t->name, &r, err) < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0) {
        fkrow *a = rt_realloc(rows, (n + 1) * sizeof *a);
        if (!a) {
            oom = 1;
            break;
        }
        rows = a;
        fkrow *f = &rows[n++];
        f->id = rf_int(r, 0);
        f->table = rf_text(r, 2, &oom);
        f->from = rf_text(r, 3, &oom);
        f->to = rf_text(r, 4, &oom);
        f->onupdate = rf_text(r, 5, &oom);
        f->ondelete = rf_text(r, 6, &oom);
    }
    rt_result_free(r);
    if (oom)
        rc = rt_error_oom(err);
    /* SQLite lists the last constraint first: walk the groups backwards */
    size_t end = n;
    while (rc == 0 && end > 0) {
        size_t start = end - 1;
        while (start > 0 && rows[start - 1].id == rows[end - 1].id)
            start--;
        rc = add_fk(c, t, rows, start, end, nm, nn, err);
        end = start;
    }
    for (size_t i = 0; i < n; i++) {
        rt_free(rows[i].table);
        rt_free(rows[i].from);
        rt_free(rows[i].to);
        rt_free(rows[i].onupdate);
        rt_free(rows[i].ondelete);
    }
    rt_free(rows);
    return rc < 0 ? -1 : 0;
}

/* === indexes and unique constraints === */

static int index_columns(rt_conn *c, rt_table *t, const char *ix, rf_list *cols, rt_error *err)
{
    rt_result *r;
    int rc, oom = 0;
    if (pragma(c, t, "index_info", ix, &r, err) < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0) {
        char *name = rf_text(r, 2, &oom);
        if (!oom && rf_list_push(cols, name) < 0)
            oom = 1;
        rt_free(name);
    }
    rt_result_free(r);
    return rc < 0 ? -1 : oom ? rt_error_oom(err) : 0;
}

static int reflect_indexes(rt_conn *c, rt_table *t, const named *nm, size_t nn, rt_error *err)
{
    rt_result *r;
    rf_list names = {0}, origins = {0}, uniques = {0};
    int rc, oom = 0;
    if (pragma(c, t, "index_list", t->name, &r, err) < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0) {
        char *name = rf_text(r, 1, &oom), *origin = rf_text(r, 3, &oom);
        oom = oom || rf_list_push(&names, name) < 0 || rf_list_push(&origins, origin) < 0 ||
              rf_list_push(&uniques, rf_int(r, 2) ? "1" : NULL) < 0;
        rt_free(name);
        rt_free(origin);
    }
    rt_result_free(r);
    if (oom)
        rc = rt_error_oom(err);
    /* listed newest first: take them oldest first */
    for (size_t k = names.n; rc == 0 && k-- > 0;) {
        const char *origin = origins.items[k];
        rf_list cols = {0};
        if (origin && strcmp(origin, "pk") == 0)
            continue;
        rc = index_columns(c, t, names.items[k], &cols, err);
        if (rc == 0 && origin && strcmp(origin, "u") == 0) {
            if (!rf_add_constraint(t, RT_CONSTRAINT_UNIQUE, name_for(nm, nn, 'u', &cols), &cols,
                                   NULL, err))
                rc = -1;
        } else if (rc == 0) {
            if (!rt_table_add_index(t, names.items[k], (const char *const *)cols.items, cols.n,
                                    uniques.items[k] != NULL, err))
                rc = -1;
        }
        rf_list_clear(&cols);
    }
    rf_list_clear(&names);
    rf_list_clear(&origins);
    rf_list_clear(&uniques);
    return rc < 0 ? -1 : 0;
}

/* Names the primary key when the CREATE TABLE text does. */
static int name_primary_key(rt_table *t, const named *nm, size_t nn, rt_error *err)
{
    rt_constraint *pk = rt_table_primary_key(t);
    rf_list cols = {0};
    int rc = 0;
    for (size_t i = 0; i < pk->ncols && rc == 0; i++)
        if (rf_list_push(&cols, pk->columns[i]->name) < 0)
            rc = rt_error_oom(err);
    const char *name = rc == 0 ? name_for(nm, nn, 'p', &cols) : NULL;
    if (name && !pk->name && !(pk->name = rt_strdup(name)))
        rc = rt_error_oom(err);
    rf_list_clear(&cols);
    return rc;
}

int rt_reflect_sqlite_table(rt_conn *c, rt_table *t, rt_error *err)
{
    named *nm = NULL;
    size_t nn = 0;
    char *sql = NULL;
    int rc = reflect_columns(c, t, err);
    if (rc == 0)
        rc = table_sql(c, t, &sql, err);
    if (rc == 0 && sql && scan_named(sql, &nm, &nn) < 0)
        rc = rt_error_oom(err);
    if (rc == 0)
        rc = name_primary_key(t, nm, nn, err);
    if (rc == 0)
        rc = reflect_fks(c, t, nm, nn, err);
    if (rc == 0)
        rc = reflect_indexes(c, t, nm, nn, err);
    named_free(nm, nn);
    rt_free(sql);
    return rc;
}

int rt_reflect_sqlite_names(rt_conn *c, const char *schema, rf_list *out, rt_error *err)
{
    rt_result *r;
    rt_buf b;
    int rc, oom = 0;
    rt_buf_init(&b);
    rt_buf_puts(&b, "SELECT name FROM ");
    if (schema) {
        rt_dialect_quote(rt_dialect_sqlite(), &b, schema);
        rt_buf_putc(&b, '.');
    }
    rt_buf_puts(&b, "sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite~_%' "
                    "ESCAPE '~' ORDER BY name");
    rc = b.failed ? rt_error_oom(err) : rt_schema_query(c, rt_buf_str(&b), NULL, NULL, 0, &r,
                                                        err);
    rt_buf_free(&b);
    if (rc < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0) {
        char *name = rf_text(r, 0, &oom);
        if (!oom && rf_list_push(out, name) < 0)
            oom = 1;
        rt_free(name);
    }
    rt_result_free(r);
    return rc < 0 ? -1 : oom ? rt_error_oom(err) : 0;
}
