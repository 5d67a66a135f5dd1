/* driver_pg.c: the PostgreSQL driver, rt_driver_pg, over libpq.  It connects
 * with keyword arrays built from the URL (every ?key=value option goes to libpq
 * as a connection keyword), prepares each statement once under a per-connection
 * name, sends parameters as text (blobs as binary), reads whole results in text
 * format and converts each column by its type OID, and turns server errors into
 * retort's error classes by SQLSTATE as psycopg2 does.  This is the only file
 * that includes <libpq-fe.h>.  It holds no pooling, transaction or echo logic;
 * statements must be finalized before their connection is closed. */
#include "engine_int.h"

#include <libpq-fe.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs from pg_type.dat. */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
    OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700
};

/* Session settings every connection starts with: ISO dates, hex bytea. */
#define SESSION_OPTIONS "-c DateStyle=ISO -c bytea_output=hex"

typedef struct pgconn {
    PGconn *pg;
    unsigned long nstmts;  /* statements prepared so far, for unique names */
} pgconn;

/* A decoded bytea value of the current row. */
typedef struct blob {
    unsigned char *p;
    size_t len, cap;
} blob;

typedef struct pgstmt {
    pgconn *conn;          /* the connection it was prepared on */
    char name[32];         /* server-side name, "rt_N"; "" until prepared */
    char *sql;             /* the text, kept to prepare again for new types */
    size_t nparams;        /* as given to prepare */
    Oid *types;            /* parameter types it was prepared with (0: inferred) */
    PGresult *res;         /* result of the last run, NULL after reset */
    int row;               /* current row index */
    int nrows;             /* rows in res */
    blob *blobs;           /* per column: bytea of the current row */
    int nblobs;
} pgstmt;

/* ---- errors ---- */

/* Sets class and a copy of msg without length limit.  Returns -1. */
static int seterr(rt_error *err, rt_errclass cls, const char *msg, size_t n)
{
    rt_error_clear(err);
    err->cls = cls;
    err->message = rt_strndup(msg, n);
    if (!err->message)
        return rt_error_oom(err);
    return -1;
}

/* Length of s without its trailing newlines and blanks. */
static size_t trimmed(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    return n;
}

/* The connection's own message, trailing newline stripped. */
static int connerr(PGconn *pg, rt_errclass cls, rt_error *err)
{
    const char *m = pg ? PQerrorMessage(pg) : "";
    size_t n = trimmed(m);
    if (n == 0) {
        m = "unknown libpq error";
        n = strlen(m);
    }
    return seterr(err, cls, m, n);
}

static const struct {
    const char cls[3];
    rt_errclass err;
} classmap[] = {
    {"23", RT_ERR_INTEGRITY},
    {"22", RT_ERR_DATA},
    {"42", RT_ERR_PROGRAMMING}, {"3F", RT_ERR_PROGRAMMING},
    {"3D", RT_ERR_PROGRAMMING}, {"26", RT_ERR_PROGRAMMING},
    {"34", RT_ERR_PROGRAMMING},
    {"08", RT_ERR_OPERATIONAL}, {"53", RT_ERR_OPERATIONAL},
    {"54", RT_ERR_OPERATIONAL}, {"55", RT_ERR_OPERATIONAL},
    {"57", RT_ERR_OPERATIONAL}, {"58", RT_ERR_OPERATIONAL},
    {"40", RT_ERR_OPERATIONAL}, {"HV", RT_ERR_OPERATIONAL},
    {"0A", RT_ERR_NOT_SUPPORTED},
    {"XX", RT_ERR_INTERNAL}, {"25", RT_ERR_INTERNAL}, {"2D", RT_ERR_INTERNAL},
    {"2B", RT_ERR_INTERNAL}, {"27", RT_ERR_INTERNAL}, {"28", RT_ERR_INTERNAL},
    {"39", RT_ERR_INTERNAL}, {"38", RT_ERR_INTERNAL}, {"P0", RT_ERR_INTERNAL},
};

