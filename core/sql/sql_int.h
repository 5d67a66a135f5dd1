/* sql_int.h: internals shared by the files of core/sql (not a public header). */
#ifndef RT_SQL_INT_H
#define RT_SQL_INT_H

#include "rt_sql.h"

enum { RT_DIALECT_DEFAULT_ID, RT_DIALECT_SQLITE_ID, RT_DIALECT_POSTGRESQL_ID, RT_DIALECT_COUNT };

/* A dialect: the compile side of one database.  Initialised with designated
 * initializers; a hook left NULL means the generic rendering. */
struct rt_dialect {
    const char *name;             /* "sqlite", "postgresql", "default" */
    int id;                       /* index into a node's compile cache */
    rt_paramstyle paramstyle;
    const char *const *reserved;  /* lower-case, NULL-terminated */
    /* --- DDL hooks (ddl.c) --- */
    /* --- expression hooks (compiler) --- */
};

/* Every node starts with this header. */
struct rt_node {
    rt_node_kind kind;
    int refcount;
    void (*destroy)(rt_node *n);              /* frees kind-specific parts */
    int (*compile)(const rt_node *n, const rt_dialect *d, rt_compiled *out,
                   rt_error *err);            /* fills sql, slots, flags */
    rt_compiled *cache[RT_DIALECT_COUNT];     /* compiled once per dialect */
};

/* Initialises the common header (refcount 1, empty cache). */
void rt_node_init(rt_node *n, rt_node_kind kind, void (*destroy)(rt_node *),
                  int (*compile)(const rt_node *, const rt_dialect *, rt_compiled *,
                                 rt_error *));

/* Appends a placeholder for the next slot (numbered from 1) in d's style. */
void rt_dialect_placeholder(const rt_dialect *d, rt_buf *b, const char *name, size_t number);

#endif
