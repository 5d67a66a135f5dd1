/* test_driver_pg.c: the PostgreSQL driver (driver_pg.c) used directly through
 * rt_driver_pg against the server named by RETORT_PG_URL (scripts/lib/pg-server.sh
 * starts one).  Without that variable every test fails: nothing is skipped.
 * Covers connecting, column conversion per type, parameter round trips, row
 * counts, SQLSTATE mapping, transactions and disconnect detection. */
#include "engine_int.h"

#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const rt_driver *drv = &rt_driver_pg;
static rt_url *url;
static void *conn;
static rt_error err;

static rt_url *parse_url(const char *text)
{
    rt_url *u = NULL;
    rt_error e;
    rt_error_init(&e);
    cr_assert_eq(rt_url_parse(text, &u, &e), 0, "cannot parse %s: %s", text,
                 e.message ? e.message : "?");
    rt_error_clear(&e);
    return u;
}

static const char *pg_url(void)
{
    const char *u = getenv("RETORT_PG_URL");
    if (!u || !u[0])
        cr_assert_fail("RETORT_PG_URL is not set");
    return u;
}

static void setup(void)
{
    rt_error_init(&err);
    url = parse_url(pg_url());
    cr_assert_eq(drv->connect(url, &conn, &err), 0, "connect: %s",
                 err.message ? err.message : "?");
}

static void teardown(void)
{
    drv->close(conn);
    conn = NULL;
    rt_url_free(url);
    url = NULL;
    rt_error_clear(&err);
}

TestSuite(driver_pg, .init = setup, .fini = teardown);

/* Prepares sql; fails the test on error. */
static void *prep(const char *sql, size_t nparams)
{
    void *st = NULL;
    cr_assert_eq(drv->prepare(conn, sql, nparams, &st, &err), 0, "prepare %s: %s", sql,
                 err.message ? err.message : "?");
    return st;
}

/* Prepares and runs sql; expects the run to return want. */
static void *query(const char *sql, const rt_value *params, size_t n, int want)
{
    void *st = prep(sql, n);
    int rc = drv->run(st, params, n, &err);
    cr_assert_eq(rc, want, "run %s gave %d: %s", sql, rc, err.message ? err.message : "");
    return st;
}

static void exec_ok(const char *sql)
{
    cr_assert_eq(drv->exec(conn, sql, &err), 0, "exec %s: %s", sql,
                 err.message ? err.message : "?");
}

static void assert_text(const rt_value *v, const char *want)
{
    cr_assert_eq(v->type, RT_TEXT, "type %d, want text '%s'", v->type, want);
    cr_assert_eq(v->u.s.n, strlen(want), "length %zu for '%s'", v->u.s.n, want);
    cr_assert(memcmp(v->u.s.p, want, v->u.s.n) == 0, "got '%.*s' want '%s'",
              (int)v->u.s.n, v->u.s.p, want);
}

static void assert_int(const rt_value *v, int64_t want)
{
    cr_assert_eq(v->type, RT_INT, "type %d, want int", v->type);
    cr_assert_eq(v->u.i, want);
}

static void assert_float(const rt_value *v, double want)
{
    cr_assert_eq(v->type, RT_FLOAT, "type %d, want float", v->type);
    cr_assert(v->u.f == want, "got %.17g want %.17g", v->u.f, want);
}

static void still_works(void)
{
    rt_value v;
    void *st = query("SELECT 41 + 1", NULL, 0, 1);
    drv->column(st, 0, &v);
    assert_int(&v, 42);
    drv->finalize(st);
    cr_assert_eq(drv->ping(conn), 0);
}

Test(driver_pg_connect, bad_socket_dir)
{
    rt_url *u = parse_url("postgresql://postgres@/retort_test?host=/nonexistent/retort-pg");
    void *h = (void *)1;
    rt_error e;
    rt_error_init(&e);
    cr_assert_eq(drv->connect(u, &h, &e), -1);
    cr_assert_null(h);
    cr_assert_eq(e.cls, RT_ERR_OPERATIONAL, "class %s", rt_errclass_name(e.cls));
    cr_assert(e.disconnect);
    cr_assert(e.message && strstr(e.message, "/nonexistent/retort-pg"), "message: %s",
              e.message ? e.message : "(null)");
    cr_assert_neq(e.message[strlen(e.message) - 1], '\n');
    rt_error_clear(&e);
    rt_url_free(u);
}

