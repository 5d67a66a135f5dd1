/* rt_schema.h: database schema as plain data: SQL types, columns, tables,
 * constraints, indexes, sequences and the MetaData that holds tables.
 *
 * Nothing here renders SQL or talks to a database: the DDL compiler lives in
 * core/sql (ddl.c), execution, create_all and reflection in core/engine.  SQL
 * expressions that a schema item carries (a server default such as now(), a
 * CHECK condition, an SQL-expression default) are held as opaque references
 * owned through rt_exprref, because expressions belong to the layer above.
 *
 * Ownership: a MetaData owns its tables and is reference-counted (the layers
 * above retain it for as long as they point into its tables); a table owns its
 * columns, constraints and indexes; types are reference-counted.  A column or constraint added to a
 * table is owned by it from then on.  Functions that can fail return -1 (or
 * NULL) with err set and change nothing.
 * Implemented in types.c, column.c, table.c, constraint.c, metadata.c and
 * exprref.c (internals shared between them in schema_int.h). */
#ifndef RT_SCHEMA_H
#define RT_SCHEMA_H

#include "rt_util.h"

/* === types.c === */

typedef enum rt_typekind {
    RT_TYPE_NULL = 0,      /* unknown / NullType */
    RT_TYPE_INTEGER,
    RT_TYPE_SMALLINT,
    RT_TYPE_BIGINT,
    RT_TYPE_FLOAT,
    RT_TYPE_NUMERIC,
    RT_TYPE_STRING,        /* VARCHAR(n) */
    RT_TYPE_TEXT,
    RT_TYPE_UNICODE,
    RT_TYPE_UNICODE_TEXT,
    RT_TYPE_BOOLEAN,
    RT_TYPE_DATE,
    RT_TYPE_DATETIME,
    RT_TYPE_TIME,
    RT_TYPE_INTERVAL,
    RT_TYPE_LARGEBINARY,
    RT_TYPE_ENUM,
    RT_TYPE_JSON,
    RT_TYPE_DECORATOR,     /* a user type (TypeDecorator) adapting `impl` */
    RT_TYPE__COUNT
} rt_typekind;

typedef struct rt_sqltype {
    int refcount;
    rt_typekind kind;
    char *sqlname;         /* an explicit SQL spelling (VARCHAR, CHAR, TIMESTAMP,
                              INT, CLOB, ...) or the reflected name; NULL: generic */
    int length;            /* String/LargeBinary length; -1 when unset */
    int precision, scale;  /* Numeric(p, s), Float(p); -1 when unset */
    int timezone;          /* DateTime/Time WITH TIME ZONE */
    int asdecimal;         /* Numeric returns exact values (as text) */
    char **enum_values;    /* Enum labels, in order */
    size_t nenum;
    char *enum_name;       /* Enum name (PostgreSQL type name); NULL: derived */
    int native_enum;       /* PostgreSQL: CREATE TYPE ... AS ENUM (default 1) */
    struct rt_sqltype *impl; /* RT_TYPE_DECORATOR: the type it adapts (owned ref) */
    char *decorator_name;  /* RT_TYPE_DECORATOR: the user's type name */
    int user_ref;          /* a slot for the binding (Lua hooks); 0 when unused;
                              released through the ref hooks with user_ctx */
    void *user_ctx;
} rt_sqltype;

/* How schema objects let go of (and duplicate) the binding's handles: a type's
 * user_ref, a callable default.  The binding sets the hooks once; each handle
 * carries the ctx they are called with (the Lua state).  dup returns a new
 * handle for the same value, or 0 on failure. */
void rt_schema_set_ref_hooks(void (*release)(void *ctx, int ref),
                             int (*dup)(void *ctx, int ref));

