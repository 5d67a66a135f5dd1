/* bench_sqlite.c: the plain C baseline of scripts/bench.  It does each
 * benchmark's work with the sqlite3 C API directly (prepared statements,
 * default pragmas, a file database opened with the flags retort's driver
 * uses), and prints the seconds the workload took (set-up excluded), so
 * that retort's figures can be given as ratios.
 *
 *   bench_sqlite SUITE NUM DBFILE [VARIANT]
 *
 * Suites: bulk_inserts, bulk_updates, large_resultsets, short_selects,
 * single_inserts; each creates table `customer` as the retort side does.
 * Variant load_update of bulk_updates is the ORM test's work: read the rows
 * a thousand at a time, then update each one read; variant in_txn of
 * short_selects runs the lookups in one transaction, as the ORM's session
 * does; variant kept of large_resultsets copies the rows into memory it
 * keeps, as fetchall and the ORM do (bench_pg.c mirrors all of this with
 * libpq). */
#include <sqlite3.h>

#include "bench_main.h"

static sqlite3 *db;

static void die(const char *what)
{
    fprintf(stderr, "bench_sqlite: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void exec(const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(sql);
}

static sqlite3_stmt *prepare(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql);
    return st;
}

static void step_done(sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        die("step");
    sqlite3_reset(st);
}

/* INSERT of customer i with its name and description bound. */
static void insert_row(sqlite3_stmt *ins, long i)
{
    char name[64], desc[64];
    snprintf(name, sizeof name, "customer name %ld", i);
    snprintf(desc, sizeof desc, "customer description %ld", i);
    sqlite3_bind_text(ins, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 2, desc, -1, SQLITE_TRANSIENT);
    step_done(ins);
}

static void populate(long n)
{
    sqlite3_stmt *ins = prepare("INSERT INTO customer (name, description) VALUES (?, ?)");
    exec("BEGIN");
    for (long i = 0; i < n; i++)
        insert_row(ins, i);
    exec("COMMIT");
    sqlite3_finalize(ins);
}

static double bulk_inserts(long n)
{
    double t0 = now();
    populate(n);
    return now() - t0;
}

