/* l_orm_module.c: opens the ORM binding: the C halves (classes and
 * instances, sessions, loading) in an internal table, then the embedded
 * orm.lua (with orm_rel.lua, relationships, orm_load.lua, loader
 * strategies, and orm_dynamic.lua, dynamic relationships), which defines
 * the names users see (class, mapper,
 * declarative_base, Session, sessionmaker, Query, clear_mappers ...) in the
 * module table.  Also the hook by which select() accepts mapped classes. */
#include "l_orm.h"

extern const char retort_orm_lua[];
extern const size_t retort_orm_lua_len;
extern const char retort_orm_rel_lua[];
extern const size_t retort_orm_rel_lua_len;
extern const char retort_orm_load_lua[];
extern const size_t retort_orm_load_lua_len;
extern const char retort_orm_dynamic_lua[];
extern const size_t retort_orm_dynamic_lua_len;

#define REG_SELECT "retort.orm.select"

/* _orm.raise(class_name, message) */
static int o_raise(lua_State *L)
{
    rt_errclass cls = rt_errclass_by_name(luaL_checkstring(L, 1));
    return l_raisef(L, cls == RT_ERR_NONE ? RT_ERR_INVALID_REQUEST : cls, "%s",
                    luaL_checkstring(L, 2));
}

int l_orm_is_entity(lua_State *L, int idx)
{
    return lua_istable(L, idx) && l_orm_test_class(L, idx) != NULL;
}

int l_orm_select(lua_State *L)
{
    int n = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_SELECT);
    lua_insert(L, 1);
    lua_call(L, n, 1);
    return 1;
}

void l_open_orm(lua_State *L, int module)
{
    lua_newtable(L);
    int orm = lua_gettop(L);
    l_open_orm_class(L, orm);
    l_open_orm_session(L, orm);
    l_open_orm_query(L, orm);
    l_open_orm_bulk(L, orm);
    l_open_orm_rel(L, orm);
    lua_pushlstring(L, retort_orm_rel_lua, retort_orm_rel_lua_len);
    lua_setfield(L, orm, "rel_source");     /* orm.lua loads it */
    lua_pushlstring(L, retort_orm_load_lua, retort_orm_load_lua_len);
    lua_setfield(L, orm, "load_source");
    lua_pushlstring(L, retort_orm_dynamic_lua, retort_orm_dynamic_lua_len);
    lua_setfield(L, orm, "dynamic_source");
    lua_pushcfunction(L, o_raise);
    lua_setfield(L, orm, "raise");
    if (luaL_loadbuffer(L, retort_orm_lua, retort_orm_lua_len, "=orm.lua") != LUA_OK)
        lua_error(L);
    lua_pushvalue(L, module);
    lua_pushvalue(L, orm);
    lua_call(L, 2, 1);                  /* returns the select hook */
    lua_setfield(L, LUA_REGISTRYINDEX, REG_SELECT);
    lua_pop(L, 1);
}
