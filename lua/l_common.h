/* l_common.h: what the binding's files share: userdata layouts, metatable
 * names, error raising, value conversion and option-table helpers.  The
 * binding is the only code that knows both Lua and the core. */
#ifndef RETORT_L_COMMON_H
#define RETORT_L_COMMON_H

#include <lauxlib.h>
#include <lua.h>

#include "rt_engine.h"
#include "rt_expr.h"

#define L_ENGINE "retort.Engine"
#define L_CONN "retort.Connection"
#define L_TXN "retort.Transaction"
#define L_RESULT "retort.Result"
#define L_SCALARS "retort.ScalarResult"
#define L_TEXT "retort.TextClause"
#define L_ERROR "retort.Error"
#define L_ERRCLASS "retort.ErrorClass"
#define L_NULL "retort.Null"
#define L_EXPR "retort.ColumnElement"
#define L_FROM "retort.FromClause"
#define L_SELECT "retort.Select"
#define L_DML "retort.DML"

/* Each userdata holds one core handle; NULL once freed (or, for a connection,
 * the handle stays until __gc so that `closed` can be read). */
typedef struct l_engine {
    rt_engine *e;
    lua_State *sink;     /* set_echo_sink: a thread holding the function at 1, or NULL */
} l_engine;              /* uservalue 1: the sink thread */
typedef struct l_conn { rt_conn *c; } l_conn;          /* uservalue 1: the Engine */
typedef struct l_txn { rt_txn id; } l_txn;             /* uservalue 1: the Connection */
typedef struct l_result {
    rt_result *r;
    int hard_closed;      /* closed by close(): fetching is an error */
    int ncols;
    int close_conn;       /* connectionless: close the connection when done */
    int hide_rows;        /* rows were RETURNING added for inserted_primary_key */
    int process;          /* some column's type converts result values */
    const rt_sqltype **coltypes; /* per result column (ncols), or NULL */
    const rt_compiled *cp;/* what ran (owned as own_cp, or kept alive by uservalue 3) */
    rt_compiled *own_cp;  /* the reference l_execute took, released by __gc */
    const rt_dialect *dialect;
} l_result;  /* uservalues: 1 Connection, 2 row metatable, 3 the statement or a
                compiled holder,
                4 inserted_primary_key (a Lua array, or a message string),
                5 the coltypes array when it is not the compiled one's,
                6 the row metatable's __store */
typedef struct l_scalars { int col; } l_scalars;       /* uservalue 1: the Result */
typedef struct l_node { rt_node *n; } l_node;

/* === l_error.c === */
/* Pushes an error object for err (then clears err) and raises it.  params_idx,
 * when nonzero, is the stack index of the parameters the user passed. */
int l_raise(lua_State *L, rt_error *err, int params_idx);
/* Raises an error object of a class with a message (no statement). */
int l_raisef(lua_State *L, rt_errclass cls, const char *fmt, ...);
void l_open_error(lua_State *L, int module);

/* === l_values.c === */
void l_push_value(lua_State *L, const rt_value *v);
/* Converts the Lua value at idx; returns 0, or -1 when it cannot be bound. */
int l_to_value(lua_State *L, int idx, rt_value *out);
int l_is_null(lua_State *L, int idx);

/* === l_params.c === */
/* Builds nsets * nslots values for executing cp (compiled from stmt) with the
 * params at idx (nil, a table of names, or an array of such tables): execution
 * parameters, then the statement's own values, then column defaults.  The
 * arrays live in userdata pushed on the stack (an error frees them); *nsets
 * receives the set count. */
rt_value *l_bind_params(lua_State *L, int idx, const rt_compiled *cp, const rt_node *stmt,
                        const rt_dialect *d, size_t *nsets);
/* The same, into the caller's buf of nbuf values when they fit (a caller
 * whose frame outlives the execution: no scratch userdata). */
rt_value *l_bind_params_in(lua_State *L, int idx, const rt_compiled *cp, const rt_node *stmt,
                           const rt_dialect *d, size_t *nsets, rt_value *buf, size_t nbuf);
void l_open_values(lua_State *L, int module);

/* === l_engine.c, l_connection.c === */
l_engine *l_check_engine(lua_State *L, int idx);
void l_open_engine(lua_State *L, int module);
void l_open_connection(lua_State *L, int module);
/* Pushes a new Connection userdata for c (which it takes), keeping the Engine
 * at engine_idx alive. */
void l_push_connection(lua_State *L, rt_conn *c, int engine_idx);
/* === l_execute.c === */
/* Executes the statement at stmt_idx with the params at params_idx on the
 * Connection at conn_idx and pushes a Result.  close_conn: the connection is
 * private to this execution and closes when the result is done. */
int l_execute(lua_State *L, int conn_idx, int stmt_idx, int params_idx, int close_conn);
/* The core connection of the Connection at idx (raises when freed). */
rt_conn *l_check_conn(lua_State *L, int idx);

