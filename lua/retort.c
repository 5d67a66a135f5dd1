/* retort.c: the module table (`require "retort"`) and the small helpers every
 * binding file uses: classes (metatables with methods) and option tables. */
#include "retort.h"

#include <string.h>

#include "l_common.h"
#include "l_orm.h"

void l_new_class(lua_State *L, const char *name, const luaL_Reg *meta,
                 const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, meta, 0);
    if (!methods)
        return;
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_getfield(L, -2, "__index");
    int custom = !lua_isnil(L, -1);
    lua_pop(L, 1);
    /* with a custom __index, the function looks methods up in __methods */
    lua_setfield(L, -2, custom ? "__methods" : "__index");
}

void l_new_class_upvalue(lua_State *L, const char *name, const luaL_Reg *meta,
                         const luaL_Reg *methods, lua_CFunction index)
{
    luaL_newmetatable(L, name);
    int mt = lua_gettop(L);
    lua_pushvalue(L, mt);
    luaL_setfuncs(L, meta, 1);
    lua_newtable(L);
    lua_pushvalue(L, mt);
    luaL_setfuncs(L, methods, 1);
    lua_pushvalue(L, mt);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, index, 2);
    lua_setfield(L, mt, "__index");
    lua_setfield(L, mt, "__methods");
}

int l_index_method(lua_State *L, int up)
{
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(up)) != LUA_TNIL)
        return 1;
    lua_settop(L, 2);
    return 0;
}

/* Pushes options[key] and returns its type, or LUA_TNONE (nothing pushed) when
 * there is no option table; a nil field is popped and reported as LUA_TNONE. */
static int opt_field(lua_State *L, int idx, const char *key)
{
    if (idx == 0 || lua_isnoneornil(L, idx))
        return LUA_TNONE;
    int t = lua_getfield(L, idx, key);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return LUA_TNONE;
    }
    return t;
}

static int bad_option(lua_State *L, const char *fn, const char *key, const char *want)
{
    return luaL_error(L, "%s: option '%s' must be %s, not %s", fn, key, want,
                      luaL_typename(L, -1));
}

int l_opt_boolean(lua_State *L, int idx, const char *fn, const char *key, int dflt)
{
    int t = opt_field(L, idx, key);
    if (t == LUA_TNONE)
        return dflt;
    if (t != LUA_TBOOLEAN)
        return bad_option(L, fn, key, "a boolean");
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

lua_Integer l_opt_integer(lua_State *L, int idx, const char *fn, const char *key,
                          lua_Integer dflt)
{
    if (opt_field(L, idx, key) == LUA_TNONE)
        return dflt;
    if (!lua_isinteger(L, -1))
        return bad_option(L, fn, key, "an integer");
    lua_Integer v = lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

lua_Number l_opt_number(lua_State *L, int idx, const char *fn, const char *key,
                        lua_Number dflt)
{
    int t = opt_field(L, idx, key);
    if (t == LUA_TNONE)
        return dflt;
    if (t != LUA_TNUMBER)
        return bad_option(L, fn, key, "a number");
    lua_Number v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

void l_check_options(lua_State *L, int idx, const char *fn, const char *const *known)
{
    if (idx == 0 || lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            luaL_error(L, "%s: option names must be strings", fn);
            return;
        }
        const char *k = lua_tostring(L, -1);
        int found = 0;
        for (const char *const *p = known; *p && !found; p++)
            found = strcmp(*p, k) == 0;
        if (!found)
            luaL_error(L, "%s: unknown option '%s'", fn, k);
    }
}

/* monotonic() -> seconds from an arbitrary start (for timing, benchmarks) */
static int l_monotonic(lua_State *L)
{
    lua_pushnumber(L, rt_monotonic());
    return 1;
}

int luaopen_retort(lua_State *L)
{
    lua_newtable(L);
    int module = lua_gettop(L);
    l_open_error(L, module);
    l_open_values(L, module);
    l_open_engine(L, module);
    l_open_connection(L, module);
    l_open_result(L, module);
    l_open_text(L, module);
    l_open_execute(L);
    l_open_expr(L, module);
    l_open_select(L, module);
    l_open_schema(L, module);
    l_open_orm(L, module);
    lua_pushcfunction(L, l_monotonic);
    lua_setfield(L, module, "monotonic");
    lua_pushliteral(L, "0.1.0");
    lua_setfield(L, module, "__version");
    return 1;
}
