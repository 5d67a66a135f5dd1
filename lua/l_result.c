/* l_result.c: Result and ScalarResult objects.
 *
 * Rows are the tables of lua/l_row.c (values under their column names),
 * sharing one metatable per result; later results of the same SQL text with
 * the same columns reuse it.  Values go from the driver straight into
 * Lua, a row's in one call.  A result whose statement returns no rows, or that was closed,
 * refuses to fetch with ResourceClosedError; an exhausted one returns nil. */
#include <string.h>

#include "l_common.h"

static char result_mt_key;   /* registry: the Result metatable */

l_result *l_new_result(lua_State *L)
{
    l_result *res = lua_newuserdatauv(L, sizeof *res, 6);
    memset(res, 0, sizeof *res);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &result_mt_key);
    lua_setmetatable(L, -2);
    return res;
}

/* The functions of Result and ScalarResult have the Result metatable as
 * upvalue 1, which makes the type check of their result cheap; elsewhere
 * (no such upvalue) it falls back to luaL_checkudata. */
static l_result *check_result(lua_State *L, int idx)
{
    l_result *res = lua_touserdata(L, idx);
    if (res && lua_getmetatable(L, idx)) {
        int same = lua_rawequal(L, -1, lua_upvalueindex(1));
        lua_pop(L, 1);
        if (!same)
            res = luaL_checkudata(L, idx, L_RESULT);
    } else {
        res = luaL_checkudata(L, idx, L_RESULT);
    }
    if (!res->r)
        luaL_error(L, "attempt to use a freed result");
    return res;
}

void l_result_after_step(lua_State *L, int idx)
{
    l_result *res = lua_touserdata(L, idx);
    if (!res->close_conn || !rt_result_closed(res->r))
        return;
    res->close_conn = 0;
    lua_getiuservalue(L, idx, 1);
    l_conn *cu = luaL_testudata(L, -1, L_CONN);
    if (cu && cu->c)
        rt_conn_close(cu->c);
    lua_pop(L, 1);
}

/* A result that can be fetched from, or an error saying why not. */
static l_result *check_fetchable(lua_State *L, int idx)
{
    l_result *res = check_result(L, idx);
    if (res->hard_closed)
        l_raisef(L, RT_ERR_RESOURCE_CLOSED, "This result object is closed.");
    if (!rt_result_returns_rows(res->r) || res->hide_rows)
        l_raisef(L, RT_ERR_RESOURCE_CLOSED,
                 "This result object does not return rows. It has been closed "
                 "automatically.");
    return res;
}

/* === rows (made as lua/l_row.c describes) === */

/* Pushes a table of the column objects a compiled statement's result
 * columns came from -> their positions (the first column wins), so that
 * row[users.c.name] works. */
static void push_column_objects(lua_State *L, l_result *res)
{
    const rt_compiled *cp = res->cp;
    lua_newtable(L);
    if (!cp || !cp->column_nodes)
        return;
    for (size_t i = 0; i < cp->ncolumns && (int)i < res->ncols; i++) {
        if (!cp->column_nodes[i])
            continue;
        l_push_node(L, rt_node_retain((rt_node *)cp->column_nodes[i]));
        lua_pushvalue(L, -1);
        if (lua_rawget(L, -3) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushinteger(L, (lua_Integer)i + 1);
            lua_rawset(L, -3);
        } else {
            lua_pop(L, 2);
        }
    }
}

/* The column names and column objects a row metatable was built for.  The
 * names point into the strings of the metatable's __keys and the column
 * objects are keys of its name map, so both live as long as the metatable. */
typedef struct row_shape {
    int ncols;
    const char **names;
    const rt_node **nodes;
} row_shape;

static char shape_cache_key;   /* registry: weak map SQL text -> row_shape */

static const rt_node *column_node(const l_result *res, int i)
{
    const rt_compiled *cp = res->cp;
    if (!cp || !cp->column_nodes || (size_t)i >= cp->ncolumns)
        return NULL;
    return cp->column_nodes[i];
}

static int same_shape(const row_shape *s, const l_result *res)
{
    if (s->ncols != res->ncols)
        return 0;
    for (int i = 0; i < s->ncols; i++)
        if (s->nodes[i] != column_node(res, i) ||
            strcmp(s->names[i], rt_result_colname(res->r, i)) != 0)
            return 0;
    return 1;
}

