/* l_execute.c: the one path by which every statement reaches the database
 * from Lua: node, compile (INSERT and UPDATE take their columns from the keys
 * of the first parameter set), parameter values (l_params.c), execute, and a
 * Result that knows the compiled statement (rows keyed by column objects,
 * result types, inserted_primary_key). */
#include <string.h>

#include "l_common.h"

#define L_COMPILED "retort.Compiled"

static int compiled_gc(lua_State *L)
{
    rt_compiled **p = luaL_checkudata(L, 1, L_COMPILED);
    rt_compiled_release(*p);
    *p = NULL;
    return 0;
}

/* The string keys of the table at idx, in a scratch array pushed on the stack
 * (the table keeps the strings alive). */
static const char **param_keys(lua_State *L, int idx, size_t *n)
{
    size_t count = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1))
        count++;
    const char **keys = lua_newuserdatauv(L, (count + 1) * sizeof *keys, 0);
    *n = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1))
        if (lua_type(L, -2) == LUA_TSTRING)
            keys[(*n)++] = lua_tostring(L, -2);
    return keys;
}

/* Compiles the statement n for this execution into *out (a new reference,
 * which the Result owns).  INSERT and UPDATE take their columns from the
 * keys of the parameters at params_idx (a scratch array may be left on the
 * stack). */
static rt_compiled *compile_for(lua_State *L, const rt_dialect *d, rt_node *n, int params_idx,
                                rt_compiled **out, rt_error *err)
{
    rt_node_kind k = rt_node_kind_of(n);
    int rc;
    if (k != RT_NODE_INSERT && k != RT_NODE_UPDATE) {
        rc = rt_compile(n, d, out, err);
    } else {
        int set = 0, many = 0;
        size_t nkeys = 0;
        const char **keys = NULL;
        if (lua_istable(L, params_idx)) {
            set = params_idx;
            if (lua_rawlen(L, params_idx) > 0 && lua_rawgeti(L, params_idx, 1) == LUA_TTABLE &&
                !l_is_null(L, -1)) {
                set = lua_gettop(L);
                many = 1;
            }
        }
        if (set)
            keys = param_keys(L, set, &nkeys);
        else
            keys = lua_newuserdatauv(L, sizeof *keys, 0);   /* no parameters at all */
        rc = many ? rt_compile_keys_many(n, d, keys, nkeys, out, err)
                  : rt_compile_keys(n, d, keys, nkeys, out, err);
    }
    return rc < 0 ? NULL : *out;
}

/* The inserted primary key of a single-row INSERT, from RETURNING, the values
 * bound, or SQLite's lastrowid.  Pushes a Lua array. */
