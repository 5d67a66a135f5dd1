/* l_ddl.c: CreateTable(table) and CreateIndex(index), SQLAlchemy's
 * schema.CreateTable and schema.CreateIndex: the CREATE statement of a Table,
 * or of an Index attached to one, as a statement object, so that its DDL can
 * be read without running it (tostring() in the default dialect,
 * :compile(engine or dialect name) for a database; the shell's `.schema`) or
 * executed (engine:execute(CreateTable(t))).  The node keeps the table's
 * MetaData alive. */
#include <string.h>

#include "l_schema_int.h"

#define L_DDL "retort.DDLElement"

/* Pushes a DDL statement object made by `make` from `target`. */
static int push_ddl(lua_State *L, rt_node *(*make)(void *, rt_error *), void *target)
{
    rt_error err;
    l_node *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->n = NULL;
    luaL_setmetatable(L, L_DDL);
    rt_error_init(&err);
    u->n = make(target, &err);
    if (!u->n)
        return l_raise(L, &err, 0);
    return 1;
}

static rt_node *make_create_table(void *t, rt_error *err) { return rt_create_table_new(t, err); }
static rt_node *make_create_index(void *ix, rt_error *err) { return rt_create_index_new(ix, err); }

static int l_create_table(lua_State *L)
{
    return push_ddl(L, make_create_table, l_check_table(L, 1));
}

/* An Index item (a Lua table) knows its rt_index once a table has it. */
static int l_create_index(lua_State *L)
{
    const char *kind = l_item_kind(L, 1);
    rt_index *ix;
    if (!kind || strcmp(kind, "Index") != 0)
        return luaL_argerror(L, 1, "an Index expected");
    lua_getfield(L, 1, "_index");
    ix = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!ix)
        return luaL_argerror(L, 1, "the Index is not attached to a Table");
    return push_ddl(L, make_create_index, ix);
}

void l_open_ddl(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {
        {"__gc", l_node_gc}, {"__tostring", l_node_tostring}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"compile", l_node_compile}, {NULL, NULL}};
    l_new_class(L, L_DDL, meta, methods);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__rt_node");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_create_table);
    lua_setfield(L, module, "CreateTable");
    lua_pushcfunction(L, l_create_index);
    lua_setfield(L, module, "CreateIndex");
}