Test(driver_pg_connect, unknown_option_is_reported)
{
    const char *base = pg_url();
    char text[1024];
    snprintf(text, sizeof text, "%s%snosuch_option=1", base, strchr(base, '?') ? "&" : "?");
    rt_url *u = parse_url(text);
    void *h = NULL;
    rt_error e;
    rt_error_init(&e);
    cr_assert_eq(drv->connect(u, &h, &e), -1);
    cr_assert_eq(e.cls, RT_ERR_OPERATIONAL);
    cr_assert(e.disconnect);
    cr_assert(strstr(e.message, "nosuch_option"), "message: %s", e.message);
    rt_error_clear(&e);
    rt_url_free(u);
}

Test(driver_pg, ping_and_exec)
{
    cr_assert_eq(drv->ping(conn), 0);
    exec_ok("BEGIN");
    exec_ok("CREATE TEMP TABLE t (id int)");
    exec_ok("SAVEPOINT sp1");
    exec_ok("INSERT INTO t VALUES (1)");
    exec_ok("ROLLBACK TO SAVEPOINT sp1");
    exec_ok("RELEASE SAVEPOINT sp1");
    exec_ok("ROLLBACK");
    /* statements are prepared on their first run, where errors show */
    void *st = NULL;
    cr_assert_eq(drv->prepare(conn, "SELECT * FROM t", 0, &st, &err), 0);
    cr_assert_eq(drv->run(st, NULL, 0, &err), -1);
    drv->finalize(st);
    cr_assert_eq(err.cls, RT_ERR_PROGRAMMING);
    cr_assert_str_eq(err.sqlstate, "42P01");
    cr_assert_eq(err.disconnect, 0);
    still_works();
}

