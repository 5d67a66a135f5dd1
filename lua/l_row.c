/* l_row.c: rows as Lua sees them, shared by Core results (retort.Row) and
 * the ORM's column tuples (retort.KeyedTuple).
 *
 * A row is a Lua table that holds each value under its column's name, so
 * that row.name, the usual way to read a row, is a plain table hit with no
 * metamethod; a column without a name of its own (unnamed, or a name two
 * columns share) holds its value at its position.  The metatable, one per
 * column list, finds the rest: row[i] by position, row[column_object], NULL
 * values (absent keys), #row, row:keys(), row:totable(), and prints the row
 * as a tuple.  Its __store array gives, per position, the key the value is
 * held under (the name, or the position itself). */
#include <string.h>

#include "l_common.h"

/* The position (1-based) the key at idx names in the map at map_idx, or 0;
 * *ambiguous is set when a name is shared by several columns. */
static lua_Integer position_of(lua_State *L, int idx, int map_idx, int *ambiguous)
{
    *ambiguous = 0;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer i;
        int isint;
        i = lua_tointegerx(L, idx, &isint);
        return isint ? i : 0;
    }
    lua_pushvalue(L, idx);
    int t = lua_rawget(L, map_idx);
    lua_Integer i = t == LUA_TNUMBER ? lua_tointeger(L, -1) : 0;
    *ambiguous = t == LUA_TBOOLEAN;
    lua_pop(L, 1);
    return i;
}

void l_row_push_column(lua_State *L, int row_idx, int store_idx, lua_Integer i)
{
    lua_rawgeti(L, store_idx, i);
    lua_rawget(L, row_idx);
}

/* __index: reached when the key is not held by the row.  upvalues: 1 map
 * (name or column object -> position; false for an ambiguous name), 2
 * __store, 3 methods (a table) or false for rows where unknown names are
 * nil (KeyedTuple). */
static int row_index(lua_State *L)
{
    int ambiguous;
    luaL_checktype(L, 1, LUA_TTABLE);   /* (the metamethod called by hand) */
    lua_Integer i = position_of(L, 2, lua_upvalueindex(1), &ambiguous);
    if (i > 0) {
        l_row_push_column(L, 1, lua_upvalueindex(2), i);
        return 1;
    }
    if (!lua_istable(L, lua_upvalueindex(3)))
        return 0;
    int kt = lua_type(L, 2);
    if (kt == LUA_TUSERDATA)
        return luaL_error(L, "Could not locate column in row for column '%s'",
                          luaL_tolstring(L, 2, NULL));
    if (kt != LUA_TSTRING)
        return 0;   /* positions past the end */
    if (ambiguous)
        return luaL_error(L, "ambiguous column name '%s' in row: use its position",
                          lua_tostring(L, 2));
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(3)) != LUA_TNIL)
        return 1;
    return luaL_error(L, "Could not locate column in row for column '%s'", lua_tostring(L, 2));
}

/* upvalue 1: the number of columns */
static int row_len(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    return 1;
}

/* Appends the echo form of the value at idx (a SQL value as a literal,
 * anything else, an instance say, by tostring) to b. */
static void add_value_repr(lua_State *L, luaL_Buffer *b, int idx)
{
    rt_value v;
    if (lua_type(L, idx) == LUA_TUSERDATA || l_to_value(L, idx, &v) < 0) {
        luaL_tolstring(L, idx, NULL);
        luaL_addvalue(b);
        return;
    }
    rt_buf rb;
    rt_buf_init(&rb);
    rt_value_repr(&rb, &v);
    if (rb.failed) {
        rt_buf_free(&rb);
        luaL_error(L, "not enough memory");
    }
    luaL_addlstring(b, rt_buf_str(&rb), rb.len);
    rt_buf_free(&rb);
}