static double bulk_updates(long n)
{
    populate(n);
    double t0 = now();
    sqlite3_stmt *up = prepare("UPDATE customer SET name=? WHERE customer.id = ?");
    exec("BEGIN");
    for (long i = 1; i <= n; i++) {
        char name[64];
        snprintf(name, sizeof name, "updated name %ld", i);
        sqlite3_bind_text(up, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(up, 2, i);
        step_done(up);
    }
    exec("COMMIT");
    sqlite3_finalize(up);
    return now() - t0;
}

/* The ORM flush's work: for each chunk of 1,000 ids, SELECT the rows, keep
 * their values, then UPDATE each row's description (one transaction). */
static double bulk_updates_load_update(long n)
{
    populate(n);
    double t0 = now();
    sqlite3_stmt *sel = prepare("SELECT customer.id, customer.name, customer.description "
                                "FROM customer WHERE customer.id BETWEEN ? AND ?");
    sqlite3_stmt *up = prepare("UPDATE customer SET description=? WHERE customer.id = ?");
    long ids[1000];
    char *descs[1000];
    exec("BEGIN");
    for (long chunk = 0; chunk < n; chunk += 1000) {
        int k = 0;
        sqlite3_bind_int64(sel, 1, chunk + 1);
        sqlite3_bind_int64(sel, 2, chunk + 1000);
        while (sqlite3_step(sel) == SQLITE_ROW && k < 1000) {
            const char *d = (const char *)sqlite3_column_text(sel, 2);
            size_t len = (size_t)sqlite3_column_bytes(sel, 2);
            ids[k] = sqlite3_column_int64(sel, 0);
            descs[k] = malloc(len + sizeof " updated");
            if (!descs[k])
                die("malloc");
            memcpy(descs[k], d, len);
            memcpy(descs[k] + len, " updated", sizeof " updated");
            k++;
        }
        sqlite3_reset(sel);
        for (int i = 0; i < k; i++) {
            sqlite3_bind_text(up, 1, descs[i], -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(up, 2, ids[i]);
            step_done(up);
            free(descs[i]);
        }
    }
    exec("COMMIT");
    sqlite3_finalize(sel);
    sqlite3_finalize(up);
    return now() - t0;
}

/* Reads every column of the current row, as a program would. */
static size_t touch_row(sqlite3_stmt *st)
{
    size_t sum = (size_t)sqlite3_column_int64(st, 0);
    const unsigned char *a = sqlite3_column_text(st, 1);
    const unsigned char *b = sqlite3_column_text(st, 2);
    return sum + (a ? (size_t)sqlite3_column_bytes(st, 1) : 0) +
           (b ? (size_t)sqlite3_column_bytes(st, 2) : 0);
}

static double large_resultsets(long n)
{
    populate(n);
    double t0 = now();
    sqlite3_stmt *sel = prepare("SELECT customer.id, customer.name, customer.description "
                                "FROM customer");
    size_t sum = 0;
    while (sqlite3_step(sel) == SQLITE_ROW)
        sum += touch_row(sel);
    sqlite3_finalize(sel);
    double t = now() - t0;
    if (sum == 42)
        puts("");
    return t;
}

/* The rows copied into memory the program keeps, then read (the work of
 * fetchall and of loading objects; freed after the clock stops, as the
 * retort side's rows are collected after it). */
static double large_resultsets_kept(long n)
{
    populate(n);
    double t0 = now();
    sqlite3_stmt *sel = prepare("SELECT customer.id, customer.name, customer.description "
                                "FROM customer");
    kept_rows k = {0};
    while (sqlite3_step(sel) == SQLITE_ROW)
        keep_row(&k, (long)sqlite3_column_int64(sel, 0),
                 (const char *)sqlite3_column_text(sel, 1), (size_t)sqlite3_column_bytes(sel, 1),
                 (const char *)sqlite3_column_text(sel, 2), (size_t)sqlite3_column_bytes(sel, 2));
    sqlite3_finalize(sel);
    return kept_finish(&k, t0);
}

/* The lookups, each its own statement (autocommit), or, in_txn, all in one
 * transaction as the ORM's session runs them. */
static double lookups(long n, int in_txn)
{
    populate(n);
    double t0 = now();
    sqlite3_stmt *sel = prepare("SELECT customer.id, customer.name, customer.description "
                                "FROM customer WHERE customer.id = ?");
    size_t sum = 0;
    if (in_txn)
        exec("BEGIN");
    for (long i = 0; i < n; i++) {
        sqlite3_bind_int64(sel, 1, (i * 7919) % n + 1);
        if (sqlite3_step(sel) == SQLITE_ROW)
            sum += touch_row(sel);
        sqlite3_reset(sel);
    }
    if (in_txn)
        exec("COMMIT");
    sqlite3_finalize(sel);
    double t = now() - t0;
    if (sum == 42)
        puts("");
    return t;
}

static double short_selects(long n) { return lookups(n, 0); }
static double short_selects_in_txn(long n) { return lookups(n, 1); }

static double single_inserts(long n)
{
    double t0 = now();
    sqlite3_stmt *ins = prepare("INSERT INTO customer (name, description) VALUES (?, ?)");
    for (long i = 0; i < n; i++) {
        exec("BEGIN");
        insert_row(ins, i);
        exec("COMMIT");
    }
    sqlite3_finalize(ins);
    return now() - t0;
}

static void bench_open(const char *file)
{
    remove(file);
    /* the flags retort's driver opens with (no per-call locking: one thread) */
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        die("open");
    exec("CREATE TABLE customer (id INTEGER NOT NULL, name VARCHAR(255), "
         "description VARCHAR(255), PRIMARY KEY (id))");
}

static void bench_close(void)
{
    sqlite3_close(db);
}
