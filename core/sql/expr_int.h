/* expr_int.h: internals of the expression language shared by the files of
 * core/sql that build and compile expression nodes (from.c, elements.c,
 * select.c, dml.c, walker.c, compiler.c, compile_select.c, compile_dml.c,
 * cache.c) and by the dialect files' expression hooks.  Not a public header:
 * rt_expr.h is the contract; this file holds the node layouts, the compile
 * context and the helpers the files lend each other. */
#ifndef RT_EXPR_INT_H
#define RT_EXPR_INT_H

#include "rt_expr.h"
#include "sql_int.h"

/* === node layouts === */

/* The FROM node of a table (one per table, kept weakly in rt_table.upper). */
typedef struct tablenode {
    rt_node base;
    rt_table *table;
    rt_metadata *md;        /* retained so the table outlives the node */
    rt_node **cols;         /* weak: the column node of each position, or NULL */
    size_t capcols;
} tablenode;

/* An alias of a table, a select or a compound select. */
typedef struct aliasnode {
    rt_node base;
    rt_node *element;       /* table node, select or compound (retained) */
    char *name;             /* NULL: anonymous (users_1, anon_1 per compilation) */
    rt_node **cols;         /* weak, as in tablenode */
    size_t capcols;
} aliasnode;

typedef struct joinnode {
    rt_node base;
    rt_node *left, *right;  /* FROM elements (retained) */
    rt_node *on;            /* the ON condition (retained) */
    int isouter, full;
} joinnode;

/* A column of a table or alias.  It retains its FROM element, which keeps a
 * weak pointer back, so the same node is handed out while it lives. */
typedef struct colnode {
    rt_node base;
    rt_node *from;          /* tablenode or aliasnode (retained) */
    size_t index;           /* position among the FROM element's columns */
} colnode;

typedef struct bindnode {
    rt_node base;
    char *key;              /* explicit bindparam name, or NULL (anonymous) */
    char *base_name;        /* anonymous: the name it is numbered from ("name") */
    int has_value;
    rt_value value;         /* payload owned by the node */
    rt_sqltype *type;       /* retained, or NULL */
} bindnode;

/* literal_column(), null(), true()/false() */
typedef struct litnode {
    rt_node base;
    char *text;             /* RT_NODE_LITERAL_COLUMN */
    int value;              /* RT_NODE_BOOL */
    rt_sqltype *type;       /* retained, or NULL */
} litnode;

typedef struct binnode {
    rt_node base;
    rt_node *left, *right;
    rt_binop op;
    char *custom;           /* RT_OP_CUSTOM: the operator text */
    rt_sqltype *type;       /* the result type (retained), or NULL */
} binnode;

typedef struct unnode {
    rt_node base;
    rt_unop op;
    rt_node *operand;       /* an expression, or a select for RT_UOP_EXISTS */
} unnode;

typedef struct listnode {
    rt_node base;
    rt_listop op;
    rt_node **items;
    size_t n;
} listnode;

typedef struct funcnode {
    rt_node base;
    char *name;
    rt_node **args;
    size_t n;
    rt_sqltype *type;       /* retained, or NULL */
} funcnode;

typedef struct labelnode {
    rt_node base;
    rt_node *expr;
    char *name;             /* NULL: anonymous */
} labelnode;

typedef struct casenode {
    rt_node base;
    rt_node **whens, **thens;
    size_t n;
    rt_node *value, *else_;   /* either may be NULL */
} casenode;

/* CAST (expr AS type), EXTRACT(field FROM expr), (SELECT ...) */
typedef struct wrapnode {
    rt_node base;
    rt_node *expr;          /* the operand; the select of a scalar subquery */
    rt_sqltype *type;       /* CAST */
    char *field;            /* EXTRACT */
} wrapnode;

/* The keys a select's columns are exported by, in one allocation (the
 * array, then the text) that the copies its generative methods make share
 * while the columns stay the same. */
typedef struct rt_keys {
    int refs;
    char *k[];
} rt_keys;

