/* l_orm_query.c: running ORM queries: a statement (built by orm.lua's Query,
 * or a text()) is executed on the session's connection after an autoflush,
 * and each row becomes instances (through the session's identity map) and
 * column values.  A query of one entity gives instances; any other gives
 * rows: Lua arrays named by the entities (row.User, row.name) that print as
 * tuples.  Also session:execute() of a Core statement, on the session's
 * connection and transaction. */
#include <string.h>

#include "l_orm.h"

#define L_HOLDER "retort.orm.Holder"
#define REG_LOADS "retort.orm.loads"     /* the last load tag given */
#define SMALL_N 16                       /* o_load's scratch on the C stack */

/* A userdata owning a compiled statement and a result until it is collected
 * (an error in the middle of loading frees them). */
typedef struct holder {
    rt_compiled *cp;
    rt_result *res;
} holder;

static int holder_gc(lua_State *L)
{
    holder *h = luaL_checkudata(L, 1, L_HOLDER);
    rt_result_free(h->res);
    rt_compiled_release(h->cp);
    h->res = NULL;
    h->cp = NULL;
    return 0;
}

static holder *new_holder(lua_State *L)
{
    holder *h = lua_newuserdatauv(L, sizeof *h, 0);
    h->cp = NULL;
    h->res = NULL;
    luaL_setmetatable(L, L_HOLDER);
    return h;
}

static int raise(lua_State *L, rt_error *err, int params_idx)
{
    return l_raise(L, err, params_idx);
}

#define OWN_MAX 8      /* slots filled without l_bind_params */
#define VALUES_MAX 16  /* a template statement's values (o_binds_only) */

/* The values of cp's slots when they are all the statement's own values
 * (vals, as rt_node_bind_values lists them), none processed by its type,
 * and no parameters were given: what l_bind_params would make, without its
 * scratch objects.  Returns out, or NULL when it does not apply. */
static rt_value *own_values(lua_State *L, int params_idx, const rt_compiled *cp,
                            const rt_value *const *vals, size_t nvals, const rt_dialect *d,
                            rt_value *out)
{
    if (!lua_isnoneornil(L, params_idx) || cp->nslots == 0 || cp->nslots > OWN_MAX ||
        !cp->slot_binds || !vals)
        return NULL;
    for (size_t i = 0; i < cp->nslots; i++) {
        long b = cp->slot_binds[i];
        const rt_sqltype *t = cp->slot_types ? cp->slot_types[i] : NULL;
        if (b < 0 || (size_t)b >= nvals || l_type_needs_processing(t, L_TYPE_BIND, d))
            return NULL;
        out[i] = *vals[b];
    }
    return out;
}

/* The values the template statement n (compiled as cp) takes with the
 * comparison src in place of its own: n's values, src's first (they are
 * the first of n's: o_binds_only).  Returns how many, or 0 when they do not
 * fit in max. */
static size_t template_values(const rt_node *n, const rt_compiled *cp, const rt_node *src,
                              const rt_value **out, size_t max)
{
    size_t nn;
    if (cp->stmt_values) {
        nn = cp->nstmt_values;
        if (nn > max)
            return 0;
        memcpy(out, cp->stmt_values, nn * sizeof *out);
    } else if ((nn = rt_node_bind_values(n, out, max)) > max) {
        return 0;
    }
    const rt_value *own[VALUES_MAX];
    size_t ns = rt_node_bind_values(src, own, VALUES_MAX);
    if (ns > VALUES_MAX || ns < RT_BIND_NCONSTANTS || ns > nn)
        return 0;
    memcpy(out, own, (ns - RT_BIND_NCONSTANTS) * sizeof *out);
    return nn;
}

/* Compiles and executes the statement at stmt_idx with the params at
 * params_idx on the session at 1; pushes a holder.  The statement's own
 * values are read from the node at src_idx when it is not 0 (a comparison
 * that differs from the statement's one only in its value: see
 * o_binds_only). */
