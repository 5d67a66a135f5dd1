/* test_engine_sqlite.c: the engine end to end through its C API on SQLite,
 * in memory and in a temporary file: create_engine and its argument checks;
 * executing text() statements (single, executemany, queries) and reading
 * every storage class back; rowcount and lastrowid; the exact echo of
 * autocommit, explicit transactions, savepoints and sub-transaction markers;
 * errors (IntegrityError with its statement and parameters, OperationalError,
 * ProgrammingError, InvalidRequestError, ResourceClosedError) and the
 * connection staying usable after them; results outliving or closed with
 * their connection; the prepared-statement cache, including a statement that
 * is busy in an open result when the same SQL runs again; execute_rowids.
 * Statements are built with rt_text_new; internals are read through
 * engine_int.h. */
#include "engine_int.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static rt_engine *engine;
static rt_conn *conn;
static rt_error err;
static rt_buf echo;
static char dbfile[64];

static void sink(void *ctx, const char *line)
{
    rt_buf_puts(ctx, line);
    rt_buf_putc(ctx, '\n');
}

static rt_engine *make_engine(const char *url, const rt_engine_options *o)
{
    rt_engine *e = NULL;
    cr_assert_eq(rt_engine_create(url, o, &e, &err), 0, "create_engine(%s): %s", url,
                 err.message ? err.message : "?");
    rt_engine_set_echo_sink(e, sink, &echo);
    return e;
}

static rt_conn *open_conn(rt_engine *e)
{
    rt_conn *c = NULL;
    cr_assert_eq(rt_engine_connect(e, &c, &err), 0, "connect: %s",
                 err.message ? err.message : "?");
    return c;
}

/* Every test starts with an echoing in-memory engine and one connection. */
static void setup(void)
{
    rt_error_init(&err);
    rt_buf_init(&echo);
    snprintf(dbfile, sizeof dbfile, "/tmp/retort_test_engine_%ld.db", (long)getpid());
    unlink(dbfile);
    engine = make_engine("sqlite://", NULL);
    rt_engine_set_echo(engine, 1);
    conn = open_conn(engine);
}

static void teardown(void)
{
    rt_conn_free(conn);
    rt_engine_release(engine);
    rt_buf_free(&echo);
    rt_error_clear(&err);
    unlink(dbfile);
}

TestSuite(engine, .init = setup, .fini = teardown);

/* Compiles sql for c's dialect; release with rt_compiled_release. */
static rt_compiled *compile_on(rt_conn *c, const char *sql)
{
    rt_node *n = rt_text_new(sql, &err);
    rt_compiled *cp = NULL;
    cr_assert_not_null(n);
    cr_assert_eq(rt_conn_compile(c, n, &cp, &err), 0, "compile %s", sql);
    rt_node_release(n);
    return cp;
}

/* Executes sql on c; returns execute's status with *out set on success. */
static int try_on(rt_conn *c, const char *sql, const rt_value *p, size_t nsets,
                  rt_result **out)
{
    rt_compiled *cp = compile_on(c, sql);
    rt_error_clear(&err);
    int rc = rt_conn_execute(c, cp, p, nsets, out, &err);
    rt_compiled_release(cp);
    return rc;
}

static rt_result *run_on(rt_conn *c, const char *sql, const rt_value *p, size_t nsets)
{
    rt_result *r = NULL;
    cr_assert_eq(try_on(c, sql, p, nsets, &r), 0, "%s: (%s) %s", sql,
                 rt_errclass_name(err.cls), err.message ? err.message : "?");
    cr_assert_not_null(r);
    return r;
}

static rt_result *run(const char *sql, const rt_value *p, size_t nsets)
{
    return run_on(conn, sql, p, nsets);
}

static void run_free(const char *sql, const rt_value *p, size_t nsets)
{
    rt_result_free(run(sql, p, nsets));
}

/* The single integer a query returns. */
static int64_t scalar_on(rt_conn *c, const char *sql)
{
    rt_result *r = run_on(c, sql, NULL, 0);
    rt_value v;
    cr_assert_eq(rt_result_next(r, &err), 1, "%s returned no row", sql);
    rt_result_value(r, 0, &v);
    cr_assert_eq(v.type, RT_INT, "%s: not an integer", sql);
    cr_assert_eq(rt_result_next(r, &err), 0);
    rt_result_free(r);
    return v.u.i;
}

static int64_t scalar(const char *sql) { return scalar_on(conn, sql); }

/* Checks what echo printed since the last check, then forgets it. */
static void echo_is(const char *want)
{
    cr_assert_str_eq(rt_buf_str(&echo), want);
    rt_buf_reset(&echo);
}

static void quiet_create(const char *sql)
{
    run_free(sql, NULL, 0);
    rt_buf_reset(&echo);
}

static void expect_error(int rc, rt_errclass cls, const char *message)
{
    cr_assert_eq(rc, -1, "succeeded, expected %s", rt_errclass_name(cls));
    cr_assert_eq(err.cls, cls, "class %s, expected %s: %s", rt_errclass_name(err.cls),
                 rt_errclass_name(cls), err.message ? err.message : "?");
    cr_assert_str_eq(err.message, message);
}

/* ---- create_engine ------------------------------------------------------ */

static void create_refused(const char *url, const rt_engine_options *o, const char *want)
{
    rt_engine *e = (rt_engine *)1;
    rt_error e2;
    rt_error_init(&e2);
    cr_assert_eq(rt_engine_create(url, o, &e, &e2), -1, "%s accepted", url);
    cr_assert_null(e);
    cr_assert_eq(e2.cls, RT_ERR_ARGUMENT, "%s: %s", url, rt_errclass_name(e2.cls));
    cr_assert(strstr(e2.message, want), "%s: '%s' lacks '%s'", url, e2.message, want);
    rt_error_clear(&e2);
}

Test(engine, create_engine_refuses_bad_urls_and_options)
{
    rt_engine_options o;
    create_refused("nonsense", NULL, "could not parse a database URL from 'nonsense'");
    create_refused("mysql://scott@localhost/test", NULL, "unknown database 'mysql'");
    create_refused("sqlite://host/x.db", NULL, "invalid SQLite URL");
    create_refused("postgresql://h:0/d", NULL, "invalid port '0'");
    rt_engine_options_init(&o);
    o.poolclass = RT_POOL_QUEUE;
    create_refused("sqlite://", &o, "an in-memory SQLite database needs the static pool");
    rt_engine_options_init(&o);
    o.pool_size = -1;
    create_refused("sqlite:///x.db", &o, "pool_size must not be negative");
    rt_engine_options_init(&o);
    o.max_overflow = -2;
    create_refused("sqlite:///x.db", &o, "max_overflow must be -1 or more");
    rt_engine_options_init(&o);
    o.pool_timeout = -1;
    create_refused("sqlite:///x.db", &o, "pool_timeout must not be negative");
}

