/* reflect_postgresql.c: reflection on PostgreSQL from pg_catalog, every name
 * and oid a bound parameter: the table's oid, its columns (format_type,
 * defaults, NOT NULL, identity, enum labels), primary key, foreign keys with
 * their actions, unique constraints and the indexes that back no constraint.
 * A serial key's nextval() default is not kept as a server default: the
 * column autoincrements, and creating it again gives SERIAL, as in
 * SQLAlchemy. */
#include "reflect_int.h"

#include <string.h>

#define COLUMNS_SQL                                                                          \
    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "                     \
    "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull, t.typtype, t.typname, "        \
    "a.atttypid, a.attidentity "                                                             \
    "FROM pg_catalog.pg_attribute a "                                                        \
    "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "                                       \
    "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "    \
    "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"

#define KEYS_SQL                                                                             \
    "SELECT con.conname, a.attname FROM pg_catalog.pg_constraint con "                        \
    "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "               \
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "   \
    "WHERE con.conrelid = :oid AND con.contype = :kind ORDER BY con.conname, k.ord"

#define FKS_SQL                                                                              \
    "SELECT con.conname, a.attname, fn.nspname, pg_catalog.pg_table_is_visible(fc.oid), "     \
    "fc.relname, fa.attname, con.confupdtype, con.confdeltype, con.condeferrable, "          \
    "con.condeferred FROM pg_catalog.pg_constraint con "                                     \
    "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS "                 \
    "k(attnum, fattnum, ord) "                                                               \
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "   \
    "JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid "                                 \
    "JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace "                           \
    "JOIN pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid AND "                    \
    "fa.attnum = k.fattnum "                                                                 \
    "WHERE con.conrelid = :oid AND con.contype = 'f' ORDER BY con.conname, k.ord"

#define INDEXES_SQL                                                                          \
    "SELECT i.relname, ix.indisunique, a.attname FROM pg_catalog.pg_index ix "                \
    "JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid "                                   \
    "CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) "                \
    "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum " \
    "WHERE ix.indrelid = :oid AND NOT ix.indisprimary AND NOT EXISTS (SELECT 1 FROM "        \
    "pg_catalog.pg_constraint con WHERE con.conindid = ix.indexrelid AND con.contype IN "    \
    "('p', 'u', 'x')) ORDER BY i.relname, k.ord"

static int table_oid(rt_conn *c, const rt_table *t, int64_t *oid, rt_error *err)
{
    const char *names[] = {"name", "schema"};
    rt_value vals[] = {rt_value_text(t->name, strlen(t->name)),
                       t->schema ? rt_value_text(t->schema, strlen(t->schema)) : rt_value_null()};
    rt_result *r;
    const char *sql =
        t->schema ? "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE c.relname = :name AND "
                    "n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
                  : "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname = :name AND "
                    "pg_catalog.pg_table_is_visible(c.oid) AND "
                    "c.relkind IN ('r', 'p', 'v', 'm', 'f')";
    if (rt_schema_query(c, sql, names, vals, 2, &r, err) < 0)
        return -1;
    int rc = rt_result_next(r, err);
    *oid = rc > 0 ? rf_int(r, 0) : 0;
    while (rc > 0)
        rc = rt_result_next(r, err);
    rt_result_free(r);
    if (rc < 0)
        return -1;
    return *oid ? 0 : rt_error_set(err, RT_ERR_NO_SUCH_TABLE, "%s", t->fullname);
}

/* An enum type with its labels, from its oid. */
static rt_sqltype *enum_type(rt_conn *c, int64_t typid, const char *name, rt_error *err)
{
    const char *names[] = {"typ"};
    rt_value v = rt_value_int(typid);
    rt_result *r;
    rf_list labels = {0};
    int rc, oom = 0;
    if (rt_schema_query(c, "SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE "
                           "e.enumtypid = :typ ORDER BY e.enumsortorder",
                        names, &v, 1, &r, err) < 0)
        return NULL;
    while ((rc = rt_result_next(r, err)) > 0) {
        char *l = rf_text(r, 0, &oom);
        oom = oom || rf_list_push(&labels, l) < 0;
        rt_free(l);
    }
    rt_result_free(r);
    rt_sqltype *t = NULL;
    if (rc == 0 && !oom && (t = rt_type_new(RT_TYPE_ENUM)) &&
        rt_type_set_enum(t, (const char *const *)labels.items, labels.n, name) < 0) {
        rt_type_release(t);
        t = NULL;
    }
    if (rc == 0 && !t)
        rt_error_oom(err);
    rf_list_clear(&labels);
    return t;
}

typedef struct pgcol {
    char *name, *type, *dflt, *typtype, *typname, *identity;
    int notnull;
    int64_t typid;
} pgcol;

static void pgcol_free(pgcol *p)
{
    rt_free(p->name);
    rt_free(p->type);
    rt_free(p->dflt);
    rt_free(p->typtype);
    rt_free(p->typname);
    rt_free(p->identity);
}