/* === l_result.c === */
/* Pushes an empty Result userdata (filled in by l_execute). */
l_result *l_new_result(lua_State *L);
/* Steps the result at idx: pushes the next row and returns 1, or returns 0. */
int l_result_fetch_row(lua_State *L, int idx);
void l_open_execute(lua_State *L);
/* Called after every step: closes a connectionless result's connection once the
 * result is closed. */
void l_result_after_step(lua_State *L, int result_idx);
void l_open_result(lua_State *L, int module);

/* === l_row.c === */
/* Rows: tables holding each value under its column's name (or, for a
 * column without a name of its own, at its position).  A row is made with
 * lua_createtable(L, 0, n) and filled, column i after column i, by pushing
 * store[i] (lua_rawgeti of the array l_row_push_store gives), the value, and
 * lua_rawset; NULL values are left out.  Read a column by position with
 * lua_geti (a metamethod finds it). */
#define L_ROW_STRICT 1          /* unknown names raise; keys()/totable(); retort.Row */
#define L_ROW_LAST_NAME_WINS 2  /* a name two columns share names the last one */
/* Pushes the metatable of rows of n columns named by the array at names_idx
 * (a non-string entry: no name); extra_idx, if nonzero, is a table of more
 * keys (column objects) -> positions. */
void l_row_meta_push(lua_State *L, int names_idx, int n, int extra_idx, int flags);
/* Pushes the __store array of the row metatable at mt_idx; returns its index. */
int l_row_push_store(lua_State *L, int mt_idx);
/* Pushes the value of column i (1-based) of the row at row_idx, whose
 * metatable's __store is at store_idx (no metamethod call). */
void l_row_push_column(lua_State *L, int row_idx, int store_idx, lua_Integer i);

/* === l_text.c === */
/* The node at idx: a statement userdata, or a string turned into text() (the
 * new userdata replaces the string on the stack).  Raises for other values. */
rt_node *l_to_node(lua_State *L, int idx);
/* The node userdata at idx (any kind), or NULL when it is something else. */
l_node *l_test_node(lua_State *L, int idx);
void l_open_text(lua_State *L, int module);

/* === l_expr.c and friends: expression objects === */
/* Pushes the Lua object for a node, taking over one reference (tables push
 * their one Table object, via l_push_table).  Every node metatable has the
 * field __rt_node = true and the l_node layout. */
void l_push_node(lua_State *L, rt_node *n);
/* The node at idx as a column expression: expression objects as they are,
 * plain Lua values (numbers, strings, booleans) as bound parameters typed by
 * `hint` (may be NULL), `null` as SQL NULL.  Raises a clear error for anything
 * else.  Borrowed: the value at idx (or a new object pushed... see l_expr.c)
 * keeps it alive. */
rt_node *l_to_expr(lua_State *L, int idx, const rt_sqltype *hint);
/* The node at idx as a FROM element (Table, alias, join, subquery); raises. */
rt_node *l_to_from(lua_State *L, int idx);
/* Pushes the column collection (.c / .columns) of the FROM object at idx. */
void l_push_columns(lua_State *L, int from_idx);
void l_open_expr(lua_State *L, int module);
/* Pushes a constructor's result (taking its reference) and returns 1, or
 * raises err when n is NULL. */
int l_push_result(lua_State *L, rt_node *n, rt_error *err);
void l_open_select(lua_State *L, int module);
/* Metamethods and methods every node object shares: __gc, __tostring (the
 * SQL in the default dialect) and compile([engine | dialect name]). */
int l_node_gc(lua_State *L);
int l_node_tostring(lua_State *L);
int l_node_compile(lua_State *L);

/* === l_schema.c and friends: schema objects === */
/* l_types.c (types, value processing), l_schema.c (Column, defaults),
 * l_constraint.c (ForeignKey, Sequence, constraints, Index), l_metadata.c
 * (MetaData, Table, create/drop, reflection), l_inspect.c (inspect()),
 * l_json.c (the JSON type's text). */
#define L_TYPE "retort.TypeEngine"
#define L_COLUMN "retort.Column"
#define L_TABLE "retort.Table"
#define L_METADATA "retort.MetaData"
#define L_SCHEMA_ITEM "retort.SchemaItem"   /* ForeignKey, Sequence, constraints, Index */
#define L_INSPECTOR "retort.Inspector"

typedef struct l_type { rt_sqltype *t; } l_type;
/* A Column object: detached (owned, n NULL) until a Table takes it; then n is
 * the table's column expression and Lua calls go to that expression.  The
 * l_node layout comes first, so l_to_expr can read n. */
typedef struct l_column {
    rt_node *n;              /* the column expression once attached, else NULL */
    rt_column *c;
    int owned;               /* detached: freed with the object */
    unsigned long order;     /* creation order (declarative keeps it) */
} l_column;                  /* uservalue 1: the Table once attached */
typedef struct l_table { rt_node *n; rt_table *t; } l_table; /* uservalue 1: MetaData */
typedef struct l_metadata { rt_metadata *md; } l_metadata;  /* uservalue 1: its Tables */

