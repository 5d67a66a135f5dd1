/* l_engine.c: create_engine and the Engine object: connect, connectionless
 * execute (the connection goes back to the pool when the result is done),
 * begin(fn), dispose, and the `echo` switch. */
#include <string.h>

#include "l_common.h"

l_engine *l_check_engine(lua_State *L, int idx)
{
    l_engine *u = luaL_checkudata(L, idx, L_ENGINE);
    if (!u->e)
        luaL_error(L, "attempt to use a disposed engine");
    return u;
}

static rt_poolclass poolclass_opt(lua_State *L, int idx)
{
    static const char *const names[] = {"QueuePool", "NullPool", "StaticPool", NULL};
    static const rt_poolclass kinds[] = {RT_POOL_QUEUE, RT_POOL_NULL, RT_POOL_STATIC};
    if (lua_isnoneornil(L, idx) || lua_getfield(L, idx, "poolclass") == LUA_TNIL) {
        if (!lua_isnoneornil(L, idx))
            lua_pop(L, 1);
        return RT_POOL_DEFAULT;
    }
    int i = luaL_checkoption(L, -1, NULL, names);
    lua_pop(L, 1);
    return kinds[i];
}

static int l_create_engine(lua_State *L)
{
    static const char *const known[] = {"echo", "pool_size", "max_overflow", "pool_timeout",
                                        "pool_recycle", "pool_pre_ping", "poolclass", NULL};
    const char *fn = "create_engine";
    const char *url = luaL_checkstring(L, 1);
    rt_engine_options o;
    rt_error err;
    l_check_options(L, 2, fn, known);
    rt_engine_options_init(&o);
    o.echo = l_opt_boolean(L, 2, fn, "echo", 0);
    o.pool_size = (int)l_opt_integer(L, 2, fn, "pool_size", o.pool_size);
    o.max_overflow = (int)l_opt_integer(L, 2, fn, "max_overflow", o.max_overflow);
    o.pool_timeout = l_opt_number(L, 2, fn, "pool_timeout", o.pool_timeout);
    o.pool_recycle = l_opt_number(L, 2, fn, "pool_recycle", o.pool_recycle);
    o.pool_pre_ping = l_opt_boolean(L, 2, fn, "pool_pre_ping", 0);
    o.poolclass = poolclass_opt(L, 2);
    l_engine *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->e = NULL;
    u->sink = NULL;
    luaL_setmetatable(L, L_ENGINE);
    rt_error_init(&err);
    if (rt_engine_create(url, &o, &u->e, &err) < 0)
        return l_raise(L, &err, 0);
    return 1;
}

static int engine_gc(lua_State *L)
{
    l_engine *u = luaL_checkudata(L, 1, L_ENGINE);
    if (u->e && u->sink)
        rt_engine_set_echo_sink(u->e, NULL, NULL);
    u->sink = NULL;
    rt_engine_release(u->e);
    u->e = NULL;
    return 0;
}

static int engine_connect(lua_State *L)
{
    l_engine *u = l_check_engine(L, 1);
    rt_conn *c;
    rt_error err;
    rt_error_init(&err);
    if (rt_engine_connect(u->e, &c, &err) < 0)
        return l_raise(L, &err, 0);
    l_push_connection(L, c, 1);
    return 1;
}

/* engine:execute(stmt [, params]): runs on a private connection that closes
 * when the result is exhausted, closed or collected. */
static int engine_execute(lua_State *L)
{
    l_engine *u = l_check_engine(L, 1);
    rt_conn *c;
    rt_error err;
    lua_settop(L, 3);
    l_to_node(L, 2);   /* check the statement before taking a connection */
    rt_error_init(&err);
    if (rt_engine_connect(u->e, &c, &err) < 0)
        return l_raise(L, &err, 0);
    l_push_connection(L, c, 1);   /* 4: owned by Lua from here on */
    return l_execute(L, 4, 2, 3, 1);
}

/* engine:begin(fn): fn(conn) inside a transaction that commits when fn returns
 * and rolls back when it raises; the connection is closed either way. */
static int engine_begin(lua_State *L)
{
    l_check_engine(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_getfield(L, 1, "connect");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);                  /* 3: conn */
    lua_getfield(L, 3, "begin");
    lua_pushvalue(L, 3);
    lua_call(L, 1, 1);                  /* 4: transaction */
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    int ok = lua_pcall(L, 1, LUA_MULTRET, 0) == LUA_OK;
    int nres = lua_gettop(L) - 4;
    lua_getfield(L, 4, ok ? "commit" : "rollback");
    lua_pushvalue(L, 4);
    int ok2 = lua_pcall(L, 1, 0, 0) == LUA_OK;
    lua_getfield(L, 3, "close");
    lua_pushvalue(L, 3);
    lua_call(L, 1, 0);
    if (!ok2 && ok)
        return lua_error(L);            /* the commit failed */
    if (!ok) {
        if (!ok2)
            lua_pop(L, 1);              /* keep fn's error, not the rollback's */
        return lua_error(L);
    }
    return nres;
}