Test(engine, engine_accessors_and_defaults)
{
    rt_engine_options o;
    rt_engine_options_init(&o);
    cr_assert_eq(o.echo, 0);
    cr_assert_eq(o.poolclass, RT_POOL_DEFAULT);
    cr_assert_eq(o.pool_size, 5);
    cr_assert_eq(o.max_overflow, 10);
    cr_assert_eq(o.pool_timeout, 30);
    cr_assert_eq(o.pool_pre_ping, 0);
    cr_assert_eq(rt_engine_dialect(engine), rt_dialect_sqlite());
    cr_assert_str_eq(rt_engine_url(engine)->drivername, "sqlite");
    cr_assert_eq(rt_url_is_memory(rt_engine_url(engine)), 1);
    cr_assert_eq(rt_engine_echo(engine), 1);
    rt_engine_set_echo(engine, 0);
    cr_assert_eq(rt_engine_echo(engine), 0);
    cr_assert_eq(rt_conn_engine(conn), engine);
    cr_assert_eq(rt_conn_closed(conn), 0);
    cr_assert_eq(rt_engine_retain(engine), engine);
    rt_engine_release(engine);
}

Test(engine, unknown_sqlite_option_fails_on_connect)
{
    rt_engine *e = make_engine("sqlite:////tmp/retort_never_created.db?foo=1", NULL);
    rt_conn *c = NULL;
    cr_assert_eq(rt_engine_connect(e, &c, &err), -1);
    cr_assert_null(c);
    cr_assert_eq(err.cls, RT_ERR_ARGUMENT);
    cr_assert_str_eq(err.message, "unknown SQLite URL option 'foo' (known: timeout)");
    cr_assert_eq(access("/tmp/retort_never_created.db", F_OK), -1);
    rt_engine_release(e);
}

Test(engine, unopenable_file_is_operational_error)
{
    rt_engine *e = make_engine("sqlite:////nonexistent-dir/x.db", NULL);
    rt_conn *c = NULL;
    cr_assert_eq(rt_engine_connect(e, &c, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_OPERATIONAL);
    cr_assert_str_eq(err.message, "unable to open database file '/nonexistent-dir/x.db': "
                                  "unable to open database file");
    rt_engine_release(e);
}

/* ---- execution and values ------------------------------------------------ */

Test(engine, every_storage_class_round_trips)
{
    static const char blob[] = {'a', 0, 'b'};
    quiet_create("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, "
                 "b BLOB, n)");
    rt_value p[15] = {
        rt_value_int(10), rt_value_float(1.5), rt_value_text("ed", 2),
        rt_value_blob(blob, 3), rt_value_null(),
        rt_value_int(-9007199254740993LL), rt_value_float(-0.25),
        rt_value_text("caf\xc3\xa9 'q'", 9), rt_value_blob("", 0), rt_value_null(),
        rt_value_bool(1), rt_value_float(1e100), rt_value_text("", 0),
        rt_value_blob("\xff", 1), rt_value_int(7),
    };
    rt_result *r = run("INSERT INTO t (i, r, s, b, n) VALUES (:i, :r, :s, :b, :n)", p, 3);
    cr_assert_eq(rt_result_rowcount(r), 3, "executemany sums the rows");
    cr_assert_eq(rt_result_lastrowid(r), 3);
    cr_assert_eq(rt_result_returns_rows(r), 0);
    cr_assert_eq(rt_result_autocommit(r), 1);
    cr_assert_eq(rt_result_closed(r), 1, "a result without rows is closed at once");
    cr_assert_eq(rt_result_next(r, &err), 0);
    rt_result_free(r);

    r = run("SELECT id, i, r, s, b, n FROM t ORDER BY id", NULL, 0);
    cr_assert_eq(rt_result_returns_rows(r), 1);
    cr_assert_eq(rt_result_autocommit(r), 0);
    cr_assert_eq(rt_result_rowcount(r), -1);
    cr_assert_eq(rt_result_ncols(r), 6);
    static const char *const names[] = {"id", "i", "r", "s", "b", "n"};
    for (int i = 0; i < 6; i++)
        cr_assert_str_eq(rt_result_colname(r, i), names[i]);

    rt_value v;
    cr_assert_eq(rt_result_next(r, &err), 1);
    rt_result_value(r, 0, &v);
    cr_assert_eq(v.type, RT_INT);
    cr_assert_eq(v.u.i, 1);
    rt_result_value(r, 1, &v);
    cr_assert_eq(v.type, RT_INT);
    cr_assert_eq(v.u.i, 10);
    rt_result_value(r, 2, &v);
    cr_assert_eq(v.type, RT_FLOAT);
    cr_assert_eq(v.u.f, 1.5);
    rt_result_value(r, 3, &v);
    cr_assert_eq(v.type, RT_TEXT);
    cr_assert_eq(v.u.s.n, 2);
    cr_assert_eq(memcmp(v.u.s.p, "ed", 2), 0);
    rt_result_value(r, 4, &v);
    cr_assert_eq(v.type, RT_BLOB);
    cr_assert_eq(v.u.s.n, 3);
    cr_assert_eq(memcmp(v.u.s.p, blob, 3), 0);
    rt_result_value(r, 5, &v);
    cr_assert_eq(v.type, RT_NULL);
    rt_result_value(r, 6, &v);
    cr_assert_eq(v.type, RT_NULL, "out of range reads as NULL");
    rt_result_value(r, -1, &v);
    cr_assert_eq(v.type, RT_NULL);

    cr_assert_eq(rt_result_next(r, &err), 1);
    rt_result_value(r, 1, &v);
    cr_assert_eq(v.u.i, -9007199254740993LL, "64-bit integers survive");
    rt_result_value(r, 2, &v);
    cr_assert_eq(v.u.f, -0.25);
    rt_result_value(r, 3, &v);
    cr_assert_eq(v.u.s.n, 9);
    cr_assert_eq(memcmp(v.u.s.p, "caf\xc3\xa9 'q'", 9), 0);
    rt_result_value(r, 4, &v);
    cr_assert_eq(v.type, RT_BLOB);
    cr_assert_eq(v.u.s.n, 0);

    cr_assert_eq(rt_result_next(r, &err), 1);
    rt_result_value(r, 1, &v);
    cr_assert_eq(v.type, RT_INT, "booleans are stored as integers");
    cr_assert_eq(v.u.i, 1);
    rt_result_value(r, 2, &v);
    cr_assert_eq(v.u.f, 1e100);
    rt_result_value(r, 3, &v);
    cr_assert_eq(v.type, RT_TEXT);
    cr_assert_eq(v.u.s.n, 0);
    rt_result_value(r, 4, &v);
    cr_assert_eq(v.u.s.n, 1);
    cr_assert_eq((unsigned char)v.u.s.p[0], 0xff);
    rt_result_value(r, 5, &v);
    cr_assert_eq(v.type, RT_INT);
    cr_assert_eq(v.u.i, 7);

    cr_assert_eq(rt_result_next(r, &err), 0);
    cr_assert_eq(rt_result_closed(r), 1, "the last row closes the result");
    cr_assert_eq(rt_result_next(r, &err), 0);
    rt_result_value(r, 0, &v);
    cr_assert_eq(v.type, RT_NULL);
    rt_result_free(r);
}

Test(engine, rowcounts)
{
    rt_value p[4] = {rt_value_int(1), rt_value_int(2), rt_value_int(3), rt_value_int(4)};
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_result_free(run("INSERT INTO t (x) VALUES (:x)", p, 4));
    rt_result *r = run("UPDATE t SET x = x * 10 WHERE x > :min", p + 1, 1);
    cr_assert_eq(rt_result_rowcount(r), 2);
    rt_result_free(r);
    r = run("UPDATE t SET x = 0 WHERE x < 0", NULL, 0);
    cr_assert_eq(rt_result_rowcount(r), 0);
    rt_result_free(r);
    r = run("DELETE FROM t WHERE x = :x", p, 1);
    cr_assert_eq(rt_result_rowcount(r), 1);
    rt_result_free(r);
    /* executemany: the sum over the sets (2, 30, 40 are left) */
    rt_value q[3] = {rt_value_int(30), rt_value_int(5), rt_value_int(2)};
    r = run("DELETE FROM t WHERE x = :x", q, 3);
    cr_assert_eq(rt_result_rowcount(r), 2);
    rt_result_free(r);
    r = run("DELETE FROM t WHERE x = :x", q, 2);
    cr_assert_eq(rt_result_rowcount(r), 0);
    rt_result_free(r);
    r = run("SELECT x FROM t", NULL, 0);
    cr_assert_eq(rt_result_rowcount(r), -1, "queries have no rowcount");
    rt_result_free(r);
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 1);
}

