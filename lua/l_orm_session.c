/* l_orm_session.c: the Session object in Lua: a userdata over an
 * rt_session, with add / delete / merge / get / flush / commit / rollback /
 * close / begin_nested and the new, dirty and deleted sets as Lua arrays.
 * query(), execute() and scalars() are added by orm.lua.  Column defaults
 * given as Lua functions are called during a flush through a hook, under
 * lua_pcall so that a Lua error never unwinds through the core. */
#include <string.h>

#include "l_orm.h"

#define L_SESSION_TXN "retort.SessionTransaction"
#define REG_SESSIONS "retort.orm.sessions"   /* registry: rt_session -> Session, weak */

typedef struct l_session_txn { rt_txn t; } l_session_txn;  /* uservalue 1: Session */

l_session *l_orm_check_session(lua_State *L, int idx)
{
    l_session *u = luaL_checkudata(L, idx, L_SESSION);
    if (!u->s)
        luaL_error(L, "attempt to use a freed session");
    u->L = L;
    return u;
}

/* === the default hook === */

typedef struct hook_call {
    rt_column *c;
    int on_update;
} hook_call;

static int hook_body(lua_State *L)
{
    hook_call *h = lua_touserdata(L, 1);
    const rt_default *d = h->on_update ? &h->c->onupdate : &h->c->default_;
    if (!l_default_value(L, d, 0, h->c->name))
        lua_pushnil(L);
    const rt_sqltype *t = rt_column_type(h->c);
    if (t && !lua_isnil(L, -1) && l_type_needs_processing(t, L_TYPE_BIND, NULL))
        l_type_process(L, t, L_TYPE_BIND, NULL);
    return 1;
}

static int column_default_hook(void *ctx, rt_column *c, int on_update, rt_value *out,
                               rt_error *err)
{
    l_session *u = ctx;
    lua_State *L = u->L;
    hook_call h = {c, on_update};
    lua_pushcfunction(L, hook_body);
    lua_pushlightuserdata(L, &h);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        rt_error_set(err, RT_ERR_STATEMENT, "default of column '%s' failed: %s", c->name,
                     lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error object)");
        lua_pop(L, 1);
        return -1;
    }
    if (l_to_value(L, -1, out) < 0) {
        lua_pop(L, 1);
        return rt_error_set(err, RT_ERR_STATEMENT, "default of column '%s' gave a value "
                            "that cannot be bound", c->name);
    }
    /* the caller copies the value before anything else runs in Lua, so the
     * string may leave the stack now */
    lua_pop(L, 1);
    return 0;
}

/* === creation === */

static int o_session(lua_State *L)
{
    l_engine *e = l_check_engine(L, 1);
    l_session *u = lua_newuserdatauv(L, sizeof *u, 2);
    u->s = NULL;
    u->L = L;
    luaL_setmetatable(L, L_SESSION);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    rt_error err;
    rt_error_init(&err);
    u->s = rt_session_new(e->e, &err);
    if (!u->s)
        return l_raise(L, &err, 0);
    rt_orm_hooks h = {column_default_hook, u};
    rt_session_set_hooks(u->s, &h);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_SESSIONS);
    lua_pushvalue(L, -2);
    lua_rawsetp(L, -2, u->s);
    lua_pop(L, 1);
    return 1;
}

/* object_session(obj): the Session obj is in, or nil. */
static int o_object_session(lua_State *L)
{
    rt_session *s = rt_state_session(l_orm_check_instance(L, 1));
    if (!s)
        return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, REG_SESSIONS);
    lua_rawgetp(L, -1, s);
    return 1;
}

static int s_gc(lua_State *L)
{
    l_session *u = luaL_checkudata(L, 1, L_SESSION);
    u->L = L;
    rt_session_free(u->s);
    u->s = NULL;
    return 0;
}

static int check(lua_State *L, int rc, rt_error *err)
{
    if (rc < 0)
        return l_raise(L, err, 0);
    return 0;
}

