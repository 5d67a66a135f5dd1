/* l_connection.c: Connection and Transaction objects.  Statements reach the
 * database through l_execute (l_execute.c). */
#include <string.h>

#include "l_common.h"

static char conn_mt_key;   /* registry: the Connection metatable */

rt_conn *l_check_conn(lua_State *L, int idx)
{
    l_conn *u = lua_touserdata(L, idx);
    int ok = 0;
    if (u && lua_getmetatable(L, idx)) {
        /* Connection methods have the metatable as upvalue 1; elsewhere it is
         * found in the registry (both cheaper than luaL_checkudata's name) */
        ok = lua_rawequal(L, -1, lua_upvalueindex(1));
        if (!ok) {
            lua_rawgetp(L, LUA_REGISTRYINDEX, &conn_mt_key);
            ok = lua_rawequal(L, -1, -2);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (!ok)
        u = luaL_checkudata(L, idx, L_CONN);
    if (!u->c)
        luaL_error(L, "attempt to use a freed connection");
    return u->c;
}

void l_push_connection(lua_State *L, rt_conn *c, int engine_idx)
{
    engine_idx = lua_absindex(L, engine_idx);
    l_conn *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->c = c;
    luaL_setmetatable(L, L_CONN);
    lua_pushvalue(L, engine_idx);
    lua_setiuservalue(L, -2, 1);
}

static int conn_execute(lua_State *L)
{
    lua_settop(L, 3);
    return l_execute(L, 1, 2, 3, 0);
}

static int conn_close(lua_State *L)
{
    rt_conn_close(l_check_conn(L, 1));
    return 0;
}

static int conn_gc(lua_State *L)
{
    l_conn *u = luaL_checkudata(L, 1, L_CONN);
    rt_conn_free(u->c);
    u->c = NULL;
    return 0;
}

static int push_txn(lua_State *L, rt_txn id)
{
    l_txn *t = lua_newuserdatauv(L, sizeof *t, 1);
    t->id = id;
    luaL_setmetatable(L, L_TXN);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int begin_with(lua_State *L, int (*begin)(rt_conn *, rt_txn *, rt_error *))
{
    rt_txn id;
    rt_error err;
    rt_error_init(&err);
    if (begin(l_check_conn(L, 1), &id, &err) < 0)
        return l_raise(L, &err, 0);
    return push_txn(L, id);
}

static int conn_begin(lua_State *L) { return begin_with(L, rt_conn_begin); }
static int conn_begin_nested(lua_State *L) { return begin_with(L, rt_conn_begin_nested); }

static int conn_in_transaction(lua_State *L)
{
    lua_pushboolean(L, rt_conn_in_transaction(l_check_conn(L, 1)));
    return 1;
}

static int conn_invalidate(lua_State *L)
{
    rt_conn_invalidate(l_check_conn(L, 1));
    return 0;
}

/* upvalues: 1 the Connection metatable, 2 the methods (looked up first,
 * before the type check: each method checks its self) */
static int conn_index(lua_State *L)
{
    if (l_index_method(L, 2))
        return 1;
    rt_conn *c = l_check_conn(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "closed") == 0)
        lua_pushboolean(L, rt_conn_closed(c));
    else if (strcmp(k, "invalidated") == 0)
        lua_pushboolean(L, rt_conn_invalidated(c));
    else if (strcmp(k, "engine") == 0)
        lua_getiuservalue(L, 1, 1);
    else
        lua_pushnil(L);
    return 1;
}

static int conn_tostring(lua_State *L)
{
    rt_conn *c = l_check_conn(L, 1);
    lua_getiuservalue(L, 1, 1);
    lua_pushfstring(L, "<Connection(%s)%s>", luaL_tolstring(L, -1, NULL),
                    rt_conn_closed(c) ? " closed" : "");
    return 1;
}

/* === Transaction === */

static l_txn *check_txn(lua_State *L, rt_conn **c)
{
    l_txn *t = luaL_checkudata(L, 1, L_TXN);
    lua_getiuservalue(L, 1, 1);
    *c = l_check_conn(L, -1);
    lua_pop(L, 1);
    return t;
}

static int txn_end(lua_State *L, int commit)
{
    rt_conn *c;
    rt_error err;
    l_txn *t = check_txn(L, &c);
    rt_error_init(&err);
    int rc = commit ? rt_conn_commit(c, t->id, &err) : rt_conn_rollback(c, t->id, &err);
    return rc < 0 ? l_raise(L, &err, 0) : 0;
}

static int txn_commit(lua_State *L) { return txn_end(L, 1); }
static int txn_rollback(lua_State *L) { return txn_end(L, 0); }

/* `local t <close> = conn:begin()`: commits on a normal exit, rolls back when
 * the scope is left by an error. */
static int txn_close_var(lua_State *L)
{
    rt_conn *c;
    check_txn(L, &c);
    if (!lua_isnil(L, 2))
        return txn_rollback(L);
    l_txn *t = check_txn(L, &c);
    return rt_txn_is_active(c, t->id) ? txn_commit(L) : 0;
}

static int txn_index(lua_State *L)
{
    rt_conn *c;
    l_txn *t = check_txn(L, &c);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "is_active") == 0)
        lua_pushboolean(L, rt_txn_is_active(c, t->id));
    else if (strcmp(k, "connection") == 0)
        lua_getiuservalue(L, 1, 1);
    else {
        lua_getmetatable(L, 1);
        lua_getfield(L, -1, "__methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

static int txn_tostring(lua_State *L)
{
    rt_conn *c;
    l_txn *t = check_txn(L, &c);
    lua_pushstring(L, rt_txn_is_active(c, t->id) ? "<Transaction active>"
                                                  : "<Transaction inactive>");
    return 1;
}

void l_open_connection(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {{"__gc", conn_gc},
                                    {"__close", conn_close},
                                    {"__tostring", conn_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"execute", conn_execute},
                                       {"begin", conn_begin},
                                       {"begin_nested", conn_begin_nested},
                                       {"in_transaction", conn_in_transaction},
                                       {"invalidate", conn_invalidate},
                                       {"close", conn_close},
                                       {NULL, NULL}};
    static const luaL_Reg txn_meta[] = {{"__close", txn_close_var},
                                        {"__index", txn_index},
                                        {"__tostring", txn_tostring},
                                        {NULL, NULL}};
    static const luaL_Reg txn_methods[] = {{"commit", txn_commit},
                                           {"rollback", txn_rollback},
                                           {"close", txn_rollback},
                                           {NULL, NULL}};
    (void)module;
    l_new_class_upvalue(L, L_CONN, meta, methods, conn_index);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &conn_mt_key);
    l_new_class(L, L_TXN, txn_meta, txn_methods);
    lua_pop(L, 2);
}