/* A new type of this kind with everything unset (refcount 1); NULL on OOM. */
rt_sqltype *rt_type_new(rt_typekind kind);
rt_sqltype *rt_type_retain(rt_sqltype *t);
void rt_type_release(rt_sqltype *t);                 /* NULL is a no-op */
/* A copy with refcount 1 (enum labels and impl included). */
rt_sqltype *rt_type_copy(const rt_sqltype *t);
/* Setters used by constructors and reflection: 0, or -1 on OOM. */
int rt_type_set_sqlname(rt_sqltype *t, const char *sqlname);
int rt_type_set_enum(rt_sqltype *t, const char *const *labels, size_t n, const char *name);
/* A type for an SQL type name as databases report it ("VARCHAR(50)",
 * "character varying(50)", "numeric(10,2)", "timestamp with time zone", ...).
 * Names it does not know give RT_TYPE_NULL with sqlname set.  NULL on OOM. */
rt_sqltype *rt_type_from_sql(const char *spec);
/* Whether a is the same type as b for comparisons (kind, length, precision,
 * scale, timezone, enum labels; not the spelling). */
int rt_type_equivalent(const rt_sqltype *a, const rt_sqltype *b);
/* The type decorators and generic names resolve to (impl of a decorator). */
const rt_sqltype *rt_type_base(const rt_sqltype *t);
/* Generic name as a user writes it: "String(50)", "Integer", "Numeric(10, 2)". */
char *rt_type_repr(const rt_sqltype *t);              /* rt_free it; NULL on OOM */
const char *rt_typekind_name(rt_typekind k);          /* "String", "Integer", ... */
int rt_type_is_numeric(const rt_sqltype *t);
int rt_type_is_string(const rt_sqltype *t);           /* concatenates with || */

/* === column.c === */

typedef struct rt_table rt_table;
typedef struct rt_column rt_column;
typedef struct rt_metadata rt_metadata;

/* A reference to an SQL expression owned by the layer above (core/sql): the
 * schema only keeps it alive and releases it. */
typedef struct rt_exprref {
    void *node;                   /* NULL when unset */
    void (*release)(void *node);
    void *(*retain)(void *node);  /* for copies; returns node */
} rt_exprref;
void rt_exprref_clear(rt_exprref *r);
/* dst (cleared first) refers to src's node too. */
void rt_exprref_copy(rt_exprref *dst, const rt_exprref *src);

typedef enum rt_default_kind {
    RT_DEFAULT_NONE = 0,
    RT_DEFAULT_SCALAR,     /* a constant value (value, text copied) */
    RT_DEFAULT_EXPR,       /* an SQL expression, rendered into the statement */
    RT_DEFAULT_CALLABLE,   /* a function of the binding, by reference number */
    RT_DEFAULT_TEXT        /* server_default given as a string: DEFAULT 'text' */
} rt_default_kind;

/* A column default.  server_default uses TEXT (a string, rendered as a quoted
 * literal) or EXPR (text() rendered as is, other expressions inline);
 * default_ and onupdate use SCALAR, EXPR or CALLABLE. */
typedef struct rt_default {
    rt_default_kind kind;
    rt_value value;        /* RT_DEFAULT_SCALAR: text/blob payload owned here */
    char *text;            /* RT_DEFAULT_TEXT: the literal text */
    rt_exprref expr;       /* RT_DEFAULT_EXPR: an rt_node */
    int ref;               /* RT_DEFAULT_CALLABLE: the binding's handle */
    void *ref_ctx;         /* ... and its ctx for the ref hooks */
} rt_default;
void rt_default_clear(rt_default *d);
/* Sets a scalar default, copying text and blob payloads.  0, or -1 on OOM. */
int rt_default_set_scalar(rt_default *d, const rt_value *v);
int rt_default_set_text(rt_default *d, const char *text);      /* 0, -1 on OOM */
/* dst (cleared first) becomes a copy of src (callables duplicated through the
 * dup hook, expressions shared).  0, or -1 on OOM. */
int rt_default_copy(rt_default *dst, const rt_default *src);