/* DB-API's rowcount is -1 for statements other than INSERT, UPDATE and
 * DELETE; SQLite's changes() still holds the previous DML's count then. */
Test(engine, rowcount_of_ddl_is_minus_one)
{
    rt_value p[2] = {rt_value_int(1), rt_value_int(2)};
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_result_free(run("INSERT INTO t (x) VALUES (:x)", p, 2));
    rt_result *r = run("CREATE TABLE u (y INTEGER)", NULL, 0);
    int64_t rowcount = rt_result_rowcount(r);
    rt_result_free(r);
    cr_assert_eq(rowcount, -1, "rowcount %lld left over from the INSERT", (long long)rowcount);
}

Test(engine, lastrowid_follows_inserts)
{
    quiet_create("CREATE TABLE t (id INTEGER PRIMARY KEY, x)");
    rt_value v = rt_value_int(100);
    rt_result *r = run("INSERT INTO t (id, x) VALUES (:id, 'a')", &v, 1);
    cr_assert_eq(rt_result_lastrowid(r), 100);
    rt_result_free(r);
    r = run("INSERT INTO t (x) VALUES ('b')", NULL, 0);
    cr_assert_eq(rt_result_lastrowid(r), 101);
    rt_result_free(r);
}

Test(engine, execute_rowids_runs_each_set_and_keeps_its_rowid)
{
    quiet_create("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT UNIQUE)");
    rt_compiled *cp = compile_on(conn, "INSERT INTO t (x) VALUES (:x)");
    rt_value p[3] = {rt_value_text("a", 1), rt_value_text("b", 1), rt_value_text("c", 1)};
    int64_t ids[3] = {0, 0, 0};
    rt_txn t;
    cr_assert_eq(rt_conn_begin(conn, &t, &err), 0);
    cr_assert_eq(rt_conn_execute_rowids(conn, cp, p, 3, ids, &err), 0);
    cr_assert(ids[0] == 1 && ids[1] == 2 && ids[2] == 3);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO t (x) VALUES (?)\n('a',)\n"
            "INSERT INTO t (x) VALUES (?)\n('b',)\n"
            "INSERT INTO t (x) VALUES (?)\n('c',)\n");
    /* a failing set: its parameters in the error, earlier sets executed */
    rt_value q[2] = {rt_value_text("d", 1), rt_value_text("a", 1)};
    expect_error(rt_conn_execute_rowids(conn, cp, q, 2, ids, &err), RT_ERR_INTEGRITY,
                 "UNIQUE constraint failed: t.x");
    cr_assert_str_eq(err.params, "('a',)");
    cr_assert_eq(ids[0], 4);
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 4);
    cr_assert_eq(rt_conn_commit(conn, t, &err), 0);
    /* outside a transaction: each set autocommits, as rt_conn_execute */
    rt_value e = rt_value_text("e", 1);
    rt_buf_reset(&echo);
    cr_assert_eq(rt_conn_execute_rowids(conn, cp, &e, 1, ids, &err), 0);
    cr_assert_eq(ids[0], 5);
    echo_is("BEGIN (implicit)\nINSERT INTO t (x) VALUES (?)\n('e',)\nCOMMIT\n");
    rt_compiled_release(cp);
}

Test(engine, returning_in_autocommit_is_buffered_before_commit)
{
    quiet_create("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
    rt_value p[2] = {rt_value_text("ed", 2), rt_value_text("wendy", 5)};
    rt_result *r = run("INSERT INTO t (name) VALUES (:name) RETURNING id, name", p, 1);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO t (name) VALUES (?) RETURNING id, name\n"
            "('ed',)\n"
            "COMMIT\n");
    cr_assert_eq(rt_conn_in_transaction(conn), 0);
    rt_value v;
    cr_assert_eq(rt_result_next(r, &err), 1);
    rt_result_value(r, 0, &v);
    cr_assert_eq(v.u.i, 1);
    rt_result_value(r, 1, &v);
    cr_assert_eq(v.u.s.n, 2);
    cr_assert_eq(memcmp(v.u.s.p, "ed", 2), 0);
    /* the buffered copy does not depend on the statement any more */
    rt_result_free(run("INSERT INTO t (name) VALUES (:name) RETURNING id, name", p + 1, 1));
    rt_result_value(r, 1, &v);
    cr_assert_eq(memcmp(v.u.s.p, "ed", 2), 0);
    cr_assert_eq(rt_result_next(r, &err), 0);
    rt_result_free(r);
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 2);
}

/* A query that finds no rows must not run again when its result is read:
 * SQLite re-executes a statement stepped after it has finished.  random()
 * makes a second run visible. */
