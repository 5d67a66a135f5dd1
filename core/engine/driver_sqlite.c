/* driver_sqlite.c: the sqlite3 client library behind rt_driver, and the only
 * file that includes sqlite3.h.  Values are bound and read through the C API
 * directly; errors map to classes as Python's sqlite3 module maps them. */
#include "engine_int.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sq_stmt {
    sqlite3 *db;
    sqlite3_stmt *st;    /* NULL for an empty statement */
    int is_dml;          /* INSERT, UPDATE, DELETE or REPLACE: has a rowcount */
    int no_rows;         /* returns no columns: run() steps it to the end, so
                            text and blobs bind without a copy (SQLITE_STATIC) */
} sq_stmt;

static rt_errclass class_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_INTERNAL:
    case SQLITE_NOTFOUND: return RT_ERR_INTERNAL;
    case SQLITE_NOMEM: return RT_ERR_MEMORY;
    case SQLITE_CORRUPT: return RT_ERR_DATABASE;
    case SQLITE_TOOBIG: return RT_ERR_DATA;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH: return RT_ERR_INTEGRITY;
    case SQLITE_MISUSE:
    case SQLITE_RANGE: return RT_ERR_INTERFACE;
    case SQLITE_ERROR: case SQLITE_PERM: case SQLITE_ABORT: case SQLITE_BUSY:
    case SQLITE_LOCKED: case SQLITE_READONLY: case SQLITE_INTERRUPT: case SQLITE_IOERR:
    case SQLITE_FULL: case SQLITE_CANTOPEN: case SQLITE_PROTOCOL: case SQLITE_EMPTY:
    case SQLITE_SCHEMA: return RT_ERR_OPERATIONAL;
    default: return RT_ERR_DATABASE;
    }
}

