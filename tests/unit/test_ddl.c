/* test_ddl.c: DDL rendering (core/sql/ddl.c) pinned per dialect: type
 * spellings, CREATE TABLE with one element per line (columns with DEFAULT
 * and NOT NULL, PRIMARY KEY, FOREIGN KEY with actions, UNIQUE, CHECK, the
 * Enum CHECK where enums are not native), SERIAL keys on PostgreSQL, quoting,
 * indexes, sequences, enum types, ALTER TABLE for use_alter keys, and the
 * compile errors for a column without a type or an unknown FK table.  Then,
 * on SQLite, running it (core/engine/schema_ops.c): create_all's echo with
 * its existence checks, errors before any SQL, and reflection of what was
 * created (reflect.c, reflect_sqlite.c), also under failing allocations. */
#include "rt_expr.h"

#include <criterion/criterion.h>

#include <string.h>

static rt_error err;
static rt_metadata *md;

static void setup(void)
{
    rt_error_init(&err);
    md = rt_metadata_new();
}

static void teardown(void)
{
    rt_metadata_release(md);
    rt_error_clear(&err);
}

TestSuite(types, .init = setup, .fini = teardown);
TestSuite(create, .init = setup, .fini = teardown);
TestSuite(other, .init = setup, .fini = teardown);

#define SQLITE rt_dialect_sqlite()
#define PG rt_dialect_postgresql()
#define GENERIC rt_dialect_default()

static rt_column *column(rt_table *t, const char *name, rt_typekind k, int length)
{
    rt_sqltype *ty = rt_type_new(k);
    ty->length = length;
    rt_column *c = rt_column_new(name, ty);
    rt_type_release(ty);
    if (t)
        cr_assert_eq(rt_table_add_column(t, c, &err), 0, "%s", err.message);
    return c;
}

static void check_type(const rt_dialect *d, rt_sqltype *t, const char *want)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_type_ddl(d, t, &b);
    cr_assert_str_eq(rt_buf_str(&b), want, "in %s", rt_dialect_name(d));
    rt_buf_free(&b);
}

/* Compiles n for d, checks the SQL, and releases n. */
static void check_sql(rt_node *n, const rt_dialect *d, const char *want)
{
    rt_compiled *c;
    cr_assert_not_null(n, "%s", err.message);
    cr_assert_eq(rt_compile(n, d, &c, &err), 0, "%s", err.message);
    cr_assert_str_eq(c->sql, want, "in %s", rt_dialect_name(d));
    cr_assert(c->autocommit);
    cr_assert_eq(c->nslots, 0);
    rt_compiled_release(c);
    rt_node_release(n);
}

static void check_fails(rt_node *n, const rt_dialect *d, const char *msg)
{
    rt_compiled *c = NULL;
    cr_assert_eq(rt_compile(n, d, &c, &err), -1);
    cr_assert(strstr(err.message, msg), "'%s' lacks '%s'", err.message, msg);
    rt_error_clear(&err);
    rt_node_release(n);
}