typedef struct selectnode {
    rt_node base;
    rt_node **cols;         /* column expressions, FROM elements expanded */
    size_t ncols;
    rt_keys *keys;          /* the key each column is exported by (shared) */
    rt_node **froms;        /* select_from(), in order */
    size_t nfroms;
    rt_node *where, *having;
    rt_node **group_by;
    size_t ngroup;
    rt_node **order_by;
    size_t norder;
    rt_node *limit, *offset;
    rt_node **correlate;    /* explicit correlation */
    size_t ncorrelate;
    int correlate_set;      /* correlate() was called (0 items: correlate(None)) */
    int distinct, labels;
    int for_update;         /* 0, 1 FOR UPDATE, 2 FOR UPDATE NOWAIT */
} selectnode;

typedef struct compoundnode {
    rt_node base;
    rt_compound_op op;
    rt_node **selects;
    size_t n;
    rt_node **order_by;
    size_t norder;
    rt_node *limit, *offset;
} compoundnode;

typedef struct dmlnode {
    rt_node base;
    rt_node *table;         /* the target's table node */
    char **keys;            /* values() keys */
    size_t nkeys;
    rt_node **values;       /* nrows * nkeys expressions */
    size_t nrows;           /* 0: no values() */
    rt_node *where;
    rt_node **returning;
    size_t nreturning;
    rt_node *select;        /* INSERT ... SELECT */
    char **sel_keys;
    size_t nsel_keys;
} dmlnode;

/* === shared constructors and helpers (from.c, elements.c, select.c) === */

/* Sets up a node of one of this layer's kinds (compile hook: cache.c). */
void rt_expr_node_init(rt_node *n, rt_node_kind kind, void (*destroy)(rt_node *));
int rt_expr_is_own(const rt_node *n);      /* built by this layer */
const char *rt_node_kind_name(rt_node_kind k);

/* Retains every item of an array into a new array (NULL items refused).
 * Returns 0, or -1 with err set. */
int rt_nodes_dup(rt_node *const *items, size_t n, rt_node ***out, rt_error *err);
void rt_nodes_free(rt_node **items, size_t n);
int rt_strs_dup(const char *const *s, size_t n, char ***out);
void rt_strs_free(char **s, size_t n);

/* Type handles: static types for Boolean, Integer, ... are never freed. */
rt_sqltype *rt_type_hold(const rt_sqltype *t);        /* retain, NULL ok */
void rt_type_drop(rt_sqltype *t);
const rt_sqltype *rt_static_type(rt_typekind k);      /* Boolean, Integer, Float,
                                                         String, DateTime, Date,
                                                         Time, LargeBinary */

/* A FROM element's columns: the table column behind column i (NULL for a
 * column of a subquery), its name and key, and for subqueries the select and
 * the exported column expression. */
rt_column *rt_from_table_column(const rt_node *from, size_t i);
const char *rt_from_column_name(const rt_node *from, size_t i);
/* The table node behind a table or alias of a table; NULL otherwise. */
rt_node *rt_from_base_table(const rt_node *from);
/* For a subquery alias: the select whose columns it exports (the first
 * select of a compound), else NULL. */
const selectnode *rt_from_select(const rt_node *from);
/* Wraps a select or compound given where a FROM element is needed in an
 * anonymous alias; anything else is retained as it is. */
rt_node *rt_from_coerce(rt_node *n, rt_error *err);

/* value as an anonymous bind numbered from base (name_1; NULL: param_1),
 * typed as type (elements.c). */
rt_node *rt_bind_numbered_new(const char *base, const rt_value *value, const rt_sqltype *type,
                              rt_error *err);
/* The same value as an anonymous bind numbered from base (name_1), typed as
 * type unless it has a type of its own (elements.c). */
rt_node *rt_bind_rename(const rt_node *bind, const char *base, const rt_sqltype *type,
                        rt_error *err);
/* The name an anonymous bind compared with e is numbered from: the column
 * key, the function name; NULL for "param". */
const char *rt_expr_bind_base(const rt_node *e);
/* True when n is (after labels) a select or compound. */
int rt_node_is_selectable(const rt_node *n);
/* The columns a select-like node exports (a compound: its first select's). */
const selectnode *rt_select_first(const rt_node *n);

