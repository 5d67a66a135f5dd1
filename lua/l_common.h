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

/* Each userdata holds one core handle; NULL once freed (or, for a connection,
 * the handle stays until __gc so that `closed` can be read). */
typedef struct l_engine { rt_engine *e; } l_engine;
typedef struct l_conn { rt_conn *c; } l_conn;          /* uservalue 1: the Engine */
typedef struct l_txn { rt_txn id; } l_txn;             /* uservalue 1: the Connection */
typedef struct l_result {
    rt_result *r;
    int hard_closed;      /* closed by close(): fetching is an error */
    int ncols;
    int is_text;          /* from text(): no inserted_primary_key */
    int close_conn;       /* connectionless: close the connection when done */
} l_result;  /* uservalues: 1 Connection (or nil), 2 row metatable, 3 params */
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
/* Builds nsets * nslots values from the params at idx (nil, a table of names,
 * or an array of such tables).  The array lives in a userdata pushed on the
 * stack (so an error frees it); *nsets receives the set count. */
rt_value *l_bind_params(lua_State *L, int idx, const rt_compiled *cp, size_t *nsets);
void l_open_values(lua_State *L, int module);

/* === l_engine.c, l_connection.c === */
l_engine *l_check_engine(lua_State *L, int idx);
void l_open_engine(lua_State *L, int module);
void l_open_connection(lua_State *L, int module);
/* Pushes a new Connection userdata for c (which it takes), keeping the Engine
 * at engine_idx alive. */
void l_push_connection(lua_State *L, rt_conn *c, int engine_idx);
/* Executes the statement at stmt_idx with the params at params_idx on the
 * Connection at conn_idx and pushes a Result.  close_conn: the connection is
 * private to this execution and closes when the result is done. */
int l_execute(lua_State *L, int conn_idx, int stmt_idx, int params_idx, int close_conn);
/* The open core connection of the Connection at idx (raises when closed). */
rt_conn *l_check_conn(lua_State *L, int idx);

/* === l_result.c === */
/* Pushes an empty Result userdata (filled in by l_execute). */
l_result *l_new_result(lua_State *L);
/* Called after every step: closes a connectionless result's connection once the
 * result is closed. */
void l_result_after_step(lua_State *L, int result_idx);
void l_open_result(lua_State *L, int module);

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

/* === l_schema.c and friends: schema objects === */
/* Pushes the Table object of t (one per table, kept in a weak registry map). */
void l_push_table(lua_State *L, rt_table *t);
/* The type at idx: a type object (String(50)) or a type constructor used bare
 * (String).  Borrowed from the object at idx; raises for anything else. */
rt_sqltype *l_to_type(lua_State *L, int idx);
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

#endif
