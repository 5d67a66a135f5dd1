/* schema_ops.c: running DDL: create_all / drop_all in foreign-key order with
 * checkfirst, single tables, indexes, sequences and PostgreSQL enum types,
 * and the existence checks they need.
 *
 * Everything goes through rt_conn_execute, so it is echoed and autocommits
 * (BEGIN (implicit) ... COMMIT) outside a transaction, exactly as a user's
 * own DDL does.  The checks are SQLAlchemy's: `PRAGMA main.table_info("t")`
 * on SQLite, pg_catalog queries with bound parameters on PostgreSQL.  The
 * statements themselves are rendered by core/sql/ddl.c; reflection is in
 * reflect.c. */
#include "engine_int.h"

#include <string.h>

#include "rt_expr.h"

static int is_sqlite(const rt_conn *c) { return c->engine->dialect == rt_dialect_sqlite(); }

int rt_schema_query(rt_conn *c, const char *sql, const char *const *names,
                    const rt_value *vals, size_t n, rt_result **out, rt_error *err)
{
    rt_compiled *cp = NULL;
    rt_result *r = NULL;
    rt_value params[8];
    rt_node *node = rt_text_new(sql, err);
    if (!node)
        return -1;
    int rc = rt_conn_compile(c, node, &cp, err);
    if (rc == 0 && cp->nslots > sizeof params / sizeof params[0])
        rc = rt_error_set(err, RT_ERR_INTERNAL, "too many parameters in a schema query");
    for (size_t i = 0; rc == 0 && i < cp->nslots; i++) {
        params[i] = rt_value_null();
        for (size_t j = 0; j < n; j++)
            if (strcmp(cp->slot_names[i], names[j]) == 0)
                params[i] = vals[j];
    }
    if (rc == 0)
        rc = rt_conn_execute(c, cp, params, cp->nslots ? 1 : 0, &r, err);
    if (rc == 0 && !out) {
        while ((rc = rt_result_next(r, err)) > 0)
            ;
        rc = rc < 0 ? -1 : 0;
        rt_result_free(r);
        r = NULL;
    }
    rt_compiled_release(cp);
    rt_node_release(node);
    if (out)
        *out = r;
    return rc;
}

/* Runs a query and reports whether it returned a row whose first value is not
 * false (EXISTS queries return one boolean row). */
static int query_exists(rt_conn *c, const char *sql, const char *const *names,
                        const rt_value *vals, size_t n, int *exists, rt_error *err)
{
    rt_result *r;
    if (rt_schema_query(c, sql, names, vals, n, &r, err) < 0)
        return -1;
    int rc = rt_result_next(r, err);
    *exists = 0;
    if (rc > 0) {
        rt_value v;
        rt_result_value(r, 0, &v);
        *exists = !(v.type == RT_BOOL && !v.u.b);
        while ((rc = rt_result_next(r, err)) > 0)
            ;
    }
    rt_result_free(r);
    return rc < 0 ? -1 : 0;
}

static rt_value text_value(const char *s) { return rt_value_text(s, strlen(s)); }

int rt_has_table(rt_conn *c, const char *name, const char *schema, int *exists, rt_error *err)
{
    if (is_sqlite(c)) {
        rt_buf b;
        rt_buf_init(&b);
        rt_buf_puts(&b, "PRAGMA ");
        if (schema)
            rt_dialect_quote(rt_dialect_sqlite(), &b, schema);
        rt_buf_puts(&b, schema ? ".table_info(\"" : "main.table_info(\"");
        for (const char *p = name; *p; p++) {
            if (*p == '"')
                rt_buf_putc(&b, '"');   /* always quoted, as SQLAlchemy does */
            rt_buf_putc(&b, *p);
        }
        rt_buf_puts(&b, "\")");
        if (b.failed)
            return rt_error_oom(err);
        int rc = query_exists(c, rt_buf_str(&b), NULL, NULL, 0, exists, err);
        rt_buf_free(&b);
        return rc;
    }
    const char *names[] = {"name", "schema"};
    rt_value vals[] = {text_value(name), schema ? text_value(schema) : rt_value_null()};
    return query_exists(c,
                        schema ? "select relname from pg_class c join pg_namespace n on "
                                 "n.oid=c.relnamespace where n.nspname=:schema and "
                                 "relname=:name"
                               : "select relname from pg_class c join pg_namespace n on "
                                 "n.oid=c.relnamespace where "
                                 "pg_catalog.pg_table_is_visible(c.oid) and relname=:name",
                        names, vals, 2, exists, err);
}