/* Pushes the Table object of t (one per table, kept in a weak registry map). */
void l_push_table(lua_State *L, rt_table *t);
/* The Table object at idx (raises otherwise). */
rt_table *l_check_table(lua_State *L, int idx);
/* Pushes the MetaData object of md (one per MetaData while it lives). */
void l_push_metadata(lua_State *L, rt_metadata *md);
/* The type at idx: a type object (String(50)) or a type constructor used bare
 * (String).  Borrowed from the object at idx; raises for anything else. */
rt_sqltype *l_to_type(lua_State *L, int idx);
/* Pushes the Lua object for a type (taking no reference from the caller);
 * returns 1. */
int l_push_type(lua_State *L, rt_sqltype *t);
/* Pushes the schema property `key` of a column (name, key, type, nullable,
 * primary_key, unique, index, foreign_keys, default, server_default, doc,
 * autoincrement, table...) and returns 1, or returns 0 when `key` is not one. */
int l_column_schema_index(lua_State *L, const rt_column *c, const char *key);
/* The schema column of the object at idx: a Column object (detached or not)
 * or a table's column expression; raises for anything else. */
rt_column *l_to_column(lua_State *L, int idx);
/* The creation order of the Column object at idx (0 for other values): the
 * order declarative classes list their columns in. */
unsigned long l_column_order(lua_State *L, int idx);

/* Value processing by type, for the execution path: converts the value on
 * top of the stack in place.  L_TYPE_BIND: before binding (TypeDecorator's
 * process_bind_param(value, dialect_name) first, then the impl's rules): JSON
 * values become JSON text; Enum labels are checked (StatementError for a
 * label not in the Enum); Date/DateTime/Time accept ISO strings and os.date
 * tables ({year=, month=, day=, hour=, min=, sec=}, turned into ISO text);
 * Boolean stays boolean.  Returns L_BIND_BLOB when the value (a string) must
 * be bound as binary (LargeBinary), else 0.  L_TYPE_RESULT: after fetching:
 * JSON text becomes Lua values, SQLite's 0/1 for Boolean become false/true,
 * then TypeDecorator's process_result_value(value, dialect_name).  t may be
 * NULL (nothing to do).  d (may be NULL) names the dialect for the hooks. */
enum { L_TYPE_BIND, L_TYPE_RESULT };
#define L_BIND_BLOB 1
int l_type_process(lua_State *L, const rt_sqltype *t, int direction, const rt_dialect *d);
/* Whether values of t need l_type_process at all (lets the execution path
 * skip the call for plain types). */
int l_type_needs_processing(const rt_sqltype *t, int direction, const rt_dialect *d);
/* Pushes the value a column default gives for an INSERT or UPDATE: a scalar
 * as is; a Lua function called with a context table {current_parameters =
 * <the parameters at params_idx, or an empty table>, column = <name>}; an SQL
 * expression as its expression object (render it into the statement).
 * Returns 1, or 0 (nothing pushed) for RT_DEFAULT_NONE.  Errors of the
 * function propagate. */
int l_default_value(lua_State *L, const rt_default *d, int params_idx, const char *column);

/* l_json.c: pushes the JSON text for the value at idx / the value for a JSON
 * text (null inside tables is the `null` sentinel; raises on bad input). */
void l_json_encode(lua_State *L, int idx);
void l_json_decode(lua_State *L, const char *s, size_t n);

void l_open_schema(lua_State *L, int module);

/* === retort.c === */
/* Reads a field of an option table with a type check; raises a clear error. */
int l_opt_boolean(lua_State *L, int idx, const char *fn, const char *key, int dflt);
lua_Integer l_opt_integer(lua_State *L, int idx, const char *fn, const char *key,
                          lua_Integer dflt);
lua_Number l_opt_number(lua_State *L, int idx, const char *fn, const char *key,
                        lua_Number dflt);
/* Raises when the option table at idx has a key not in known (NULL-ended). */
void l_check_options(lua_State *L, int idx, const char *fn, const char *const *known);
/* Registers a metatable with methods and metamethods; leaves it on the stack. */
void l_new_class(lua_State *L, const char *name, const luaL_Reg *meta,
                 const luaL_Reg *methods);
/* As l_new_class, but every function gets the metatable as its upvalue (a
 * check of self without a registry lookup), and __index is index, with the
 * metatable and the methods table as upvalues; leaves the metatable on the
 * stack. */
void l_new_class_upvalue(lua_State *L, const char *name, const luaL_Reg *meta,
                         const luaL_Reg *methods, lua_CFunction index);
/* For an __index function (object at 1, key at 2) whose methods table is
 * upvalue up: leaves the stack at those two and pushes the method named by
 * the key, returning 1, or returns 0 (methods are found before the type
 * check: each method checks its self). */
int l_index_method(lua_State *L, int up);

#endif
