/* rt_sql.h: retort's SQL layer: dialects, executable nodes and the compiler.
 *
 * Nodes are immutable and reference-counted; constructors retain children and
 * each owner holds one reference.  Compiling a node for a dialect yields an
 * rt_compiled (SQL text plus ordered parameter slots) that the node caches, so
 * executing the same statement again does not compile again.  This layer
 * knows nothing of connections or drivers.  Implemented in node.c, text.c,
 * compiler.c, cache.c, dialect.c, dialect_sqlite.c and dialect_postgresql.c;
 * the expression language's constructors are in rt_expr.h. */
#ifndef RT_SQL_H
#define RT_SQL_H

#include "rt_schema.h"

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
    RT_NODE_TEXT = 1,    /* text("...") with :name parameters */
    /* FROM elements */
    RT_NODE_TABLE, RT_NODE_ALIAS, RT_NODE_JOIN,
    /* column expressions */
    RT_NODE_COLUMN, RT_NODE_BIND, RT_NODE_LITERAL_COLUMN, RT_NODE_NULL, RT_NODE_BOOL,
    RT_NODE_BINARY, RT_NODE_UNARY, RT_NODE_LIST, RT_NODE_FUNC, RT_NODE_LABEL,
    RT_NODE_CASE, RT_NODE_CAST, RT_NODE_EXTRACT, RT_NODE_SCALAR_SELECT,
    /* statements */
    RT_NODE_SELECT, RT_NODE_COMPOUND, RT_NODE_INSERT, RT_NODE_UPDATE, RT_NODE_DELETE,
    /* DDL (ddl.c) */
    RT_NODE_CREATE_TABLE, RT_NODE_DROP_TABLE, RT_NODE_CREATE_INDEX, RT_NODE_DROP_INDEX,
    RT_NODE_CREATE_SEQUENCE, RT_NODE_DROP_SEQUENCE, RT_NODE_CREATE_ENUM, RT_NODE_DROP_ENUM,
    RT_NODE_ADD_CONSTRAINT, RT_NODE_DROP_CONSTRAINT
} rt_node_kind;

typedef struct rt_node rt_node;

rt_node *rt_node_retain(rt_node *n);   /* returns n; NULL is a no-op */
void rt_node_release(rt_node *n);      /* frees at zero; NULL is a no-op */
/* Whether another reference than the caller's exists (a node just made has
 * none: nothing, no Lua object either, can know it yet). */
int rt_node_shared(const rt_node *n);
rt_node_kind rt_node_kind_of(const rt_node *n);

/* === text.c === */

/* A textual statement.  `:name` marks a bound parameter, except inside quoted
 * strings, quoted identifiers and comments, after another colon (`::int`) or
 * when escaped as `\:`.  Returns a new reference, or NULL with err set. */
rt_node *rt_text_new(const char *sql, rt_error *err);
const char *rt_text_source(const rt_node *n);
/* A copy of text whose result columns `names` have `types` (either may be a
 * NULL type: no conversion).  New reference, or NULL with err set. */
rt_node *rt_text_columns(const rt_node *text, const char *const *names,
                         rt_sqltype *const *types, size_t n, rt_error *err);

/* === compiler.c === */

/* A statement rendered for one dialect.  Reference-counted; read-only. */
typedef struct rt_compiled {
    int refcount;
    char *sql;             /* the text sent to the database */
    size_t nslots;         /* number of parameter placeholders */
    char **slot_names;     /* the parameter key each placeholder takes, in order */
    long *slot_binds;      /* per slot: index into rt_node_bind_values() of a value
                              the statement carries, or -1 (execution parameter
                              only, or, for INSERT/UPDATE, a slot named after a
                              column key that the column's default/onupdate
                              fills when the parameters lack it); NULL when
                              every slot is -1 (text()) */
    const rt_sqltype **slot_types; /* per slot, for value conversion (entries may be
                                      NULL; each held by the compiled statement);
                                      NULL: none */
    int autocommit;        /* DML or DDL: commits when run outside a transaction */
    rt_node_kind kind;     /* what was compiled */
    /* result columns of a SELECT or RETURNING, for rows keyed by column */
    size_t ncolumns;
    char **column_keys;    /* the name each result column is known by */
    const rt_node **column_nodes;   /* the expression it came from (the statement
                                       keeps it alive); NULL for text() */
    const rt_sqltype **column_types; /* held like slot_types */
    /* INSERT: the table and, when the dialect returns them, the positions of
     * primary-key columns in the RETURNING list (-1 if not returned) */
    rt_table *table;
    long *pk_returning;    /* one entry per primary-key column of table, or NULL
                              when no RETURNING list holds any of them */
    int returning_added;   /* RETURNING was added only for inserted_primary_key */
    /* internal to core/sql */
    struct rt_compiled *body;  /* the statement compiled earlier whose text,
                                  slots and column keys/types this one shares
                                  (structural cache; retained), or NULL */
    char *params_key;      /* the execution keys it was compiled for, or NULL */
    /* a node's own copy from the structural cache: what
     * rt_node_bind_values(node) lists (found while the cache key was
     * written, so that an execution need not walk the statement again),
     * stored after the struct; NULL when unknown */
    const rt_value *const *stmt_values;
    size_t nstmt_values;
} rt_compiled;

/* Compiles n for d, or returns the copy cached on the node (or, for a
 * statement built anew in the shape of an earlier one, that one's text and
 * slots: see rt_sql_cache_clear in rt_expr.h).  *out receives a new
 * reference.  Returns 0, or -1 with err set (CompileError or MemoryError). */
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