static rt_errclass classify(const char *state)
{
    for (size_t i = 0; i < sizeof classmap / sizeof classmap[0]; i++)
        if (strncmp(state, classmap[i].cls, 2) == 0)
            return classmap[i].err;
    return RT_ERR_DATABASE;
}

/* Whether the error means the session is gone.  A protocol violation (08P01,
 * e.g. a wrong parameter count) leaves a healthy connection behind. */
static int is_disconnect(PGconn *pg, const char *state)
{
    if (PQstatus(pg) == CONNECTION_BAD)
        return 1;
    if (strncmp(state, "08", 2) == 0)
        return strcmp(state, "08P01") != 0;
    return strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
           strcmp(state, "57P03") == 0;
}

/* Fills err from a failed result (res may be NULL).  Returns -1. */
static int failed(PGconn *pg, const PGresult *res, rt_error *err)
{
    const char *primary = NULL, *detail = NULL, *state = NULL;
    if (res) {
        primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    }
    if (!state)
        state = "";
    rt_errclass cls = state[0] ? classify(state) : RT_ERR_DATABASE;
    int gone = is_disconnect(pg, state);
    if (gone)
        cls = RT_ERR_OPERATIONAL;
    if (primary) {
        rt_buf b;
        rt_buf_init(&b);
        rt_buf_puts(&b, primary);
        if (detail && detail[0])
            rt_buf_printf(&b, "\nDETAIL:  %s", detail);
        if (b.failed) {
            rt_buf_free(&b);
            rt_error_oom(err);
        } else {
            seterr(err, cls, rt_buf_str(&b), b.len);
            rt_buf_free(&b);
        }
    } else {
        connerr(pg, cls, err);
    }
    snprintf(err->sqlstate, sizeof err->sqlstate, "%.5s", state);
    err->disconnect = gone;
    return -1;
}

/* ---- connections ---- */

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;  /* NOTICEs are not ours to print */
}

/* Builds the libpq keyword arrays from url.  keys/vals have room for
 * 8 + nquery entries plus the terminator; *opts receives an allocated options
 * string the caller frees. */
static int keywords(const rt_url *url, const char **keys, const char **vals,
                    char *port, size_t portsz, char **opts)
{
    size_t k = 0;
    const char *user_opts = NULL;
#define KW(key, val) do { if (val) { keys[k] = (key); vals[k] = (val); k++; } } while (0)
    if (url->port) {
        snprintf(port, portsz, "%d", url->port);
        KW("port", port);
    }
    KW("host", url->host);
    KW("user", url->username);
    KW("password", url->password);
    KW("dbname", url->database);
    KW("client_encoding", "UTF8");
    KW("fallback_application_name", "retort");
    for (size_t i = 0; i < url->nquery; i++) {
        if (strcmp(url->query_keys[i], "options") == 0)
            user_opts = url->query_values[i];
        else
            KW(url->query_keys[i], url->query_values[i]);
    }
#undef KW
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, SESSION_OPTIONS);
    if (user_opts && user_opts[0])
        rt_buf_printf(&b, " %s", user_opts);
    *opts = rt_buf_steal(&b);
    if (!*opts)
        return -1;
    keys[k] = "options";
    vals[k] = *opts;
    k++;
    keys[k] = vals[k] = NULL;
    return 0;
}

static int pg_connect(const rt_url *url, void **handle, rt_error *err)
{
    size_t cap = url->nquery + 10;
    const char **keys = rt_calloc(cap, sizeof *keys);
    const char **vals = rt_calloc(cap, sizeof *vals);
    pgconn *c = rt_calloc(1, sizeof *c);
    char port[16], *opts = NULL;
    *handle = NULL;
    if (!keys || !vals || !c || keywords(url, keys, vals, port, sizeof port, &opts) < 0)
        goto oom;
    c->pg = PQconnectdbParams(keys, vals, 0);
    rt_free(opts);
    rt_free(keys);
    rt_free(vals);
    if (!c->pg) {
        rt_free(c);
        return rt_error_oom(err);
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        connerr(c->pg, RT_ERR_OPERATIONAL, err);
        err->disconnect = 1;
        PQfinish(c->pg);
        rt_free(c);
        return -1;
    }
    PQsetNoticeProcessor(c->pg, quiet, NULL);
    *handle = c;
    return 0;
oom:
    rt_free(opts);
    rt_free(keys);
    rt_free(vals);
    rt_free(c);
    return rt_error_oom(err);
}