static holder *run(lua_State *L, l_session *u, int stmt_idx, int params_idx, int flush,
                   int src_idx, const rt_dialect **dialect)
{
    rt_error err;
    rt_conn *c;
    rt_error_init(&err);
    rt_node *n = l_to_node(L, stmt_idx);
    if ((flush && rt_session_has_changes(u->s) && rt_session_autoflush(u->s, &err) < 0) ||
        rt_session_connection(u->s, &c, &err) < 0)
        raise(L, &err, 0);
    holder *h = new_holder(L);
    int hidx = lua_gettop(L);
    const rt_dialect *d = rt_engine_dialect(rt_conn_engine(c));
    if (rt_conn_compile(c, n, &h->cp, &err) < 0)
        raise(L, &err, 0);
    /* the statement's own values: listed by its compiled copy, or, from a
     * template, merged with the comparison's */
    rt_compiled with_values = *h->cp;
    const rt_value *merged[VALUES_MAX];
    if (src_idx) {
        size_t nm = template_values(n, h->cp, l_to_node(L, src_idx), merged, VALUES_MAX);
        if (!nm)
            luaL_error(L, "internal error: a reused statement's values do not fit");
        with_values.stmt_values = merged;
        with_values.nstmt_values = nm;
    }
    size_t nsets = 1;
    rt_value own[OWN_MAX];
    rt_value *vals = own_values(L, params_idx, h->cp, with_values.stmt_values,
                                with_values.nstmt_values, d, own);
    if (!vals)
        vals = l_bind_params(L, params_idx, &with_values, n, d, &nsets);
    if (rt_conn_execute(c, h->cp, vals, nsets, &h->res, &err) < 0)
        raise(L, &err, params_idx);
    lua_settop(L, hidx);
    *dialect = d;
    return h;
}

/* A new number for a query result (per Lua state, never 0). */
static unsigned next_load_tag(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, REG_LOADS);
    unsigned tag = (unsigned)lua_tointeger(L, -1) + 1;
    if (tag == 0)
        tag = 1;
    lua_pop(L, 1);
    lua_pushinteger(L, tag);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_LOADS);
    return tag;
}

/* _orm.load(session, stmt, params, entities, names, single [, limit
 * [, byname [, positions [, exact [, values_from]]]]]): entities[i] is a mapped class or
 * false (a column); names[i] the row key of each; single: return
 * instances/values, not rows.  Columns are found by position (positions[i],
 * 0-based, the query's own statement) or, with byname (a textual
 * statement), by their names; an entity's attributes by their labels from
 * its position, or, where exact[i] is true (an alias: addresses_1_id), as
 * the consecutive columns there.  values_from: a comparison whose value the
 * statement takes instead of its own (see o_binds_only).  Returns an array.  The instances are
 * tagged with the number of this load (the N+1 guard counts lazy loads per
 * tag). */