/* text.c: piece i of a text() clause: literal SQL, then a parameter name
 * (NULL after the last piece).  Returns 0 past the end. */
int rt_text_segment(const rt_node *n, size_t i, const char **literal, const char **param);

/* === walker.c === */

enum { RT_WALK_CONTINUE, RT_WALK_PRUNE, RT_WALK_ABORT };

/* Visits n and its descendants in a fixed structural order, each node once
 * (the tree is a DAG).  visit returns RT_WALK_*; revisit, when given, is
 * called for a node already seen with its first-visit ordinal.  Returns 0,
 * 1 when aborted, or -1 on out of memory. */
typedef struct rt_walker {
    int (*visit)(struct rt_walker *w, const rt_node *n, size_t ordinal);
    void (*revisit)(struct rt_walker *w, const rt_node *n, size_t ordinal);
    void (*leave)(struct rt_walker *w, const rt_node *n);
    void *ud;
} rt_walker;
int rt_walk(const rt_node *n, rt_walker *w);

/* Appends a serialization of n's structure (no bind values) to b: the key of
 * the structural cache.  When vals is given, also sets *vals to a new array
 * (rt_free) of what rt_node_bind_values(n) lists, found on the same walk
 * (*vals NULL when out of memory). */
void rt_node_structure(const rt_node *n, rt_buf *b, const rt_value ***vals, size_t *nvals);

/* === compiler.c: the compile context === */

typedef struct rt_arena_chunk rt_arena_chunk;

/* One level of the select stack, for correlation. */
typedef struct cc_level {
    const rt_node *stmt;
    rt_node **froms;        /* display FROM elements plus the members of joins */
    size_t nfroms;
} cc_level;

/* A small map from node pointers to values (open addressing, arena memory). */
typedef struct cc_ptrmap {
    const void **keys;
    void **vals;
    size_t cap, n;
} cc_ptrmap;

typedef struct rt_cctx {
    const rt_dialect *d;
    rt_buf *b;                   /* where text goes */
    rt_error *err;
    int nerr;                    /* errors so far (the first message is kept) */
    int oom;                     /* sticky out-of-memory flag */
    rt_arena_chunk *arena;
    /* parameter slots, in placeholder order */
    size_t nslots, capslots;
    char **slot_names;
    long *slot_binds;
    const rt_sqltype **slot_types;
    cc_ptrmap bindidx;           /* bind node -> 1 + index into rt_node_bind_values */
    size_t nvalues;              /* how many values the statement carries */
    cc_ptrmap anon;              /* bind or alias -> its anonymous name (name_1, anon_1) */
    cc_ptrmap labels;            /* column expression -> its anonymous label */
    rt_map *counters;            /* base name -> last number used */
    rt_map *explicit_binds;      /* bindparam names used -> 1, or 2 for VALUES/SET */
    /* the select stack */
    cc_level *stack;
    size_t depth, capdepth;
    /* result columns of the statement */
    int want_columns;
    size_t ncols, capcols;
    char **col_keys;
    const rt_node **col_nodes;
    const rt_sqltype **col_types;
    /* modes */
    int literal;                 /* values inline (rt_render_inline) */
    int unqualified;             /* columns without their table (DDL, compound ORDER BY) */
    const rt_node *order_select; /* ORDER BY of this select: its labels by name */
    /* execution parameters (INSERT/UPDATE) */
    const char *const *keys;
    size_t nkeys;
    int has_keys, many;
    /* DML results */
    rt_table *table;
    long *pk_returning;          /* one entry per primary-key column */
    int returning_added;
} rt_cctx;

