/* l_orm_bulk.c: the session's bulk operations in Lua.
 *
 *   session:bulk_insert_mappings(Class, {{name = "a"}, {name = "b"}, ...})
 *   session:bulk_save_objects({obj1, obj2, ...} [, {return_defaults = true}])
 *
 * bulk_insert_mappings makes no instances: each Lua table is a row keyed by
 * attribute names (other keys are ignored), and consecutive rows giving the
 * same attributes go as one Core executemany of the class's INSERT, on the
 * session's connection and in its transaction (column defaults and type
 * processing as for Core).  bulk_save_objects is rt_session_bulk_save
 * (core/orm/bulk.c).  Neither cascades, autoflushes or touches the identity
 * map; a failure rolls back what the call wrote. */
#include <string.h>

#include "l_orm.h"

#define L_BULK_COMPILED "retort.orm.BulkCompiled"

static int compiled_gc(lua_State *L)
{
    rt_compiled **p = luaL_checkudata(L, 1, L_BULK_COMPILED);
    rt_compiled_release(*p);
    *p = NULL;
    return 0;
}

/* Marks in mask which attributes of m the row at idx gives; the attribute
 * names are the strings of the array at names. */
static void row_mask(lua_State *L, int idx, int names, size_t na, unsigned char *mask)
{
    for (size_t a = 0; a < na; a++) {
        lua_rawgeti(L, names, (lua_Integer)a + 1);
        mask[a] = lua_rawget(L, idx) != LUA_TNIL;
        lua_pop(L, 1);
    }
}

/* Executes the INSERT for rows [first, end) of the array at 3, which give
 * the attributes in mask. */
static void insert_group(lua_State *L, rt_mapper *m, rt_conn *c, rt_node *stmt,
                         const unsigned char *mask, lua_Integer first, lua_Integer end)
{
    int top = lua_gettop(L);
    size_t na = rt_mapper_nattrs(m), nkeys = 0;
    const char **keys = lua_newuserdatauv(L, (na + 1) * sizeof *keys, 0);
    int renamed = 0;
    for (size_t a = 0; a < na; a++)
        if (mask[a]) {
            keys[nkeys++] = rt_mapper_attr_column(m, a)->key;
            renamed |= strcmp(rt_mapper_attr_key(m, a), rt_mapper_attr_column(m, a)->key) != 0;
        }
    int params = 3;
    if (renamed || first != 1 || end != (lua_Integer)lua_rawlen(L, 3) + 1) {
        lua_createtable(L, (int)(end - first), 0);
        params = lua_gettop(L);
        for (lua_Integer i = first; i < end; i++) {
            lua_rawgeti(L, 3, i);
            if (renamed) {             /* keyed by column keys */
                lua_createtable(L, 0, (int)nkeys);
                for (size_t a = 0; a < na; a++)
                    if (mask[a]) {
                        lua_getfield(L, -2, rt_mapper_attr_key(m, a));
                        lua_setfield(L, -2, rt_mapper_attr_column(m, a)->key);
                    }
                lua_remove(L, -2);
            }
            lua_rawseti(L, params, i - first + 1);
        }
    }
    rt_compiled **holder = lua_newuserdatauv(L, sizeof *holder, 0);
    *holder = NULL;
    luaL_setmetatable(L, L_BULK_COMPILED);
    rt_error err;
    rt_error_init(&err);
    const rt_dialect *d = rt_engine_dialect(rt_conn_engine(c));
    if (rt_compile_keys_many(stmt, d, keys, nkeys, holder, &err) < 0)
        l_raise(L, &err, 0);
    size_t nsets;
    rt_value *vals = l_bind_params(L, params, *holder, stmt, d, &nsets);
    rt_result *res = NULL;
    if (rt_conn_execute(c, *holder, vals, nsets, &res, &err) < 0)
        l_raise(L, &err, params);
    rt_result_free(res);
    lua_settop(L, top);
}

/* The body of bulk_insert_mappings, protected: 1 session, 2 class, 3 rows,
 * 4 the connection (light userdata). */