static int o_load(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    luaL_checktype(L, 4, LUA_TTABLE);
    luaL_checktype(L, 5, LUA_TTABLE);
    int single = lua_toboolean(L, 6);
    lua_Integer limit = luaL_optinteger(L, 7, -1);
    int byname = lua_toboolean(L, 8);
    int nent = (int)luaL_len(L, 4);
    const rt_dialect *d;
    holder *h = run(L, u, 2, 3, 1, lua_isnoneornil(L, 11) ? 0 : 11, &d);
    int hidx = lua_gettop(L);
    /* scratch arrays: on the C stack for the usual few entities and
     * attributes, else userdata (freed by the collector, errors or not) */
    rt_mapper *ms_buf[SMALL_N];
    long *maps_buf[SMALL_N], map_buf[4 * SMALL_N];
    int pos_buf[SMALL_N];
    l_loader loader_buf[SMALL_N];
    rt_value vals_buf[SMALL_N];
    size_t map_used = 0;
    int small = nent < SMALL_N;
    rt_mapper **ms = small ? ms_buf : lua_newuserdatauv(L, (size_t)(nent + 1) * sizeof *ms, 0);
    long **maps = small ? maps_buf : lua_newuserdatauv(L, (size_t)(nent + 1) * sizeof *maps, 0);
    int *pos = small ? pos_buf : lua_newuserdatauv(L, (size_t)(nent + 1) * sizeof *pos, 0);
    int offset = 0, ncols = rt_result_ncols(h->res);
    size_t maxattrs = 1;
    for (int e = 0; e < nent; e++) {
        lua_rawgeti(L, 4, e + 1);
        ms[e] = lua_toboolean(L, -1) ? l_orm_check_class(L, -1) : NULL;
        lua_pop(L, 1);
        pos[e] = offset;
        if (!byname && lua_istable(L, 9)) {
            if (lua_rawgeti(L, 9, e + 1) == LUA_TNUMBER)
                pos[e] = offset = (int)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        if (ms[e]) {
            size_t na = rt_mapper_nattrs(ms[e]);
            if (map_used + na <= sizeof map_buf / sizeof map_buf[0]) {
                maps[e] = map_buf + map_used;
                map_used += na;
            } else {
                maps[e] = lua_newuserdatauv(L, (na + 1) * sizeof(long), 0);
            }
            int exact = 0;
            if (!byname && lua_istable(L, 10)) {
                exact = lua_rawgeti(L, 10, e + 1) == LUA_TBOOLEAN && lua_toboolean(L, -1);
                lua_pop(L, 1);
            }
            if (exact)
                for (size_t i = 0; i < na; i++)
                    maps[e][i] = offset + (int)i < ncols ? offset + (long)i : -1;
            else
                rt_mapper_match_columns(ms[e], h->res, offset < ncols ? offset : 0, maps[e]);
            offset += (int)na;
            if (na > maxattrs)
                maxattrs = na;
        } else {
            maps[e] = NULL;
            offset++;
            if (byname && lua_rawgeti(L, 5, e + 1) == LUA_TSTRING) {
                for (int j = 0; j < ncols; j++) {
                    const char *cn = rt_result_colname(h->res, j);
                    if (cn && strcmp(cn, lua_tostring(L, -1)) == 0) {
                        pos[e] = j;
                        break;
                    }
                }
            }
            if (byname)
                lua_pop(L, 1);
        }
    }
    rt_value *vals = maxattrs <= SMALL_N ? vals_buf
                                         : lua_newuserdatauv(L, maxattrs * sizeof *vals, 0);
    l_loader *loader = small ? loader_buf
                             : lua_newuserdatauv(L, (size_t)(nent + 1) * sizeof *loader, 0);
    for (int e = 0; e < nent; e++)
        if (ms[e])
            l_orm_push_loader(L, ms[e], &loader[e]);
    if (!single) {               /* rows (lua/l_row.c) named by names */
        l_row_meta_push(L, 5, nent, 0, L_ROW_LAST_NAME_WINS);
        l_row_push_store(L, lua_gettop(L));
    } else {
        lua_pushnil(L);
        lua_pushnil(L);
    }
    int mt = lua_gettop(L) - 1, store = mt + 1;
    lua_createtable(L, 1, 0);    /* a lookup's one row without a resize */
    int out = lua_gettop(L);
    lua_Integer count = 0;
    rt_error err;
    rt_error_init(&err);
    unsigned tag = next_load_tag(L);
    /* one entity whose attributes are the columns in order: a row's values
     * are read in one call */
    int whole = nent == 1 && ms[0] && rt_mapper_nattrs(ms[0]) == (size_t)ncols;
    for (int i = 0; whole && i < ncols; i++)
        whole = maps[0][i] == i;
    while (limit < 0 || count < limit) {
        int rc = rt_result_next(h->res, &err);
        if (rc < 0)
            return raise(L, &err, 0);
        if (rc == 0)
            break;
        if (!single)
            lua_createtable(L, 0, nent);
        for (int e = 0; e < nent; e++) {
            if (!single)
                lua_rawgeti(L, store, e + 1);   /* the key the value is held under */
            if (ms[e]) {
                size_t na = rt_mapper_nattrs(ms[e]);
                if (whole)
                    rt_result_values(h->res, vals);
                for (size_t i = 0; i < na && !whole; i++) {
                    if (maps[e][i] >= 0)
                        rt_result_value(h->res, (int)maps[e][i], &vals[i]);
                    else
                        vals[i] = rt_value_null();
                }
                rt_state *st = NULL;
                if (rt_session_load_row(u->s, ms[e], vals, &st, &err) < 0)
                    return raise(L, &err, 0);
                if (st) {
                    l_orm_push_instance_fast(L, st, &loader[e])->load_tag = tag;
                    rt_state_release(st);
                } else {
                    lua_pushnil(L);
                }
            } else {
                rt_value v;
                int p = pos[e] < ncols ? pos[e] : ncols - 1;
                rt_result_value(h->res, p, &v);
                l_push_value(L, &v);
                const rt_compiled *cp = h->cp;
                if (v.type != RT_NULL && cp->column_types && (size_t)p < cp->ncolumns &&
                    cp->column_types[p] &&
                    l_type_needs_processing(cp->column_types[p], L_TYPE_RESULT, d))
                    l_type_process(L, cp->column_types[p], L_TYPE_RESULT, d);
            }
            if (!single)
                lua_rawset(L, -3);
        }
        if (!single) {
            lua_pushvalue(L, mt);
            lua_setmetatable(L, -2);
        }
        lua_rawseti(L, out, ++count);
    }
    rt_result_close(h->res);
    lua_pushvalue(L, out);
    (void)hidx;
    return 1;
}

/* _orm.rows(arrays, names): the arrays made rows named by names (as load
 * makes them: each value moved to the key lua/l_row.c holds it under);
 * returns arrays. */
static int o_rows(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer ncols = luaL_len(L, 2);
    l_row_meta_push(L, 2, (int)ncols, 0, L_ROW_LAST_NAME_WINS);
    int store = l_row_push_store(L, 3);
    lua_Integer n = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        int row = lua_gettop(L);
        luaL_checktype(L, row, LUA_TTABLE);
        for (lua_Integer c = 1; c <= ncols; c++) {
            if (lua_rawgeti(L, store, c) == LUA_TSTRING) {
                lua_rawgeti(L, row, c);
                lua_rawset(L, row);
                lua_pushnil(L);
                lua_rawseti(L, row, c);
            } else {
                lua_pop(L, 1);
            }
        }
        lua_pushvalue(L, 3);
        lua_setmetatable(L, row);
        lua_pop(L, 1);
    }
    lua_settop(L, 1);
    return 1;
}

