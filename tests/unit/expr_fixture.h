/* expr_fixture.h: what the expression-language tests (test_expr_*.c) share:
 * a MetaData with the tables of SQLAlchemy's tutorials (users, addresses)
 * and a few more for defaults, sequences, quoting and ambiguous joins; a
 * pool that releases every node a test makes; short builders; and the
 * check that pins a statement's SQL and slot names for one dialect.
 * Included by each test file (one executable each); not a test itself. */
#ifndef EXPR_FIXTURE_H
#define EXPR_FIXTURE_H

#include "rt_expr.h"

#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FX static __attribute__((unused))

static rt_error err;
static rt_metadata *md;
FX rt_node *pool[4096];
FX size_t npool;
FX rt_node *users, *addresses, *orders, *items, *seqt, *quoted, *pairs, *nodes_t;

#define SQLITE rt_dialect_sqlite()
#define PG rt_dialect_postgresql()
#define GENERIC rt_dialect_default()

/* Registers a new reference for release at teardown; fails the test on NULL. */
FX rt_node *keep_at(rt_node *n, int line)
{
    cr_assert_not_null(n, "line %d: %s", line, err.message ? err.message : "(no message)");
    cr_assert_lt(npool, sizeof pool / sizeof pool[0]);
    pool[npool++] = n;
    return n;
}
#define K(x) keep_at((x), __LINE__)

FX rt_column *add_col(rt_table *t, const char *name, rt_typekind k, int length, int pk,
                          const char *fk)
{
    rt_sqltype *ty = rt_type_new(k);
    ty->length = length;
    rt_column *c = rt_column_new(name, ty);
    rt_type_release(ty);
    c->primary_key = pk;
    if (fk)
        cr_assert_eq(rt_column_add_foreign_key(c, fk, NULL, &err), 0);
    cr_assert_eq(rt_table_add_column(t, c, &err), 0, "%s", err.message);
    return c;
}

FX rt_table *new_table(const char *name)
{
    rt_table *t = rt_metadata_add_table(md, name, NULL, &err);
    cr_assert_not_null(t, "%s", err.message);
    return t;
}

FX rt_node *tnode(rt_table *t) { return K(rt_table_node(t, &err)); }

