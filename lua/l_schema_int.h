/* l_schema_int.h: what the schema binding files (l_types.c, l_schema.c,
 * l_metadata.c) share and nothing else needs: the Column object's helpers,
 * schema items (ForeignKey, Sequence, constraints, Index: Lua tables with the
 * retort.SchemaItem metatable and a __kind field), and getting a connection
 * from an Engine or Connection argument. */
#ifndef RETORT_L_SCHEMA_INT_H
#define RETORT_L_SCHEMA_INT_H

#include "l_common.h"

/* l_types.c */
void l_open_types(lua_State *L, int module);

/* l_schema.c */
l_column *l_test_column(lua_State *L, int idx);           /* NULL if not a Column */
/* The node of an expression object (any metatable with __rt_node), or NULL. */
rt_node *l_test_any_node(lua_State *L, int idx);
/* After a table took the column of the Column object at col_idx: the object
 * stops owning it and refers to the table's column expression. */
void l_column_attached(lua_State *L, int col_idx);
/* Pushes the Lua object for an attached column: the table's column
 * expression. */
void l_push_column_object(lua_State *L, rt_column *c);
/* The __kind of the schema item at idx ("ForeignKey", "UniqueConstraint",
 * ...), or NULL for other values. */
const char *l_item_kind(lua_State *L, int idx);
/* Adds the constraint or Index item at idx to t (ArgumentError for a bad
 * column).  Returns 0, or -1 with err set. */
int l_item_attach(lua_State *L, int idx, rt_table *t, rt_error *err);
/* Pushes descriptions of t's constraints / indexes / foreign keys (arrays of
 * schema items), and of the foreign keys of one column. */
void l_push_constraints(lua_State *L, rt_table *t);
void l_push_indexes(lua_State *L, rt_table *t);
void l_push_foreign_keys(lua_State *L, rt_table *t, const rt_column *only);
void l_open_schema_items(lua_State *L, int module);

/* l_metadata.c, l_inspect.c */
void l_open_metadata(lua_State *L, int module);
void l_open_inspect(lua_State *L, int module);
/* l_ddl.c: CreateTable */
void l_open_ddl(lua_State *L, int module);
/* A connection for the Engine or Connection at idx: pushes the Connection
 * object (a new one for an engine: *close_after is set, close it with
 * rt_conn_close when done). */
rt_conn *l_bind_conn(lua_State *L, int idx, int *close_after);
/* Pushes the module table (registered by l_open_schema). */
void l_push_module(lua_State *L);

#endif