Test(driver_pg, column_types)
{
    void *st = query("SELECT 7::int2 AS a, 70000::int4, 9000000000::int8, 1.5::float8,"
                     " 42::numeric, 3.25::numeric, true, false, 'héllo'::text,"
                     " '\\x00ff41'::bytea, DATE '2024-01-02',"
                     " TIMESTAMP '2024-01-02 03:04:05', '{\"a\": 1}'::json,"
                     " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, NULL::int4,"
                     " 'Infinity'::float8, '-Infinity'::float8, 'NaN'::float8,"
                     " 'NaN'::numeric, 99999999999999999999::numeric, 1e3::numeric,"
                     " -12::numeric, 2.5::float4, 'x'::varchar(5), 'ab'::char(3),"
                     " ''::bytea, 26::oid",
                     NULL, 0, 1);
    rt_value v;
    cr_assert_eq(drv->ncols(st), 27);
    cr_assert_str_eq(drv->colname(st, 0), "a");
    cr_assert_str_eq(drv->colname(st, 1), "int4");
    cr_assert_null(drv->colname(st, 27));
    drv->column(st, 0, &v);  assert_int(&v, 7);
    drv->column(st, 1, &v);  assert_int(&v, 70000);
    drv->column(st, 2, &v);  assert_int(&v, 9000000000LL);
    drv->column(st, 3, &v);  assert_float(&v, 1.5);
    drv->column(st, 4, &v);  assert_int(&v, 42);
    drv->column(st, 5, &v);  assert_float(&v, 3.25);
    drv->column(st, 6, &v);
    cr_assert_eq(v.type, RT_BOOL);
    cr_assert_eq(v.u.b, 1);
    drv->column(st, 7, &v);
    cr_assert_eq(v.type, RT_BOOL);
    cr_assert_eq(v.u.b, 0);
    drv->column(st, 8, &v);  assert_text(&v, "héllo");
    drv->column(st, 9, &v);
    cr_assert_eq(v.type, RT_BLOB);
    cr_assert_eq(v.u.s.n, 3);
    cr_assert(memcmp(v.u.s.p, "\x00\xff" "A", 3) == 0);
    drv->column(st, 10, &v); assert_text(&v, "2024-01-02");
    drv->column(st, 11, &v); assert_text(&v, "2024-01-02 03:04:05");
    drv->column(st, 12, &v); assert_text(&v, "{\"a\": 1}");
    drv->column(st, 13, &v); assert_text(&v, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    drv->column(st, 14, &v);
    cr_assert_eq(v.type, RT_NULL);
    drv->column(st, 15, &v); assert_float(&v, INFINITY);
    drv->column(st, 16, &v); assert_float(&v, -INFINITY);
    drv->column(st, 17, &v);
    cr_assert_eq(v.type, RT_FLOAT);
    cr_assert(isnan(v.u.f));
    drv->column(st, 18, &v);
    cr_assert_eq(v.type, RT_FLOAT);
    cr_assert(isnan(v.u.f));
    drv->column(st, 19, &v); assert_float(&v, 1e20);
    drv->column(st, 20, &v); assert_int(&v, 1000);
    drv->column(st, 21, &v); assert_int(&v, -12);
    drv->column(st, 22, &v); assert_float(&v, 2.5);
    drv->column(st, 23, &v); assert_text(&v, "x");
    drv->column(st, 24, &v); assert_text(&v, "ab ");
    drv->column(st, 25, &v);
    cr_assert_eq(v.type, RT_BLOB);
    cr_assert_eq(v.u.s.n, 0);
    drv->column(st, 26, &v); assert_int(&v, 26);
    /* Earlier bytea stays readable while later columns are read. */
    drv->column(st, 9, &v);
    cr_assert_eq(v.u.s.n, 3);
    cr_assert_eq(drv->step(st, &err), 0);
    drv->column(st, 0, &v);
    cr_assert_eq(v.type, RT_NULL);
    cr_assert_eq(drv->lastrowid(st), -1);
    drv->finalize(st);
}

Test(driver_pg, timestamptz_is_iso)
{
    exec_ok("SET TIME ZONE 'UTC'");
    void *st = query("SELECT TIMESTAMPTZ '2024-01-02 03:04:05+00', INTERVAL '1 day'",
                     NULL, 0, 1);
    rt_value v;
    drv->column(st, 0, &v); assert_text(&v, "2024-01-02 03:04:05+00");
    drv->column(st, 1, &v); assert_text(&v, "1 day");
    drv->finalize(st);
}

Test(driver_pg, parameters_round_trip)
{
    static const char bytes[] = {'a', 0, 'b', 0, (char)0xff};
    const char *txt = "it's \"quoted\" \\ and ünïcode";
    rt_value p[] = {
        rt_value_int(-9000000000LL),
        rt_value_float(0.1),
        rt_value_bool(1),
        rt_value_bool(0),
        rt_value_text(txt, strlen(txt)),
        rt_value_blob(bytes, sizeof bytes),
        rt_value_null(),
        rt_value_float(INFINITY),
        rt_value_float(-INFINITY),
        rt_value_float(NAN),
        rt_value_text("", 0),
        rt_value_blob(NULL, 0),
        rt_value_int(INT64_MIN),
        rt_value_text("12", 2),   /* text into an int: the server converts */
        rt_value_float(1e300),
    };
    size_t n = sizeof p / sizeof p[0];
    void *st = query("SELECT $1::int8, $2::float8, $3::bool, $4::bool, $5::text,"
                     " $6::bytea, $7::int4, $8::float8, $9::float8, $10::float8,"
                     " $11::text, $12::bytea, $13::int8, $14::int4, $15::float8",
                     p, n, 1);
    rt_value v;
    drv->column(st, 0, &v);  assert_int(&v, -9000000000LL);
    drv->column(st, 1, &v);  assert_float(&v, 0.1);
    drv->column(st, 2, &v);
    cr_assert_eq(v.type, RT_BOOL);
    cr_assert_eq(v.u.b, 1);
    drv->column(st, 3, &v);
    cr_assert_eq(v.type, RT_BOOL);
    cr_assert_eq(v.u.b, 0);
    drv->column(st, 4, &v);  assert_text(&v, txt);
    drv->column(st, 5, &v);
    cr_assert_eq(v.type, RT_BLOB);
    cr_assert_eq(v.u.s.n, sizeof bytes);
    cr_assert(memcmp(v.u.s.p, bytes, sizeof bytes) == 0);
    drv->column(st, 6, &v);
    cr_assert_eq(v.type, RT_NULL);
    drv->column(st, 7, &v);  assert_float(&v, INFINITY);
    drv->column(st, 8, &v);  assert_float(&v, -INFINITY);
    drv->column(st, 9, &v);
    cr_assert_eq(v.type, RT_FLOAT);
    cr_assert(isnan(v.u.f));
    drv->column(st, 10, &v); assert_text(&v, "");
    drv->column(st, 11, &v);
    cr_assert_eq(v.type, RT_BLOB, "empty blob must not become NULL");
    cr_assert_eq(v.u.s.n, 0);
    drv->column(st, 12, &v); assert_int(&v, INT64_MIN);
    drv->column(st, 13, &v); assert_int(&v, 12);
    drv->column(st, 14, &v); assert_float(&v, 1e300);

    /* The same statement runs again with other values. */
    p[0] = rt_value_int(5);
    cr_assert_eq(drv->run(st, p, n, &err), 1, "%s", err.message ? err.message : "");
    drv->column(st, 0, &v);  assert_int(&v, 5);
    drv->reset(st);
    drv->column(st, 0, &v);
    cr_assert_eq(v.type, RT_NULL);
    cr_assert_eq(drv->ncols(st), 0);
    drv->finalize(st);
}

Test(driver_pg, untyped_parameter_is_text)
{
    rt_value p = rt_value_text("abc", 3);
    void *st = query("SELECT $1 AS x", &p, 1, 1);
    rt_value v;
    drv->column(st, 0, &v);
    assert_text(&v, "abc");
    drv->finalize(st);
}

Test(driver_pg, text_with_nul_is_data_error)
{
    rt_value p = rt_value_text("a\0b", 3);
    void *st = prep("SELECT $1::text", 1);
    cr_assert_eq(drv->run(st, &p, 1, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_DATA);
    cr_assert_str_eq(err.message, "string parameter contains a NUL byte; use a binary value");
    cr_assert_eq(err.disconnect, 0);
    drv->finalize(st);
    still_works();
}

Test(driver_pg, rows_and_changes)
{
    exec_ok("CREATE TEMP TABLE t (id int PRIMARY KEY, v text)");
    void *ins = prep("INSERT INTO t (id, v) VALUES ($1, $2)", 2);
    for (int i = 1; i <= 3; i++) {
        rt_value p[2] = {rt_value_int(i), rt_value_text("x", 1)};
        cr_assert_eq(drv->run(ins, p, 2, &err), 0, "%s", err.message ? err.message : "");
        cr_assert_eq(drv->changes(ins), 1);
        cr_assert_eq(drv->ncols(ins), 0);
    }
    drv->finalize(ins);

    rt_value lo = rt_value_int(2);
    void *upd = query("UPDATE t SET v = 'y' WHERE id >= $1", &lo, 1, 0);
    cr_assert_eq(drv->changes(upd), 2);
    cr_assert_eq(drv->ncols(upd), 0);
    cr_assert_eq(drv->step(upd, &err), 0);
    drv->finalize(upd);

    void *sel = query("SELECT id, v FROM t ORDER BY id", NULL, 0, 1);
    cr_assert_eq(drv->ncols(sel), 2);
    cr_assert_str_eq(drv->colname(sel, 1), "v");
    const char *want[] = {"x", "y", "y"};
    rt_value v;
    for (int i = 0; i < 3; i++) {
        if (i > 0)
            cr_assert_eq(drv->step(sel, &err), 1);
        drv->column(sel, 0, &v); assert_int(&v, i + 1);
        drv->column(sel, 1, &v); assert_text(&v, want[i]);
    }
    cr_assert_eq(drv->step(sel, &err), 0);
    cr_assert_eq(drv->step(sel, &err), 0);
    drv->finalize(sel);

    /* No rows: run gives 0 but the columns are known. */
    void *none = query("SELECT id FROM t WHERE id < 0", NULL, 0, 0);
    cr_assert_eq(drv->ncols(none), 1);
    cr_assert_eq(drv->changes(none), 0);
    drv->finalize(none);

    void *ret = query("DELETE FROM t WHERE id = 1 RETURNING id", NULL, 0, 1);
    cr_assert_eq(drv->changes(ret), 1);
    drv->column(ret, 0, &v); assert_int(&v, 1);
    drv->finalize(ret);
}

Test(driver_pg, unique_violation_is_integrity_error)
{
    exec_ok("CREATE TEMP TABLE u (id int PRIMARY KEY)");
    exec_ok("INSERT INTO u VALUES (1)");
    rt_value p = rt_value_int(1);
    void *st = prep("INSERT INTO u VALUES ($1)", 1);
    cr_assert_eq(drv->run(st, &p, 1, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_INTEGRITY, "class %s", rt_errclass_name(err.cls));
    cr_assert_str_eq(err.sqlstate, "23505");
    cr_assert_eq(err.disconnect, 0);
    cr_assert(strstr(err.message, "duplicate key value violates unique constraint"),
              "message: %s", err.message);
    cr_assert(strstr(err.message, "\nDETAIL:  Key (id)=(1) already exists."),
              "message: %s", err.message);
    rt_error_clear(&err);
    /* The statement and the connection are still usable. */
    p = rt_value_int(2);
    cr_assert_eq(drv->run(st, &p, 1, &err), 0);
    drv->finalize(st);
    still_works();
}

Test(driver_pg, syntax_error_is_programming_error)
{
    void *st = NULL;
    cr_assert_eq(drv->prepare(conn, "SELEC 1", 0, &st, &err), 0);
    cr_assert_eq(drv->run(st, NULL, 0, &err), -1);
    drv->finalize(st);
    cr_assert_eq(err.cls, RT_ERR_PROGRAMMING, "class %s", rt_errclass_name(err.cls));
    cr_assert_str_eq(err.sqlstate, "42601");
    cr_assert(strstr(err.message, "syntax error"), "message: %s", err.message);
    rt_error_clear(&err);
    cr_assert_eq(drv->exec(conn, "NOT SQL AT ALL", &err), -1);
    cr_assert_eq(err.cls, RT_ERR_PROGRAMMING);
    cr_assert_str_eq(err.sqlstate, "42601");
    rt_error_clear(&err);
    still_works();
}

Test(driver_pg, error_classes)
{
    static const struct {
        const char *sql;
        rt_errclass cls;
        const char *state;
    } cases[] = {
        {"SELECT 1/0", RT_ERR_DATA, "22012"},
        {"SELECT 'abc'::int4", RT_ERR_DATA, "22P02"},
        {"SELECT nosuchcolumn", RT_ERR_PROGRAMMING, "42703"},
        {"DO $$ BEGIN RAISE EXCEPTION 'boom'; END $$", RT_ERR_INTERNAL, "P0001"},
        {"SELECT * FROM no_such_table", RT_ERR_PROGRAMMING, "42P01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void *st = NULL;
        int rc = drv->prepare(conn, cases[i].sql, 0, &st, &err);
        if (rc == 0) {
            rc = drv->run(st, NULL, 0, &err);
            drv->finalize(st);
        }
        cr_assert_eq(rc, -1, "%s succeeded", cases[i].sql);
        cr_assert_eq(err.cls, cases[i].cls, "%s: class %s", cases[i].sql,
                     rt_errclass_name(err.cls));
        cr_assert_str_eq(err.sqlstate, cases[i].state, "%s", cases[i].sql);
        cr_assert_eq(err.disconnect, 0);
        rt_error_clear(&err);
    }
    still_works();
}

Test(driver_pg, failed_transaction)
{
    exec_ok("BEGIN");
    cr_assert_eq(drv->exec(conn, "SELECT 1/0", &err), -1);
    rt_error_clear(&err);
    /* Liveness is not confused with the aborted transaction. */
    cr_assert_eq(drv->ping(conn), 0);
    cr_assert_eq(drv->exec(conn, "SELECT 1", &err), -1);
    cr_assert_eq(err.cls, RT_ERR_INTERNAL);
    cr_assert_str_eq(err.sqlstate, "25P02");
    rt_error_clear(&err);
    exec_ok("ROLLBACK");
    still_works();
}

Test(driver_pg, statements_have_distinct_names)
{
    void *a = query("SELECT 1", NULL, 0, 1);
    void *b = query("SELECT 1", NULL, 0, 1);
    drv->finalize(a);
    cr_assert_eq(drv->run(b, NULL, 0, &err), 1);
    drv->finalize(b);
    still_works();
}

Test(driver_pg, notices_are_not_printed)
{
    /* The notice is swallowed (checked by eye: nothing on stderr). */
    exec_ok("DROP TABLE IF EXISTS no_such_table_here");
    still_works();
}

Test(driver_pg, terminated_backend_is_a_disconnect)
{
    void *st = prep("SELECT pg_terminate_backend(pg_backend_pid())", 0);
    cr_assert_eq(drv->run(st, NULL, 0, &err), -1);
    cr_assert(err.disconnect, "disconnect not set: %s", err.message);
    cr_assert_eq(err.cls, RT_ERR_OPERATIONAL, "class %s", rt_errclass_name(err.cls));
    /* libpq drops the FATAL's fields when the socket closes right after it. */
    cr_assert(strcmp(err.sqlstate, "57P01") == 0 || err.sqlstate[0] == '\0',
              "sqlstate %s", err.sqlstate);
    cr_assert(strstr(err.message, "terminating connection"), "message: %s", err.message);
    cr_assert_eq(drv->ping(conn), -1);
    rt_error_clear(&err);
    cr_assert_eq(drv->exec(conn, "SELECT 1", &err), -1);
    cr_assert(err.disconnect);
    cr_assert_eq(err.cls, RT_ERR_OPERATIONAL);
    drv->finalize(st);   /* no DEALLOCATE on a dead connection, no leak */
}

/* Every allocation of the driver failing in turn: an error, never a crash or
 * a leak (AddressSanitizer checks the latter). */
Test(driver_pg_connect, allocation_failures)
{
    rt_url *u = parse_url(pg_url());
    int completed = 0;
    for (long n = 1; n <= 40 && !completed; n++) {
        rt_error e;
        void *h = NULL, *st = NULL;
        rt_value p[2] = {rt_value_text("abc", 3), rt_value_blob("\0\1", 2)};
        rt_value v;
        rt_error_init(&e);
        rt_alloc_fail_after(n);
        if (rt_driver_pg.connect(u, &h, &e) == 0) {
            if (rt_driver_pg.prepare(h, "SELECT $1::text, $2::bytea", 2, &st, &e) == 0) {
                if (rt_driver_pg.run(st, p, 2, &e) == 1) {
                    rt_driver_pg.column(st, 1, &v);
                    cr_assert_eq(v.type, RT_BLOB);
                    cr_assert_eq(v.u.s.n, 2);
                    completed = 1;
                }
                rt_driver_pg.finalize(st);
            }
            rt_driver_pg.close(h);
        }
        rt_alloc_fail_after(0);
        if (!completed)
            cr_assert_eq(e.cls, RT_ERR_MEMORY, "n=%ld: class %s (%s)", n,
                         rt_errclass_name(e.cls), e.message ? e.message : "");
        rt_error_clear(&e);
    }
    cr_assert(completed, "still failing after 40 allocations");
    rt_url_free(u);
}