FX void make_tables(void)
{
    rt_table *t = new_table("users");
    add_col(t, "id", RT_TYPE_INTEGER, -1, 1, NULL);
    add_col(t, "name", RT_TYPE_STRING, 50, 0, NULL);
    add_col(t, "fullname", RT_TYPE_STRING, -1, 0, NULL);
    users = tnode(t);

    t = new_table("addresses");
    add_col(t, "id", RT_TYPE_INTEGER, -1, 1, NULL);
    add_col(t, "user_id", RT_TYPE_INTEGER, -1, 0, "users.id");
    add_col(t, "email_address", RT_TYPE_STRING, 100, 0, NULL);
    addresses = tnode(t);

    t = new_table("orders");   /* two foreign keys to users: ambiguous joins */
    add_col(t, "id", RT_TYPE_INTEGER, -1, 1, NULL);
    add_col(t, "buyer_id", RT_TYPE_INTEGER, -1, 0, "users.id");
    add_col(t, "seller_id", RT_TYPE_INTEGER, -1, 0, "users.id");
    orders = tnode(t);

    t = new_table("items");    /* client-side defaults of every kind */
    add_col(t, "id", RT_TYPE_INTEGER, -1, 1, NULL);
    add_col(t, "name", RT_TYPE_STRING, 20, 0, NULL);
    rt_column *qty = add_col(t, "qty", RT_TYPE_INTEGER, -1, 0, NULL);
    rt_value one = rt_value_int(1);
    cr_assert_eq(rt_default_set_scalar(&qty->default_, &one), 0);
    rt_column *stamp = add_col(t, "stamp", RT_TYPE_DATETIME, -1, 0, NULL);
    rt_node *now = rt_func_new("now", NULL, 0, NULL, &err);
    rt_exprref_set_node(&stamp->default_.expr, now);
    rt_exprref_set_node(&stamp->onupdate.expr, now);
    stamp->default_.kind = stamp->onupdate.kind = RT_DEFAULT_EXPR;
    rt_node_release(now);
    rt_column *by = add_col(t, "who", RT_TYPE_STRING, 20, 0, NULL);
    by->default_.kind = by->onupdate.kind = RT_DEFAULT_CALLABLE;
    rt_column *made = add_col(t, "made", RT_TYPE_DATETIME, -1, 0, NULL);
    rt_node *ts = rt_func_new("current_timestamp", NULL, 0, NULL, &err);
    rt_exprref_set_node(&made->server_default.expr, ts);
    made->server_default.kind = RT_DEFAULT_EXPR;
    rt_node_release(ts);
    items = tnode(t);

    t = new_table("seqt");     /* a Sequence on the key */
    rt_column *sid = add_col(t, "id", RT_TYPE_INTEGER, -1, 1, NULL);
    sid->sequence = rt_sequence_new("seqt_id_seq", NULL);
    add_col(t, "x", RT_TYPE_INTEGER, -1, 0, NULL);
    seqt = tnode(t);

    t = new_table("User");     /* names that need quoting */
    add_col(t, "Id", RT_TYPE_INTEGER, -1, 1, NULL);
    add_col(t, "order", RT_TYPE_STRING, 10, 0, NULL);
    quoted = tnode(t);

    t = new_table("pairs");    /* a composite primary key */
    add_col(t, "a", RT_TYPE_INTEGER, -1, 1, NULL);
    add_col(t, "b", RT_TYPE_INTEGER, -1, 1, NULL);
    add_col(t, "v", RT_TYPE_TEXT, -1, 0, NULL);
    pairs = tnode(t);

    t = new_table("nodes");    /* self-referential */
    add_col(t, "id", RT_TYPE_INTEGER, -1, 1, NULL);
    add_col(t, "parent_id", RT_TYPE_INTEGER, -1, 0, "nodes.id");
    add_col(t, "label", RT_TYPE_STRING, 20, 0, NULL);
    nodes_t = tnode(t);
}

FX void setup(void)
{
    rt_error_init(&err);
    md = rt_metadata_new();
    npool = 0;
    make_tables();
}

FX void teardown(void)
{
    while (npool)
        rt_node_release(pool[--npool]);
    rt_sql_cache_clear();
    rt_metadata_release(md);
    rt_error_clear(&err);
}

/* === builders (every result kept in the pool) === */

FX rt_node *C(rt_node *from, const char *key)
{
    rt_node *c = rt_from_column_by_key(from, key, &err);
    cr_assert_not_null(c, "no column '%s'", key);
    return K(c);
}

FX rt_node *S(const char *s)
{
    rt_value v = rt_value_text(s, strlen(s));
    return K(rt_bind_new(NULL, &v, NULL, &err));
}

FX rt_node *I(int64_t i)
{
    rt_value v = rt_value_int(i);
    return K(rt_bind_new(NULL, &v, NULL, &err));
}

FX rt_node *P(const char *name) { return K(rt_bind_new(name, NULL, NULL, &err)); }

FX rt_node *B(rt_node *l, rt_binop op, rt_node *r) { return K(rt_binary_new(l, op, r, NULL, &err)); }
#define EQ(a, b) B(a, RT_OP_EQ, b)
#define NE(a, b) B(a, RT_OP_NE, b)
#define LT(a, b) B(a, RT_OP_LT, b)
#define GT(a, b) B(a, RT_OP_GT, b)
FX rt_node *U(rt_unop op, rt_node *x) { return K(rt_unary_new(op, x, &err)); }
#define NOT(x) U(RT_UOP_NOT, x)
#define DESC(x) U(RT_UOP_DESC, x)
#define ASC(x) U(RT_UOP_ASC, x)

/* Arrays from variadic node arguments ending in NULL. */
FX size_t collect(rt_node **out, va_list ap)
{
    size_t n = 0;
    for (rt_node *x; (x = va_arg(ap, rt_node *));)
        out[n++] = x;
    return n;
}