static void pg_close(void *handle)
{
    pgconn *c = handle;
    if (!c)
        return;
    PQfinish(c->pg);
    rt_free(c);
}

static int ok_status(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
                   st == PGRES_EMPTY_QUERY);
}

static int pg_exec(void *handle, const char *sql, rt_error *err)
{
    pgconn *c = handle;
    PGresult *res = PQexec(c->pg, sql);
    int rc = ok_status(res) ? 0 : failed(c->pg, res, err);
    PQclear(res);
    return rc;
}

static int pg_ping(void *handle)
{
    pgconn *c = handle;
    if (!c || PQstatus(c->pg) != CONNECTION_OK)
        return -1;
    /* An empty query is a round trip that works even in a failed transaction. */
    PGresult *res = PQexec(c->pg, "");
    int alive = res && PQresultStatus(res) == PGRES_EMPTY_QUERY;
    PQclear(res);
    return alive && PQstatus(c->pg) == CONNECTION_OK ? 0 : -1;
}

/* ---- statements ---- */

/* Statements are prepared on their first run, when the parameter types are
 * known.  Values are typed as PostgreSQL types the same literal: integers int4
 * (int8 when larger), floats numeric, booleans bool, binary values bytea, so
 * that `SELECT $1` returns what was passed and `f($1)` finds the function a
 * literal would; text and NULL leave the type to the server.  A later run
 * whose values need other types prepares the statement again. */
static int pg_prepare(void *handle, const char *sql, size_t nparams, void **out,
                      rt_error *err)
{
    pgconn *c = handle;
    pgstmt *s = rt_calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return rt_error_oom(err);
    if (nparams > INT_MAX) {
        rt_free(s);
        return rt_error_set(err, RT_ERR_PROGRAMMING, "too many parameters (%zu)",
                            nparams);
    }
    s->conn = c;
    s->nparams = nparams;
    s->sql = rt_strdup(sql);
    s->types = rt_calloc(nparams ? nparams : 1, sizeof *s->types);
    if (!s->sql || !s->types) {
        rt_free(s->sql);
        rt_free(s->types);
        rt_free(s);
        return rt_error_oom(err);
    }
    *out = s;
    return 0;
}

static Oid type_for(const rt_value *v)
{
    switch (v->type) {
    case RT_INT: return v->u.i >= INT32_MIN && v->u.i <= INT32_MAX ? OID_INT4 : OID_INT8;
    case RT_FLOAT: return OID_NUMERIC;
    case RT_BOOL: return OID_BOOL;
    case RT_BLOB: return OID_BYTEA;
    default: return 0;
    }
}

static void deallocate(pgstmt *s)
{
    if (s->name[0] && PQstatus(s->conn->pg) == CONNECTION_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
        PQclear(PQexec(s->conn->pg, sql));  /* fails harmlessly in an aborted txn */
    }
    s->name[0] = '\0';
}

/* Whether res is PostgreSQL refusing a prepared statement whose result
 * columns changed since it was prepared ("cached plan must not change
 * result type", raised by RevalidateCachedQuery whatever the language). */
static int stale_plan(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *fn = PQresultErrorField(res, PG_DIAG_SOURCE_FUNCTION);
    return state && strcmp(state, "0A000") == 0 && fn &&
           strcmp(fn, "RevalidateCachedQuery") == 0;
}