typedef struct rt_sequence {
    char *name;
    char *schema;          /* NULL: default schema */
    int64_t start, increment;
    int has_start, has_increment;
    int optional;          /* only where the database needs it */
} rt_sequence;

rt_sequence *rt_sequence_new(const char *name, const char *schema);  /* NULL on OOM */
rt_sequence *rt_sequence_copy(const rt_sequence *s);                 /* NULL on OOM */
void rt_sequence_free(rt_sequence *s);                               /* NULL: no-op */

/* A ForeignKey() given to a column, kept on the column and turned into a
 * FOREIGN KEY constraint of the table when the column is added to one. */
typedef struct rt_fk_options {
    const char *name;          /* constraint name, or NULL */
    const char *ondelete, *onupdate;
    int deferrable, initially_deferred;
    int use_alter;
} rt_fk_options;

typedef struct rt_column_fk {
    char *target;              /* "table.column", "schema.table.column" or "table" */
    char *name, *ondelete, *onupdate;
    int deferrable, initially_deferred, use_alter;
} rt_column_fk;

typedef enum rt_autoinc {
    RT_AUTOINC_AUTO = 0,   /* integer single-column primary keys autoincrement */
    RT_AUTOINC_TRUE,
    RT_AUTOINC_FALSE
} rt_autoinc;

struct rt_column {
    char *name;            /* the name in the database */
    char *key;             /* the name used in programs (defaults to name) */
    rt_sqltype *type;      /* owned reference; NULL until known (FK columns
                              take the referenced column's type on attach) */
    int nullable;          /* -1 unset: NOT NULL for primary key columns */
    int primary_key;
    int unique;            /* unique=true: a single-column UNIQUE constraint */
    int index;             /* index=true: an index ix_<table>_<column> */
    rt_autoinc autoincrement;
    rt_default default_;   /* client-side default on INSERT */
    rt_default onupdate;   /* client-side default on UPDATE */
    rt_default server_default;
    rt_sequence *sequence; /* owned, or NULL */
    char *doc;
    char *comment;
    rt_column_fk *fks;     /* ForeignKey()s given to the column, in order */
    size_t nfks;
    rt_table *table;       /* the owner, NULL until added */
    size_t position;       /* 0-based position in the table */
    int user_ref;          /* a slot for the binding */
};

/* A new detached column; name may be NULL (declarative fills it in later).
 * Takes a reference to type when given.  NULL on OOM. */
rt_column *rt_column_new(const char *name, rt_sqltype *type);
void rt_column_free(rt_column *c);                  /* only for detached columns */
int rt_column_set_name(rt_column *c, const char *name, rt_error *err);
int rt_column_set_key(rt_column *c, const char *key, rt_error *err);
int rt_column_nullable(const rt_column *c);         /* resolves -1 */
/* The column's type or, for a column given without one, the type of the
 * column its foreign key references (NULL while that is unknown). */
const rt_sqltype *rt_column_type(const rt_column *c);
/* True when this column gets its value from the database on INSERT (integer
 * single-column primary key with autoincrement auto/true, or a sequence). */
int rt_column_autoincrements(const rt_column *c);
/* A detached copy (type shared, defaults, sequence and ForeignKey()s copied,
 * expression defaults shared).  NULL with err set on OOM. */
rt_column *rt_column_copy(const rt_column *c, rt_error *err);
/* Records a ForeignKey(target) on a column (detached or not yet given one);
 * the constraint is made when the column joins a table.  0, or -1 (OOM). */
int rt_column_add_foreign_key(rt_column *c, const char *target, const rt_fk_options *o,
                              rt_error *err);

/* === constraint.c === */

typedef enum rt_constraint_kind {
    RT_CONSTRAINT_PRIMARY_KEY,
    RT_CONSTRAINT_FOREIGN_KEY,
    RT_CONSTRAINT_UNIQUE,
    RT_CONSTRAINT_CHECK
} rt_constraint_kind;