/* _orm.execute(session, stmt, params): a Core statement on the session's
 * connection; returns a Result. */
static int o_execute(lua_State *L)
{
    l_session *u = l_orm_check_session(L, 1);
    const rt_dialect *d;
    lua_settop(L, 3);
    holder *h = run(L, u, 2, 3, 1, 0, &d);
    int hidx = lua_gettop(L);
    l_result *res = l_new_result(L);
    int ridx = lua_gettop(L);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, ridx, 1);
    lua_pushvalue(L, hidx);
    lua_setiuservalue(L, ridx, 3);
    res->r = h->res;
    h->res = NULL;                /* the Result owns it now */
    res->ncols = rt_result_ncols(res->r);
    res->cp = h->cp;
    res->dialect = d;
    for (size_t i = 0; h->cp->column_types && i < h->cp->ncolumns; i++)
        if (l_type_needs_processing(h->cp->column_types[i], L_TYPE_RESULT, d))
            res->process = 1;
    if (h->cp->returning_added) {
        res->hide_rows = 1;
        rt_result_close(res->r);
    }
    lua_pushliteral(L, "inserted_primary_key is not available from session:execute()");
    lua_setiuservalue(L, ridx, 4);
    return 1;
}

/* The node object at idx: an expression's found by its metatable (upvalue 1
 * of the functions below; one comparison instead of l_test_node's lookup by
 * name), others through l_test_node. */
static l_node *test_expr(lua_State *L, int idx)
{
    if (lua_getmetatable(L, idx)) {
        int expr = lua_rawequal(L, -1, lua_upvalueindex(1));
        lua_pop(L, 1);
        if (expr)
            return lua_touserdata(L, idx);
    }
    return l_test_node(L, idx);
}

/* _orm.same_comparison(a, b): whether a and b are comparisons of one
 * column with a value that differ at most in the value (rt_same_comparison). */
static int o_same_comparison(lua_State *L)
{
    l_node *a = test_expr(L, 1), *b = test_expr(L, 2);
    lua_pushboolean(L, a && b && a->n && b->n && rt_same_comparison(a->n, b->n));
    return 1;
}

/* _orm.binds_only(stmt, cmp): whether the values stmt carries begin with
 * those of its comparison cmp (what follows, a LIMIT, is the same for every
 * query the caller runs stmt for): then stmt can run with the values of a
 * comparison of the same shape in place of cmp's (load's values_from,
 * template_values). */
static int o_binds_only(lua_State *L)
{
    l_node *s = test_expr(L, 1), *c = test_expr(L, 2);
    const rt_value *sv[VALUES_MAX], *cv[VALUES_MAX];
    size_t ns = s && s->n ? rt_node_bind_values(s->n, sv, VALUES_MAX) : 0;
    size_t nc = c && c->n ? rt_node_bind_values(c->n, cv, VALUES_MAX) : 0;
    int ok = nc > RT_BIND_NCONSTANTS && nc <= ns && ns <= VALUES_MAX;
    for (size_t i = 0; ok && i < nc - RT_BIND_NCONSTANTS; i++)
        ok = sv[i] == cv[i];
    lua_pushboolean(L, ok);
    return 1;
}

void l_open_orm_query(lua_State *L, int orm)
{
    static const luaL_Reg holder_meta[] = {{"__gc", holder_gc}, {NULL, NULL}};
    l_new_class(L, L_HOLDER, holder_meta, NULL);
    lua_pop(L, 1);
    lua_pushcfunction(L, o_load);
    lua_setfield(L, orm, "load");
    lua_pushcfunction(L, o_execute);
    lua_setfield(L, orm, "execute");
    lua_pushcfunction(L, o_rows);
    lua_setfield(L, orm, "rows");
    luaL_getmetatable(L, L_EXPR);
    lua_pushcclosure(L, o_same_comparison, 1);
    lua_setfield(L, orm, "same_comparison");
    luaL_getmetatable(L, L_EXPR);
    lua_pushcclosure(L, o_binds_only, 1);
    lua_setfield(L, orm, "binds_only");
}