Test(engine, an_empty_result_does_not_run_its_query_again)
{
    rt_compiled *cp = compile_on(conn, "SELECT 1 WHERE random() % 2 = 0");
    int empty = 0;
    for (int i = 0; i < 64; i++) {
        rt_result *r;
        cr_assert_eq(rt_conn_execute(conn, cp, NULL, 0, &r, &err), 0);
        int again = 0;
        if (r->has_row == 0) {         /* run() found no row */
            empty++;
            again = rt_result_next(r, &err);
        }
        rt_result_free(r);
        if (again) {
            rt_compiled_release(cp);
            cr_assert_fail("the query ran again and found a row");
        }
    }
    cr_assert_gt(empty, 0);
    rt_compiled_release(cp);
}

/* The driver contract: once step() (or run()) has said "no more rows" the
 * engine must not step that statement again.  A recording driver in place of
 * sqlite3 counts such steps for a streamed and a buffered empty result. */
static struct {
    int runs, steps, steps_after_end;
    int done;               /* the statement has reported its end */
} R;

static int rec_connect(const rt_url *u, void **h, rt_error *e)
{
    (void)u, (void)e;
    *h = &R;
    return 0;
}
static void rec_close(void *h) { (void)h; }
static int rec_exec(void *h, const char *sql, rt_error *e)
{
    (void)h, (void)sql, (void)e;
    return 0;
}
static int rec_ping(void *h) { (void)h; return 0; }
static int rec_prepare(void *h, const char *sql, size_t n, void **st, rt_error *e)
{
    (void)sql, (void)n, (void)e;
    *st = h;
    return 0;
}
static void rec_finalize(void *st) { (void)st; }
static int rec_run(void *st, const rt_value *p, size_t n, rt_error *e)
{
    (void)st, (void)p, (void)n, (void)e;
    R.runs++;
    R.done = 1;             /* every statement here returns no rows */
    return 0;
}
static int rec_step(void *st, rt_error *e)
{
    (void)st, (void)e;
    R.steps++;
    if (R.done)
        R.steps_after_end++;
    return 0;
}
static int rec_ncols(void *st) { (void)st; return 1; }
static const char *rec_colname(void *st, int i) { (void)st, (void)i; return "x"; }
static void rec_column(void *st, int i, rt_value *out)
{
    (void)st, (void)i;
    *out = rt_value_null();
}
static int64_t rec_changes(void *st) { (void)st; return 0; }
static int64_t rec_lastrowid(void *st) { (void)st; return 0; }
static void rec_reset(void *st) { (void)st; R.done = 0; }

static const rt_driver recording = {
    "recording", rec_connect, rec_close,   rec_exec,    rec_ping,
    rec_prepare, rec_finalize, rec_run,    rec_step,    rec_ncols,
    rec_colname, rec_column,  rec_changes, rec_lastrowid, rec_reset,
    NULL,        /* shape: unknown */
};

/* An engine whose pool hands out recording connections. */
static rt_engine *recording_engine(void)
{
    rt_engine *e = make_engine("sqlite:////tmp/retort_never_opened.db", NULL);
    rt_pool_options po = {RT_POOL_QUEUE, 1, 0, 1, -1, 0};
    rt_pool_free(e->pool);
    e->drv = &recording;
    e->pool = rt_pool_new(&po, &recording, e->url);
    return e;
}

Test(engine, an_empty_result_is_not_stepped_past_its_end)
{
    rt_engine *e = recording_engine();
    rt_conn *c = open_conn(e);
    memset(&R, 0, sizeof R);
    rt_result *r = run_on(c, "SELECT x FROM t", NULL, 0);      /* streamed */
    int n1 = rt_result_next(r, &err), n2 = rt_result_next(r, &err);
    rt_result_free(r);
    int runs = R.runs, streamed = R.steps_after_end;

    memset(&R, 0, sizeof R);
    r = run_on(c, "INSERT INTO t (x) SELECT 1 WHERE 0 RETURNING x", NULL, 0); /* buffered */
    int autocommit = rt_result_autocommit(r), n3 = rt_result_next(r, &err);
    rt_result_free(r);
    rt_conn_free(c);
    rt_engine_release(e);

    cr_assert_eq(n1, 0);
    cr_assert_eq(n2, 0);
    cr_assert_eq(runs, 1);
    cr_assert_eq(streamed, 0, "streamed: stepped %d times after the end", streamed);
    cr_assert_eq(autocommit, 1);
    cr_assert_eq(n3, 0);
    cr_assert_eq(R.runs, 1);
    cr_assert_eq(R.steps_after_end, 0, "buffered: stepped %d times after the end",
                 R.steps_after_end);
}

/* ---- echo -------------------------------------------------------------------- */

Test(engine, echo_of_an_autocommit_insert)
{
    quiet_create("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, fullname TEXT)");
    rt_value p[2] = {rt_value_text("ed", 2), rt_value_text("Ed Jones", 8)};
    run_free("INSERT INTO users (name, fullname) VALUES (:name, :fullname)", p, 1);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO users (name, fullname) VALUES (?, ?)\n"
            "('ed', 'Ed Jones')\n"
            "COMMIT\n");
}

Test(engine, echo_of_ddl_queries_and_executemany)
{
    run_free("CREATE TABLE t (x INTEGER, y TEXT)", NULL, 0);
    echo_is("BEGIN (implicit)\n"
            "CREATE TABLE t (x INTEGER, y TEXT)\n"
            "()\n"
            "COMMIT\n");
    rt_value p[6] = {rt_value_int(1), rt_value_text("a", 1), rt_value_int(2),
                     rt_value_text("b", 1), rt_value_int(3), rt_value_null()};
    run_free("INSERT INTO t (x, y) VALUES (:x, :y)", p, 3);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO t (x, y) VALUES (?, ?)\n"
            "[(1, 'a'), (2, 'b'), (3, nil)]\n"
            "COMMIT\n");
    run_free("SELECT x FROM t WHERE x > :x", p, 1);
    echo_is("SELECT x FROM t WHERE x > ?\n"
            "(1,)\n");
}

Test(engine, echo_off_prints_nothing)
{
    rt_engine_set_echo(engine, 0);
    run_free("CREATE TABLE t (x INTEGER)", NULL, 0);
    run_free("SELECT * FROM t", NULL, 0);
    echo_is("");
    rt_engine_set_echo(engine, 1);
    run_free("SELECT 1", NULL, 0);
    echo_is("SELECT 1\n()\n");
}

Test(engine, begin_and_commit)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_txn t = 0;
    cr_assert_eq(rt_conn_begin(conn, &t, &err), 0);
    cr_assert_neq(t, 0);
    cr_assert_eq(rt_conn_in_transaction(conn), 1);
    cr_assert_eq(rt_txn_is_active(conn, t), 1);
    run_free("INSERT INTO t (x) VALUES (1)", NULL, 0);
    run_free("INSERT INTO t (x) VALUES (2)", NULL, 0);
    cr_assert_eq(rt_conn_commit(conn, t, &err), 0);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO t (x) VALUES (1)\n"
            "()\n"
            "INSERT INTO t (x) VALUES (2)\n"
            "()\n"
            "COMMIT\n");
    cr_assert_eq(rt_txn_is_active(conn, t), 0);
    cr_assert_eq(rt_conn_in_transaction(conn), 0);
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 2);
    expect_error(rt_conn_commit(conn, t, &err), RT_ERR_INVALID_REQUEST,
                 "This transaction is inactive");
}