static int add_pgcol(rt_conn *c, rt_table *t, pgcol *p, rt_error *err)
{
    rt_sqltype *ty = p->typtype && strcmp(p->typtype, "e") == 0
                         ? enum_type(c, p->typid, p->typname, err)
                         : rt_type_from_sql(p->type ? p->type : "");
    if (!ty)
        return err->cls ? -1 : rt_error_oom(err);
    int identity = p->identity && p->identity[0];
    const char *dflt = p->dflt;
    if (dflt && strncmp(dflt, "nextval(", 8) == 0 && rt_type_is_numeric(ty))
        dflt = NULL;   /* a serial column: it autoincrements */
    return rf_add_column(t, p->name, ty, !p->notnull, dflt,
                         identity ? RT_AUTOINC_TRUE : RT_AUTOINC_AUTO, err);
}

static int reflect_columns(rt_conn *c, rt_table *t, int64_t oid, rt_error *err)
{
    const char *names[] = {"oid"};
    rt_value v = rt_value_int(oid);
    rt_result *r;
    pgcol *cols = NULL;
    size_t n = 0;
    int rc, oom = 0;
    if (rt_schema_query(c, COLUMNS_SQL, names, &v, 1, &r, err) < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0) {
        pgcol *a = rt_realloc(cols, (n + 1) * sizeof *a);
        if (!a) {
            oom = 1;
            break;
        }
        cols = a;
        pgcol *p = &cols[n++];
        p->name = rf_text(r, 0, &oom);
        p->type = rf_text(r, 1, &oom);
        p->dflt = rf_text(r, 2, &oom);
        p->notnull = rf_bool(r, 3);
        p->typtype = rf_text(r, 4, &oom);
        p->typname = rf_text(r, 5, &oom);
        p->typid = rf_int(r, 6);
        p->identity = rf_text(r, 7, &oom);
    }
    rt_result_free(r);
    if (oom)
        rc = rt_error_oom(err);
    for (size_t i = 0; i < n; i++) {   /* the result is closed: enum queries may run */
        if (rc == 0)
            rc = add_pgcol(c, t, &cols[i], err);
        pgcol_free(&cols[i]);
    }
    rt_free(cols);
    return rc < 0 ? -1 : 0;
}

/* Primary key ('p') or unique constraints ('u'): rows of (name, column). */
static int reflect_keys(rt_conn *c, rt_table *t, int64_t oid, const char *kind, rt_error *err)
{
    const char *names[] = {"oid", "kind"};
    rt_value vals[] = {rt_value_int(oid), rt_value_text(kind, 1)};
    rt_result *r;
    rf_list cols = {0};
    char *current = NULL;
    int rc, oom = 0;
    if (rt_schema_query(c, KEYS_SQL, names, vals, 2, &r, err) < 0)
        return -1;
    rt_constraint_kind k = kind[0] == 'p' ? RT_CONSTRAINT_PRIMARY_KEY : RT_CONSTRAINT_UNIQUE;
    for (;;) {
        rc = rt_result_next(r, err);
        char *name = rc > 0 ? rf_text(r, 0, &oom) : NULL;
        if (current && (rc <= 0 || !name || strcmp(name, current) != 0)) {
            if (!oom && !rf_add_constraint(t, k, current, &cols, NULL, err))
                rc = -1;
            rf_list_clear(&cols);
            rt_free(current);
            current = NULL;
        }
        if (rc <= 0) {
            rt_free(name);
            break;
        }
        if (!current)
            current = name;
        else
            rt_free(name);
        char *col = rf_text(r, 1, &oom);
        oom = oom || rf_list_push(&cols, col) < 0;
        rt_free(col);
    }
    rt_result_free(r);
    rt_free(current);
    rf_list_clear(&cols);
    return rc < 0 ? -1 : oom ? rt_error_oom(err) : 0;
}

static const char *fk_action(const char *code)
{
    switch (code ? code[0] : 'a') {
    case 'r': return "RESTRICT";
    case 'c': return "CASCADE";
    case 'n': return "SET NULL";
    case 'd': return "SET DEFAULT";
    default: return NULL;
    }
}

typedef struct fkgroup {
    char *name, *onupdate, *ondelete;
    int deferrable, deferred;
    rf_list cols, targets;
} fkgroup;

static int flush_fk(rt_table *t, fkgroup *g, rt_error *err)
{
    int rc = 0;
    if (g->name) {
        rt_constraint *k = rf_add_constraint(t, RT_CONSTRAINT_FOREIGN_KEY, g->name, &g->cols,
                                             &g->targets, err);
        rt_fk_options o = {.ondelete = fk_action(g->ondelete), .onupdate = fk_action(g->onupdate),
                           .deferrable = g->deferrable, .initially_deferred = g->deferred};
        rc = k ? rt_constraint_set_fk_options(k, &o, err) : -1;
    }
    rt_free(g->name);
    rt_free(g->onupdate);
    rt_free(g->ondelete);
    rf_list_clear(&g->cols);
    rf_list_clear(&g->targets);
    memset(g, 0, sizeof *g);
    return rc;
}

