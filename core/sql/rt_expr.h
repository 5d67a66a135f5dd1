/* rt_expr.h: the SQL expression language: constructors for FROM elements
 * (tables, aliases, joins, subqueries), column expressions, SELECT, compound
 * selects, INSERT, UPDATE, DELETE and DDL, all as immutable reference-counted
 * rt_node trees compiled by rt_compile (rt_sql.h).
 *
 * Conventions for every constructor: children are retained (the caller keeps
 * its own references), the result is a new reference, and on failure NULL is
 * returned with err set (ArgumentError for bad input, e.g. a non-expression
 * where an expression is needed, a join with no foreign-key path, an unknown
 * column; MemoryError) and nothing is leaked.  Generative methods
 * (rt_select_where, ...) return a new node and leave their input unchanged.
 * Implemented in the files listed in docs/ARCHITECTURE.md under core/sql. */
#ifndef RT_EXPR_H
#define RT_EXPR_H

#include "rt_schema.h"
#include "rt_sql.h"

/* === FROM elements: tables, aliases, joins === */

/* The one FROM node of a table (created on first use, kept in t->upper; a new
 * reference each call, and the same node every time). */
rt_node *rt_table_node(rt_table *t, rt_error *err);
rt_table *rt_table_of(const rt_node *n);            /* RT_NODE_TABLE: its table */
/* Columns exported by a FROM element (table, alias, join, subquery; a select
 * or compound: its selected columns), in order.  A join's key is its
 * column's own key (by_key also takes SQLAlchemy's "users_id"); NULL past
 * the end. */
size_t rt_from_ncols(const rt_node *from);
const char *rt_from_column_key(const rt_node *from, size_t i);
/* The column expression for column i of a FROM element (the same node on every
 * call while it lives; a new reference; for a select, its i-th selected
 * expression).  by_key: NULL, err untouched, when there is no such key. */
rt_node *rt_from_column(rt_node *from, size_t i, rt_error *err);
rt_node *rt_from_column_by_key(rt_node *from, const char *key, rt_error *err);
/* For a column expression of a table (or of an alias of a table): its schema
 * column; NULL for other expressions. */
rt_column *rt_column_of(const rt_node *n);
/* The FROM element a column expression belongs to (borrowed), or NULL. */
rt_node *rt_column_from(const rt_node *n);
/* An alias of a table or select (name NULL: anonymous, rendered users_1 for a
 * table, anon_1 for a select, numbered per compilation). */
rt_node *rt_alias_new(rt_node *from, const char *name, rt_error *err);
/* A join; on == NULL derives the ON clause from foreign keys between the two
 * sides (ArgumentError when there is none, or more than one, path). */
rt_node *rt_join_new(rt_node *left, rt_node *right, rt_node *on, int isouter, int full,
                     rt_error *err);

/* === column expressions === */

typedef enum rt_binop {
    RT_OP_EQ, RT_OP_NE, RT_OP_LT, RT_OP_LE, RT_OP_GT, RT_OP_GE,
    RT_OP_ADD, RT_OP_SUB, RT_OP_MUL, RT_OP_DIV, RT_OP_MOD, RT_OP_CONCAT,
    RT_OP_LIKE, RT_OP_NOT_LIKE, RT_OP_ILIKE, RT_OP_NOT_ILIKE,
    RT_OP_IN, RT_OP_NOT_IN, RT_OP_IS, RT_OP_IS_NOT,
    RT_OP_BETWEEN,       /* right is a 2-element comma list */
    RT_OP_MATCH,
    RT_OP_CUSTOM,        /* the operator text given to rt_binary_new */
    RT_OP_NOT_BETWEEN    /* what NOT of a BETWEEN becomes */
} rt_binop;

typedef enum rt_unop {
    RT_UOP_NOT, RT_UOP_NEG, RT_UOP_DISTINCT, RT_UOP_ASC, RT_UOP_DESC,
    RT_UOP_EXISTS, RT_UOP_NULLS_FIRST, RT_UOP_NULLS_LAST
} rt_unop;

typedef enum rt_listop { RT_LIST_AND, RT_LIST_OR, RT_LIST_COMMA } rt_listop;

/* A bound parameter.  key NULL: named after what it is compared with
 * (users.name = :name_1); value NULL: supplied at execution; type may be NULL
 * (taken from the value or the other side of a comparison). */
rt_node *rt_bind_new(const char *key, const rt_value *value, rt_sqltype *type,
                     rt_error *err);
/* literal_column("x"), and a textual SQL fragment typed as type. */
rt_node *rt_literal_column_new(const char *text, rt_sqltype *type, rt_error *err);
rt_node *rt_null_new(rt_error *err);
rt_node *rt_bool_new(int value, rt_error *err);     /* true(), false() */
rt_node *rt_binary_new(rt_node *left, rt_binop op, rt_node *right, const char *custom,
                       rt_error *err);
/* left op value: rt_binary_new with value as the bind it would make of it
 * (named after left, typed like it), made once.  New reference, or NULL with
 * err set. */
