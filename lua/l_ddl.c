/* l_ddl.c: CreateTable(table), SQLAlchemy's schema.CreateTable: the CREATE
 * TABLE statement of a Table as a statement object, so that its DDL can be
 * read without running it (tostring() in the default dialect,
 * :compile(engine or dialect name) for a database; the shell's `.schema`) or
 * executed (engine:execute(CreateTable(t))).  The node keeps the table's
 * MetaData alive. */
#include "l_schema_int.h"

#define L_DDL "retort.DDLElement"

static int l_create_table(lua_State *L)
{
    rt_table *t = l_check_table(L, 1);
    rt_error err;
    l_node *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->n = NULL;
    luaL_setmetatable(L, L_DDL);
    rt_error_init(&err);
    u->n = rt_create_table_new(t, &err);
    if (!u->n)
        return l_raise(L, &err, 0);
    return 1;
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
}