/* One row of FKS_SQL into the group (a new group when the name changes). */
static int fk_row(rt_table *t, rt_result *r, fkgroup *g, rt_error *err)
{
    int oom = 0;
    char *name = rf_text(r, 0, &oom);
    if (g->name && name && strcmp(name, g->name) != 0 && flush_fk(t, g, err) < 0) {
        rt_free(name);
        return -1;
    }
    if (!g->name) {
        g->name = name;
        g->onupdate = rf_text(r, 6, &oom);
        g->ondelete = rf_text(r, 7, &oom);
        g->deferrable = rf_bool(r, 8);
        g->deferred = rf_bool(r, 9);
    } else {
        rt_free(name);
    }
    char *col = rf_text(r, 1, &oom), *nsp = rf_text(r, 2, &oom);
    char *rtable = rf_text(r, 4, &oom), *rcol = rf_text(r, 5, &oom);
    int visible = rf_bool(r, 3);
    const char *schema = !visible ? nsp : (t->schema && nsp && strcmp(t->schema, nsp) == 0)
                                              ? nsp : NULL;
    char *target = oom ? NULL : rf_target(schema, rtable, rcol);
    if (!target || rf_list_push(&g->cols, col) < 0 || rf_list_push(&g->targets, target) < 0)
        oom = 1;
    rt_free(col);
    rt_free(nsp);
    rt_free(rtable);
    rt_free(rcol);
    rt_free(target);
    return oom ? rt_error_oom(err) : 0;
}

static int reflect_fks(rt_conn *c, rt_table *t, int64_t oid, rt_error *err)
{
    const char *names[] = {"oid"};
    rt_value v = rt_value_int(oid);
    rt_result *r;
    fkgroup g = {0};
    int rc;
    if (rt_schema_query(c, FKS_SQL, names, &v, 1, &r, err) < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0)
        if (fk_row(t, r, &g, err) < 0) {
            rc = -1;
            break;
        }
    rt_result_free(r);
    if (flush_fk(t, &g, err) < 0)
        rc = -1;
    return rc < 0 ? -1 : 0;
}

static int reflect_indexes(rt_conn *c, rt_table *t, int64_t oid, rt_error *err)
{
    const char *names[] = {"oid"};
    rt_value v = rt_value_int(oid);
    rt_result *r;
    rf_list cols = {0};
    char *current = NULL;
    int unique = 0, rc, oom = 0;
    if (rt_schema_query(c, INDEXES_SQL, names, &v, 1, &r, err) < 0)
        return -1;
    for (;;) {
        rc = rt_result_next(r, err);
        char *name = rc > 0 ? rf_text(r, 0, &oom) : NULL;
        if (current && (rc <= 0 || !name || strcmp(name, current) != 0)) {
            if (!oom && cols.n &&
                !rt_table_add_index(t, current, (const char *const *)cols.items, cols.n, unique,
                                    err))
                rc = -1;
            rf_list_clear(&cols);
            rt_free(current);
            current = NULL;
        }
        if (rc <= 0) {
            rt_free(name);
            break;
        }
        if (!current) {
            current = name;
            unique = rf_bool(r, 1);
        } else {
            rt_free(name);
        }
        char *col = rf_text(r, 2, &oom);   /* NULL for an expression: skipped */
        if (col && rf_list_push(&cols, col) < 0)
            oom = 1;
        rt_free(col);
    }
    rt_result_free(r);
    rt_free(current);
    rf_list_clear(&cols);
    return rc < 0 ? -1 : oom ? rt_error_oom(err) : 0;
}

int rt_reflect_pg_table(rt_conn *c, rt_table *t, rt_error *err)
{
    int64_t oid;
    if (table_oid(c, t, &oid, err) < 0 || reflect_columns(c, t, oid, err) < 0 ||
        reflect_keys(c, t, oid, "p", err) < 0 || reflect_fks(c, t, oid, err) < 0 ||
        reflect_keys(c, t, oid, "u", err) < 0 || reflect_indexes(c, t, oid, err) < 0)
        return -1;
    return 0;
}

int rt_reflect_pg_names(rt_conn *c, const char *schema, rf_list *out, rt_error *err)
{
    const char *names[] = {"schema"};
    rt_value v = schema ? rt_value_text(schema, strlen(schema)) : rt_value_null();
    rt_result *r;
    int rc, oom = 0;
    const char *sql = schema ? "SELECT c.relname FROM pg_catalog.pg_class c JOIN "
                               "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE "
                               "n.nspname = :schema AND c.relkind IN ('r', 'p') "
                               "ORDER BY c.relname"
                             : "SELECT c.relname FROM pg_catalog.pg_class c JOIN "
                               "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE "
                               "n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
                               "ORDER BY c.relname";
    if (rt_schema_query(c, sql, names, &v, schema ? 1 : 0, &r, err) < 0)
        return -1;
    while ((rc = rt_result_next(r, err)) > 0) {
        char *name = rf_text(r, 0, &oom);
        oom = oom || rf_list_push(out, name) < 0;
        rt_free(name);
    }
    rt_result_free(r);
    return rc < 0 ? -1 : oom ? rt_error_oom(err) : 0;
}
