/* engine_int.h: internals shared by the files of core/engine: the driver
 * interface, database connections with their statement cache, the pool, and
 * the engine, connection and result structures. */
#ifndef RT_ENGINE_INT_H
#define RT_ENGINE_INT_H

#include "rt_engine.h"

#include <pthread.h>

/* One client library.  Every function that can fail fills err (class, driver
 * message, code / SQLSTATE, disconnect flag) and returns -1. */
typedef struct rt_driver {
    const char *name;
    int (*connect)(const rt_url *url, void **handle, rt_error *err);
    void (*close)(void *handle);
    /* Runs SQL without parameters or rows (BEGIN, COMMIT, SAVEPOINT ...). */
    int (*exec)(void *handle, const char *sql, rt_error *err);
    /* Cheap liveness test: 0 alive, -1 dead. */
    int (*ping)(void *handle);
    int (*prepare)(void *handle, const char *sql, size_t nparams, void **stmt,
                   rt_error *err);
    void (*finalize)(void *stmt);
    /* Binds params and runs the statement, positioned on the first row:
     * 1 a row is there, 0 no rows, -1 error. */
    int (*run)(void *stmt, const rt_value *params, size_t n, rt_error *err);
    int (*step)(void *stmt, rt_error *err);        /* 1 row, 0 end, -1 error */
    int (*ncols)(void *stmt);
    const char *(*colname)(void *stmt, int i);
    void (*column)(void *stmt, int i, rt_value *out); /* borrowed until step/reset */
    int64_t (*changes)(void *stmt);
    int64_t (*lastrowid)(void *stmt);
    void (*reset)(void *stmt);                      /* ends the cursor; reusable */
    /* A number that changes whenever the statement's result columns may
     * have changed (SQLite: it was prepared again after a schema change);
     * NULL: unknown, the names are compared at each run. */
    int (*shape)(void *stmt);
} rt_driver;

extern const rt_driver rt_driver_sqlite;
extern const rt_driver rt_driver_pg;
const rt_driver *rt_driver_for(const char *drivername);  /* NULL if unknown */

/* === dbconn.c: one database connection and its prepared statements === */

/* Column names of a statement's results (result.c): the statement keeps
 * those of its last run, and each result holds a reference, so running a
 * statement again copies no names unless they changed. */
typedef struct rt_colnames {
    int refs;
    int n;
    char *names[];     /* n pointers, then the strings */
} rt_colnames;
void rt_colnames_release(rt_colnames *cn);

typedef struct rt_stmt {
    const rt_driver *drv;
    void *handle;      /* driver statement */
    int busy;          /* held by an open result */
    int cached;        /* owned by the connection's cache (else by the result) */
    rt_colnames *names;/* of the last result (one reference), or NULL */
    int names_shape;   /* the driver's shape() when names were taken */
    char *sql;         /* its SQL text while cached (the recent check), else NULL */
} rt_stmt;

typedef struct rt_dbconn {
    const rt_driver *drv;
    void *handle;          /* driver connection */
    rt_map *stmts;         /* SQL text -> rt_stmt */
    rt_stmt *recent;       /* the cached statement prepared last, or NULL: checked
                              with one strcmp before hashing the text */
    double created;        /* monotonic seconds, for recycle and invalidation */
    int in_txn;            /* a transaction is open on the server */
    int shares;            /* static pool: how many checkouts hold it */
    unsigned next_shared_savepoint; /* for the checkouts' rt_shared_N */
    struct rt_dbconn *next;/* idle list link */
} rt_dbconn;

int rt_dbconn_open(const rt_driver *drv, const rt_url *url, rt_dbconn **out, rt_error *err);
void rt_dbconn_close(rt_dbconn *d);                 /* NULL is a no-op */
/* A statement for sql: the cached one when free, else a private one. */
int rt_dbconn_prepare(rt_dbconn *d, const char *sql, size_t nparams, rt_stmt **out,
                      rt_error *err);
void rt_dbconn_release_stmt(rt_dbconn *d, rt_stmt *s);  /* resets or finalizes */
int rt_dbconn_exec(rt_dbconn *d, const char *sql, rt_error *err);

/* === pool.c === */

typedef struct rt_pool rt_pool;
typedef struct rt_pool_options {
    rt_poolclass kind;     /* RT_POOL_QUEUE, RT_POOL_NULL or RT_POOL_STATIC */
    int size;
    int max_overflow;      /* -1: unlimited */
    double timeout;
    double recycle;
    int pre_ping;
} rt_pool_options;

