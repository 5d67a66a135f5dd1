/* l_values.c: Lua values to and from SQL values, the `null` sentinel, and the
 * gathering of a statement's parameters from Lua tables (one set, or an array
 * of sets for executemany). */
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

/* Fills vals[0..nslots) from the table at set_idx (group is 1-based, 0 for a
 * single set). */
static void fill_set(lua_State *L, int set_idx, const rt_compiled *cp, rt_value *vals,
                     size_t group)
{
    for (size_t i = 0; i < cp->nslots; i++) {
        const char *name = cp->slot_names[i];
        lua_pushstring(L, name);
        if (lua_rawget(L, set_idx) == LUA_TNIL) {
            if (group)
                l_raisef(L, RT_ERR_INVALID_REQUEST,
                         "A value is required for bind parameter '%s', in parameter "
                         "group %zu", name, group);
            l_raisef(L, RT_ERR_INVALID_REQUEST,
                     "A value is required for bind parameter '%s'", name);
        }
        if (l_to_value(L, -1, &vals[i]) < 0)
            luaL_error(L, "cannot bind a %s as the value of parameter '%s'",
                       luaL_typename(L, -1), name);
        lua_pop(L, 1);   /* the string stays alive: the table holds it */
    }
}

rt_value *l_bind_params(lua_State *L, int idx, const rt_compiled *cp, size_t *nsets)
{
    idx = lua_absindex(L, idx);
    *nsets = 0;
    if (lua_isnoneornil(L, idx)) {
        lua_pushnil(L);   /* keep the stack shape: one value pushed */
        return NULL;
    }
    if (!lua_istable(L, idx))
        luaL_error(L, "parameters must be a table of names, or an array of such tables, "
                      "not %s", luaL_typename(L, idx));
    size_t n = (size_t)lua_rawlen(L, idx);
    int many = n > 0 && lua_rawgeti(L, idx, 1) == LUA_TTABLE && !l_is_null(L, -1);
    if (n > 0)
        lua_pop(L, 1);
    *nsets = many ? n : 1;
    rt_value *vals = lua_newuserdatauv(L, (*nsets * cp->nslots + 1) * sizeof *vals, 0);
    if (!many) {
        fill_set(L, idx, cp, vals, 0);
        return vals;
    }
    for (size_t s = 0; s < n; s++) {
        if (lua_rawgeti(L, idx, (lua_Integer)s + 1) != LUA_TTABLE)
            luaL_error(L, "executemany: parameter set %zu is a %s, not a table", s + 1,
                       luaL_typename(L, -1));
        fill_set(L, lua_gettop(L), cp, vals + s * cp->nslots, s + 1);
        lua_pop(L, 1);
    }
    return vals;
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