/* Builds the metatable rows of res share; leaves it on the stack. */
static void build_row_meta(lua_State *L, l_result *res)
{
    int top = lua_gettop(L);
    row_shape *shape = lua_newuserdatauv(L, sizeof *shape + (size_t)res->ncols *
                                         (sizeof(const char *) + sizeof(const rt_node *)), 1);
    shape->ncols = res->ncols;
    shape->nodes = (const rt_node **)(shape + 1);
    shape->names = (const char **)(shape->nodes + res->ncols);
    lua_createtable(L, res->ncols, 0);             /* the names */
    for (int i = 0; i < res->ncols; i++) {
        shape->names[i] = lua_pushstring(L, rt_result_colname(res->r, i));
        shape->nodes[i] = column_node(res, i);
        lua_rawseti(L, -2, i + 1);
    }
    push_column_objects(L, res);
    l_row_meta_push(L, top + 2, res->ncols, top + 3, L_ROW_STRICT);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, top + 1, 1);              /* shape -> metatable */
    lua_pushvalue(L, top + 1);
    lua_setfield(L, -2, "__shape");
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
}

/* Keeps the row metatable on top of the stack, and its __store, with the
 * result at res_idx (uservalues 2 and 6). */
static void keep_row_meta(lua_State *L, int res_idx)
{
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, res_idx, 2);
    l_row_push_store(L, lua_gettop(L));
    lua_setiuservalue(L, res_idx, 6);
}

/* Pushes the metatable the rows of the result at res_idx share: made once
 * per result, and taken from an earlier result of the same SQL text with the
 * same columns when one is still alive (short selects run the same statement
 * over and over). */