rt_node *rt_binary_value_new(rt_node *left, rt_binop op, const rt_value *value, rt_error *err);
rt_node *rt_unary_new(rt_unop op, rt_node *operand, rt_error *err);
/* and_/or_ of n clauses (NULL items skipped), or a comma list (a, b, c). */
rt_node *rt_list_new(rt_listop op, rt_node *const *items, size_t n, rt_error *err);
/* func.name(args...): dotted names render as such; type may be NULL. */
rt_node *rt_func_new(const char *name, rt_node *const *args, size_t n, rt_sqltype *type,
                     rt_error *err);
rt_node *rt_label_new(rt_node *expr, const char *name, rt_error *err);  /* NULL: anon */
/* CASE [value] WHEN w THEN t ... [ELSE e] END. */
rt_node *rt_case_new(rt_node *const *whens, rt_node *const *thens, size_t n, rt_node *value,
                     rt_node *else_, rt_error *err);
rt_node *rt_cast_new(rt_node *expr, rt_sqltype *type, rt_error *err);
rt_node *rt_extract_new(const char *field, rt_node *expr, rt_error *err);
/* The key a column expression is known by: a column's key (for a column of
 * a subquery, the key its select exports it by), a label's name; NULL for
 * other expressions.  Borrowed from the node. */
const char *rt_expr_key(const rt_node *e);
/* The type an expression evaluates to (a borrowed pointer; NULL: unknown). */
const rt_sqltype *rt_expr_type(const rt_node *n);
/* Whether n can stand as a column expression / as a FROM element. */
int rt_node_is_expr(const rt_node *n);
int rt_node_is_from(const rt_node *n);

/* === adapt.c === */

/* What rt_expr_adapt calls for each column expression: a new reference to
 * what stands in its place (col itself, retained, to keep it), or NULL
 * with err set. */
typedef rt_node *(*rt_adapt_fn)(void *ctx, rt_node *col, rt_error *err);
/* A copy of expression n with its columns replaced by fn (subqueries inside
 * are kept as they are); n itself, retained, when nothing changes. */
rt_node *rt_expr_adapt(rt_node *n, rt_adapt_fn fn, void *ctx, rt_error *err);
/* The terms of an AND (nested ANDs flattened; any other expression is its
 * own one term): up to max borrowed pointers in out; returns the count. */
size_t rt_expr_and_terms(rt_node *n, rt_node **out, size_t max);
/* Whether n is "column = column"; the two columns in *left, *right. */
int rt_expr_column_eq(const rt_node *n, rt_node **left, rt_node **right);

/* === SELECT and compound selects === */

/* select(cols...): each item is a column expression or a FROM element (which
 * expands to all its columns; a select given as a FROM element, here or to
 * select_from/join, becomes an anonymous subquery).  No columns: SELECT *.
 * order_by, limit and offset also take a compound select. */
rt_node *rt_select_new(rt_node *const *cols, size_t n, rt_error *err);
rt_node *rt_select_where(rt_node *s, rt_node *cond, rt_error *err);   /* ANDed */
rt_node *rt_select_having(rt_node *s, rt_node *cond, rt_error *err);
rt_node *rt_select_order_by(rt_node *s, rt_node *const *items, size_t n, rt_error *err);
rt_node *rt_select_group_by(rt_node *s, rt_node *const *items, size_t n, rt_error *err);
rt_node *rt_select_limit(rt_node *s, rt_node *limit, rt_error *err);   /* a bind */
rt_node *rt_select_offset(rt_node *s, rt_node *offset, rt_error *err);
rt_node *rt_select_distinct(rt_node *s, rt_error *err);
rt_node *rt_select_from(rt_node *s, rt_node *from, rt_error *err);
/* correlate(froms...); with n == 0, correlate(None): no auto-correlation. */
rt_node *rt_select_correlate(rt_node *s, rt_node *const *froms, size_t n, rt_error *err);
rt_node *rt_select_for_update(rt_node *s, int nowait, rt_error *err);
rt_node *rt_select_apply_labels(rt_node *s, rt_error *err);          /* table_column */
rt_node *rt_select_add_columns(rt_node *s, rt_node *const *cols, size_t n, rt_error *err);
rt_node *rt_select_with_only_columns(rt_node *s, rt_node *const *cols, size_t n,
                                     rt_error *err);
rt_node *rt_scalar_subquery_new(rt_node *select, rt_error *err);
rt_node *rt_exists_new(rt_node *select, rt_error *err);
/* The select inside an EXISTS (borrowed), or NULL when n is no EXISTS. */
rt_node *rt_exists_select(const rt_node *n);

typedef enum rt_compound_op {
    RT_UNION, RT_UNION_ALL, RT_INTERSECT, RT_INTERSECT_ALL, RT_EXCEPT, RT_EXCEPT_ALL
} rt_compound_op;
rt_node *rt_compound_new(rt_compound_op op, rt_node *const *selects, size_t n, rt_error *err);

/* === INSERT, UPDATE, DELETE === */