/* Prepares s for these values unless it already is. */
static int ensure_prepared(pgstmt *s, const rt_value *vals, size_t n, rt_error *err)
{
    int same = s->name[0] != '\0';
    for (size_t i = 0; i < n && same; i++)
        same = vals[i].type == RT_NULL || type_for(&vals[i]) == s->types[i] ||
               (vals[i].type == RT_INT && s->types[i] == OID_INT8);
    if (same)
        return 0;
    deallocate(s);
    for (size_t i = 0; i < n; i++)
        if (vals[i].type != RT_NULL || !s->types[i])
            s->types[i] = type_for(&vals[i]);
    snprintf(s->name, sizeof s->name, "rt_%lu", ++s->conn->nstmts);
    PGresult *res = PQprepare(s->conn->pg, s->name, s->sql, (int)n, s->types);
    if (!ok_status(res)) {
        failed(s->conn->pg, res, err);
        PQclear(res);
        s->name[0] = '\0';
        return -1;
    }
    PQclear(res);
    return 0;
}

static void clear_blobs(pgstmt *s)
{
    for (int i = 0; i < s->nblobs; i++)
        rt_free(s->blobs[i].p);
    rt_free(s->blobs);
    s->blobs = NULL;
    s->nblobs = 0;
}

static void pg_reset(void *stmt)
{
    pgstmt *s = stmt;
    PQclear(s->res);
    s->res = NULL;
    s->row = s->nrows = 0;
}

