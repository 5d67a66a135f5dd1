/* rt_engine.h: engines, URLs, pools, connections, transactions and results.
 *
 * An engine owns a URL, a dialect, a driver and a pool.  A connection borrows a
 * database connection from the pool, executes compiled statements (autocommitting
 * DML outside an explicit transaction, as SQLAlchemy 1.x does), and keeps a stack
 * of transactions and savepoints.  Every statement and transaction event is
 * echoed while echo is on.  The core never prints anywhere but the echo sink and
 * never aborts: failures come back as -1 with an rt_error filled in.
 * Implemented in url.c, engine.c, pool.c, dbconn.c, connection.c,
 * transaction.c, result.c, echo.c, driver_sqlite.c and driver_pg.c; schema
 * operations (create_all, drop_all, existence checks) in schema_ops.c and
 * reflection in reflect.c, reflect_sqlite.c and reflect_postgresql.c. */
#ifndef RT_ENGINE_H
#define RT_ENGINE_H

#include "rt_sql.h"

/* === url.c === */

typedef struct rt_url {
    char *drivername;  /* "sqlite" or "postgresql" */
    char *username;    /* NULL when absent (likewise below) */
    char *password;
    char *host;
    int port;          /* 0 when absent */
    char *database;    /* SQLite: file path, NULL for in-memory */
    size_t nquery;     /* ?key=value options, percent-decoded */
    char **query_keys;
    char **query_values;
} rt_url;

/* Parses a database URL.  Returns 0 and a new URL (free with rt_url_free), or
 * -1 with an ArgumentError naming the problem. */
int rt_url_parse(const char *text, rt_url **out, rt_error *err);
void rt_url_free(rt_url *url);                       /* NULL is a no-op */
/* Renders the URL back, with the password shown as *** unless show_password. */
char *rt_url_render(const rt_url *url, int show_password); /* rt_free it; NULL on OOM */
const char *rt_url_query(const rt_url *url, const char *key); /* NULL if absent */
int rt_url_is_memory(const rt_url *url);            /* in-memory SQLite */

/* === engine.c === */

typedef enum rt_poolclass {
    RT_POOL_DEFAULT = 0,  /* static for in-memory SQLite, queue otherwise */
    RT_POOL_QUEUE,        /* pool_size kept, up to max_overflow more */
    RT_POOL_NULL,         /* a new connection per checkout */
    RT_POOL_STATIC        /* one connection shared by every checkout */
} rt_poolclass;

typedef struct rt_engine_options {
    int echo;             /* echo statements (default off) */
    rt_poolclass poolclass;
    int pool_size;        /* default 5 */
    int max_overflow;     /* default 10; -1 means unlimited */
    double pool_timeout;  /* seconds to wait for a connection; default 30 */
    double pool_recycle;  /* seconds after which a connection is replaced; <= 0 never */
    int pool_pre_ping;    /* test connections on checkout */
} rt_engine_options;

typedef struct rt_engine rt_engine;
typedef void (*rt_echo_fn)(void *ctx, const char *line);

void rt_engine_options_init(rt_engine_options *o);
/* Parses url and creates an engine; no connection is made yet.  Returns 0 and a
 * new engine (reference count 1), or -1 with err set. */
int rt_engine_create(const char *url, const rt_engine_options *opts, rt_engine **out,
                     rt_error *err);
rt_engine *rt_engine_retain(rt_engine *e);
void rt_engine_release(rt_engine *e);               /* NULL is a no-op */
/* Closes the pool's idle connections; connections in use close when returned. */
void rt_engine_dispose(rt_engine *e);
const rt_url *rt_engine_url(const rt_engine *e);
const rt_dialect *rt_engine_dialect(const rt_engine *e);
int rt_engine_echo(const rt_engine *e);
void rt_engine_set_echo(rt_engine *e, int on);
/* For tests of failure handling: the n-th statement executed through e from
 * now on fails with OperationalError "injected failure" before reaching the
 * database (0: no failure).  Not thread-safe. */