/* upvalues: 1 the number of columns, 2 __store.  "(1, 'ed')", "(1,)". */
static int row_tostring(lua_State *L)
{
    lua_Integer n = lua_tointeger(L, lua_upvalueindex(1));
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '(');
    for (lua_Integer i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addstring(&b, ", ");
        l_row_push_column(L, 1, lua_upvalueindex(2), i);
        add_value_repr(L, &b, lua_gettop(L));
        lua_pop(L, 1);
    }
    luaL_addstring(&b, n == 1 ? ",)" : ")");
    luaL_pushresult(&b);
    return 1;
}

/* row:keys(), row:totable(): the names come from the row's metatable */
static int row_keys(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__keys");
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, i);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

static int row_totable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getmetatable(L, 1);
    int mt = lua_gettop(L);
    lua_getfield(L, mt, "__keys");
    lua_getfield(L, mt, "__store");
    int keys = mt + 1, store = mt + 2;
    lua_Integer n = (lua_Integer)lua_rawlen(L, keys);
    lua_createtable(L, 0, (int)n);
    for (lua_Integer i = n; i >= 1; i--) {   /* backwards: the first name wins */
        lua_rawgeti(L, keys, i);
        l_row_push_column(L, 1, store, i);
        lua_rawset(L, -3);
    }
    return 1;
}

void l_row_meta_push(lua_State *L, int names_idx, int n, int extra_idx, int flags)
{
    names_idx = lua_absindex(L, names_idx);
    if (extra_idx)
        extra_idx = lua_absindex(L, extra_idx);
    lua_createtable(L, 0, 8);
    int mt = lua_gettop(L);
    lua_createtable(L, 0, n);                      /* map */
    int map = mt + 1;
    for (int i = 1; i <= n; i++) {
        if (lua_rawgeti(L, names_idx, i) != LUA_TSTRING) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushvalue(L, -1);
        int shared = lua_rawget(L, map) != LUA_TNIL && !(flags & L_ROW_LAST_NAME_WINS);
        lua_pop(L, 1);
        if (shared)
            lua_pushboolean(L, 0);
        else
            lua_pushinteger(L, i);
        lua_rawset(L, map);
    }
    lua_createtable(L, n, 0);                      /* __store */
    int store = mt + 2;
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, names_idx, i);
        lua_pushvalue(L, -1);
        if (lua_type(L, -1) != LUA_TSTRING || lua_rawget(L, map) != LUA_TNUMBER ||
            lua_tointeger(L, -1) != i) {
            lua_settop(L, store);
            lua_pushinteger(L, i);                 /* held at its position */
        } else {
            lua_pop(L, 1);                         /* held under its name */
        }
        lua_rawseti(L, store, i);
    }
    if (extra_idx) {                               /* extra keys -> positions */
        lua_pushnil(L);
        while (lua_next(L, extra_idx)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, map);
        }
    }
    lua_pushvalue(L, store);
    lua_setfield(L, mt, "__store");
    lua_pushvalue(L, names_idx);
    lua_setfield(L, mt, "__keys");
    if (flags & L_ROW_STRICT) {
        static const luaL_Reg methods[] = {{"keys", row_keys}, {"totable", row_totable},
                                           {NULL, NULL}};
        luaL_newlib(L, methods);
    } else {
        lua_pushboolean(L, 0);
    }
    lua_pushcclosure(L, row_index, 3);             /* map, store, methods */
    lua_setfield(L, mt, "__index");
    lua_pushinteger(L, n);
    lua_pushvalue(L, -1);
    lua_setfield(L, mt, "__n");
    lua_pushcclosure(L, row_len, 1);
    lua_setfield(L, mt, "__len");
    lua_pushinteger(L, n);
    lua_getfield(L, mt, "__store");
    lua_pushcclosure(L, row_tostring, 2);
    lua_setfield(L, mt, "__tostring");
    if (flags & L_ROW_STRICT)
        lua_pushliteral(L, "retort.Row");
    else
        lua_pushliteral(L, "retort.KeyedTuple");
    lua_setfield(L, mt, "__name");
    lua_settop(L, mt);
}

int l_row_push_store(lua_State *L, int mt_idx)
{
    lua_getfield(L, mt_idx, "__store");
    return lua_gettop(L);
}
