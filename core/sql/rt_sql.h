/* rt_sql.h: retort's SQL layer: dialects, executable nodes and the compiler.
 *
 * Nodes are immutable and reference-counted; constructors retain children and
 * each owner holds one reference.  Compiling a node for a dialect yields an
 * rt_compiled (SQL text plus ordered parameter slots) that the node caches, so
 * executing the same statement again does not compile again.  This layer
 * knows nothing of connections or drivers.  Implemented in node.c, text.c,
 * compiler.c, dialect.c, dialect_sqlite.c and dialect_postgresql.c. */
#ifndef RT_SQL_H
#define RT_SQL_H

#include "rt_util.h"

/* === dialect.c, dialect_sqlite.c, dialect_postgresql.c === */

typedef enum rt_paramstyle {
    RT_PARAM_NAMED,    /* :name  (the default dialect, for display) */
    RT_PARAM_QMARK,    /* ?      (SQLite) */
    RT_PARAM_NUMERIC   /* $1     (PostgreSQL) */
} rt_paramstyle;

typedef struct rt_dialect rt_dialect;

const rt_dialect *rt_dialect_default(void);
const rt_dialect *rt_dialect_sqlite(void);
const rt_dialect *rt_dialect_postgresql(void);
/* "sqlite", "postgresql" (also "postgres"); NULL when unknown. */
const rt_dialect *rt_dialect_by_name(const char *name);
const char *rt_dialect_name(const rt_dialect *d);
rt_paramstyle rt_dialect_paramstyle(const rt_dialect *d);
/* Appends an identifier, quoted when it is a reserved word, has upper-case
 * letters or characters other than [a-z0-9_]. */
void rt_dialect_quote(const rt_dialect *d, rt_buf *b, const char *ident);

/* === node.c === */

typedef enum rt_node_kind {
    RT_NODE_TEXT = 1     /* text("...") with :name parameters */
} rt_node_kind;

typedef struct rt_node rt_node;

rt_node *rt_node_retain(rt_node *n);   /* returns n; NULL is a no-op */
void rt_node_release(rt_node *n);      /* frees at zero; NULL is a no-op */
rt_node_kind rt_node_kind_of(const rt_node *n);

/* === text.c === */

/* A textual statement.  `:name` marks a bound parameter, except inside quoted
 * strings, quoted identifiers and comments, after another colon (`::int`) or
 * when escaped as `\:`.  Returns a new reference, or NULL with err set. */
rt_node *rt_text_new(const char *sql, rt_error *err);
const char *rt_text_source(const rt_node *n);

/* === compiler.c === */

/* A statement rendered for one dialect.  Reference-counted; read-only. */
typedef struct rt_compiled {
    int refcount;
    char *sql;             /* the text sent to the database */
    size_t nslots;         /* number of parameter placeholders */
    char **slot_names;     /* name of each placeholder, in order */
    int autocommit;        /* DML or DDL: commits when run outside a transaction */
} rt_compiled;

/* Compiles n for d, or returns the copy cached on the node.  *out receives a
 * new reference.  Returns 0, or -1 with err set (CompileError or MemoryError). */
int rt_compile(rt_node *n, const rt_dialect *d, rt_compiled **out, rt_error *err);
rt_compiled *rt_compiled_retain(rt_compiled *c);
void rt_compiled_release(rt_compiled *c);
/* Index of the first slot with this name, or -1. */
long rt_compiled_slot(const rt_compiled *c, const char *name);
/* How many compilations have run in this process (tests read it to prove the
 * cache works). */
unsigned long rt_compile_count(void);
/* True when the statement's first keyword makes it autocommit outside a
 * transaction (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ...). */
int rt_sql_is_autocommit(const char *sql);

#endif