#define SESSION_CALL(expr)                                                         \
    do {                                                                           \
        rt_error err;                                                              \
        rt_error_init(&err);                                                       \
        check(L, (expr), &err);                                                    \
    } while (0)

static int s_add(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    rt_state *st = l_orm_check_instance(L, 2);
    SESSION_CALL(rt_session_add(u->s, st, &err));
    return 0;
}

static int s_add_all(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 2);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        rt_state *st = l_orm_test_instance(L, -1);
        if (!st)
            return luaL_error(L, "add_all: item %d is not a mapped instance", (int)i);
        SESSION_CALL(rt_session_add(u->s, st, &err));
        lua_pop(L, 1);
    }
    return 0;
}

static int s_delete(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    rt_state *st = l_orm_check_instance(L, 2);
    SESSION_CALL(rt_session_delete(u->s, st, &err));
    return 0;
}

static int s_expunge(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    rt_session_expunge(u->s, l_orm_check_instance(L, 2));
    return 0;
}

static int s_expunge_all(lua_State *L)
{
    rt_session_expunge_all(l_orm_check_session(L, 1)->s);
    return 0;
}

static int s_merge(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    rt_state *st = l_orm_check_instance(L, 2), *out = NULL;
    SESSION_CALL(rt_session_merge(u->s, st, &out, &err));
    l_orm_push_instance(L, out);
    rt_state_release(out);
    return 1;
}

static int s_refresh(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    SESSION_CALL(rt_session_refresh(u->s, l_orm_check_instance(L, 2), &err));
    return 0;
}

static int s_expire(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    rt_session_expire(u->s, l_orm_check_instance(L, 2));
    return 0;
}

static int s_expire_all(lua_State *L)
{
    rt_session_expire_all(l_orm_check_session(L, 1)->s);
    return 0;
}

static int s_flush(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    SESSION_CALL(rt_session_flush(u->s, &err));
    return 0;
}

static int s_autoflush(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    SESSION_CALL(rt_session_autoflush(u->s, &err));
    return 0;
}

static int s_commit(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    SESSION_CALL(rt_session_commit(u->s, &err));
    return 0;
}

static int s_rollback(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    SESSION_CALL(rt_session_rollback(u->s, &err));
    return 0;
}

static int s_close(lua_State *L)
{
    rt_session_close(l_orm_check_session(L, 1)->s);
    return 0;
}

/* session:get(User, 5) or session:get(User, {1, 2}) for composite keys. */
static int s_get(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    rt_mapper *m = l_orm_check_class(L, 2);
    size_t npk = rt_mapper_npk(m);
    rt_value pk_buf[4];   /* the usual key on the C stack */
    rt_value *pk = npk <= 4 ? pk_buf : lua_newuserdatauv(L, (npk + 1) * sizeof *pk, 0);
    int many = lua_istable(L, 3) && !l_is_null(L, 3);
    if (!many && npk != 1)
        return luaL_error(L, "get: %s has a composite primary key: give an array of %d values",
                          rt_mapper_class_name(m), (int)npk);
    if (many && (size_t)luaL_len(L, 3) != npk)
        return luaL_error(L, "get: expected %d primary key values", (int)npk);
    for (size_t k = 0; k < npk; k++) {
        int idx = 3;
        if (many) {
            lua_rawgeti(L, 3, (lua_Integer)k + 1);
            idx = lua_gettop(L);
        }
        if (lua_isnil(L, idx) || l_to_value(L, idx, &pk[k]) < 0)
            return luaL_error(L, "get: a primary key value must be a number or string, not %s",
                              luaL_typename(L, idx));
    }
    rt_state *st = NULL;
    SESSION_CALL(rt_session_get(u->s, m, pk, &st, &err));
    if (!st)
        return 0;
    l_orm_push_instance(L, st);
    rt_state_release(st);
    return 1;
}

static int s_begin_nested(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    l_session_txn *t = lua_newuserdatauv(L, sizeof *t, 1);
    t->t = 0;
    luaL_setmetatable(L, L_SESSION_TXN);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    SESSION_CALL(rt_session_begin_nested(u->s, &t->t, &err));
    return 1;
}