Test(engine, begin_and_rollback)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_txn t;
    rt_conn_begin(conn, &t, &err);
    run_free("INSERT INTO t (x) VALUES (1)", NULL, 0);
    cr_assert_eq(rt_conn_rollback(conn, t, &err), 0);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO t (x) VALUES (1)\n"
            "()\n"
            "ROLLBACK\n");
    cr_assert_eq(rt_conn_rollback(conn, t, &err), 0, "a second rollback is harmless");
    echo_is("");
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 0);
}

/* An in-memory database is one connection shared by every checkout: a
 * second Connection's transaction is a savepoint inside the first's. */
Test(engine, a_shared_connection_nests_a_second_transaction_as_a_savepoint)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_conn *other = open_conn(engine);
    rt_txn t, u;
    cr_assert_eq(rt_conn_begin(conn, &t, &err), 0);
    run_free("INSERT INTO t (x) VALUES (1)", NULL, 0);
    rt_result_free(run_on(other, "INSERT INTO t (x) VALUES (2)", NULL, 0));   /* autocommit */
    cr_assert_eq(rt_conn_begin(other, &u, &err), 0);
    rt_result_free(run_on(other, "INSERT INTO t (x) VALUES (3)", NULL, 0));
    cr_assert_eq(rt_conn_rollback(other, u, &err), 0);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO t (x) VALUES (1)\n()\n"
            "SAVEPOINT rt_shared_1\n"
            "INSERT INTO t (x) VALUES (2)\n()\n"
            "RELEASE SAVEPOINT rt_shared_1\n"
            "SAVEPOINT rt_shared_2\n"
            "INSERT INTO t (x) VALUES (3)\n()\n"
            "ROLLBACK TO SAVEPOINT rt_shared_2\n"
            "RELEASE SAVEPOINT rt_shared_2\n");
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 2);
    cr_assert_eq(rt_conn_commit(conn, t, &err), 0);
    cr_assert_eq(scalar_on(other, "SELECT count(*) FROM t"), 2);
    rt_conn_free(other);
}

Test(engine, savepoints)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_txn outer, sp1, sp2;
    cr_assert_eq(rt_conn_begin(conn, &outer, &err), 0);
    run_free("INSERT INTO t (x) VALUES (1)", NULL, 0);
    cr_assert_eq(rt_conn_begin_nested(conn, &sp1, &err), 0);
    run_free("INSERT INTO t (x) VALUES (2)", NULL, 0);
    cr_assert_eq(rt_conn_rollback(conn, sp1, &err), 0);
    cr_assert_eq(rt_txn_is_active(conn, sp1), 0);
    cr_assert_eq(rt_txn_is_active(conn, outer), 1);
    cr_assert_eq(rt_conn_begin_nested(conn, &sp2, &err), 0);
    run_free("INSERT INTO t (x) VALUES (3)", NULL, 0);
    cr_assert_eq(rt_conn_commit(conn, sp2, &err), 0);
    cr_assert_eq(rt_conn_commit(conn, outer, &err), 0);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO t (x) VALUES (1)\n"
            "()\n"
            "SAVEPOINT sa_savepoint_1\n"
            "INSERT INTO t (x) VALUES (2)\n"
            "()\n"
            "ROLLBACK TO SAVEPOINT sa_savepoint_1\n"
            "SAVEPOINT sa_savepoint_2\n"
            "INSERT INTO t (x) VALUES (3)\n"
            "()\n"
            "RELEASE SAVEPOINT sa_savepoint_2\n"
            "COMMIT\n");
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 2);
    cr_assert_eq(scalar("SELECT sum(x) FROM t"), 4);
}

Test(engine, begin_nested_outside_a_transaction_begins_one)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_txn sp;
    cr_assert_eq(rt_conn_begin_nested(conn, &sp, &err), 0);
    run_free("INSERT INTO t (x) VALUES (1)", NULL, 0);
    cr_assert_eq(rt_conn_commit(conn, sp, &err), 0);
    cr_assert_eq(rt_conn_in_transaction(conn), 1, "the enclosing transaction is still open");
    echo_is("BEGIN (implicit)\n"
            "SAVEPOINT sa_savepoint_1\n"
            "INSERT INTO t (x) VALUES (1)\n"
            "()\n"
            "RELEASE SAVEPOINT sa_savepoint_1\n");
    rt_conn_close(conn);
    echo_is("ROLLBACK\n");
}

Test(engine, committing_an_outer_transaction_ends_the_savepoints_inside)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_txn outer, sp;
    rt_conn_begin(conn, &outer, &err);
    rt_conn_begin_nested(conn, &sp, &err);
    run_free("INSERT INTO t (x) VALUES (1)", NULL, 0);
    cr_assert_eq(rt_conn_commit(conn, outer, &err), 0);
    cr_assert_eq(rt_txn_is_active(conn, sp), 0);
    echo_is("BEGIN (implicit)\n"
            "SAVEPOINT sa_savepoint_1\n"
            "INSERT INTO t (x) VALUES (1)\n"
            "()\n"
            "COMMIT\n");
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 1);
    expect_error(rt_conn_commit(conn, sp, &err), RT_ERR_INVALID_REQUEST,
                 "This transaction is inactive");
}

Test(engine, marker_transactions)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_txn outer, inner, inner2;
    cr_assert_eq(rt_conn_begin(conn, &outer, &err), 0);
    cr_assert_eq(rt_conn_begin(conn, &inner, &err), 0);
    cr_assert_neq(inner, outer);
    run_free("INSERT INTO t (x) VALUES (1)", NULL, 0);
    cr_assert_eq(rt_conn_commit(conn, inner, &err), 0);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO t (x) VALUES (1)\n"
            "()\n");                   /* the marker's begin and commit emit nothing */
    cr_assert_eq(rt_txn_is_active(conn, inner), 0);
    cr_assert_eq(rt_txn_is_active(conn, outer), 1);

    cr_assert_eq(rt_conn_begin(conn, &inner2, &err), 0);
    echo_is("");
    cr_assert_eq(rt_conn_rollback(conn, inner2, &err), 0);
    echo_is("ROLLBACK\n");             /* rolls back the enclosing transaction */
    cr_assert_eq(rt_txn_is_active(conn, outer), 0);
    cr_assert_eq(rt_conn_in_transaction(conn), 0);
    expect_error(rt_conn_commit(conn, outer, &err), RT_ERR_INVALID_REQUEST,
                 "This transaction is inactive");
    echo_is("");
    cr_assert_eq(rt_conn_rollback(conn, outer, &err), 0);
    echo_is("");
    cr_assert_eq(scalar("SELECT count(*) FROM t"), 0, "the marker's insert was rolled back");
}

