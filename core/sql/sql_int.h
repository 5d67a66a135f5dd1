/* sql_int.h: internals shared by the files of core/sql (not a public header). */
#ifndef RT_SQL_INT_H
#define RT_SQL_INT_H

#include "rt_sql.h"

enum { RT_DIALECT_DEFAULT_ID, RT_DIALECT_SQLITE_ID, RT_DIALECT_POSTGRESQL_ID, RT_DIALECT_COUNT };

struct rt_cctx;   /* the expression compiler's context (expr_int.h) */

/* A dialect: the compile side of one database.  Initialised with designated
 * initializers; a hook left NULL means the generic rendering. */
struct rt_dialect {
    const char *name;             /* "sqlite", "postgresql", "default" */
    int id;                       /* index into a node's compile cache */
    rt_paramstyle paramstyle;
    const char *const *reserved;  /* lower-case, NULL-terminated */
    /* --- DDL hooks (ddl.c) --- */
    const char *const *type_names;  /* DDL name per rt_typekind (NULL: generic name) */
    const char *const *type_aliases;/* upper-case spellings replaced: from, to, ..., NULL */
    int native_enum;              /* Enum is a type of its own (CREATE TYPE ... AS ENUM) */
    int serial;                   /* autoincrementing integer keys are SERIAL/BIGSERIAL */
    int sequences;                /* CREATE SEQUENCE exists */
    int alter_constraints;        /* ALTER TABLE ADD/DROP CONSTRAINT exists */
    int time_zones;               /* TIMESTAMP/TIME spelled WITH[OUT] TIME ZONE */
    /* --- expression hooks (compiler) --- */
    int native_boolean;           /* true/false literals (else 1 and 0) */
    int native_ilike;             /* ILIKE (else lower(a) LIKE lower(b)) */
    int compound_parens;          /* compound members may be parenthesised */
    int implicit_returning;       /* INSERT adds RETURNING for new primary keys */
    int update_from;              /* UPDATE ... FROM other tables */
    int delete_using;             /* DELETE ... USING other tables */
    int for_update;               /* SELECT ... FOR UPDATE */
    const char *const *func_names;/* pairs: func name, dialect spelling; NULL-ended */
    int cast_string_func_args;    /* count($1::VARCHAR): the server cannot type a bare
                                     string parameter given to a function */
    /* LIMIT/OFFSET (NULL: LIMIT x OFFSET y, LIMIT -1 before a lone OFFSET) */
    void (*limit)(struct rt_cctx *cc, const rt_node *limit, const rt_node *offset);
    void (*extract)(struct rt_cctx *cc, const char *field, const rt_node *expr);
    void (*match)(struct rt_cctx *cc, const rt_node *left, const rt_node *right);
    /* the set of an IN with no values (NULL: SELECT 1 FROM (SELECT 1) WHERE 1!=1) */
    void (*empty_in)(struct rt_cctx *cc, const rt_node *left);
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