int rt_has_sequence(rt_conn *c, const rt_sequence *seq, int *exists, rt_error *err)
{
    const char *names[] = {"name", "schema"};
    rt_value vals[] = {text_value(seq->name),
                       seq->schema ? text_value(seq->schema) : rt_value_null()};
    *exists = 0;
    if (is_sqlite(c))
        return 0;
    return query_exists(c,
                        seq->schema ? "SELECT relname FROM pg_class c join pg_namespace n on "
                                      "n.oid=c.relnamespace where relkind='S' and "
                                      "n.nspname=:schema and relname=:name"
                                    : "SELECT relname FROM pg_class c join pg_namespace n on "
                                      "n.oid=c.relnamespace where relkind='S' and "
                                      "n.nspname=current_schema() and relname=:name",
                        names, vals, 2, exists, err);
}

int rt_has_type(rt_conn *c, const char *name, const char *schema, int *exists, rt_error *err)
{
    const char *names[] = {"typname", "nspname"};
    rt_value vals[] = {text_value(name), schema ? text_value(schema) : rt_value_null()};
    *exists = 0;
    if (is_sqlite(c))
        return 0;
    return query_exists(c,
                        schema ? "SELECT EXISTS (SELECT * FROM pg_catalog.pg_type t, "
                                 "pg_catalog.pg_namespace n WHERE t.typnamespace = n.oid AND "
                                 "t.typname = :typname AND n.nspname = :nspname)"
                               : "SELECT EXISTS (SELECT * FROM pg_catalog.pg_type t WHERE "
                                 "t.typname = :typname AND pg_type_is_visible(t.oid))",
                        names, vals, 2, exists, err);
}

/* Compiles and runs a DDL node (taking it), or fails with err. */
static int run(rt_conn *c, rt_node *n, rt_error *err)
{
    rt_compiled *cp;
    rt_result *r;
    if (!n)
        return -1;
    int rc = rt_conn_compile(c, n, &cp, err);
    if (rc == 0) {
        rc = rt_conn_execute(c, cp, NULL, 0, &r, err);
        if (rc == 0)
            rt_result_free(r);
        rt_compiled_release(cp);
    }
    rt_node_release(n);
    return rc;
}

/* === single objects === */

int rt_index_create(rt_conn *c, rt_index *ix, rt_error *err)
{
    return run(c, rt_create_index_new(ix, err), err);
}

int rt_index_drop(rt_conn *c, rt_index *ix, rt_error *err)
{
    return run(c, rt_drop_index_new(ix, err), err);
}

static int has_sequences(const rt_conn *c) { return !is_sqlite(c); }

int rt_sequence_create(rt_conn *c, const rt_sequence *seq, int checkfirst, rt_error *err)
{
    int exists = 0;
    if (!has_sequences(c) || (checkfirst && rt_has_sequence(c, seq, &exists, err) < 0))
        return has_sequences(c) ? -1 : 0;
    return exists ? 0 : run(c, rt_create_sequence_new(seq, err), err);
}

int rt_sequence_drop(rt_conn *c, const rt_sequence *seq, int checkfirst, rt_error *err)
{
    int exists = 1;
    if (!has_sequences(c) || (checkfirst && rt_has_sequence(c, seq, &exists, err) < 0))
        return has_sequences(c) ? -1 : 0;
    return exists ? run(c, rt_drop_sequence_new(seq, err), err) : 0;
}

/* The enum type of a column when the dialect creates it separately. */
static const rt_sqltype *native_enum(const rt_conn *c, const rt_column *col)
{
    const rt_sqltype *t = rt_type_base(col->type);
    if (is_sqlite(c) || !t || t->kind != RT_TYPE_ENUM || !t->native_enum || !t->enum_name)
        return NULL;
    return t;
}

int rt_enum_create(rt_conn *c, const rt_sqltype *t, int checkfirst, rt_error *err)
{
    int exists = 0;
    t = rt_type_base(t);
    if (is_sqlite(c) || !t || t->kind != RT_TYPE_ENUM || !t->native_enum)
        return 0;
    if (checkfirst && t->enum_name && rt_has_type(c, t->enum_name, NULL, &exists, err) < 0)
        return -1;
    return exists ? 0 : run(c, rt_create_enum_new(t, err), err);
}