/* The echo sink: each line goes to the function kept on the sink thread,
 * under pcall (an error in it is dropped: echo must not fail a statement). */
static void echo_to_lua(void *ctx, const char *line)
{
    lua_State *T = ((l_engine *)ctx)->sink;
    if (!T || !lua_checkstack(T, 3))
        return;
    lua_pushvalue(T, 1);
    lua_pushstring(T, line);
    if (lua_pcall(T, 1, 0, 0) != LUA_OK)
        lua_pop(T, 1);
}

/* engine:set_echo_sink(fn | nil): echo lines go to fn(line) instead of
 * standard output (while echo is on); nil restores standard output. */
static int engine_set_echo_sink(lua_State *L)
{
    l_engine *u = l_check_engine(L, 1);
    if (lua_isnoneornil(L, 2)) {
        rt_engine_set_echo_sink(u->e, NULL, NULL);
        u->sink = NULL;
        lua_pushnil(L);
        lua_setiuservalue(L, 1, 1);
        return 0;
    }
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_State *T = lua_newthread(L);
    lua_pushvalue(L, 2);
    lua_xmove(L, T, 1);
    lua_setiuservalue(L, 1, 1);         /* anchors the thread, and fn on it */
    u->sink = T;
    rt_engine_set_echo_sink(u->e, echo_to_lua, u);
    return 0;
}

static int engine_dispose(lua_State *L)
{
    rt_engine_dispose(l_check_engine(L, 1)->e);
    return 0;
}

/* engine:_fail_statement(n): the n-th statement from now fails (tests). */
static int engine_fail_statement(lua_State *L)
{
    rt_engine_fail_statement(l_check_engine(L, 1)->e, (long)luaL_checkinteger(L, 2));
    return 0;
}

static int engine_pool_status(lua_State *L)
{
    rt_pool_status st;
    rt_engine_pool_status(l_check_engine(L, 1)->e, &st);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, st.size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, st.checked_out);
    lua_setfield(L, -2, "checked_out");
    lua_pushinteger(L, st.idle);
    lua_setfield(L, -2, "idle");
    lua_pushinteger(L, st.overflow);
    lua_setfield(L, -2, "overflow");
    return 1;
}

static void push_url(lua_State *L, rt_engine *e)
{
    char *s = rt_url_render(rt_engine_url(e), 0);
    lua_pushstring(L, s ? s : "?");
    rt_free(s);
}

static int engine_index(lua_State *L)
{
    l_engine *u = l_check_engine(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "echo") == 0)
        lua_pushboolean(L, rt_engine_echo(u->e));
    else if (strcmp(k, "url") == 0)
        push_url(L, u->e);
    else if (strcmp(k, "name") == 0)
        lua_pushstring(L, rt_dialect_name(rt_engine_dialect(u->e)));
    else if (strcmp(k, "driver") == 0)
        lua_pushstring(L, strcmp(rt_engine_url(u->e)->drivername, "sqlite") == 0 ? "sqlite3"
                                                                                : "libpq");
    else {
        lua_getmetatable(L, 1);
        lua_getfield(L, -1, "__methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

static int engine_newindex(lua_State *L)
{
    l_engine *u = l_check_engine(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "echo") != 0)
        return luaL_error(L, "cannot set '%s' on an Engine (only echo can be changed)", k);
    luaL_checktype(L, 3, LUA_TBOOLEAN);
    rt_engine_set_echo(u->e, lua_toboolean(L, 3));
    return 0;
}

static int engine_tostring(lua_State *L)
{
    l_engine *u = luaL_checkudata(L, 1, L_ENGINE);
    if (!u->e) {
        lua_pushliteral(L, "Engine(disposed)");
        return 1;
    }
    push_url(L, u->e);
    lua_pushfstring(L, "Engine(%s)", lua_tostring(L, -1));
    return 1;
}

void l_open_engine(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {{"__gc", engine_gc},
                                    {"__index", engine_index},
                                    {"__newindex", engine_newindex},
                                    {"__tostring", engine_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"connect", engine_connect},
                                       {"execute", engine_execute},
                                       {"begin", engine_begin},
                                       {"dispose", engine_dispose},
                                       {"pool_status", engine_pool_status},
                                       {"_fail_statement", engine_fail_statement},
                                       {"set_echo_sink", engine_set_echo_sink},
                                       {NULL, NULL}};
    l_new_class(L, L_ENGINE, meta, methods);
    lua_pop(L, 1);
    lua_pushcfunction(L, l_create_engine);
    lua_setfield(L, module, "create_engine");
}