FX rt_node *list(rt_listop op, ...)
{
    rt_node *a[64];
    va_list ap;
    va_start(ap, op);
    size_t n = collect(a, ap);
    va_end(ap);
    return K(rt_list_new(op, a, n, &err));
}
#define AND(...) list(RT_LIST_AND, __VA_ARGS__, NULL)
#define OR(...) list(RT_LIST_OR, __VA_ARGS__, NULL)
#define TUPLE(...) list(RT_LIST_COMMA, __VA_ARGS__, NULL)

FX rt_node *func(const char *name, ...)
{
    rt_node *a[16];
    va_list ap;
    va_start(ap, name);
    size_t n = collect(a, ap);
    va_end(ap);
    return K(rt_func_new(name, a, n, NULL, &err));
}
#define F(name, ...) func(name, ##__VA_ARGS__, NULL)

FX rt_node *select_(int dummy, ...)
{
    rt_node *a[64];
    va_list ap;
    va_start(ap, dummy);
    size_t n = collect(a, ap);
    va_end(ap);
    return K(rt_select_new(a, n, &err));
}
#define SELECT(...) select_(0, ##__VA_ARGS__, NULL)

FX rt_node *WHERE(rt_node *s, rt_node *c) { return K(rt_select_where(s, c, &err)); }

FX rt_node *items_call(rt_node *(*fn)(rt_node *, rt_node *const *, size_t, rt_error *),
                           rt_node *s, ...)
{
    rt_node *a[16];
    va_list ap;
    va_start(ap, s);
    size_t n = collect(a, ap);
    va_end(ap);
    return K(fn(s, a, n, &err));
}
#define ORDER_BY(s, ...) items_call(rt_select_order_by, s, __VA_ARGS__, NULL)
#define GROUP_BY(s, ...) items_call(rt_select_group_by, s, __VA_ARGS__, NULL)
#define CORRELATE(s, ...) items_call(rt_select_correlate, s, ##__VA_ARGS__, NULL)
#define RETURNING(s, ...) items_call(rt_dml_returning, s, __VA_ARGS__, NULL)
#define ADD_COLUMNS(s, ...) items_call(rt_select_add_columns, s, __VA_ARGS__, NULL)

FX rt_node *compound(rt_compound_op op, ...)
{
    rt_node *a[16];
    va_list ap;
    va_start(ap, op);
    size_t n = collect(a, ap);
    va_end(ap);
    return K(rt_compound_new(op, a, n, &err));
}
#define UNION(...) compound(RT_UNION, __VA_ARGS__, NULL)
#define UNION_ALL(...) compound(RT_UNION_ALL, __VA_ARGS__, NULL)

FX rt_node *LABEL(rt_node *e, const char *name) { return K(rt_label_new(e, name, &err)); }
FX rt_node *LIMIT(rt_node *s, int64_t n) { return K(rt_select_limit(s, I(n), &err)); }
FX rt_node *OFFSET(rt_node *s, int64_t n) { return K(rt_select_offset(s, I(n), &err)); }
FX rt_node *ALIAS(rt_node *f, const char *name) { return K(rt_alias_new(f, name, &err)); }
FX rt_node *JOIN(rt_node *l, rt_node *r, rt_node *on)
{
    return K(rt_join_new(l, r, on, 0, 0, &err));
}
FX rt_node *OUTERJOIN(rt_node *l, rt_node *r, rt_node *on)
{
    return K(rt_join_new(l, r, on, 1, 0, &err));
}
FX rt_node *FROM(rt_node *s, rt_node *f) { return K(rt_select_from(s, f, &err)); }
FX rt_node *SCALAR(rt_node *s) { return K(rt_scalar_subquery_new(s, &err)); }
FX rt_node *EXISTS(rt_node *s) { return K(rt_exists_new(s, &err)); }
FX rt_node *LIT(const char *text) { return K(rt_literal_column_new(text, NULL, &err)); }