static int txn_end(lua_State *L, int commit)
{
    l_session_txn *t = luaL_checkudata(L, 1, L_SESSION_TXN);
    lua_getiuservalue(L, 1, 1);
    l_session *u = l_orm_check_session(L, -1);
    SESSION_CALL(commit ? rt_session_commit_nested(u->s, t->t, &err)
                        : rt_session_rollback_nested(u->s, t->t, &err));
    return 0;
}

static int txn_commit(lua_State *L) { return txn_end(L, 1); }
static int txn_rollback(lua_State *L) { return txn_end(L, 0); }

static int push_set(lua_State *L, l_session *u, rt_session_set which)
{
    rt_state **states;
    size_t n;
    SESSION_CALL(rt_session_states(u->s, which, &states, &n, &err));
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        l_orm_push_instance(L, states[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    rt_free(states);
    return 1;
}

/* upvalue 1: the methods (none is named like a property below): looked up
 * first, with the key as it is (session:query is the usual lookup) */
static int s_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    l_session *u = l_orm_check_session(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "new") == 0)
        return push_set(L, u, RT_SESSION_NEW);
    if (strcmp(k, "dirty") == 0)
        return push_set(L, u, RT_SESSION_DIRTY);
    if (strcmp(k, "deleted") == 0)
        return push_set(L, u, RT_SESSION_DELETED);
    if (strcmp(k, "bind") == 0) {
        lua_getiuservalue(L, 1, 1);
        return 1;
    }
    if (strcmp(k, "in_transaction") == 0) {
        lua_pushboolean(L, rt_session_in_transaction(u->s));
        return 1;
    }
    lua_pushnil(L);
    return 1;
}

static int s_newindex(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "autoflush") == 0 || strcmp(k, "expire_on_commit") == 0) {
        luaL_checktype(L, 3, LUA_TBOOLEAN);
        if (k[0] == 'a')
            rt_session_set_autoflush(u->s, lua_toboolean(L, 3));
        else
            rt_session_set_expire_on_commit(u->s, lua_toboolean(L, 3));
        return 0;
    }
    return luaL_error(L, "cannot set field '%s' of a Session", k);
}

static int s_tostring(lua_State *L)
{
    lua_pushfstring(L, "<Session %p>", lua_touserdata(L, 1));
    return 1;
}

/* session:connection(): a Connection sharing nothing: for execute() the
 * binding runs statements on the session's own connection (l_orm_query.c). */

void l_open_orm_session(lua_State *L, int orm)
{
    static const luaL_Reg meta[] = {{"__gc", s_gc},           {"__index", s_index},
                                    {"__newindex", s_newindex}, {"__tostring", s_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"add", s_add},           {"add_all", s_add_all},     {"delete", s_delete},
        {"expunge", s_expunge},   {"expunge_all", s_expunge_all}, {"merge", s_merge},
        {"refresh", s_refresh},   {"expire", s_expire},       {"expire_all", s_expire_all},
        {"flush", s_flush},       {"commit", s_commit},       {"rollback", s_rollback},
        {"close", s_close},       {"get", s_get},             {"begin_nested", s_begin_nested},
        {"_autoflush", s_autoflush}, {NULL, NULL}};
    static const luaL_Reg txn_methods[] = {{"commit", txn_commit}, {"rollback", txn_rollback},
                                           {NULL, NULL}};
    static const luaL_Reg txn_meta[] = {{NULL, NULL}};
    l_new_class(L, L_SESSION, meta, methods);
    lua_getfield(L, -1, "__methods");
    lua_pushvalue(L, -1);
    lua_setfield(L, orm, "session_methods");
    lua_pushcclosure(L, s_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    l_new_class(L, L_SESSION_TXN, txn_meta, txn_methods);
    lua_pop(L, 1);
    lua_pushcfunction(L, o_session);
    lua_setfield(L, orm, "session");
    lua_pushcfunction(L, o_object_session);
    lua_setfield(L, orm, "object_session");
    lua_newtable(L);                          /* REG_SESSIONS, weak values */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_SESSIONS);
}