/* One foreign-key constraint (single or composite).  The target is given as
 * "table.column" / "schema.table.column" / "table" strings and resolved
 * lazily against the MetaData, so it may name a table defined later. */
typedef struct rt_foreign_key {
    size_t ncols;
    rt_column **columns;   /* local columns (owned by the table) */
    char **targets;        /* "table.column" per local column, as given */
    char *ondelete, *onupdate;   /* CASCADE, SET NULL, ... or NULL */
    int deferrable, initially_deferred;
    int use_alter;         /* emitted as ALTER TABLE after creation (cycles) */
} rt_foreign_key;

typedef struct rt_constraint {
    rt_constraint_kind kind;
    char *name;            /* NULL: unnamed */
    rt_table *table;
    size_t ncols;
    rt_column **columns;   /* PRIMARY KEY / UNIQUE / FOREIGN KEY columns */
    rt_foreign_key fk;     /* RT_CONSTRAINT_FOREIGN_KEY (fk.columns and fk.ncols
                              alias columns and ncols) */
    char *sqltext;         /* RT_CONSTRAINT_CHECK as text, or NULL */
    rt_exprref expr;       /* RT_CONSTRAINT_CHECK as an expression */
    unsigned long seq;     /* creation order: CREATE TABLE lists constraints by it */
    int generated;         /* 0 made by the user; 1 made for a column (unique=true,
                              ForeignKey); 2 an Enum's CHECK, rendered only where
                              the dialect has no native enums */
} rt_constraint;

typedef struct rt_index {
    char *name;
    rt_table *table;
    size_t ncols;
    rt_column **columns;
    int unique;
} rt_index;

/* A process-wide counter giving schema items their creation order (SQLAlchemy
 * lists constraints in the order they were made, not the order added). */
unsigned long rt_schema_next_seq(void);
/* Sets a FOREIGN KEY constraint's options (copies strings).  0, or -1 on OOM. */
int rt_constraint_set_fk_options(rt_constraint *c, const rt_fk_options *o, rt_error *err);
int rt_constraint_set_check(rt_constraint *c, const char *sqltext, const rt_exprref *expr,
                            rt_error *err);
/* Splits an FK target "[schema.]table.column" into the table's full name and
 * the column; a target without a dot is a table (column NULL: its primary
 * key).  0, or -1 on OOM; rt_free both. */
int rt_fk_target_split(const char *target, char **table, char **column);
/* Resolves the referenced column of foreign key column i of fk, looking the
 * table up in md.  NULL with err (InvalidRequestError / NoReferencedTableError
 * text) when the table or column does not exist. */
rt_column *rt_foreign_key_target(const rt_constraint *fk, size_t i, const rt_metadata *md,
                                 rt_error *err);
/* The table an FK references, or NULL (err set) when it is not in md. */
rt_table *rt_foreign_key_table(const rt_constraint *fk, const rt_metadata *md, rt_error *err);

/* === table.c === */

struct rt_table {
    char *name;
    char *schema;              /* NULL: default schema */
    rt_metadata *metadata;     /* owner */
    rt_column **columns;       /* in declaration order */
    size_t ncols, capcols;
    rt_constraint **constraints; /* primary key first, then in order added */
    size_t nconstraints, capconstraints;
    rt_index **indexes;
    size_t nindexes, capindexes;
    char *comment;
    char *fullname;            /* "schema.name" or "name" */
    void *upper;               /* the layer above's node for this table: a weak
                                  pointer, cleared by that node when it dies */
    int user_ref;              /* a slot for the binding */
};

/* Adds a column (taking ownership).  Errors: a duplicate name or key, a
 * column already in another table.  Primary-key columns join the table's
 * PRIMARY KEY constraint; unique=true adds a UNIQUE constraint; index=true an
 * index. */