void rt_engine_fail_statement(rt_engine *e, long n);
/* Where echo goes; the default writes each line to standard output. */
void rt_engine_set_echo_sink(rt_engine *e, rt_echo_fn fn, void *ctx);
/* Pool figures, for tests and the shell. */
typedef struct rt_pool_status {
    int size, checked_out, idle, overflow;
} rt_pool_status;
void rt_engine_pool_status(const rt_engine *e, rt_pool_status *st);

/* === connection.c, transaction.c === */

typedef struct rt_conn rt_conn;
typedef struct rt_result rt_result;
typedef unsigned long rt_txn;   /* a transaction handle; 0 is never valid */

/* Checks a database connection out of the pool.  0, or -1 with err set
 * (OperationalError when the database refuses, TimeoutError when the pool is
 * exhausted). */
int rt_engine_connect(rt_engine *e, rt_conn **out, rt_error *err);
/* Rolls back what is open, closes open results, returns the database connection
 * to the pool.  Idempotent; the handle stays valid until rt_conn_free. */
void rt_conn_close(rt_conn *c);
void rt_conn_free(rt_conn *c);                      /* closes first; NULL is a no-op */
int rt_conn_closed(const rt_conn *c);
rt_engine *rt_conn_engine(const rt_conn *c);

/* Compiles a statement for the connection's dialect (cached on the node). */
int rt_conn_compile(rt_conn *c, rt_node *stmt, rt_compiled **out, rt_error *err);
/* Executes a compiled statement with nsets sets of compiled->nslots values each
 * (nsets 0 means one set of no values; several sets: executemany).  On success
 * *out is a new result owned by the caller (rt_result_free).  On failure -1 with
 * err holding the class, message, statement and parameters; the connection
 * stays usable (an implicit transaction is rolled back). */
int rt_conn_execute(rt_conn *c, rt_compiled *compiled, const rt_value *params,
                    size_t nsets, rt_result **out, rt_error *err);
/* As nsets calls of rt_conn_execute with one set each, whose results would
 * only be asked for their lastrowid: rowids[i] receives the rowid set i
 * produced (0 when the database has none).  One prepared statement, no result
 * objects: the INSERTs of a flush that need generated keys one row at a
 * time.  The statement must return no rows.  On failure -1 as
 * rt_conn_execute, with the failing set's parameters; earlier sets stay
 * executed. */
int rt_conn_execute_rowids(rt_conn *c, rt_compiled *compiled, const rt_value *params,
                           size_t nsets, int64_t *rowids, rt_error *err);

/* Transactions.  begin starts the outermost transaction, or a marker inside an
 * open one (its commit does nothing, its rollback rolls back the enclosing
 * transaction); begin_nested emits a SAVEPOINT.  Commit or rollback of a
 * transaction first discards those begun after it.  An inactive handle gives
 * InvalidRequestError. */
int rt_conn_begin(rt_conn *c, rt_txn *out, rt_error *err);
int rt_conn_begin_nested(rt_conn *c, rt_txn *out, rt_error *err);
int rt_conn_commit(rt_conn *c, rt_txn t, rt_error *err);
int rt_conn_rollback(rt_conn *c, rt_txn t, rt_error *err);
int rt_txn_is_active(const rt_conn *c, rt_txn t);
int rt_conn_in_transaction(const rt_conn *c);
/* Closes the database connection of c after a disconnect; the next execute
 * checks out a fresh one. */
void rt_conn_invalidate(rt_conn *c);
int rt_conn_invalidated(const rt_conn *c);

/* === result.c === */

/* Steps to the next row: 1 row, 0 no more rows (the result closes itself),
 * -1 error. */
int rt_result_next(rt_result *r, rt_error *err);
int rt_result_ncols(const rt_result *r);
const char *rt_result_colname(const rt_result *r, int i);   /* 0-based */
/* The current row's value i, borrowed until the next call on r. */
void rt_result_value(rt_result *r, int i, rt_value *out);
/* All ncols values of the current row into out[0..ncols-1], borrowed the same way. */
void rt_result_values(rt_result *r, rt_value *out);
int rt_result_returns_rows(const rt_result *r);
int64_t rt_result_rowcount(const rt_result *r);   /* rows changed by DML, -1 unknown */
int64_t rt_result_lastrowid(const rt_result *r);  /* SQLite rowid of the last INSERT */
int rt_result_autocommit(const rt_result *r);     /* ran as DML/DDL */
/* Releases the cursor; further next() returns 0.  Idempotent. */
void rt_result_close(rt_result *r);
int rt_result_closed(const rt_result *r);
void rt_result_free(rt_result *r);                /* NULL is a no-op */