/* values({k1 = v1, ...}) for one row: keys and values alternate, NULL ends. */
FX rt_node *VALUES(rt_node *stmt, ...)
{
    const char *keys[16];
    rt_node *vals[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, stmt);
    for (const char *k; (k = va_arg(ap, const char *));) {
        keys[n] = k;
        vals[n++] = va_arg(ap, rt_node *);
    }
    va_end(ap);
    return K(rt_dml_values(stmt, keys, vals, n, 1, &err));
}

/* === checks === */

/* Slot names joined with commas. */
FX void slot_list(const rt_compiled *c, char *out, size_t max)
{
    out[0] = '\0';
    for (size_t i = 0; i < c->nslots; i++) {
        if (i)
            strncat(out, ",", max - strlen(out) - 1);
        strncat(out, c->slot_names[i], max - strlen(out) - 1);
    }
}

/* Compiles n for d (with keys when given), checks the SQL and the slot
 * names ("name_1,param_1"), and returns the compiled statement (released at
 * teardown with its node). */
FX rt_compiled *check_keys(rt_node *n, const rt_dialect *d, const char *const *keys,
                               size_t nkeys, const char *sql, const char *slots, int line)
{
    rt_compiled *c = NULL;
    cr_assert_not_null(n, "line %d: %s", line, err.message);
    int rc = keys ? rt_compile_keys(n, d, keys, nkeys, &c, &err) : rt_compile(n, d, &c, &err);
    cr_assert_eq(rc, 0, "line %d: %s", line, err.message);
    cr_assert_str_eq(c->sql, sql, "line %d (%s): got\n%s\nwant\n%s", line, rt_dialect_name(d),
                     c->sql, sql);
    char got[1024];
    slot_list(c, got, sizeof got);
    cr_assert_str_eq(got, slots, "line %d (%s): slots %s, want %s", line, rt_dialect_name(d),
                     got, slots);
    rt_compiled_release(c);   /* the node's cache keeps it */
    return c;
}
#define CHECK(n, d, sql, slots) check_keys((n), (d), NULL, 0, (sql), (slots), __LINE__)
#define CHECK_KEYS(n, d, keys, sql, slots) \
    check_keys((n), (d), (keys), sizeof(keys) / sizeof(keys)[0], (sql), (slots), __LINE__)

/* Compiling n fails with a message containing msg. */
FX void check_compile_error(rt_node *n, const rt_dialect *d, const char *msg, int line)
{
    rt_compiled *c = NULL;
    cr_assert_not_null(n, "line %d: %s", line, err.message);
    cr_assert_eq(rt_compile(n, d, &c, &err), -1, "line %d: compiled to %s", line,
                 c ? c->sql : "");
    cr_assert(err.message && strstr(err.message, msg), "line %d: '%s' lacks '%s'", line,
              err.message, msg);
    rt_error_clear(&err);
}
#define CHECK_ERROR(n, d, msg) check_compile_error((n), (d), (msg), __LINE__)

/* A constructor returned NULL with a message containing msg. */
FX void check_fails(rt_node *n, rt_errclass cls, const char *msg, int line)
{
    cr_assert_null(n, "line %d: expected an error", line);
    cr_assert_eq(err.cls, cls, "line %d: class %s: %s", line, rt_errclass_name(err.cls),
                 err.message);
    cr_assert(err.message && strstr(err.message, msg), "line %d: '%s' lacks '%s'", line,
              err.message, msg);
    rt_error_clear(&err);
}
#define FAILS(n, cls, msg) check_fails((n), (cls), (msg), __LINE__)

/* === running statements on a real database === */

#include "rt_engine.h"

static rt_engine *engine;
static rt_conn *conn;
static rt_txn txn;

/* Runs SQL text without parameters on conn. */
FX void db_exec_text(const char *sql)
{
    rt_node *t = rt_text_new(sql, &err);
    rt_compiled *cp;
    rt_result *r;
    cr_assert_not_null(t, "%s", err.message);
    cr_assert_eq(rt_conn_compile(conn, t, &cp, &err), 0, "%s", err.message);
    cr_assert_eq(rt_conn_execute(conn, cp, NULL, 0, &r, &err), 0, "%s", err.message);
    rt_result_free(r);
    rt_compiled_release(cp);
    rt_node_release(t);
}