static void push_row_meta(lua_State *L, int res_idx, l_result *res)
{
    if (lua_getiuservalue(L, res_idx, 2) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    const void *key = res->cp ? (const void *)res->cp->sql : NULL;
    if (key) {
        if (lua_rawgetp(L, LUA_REGISTRYINDEX, &shape_cache_key) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_createtable(L, 0, 8);
            lua_createtable(L, 0, 1);
            lua_pushliteral(L, "v");
            lua_setfield(L, -2, "__mode");
            lua_setmetatable(L, -2);
            lua_pushvalue(L, -1);
            lua_rawsetp(L, LUA_REGISTRYINDEX, &shape_cache_key);
        }
        if (lua_rawgetp(L, -1, key) == LUA_TUSERDATA &&
            same_shape(lua_touserdata(L, -1), res)) {
            lua_getiuservalue(L, -1, 1);
            lua_replace(L, -3);
            lua_pop(L, 1);
            keep_row_meta(L, res_idx);
            return;
        }
        lua_pop(L, 1);
    }
    build_row_meta(L, res);
    if (key) {                                     /* cache[key] = shape */
        lua_getfield(L, -1, "__shape");
        lua_rawsetp(L, -3, key);
        lua_remove(L, -2);
    }
    keep_row_meta(L, res_idx);
}

#define ROW_ON_STACK 16   /* rows this wide are read in one call */

/* Steps res (checked, at stack index idx) and pushes its next row; returns
 * 0 at the end.  *mt and *store are the stack indices of the row metatable
 * and its __store: when 0, they are pushed (below the row) and set. */
static int next_row(lua_State *L, int idx, l_result *res, int *mt, int *store)
{
    rt_error err;
    rt_value v;
    rt_error_init(&err);
    int rc = rt_result_next(res->r, &err);
    if (rc < 0)
        return l_raise(L, &err, 0);
    if (rc == 0) {
        l_result_after_step(L, idx);
        return 0;
    }
    if (!*mt) {
        push_row_meta(L, idx, res);
        *mt = lua_gettop(L);
        lua_getiuservalue(L, idx, 6);
        *store = *mt + 1;
    }
    rt_value few[ROW_ON_STACK];
    rt_value *vals = res->ncols <= ROW_ON_STACK ? few : NULL;
    if (vals)
        rt_result_values(res->r, vals);
    lua_createtable(L, 0, res->ncols);
    for (int i = 0; i < res->ncols; i++) {
        if (vals)
            v = vals[i];
        else
            rt_result_value(res->r, i, &v);
        if (v.type == RT_NULL)
            continue;
        lua_rawgeti(L, *store, i + 1);
        l_push_value(L, &v);
        if (res->process && res->coltypes)
            l_type_process(L, res->coltypes[i], L_TYPE_RESULT, res->dialect);
        lua_rawset(L, -3);
    }
    lua_pushvalue(L, *mt);
    lua_setmetatable(L, -2);
    return 1;
}

int l_result_fetch_row(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    int top = lua_gettop(L), mt = 0, store = 0;
    if (!next_row(L, idx, check_fetchable(L, idx), &mt, &store))
        return 0;
    lua_replace(L, top + 1);   /* the row, over the metatable and __store */
    lua_settop(L, top + 1);
    return 1;
}

/* Appends up to limit rows (all: limit < 0) of the result at idx to the
 * table at out, checking the result and finding the row metatable once. */
static void fetch_into(lua_State *L, int idx, int out, lua_Integer limit)
{
    if (limit == 0)
        return;
    l_result *res = check_fetchable(L, idx);
    int top = lua_gettop(L), mt = 0, store = 0;
    for (lua_Integer i = 1; (limit < 0 || i <= limit) && next_row(L, idx, res, &mt, &store); i++)
        lua_rawseti(L, out, i);
    lua_settop(L, top);
}

/* Closes the result softly (fetching again returns nothing). */
static void finish(lua_State *L, int idx)
{
    l_result *res = lua_touserdata(L, idx);
    rt_result_close(res->r);
    l_result_after_step(L, idx);
}

static int result_call(lua_State *L)
{
    return l_result_fetch_row(L, 1) ? 1 : (lua_pushnil(L), 1);
}

static int result_fetchmany(lua_State *L)
{
    lua_Integer n = luaL_optinteger(L, 2, 1);
    lua_settop(L, 1);
    lua_newtable(L);
    fetch_into(L, 1, 2, n < 0 ? 0 : n);
    return 1;
}

static int result_fetchall(lua_State *L)
{
    lua_settop(L, 1);
    lua_newtable(L);
    fetch_into(L, 1, 2, -1);
    return 1;
}

static int result_first(lua_State *L)
{
    lua_settop(L, 1);
    if (!l_result_fetch_row(L, 1))
        lua_pushnil(L);
    finish(L, 1);
    return 1;
}

static int fetch_exactly_one(lua_State *L, int allow_none)
{
    lua_settop(L, 1);
    if (!l_result_fetch_row(L, 1)) {
        if (allow_none)
            return lua_pushnil(L), 1;
        return l_raisef(L, RT_ERR_NO_RESULT, "No row was found when one was required");
    }
    if (l_result_fetch_row(L, 1)) {
        finish(L, 1);
        return l_raisef(L, RT_ERR_MULTIPLE_RESULTS,
                        "Multiple rows were found when exactly one was required");
    }
    return 1;
}

static int result_one(lua_State *L) { return fetch_exactly_one(L, 0); }
static int result_one_or_none(lua_State *L) { return fetch_exactly_one(L, 1); }

/* Pushes column i of the row at row_idx, fetched from the result at res_idx. */
static void push_row_column(lua_State *L, int res_idx, int row_idx, lua_Integer i)
{
    row_idx = lua_absindex(L, row_idx);
    lua_getiuservalue(L, res_idx, 6);
    l_row_push_column(L, row_idx, lua_gettop(L), i);
    lua_remove(L, -2);
}

static int result_scalar(lua_State *L)
{
    lua_settop(L, 1);
    if (l_result_fetch_row(L, 1))
        push_row_column(L, 1, 2, 1);
    else
        lua_pushnil(L);
    finish(L, 1);
    return 1;
}

static int result_keys(lua_State *L)
{
    l_result *res = check_result(L, 1);
    lua_createtable(L, res->ncols, 0);
    for (int i = 0; i < res->ncols; i++) {
        lua_pushstring(L, rt_result_colname(res->r, i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int result_close(lua_State *L)
{
    l_result *res = check_result(L, 1);
    res->hard_closed = 1;
    finish(L, 1);
    return 0;
}

static int result_gc(lua_State *L)
{
    l_result *res = luaL_checkudata(L, 1, L_RESULT);
    if (res->r) {
        finish(L, 1);
        rt_result_free(res->r);
        res->r = NULL;
    }
    rt_compiled_release(res->own_cp);
    res->own_cp = NULL;
    return 0;
}

static int result_scalars(lua_State *L)
{
    l_result *res = check_fetchable(L, 1);
    lua_Integer col = luaL_optinteger(L, 2, 1);
    luaL_argcheck(L, col >= 1 && col <= res->ncols, 2, "column position out of range");
    l_scalars *s = lua_newuserdatauv(L, sizeof *s, 1);
    s->col = (int)col;
    luaL_setmetatable(L, L_SCALARS);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

/* upvalues: 1 the Result metatable, 2 the methods (looked up first) */
static int result_index(lua_State *L)
{
    l_result *res = check_result(L, 1);
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "rowcount") == 0) {
        lua_pushinteger(L, (lua_Integer)rt_result_rowcount(res->r));
    } else if (strcmp(k, "returns_rows") == 0) {
        lua_pushboolean(L, rt_result_returns_rows(res->r) && !res->hide_rows);
    } else if (strcmp(k, "closed") == 0) {
        lua_pushboolean(L, res->hard_closed || rt_result_closed(res->r));
    } else if (strcmp(k, "lastrowid") == 0) {
        int64_t id = rt_result_lastrowid(res->r);
        if (id < 0)
            lua_pushnil(L);
        else
            lua_pushinteger(L, (lua_Integer)id);
    } else if (strcmp(k, "inserted_primary_key") == 0) {
        int t = lua_getiuservalue(L, 1, 4);
        if (t == LUA_TTABLE)
            return 1;
        if (t == LUA_TSTRING)
            return l_raisef(L, RT_ERR_INVALID_REQUEST, "%s", lua_tostring(L, -1));
        return l_raisef(L, RT_ERR_INVALID_REQUEST,
                        "inserted_primary_key is available only for insert() constructs, "
                        "not for text(); use lastrowid or RETURNING");
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int result_tostring(lua_State *L)
{
    l_result *res = check_result(L, 1);
    lua_pushfstring(L, "<Result %d columns%s>", res->ncols,
                    rt_result_closed(res->r) ? ", closed" : "");
    return 1;
}

/* === ScalarResult: the values of one column === */

static int scalars_call(lua_State *L)
{
    l_scalars *s = luaL_checkudata(L, 1, L_SCALARS);
    lua_settop(L, 1);
    lua_getiuservalue(L, 1, 1);                       /* 2: the Result */
    if (!l_result_fetch_row(L, 2))
        return lua_pushnil(L), 1;
    push_row_column(L, 2, 3, s->col);
    return 1;
}

static int scalars_collect(lua_State *L, lua_Integer limit)
{
    lua_settop(L, 1);
    lua_newtable(L);
    l_scalars *s = luaL_checkudata(L, 1, L_SCALARS);
    lua_getiuservalue(L, 1, 1);                       /* 3: the Result */
    for (lua_Integer i = 1; (limit < 0 || i <= limit) && l_result_fetch_row(L, 3); i++) {
        push_row_column(L, 3, -1, s->col);
        lua_rawseti(L, 2, i);
        lua_pop(L, 1);
    }
    lua_settop(L, 2);
    return 1;
}

static int scalars_all(lua_State *L) { return scalars_collect(L, -1); }

static int scalars_fetchmany(lua_State *L)
{
    return scalars_collect(L, luaL_optinteger(L, 2, 1));
}

static int scalars_first(lua_State *L)
{
    scalars_collect(L, 1);
    lua_rawgeti(L, 2, 1);
    lua_getiuservalue(L, 1, 1);
    finish(L, lua_gettop(L));
    lua_pop(L, 1);
    return 1;
}

static int scalars_one_impl(lua_State *L, int allow_none)
{
    scalars_collect(L, 2);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
    lua_getiuservalue(L, 1, 1);
    finish(L, lua_gettop(L));
    lua_pop(L, 1);
    if (n == 0 && !allow_none)
        return l_raisef(L, RT_ERR_NO_RESULT, "No row was found when one was required");
    if (n > 1)
        return l_raisef(L, RT_ERR_MULTIPLE_RESULTS,
                        "Multiple rows were found when exactly one was required");
    lua_rawgeti(L, 2, 1);
    return 1;
}

static int scalars_one(lua_State *L) { return scalars_one_impl(L, 0); }
static int scalars_one_or_none(lua_State *L) { return scalars_one_impl(L, 1); }

void l_open_result(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {{"__gc", result_gc},         {"__close", result_gc},
                                    {"__call", result_call},
                                    {"__tostring", result_tostring}, {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"fetchone", result_call},     {"fetchmany", result_fetchmany},
        {"fetchall", result_fetchall}, {"all", result_fetchall},
        {"first", result_first},       {"one", result_one},
        {"one_or_none", result_one_or_none}, {"scalar", result_scalar},
        {"scalars", result_scalars},   {"keys", result_keys},
        {"close", result_close},       {NULL, NULL}};
    static const luaL_Reg smeta[] = {{"__call", scalars_call}, {NULL, NULL}};
    static const luaL_Reg smethods[] = {
        {"all", scalars_all},     {"fetchall", scalars_all},
        {"fetchmany", scalars_fetchmany}, {"fetchone", scalars_call},
        {"first", scalars_first}, {"one", scalars_one},
        {"one_or_none", scalars_one_or_none}, {NULL, NULL}};
    (void)module;
    l_new_class_upvalue(L, L_RESULT, meta, methods, result_index);
    int mt = lua_gettop(L);
    lua_pushvalue(L, mt);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &result_mt_key);
    luaL_newmetatable(L, L_SCALARS);
    lua_pushvalue(L, mt);
    luaL_setfuncs(L, smeta, 1);
    lua_newtable(L);
    lua_pushvalue(L, mt);
    luaL_setfuncs(L, smethods, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 2);
}