rt_pool *rt_pool_new(const rt_pool_options *o, const rt_driver *drv, const rt_url *url);
void rt_pool_free(rt_pool *p);      /* closes idle connections; NULL is a no-op */
/* Waits up to timeout for a connection; TimeoutError when none comes. */
int rt_pool_checkout(rt_pool *p, rt_dbconn **out, rt_error *err);
/* Returns a connection: rolls back what it left open and keeps it idle, or
 * closes it (overflow, null pool, failed reset). */
void rt_pool_checkin(rt_pool *p, rt_dbconn *d);
/* Closes a broken connection and frees its slot; idle connections older than
 * it are replaced on their next checkout. */
void rt_pool_invalidate(rt_pool *p, rt_dbconn *d);
void rt_pool_dispose(rt_pool *p);   /* closes idle connections */
void rt_pool_status_get(rt_pool *p, rt_pool_status *st);

/* === engine.c === */

struct rt_engine {
    int refcount;
    rt_url *url;
    const rt_dialect *dialect;
    const rt_driver *drv;
    rt_pool *pool;
    int echo;
    rt_echo_fn echo_fn;
    void *echo_ctx;
    long fail_at;          /* test hook: statements until one fails (0: off) */
};

/* === echo.c === */

void rt_echo_line(rt_engine *e, const char *line);
void rt_echo_statement(rt_engine *e, const char *sql, const rt_value *params,
                       size_t nparams, size_t nsets);

/* === connection.c, transaction.c === */

typedef enum txn_kind { TXN_ROOT, TXN_MARKER, TXN_SAVEPOINT } txn_kind;

typedef struct txn_frame {
    txn_kind kind;
    rt_txn id;
    unsigned savepoint;    /* number in sa_savepoint_N */
} txn_frame;

struct rt_conn {
    rt_engine *engine;
    rt_dbconn *dbc;        /* NULL after close or invalidation */
    int closed;
    int invalidated;       /* lost its connection inside a transaction */
    txn_frame *frames;     /* open transactions, outermost first */
    size_t nframes, capframes;
    rt_txn next_id;
    unsigned next_savepoint;
    unsigned shared_savepoint; /* its transaction is SAVEPOINT rt_shared_N inside
                                  another checkout's on a shared connection */
    rt_result *results;    /* open results (linked through result->next) */
};

/* Makes sure c has a database connection (reconnecting after invalidation). */
int rt_conn_ensure(rt_conn *c, rt_error *err);
/* Runs transaction SQL with echo; handles disconnects. */
int rt_conn_exec_control(rt_conn *c, const char *sql, const char *echo, rt_error *err);
/* Called when an error says the connection is gone. */
void rt_conn_handle_disconnect(rt_conn *c);
void rt_conn_attach_result(rt_conn *c, rt_result *r);   /* r joins c->results */
void rt_conn_detach_result(rt_conn *c, rt_result *r);

/* === result.c === */

struct rt_result {
    rt_conn *conn;         /* NULL once detached */
    rt_stmt *stmt;         /* NULL when buffered or closed */
    int has_row;           /* positioned on a row */
    int closed;
    int ncols;
    rt_colnames *names;    /* (a reference), NULL without columns */
    int64_t rowcount;
    int64_t lastrowid;
    int autocommit;
    /* buffered rows (when the statement had to finish before COMMIT) */
    rt_value *rows;        /* nrows * ncols values; text copied into `store` */
    char **store;          /* one allocation per buffered text/blob */
    size_t nrows, nstore, pos;
    struct rt_result *next, *prev; /* in conn->results (doubly linked: a
                                      result leaves it in constant time) */
};

/* Creates a result over a statement that ran (has_row from driver run()). */
int rt_result_new(rt_conn *c, rt_stmt *s, int has_row, int autocommit, rt_result **out,
                  rt_error *err);
/* Reads every remaining row into memory and releases the statement. */
int rt_result_buffer(rt_result *r, rt_error *err);

/* === schema_ops.c: the queries DDL checks and reflection run === */

/* Runs sql (text() syntax: :name parameters, bound from names/vals) on c with
 * echo, like any statement.  *out, when out is not NULL, receives the result
 * (rt_result_free it); otherwise the result is read to the end and freed. */
int rt_schema_query(rt_conn *c, const char *sql, const char *const *names,
                    const rt_value *vals, size_t n, rt_result **out, rt_error *err);

#endif