/* Opens url, begins a transaction and creates the fixture's tables in it (on
 * PostgreSQL in a schema of their own, so that tables other tests leave in
 * the database do not clash). */
FX void db_open(const char *url)
{
    rt_engine_options o;
    rt_engine_options_init(&o);
    cr_assert_eq(rt_engine_create(url, &o, &engine, &err), 0, "%s", err.message);
    cr_assert_eq(rt_engine_connect(engine, &conn, &err), 0, "%s", err.message);
    cr_assert_eq(rt_conn_begin(conn, &txn, &err), 0, "%s", err.message);
    if (strncmp(url, "postgres", 8) == 0) {
        db_exec_text("CREATE SCHEMA rt_expr_fixture");
        db_exec_text("SET LOCAL search_path TO rt_expr_fixture");
    }
    cr_assert_eq(rt_metadata_create_all(conn, md, NULL, 0, 0, &err), 0, "%s", err.message);
}

/* Rolls everything back (PostgreSQL's DDL too) and closes. */
FX void db_close(void)
{
    if (conn)
        rt_conn_rollback(conn, txn, &err);
    rt_conn_free(conn);
    rt_engine_release(engine);
    conn = NULL;
    engine = NULL;
    rt_error_clear(&err);
}

/* Executes n with execution parameters given as (name, rt_value *) pairs
 * ending in NULL: for INSERT/UPDATE their names are the compile keys.  Each
 * slot takes the parameter of its name, else the statement's own value
 * (slot_binds), as the binding does.  Returns the result (freed by caller). */
FX rt_result *run(rt_node *n, ...)
{
    const char *names[16];
    const rt_value *vals[16];
    size_t np = 0;
    va_list ap;
    va_start(ap, n);
    for (const char *k; (k = va_arg(ap, const char *));) {
        names[np] = k;
        vals[np++] = va_arg(ap, const rt_value *);
    }
    va_end(ap);
    rt_compiled *c = NULL;
    const rt_dialect *d = rt_engine_dialect(engine);
    int dml = rt_node_kind_of(n) == RT_NODE_INSERT || rt_node_kind_of(n) == RT_NODE_UPDATE;
    int rc = dml && np ? rt_compile_keys(n, d, names, np, &c, &err) : rt_compile(n, d, &c, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
    const rt_value *own[64];
    size_t nown = rt_node_bind_values(n, own, 64);
    cr_assert_leq(nown, 64);
    rt_value params[64];
    cr_assert_leq(c->nslots, 64);
    for (size_t i = 0; i < c->nslots; i++) {
        long found = -1;
        for (size_t k = 0; k < np; k++)
            if (strcmp(names[k], c->slot_names[i]) == 0)
                found = (long)k;
        if (found >= 0)
            params[i] = *vals[found];
        else if (c->slot_binds && c->slot_binds[i] >= 0)
            params[i] = *own[c->slot_binds[i]];
        else if (c->table && rt_table_column(c->table, c->slot_names[i]) &&
                 rt_table_column(c->table, c->slot_names[i])->default_.kind == RT_DEFAULT_SCALAR)
            params[i] = rt_table_column(c->table, c->slot_names[i])->default_.value;
        else
            cr_assert_fail("no value for slot %s of %s", c->slot_names[i], c->sql);
    }
    rt_result *r = NULL;
    cr_assert_eq(rt_conn_execute(conn, c, params, 1, &r, &err), 0, "%s\n%s", err.message,
                 c->sql);
    rt_compiled_release(c);
    return r;
}

/* Runs a select and returns its first row's first value as an integer. */
FX int64_t scalar_int(rt_node *n)
{
    rt_result *r = run(n, NULL);
    cr_assert_eq(rt_result_next(r, &err), 1, "%s", err.message);
    rt_value v;
    rt_result_value(r, 0, &v);
    int64_t x = v.type == RT_INT ? v.u.i : -999;
    rt_result_free(r);
    return x;
}

#endif