rt_node *rt_insert_new(rt_node *table, rt_error *err);
rt_node *rt_update_new(rt_node *table, rt_error *err);
rt_node *rt_delete_new(rt_node *table, rt_error *err);
/* values(): keys are column keys; each value is an expression (a bind for a
 * plain value; an anonymous bind renders as :key) or a select (a scalar
 * subquery).  Single-row calls merge, later keys winning; for INSERT nrows >
 * 1 gives a multi-row VALUES (values[row * n + i]; :key_m0, :key_m1 ...)
 * replacing earlier values.  Keys that name no column are a CompileError
 * ("Unconsumed column names") when compiling. */
rt_node *rt_dml_values(rt_node *stmt, const char *const *keys, rt_node *const *values,
                       size_t n, size_t nrows, rt_error *err);
rt_node *rt_dml_where(rt_node *stmt, rt_node *cond, rt_error *err);    /* UPDATE/DELETE */
rt_node *rt_dml_returning(rt_node *stmt, rt_node *const *cols, size_t n, rt_error *err);
rt_node *rt_insert_from_select(rt_node *ins, const char *const *keys, size_t n,
                               rt_node *select, rt_error *err);
/* The table an INSERT/UPDATE/DELETE targets. */
rt_table *rt_dml_table(const rt_node *stmt);

/* === DDL (ddl.c) === */

/* CREATE TABLE with columns, PRIMARY KEY, FOREIGN KEY, UNIQUE and CHECK
 * constraints, one element per line (tab-indented), as DESIGN §7 shows. */
rt_node *rt_create_table_new(rt_table *t, rt_error *err);
rt_node *rt_drop_table_new(rt_table *t, rt_error *err);
rt_node *rt_create_index_new(rt_index *ix, rt_error *err);
rt_node *rt_drop_index_new(rt_index *ix, rt_error *err);
rt_node *rt_create_sequence_new(const rt_sequence *seq, rt_error *err);
rt_node *rt_drop_sequence_new(const rt_sequence *seq, rt_error *err);
rt_node *rt_create_enum_new(const rt_sqltype *enum_type, rt_error *err); /* PostgreSQL */
rt_node *rt_drop_enum_new(const rt_sqltype *enum_type, rt_error *err);
/* ALTER TABLE ... ADD CONSTRAINT for a foreign key created after its tables
 * (use_alter), and ALTER TABLE ... DROP CONSTRAINT (needs a name). */
rt_node *rt_add_constraint_new(rt_constraint *fk, rt_error *err);
rt_node *rt_drop_constraint_new(rt_constraint *fk, rt_error *err);
/* Makes r hold a reference to n (retained; r cleared first). */
void rt_exprref_set_node(rt_exprref *r, rt_node *n);
/* Appends the DDL spelling of a type for a dialect: INTEGER, VARCHAR(50), ...
 * (NullType renders as NULL; an Enum as the dialect stores it). */
void rt_type_ddl(const rt_dialect *d, const rt_sqltype *t, rt_buf *b);
/* Renders an expression with its values inline (for DDL: DEFAULT, CHECK). */
int rt_render_inline(const rt_node *expr, const rt_dialect *d, rt_buf *b, rt_error *err);

/* === compiling with execution parameters === */

/* For INSERT and UPDATE the columns come from the execution parameters (the
 * keys of the first parameter set), as SQLAlchemy does; for other statements
 * keys are ignored.  keys == NULL means no parameters were given (as
 * rt_compile: every column when there is no values()); nkeys == 0 with keys
 * not NULL means an empty parameter set (INSERT ... DEFAULT VALUES).  Keys
 * naming no column are ignored.  The compiled statement is cached per
 * (dialect, set of columns the keys name). */
int rt_compile_keys(rt_node *n, const rt_dialect *d, const char *const *keys, size_t nkeys,
                    rt_compiled **out, rt_error *err);
/* The same for an execution with several parameter sets (executemany): as in
 * SQLAlchemy, no RETURNING is added to an INSERT for inserted_primary_key. */
int rt_compile_keys_many(rt_node *n, const rt_dialect *d, const char *const *keys,
                         size_t nkeys, rt_compiled **out, rt_error *err);
/* Empties the structural cache of compiled statements (for tests and leak
 * checks; entries also go when the tables they name are no longer used). */
void rt_sql_cache_clear(void);
/* The values a statement carries in its own bind nodes, in the order the
 * compiled statement's slots refer to them (rt_compiled.slot_binds),
 * followed by the constants a dialect may bind (SQLite's OFFSET 0).  Writes
 * at most max pointers (out may be NULL when max is 0) and returns how many
 * there are.  The values live as long as n.  Returns 0 on out of memory. */
size_t rt_node_bind_values(const rt_node *n, const rt_value **out, size_t max);
/* How many constants rt_node_bind_values lists after a statement's values. */
#define RT_BIND_NCONSTANTS 2
/* True when a and b are comparisons of one column node with an anonymous
 * bound value (column OP value) that differ at most in that value
 * (compare.c). */
int rt_same_comparison(const rt_node *a, const rt_node *b);

#endif