void cc_init(rt_cctx *cc, const rt_dialect *d, rt_buf *b, rt_error *err);
void cc_free(rt_cctx *cc);
/* Records an error (the first one is kept); formats like printf. */
void cc_error(rt_cctx *cc, rt_errclass cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cc_oom(rt_cctx *cc);
void *cc_alloc(rt_cctx *cc, size_t n);               /* zeroed arena memory */
char *cc_strdup(rt_cctx *cc, const char *s);
char *cc_printf(rt_cctx *cc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *cc_ptrmap_get(const cc_ptrmap *m, const void *key);
void cc_ptrmap_set(rt_cctx *cc, cc_ptrmap *m, const void *key, void *val);
/* The next anonymous name from base (anon -> anon_1, anon_2; name -> name_1),
 * the same for the same node within one compilation. */
const char *cc_anon_name(rt_cctx *cc, const rt_node *n, const char *base);
/* The same for the label of a column expression (a separate map: a bind
 * selected as a column has a name and a label). */
const char *cc_anon_label(rt_cctx *cc, const rt_node *n, const char *base);

void cc_puts(rt_cctx *cc, const char *s);
void cc_ident(rt_cctx *cc, const char *ident);       /* quoted as the dialect needs */
/* Adds a parameter slot and its placeholder. bindindex: -1 or the value index. */
void cc_slot(rt_cctx *cc, const char *name, long bindindex, const rt_sqltype *type);
/* A constant a dialect binds (RT_CONST_*), named param_N after key. */
void cc_const_bind(rt_cctx *cc, const void *key, int which);
/* Renders a bind; name overrides its own (VALUES/SET renaming) when given. */
void cc_bind(rt_cctx *cc, const rt_node *bind, const char *name);
/* An expression; grouped in parentheses when its precedence is not above
 * that of the operator it is an operand of (prec/op: -100/-1 for none). */
void cc_expr(rt_cctx *cc, const rt_node *n);
void cc_expr_in(rt_cctx *cc, const rt_node *n, int prec, int op);
/* Appends a result column (toplevel statements). */
void cc_result_column(rt_cctx *cc, const char *key, const rt_node *node,
                      const rt_sqltype *type);
/* A type's DDL spelling (rt_type_ddl when ddl.c provides it). */
void cc_type(rt_cctx *cc, const rt_sqltype *t);
/* Values inline for rt_render_inline. */
void cc_literal_value(rt_cctx *cc, const rt_value *v);

/* === compile_select.c === */

enum { CC_TOP, CC_ASFROM, CC_NESTED, CC_MEMBER };
void cc_select(rt_cctx *cc, const rt_node *sel, int mode);
void cc_from_element(rt_cctx *cc, const rt_node *from);
/* The name column i of a select is known by from outside (a subquery's
 * column): its label, or its natural name. */
const char *cc_select_column_name(rt_cctx *cc, const selectnode *s, size_t i);
/* The name a FROM element is referred to by (alias name, anon_1, table). */
void cc_from_name(rt_cctx *cc, const rt_node *from);
/* Adds to *out the FROM elements an expression draws from, in order of
 * appearance, without duplicates. */
void cc_expr_froms(rt_cctx *cc, const rt_node *e, rt_node ***out, size_t *n, size_t *cap);
void cc_push_level(rt_cctx *cc, const rt_node *stmt, rt_node **froms, size_t n);
void cc_pop_level(rt_cctx *cc);

/* === compile_dml.c === */

void cc_insert(rt_cctx *cc, const dmlnode *s);
void cc_update(rt_cctx *cc, const dmlnode *s);
void cc_delete(rt_cctx *cc, const dmlnode *s);

/* Counts a compilation for rt_compile_count() (compiler.c). */
void rt_compile_counted(void);

/* === cache.c === */

/* Compiles n for d from scratch (no cache).  keys: NULL for none. */
int rt_expr_compile(const rt_node *n, const rt_dialect *d, const char *const *keys,
                    size_t nkeys, int many, rt_compiled *out, rt_error *err);
/* Drops the cached compilations made for statements naming table t (its
 * node dies: the pointer may be reused by another table). */
void rt_sql_cache_forget_table(const rt_table *t);
/* Index of the constant values every statement carries after its own
 * (rt_node_bind_values): 0 and -1, for SQLite's LIMIT/OFFSET. */
enum { RT_CONST_ZERO, RT_CONST_MINUS_ONE, RT_NCONST };
_Static_assert(RT_NCONST == RT_BIND_NCONSTANTS, "rt_expr.h counts the constants");

#endif
