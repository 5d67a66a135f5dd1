/* l_params.c: the values of an execution, slot by slot.
 *
 * A compiled statement has one slot per placeholder.  Each slot takes, in
 * this order: the execution parameter of its name; the value the statement
 * carries in its own bind node (slot_binds); for INSERT and UPDATE, the
 * column's default or onupdate (a constant, or a Lua function called once per
 * row).  Each value, the statement's own included, is then processed by the
 * slot's type (JSON, Enum, dates, LargeBinary, TypeDecorator hooks).
 * Otherwise the execution fails with "A value is required for bind
 * parameter".  Values are gathered into a scratch userdata so that an error
 * frees them; strings made along the way are anchored in a table (made at
 * the first).  All of these stay on the Lua stack until the execution is
 * over.  The statement's own values come with the compiled statement when
 * the structural cache made it (found with the cache key): no walk of the
 * tree per execution. */
#include "l_common.h"

typedef struct bind_ctx {
    const rt_compiled *cp;
    const rt_dialect *dialect;
    const rt_value **stmt_vals;   /* the statement's own values */
    size_t nstmt;
    int anchor;                   /* stack index of a table keeping strings alive */
    int nanchored;
    int names;                    /* stack index of the first slot name (pushed once) */
    int calls_lua;                /* some slot's type or default runs Lua code */
} bind_ctx;

/* The column whose default fills slot name of an INSERT/UPDATE, or NULL. */
static const rt_default *slot_default(const bind_ctx *b, const char *name)
{
    const rt_compiled *cp = b->cp;
    if (!cp->table || (cp->kind != RT_NODE_INSERT && cp->kind != RT_NODE_UPDATE))
        return NULL;
    rt_column *c = rt_table_column(cp->table, name);
    if (!c)
        return NULL;
    const rt_default *d = cp->kind == RT_NODE_INSERT ? &c->default_ : &c->onupdate;
    return d->kind == RT_DEFAULT_SCALAR || d->kind == RT_DEFAULT_CALLABLE ? d : NULL;
}

/* Processes the value on top of the stack by the slot's type, converts it
 * into *out and anchors it. */
static void take_top(lua_State *L, bind_ctx *b, size_t i, rt_value *out)
{
    const rt_sqltype *t = b->cp->slot_types ? b->cp->slot_types[i] : NULL;
    int blob = 0;
    if (t && l_type_needs_processing(t, L_TYPE_BIND, b->dialect))
        blob = l_type_process(L, t, L_TYPE_BIND, b->dialect) == L_BIND_BLOB;
    if (l_to_value(L, -1, out) < 0)
        luaL_error(L, "cannot bind a %s as the value of parameter '%s'", luaL_typename(L, -1),
                   b->cp->slot_names[i]);
    if (blob && out->type == RT_TEXT)
        out->type = RT_BLOB;
    if (!b->nanchored) {                 /* the anchor is made when first needed */
        lua_newtable(L);
        lua_replace(L, b->anchor);
    }
    lua_rawseti(L, b->anchor, ++b->nanchored);
}

/* Takes the value on top of the stack, read from a parameter set.  The set
 * keeps it alive unless Lua code runs before the execution is over (a type
 * or a default of another slot might change the set): then it is anchored
 * as a made value is. */
static void take_param(lua_State *L, bind_ctx *b, size_t i, rt_value *out)
{
    if (b->calls_lua) {
        take_top(L, b, i, out);
        return;
    }
    if (l_to_value(L, -1, out) < 0)
        luaL_error(L, "cannot bind a %s as the value of parameter '%s'", luaL_typename(L, -1),
                   b->cp->slot_names[i]);
    lua_pop(L, 1);
}

/* Whether binding cp may call Lua: a slot's type processes values, or a
 * slot's column has a callable default. */
static int binding_calls_lua(const bind_ctx *b)
{
    for (size_t i = 0; i < b->cp->nslots; i++) {
        const rt_sqltype *t = b->cp->slot_types ? b->cp->slot_types[i] : NULL;
        if (t && l_type_needs_processing(t, L_TYPE_BIND, b->dialect))
            return 1;
        const rt_default *d = slot_default(b, b->cp->slot_names[i]);
        if (d && d->kind == RT_DEFAULT_CALLABLE)
            return 1;
    }
    return 0;
}