Test(types, spellings_per_dialect)
{
    static const struct {
        rt_typekind kind;
        int length, tz;
        const char *generic, *pg;
    } cases[] = {
        {RT_TYPE_INTEGER, -1, 0, "INTEGER", "INTEGER"},
        {RT_TYPE_BIGINT, -1, 0, "BIGINT", "BIGINT"},
        {RT_TYPE_STRING, 50, 0, "VARCHAR(50)", "VARCHAR(50)"},
        {RT_TYPE_STRING, -1, 0, "VARCHAR", "VARCHAR"},
        {RT_TYPE_UNICODE_TEXT, -1, 0, "TEXT", "TEXT"},
        {RT_TYPE_DATETIME, -1, 0, "DATETIME", "TIMESTAMP WITHOUT TIME ZONE"},
        {RT_TYPE_DATETIME, -1, 1, "DATETIME", "TIMESTAMP WITH TIME ZONE"},
        {RT_TYPE_TIME, -1, 0, "TIME", "TIME WITHOUT TIME ZONE"},
        {RT_TYPE_INTERVAL, -1, 0, "DATETIME", "INTERVAL"},
        {RT_TYPE_LARGEBINARY, -1, 0, "BLOB", "BYTEA"},
        {RT_TYPE_BOOLEAN, -1, 0, "BOOLEAN", "BOOLEAN"},
        {RT_TYPE_JSON, -1, 0, "JSON", "JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_sqltype *t = rt_type_new(cases[i].kind);
        t->length = cases[i].length;
        t->timezone = cases[i].tz;
        check_type(GENERIC, t, cases[i].generic);
        check_type(SQLITE, t, cases[i].generic);
        check_type(PG, t, cases[i].pg);
        rt_type_release(t);
    }
}

Test(types, sql_spellings_and_arguments)
{
    rt_sqltype *t = rt_type_new(RT_TYPE_NUMERIC);
    t->precision = 10;
    t->scale = 2;
    check_type(SQLITE, t, "NUMERIC(10, 2)");
    rt_type_set_sqlname(t, "DECIMAL");
    check_type(PG, t, "DECIMAL(10, 2)");
    rt_type_release(t);
    t = rt_type_new(RT_TYPE_DATETIME);
    rt_type_set_sqlname(t, "DATETIME");
    check_type(SQLITE, t, "DATETIME");
    check_type(PG, t, "TIMESTAMP WITHOUT TIME ZONE");
    rt_type_release(t);
    t = rt_type_new(RT_TYPE_STRING);
    rt_type_set_sqlname(t, "CHAR");
    t->length = 3;
    check_type(PG, t, "CHAR(3)");
    rt_type_release(t);
    t = rt_type_new(RT_TYPE_ENUM);
    const char *labels[] = {"sad", "happy"};
    rt_type_set_enum(t, labels, 2, "Mood");
    check_type(SQLITE, t, "VARCHAR(5)");
    check_type(PG, t, "\"Mood\"");
    rt_type_release(t);
}

static rt_table *users(void)
{
    rt_table *t = rt_metadata_add_table(md, "users", NULL, &err);
    rt_column *id = column(NULL, "id", RT_TYPE_INTEGER, -1);
    id->primary_key = 1;
    cr_assert_eq(rt_table_add_column(t, id, &err), 0);
    rt_column *name = column(NULL, "name", RT_TYPE_STRING, 50);
    name->nullable = 0;
    cr_assert_eq(rt_table_add_column(t, name, &err), 0);
    column(t, "fullname", RT_TYPE_STRING, -1);
    return t;
}

Test(create, simple_table_in_every_dialect)
{
    rt_table *t = users();
    const char *want = "CREATE TABLE users (\n"
                       "\tid INTEGER NOT NULL,\n"
                       "\tname VARCHAR(50) NOT NULL,\n"
                       "\tfullname VARCHAR,\n"
                       "\tPRIMARY KEY (id)\n"
                       ")";
    check_sql(rt_create_table_new(t, &err), SQLITE, want);
    check_sql(rt_create_table_new(t, &err), GENERIC, want);
    check_sql(rt_create_table_new(t, &err), PG,
              "CREATE TABLE users (\n"
              "\tid SERIAL NOT NULL,\n"
              "\tname VARCHAR(50) NOT NULL,\n"
              "\tfullname VARCHAR,\n"
              "\tPRIMARY KEY (id)\n"
              ")");
    check_sql(rt_drop_table_new(t, &err), PG, "DROP TABLE users");
}

Test(create, constraints_defaults_and_quoting)
{
    users();
    rt_table *t = rt_metadata_add_table(md, "Addresses", NULL, &err);
    rt_column *id = column(NULL, "id", RT_TYPE_BIGINT, -1);
    id->primary_key = 1;
    rt_table_add_column(t, id, &err);
    rt_column *uid = column(NULL, "user_id", RT_TYPE_INTEGER, -1);
    rt_fk_options o = {.ondelete = "CASCADE", .onupdate = "SET NULL"};
    rt_column_add_foreign_key(uid, "users.id", &o, &err);
    rt_table_add_column(t, uid, &err);
    rt_column *email = column(NULL, "order", RT_TYPE_STRING, 100);
    rt_default_set_text(&email->server_default, "it's");
    email->unique = 1;
    rt_table_add_column(t, email, &err);
    rt_constraint *ck = rt_table_add_constraint(t, RT_CONSTRAINT_CHECK, "positive", NULL, 0,
                                                NULL, &err);
    rt_constraint_set_check(ck, "id > 0", NULL, &err);
    check_sql(rt_create_table_new(t, &err), SQLITE,
              "CREATE TABLE \"Addresses\" (\n"
              "\tid BIGINT NOT NULL,\n"
              "\tuser_id INTEGER,\n"
              "\t\"order\" VARCHAR(100) DEFAULT 'it''s',\n"
              "\tPRIMARY KEY (id),\n"
              "\tFOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE ON UPDATE SET NULL,\n"
              "\tUNIQUE (\"order\"),\n"
              "\tCONSTRAINT positive CHECK (id > 0)\n"
              ")");
    check_sql(rt_create_table_new(t, &err), PG,
              "CREATE TABLE \"Addresses\" (\n"
              "\tid BIGSERIAL NOT NULL,\n"
              "\tuser_id INTEGER,\n"
              "\t\"order\" VARCHAR(100) DEFAULT 'it''s',\n"
              "\tPRIMARY KEY (id),\n"
              "\tFOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE ON UPDATE SET NULL,\n"
              "\tUNIQUE (\"order\"),\n"
              "\tCONSTRAINT positive CHECK (id > 0)\n"
              ")");
}

Test(create, enum_check_only_without_native_enums)
{
    rt_table *t = rt_metadata_add_table(md, "people", "app", &err);
    rt_sqltype *mood = rt_type_new(RT_TYPE_ENUM);
    const char *labels[] = {"sad", "ok", "happy"};
    rt_type_set_enum(mood, labels, 3, "mood");
    rt_column *c = rt_column_new("mood", mood);
    rt_type_release(mood);
    c->nullable = 0;
    cr_assert_eq(rt_table_add_column(t, c, &err), 0);
    check_sql(rt_create_table_new(t, &err), SQLITE,
              "CREATE TABLE app.people (\n"
              "\tmood VARCHAR(5) NOT NULL,\n"
              "\tCONSTRAINT mood CHECK (mood IN ('sad', 'ok', 'happy'))\n"
              ")");
    check_sql(rt_create_table_new(t, &err), PG,
              "CREATE TABLE app.people (\n"
              "\tmood mood NOT NULL\n"
              ")");
    check_sql(rt_create_enum_new(c->type, &err), PG,
              "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    check_sql(rt_drop_enum_new(c->type, &err), PG, "DROP TYPE mood");
}

Test(create, composite_keys_and_sequence_columns)
{
    rt_table *t = rt_metadata_add_table(md, "items", NULL, &err);
    rt_column *a = column(NULL, "a", RT_TYPE_INTEGER, -1);
    a->primary_key = 1;
    a->sequence = rt_sequence_new("items_seq", NULL);
    rt_table_add_column(t, a, &err);
    rt_column *b = column(NULL, "b", RT_TYPE_INTEGER, -1);
    b->primary_key = 1;
    rt_table_add_column(t, b, &err);
    check_sql(rt_create_table_new(t, &err), PG,
              "CREATE TABLE items (\n"
              "\ta INTEGER NOT NULL,\n"
              "\tb INTEGER NOT NULL,\n"
              "\tPRIMARY KEY (a, b)\n"
              ")");
    a->sequence->has_start = 1;
    a->sequence->start = 5;
    a->sequence->has_increment = 1;
    a->sequence->increment = 2;
    check_sql(rt_create_sequence_new(a->sequence, &err), PG,
              "CREATE SEQUENCE items_seq INCREMENT BY 2 START WITH 5");
    check_sql(rt_drop_sequence_new(a->sequence, &err), PG, "DROP SEQUENCE items_seq");
}

Test(create, errors_for_missing_type_and_table)
{
    rt_table *t = rt_metadata_add_table(md, "posts", NULL, &err);
    rt_column *c = rt_column_new("author_id", NULL);
    rt_column_add_foreign_key(c, "authors.id", NULL, &err);
    rt_table_add_column(t, c, &err);
    check_fails(rt_create_table_new(t, &err), SQLITE, "Can't generate DDL for NullType()");
    c->type = rt_type_new(RT_TYPE_INTEGER);
    check_fails(rt_create_table_new(t, &err), SQLITE, "could not find table 'authors'");
}

Test(other, indexes_and_alter_constraints)
{
    users();
    rt_table *t = rt_metadata_add_table(md, "a", NULL, &err);
    rt_column *c = column(NULL, "user_id", RT_TYPE_INTEGER, -1);
    rt_fk_options o = {.name = "fk_user", .use_alter = 1};
    rt_column_add_foreign_key(c, "users.id", &o, &err);
    c->index = 1;
    rt_table_add_column(t, c, &err);
    cr_assert_eq(t->nindexes, 1);
    check_sql(rt_create_index_new(t->indexes[0], &err), SQLITE,
              "CREATE INDEX ix_a_user_id ON a (user_id)");
    check_sql(rt_drop_index_new(t->indexes[0], &err), PG, "DROP INDEX ix_a_user_id");
    check_sql(rt_create_table_new(t, &err), PG, "CREATE TABLE a (\n\tuser_id INTEGER\n)");
    check_sql(rt_create_table_new(t, &err), SQLITE,
              "CREATE TABLE a (\n"
              "\tuser_id INTEGER,\n"
              "\tCONSTRAINT fk_user FOREIGN KEY(user_id) REFERENCES users (id)\n"
              ")");
    check_sql(rt_add_constraint_new(t->constraints[1], &err), PG,
              "ALTER TABLE a ADD CONSTRAINT fk_user FOREIGN KEY(user_id) REFERENCES users (id)");
    check_sql(rt_drop_constraint_new(t->constraints[1], &err), PG,
              "ALTER TABLE a DROP CONSTRAINT fk_user");
    const char *keys[] = {"user_id"};
    rt_index *ix = rt_table_add_index(t, "uq_a", keys, 1, 1, &err);
    check_sql(rt_create_index_new(ix, &err), PG, "CREATE UNIQUE INDEX uq_a ON a (user_id)");
}

/* === running DDL and reflecting, on SQLite (core/engine/schema_ops.c,
 * reflect.c, reflect_sqlite.c) === */

#include "rt_engine.h"

static rt_engine *engine;
static rt_conn *conn;
static rt_buf echo;

static void sink(void *ctx, const char *line)
{
    (void)ctx;
    rt_buf_puts(&echo, line);
    rt_buf_putc(&echo, '\n');
}

static void db_setup(void)
{
    rt_engine_options o;
    setup();
    rt_buf_init(&echo);
    rt_engine_options_init(&o);
    cr_assert_eq(rt_engine_create("sqlite://", &o, &engine, &err), 0);
    rt_engine_set_echo_sink(engine, sink, NULL);
    cr_assert_eq(rt_engine_connect(engine, &conn, &err), 0);
}

static void db_teardown(void)
{
    rt_conn_free(conn);
    rt_engine_release(engine);
    rt_buf_free(&echo);
    teardown();
}

TestSuite(ops, .init = db_setup, .fini = db_teardown);

/* users and addresses (with an FK, a unique constraint and an index) */
static void two_tables(void)
{
    rt_table *u = users();
    (void)u;
    rt_table *a = rt_metadata_add_table(md, "addresses", NULL, &err);
    rt_column *id = column(NULL, "id", RT_TYPE_INTEGER, -1);
    id->primary_key = 1;
    rt_table_add_column(a, id, &err);
    rt_column *uid = column(NULL, "user_id", RT_TYPE_INTEGER, -1);
    rt_fk_options o = {.ondelete = "CASCADE"};
    rt_column_add_foreign_key(uid, "users.id", &o, &err);
    uid->index = 1;
    rt_table_add_column(a, uid, &err);
}

static void expect_echo(const char *want)
{
    cr_assert_str_eq(rt_buf_str(&echo), want);
    rt_buf_reset(&echo);
}

Test(ops, create_all_checks_then_creates_in_order)
{
    two_tables();
    rt_engine_set_echo(engine, 1);
    cr_assert_eq(rt_metadata_create_all(conn, md, NULL, 0, 1, &err), 0, "%s", err.message);
    expect_echo("PRAGMA main.table_info(\"users\")\n()\n"
                "PRAGMA main.table_info(\"addresses\")\n()\n"
                "BEGIN (implicit)\n"
                "CREATE TABLE users (\n\tid INTEGER NOT NULL,\n\tname VARCHAR(50) NOT NULL,\n"
                "\tfullname VARCHAR,\n\tPRIMARY KEY (id)\n)\n()\nCOMMIT\n"
                "BEGIN (implicit)\n"
                "CREATE TABLE addresses (\n\tid INTEGER NOT NULL,\n\tuser_id INTEGER,\n"
                "\tPRIMARY KEY (id),\n"
                "\tFOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE\n)\n()\nCOMMIT\n"
                "BEGIN (implicit)\n"
                "CREATE INDEX ix_addresses_user_id ON addresses (user_id)\n()\nCOMMIT\n");
    cr_assert_eq(rt_metadata_create_all(conn, md, NULL, 0, 1, &err), 0);
    expect_echo("PRAGMA main.table_info(\"users\")\n()\n"
                "PRAGMA main.table_info(\"addresses\")\n()\n");
    int exists = 0;
    cr_assert_eq(rt_has_table(conn, "addresses", NULL, &exists, &err), 0);
    cr_assert(exists);
    rt_buf_reset(&echo);
    cr_assert_eq(rt_metadata_drop_all(conn, md, NULL, 0, 0, &err), 0);
    expect_echo("BEGIN (implicit)\nDROP TABLE addresses\n()\nCOMMIT\n"
                "BEGIN (implicit)\nDROP TABLE users\n()\nCOMMIT\n");
    cr_assert_eq(rt_has_table(conn, "addresses", NULL, &exists, &err), 0);
    cr_assert_not(exists);
}

Test(ops, unknown_fk_table_fails_before_any_sql)
{
    rt_table *t = rt_metadata_add_table(md, "posts", NULL, &err);
    rt_column *c = column(NULL, "author_id", RT_TYPE_INTEGER, -1);
    rt_column_add_foreign_key(c, "authors.id", NULL, &err);
    rt_table_add_column(t, c, &err);
    rt_engine_set_echo(engine, 1);
    cr_assert_eq(rt_metadata_create_all(conn, md, NULL, 0, 1, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_INVALID_REQUEST);
    cr_assert(strstr(err.message, "could not find table 'authors'"));
    cr_assert_eq(rt_table_create(conn, t, 0, &err), -1);
    expect_echo("");
}

Test(ops, reflect_what_was_created)
{
    two_tables();
    cr_assert_eq(rt_metadata_create_all(conn, md, NULL, 0, 0, &err), 0);
    rt_metadata *m2 = rt_metadata_new();
    rt_table *a;
    cr_assert_eq(rt_reflect_table(conn, m2, "addresses", NULL, 1, &a, &err), 0, "%s",
                 err.message);
    cr_assert_eq(m2->ntables, 2);
    cr_assert_eq(a->ncols, 2);
    cr_assert_eq(rt_table_primary_key(a)->ncols, 1);
    cr_assert_eq(a->nconstraints, 2);
    cr_assert_str_eq(a->constraints[1]->fk.targets[0], "users.id");
    cr_assert_str_eq(a->constraints[1]->fk.ondelete, "CASCADE");
    cr_assert_eq(a->nindexes, 1);
    cr_assert_str_eq(a->indexes[0]->name, "ix_addresses_user_id");
    rt_table *u = rt_metadata_table(m2, "users");
    cr_assert_not_null(u);
    cr_assert_eq(rt_foreign_key_table(a->constraints[1], m2, &err), u);
    rt_column *name = rt_table_column(u, "name");
    cr_assert_eq(name->type->kind, RT_TYPE_STRING);
    cr_assert_eq(name->type->length, 50);
    cr_assert_eq(rt_column_nullable(name), 0);
    cr_assert(rt_column_autoincrements(rt_table_column(u, "id")));
    cr_assert_eq(rt_reflect_table(conn, m2, "nope", NULL, 1, NULL, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_NO_SUCH_TABLE);
    cr_assert_str_eq(err.message, "nope");
    cr_assert_null(rt_metadata_table(m2, "nope"));
    rt_error_clear(&err);
    char **names;
    size_t n;
    cr_assert_eq(rt_reflect_table_names(conn, NULL, &names, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(names[0], "addresses");
    rt_reflect_names_free(names, n);
    rt_metadata_release(m2);
}

Test(ops, failed_allocations_while_reflecting)
{
    two_tables();
    cr_assert_eq(rt_metadata_create_all(conn, md, NULL, 0, 0, &err), 0);
    for (long k = 1; k < 300; k++) {
        rt_metadata *m2 = rt_metadata_new();
        rt_alloc_fail_after(k);
        int rc = m2 ? rt_metadata_reflect(conn, m2, NULL, NULL, 0, &err) : -1;
        rt_alloc_fail_after(0);
        rt_error_clear(&err);
        if (rc == 0)
            cr_assert_eq(m2->ntables, 2);
        rt_metadata_release(m2);
    }
}
