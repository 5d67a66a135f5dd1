/* l_error.c: errors as Lua objects.
 *
 * Every error retort raises on purpose is a table with the metatable
 * retort.Error: fields class ("IntegrityError"), message, code (SQLite result
 * code), sqlstate (PostgreSQL), statement and params; tostring() gives
 * "(IntegrityError) message" followed by [SQL: ...] and [parameters: ...]
 * lines; err:is(exc.DatabaseError) or err:is("DatabaseError") tests the class
 * against SQLAlchemy's hierarchy.  Misuse of the API (a wrong argument type)
 * raises Lua's usual string errors instead. */
#include <stdarg.h>
#include <stdio.h>

#include "l_common.h"

static void push_error(lua_State *L, rt_error *err, int params_idx)
{
    char *text = rt_error_format(err);
    lua_createtable(L, 0, 8);
    lua_pushstring(L, rt_errclass_name(err->cls));
    lua_setfield(L, -2, "class");
    lua_pushstring(L, err->message ? err->message : "out of memory");
    lua_setfield(L, -2, "message");
    if (err->code) {
        lua_pushinteger(L, err->code);
        lua_setfield(L, -2, "code");
    }
    if (err->sqlstate[0]) {
        lua_pushstring(L, err->sqlstate);
        lua_setfield(L, -2, "sqlstate");
    }
    if (err->statement) {
        lua_pushstring(L, err->statement);
        lua_setfield(L, -2, "statement");
    }
    if (params_idx && !lua_isnoneornil(L, params_idx)) {
        lua_pushvalue(L, params_idx);
        lua_setfield(L, -2, "params");
    }
    lua_pushstring(L, text ? text : "(MemoryError) out of memory");
    lua_setfield(L, -2, "text");
    rt_free(text);
    rt_error_clear(err);
    luaL_setmetatable(L, L_ERROR);
}

int l_raise(lua_State *L, rt_error *err, int params_idx)
{
    if (params_idx)
        params_idx = lua_absindex(L, params_idx);
    push_error(L, err, params_idx);
    return lua_error(L);
}

int l_raisef(lua_State *L, rt_errclass cls, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    rt_error err;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rt_error_init(&err);
    rt_error_set(&err, cls, "%s", msg);
    return l_raise(L, &err, 0);
}

static int error_tostring(lua_State *L)
{
    lua_getfield(L, 1, "text");
    return 1;
}

/* The class named by the value at idx: a class object or a name. */
static rt_errclass class_arg(lua_State *L, int idx)
{
    const char *name;
    if (luaL_testudata(L, idx, L_ERRCLASS) || lua_istable(L, idx)) {
        lua_getfield(L, idx, "name");
        name = lua_tostring(L, -1);
        lua_pop(L, 1);
    } else {
        name = lua_tostring(L, idx);
    }
    rt_errclass cls = name ? rt_errclass_by_name(name) : RT_ERR_NONE;
    if (cls == RT_ERR_NONE)
        luaL_argerror(L, idx, "an error class (exc.IntegrityError) or its name expected");
    return cls;
}

static int error_is(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    rt_errclass want = class_arg(L, 2);
    lua_getfield(L, 1, "class");
    rt_errclass have = rt_errclass_by_name(luaL_optstring(L, -1, ""));
    lua_pushboolean(L, have != RT_ERR_NONE && rt_errclass_is(have, want));
    return 1;
}

static int errclass_tostring(lua_State *L)
{
    lua_getfield(L, 1, "name");
    lua_pushfstring(L, "<class '%s'>", lua_tostring(L, -1));
    return 1;
}

void l_open_error(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {{"__tostring", error_tostring}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"is", error_is}, {NULL, NULL}};
    static const luaL_Reg class_meta[] = {{"__tostring", errclass_tostring}, {NULL, NULL}};
    l_new_class(L, L_ERROR, meta, methods);
    lua_pop(L, 1);
    l_new_class(L, L_ERRCLASS, class_meta, NULL);
    int cmt = lua_gettop(L);
    lua_createtable(L, 0, RT_ERR__COUNT);   /* exc */
    for (int i = 1; i < RT_ERR__COUNT; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, rt_errclass_name((rt_errclass)i));
        lua_setfield(L, -2, "name");
        rt_errclass parent = rt_errclass_parent((rt_errclass)i);
        if (parent != RT_ERR_NONE) {
            lua_getfield(L, -2, rt_errclass_name(parent));  /* parents come first */
            lua_setfield(L, -2, "parent");
        }
        lua_pushvalue(L, cmt);
        lua_setmetatable(L, -2);
        lua_setfield(L, -2, rt_errclass_name((rt_errclass)i));
    }
    lua_setfield(L, module, "exc");
    lua_pop(L, 1);
}
