/* l_values.c: Lua values to and from SQL values, and the `null` sentinel. */
#include "l_common.h"

void l_push_value(lua_State *L, const rt_value *v)
{
    switch (v->type) {
    case RT_NULL: lua_pushnil(L); break;
    case RT_INT: lua_pushinteger(L, (lua_Integer)v->u.i); break;
    case RT_FLOAT: lua_pushnumber(L, (lua_Number)v->u.f); break;
    case RT_BOOL: lua_pushboolean(L, v->u.b); break;
    case RT_TEXT:
    case RT_BLOB: lua_pushlstring(L, v->u.s.p, v->u.s.n); break;
    }
}

int l_is_null(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return 0;                /* null is a table: most values answer here */
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, L_NULL);
    int eq = lua_rawequal(L, idx, -1);
    lua_pop(L, 1);
    return eq;
}

int l_to_value(lua_State *L, int idx, rt_value *out)
{
    size_t n;
    const char *s;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: *out = rt_value_null(); return 0;
    case LUA_TBOOLEAN: *out = rt_value_bool(lua_toboolean(L, idx)); return 0;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            *out = rt_value_int((int64_t)lua_tointeger(L, idx));
        else
            *out = rt_value_float((double)lua_tonumber(L, idx));
        return 0;
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &n);
        *out = rt_value_text(s, n);
        return 0;
    default:
        if (l_is_null(L, idx)) {
            *out = rt_value_null();
            return 0;
        }
        return -1;
    }
}

static int null_call(lua_State *L)
{
    lua_settop(L, 1);
    return 1;
}

static int null_tostring(lua_State *L)
{
    lua_pushliteral(L, "NULL");
    return 1;
}

void l_open_values(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {
        {"__call", null_call}, {"__tostring", null_tostring}, {NULL, NULL}};
    lua_newtable(L);
    l_new_class(L, L_NULL, meta, NULL);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, L_NULL);
    lua_setfield(L, module, "null");
}