static void fill_slot(lua_State *L, bind_ctx *b, int set_idx, size_t i, rt_value *out,
                      size_t group)
{
    const char *name = b->cp->slot_names[i];
    if (set_idx) {
        lua_pushvalue(L, b->names + (int)i);
        if (lua_rawget(L, set_idx) != LUA_TNIL) {
            take_param(L, b, i, out);
            return;
        }
        lua_pop(L, 1);
    }
    long bi = b->cp->slot_binds ? b->cp->slot_binds[i] : -1;
    if (bi >= 0 && (size_t)bi < b->nstmt) {
        const rt_sqltype *t = b->cp->slot_types ? b->cp->slot_types[i] : NULL;
        if (t && l_type_needs_processing(t, L_TYPE_BIND, b->dialect)) {
            l_push_value(L, b->stmt_vals[bi]);   /* processed like a parameter */
            take_top(L, b, i, out);
        } else {
            *out = *b->stmt_vals[bi];
        }
        return;
    }
    const rt_default *d = slot_default(b, name);
    if (d && l_default_value(L, d, set_idx, name)) {
        take_top(L, b, i, out);
        return;
    }
    if (group)
        l_raisef(L, RT_ERR_INVALID_REQUEST,
                 "A value is required for bind parameter '%s', in parameter group %zu", name,
                 group);
    l_raisef(L, RT_ERR_INVALID_REQUEST, "A value is required for bind parameter '%s'", name);
}

rt_value *l_bind_params(lua_State *L, int idx, const rt_compiled *cp, const rt_node *stmt,
                        const rt_dialect *d, size_t *nsets)
{
    return l_bind_params_in(L, idx, cp, stmt, d, nsets, NULL, 0);
}

rt_value *l_bind_params_in(lua_State *L, int idx, const rt_compiled *cp, const rt_node *stmt,
                           const rt_dialect *d, size_t *nsets, rt_value *buf, size_t nbuf)
{
    bind_ctx b = {cp, d, NULL, 0, 0, 0, 0, 0};
    const rt_value *guess[24];   /* the statement's own values, when they fit */
    idx = lua_absindex(L, idx);
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        luaL_error(L, "parameters must be a table of names, or an array of such tables, "
                      "not %s", luaL_typename(L, idx));
    size_t n = lua_istable(L, idx) ? (size_t)lua_rawlen(L, idx) : 0;
    int many = n > 0 && lua_rawgeti(L, idx, 1) == LUA_TTABLE && !l_is_null(L, -1);
    if (n > 0)
        lua_pop(L, 1);
    *nsets = many ? n : 1;
    if (!many && cp->nslots == 0) {
        *nsets = lua_istable(L, idx) ? 1 : 0;
        lua_pushnil(L);   /* keep the stack shape: one value pushed */
        return NULL;
    }
    lua_pushnil(L);              /* becomes the anchor for made strings, if any */
    b.anchor = lua_gettop(L);
    /* the statement's own values, when a slot takes one: known with the
     * compiled statement when it came through the structural cache;
     * otherwise one walk of the tree when they fit the first guess (a slot
     * each, and the constants) */
    int takes_own = 0;
    for (size_t i = 0; stmt && cp->slot_binds && i < cp->nslots && !takes_own; i++)
        takes_own = cp->slot_binds[i] >= 0;
    if (takes_own && cp->stmt_values) {
        b.stmt_vals = (const rt_value **)cp->stmt_values;
        b.nstmt = cp->nstmt_values;
    } else if (takes_own) {
        size_t cap = sizeof guess / sizeof *guess;
        b.stmt_vals = guess;
        b.nstmt = rt_node_bind_values(stmt, guess, cap);
        if (b.nstmt > cap) {
            b.stmt_vals = lua_newuserdatauv(L, (b.nstmt + 1) * sizeof *b.stmt_vals, 0);
            b.nstmt = rt_node_bind_values(stmt, b.stmt_vals, b.nstmt);
        }
    }
    rt_value *vals = *nsets * cp->nslots <= nbuf
                         ? buf
                         : lua_newuserdatauv(L, (*nsets * cp->nslots + 1) * sizeof *vals, 0);
    b.names = lua_gettop(L) + 1;
    if (lua_istable(L, idx)) {                    /* parameter sets to read */
        b.calls_lua = binding_calls_lua(&b);
        luaL_checkstack(L, (int)cp->nslots + 8, "too many bind parameters");
        for (size_t i = 0; i < cp->nslots; i++)
            lua_pushstring(L, cp->slot_names[i]);   /* interned once, not per row */
    }
    for (size_t s = 0; s < *nsets; s++) {
        int set_idx = 0;
        if (many) {
            if (lua_rawgeti(L, idx, (lua_Integer)s + 1) != LUA_TTABLE)
                luaL_error(L, "executemany: parameter set %zu is a %s, not a table", s + 1,
                           luaL_typename(L, -1));
            set_idx = lua_gettop(L);
        } else if (lua_istable(L, idx)) {
            set_idx = idx;
        }
        for (size_t i = 0; i < cp->nslots; i++)
            fill_slot(L, &b, set_idx, i, &vals[s * cp->nslots + i], many ? s + 1 : 0);
        if (many)
            lua_pop(L, 1);
    }
    lua_settop(L, b.names - 1);
    return vals;   /* the anchor and scratch stay on the stack with it */
}