static int insert_mappings(lua_State *L)
{
    rt_mapper *m = l_orm_check_class(L, 2);
    rt_conn *c = lua_touserdata(L, 4);
    size_t na = rt_mapper_nattrs(m);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 3);
    if (n == 0)
        return 0;
    lua_createtable(L, (int)na, 0);                        /* 5: attribute names */
    for (size_t a = 0; a < na; a++) {
        lua_pushstring(L, rt_mapper_attr_key(m, a));
        lua_rawseti(L, 5, (lua_Integer)a + 1);
    }
    rt_error err;
    rt_error_init(&err);
    rt_node *stmt = rt_insert_new(rt_mapper_table_node(m), &err);
    if (!stmt)
        return l_raise(L, &err, 0);
    l_push_node(L, stmt);                                  /* 6: owns it */
    unsigned char *cur = lua_newuserdatauv(L, na + 1, 0);
    unsigned char *next = lua_newuserdatauv(L, na + 1, 0);
    lua_Integer first = 1;
    for (lua_Integer i = 1; i <= n + 1; i++) {
        if (i <= n) {
            if (lua_rawgeti(L, 3, i) != LUA_TTABLE)
                return luaL_error(L, "bulk_insert_mappings: row %d is a %s, not a table", (int)i,
                                  luaL_typename(L, -1));
            row_mask(L, lua_gettop(L), 5, na, i == 1 ? cur : next);
            lua_pop(L, 1);
            if (i == 1 || memcmp(cur, next, na) == 0)
                continue;
        }
        insert_group(L, m, c, stmt, cur, first, i);
        unsigned char *t = cur;
        cur = next;
        next = t;
        first = i;
    }
    return 0;
}

/* Runs fn (arguments already on the stack after it) between bulk_begin and
 * bulk_end, rolling back and re-raising on a Lua error. */
static int protected_bulk(lua_State *L, l_session *u, lua_CFunction fn, int nargs)
{
    rt_error err;
    rt_conn *c;
    rt_txn sp;
    rt_error_init(&err);
    if (rt_session_bulk_begin(u->s, &c, &sp, &err) < 0)
        return l_raise(L, &err, 0);
    lua_pushcfunction(L, fn);
    for (int i = 1; i <= nargs; i++)
        lua_pushvalue(L, i);
    lua_pushlightuserdata(L, c);
    int status = lua_pcall(L, nargs + 1, 0, 0);
    if (rt_session_bulk_end(u->s, c, sp, status == LUA_OK, &err) < 0) {
        if (status != LUA_OK)
            return lua_error(L);
        return l_raise(L, &err, 0);
    }
    return 0;
}

static int s_bulk_insert_mappings(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    l_orm_check_class(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    return protected_bulk(L, u, insert_mappings, 3);
}

static int s_bulk_save_objects(lua_State *L)
{
    static const char *const known[] = {"return_defaults", NULL};
    l_session *u = l_orm_check_session(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int return_defaults = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        l_check_options(L, 3, "bulk_save_objects", known);
        return_defaults = l_opt_boolean(L, 3, "bulk_save_objects", "return_defaults", 0);
    }
    size_t n = (size_t)lua_rawlen(L, 2);
    rt_state **states = lua_newuserdatauv(L, (n + 1) * sizeof *states, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        states[i] = l_orm_test_instance(L, -1);
        if (!states[i])
            return luaL_error(L, "bulk_save_objects: item %d is not a mapped instance", (int)i + 1);
        lua_pop(L, 1);
    }
    rt_error err;
    rt_error_init(&err);
    if (rt_session_bulk_save(u->s, states, n, return_defaults, &err) < 0)
        return l_raise(L, &err, 0);
    return 0;
}

void l_open_orm_bulk(lua_State *L, int orm)
{
    static const luaL_Reg meta[] = {{"__gc", compiled_gc}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"bulk_insert_mappings", s_bulk_insert_mappings},
                                       {"bulk_save_objects", s_bulk_save_objects},
                                       {NULL, NULL}};
    l_new_class(L, L_BULK_COMPILED, meta, NULL);
    lua_pop(L, 1);
    lua_getfield(L, orm, "session_methods");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 1);
}