/* ---- errors -------------------------------------------------------------------- */

Test(engine, integrity_error_carries_the_statement_and_rolls_back)
{
    quiet_create("CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT UNIQUE)");
    rt_value ed = rt_value_text("ed", 2);
    run_free("INSERT INTO u (name) VALUES (:name)", &ed, 1);
    rt_buf_reset(&echo);

    rt_result *r = (rt_result *)1;
    int rc = try_on(conn, "INSERT INTO u (name) VALUES (:name)", &ed, 1, &r);
    expect_error(rc, RT_ERR_INTEGRITY, "UNIQUE constraint failed: u.name");
    cr_assert_null(r);
    cr_assert_eq(err.code, 2067, "SQLITE_CONSTRAINT_UNIQUE, got %d", err.code);
    cr_assert_str_eq(err.statement, "INSERT INTO u (name) VALUES (?)");
    cr_assert_str_eq(err.params, "('ed',)");
    cr_assert_eq(err.disconnect, 0);
    char *text = rt_error_format(&err);
    cr_assert_str_eq(text, "(IntegrityError) UNIQUE constraint failed: u.name\n"
                           "[SQL: INSERT INTO u (name) VALUES (?)]\n"
                           "[parameters: ('ed',)]");
    rt_free(text);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO u (name) VALUES (?)\n"
            "('ed',)\n"
            "ROLLBACK\n");
    cr_assert_eq(conn->dbc->in_txn, 0);

    /* the connection carries on, and the statement is still usable */
    rt_value jack = rt_value_text("jack", 4);
    run_free("INSERT INTO u (name) VALUES (:name)", &jack, 1);
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO u (name) VALUES (?)\n"
            "('jack',)\n"
            "COMMIT\n");
    cr_assert_eq(scalar("SELECT count(*) FROM u"), 2);
}

Test(engine, integrity_error_in_executemany_keeps_nothing)
{
    quiet_create("CREATE TABLE u (name TEXT UNIQUE)");
    rt_value p[3] = {rt_value_text("a", 1), rt_value_text("b", 1), rt_value_text("a", 1)};
    rt_result *r;
    expect_error(try_on(conn, "INSERT INTO u (name) VALUES (:name)", p, 3, &r),
                 RT_ERR_INTEGRITY, "UNIQUE constraint failed: u.name");
    cr_assert_str_eq(err.params, "[('a',), ('b',), ('a',)]");
    cr_assert_eq(scalar("SELECT count(*) FROM u"), 0, "the implicit transaction rolled back");
}

Test(engine, integrity_error_inside_a_transaction_leaves_it_open)
{
    quiet_create("CREATE TABLE u (name TEXT UNIQUE)");
    rt_value ed = rt_value_text("ed", 2);
    rt_txn t;
    rt_result *r;
    rt_conn_begin(conn, &t, &err);
    run_free("INSERT INTO u (name) VALUES (:name)", &ed, 1);
    rt_buf_reset(&echo);
    expect_error(try_on(conn, "INSERT INTO u (name) VALUES (:name)", &ed, 1, &r),
                 RT_ERR_INTEGRITY, "UNIQUE constraint failed: u.name");
    echo_is("INSERT INTO u (name) VALUES (?)\n"
            "('ed',)\n");              /* no ROLLBACK: the transaction is the caller's */
    cr_assert_eq(rt_txn_is_active(conn, t), 1);
    cr_assert_eq(rt_conn_commit(conn, t, &err), 0);
    cr_assert_eq(scalar("SELECT count(*) FROM u"), 1);
}

/* A deferred foreign key fails at COMMIT; SQLite then keeps the transaction
 * open, so the connection must roll it back before it is used again. */
Test(engine, a_failed_commit_is_rolled_back)
{
    quiet_create("PRAGMA foreign_keys = ON");
    quiet_create("CREATE TABLE p (id INTEGER PRIMARY KEY)");
    quiet_create("CREATE TABLE c (pid INTEGER REFERENCES p (id) DEFERRABLE INITIALLY "
                 "DEFERRED)");
    rt_result *r;
    expect_error(try_on(conn, "INSERT INTO c (pid) VALUES (5)", NULL, 0, &r),
                 RT_ERR_INTEGRITY, "FOREIGN KEY constraint failed");
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO c (pid) VALUES (5)\n"
            "()\n"
            "COMMIT\n"
            "ROLLBACK\n");
    /* the next autocommit statement can BEGIN again */
    run_free("INSERT INTO p (id) VALUES (1)", NULL, 0);
    cr_assert_eq(scalar("SELECT count(*) FROM c"), 0);
    cr_assert_eq(scalar("SELECT count(*) FROM p"), 1);
}

Test(engine, a_failed_explicit_commit_is_rolled_back)
{
    quiet_create("PRAGMA foreign_keys = ON");
    quiet_create("CREATE TABLE p (id INTEGER PRIMARY KEY)");
    quiet_create("CREATE TABLE c (pid INTEGER REFERENCES p (id) DEFERRABLE INITIALLY "
                 "DEFERRED)");
    rt_txn t;
    rt_conn_begin(conn, &t, &err);
    run_free("INSERT INTO c (pid) VALUES (5)", NULL, 0);
    rt_buf_reset(&echo);
    expect_error(rt_conn_commit(conn, t, &err), RT_ERR_INTEGRITY,
                 "FOREIGN KEY constraint failed");
    echo_is("COMMIT\n"
            "ROLLBACK\n");
    cr_assert_eq(rt_txn_is_active(conn, t), 0);
    cr_assert_eq(rt_conn_in_transaction(conn), 0);
    rt_txn t2;
    cr_assert_eq(rt_conn_begin(conn, &t2, &err), 0, "begin after a failed commit: %s",
                 err.message ? err.message : "?");
    cr_assert_eq(rt_conn_commit(conn, t2, &err), 0);
    cr_assert_eq(scalar("SELECT count(*) FROM c"), 0);
}

Test(engine, syntax_error_is_operational_error)
{
    rt_result *r;
    expect_error(try_on(conn, "SELEC 1", NULL, 0, &r), RT_ERR_OPERATIONAL,
                 "near \"SELEC\": syntax error");
    cr_assert_eq(err.code, 1);
    cr_assert_str_eq(err.statement, "SELEC 1");
    cr_assert_str_eq(err.params, "()");
    echo_is("SELEC 1\n()\n");
    expect_error(try_on(conn, "INSERT INTO nosuch VALUES (1)", NULL, 0, &r),
                 RT_ERR_OPERATIONAL, "no such table: nosuch");
    echo_is("BEGIN (implicit)\n"
            "INSERT INTO nosuch VALUES (1)\n"
            "()\n"
            "ROLLBACK\n");
    cr_assert_eq(scalar("SELECT 41 + 1"), 42);
}