int rt_enum_drop(rt_conn *c, const rt_sqltype *t, int checkfirst, rt_error *err)
{
    int exists = 1;
    t = rt_type_base(t);
    if (is_sqlite(c) || !t || t->kind != RT_TYPE_ENUM || !t->native_enum)
        return 0;
    if (checkfirst && t->enum_name && rt_has_type(c, t->enum_name, NULL, &exists, err) < 0)
        return -1;
    return exists ? run(c, rt_drop_enum_new(t, err), err) : 0;
}

/* Sequences to create for a table: non-optional ones (PostgreSQL makes the
 * optional ones unnecessary with SERIAL). */
static int table_sequences(rt_conn *c, rt_table *t, int create, int checkfirst, rt_error *err)
{
    for (size_t i = 0; i < t->ncols; i++) {
        const rt_sequence *s = t->columns[i]->sequence;
        if (!s || s->optional)
            continue;
        if ((create ? rt_sequence_create : rt_sequence_drop)(c, s, checkfirst, err) < 0)
            return -1;
    }
    return 0;
}

/* Every foreign key of t resolves in its MetaData (checked before any SQL). */
static int check_foreign_keys(const rt_table *t, rt_error *err)
{
    for (size_t i = 0; i < t->nconstraints; i++) {
        const rt_constraint *k = t->constraints[i];
        if (k->kind != RT_CONSTRAINT_FOREIGN_KEY)
            continue;
        for (size_t j = 0; j < k->ncols; j++)
            if (!rt_foreign_key_target(k, j, t->metadata, err))
                return -1;
    }
    return 0;
}

/* The use_alter foreign keys of t, added or dropped with ALTER TABLE. */
static int alter_foreign_keys(rt_conn *c, rt_table *t, int add, rt_error *err)
{
    if (is_sqlite(c))
        return 0;
    for (size_t i = 0; i < t->nconstraints; i++) {
        rt_constraint *k = t->constraints[i];
        if (k->kind != RT_CONSTRAINT_FOREIGN_KEY || !k->fk.use_alter)
            continue;
        rt_node *n = add ? rt_add_constraint_new(k, err) : rt_drop_constraint_new(k, err);
        if (run(c, n, err) < 0)
            return -1;
    }
    return 0;
}

/* CREATE TABLE and its indexes (enums, alter keys and checks are the caller's). */
static int create_one(rt_conn *c, rt_table *t, int checkfirst, rt_error *err)
{
    if (table_sequences(c, t, 1, checkfirst, err) < 0 ||
        run(c, rt_create_table_new(t, err), err) < 0)
        return -1;
    for (size_t i = 0; i < t->nindexes; i++)
        if (rt_index_create(c, t->indexes[i], err) < 0)
            return -1;
    return 0;
}

/* Creates (or drops) the distinct native enum types the tables use; for a
 * drop, `md` (when given) keeps types used by its other tables. */
static int table_enums(rt_conn *c, rt_table *const *ts, size_t n, int create, int checkfirst,
                       const rt_metadata *keep_used, rt_error *err)
{
    rt_map *done = rt_map_new(NULL);
    int rc = done ? 0 : rt_error_oom(err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (size_t j = 0; j < ts[i]->ncols && rc == 0; j++) {
            const rt_sqltype *e = native_enum(c, ts[i]->columns[j]);
            if (!e || rt_map_get(done, e->enum_name))
                continue;
            if (rt_map_set(done, e->enum_name, (void *)e) < 0) {
                rc = rt_error_oom(err);
                break;
            }
            int used = 0;
            for (size_t k = 0; keep_used && k < keep_used->ntables && !used; k++) {
                const rt_table *o = keep_used->tables[k];
                for (size_t m = 0; o != ts[i] && m < o->ncols && !used; m++) {
                    const rt_sqltype *oe = native_enum(c, o->columns[m]);
                    used = oe && strcmp(oe->enum_name, e->enum_name) == 0;
                }
            }
            if (!used)
                rc = (create ? rt_enum_create : rt_enum_drop)(c, e, checkfirst, err);
        }
    }
    rt_map_free(done);
    return rc;
}

int rt_table_create(rt_conn *c, rt_table *t, int checkfirst, rt_error *err)
{
    int exists = 0;
    if (check_foreign_keys(t, err) < 0)
        return -1;
    if (checkfirst && rt_has_table(c, t->name, t->schema, &exists, err) < 0)
        return -1;
    if (exists)
        return 0;
    if (table_enums(c, &t, 1, 1, checkfirst, NULL, err) < 0 ||
        create_one(c, t, checkfirst, err) < 0)
        return -1;
    return alter_foreign_keys(c, t, 1, err);
}