int rt_table_add_column(rt_table *t, rt_column *c, rt_error *err);
/* Adds a constraint naming its columns by key; for foreign keys `targets`
 * holds one "table.column" per column.  Takes nothing; copies names.  A
 * PRIMARY KEY constraint replaces the table's (its columns become primary-key
 * columns).  ArgumentError for unknown or repeated columns. */
rt_constraint *rt_table_add_constraint(rt_table *t, rt_constraint_kind kind, const char *name,
                                       const char *const *colkeys, size_t ncols,
                                       const char *const *targets, rt_error *err);
/* Gives c the creation order seq and moves it to its place among t's
 * constraints (the primary key stays first). */
void rt_table_order_constraint(rt_table *t, rt_constraint *c, unsigned long seq);
rt_index *rt_table_add_index(rt_table *t, const char *name, const char *const *colkeys,
                             size_t ncols, int unique, rt_error *err);
/* Removes and frees a constraint or index of t (not the primary key). */
void rt_table_remove_constraint(rt_table *t, rt_constraint *c);
void rt_table_remove_index(rt_table *t, rt_index *ix);
rt_column *rt_table_column(const rt_table *t, const char *key);   /* by key; NULL */
rt_column *rt_table_column_by_name(const rt_table *t, const char *name);
/* The PRIMARY KEY constraint (created empty with the table; never NULL). */
rt_constraint *rt_table_primary_key(const rt_table *t);
/* Qualified name for messages: "schema.name" or "name". */
const char *rt_table_fullname(const rt_table *t);
/* Whether some foreign key of `t` references `other`. */
int rt_table_references(const rt_table *t, const rt_table *other, const rt_metadata *md);
/* The FOREIGN KEY constraints of t that contain column c (n of them, in
 * order); *out is rt_free'd by the caller (NULL when n is 0).  -1 on OOM. */
int rt_column_foreign_keys(const rt_column *c, rt_constraint ***out, size_t *n);

/* === metadata.c === */

struct rt_metadata {
    int refcount;
    rt_table **tables;         /* in the order defined */
    size_t ntables, captables;
    rt_map *by_name;           /* fullname -> rt_table* (not owned) */
    char *schema;              /* default schema for its tables, or NULL */
    int user_ref;
};

rt_metadata *rt_metadata_new(void);                  /* refcount 1; NULL on OOM */
rt_metadata *rt_metadata_retain(rt_metadata *md);
void rt_metadata_release(rt_metadata *md);           /* at zero frees its tables */
/* A new empty table in md.  Error (InvalidRequestError) when a table of that
 * name (and schema) exists already. */
rt_table *rt_metadata_add_table(rt_metadata *md, const char *name, const char *schema,
                                rt_error *err);
rt_table *rt_metadata_table(const rt_metadata *md, const char *fullname); /* NULL */
/* Removes and frees t: only for a table nothing points into (t->upper NULL),
 * such as one whose reflection failed. */
void rt_metadata_remove_table(rt_metadata *md, rt_table *t);
/* Removes and frees t but hands its columns back detached, as they were before
 * rt_table_add_column (for a caller that still owns them: a failed Table()). */
void rt_metadata_discard_table(rt_metadata *md, rt_table *t);
/* Tables ordered so that each comes after the tables its foreign keys
 * reference, as SQLAlchemy orders them: by name within each layer of tables
 * whose dependencies are met (self-references and foreign keys to tables
 * outside md ignored).  Cycles are broken at the foreign keys marked
 * use_alter or, failing that, reported as CircularDependencyError in err.
 * *out is an array of n pointers (rt_free it). */
int rt_metadata_sorted_tables(const rt_metadata *md, rt_table ***out, size_t *n,
                              rt_error *err);
/* Copies table t (columns, constraints, indexes) into md, as tometadata(). */
rt_table *rt_table_copy_to(const rt_table *t, rt_metadata *md, const char *schema,
                           rt_error *err);

#endif