static void push_inserted_pk(lua_State *L, l_result *res, const rt_value *vals, int row_idx)
{
    const rt_compiled *cp = res->cp;
    rt_constraint *pk = rt_table_primary_key(cp->table);
    lua_createtable(L, (int)pk->ncols, 0);
    for (size_t k = 0; k < pk->ncols; k++) {
        rt_column *c = pk->columns[k];
        long slot = -1;
        if (cp->pk_returning && cp->pk_returning[k] >= 0 && row_idx) {
            lua_geti(L, row_idx, cp->pk_returning[k] + 1);
        } else if (vals && (slot = rt_compiled_slot(cp, c->key)) >= 0 &&
                   (vals[slot].type != RT_NULL || res->dialect != rt_dialect_sqlite())) {
            l_push_value(L, &vals[slot]);     /* (SQLite numbers an explicit NULL) */
        } else if (pk->ncols == 1 && rt_result_lastrowid(res->r) > 0 &&
                   res->dialect == rt_dialect_sqlite()) {
            lua_pushinteger(L, (lua_Integer)rt_result_lastrowid(res->r));
        } else {
            lua_pushnil(L);
        }
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
}

/* After an INSERT: works out inserted_primary_key (uservalue 4). */
static void note_insert(lua_State *L, int res_idx, l_result *res, const rt_value *vals,
                        size_t nsets)
{
    const rt_compiled *cp = res->cp;
    if (cp->kind != RT_NODE_INSERT || !cp->table)
        return;
    if (nsets > 1) {
        lua_pushliteral(L, "inserted_primary_key is not available after executemany");
        lua_setiuservalue(L, res_idx, 4);
        return;
    }
    int row_idx = 0;
    if (cp->returning_added) {              /* the row RETURNING gave */
        if (!l_result_fetch_row(L, res_idx))
            lua_pushnil(L);
        row_idx = lua_istable(L, -1) ? lua_gettop(L) : 0;
        res->hide_rows = 1;
    }
    push_inserted_pk(L, res, vals, row_idx);
    lua_setiuservalue(L, res_idx, 4);
    if (cp->returning_added) {
        rt_result_close(res->r);
        l_result_after_step(L, res_idx);
    }
}

/* Sets res->coltypes, the type of each result column: the compiled
 * statement's, by position; for text(), matched by name (columns()). */
static void result_types(lua_State *L, int res_idx, l_result *res)
{
    const rt_compiled *cp = res->cp;
    res->coltypes = NULL;
    res->process = 0;
    if (!cp->column_types || !res->ncols)
        return;
    if (cp->kind != RT_NODE_TEXT) {
        if (cp->ncolumns >= (size_t)res->ncols)
            res->coltypes = cp->column_types;
    } else {
        const rt_sqltype **types = lua_newuserdatauv(L, (size_t)res->ncols * sizeof *types, 0);
        lua_setiuservalue(L, res_idx, 5);
        for (int i = 0; i < res->ncols; i++) {
            types[i] = NULL;
            for (size_t k = 0; k < cp->ncolumns; k++)
                if (strcmp(cp->column_keys[k], rt_result_colname(res->r, i)) == 0)
                    types[i] = cp->column_types[k];
        }
        res->coltypes = types;
    }
    for (int i = 0; res->coltypes && i < res->ncols; i++)
        if (l_type_needs_processing(res->coltypes[i], L_TYPE_RESULT, res->dialect))
            res->process = 1;
}

/* The Result is made first: it owns the compiled statement (released by its
 * __gc, also when an error is raised on the way) and keeps the statement
 * object alive (uservalue 3), whose expressions the compiled result columns
 * point at (rows keyed by column objects are built at the first fetch, maybe
 * after the statement is gone from Lua). */
int l_execute(lua_State *L, int conn_idx, int stmt_idx, int params_idx, int close_conn)
{
    rt_error err;
    size_t nsets;
    conn_idx = lua_absindex(L, conn_idx);
    params_idx = lua_absindex(L, params_idx);
    rt_conn *c = l_check_conn(L, conn_idx);
    stmt_idx = lua_absindex(L, stmt_idx);
    rt_node *n = l_to_node(L, stmt_idx);
    const rt_dialect *d = rt_engine_dialect(rt_conn_engine(c));
    rt_error_init(&err);
    l_result *res = l_new_result(L);
    int res_idx = lua_gettop(L);
    lua_pushvalue(L, stmt_idx);
    lua_setiuservalue(L, res_idx, 3);
    rt_compiled *cp = compile_for(L, d, n, params_idx, &res->own_cp, &err);
    if (!cp) {
        if (close_conn)
            rt_conn_close(c);
        return l_raise(L, &err, 0);
    }
    lua_settop(L, res_idx);
    res->cp = cp;
    rt_value small[16];   /* the values of a usual execution */
    rt_value *vals = l_bind_params_in(L, params_idx, cp, n, d, &nsets, small,
                                      sizeof small / sizeof *small);
    lua_pushvalue(L, conn_idx);
    lua_setiuservalue(L, res_idx, 1);
    if (rt_conn_execute(c, cp, vals, nsets, &res->r, &err) < 0) {
        if (close_conn)
            rt_conn_close(c);
        return l_raise(L, &err, params_idx);
    }
    res->ncols = rt_result_ncols(res->r);
    res->close_conn = close_conn;
    res->dialect = d;
    result_types(L, res_idx, res);
    note_insert(L, res_idx, res, vals, nsets);
    l_result_after_step(L, res_idx);
    lua_settop(L, res_idx);
    return 1;
}

static rt_compiled *check_compiled(lua_State *L)
{
    rt_compiled **p = luaL_checkudata(L, 1, L_COMPILED);
    if (!*p)
        luaL_error(L, "attempt to use a released compiled statement");
    return *p;
}

static int compiled_tostring(lua_State *L)
{
    lua_pushstring(L, check_compiled(L)->sql);
    return 1;
}

static int compiled_index(lua_State *L)
{
    rt_compiled *cp = check_compiled(L);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "sql") == 0 || strcmp(k, "string") == 0) {
        lua_pushstring(L, cp->sql);
    } else if (strcmp(k, "params") == 0) {
        lua_createtable(L, (int)cp->nslots, 0);
        for (size_t i = 0; i < cp->nslots; i++) {
            lua_pushstring(L, cp->slot_names[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else {
        return 0;
    }
    return 1;
}

void l_open_execute(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", compiled_gc}, {"__tostring", compiled_tostring},
                                    {"__index", compiled_index}, {NULL, NULL}};
    l_new_class(L, L_COMPILED, meta, NULL);
    lua_pop(L, 1);
}