Test(engine, two_statements_at_once)
{
    rt_result *r;
    expect_error(try_on(conn, "SELECT 1; SELECT 2", NULL, 0, &r), RT_ERR_PROGRAMMING,
                 "You can only execute one statement at a time.");
    cr_assert_str_eq(err.statement, "SELECT 1; SELECT 2");
    /* trailing semicolons, blanks and comments are fine */
    cr_assert_eq(scalar("SELECT 3;  -- done\n"), 3);
}

Test(engine, a_value_is_required_for_each_slot)
{
    rt_result *r = (rt_result *)1;
    expect_error(try_on(conn, "SELECT :x + :y", NULL, 0, &r), RT_ERR_INVALID_REQUEST,
                 "A value is required for bind parameter 'x'");
    cr_assert_null(r);
    echo_is("");
    cr_assert_eq(scalar("SELECT 1"), 1);
}

Test(engine, executing_on_a_closed_connection)
{
    rt_conn_close(conn);
    cr_assert_eq(rt_conn_closed(conn), 1);
    rt_conn_close(conn);              /* idempotent */
    rt_result *r = (rt_result *)1;
    expect_error(try_on(conn, "SELECT 1", NULL, 0, &r), RT_ERR_RESOURCE_CLOSED,
                 "This Connection is closed");
    cr_assert_null(r);
    cr_assert(rt_errclass_is(err.cls, RT_ERR_INVALID_REQUEST));
    rt_txn t;
    expect_error(rt_conn_begin(conn, &t, &err), RT_ERR_RESOURCE_CLOSED,
                 "This Connection is closed");
    expect_error(rt_conn_begin_nested(conn, &t, &err), RT_ERR_RESOURCE_CLOSED,
                 "This Connection is closed");
    echo_is("");
}

/* ---- closing ------------------------------------------------------------------- */

Test(engine, closing_with_an_open_transaction_rolls_it_back)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_txn t;
    rt_conn_begin(conn, &t, &err);
    run_free("INSERT INTO t (x) VALUES (1)", NULL, 0);
    rt_buf_reset(&echo);
    rt_conn_close(conn);
    echo_is("ROLLBACK\n");
    cr_assert_eq(rt_txn_is_active(conn, t), 0);
    rt_conn *c2 = open_conn(engine);    /* the same in-memory database */
    cr_assert_eq(scalar_on(c2, "SELECT count(*) FROM t"), 0);
    rt_conn_free(c2);
}

Test(engine, open_results_close_with_their_connection_conn_freed_first)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_value p[3] = {rt_value_int(1), rt_value_int(2), rt_value_int(3)};
    run_free("INSERT INTO t (x) VALUES (:x)", p, 3);
    rt_result *r = run("SELECT x FROM t ORDER BY x", NULL, 0);
    rt_result *r2 = run("SELECT x FROM t ORDER BY x DESC", NULL, 0);
    cr_assert_eq(rt_result_next(r, &err), 1);
    cr_assert_eq(rt_result_closed(r), 0);
    rt_conn_free(conn);
    conn = NULL;
    cr_assert_eq(rt_result_closed(r), 1);
    cr_assert_eq(rt_result_closed(r2), 1);
    cr_assert_eq(rt_result_next(r, &err), 0);
    cr_assert_eq(rt_result_next(r2, &err), 0);
    rt_value v;
    rt_result_value(r, 0, &v);
    cr_assert_eq(v.type, RT_NULL);
    cr_assert_eq(rt_result_ncols(r), 1);
    cr_assert_str_eq(rt_result_colname(r, 0), "x");
    rt_engine_release(engine);         /* the engine may go before the results too */
    engine = NULL;
    rt_result_free(r2);
    rt_result_free(r);
}

Test(engine, open_results_close_with_their_connection_result_freed_first)
{
    rt_result *r = run("SELECT 1 UNION ALL SELECT 2", NULL, 0);
    rt_result *r2 = run("SELECT 3", NULL, 0);
    rt_result_free(r);                 /* unlinks itself from the connection */
    rt_conn_close(conn);
    cr_assert_eq(rt_result_closed(r2), 1);
    rt_result_free(r2);
    rt_result_free(NULL);
}

/* ---- the statement cache --------------------------------------------------- */

Test(engine, prepared_statements_are_reused)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_compiled *cp = compile_on(conn, "INSERT INTO t (x) VALUES (:x)");
    size_t before = rt_map_count(conn->dbc->stmts);
    rt_stmt *cached = NULL;
    for (int i = 0; i < 3; i++) {
        rt_value v = rt_value_int(i);
        rt_result *r;
        cr_assert_eq(rt_conn_execute(conn, cp, &v, 1, &r, &err), 0);
        rt_result_free(r);
        if (i == 0) {
            cached = rt_map_get(conn->dbc->stmts, cp->sql);
            cr_assert_not_null(cached, "the statement was not cached");
            cr_assert_eq(rt_map_count(conn->dbc->stmts), before + 1);
        }
        cr_assert_eq(rt_map_get(conn->dbc->stmts, cp->sql), cached);
        cr_assert_eq(cached->busy, 0);
        cr_assert_eq(rt_map_count(conn->dbc->stmts), before + 1);
    }
    rt_compiled_release(cp);

    /* a query, read twice through the same cached statement */
    cp = compile_on(conn, "SELECT x FROM t ORDER BY x");
    for (int round = 0; round < 2; round++) {
        rt_result *r;
        cr_assert_eq(rt_conn_execute(conn, cp, NULL, 0, &r, &err), 0);
        cr_assert_eq(r->stmt, rt_map_get(conn->dbc->stmts, cp->sql));
        cr_assert_eq(r->stmt->busy, 1);
        int64_t want = 0;
        rt_value v;
        while (rt_result_next(r, &err) == 1) {
            rt_result_value(r, 0, &v);
            cr_assert_eq(v.u.i, want++);
        }
        cr_assert_eq(want, 3, "round %d read %lld rows", round, (long long)want);
        rt_result_free(r);
    }
    cr_assert_eq(rt_map_count(conn->dbc->stmts), before + 2);
    rt_compiled_release(cp);
}

