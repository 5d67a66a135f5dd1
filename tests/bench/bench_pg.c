/* bench_pg.c: the plain C baseline of scripts/bench for PostgreSQL.  It does
 * each benchmark's work with libpq directly (statements prepared once with
 * PQprepare and run with PQexecPrepared, text parameters, whole results),
 * and prints the seconds the workload took (set-up excluded), the same
 * workloads as bench_sqlite.c.
 *
 *   bench_pg SUITE NUM CONNINFO [VARIANT]
 *
 * CONNINFO is anything PQconnectdb takes, a postgresql:// URI included.  The
 * table `customer` is dropped and created as the retort side does. */
#include <libpq-fe.h>

#include "bench_main.h"

static PGconn *db;

static void die(const char *what, PGresult *res)
{
    fprintf(stderr, "bench_pg: %s: %s\n", what,
            res ? PQresultErrorMessage(res) : PQerrorMessage(db));
    exit(1);
}

/* Checks a result (command or rows) and frees it unless the caller keeps it. */
static PGresult *check(PGresult *res, const char *what, int keep)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        die(what, res);
    if (keep)
        return res;
    PQclear(res);
    return NULL;
}

static void exec(const char *sql)
{
    check(PQexec(db, sql), sql, 0);
}

static void prepare(const char *name, const char *sql, int nparams)
{
    check(PQprepare(db, name, sql, nparams, NULL), sql, 0);
}

static PGresult *run(const char *name, int n, const char *const *vals, int keep)
{
    return check(PQexecPrepared(db, name, n, vals, NULL, NULL, 0), name, keep);
}

static void insert_row(long i)
{
    char name[64], desc[64];
    snprintf(name, sizeof name, "customer name %ld", i);
    snprintf(desc, sizeof desc, "customer description %ld", i);
    const char *vals[2] = {name, desc};
    run("ins", 2, vals, 0);
}

static void populate(long n)
{
    exec("BEGIN");
    for (long i = 0; i < n; i++)
        insert_row(i);
    exec("COMMIT");
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
    prepare("up", "UPDATE customer SET name=$1 WHERE customer.id = $2", 2);
    exec("BEGIN");
    for (long i = 1; i <= n; i++) {
        char name[64], id[32];
        snprintf(name, sizeof name, "updated name %ld", i);
        snprintf(id, sizeof id, "%ld", i);
        const char *vals[2] = {name, id};
        run("up", 2, vals, 0);
    }
    exec("COMMIT");
    return now() - t0;
}

/* The ORM flush's work: rows read a thousand at a time, each updated. */
static double bulk_updates_load_update(long n)
{
    populate(n);
    double t0 = now();
    prepare("sel", "SELECT customer.id, customer.name, customer.description FROM customer "
                   "WHERE customer.id BETWEEN $1 AND $2", 2);
    prepare("up", "UPDATE customer SET description=$1 WHERE customer.id = $2", 2);
    exec("BEGIN");
    for (long chunk = 0; chunk < n; chunk += 1000) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "%ld", chunk + 1);
        snprintf(hi, sizeof hi, "%ld", chunk + 1000);
        const char *range[2] = {lo, hi};
        PGresult *res = run("sel", 2, range, 1);
        for (int r = 0; r < PQntuples(res); r++) {
            const char *d = PQgetvalue(res, r, 2);
            size_t len = (size_t)PQgetlength(res, r, 2);
            char *desc = malloc(len + sizeof " updated");
            if (!desc)
                die("malloc", NULL);
            memcpy(desc, d, len);
            memcpy(desc + len, " updated", sizeof " updated");
            const char *vals[2] = {desc, PQgetvalue(res, r, 0)};
            run("up", 2, vals, 0);
            free(desc);
        }
        PQclear(res);
    }
    exec("COMMIT");
    return now() - t0;
}

/* Reads every column of row r, as a program would. */
static size_t touch_row(PGresult *res, int r)
{
    return (size_t)atol(PQgetvalue(res, r, 0)) + (size_t)PQgetlength(res, r, 1) +
           (size_t)PQgetlength(res, r, 2);
}

static double large_resultsets(long n)
{
    populate(n);
    double t0 = now();
    PGresult *res = check(PQexec(db, "SELECT customer.id, customer.name, customer.description "
                                     "FROM customer"), "select", 1);
    size_t sum = 0;
    for (int r = 0; r < PQntuples(res); r++)
        sum += touch_row(res, r);
    PQclear(res);
    double t = now() - t0;
    if (sum == 42)
        puts("");
    return t;
}

/* The rows copied into memory the program keeps, then read (bench_sqlite.c's
 * large_resultsets_kept). */
static double large_resultsets_kept(long n)
{
    populate(n);
    double t0 = now();
    PGresult *res = check(PQexec(db, "SELECT customer.id, customer.name, customer.description "
                                     "FROM customer"), "select", 1);
    kept_rows k = {0};
    for (int r = 0; r < PQntuples(res); r++)
        keep_row(&k, atol(PQgetvalue(res, r, 0)), PQgetvalue(res, r, 1),
                 (size_t)PQgetlength(res, r, 1), PQgetvalue(res, r, 2),
                 (size_t)PQgetlength(res, r, 2));
    PQclear(res);
    return kept_finish(&k, t0);
}

/* The lookups, each its own statement (autocommit), or, in_txn, all in one
 * transaction as the ORM's session runs them. */
static double lookups(long n, int in_txn)
{
    populate(n);
    double t0 = now();
    prepare("sel", "SELECT customer.id, customer.name, customer.description FROM customer "
                   "WHERE customer.id = $1", 1);
    size_t sum = 0;
    if (in_txn)
        exec("BEGIN");
    for (long i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%ld", (i * 7919) % n + 1);
        const char *vals[1] = {id};
        PGresult *res = run("sel", 1, vals, 1);
        if (PQntuples(res) > 0)
            sum += touch_row(res, 0);
        PQclear(res);
    }
    if (in_txn)
        exec("COMMIT");
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
    for (long i = 0; i < n; i++) {
        exec("BEGIN");
        insert_row(i);
        exec("COMMIT");
    }
    return now() - t0;
}

static void bench_open(const char *conninfo)
{
    db = PQconnectdb(conninfo);
    if (PQstatus(db) != CONNECTION_OK)
        die("connect", NULL);
    PQclear(PQexec(db, "SET client_min_messages TO WARNING"));
    exec("DROP TABLE IF EXISTS customer");
    exec("CREATE TABLE customer (id SERIAL NOT NULL, name VARCHAR(255), "
         "description VARCHAR(255), PRIMARY KEY (id))");
    prepare("ins", "INSERT INTO customer (name, description) VALUES ($1, $2)", 2);
}

static void bench_close(void)
{
    exec("DROP TABLE customer");
    PQfinish(db);
}