int rt_table_drop(rt_conn *c, rt_table *t, int checkfirst, rt_error *err)
{
    int exists = 1;
    if (checkfirst && rt_has_table(c, t->name, t->schema, &exists, err) < 0)
        return -1;
    if (!exists)
        return 0;
    if (alter_foreign_keys(c, t, 0, err) < 0 || run(c, rt_drop_table_new(t, err), err) < 0 ||
        table_sequences(c, t, 0, checkfirst, err) < 0)
        return -1;
    return table_enums(c, &t, 1, 0, checkfirst, t->metadata, err);
}

/* === create_all / drop_all === */

static int in_list(rt_table *t, rt_table *const *tables, size_t n)
{
    if (!tables)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (tables[i] == t)
            return 1;
    return 0;
}

/* The tables to work on, in dependency order (reversed for drop), keeping
 * those that exist (drop) or do not (create) when checkfirst. */
static int plan(rt_conn *c, rt_metadata *md, rt_table *const *tables, size_t n, int create,
                int checkfirst, rt_table ***out, size_t *nout, rt_error *err)
{
    rt_table **sorted, **keep;
    size_t ns, k = 0;
    if (rt_metadata_sorted_tables(md, &sorted, &ns, err) < 0)
        return -1;
    keep = rt_calloc(ns ? ns : 1, sizeof *keep);
    if (!keep) {
        rt_free(sorted);
        return rt_error_oom(err);
    }
    for (size_t i = 0; i < ns; i++) {
        rt_table *t = sorted[create ? i : ns - 1 - i];
        int exists = !create;
        if (!in_list(t, tables, n))
            continue;
        if ((create && check_foreign_keys(t, err) < 0) ||
            (checkfirst && rt_has_table(c, t->name, t->schema, &exists, err) < 0)) {
            rt_free(sorted);
            rt_free(keep);
            return -1;
        }
        if (exists != create)
            keep[k++] = t;
    }
    rt_free(sorted);
    *out = keep;
    *nout = k;
    return 0;
}

int rt_metadata_create_all(rt_conn *c, rt_metadata *md, rt_table *const *tables, size_t n,
                           int checkfirst, rt_error *err)
{
    rt_table **todo;
    size_t nt;
    int rc = 0;
    if (plan(c, md, tables, n, 1, checkfirst, &todo, &nt, err) < 0)
        return -1;
    rc = table_enums(c, todo, nt, 1, checkfirst, NULL, err);
    for (size_t i = 0; i < nt && rc == 0; i++)
        rc = create_one(c, todo[i], checkfirst, err);
    for (size_t i = 0; i < nt && rc == 0; i++)
        rc = alter_foreign_keys(c, todo[i], 1, err);
    rt_free(todo);
    return rc;
}

/* Names every use_alter key that would need DROP CONSTRAINT but has no name. */
static int check_droppable(const rt_conn *c, rt_table *const *ts, size_t n, rt_error *err)
{
    for (size_t i = 0; i < n && !is_sqlite(c); i++) {
        for (size_t j = 0; j < ts[i]->nconstraints; j++) {
            const rt_constraint *k = ts[i]->constraints[j];
            if (k->kind == RT_CONSTRAINT_FOREIGN_KEY && k->fk.use_alter && !k->name)
                return rt_error_set(err, RT_ERR_CIRCULAR,
                                    "Can't sort tables for DROP; an unresolvable foreign key "
                                    "dependency exists between tables: %s.  Please ensure "
                                    "that the ForeignKey and ForeignKeyConstraint objects "
                                    "involved in the cycle have names so that they can be "
                                    "dropped using DROP CONSTRAINT.", ts[i]->fullname);
        }
    }
    return 0;
}

int rt_metadata_drop_all(rt_conn *c, rt_metadata *md, rt_table *const *tables, size_t n,
                         int checkfirst, rt_error *err)
{
    rt_table **todo;
    size_t nt;
    if (plan(c, md, tables, n, 0, checkfirst, &todo, &nt, err) < 0)
        return -1;
    int rc = check_droppable(c, todo, nt, err);
    for (size_t i = 0; i < nt && rc == 0; i++)
        rc = alter_foreign_keys(c, todo[i], 0, err);
    for (size_t i = 0; i < nt && rc == 0; i++) {
        rc = run(c, rt_drop_table_new(todo[i], err), err);
        if (rc == 0)
            rc = table_sequences(c, todo[i], 0, checkfirst, err);
    }
    if (rc == 0)
        rc = table_enums(c, todo, nt, 0, checkfirst, NULL, err);
    rt_free(todo);
    return rc;
}