static void pg_finalize(void *stmt)
{
    pgstmt *s = stmt;
    if (!s)
        return;
    pg_reset(s);
    clear_blobs(s);
    deallocate(s);
    rt_free(s->sql);
    rt_free(s->types);
    rt_free(s);
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decodes bytea text ("\x0a1b...", or the old escape format) into b. */
static int decode_bytea(blob *b, const char *text, size_t n, rt_error *err)
{
    if (n >= 2 && text[0] == '\\' && text[1] == 'x') {
        size_t need = (n - 2) / 2;
        if (need + 1 > b->cap) {
            unsigned char *p = rt_realloc(b->p, need + 1);
            if (!p)
                return rt_error_oom(err);
            b->p = p;
            b->cap = need + 1;
        }
        for (size_t i = 0; i < need; i++) {
            int hi = hexval((unsigned char)text[2 + 2 * i]);
            int lo = hexval((unsigned char)text[3 + 2 * i]);
            if (hi < 0 || lo < 0)
                return rt_error_set(err, RT_ERR_INTERFACE, "malformed bytea value");
            b->p[i] = (unsigned char)(hi << 4 | lo);
        }
        b->len = need;
        return 0;
    }
    size_t len;
    unsigned char *tmp = PQunescapeBytea((const unsigned char *)text, &len);
    if (!tmp)
        return rt_error_oom(err);
    if (len + 1 > b->cap) {
        unsigned char *p = rt_realloc(b->p, len + 1);
        if (!p) {
            PQfreemem(tmp);
            return rt_error_oom(err);
        }
        b->p = p;
        b->cap = len + 1;
    }
    memcpy(b->p, tmp, len);
    b->len = len;
    PQfreemem(tmp);
    return 0;
}

/* Decodes the current row's bytea columns, so column() cannot fail. */
static int decode_row(pgstmt *s, rt_error *err)
{
    int nf = PQnfields(s->res);
    if (nf > s->nblobs) {
        blob *bl = rt_realloc(s->blobs, (size_t)nf * sizeof *bl);
        if (!bl)
            return rt_error_oom(err);
        memset(bl + s->nblobs, 0, (size_t)(nf - s->nblobs) * sizeof *bl);
        s->blobs = bl;
        s->nblobs = nf;
    }
    for (int i = 0; i < nf; i++) {
        if (PQftype(s->res, i) != OID_BYTEA || PQgetisnull(s->res, s->row, i))
            continue;
        if (decode_bytea(&s->blobs[i], PQgetvalue(s->res, s->row, i),
                         (size_t)PQgetlength(s->res, s->row, i), err) < 0)
            return -1;
    }
    return 0;
}

/* Text for one parameter, written into slot (32 bytes) when it is a number. */
static int param(const rt_value *v, char *slot, const char **val, int *len, int *fmt,
                 char **owned, rt_error *err)
{
    *len = 0;
    *fmt = 0;
    switch (v->type) {
    case RT_NULL:
        *val = NULL;
        return 0;
    case RT_INT:
        snprintf(slot, 32, "%" PRId64, v->u.i);
        break;
    case RT_FLOAT:
        if (isnan(v->u.f))
            strcpy(slot, "NaN");
        else if (isinf(v->u.f))
            strcpy(slot, v->u.f > 0 ? "Infinity" : "-Infinity");
        else if (snprintf(slot, 30, "%.17g", v->u.f) && !slot[strspn(slot, "-0123456789")])
            strcat(slot, ".0");   /* numeric keeps the scale: 2.0 stays a float */
        break;
    case RT_BOOL:
        strcpy(slot, v->u.b ? "true" : "false");
        break;
    case RT_TEXT:
        if (v->u.s.n && memchr(v->u.s.p, '\0', v->u.s.n))
            return rt_error_set(err, RT_ERR_DATA,
                                "string parameter contains a NUL byte; use a binary value");
        *owned = rt_strndup(v->u.s.n ? v->u.s.p : "", v->u.s.n);
        if (!*owned)
            return rt_error_oom(err);
        *val = *owned;
        return 0;
    case RT_BLOB:
        if (v->u.s.n > INT_MAX)
            return rt_error_set(err, RT_ERR_DATA, "binary parameter too long (%zu bytes)",
                                v->u.s.n);
        *val = v->u.s.n ? v->u.s.p : "";  /* NULL would mean SQL NULL */
        *len = (int)v->u.s.n;
        *fmt = 1;
        return 0;
    }
    *val = slot;
    return 0;
}

/* Per-run parameter arrays. */
typedef struct params {
    const char **vals;
    int *lens, *fmts;
    char (*slots)[32];
    char **owned;
} params;

static void params_free(params *p, size_t n)
{
    if (p->owned)
        for (size_t i = 0; i < n; i++)
            rt_free(p->owned[i]);
    rt_free(p->vals);
    rt_free(p->lens);
    rt_free(p->fmts);
    rt_free(p->slots);
    rt_free(p->owned);
}

static int pg_run(void *stmt, const rt_value *vals, size_t n, rt_error *err)
{
    pgstmt *s = stmt;
    params p = {0};
    int rc = -1;
    pg_reset(s);
    if (n > INT_MAX)
        return rt_error_set(err, RT_ERR_PROGRAMMING, "too many parameters (%zu)", n);
    if (n) {
        p.vals = rt_calloc(n, sizeof *p.vals);
        p.lens = rt_calloc(n, sizeof *p.lens);
        p.fmts = rt_calloc(n, sizeof *p.fmts);
        p.slots = rt_calloc(n, sizeof *p.slots);
        p.owned = rt_calloc(n, sizeof *p.owned);
        if (!p.vals || !p.lens || !p.fmts || !p.slots || !p.owned) {
            rt_error_oom(err);
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (param(&vals[i], p.slots[i], &p.vals[i], &p.lens[i], &p.fmts[i],
                      &p.owned[i], err) < 0)
                goto done;
    }
    if (n != s->nparams) {
        rt_error_set(err, RT_ERR_PROGRAMMING, "the statement takes %zu parameters, not %zu",
                     s->nparams, n);
        goto done;
    }
    if (ensure_prepared(s, vals, n, err) < 0)
        goto done;
    s->res = PQexecPrepared(s->conn->pg, s->name, (int)n, p.vals, p.lens, p.fmts, 0);
    if (stale_plan(s->res)) {
        /* its tables changed since it was prepared (ALTER TABLE): prepare it
         * again, and run it again unless the failure aborted a transaction
         * (then the caller rolls back, and the next run prepares it) */
        int retry = PQtransactionStatus(s->conn->pg) == PQTRANS_IDLE;
        if (!retry)
            failed(s->conn->pg, s->res, err);
        pg_reset(s);
        deallocate(s);
        if (!retry || ensure_prepared(s, vals, n, err) < 0)
            goto done;
        s->res = PQexecPrepared(s->conn->pg, s->name, (int)n, p.vals, p.lens, p.fmts, 0);
    }
    if (!ok_status(s->res)) {
        failed(s->conn->pg, s->res, err);
        pg_reset(s);
        goto done;
    }
    s->nrows = PQresultStatus(s->res) == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
    if (s->nrows > 0 && decode_row(s, err) < 0) {
        pg_reset(s);
        goto done;
    }
    rc = s->nrows > 0;
done:
    params_free(&p, n);
    return rc;
}

static int pg_step(void *stmt, rt_error *err)
{
    pgstmt *s = stmt;
    if (!s->res || s->row >= s->nrows)
        return 0;
    if (++s->row >= s->nrows)
        return 0;
    return decode_row(s, err) < 0 ? -1 : 1;
}

static int pg_ncols(void *stmt)
{
    pgstmt *s = stmt;
    if (!s->res || PQresultStatus(s->res) != PGRES_TUPLES_OK)
        return 0;
    return PQnfields(s->res);
}

static const char *pg_colname(void *stmt, int i)
{
    pgstmt *s = stmt;
    if (i < 0 || i >= pg_ncols(s))
        return NULL;
    return PQfname(s->res, i);
}

/* numeric: an integer when it has no fraction or exponent and fits int64. */
static void numeric(const char *t, rt_value *out)
{
    if (!strpbrk(t, ".eEaAiI")) {   /* also rules out NaN and Infinity */
        char *end;
        errno = 0;
        long long v = strtoll(t, &end, 10);
        if (errno == 0 && *end == '\0' && end != t) {
            *out = rt_value_int(v);
            return;
        }
    }
    *out = rt_value_float(strtod(t, NULL));
}

static void pg_column(void *stmt, int i, rt_value *out)
{
    pgstmt *s = stmt;
    if (!s->res || s->row >= s->nrows || i < 0 || i >= PQnfields(s->res) ||
        PQgetisnull(s->res, s->row, i)) {
        *out = rt_value_null();
        return;
    }
    const char *t = PQgetvalue(s->res, s->row, i);
    switch (PQftype(s->res, i)) {
    case OID_BOOL:
        *out = rt_value_bool(t[0] == 't');
        break;
    case OID_INT2: case OID_INT4: case OID_INT8: case OID_OID:
        *out = rt_value_int(strtoll(t, NULL, 10));
        break;
    case OID_FLOAT4: case OID_FLOAT8:
        *out = rt_value_float(strtod(t, NULL));  /* glibc reads Infinity and NaN */
        break;
    case OID_NUMERIC:
        numeric(t, out);
        break;
    case OID_BYTEA:
        *out = rt_value_blob(i < s->nblobs ? s->blobs[i].p : NULL,
                             i < s->nblobs ? s->blobs[i].len : 0);
        break;
    default:
        *out = rt_value_text(t, (size_t)PQgetlength(s->res, s->row, i));
        break;
    }
}

static int64_t pg_changes(void *stmt)
{
    pgstmt *s = stmt;
    const char *t = s->res ? PQcmdTuples(s->res) : "";
    return t[0] ? (int64_t)atoll(t) : -1;
}

static int64_t pg_lastrowid(void *stmt)
{
    (void)stmt;
    return -1;  /* PostgreSQL has no rowid; use RETURNING */
}

const rt_driver rt_driver_pg = {
    .name = "postgresql",
    .connect = pg_connect,
    .close = pg_close,
    .exec = pg_exec,
    .ping = pg_ping,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .run = pg_run,
    .step = pg_step,
    .ncols = pg_ncols,
    .colname = pg_colname,
    .column = pg_column,
    .changes = pg_changes,
    .lastrowid = pg_lastrowid,
    .reset = pg_reset,
};