static int fail(sqlite3 *db, int rc, rt_error *err)
{
    rt_error_set(err, class_of(rc), "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    err->code = db ? sqlite3_extended_errcode(db) : rc;
    return -1;
}

static int sq_connect(const rt_url *url, void **handle, rt_error *err)
{
    sqlite3 *db = NULL;
    int timeout_ms = 5000;
    for (size_t i = 0; i < url->nquery; i++) {
        char *end;
        if (strcmp(url->query_keys[i], "timeout") == 0) {
            double t = strtod(url->query_values[i], &end);
            if (*end || t < 0)
                return rt_error_set(err, RT_ERR_ARGUMENT,
                                    "SQLite option timeout wants seconds, not '%s'",
                                    url->query_values[i]);
            timeout_ms = (int)(t * 1000);
        } else {
            return rt_error_set(err, RT_ERR_ARGUMENT,
                                "unknown SQLite URL option '%s' (known: timeout)",
                                url->query_keys[i]);
        }
    }
    /* NOMUTEX: the pool gives a connection to one thread at a time, so
     * SQLite's per-call locking of the connection is not needed (it was a
     * tenth of the cost of reading a row) */
    int rc = sqlite3_open_v2(url->database ? url->database : ":memory:", &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        rt_error_set(err, RT_ERR_OPERATIONAL, "unable to open database file '%s': %s",
                     url->database ? url->database : ":memory:",
                     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        err->code = rc;
        sqlite3_close(db);
        return -1;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, timeout_ms);
    *handle = db;
    return 0;
}

static void sq_close(void *handle) { sqlite3_close_v2(handle); }

static int sq_exec(void *handle, const char *sql, rt_error *err)
{
    int rc = sqlite3_exec(handle, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(handle, rc, err);
}

static int sq_ping(void *handle)
{
    (void)handle;
    return 0;
}

static int only_blanks(const char *s)
{
    while (*s) {
        if (isspace((unsigned char)*s) || *s == ';')
            s++;
        else if (s[0] == '-' && s[1] == '-')
            s += strcspn(s, "\n");
        else
            return 0;
    }
    return 1;
}

/* Whether the statement's first keyword makes it DML (rowcount as Python's
 * sqlite3 module reports it: -1 for everything else). */
static int is_dml(const char *sql)
{
    static const char *const words[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", NULL};
    while (isspace((unsigned char)*sql) || *sql == '(')
        sql++;
    for (int i = 0; words[i]; i++)
        if (strncasecmp(sql, words[i], strlen(words[i])) == 0)
            return 1;
    return 0;
}

static int sq_prepare(void *handle, const char *sql, size_t nparams, void **out, rt_error *err)
{
    sqlite3 *db = handle;
    const char *tail = NULL;
    sq_stmt *s = rt_calloc(1, sizeof *s);
    if (!s)
        return rt_error_oom(err);
    s->db = db;
    int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, &tail);
    if (rc != SQLITE_OK) {
        rt_free(s);
        return fail(db, rc, err);
    }
    if (tail && !only_blanks(tail)) {
        sqlite3_finalize(s->st);
        rt_free(s);
        return rt_error_set(err, RT_ERR_PROGRAMMING,
                            "You can only execute one statement at a time.");
    }
    s->is_dml = is_dml(sql);
    s->no_rows = s->st && sqlite3_column_count(s->st) == 0;
    int want = s->st ? sqlite3_bind_parameter_count(s->st) : 0;
    if ((size_t)want != nparams) {
        sqlite3_finalize(s->st);
        rt_free(s);
        return rt_error_set(err, RT_ERR_PROGRAMMING,
                            "Incorrect number of bindings supplied. The current statement "
                            "uses %d, and there are %zu supplied.", want, nparams);
    }
    *out = s;
    return 0;
}

static void sq_finalize(void *stmt)
{
    sq_stmt *s = stmt;
    if (!s)
        return;
    sqlite3_finalize(s->st);
    rt_free(s);
}

static int bind(sq_stmt *s, int i, const rt_value *v)
{
    switch (v->type) {
    case RT_NULL: return sqlite3_bind_null(s->st, i);
    case RT_INT: return sqlite3_bind_int64(s->st, i, v->u.i);
    case RT_FLOAT: return sqlite3_bind_double(s->st, i, v->u.f);
    case RT_BOOL: return sqlite3_bind_int(s->st, i, v->u.b);
    /* the caller's values live until run() returns; a statement without
     * result columns is done by then and never reads them again (a result
     * with no rows is not stepped past its end, and the next run rebinds) */
    case RT_TEXT:
        return sqlite3_bind_text64(s->st, i, v->u.s.p, v->u.s.n,
                                   s->no_rows ? SQLITE_STATIC : SQLITE_TRANSIENT, SQLITE_UTF8);
    case RT_BLOB:
        return sqlite3_bind_blob64(s->st, i, v->u.s.p, v->u.s.n,
                                   s->no_rows ? SQLITE_STATIC : SQLITE_TRANSIENT);
    }
    return SQLITE_MISUSE;
}

static int sq_step(void *stmt, rt_error *err)
{
    sq_stmt *s = stmt;
    if (!s->st)
        return 0;
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    fail(s->db, rc, err);
    sqlite3_reset(s->st);
    return -1;
}

static int sq_run(void *stmt, const rt_value *params, size_t n, rt_error *err)
{
    sq_stmt *s = stmt;
    if (!s->st)
        return 0;
    sqlite3_reset(s->st);
    for (size_t i = 0; i < n; i++) {
        int rc = bind(s, (int)i + 1, &params[i]);
        if (rc != SQLITE_OK)
            return fail(s->db, rc, err);
    }
    return sq_step(stmt, err);
}

static int sq_ncols(void *stmt)
{
    sq_stmt *s = stmt;
    return s->st ? sqlite3_column_count(s->st) : 0;
}

static const char *sq_colname(void *stmt, int i)
{
    sq_stmt *s = stmt;
    const char *name = sqlite3_column_name(s->st, i);
    return name ? name : "?";
}

/* Through the column's sqlite3_value: one column call instead of two or three
 * (the value is "unprotected", which only matters when another thread uses
 * the connection; the pool gives it to one thread at a time). */
static void sq_column(void *stmt, int i, rt_value *out)
{
    sq_stmt *s = stmt;
    sqlite3_value *v = sqlite3_column_value(s->st, i);
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: *out = rt_value_int(sqlite3_value_int64(v)); break;
    case SQLITE_FLOAT: *out = rt_value_float(sqlite3_value_double(v)); break;
    case SQLITE_TEXT: {
        const char *p = (const char *)sqlite3_value_text(v);
        *out = rt_value_text(p, (size_t)sqlite3_value_bytes(v));
        break;
    }
    case SQLITE_BLOB: {
        const void *p = sqlite3_value_blob(v);
        *out = rt_value_blob(p ? p : "", (size_t)sqlite3_value_bytes(v));
        break;
    }
    default: *out = rt_value_null(); break;
    }
}

static int64_t sq_changes(void *stmt)
{
    sq_stmt *s = stmt;
    if (!s->st || !s->is_dml)
        return -1;
    return sqlite3_changes64(s->db);
}

static int64_t sq_lastrowid(void *stmt)
{
    sq_stmt *s = stmt;
    return sqlite3_last_insert_rowid(s->db);
}

static void sq_reset(void *stmt)
{
    sq_stmt *s = stmt;
    if (s->st) {
        sqlite3_reset(s->st);
        sqlite3_clear_bindings(s->st);
    }
}

/* The statement's columns change only when SQLite prepares it again. */
static int sq_shape(void *stmt)
{
    sq_stmt *s = stmt;
    return s->st ? sqlite3_stmt_status(s->st, SQLITE_STMTSTATUS_REPREPARE, 0) : 0;
}

const rt_driver rt_driver_sqlite = {
    "sqlite",  sq_connect, sq_close,  sq_exec,    sq_ping,      sq_prepare, sq_finalize,
    sq_run,    sq_step,    sq_ncols,  sq_colname, sq_column,    sq_changes, sq_lastrowid,
    sq_reset,  sq_shape,
};