/* === schema_ops.c, reflect.c === */

/* Existence checks, run (and echoed) on c: SQLite `PRAGMA main.table_info("t")`,
 * PostgreSQL pg_catalog queries with bound parameters.  *exists is 0 or 1.
 * schema may be NULL (the default schema). */
int rt_has_table(rt_conn *c, const char *name, const char *schema, int *exists, rt_error *err);
int rt_has_sequence(rt_conn *c, const rt_sequence *seq, int *exists, rt_error *err);
int rt_has_type(rt_conn *c, const char *name, const char *schema, int *exists, rt_error *err);

/* CREATE TABLE t with what comes with it: its native enum types and sequences
 * before, its indexes (and use_alter foreign keys) after.  checkfirst: do
 * nothing when the table exists.  Each statement autocommits unless c is in
 * a transaction.  InvalidRequestError (before any SQL) when a foreign key
 * names a table or column that is not in t's MetaData. */
int rt_table_create(rt_conn *c, rt_table *t, int checkfirst, rt_error *err);
/* DROP TABLE t, then its sequences and the enum types no other table of its
 * MetaData uses.  checkfirst: do nothing when it does not exist. */
int rt_table_drop(rt_conn *c, rt_table *t, int checkfirst, rt_error *err);
/* Every table of md (or the n given, when tables is not NULL) in dependency
 * order; checkfirst skips tables that exist (create) or do not (drop), after
 * checking them all first, as SQLAlchemy does.  CircularDependencyError for
 * cycles not broken by use_alter. */
int rt_metadata_create_all(rt_conn *c, rt_metadata *md, rt_table *const *tables, size_t n,
                           int checkfirst, rt_error *err);
int rt_metadata_drop_all(rt_conn *c, rt_metadata *md, rt_table *const *tables, size_t n,
                         int checkfirst, rt_error *err);
int rt_index_create(rt_conn *c, rt_index *ix, rt_error *err);
int rt_index_drop(rt_conn *c, rt_index *ix, rt_error *err);
/* Sequences and enum types do nothing where the dialect has none. */
int rt_sequence_create(rt_conn *c, const rt_sequence *seq, int checkfirst, rt_error *err);
int rt_sequence_drop(rt_conn *c, const rt_sequence *seq, int checkfirst, rt_error *err);
int rt_enum_create(rt_conn *c, const rt_sqltype *t, int checkfirst, rt_error *err);
int rt_enum_drop(rt_conn *c, const rt_sqltype *t, int checkfirst, rt_error *err);

/* Reflection (reflect.c).  rt_reflect_table defines table `name` in md from
 * the database: columns (type, nullability, server default, autoincrement),
 * primary key, foreign keys (with ON DELETE / ON UPDATE), unique constraints
 * and indexes; with follow_fks, the tables its foreign keys reference are
 * reflected into md as well (unless md has them already).  NoSuchTableError
 * when the table does not exist; InvalidRequestError when md has it already.
 * *out (may be NULL) receives the table. */
int rt_reflect_table(rt_conn *c, rt_metadata *md, const char *name, const char *schema,
                     int follow_fks, rt_table **out, rt_error *err);
/* The names of the tables in a schema (NULL: the default one), sorted; *names
 * is an array of *n strings, freed with rt_reflect_names_free. */
int rt_reflect_table_names(rt_conn *c, const char *schema, char ***names, size_t *n,
                           rt_error *err);
void rt_reflect_names_free(char **names, size_t n);
/* Reflects every table of the schema (or the `only` ones, nonly of them) that
 * md does not have yet, as MetaData.reflect() does. */
int rt_metadata_reflect(rt_conn *c, rt_metadata *md, const char *schema,
                        const char *const *only, size_t nonly, rt_error *err);

#endif