Test(engine, same_query_while_its_cached_statement_is_busy)
{
    quiet_create("CREATE TABLE t (x INTEGER)");
    rt_value p[3] = {rt_value_int(1), rt_value_int(2), rt_value_int(3)};
    run_free("INSERT INTO t (x) VALUES (:x)", p, 3);
    rt_compiled *cp = compile_on(conn, "SELECT x FROM t ORDER BY x");
    size_t before = rt_map_count(conn->dbc->stmts);
    rt_result *r1, *r2;
    rt_value v;
    cr_assert_eq(rt_conn_execute(conn, cp, NULL, 0, &r1, &err), 0);
    cr_assert_eq(rt_result_next(r1, &err), 1);
    rt_result_value(r1, 0, &v);
    cr_assert_eq(v.u.i, 1);

    cr_assert_eq(rt_conn_execute(conn, cp, NULL, 0, &r2, &err), 0);
    cr_assert_neq(r2->stmt, r1->stmt, "a busy statement cannot serve a second result");
    cr_assert_eq(r1->stmt->cached, 1);
    cr_assert_eq(r2->stmt->cached, 0);
    cr_assert_eq(rt_map_count(conn->dbc->stmts), before + 1);
    for (int64_t want = 1; want <= 3; want++) {
        cr_assert_eq(rt_result_next(r2, &err), 1);
        rt_result_value(r2, 0, &v);
        cr_assert_eq(v.u.i, want);
    }
    cr_assert_eq(rt_result_next(r2, &err), 0);

    /* the first result was not disturbed */
    for (int64_t want = 2; want <= 3; want++) {
        cr_assert_eq(rt_result_next(r1, &err), 1);
        rt_result_value(r1, 0, &v);
        cr_assert_eq(v.u.i, want);
    }
    cr_assert_eq(rt_result_next(r1, &err), 0);
    rt_result_free(r2);
    rt_result_free(r1);
    /* and the cached statement is free again */
    rt_stmt *s = rt_map_get(conn->dbc->stmts, cp->sql);
    cr_assert_eq(s->busy, 0);
    cr_assert_eq(rt_conn_execute(conn, cp, NULL, 0, &r1, &err), 0);
    cr_assert_eq(r1->stmt, s);
    rt_result_free(r1);
    rt_compiled_release(cp);
}

/* ---- a database file ------------------------------------------------------------ */

Test(engine, file_database_persists_and_isolates)
{
    char url[96];
    snprintf(url, sizeof url, "sqlite:///%s", dbfile);
    rt_engine *e = make_engine(url, NULL);
    cr_assert_str_eq(rt_engine_url(e)->database, dbfile);
    cr_assert_eq(rt_url_is_memory(rt_engine_url(e)), 0);
    rt_conn *a = open_conn(e);
    rt_result_free(run_on(a, "CREATE TABLE t (x INTEGER)", NULL, 0));
    rt_result_free(run_on(a, "INSERT INTO t (x) VALUES (1)", NULL, 0));

    rt_pool_status st;
    rt_engine_pool_status(e, &st);
    cr_assert_eq(st.size, 5);
    cr_assert_eq(st.checked_out, 1);
    cr_assert_eq(st.idle, 0);

    /* a second connection of the queue pool is a separate database connection */
    rt_conn *b = open_conn(e);
    cr_assert_neq(a->dbc, b->dbc);
    rt_txn t;
    rt_conn_begin(a, &t, &err);
    rt_result_free(run_on(a, "INSERT INTO t (x) VALUES (2)", NULL, 0));
    cr_assert_eq(scalar_on(b, "SELECT count(*) FROM t"), 1, "uncommitted rows are invisible");
    rt_conn_close(a);                  /* rolls back */
    cr_assert_eq(scalar_on(b, "SELECT count(*) FROM t"), 1);
    rt_engine_pool_status(e, &st);
    cr_assert_eq(st.checked_out, 1);
    cr_assert_eq(st.idle, 1);
    rt_conn_free(b);
    rt_conn_free(a);
    rt_engine_release(e);

    /* a new engine finds the committed row */
    e = make_engine(url, NULL);
    a = open_conn(e);
    cr_assert_eq(scalar_on(a, "SELECT count(*) FROM t"), 1);
    cr_assert_eq(scalar_on(a, "SELECT max(x) FROM t"), 1);
    rt_conn_free(a);
    rt_engine_dispose(e);
    rt_engine_release(e);
}

Test(engine, pool_exhaustion_times_out)
{
    char url[96];
    rt_engine_options o;
    rt_engine_options_init(&o);
    o.pool_size = 1;
    o.max_overflow = 0;
    o.pool_timeout = 0.1;
    snprintf(url, sizeof url, "sqlite:///%s", dbfile);
    rt_engine *e = make_engine(url, &o);
    rt_conn *a = open_conn(e), *b = (rt_conn *)1;
    double t0 = rt_monotonic();
    cr_assert_eq(rt_engine_connect(e, &b, &err), -1);
    cr_assert_geq(rt_monotonic() - t0, 0.05);
    cr_assert_null(b);
    cr_assert_eq(err.cls, RT_ERR_TIMEOUT);
    cr_assert_str_eq(err.message, "QueuePool limit of size 1 overflow 0 reached, connection "
                                  "timed out, timeout 0.10");
    rt_conn_close(a);
    rt_error_clear(&err);
    b = open_conn(e);
    rt_conn_free(b);
    rt_conn_free(a);
    rt_engine_release(e);
}

Test(engine, dispose_closes_connections_as_they_come_back)
{
    char url[96];
    snprintf(url, sizeof url, "sqlite:///%s", dbfile);
    rt_engine *e = make_engine(url, NULL);
    rt_conn *a = open_conn(e), *b = open_conn(e);
    rt_pool_status st;
    rt_conn_close(b);
    rt_engine_pool_status(e, &st);
    cr_assert_eq(st.idle, 1);
    rt_engine_dispose(e);
    rt_engine_pool_status(e, &st);
    cr_assert_eq(st.idle, 0);
    cr_assert_eq(st.checked_out, 1);
    cr_assert_eq(scalar_on(a, "SELECT 5"), 5, "a connection in use keeps working");
    rt_conn_close(a);
    rt_engine_pool_status(e, &st);
    cr_assert_eq(st.idle, 0, "returned after dispose: closed, not pooled");
    cr_assert_eq(st.checked_out, 0);
    cr_assert_eq(st.overflow, -5);
    rt_conn_free(a);
    rt_conn_free(b);
    rt_engine_release(e);
}

Test(engine, file_database_reconnects_after_invalidate)
{
    char url[96];
    snprintf(url, sizeof url, "sqlite:///%s", dbfile);
    rt_engine *e = make_engine(url, NULL);
    rt_conn *a = open_conn(e);
    cr_assert_eq(scalar_on(a, "SELECT 1"), 1);
    rt_dbconn *first = a->dbc;
    rt_conn_invalidate(a);
    cr_assert_null(a->dbc);
    cr_assert_eq(rt_conn_invalidated(a), 0, "no transaction was open");
    cr_assert_eq(scalar_on(a, "SELECT 2"), 2, "checks out a fresh connection");
    cr_assert_not_null(a->dbc);
    (void)first;
    rt_conn_free(a);
    rt_engine_release(e);
}
