/* l_text.c: text() statements, and l_to_node, which accepts any statement
 * userdata (every node metatable carries the field __rt_node) or a plain SQL
 * string. */
#include "l_common.h"

l_node *l_test_node(lua_State *L, int idx)
{
    l_node *u = lua_touserdata(L, idx);
    if (!u || !lua_getmetatable(L, idx))
        return NULL;
    int is_node = lua_getfield(L, -1, "__rt_node") == LUA_TBOOLEAN;
    lua_pop(L, 2);
    return is_node && u->n ? u : NULL;
}

static l_node *push_text(lua_State *L, const char *sql)
{
    rt_error err;
    l_node *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->n = NULL;
    luaL_setmetatable(L, L_TEXT);
    rt_error_init(&err);
    u->n = rt_text_new(sql, &err);
    if (!u->n)
        l_raise(L, &err, 0);
    return u;
}

rt_node *l_to_node(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING) {
        l_node *u = push_text(L, lua_tostring(L, idx));
        lua_replace(L, idx);
        return u->n;
    }
    l_node *u = l_test_node(L, idx);
    if (!u)
        luaL_argerror(L, idx, lua_pushfstring(L, "a statement (text(), select(), ...) or an "
                                                 "SQL string expected, got %s",
                                              luaL_typename(L, idx)));
    return u->n;
}

static int l_text(lua_State *L)
{
    push_text(L, luaL_checkstring(L, 1));
    return 1;
}

/* text(sql):columns({name = Type, ...}) or :columns(col, ...): the types of
 * the result columns, for converting their values (JSON, Boolean, ...). */
static int text_columns(lua_State *L)
{
    rt_node *n = l_to_node(L, 1);
    rt_error err;
    int top = lua_gettop(L);
    size_t cap = 0;
    if (top == 2 && lua_istable(L, 2) && !l_test_node(L, 2))
        for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1))
            cap++;
    else
        cap = (size_t)(top - 1);
    const char **names = lua_newuserdatauv(L, (cap + 1) * sizeof *names, 0);
    rt_sqltype **types = lua_newuserdatauv(L, (cap + 1) * sizeof *types, 0);
    size_t k = 0;
    if (top == 2 && lua_istable(L, 2) && !l_test_node(L, 2)) {
        for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_argerror(L, 2, "column names must be strings");
            names[k] = lua_tostring(L, -2);
            types[k++] = l_to_type(L, -1);
        }
    } else {
        for (int i = 2; i <= top; i++) {
            l_node *u = l_test_node(L, i);
            if (!u || !rt_node_is_expr(u->n) || !rt_expr_key(u->n))
                return luaL_argerror(L, i, "a column expression expected");
            names[k] = rt_expr_key(u->n);
            types[k++] = (rt_sqltype *)rt_expr_type(u->n);
        }
    }
    rt_error_init(&err);
    return l_push_result(L, rt_text_columns(n, names, types, k, &err), &err);
}

void l_open_text(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {
        {"__gc", l_node_gc}, {"__tostring", l_node_tostring}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"compile", l_node_compile},
                                       {"columns", text_columns}, {NULL, NULL}};
    l_new_class(L, L_TEXT, meta, methods);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__rt_node");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_text);
    lua_setfield(L, module, "text");
}
