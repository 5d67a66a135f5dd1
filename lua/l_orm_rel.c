/* l_orm_rel.c: relationships in Lua.  The configuration calls orm.lua makes
 * once the target classes are known (_orm.relationship, _orm.link_backref,
 * _orm.rel_info for query building), what orm_load.lua's eager loads need
 * (_orm.populate, rel_loaded, load_tag, and the hook run before a lazy
 * load), the reading and writing of relationship attributes on instances
 * (called by l_orm_class.c), and the
 * Collection object a one-to-many attribute returns: a thin userdata over
 * (state, relationship) whose members live in C (core/orm/collection.c), so
 * `#c`, `c[i]`, `ipairs(c)`, `c:append(x)`, `c:remove(x)` and `c:clear()`
 * are seen by the session at once.  It prints like a Lua array.  A dynamic
 * relationship's attribute is made by a Lua function orm_dynamic.lua
 * registers (an AppenderQuery), which changes the collection through
 * _orm.rel_append / rel_remove and reads a new parent's members through
 * _orm.rel_items. */
#include <string.h>

#include "l_orm.h"
#include "l_schema_int.h"

#define L_COLLECTION "retort.Collection"
#define REG_LAZY_HOOK "retort.orm.lazy_hook"
#define REG_DYNAMIC "retort.orm.dynamic"   /* registry: the AppenderQuery maker */

typedef struct l_collection {
    rt_state *st;          /* retained */
    size_t rel;
} l_collection;

static unsigned parse_cascade(lua_State *L, const char *s)
{
    static const struct { const char *name; unsigned bits; } names[] = {
        {"all", RT_CASCADE_ALL},
        {"save-update", RT_CASCADE_SAVE_UPDATE},
        {"merge", RT_CASCADE_MERGE},
        {"delete", RT_CASCADE_DELETE},
        {"delete-orphan", RT_CASCADE_DELETE_ORPHAN},
        {"expunge", RT_CASCADE_EXPUNGE},
        {"refresh-expire", RT_CASCADE_REFRESH},
        {"none", 0}};
    unsigned bits = 0;
    while (*s) {
        size_t n = strcspn(s, ", ");
        if (n) {
            size_t i = 0;
            while (i < sizeof names / sizeof *names &&
                   !(strlen(names[i].name) == n && strncmp(names[i].name, s, n) == 0))
                i++;
            if (i == sizeof names / sizeof *names)
                luaL_error(L, "relationship: unknown cascade '%s'",
                           lua_pushlstring(L, s, n));
            bits |= names[i].bits;
        }
        s += n;
        s += strspn(s, ", ");
    }
    if ((bits & RT_CASCADE_DELETE_ORPHAN) && !(bits & RT_CASCADE_DELETE))
        bits |= RT_CASCADE_DELETE;
    return bits;
}

#define MAX_LIST 16

/* Reads option `name` of the options table (argument 4), an array of
 * columns, into out (at most MAX_LIST); the array stays on the stack to
 * anchor them.  Returns how many. */
static size_t column_list(lua_State *L, const char *name, rt_column **out)
{
    if (lua_getfield(L, 4, name) != LUA_TTABLE)
        return 0;
    lua_Integer n = luaL_len(L, -1);
    if (n > MAX_LIST)
        return (size_t)luaL_error(L, "relationship: too many %s columns", name);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, -1, i);
        out[i - 1] = l_to_column(L, -1);
        lua_pop(L, 1);
    }
    return (size_t)n;
}

/* _orm.relationship(cls, key, target, {uselist =, cascade =, order_by = {nodes},
 * secondary = Table, remote_side = {columns}, lazy = "dynamic"}) */
static int o_relationship(lua_State *L)
{
    rt_mapper *m = l_orm_check_class(L, 1);
    const char *key = luaL_checkstring(L, 2);
    rt_mapper *t = l_orm_check_class(L, 3);
    luaL_checktype(L, 4, LUA_TTABLE);
    rt_rel_options o = {.uselist = -1, .cascade = RT_CASCADE_DEFAULT};
    if (lua_getfield(L, 4, "uselist") == LUA_TBOOLEAN)
        o.uselist = lua_toboolean(L, -1);
    if (lua_getfield(L, 4, "cascade") == LUA_TSTRING)
        o.cascade = parse_cascade(L, lua_tostring(L, -1));
    if (lua_getfield(L, 4, "secondary") != LUA_TNIL)
        o.secondary = l_check_table(L, lua_gettop(L));
    rt_column *remote[MAX_LIST];
    o.nremote = column_list(L, "remote_side", remote);
    o.remote_side = remote;
    rt_node *order[MAX_LIST];
    if (lua_getfield(L, 4, "order_by") == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        if (n > MAX_LIST)
            return luaL_error(L, "relationship: too many order_by expressions");
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, -1, i);
            order[i - 1] = l_to_node(L, -1);    /* anchored by the options table */
            lua_pop(L, 1);
        }
        o.order_by = order;
        o.norder = (size_t)n;
    }
    rt_column *foreign[MAX_LIST];
    o.nforeign = column_list(L, "foreign_keys", foreign);
    o.foreign_keys = foreign;
    if (lua_getfield(L, 4, "primaryjoin") != LUA_TNIL)
        o.primaryjoin = l_to_node(L, -1);
    if (lua_getfield(L, 4, "secondaryjoin") != LUA_TNIL)
        o.secondaryjoin = l_to_node(L, -1);
    o.post_update = lua_getfield(L, 4, "post_update") == LUA_TBOOLEAN && lua_toboolean(L, -1);
    rt_error err;
    rt_error_init(&err);
    size_t idx;
    if (rt_mapper_add_relationship(m, key, t, &o, &idx, &err) < 0)
        return l_raise(L, &err, 0);
    if (lua_getfield(L, 4, "lazy") == LUA_TSTRING && strcmp(lua_tostring(L, -1), "dynamic") == 0 &&
        rt_mapper_rel_set_dynamic(m, idx, &err) < 0)
        return l_raise(L, &err, 0);
    lua_pushinteger(L, (lua_Integer)idx);
    return 1;
}

/* _orm.link_backref(cls, key, target_key) */
static int o_link_backref(lua_State *L)
{
    rt_mapper *m = l_orm_check_class(L, 1);
    long i = rt_mapper_rel_index(m, luaL_checkstring(L, 2));
    rt_mapper *t = i >= 0 ? rt_mapper_rel_target(m, (size_t)i) : NULL;
    long j = t ? rt_mapper_rel_index(t, luaL_checkstring(L, 3)) : -1;
    if (j < 0)
        return luaL_error(L, "back_populates: %s has no relationship '%s'",
                          t ? rt_mapper_class_name(t) : "the target", luaL_checkstring(L, 3));
    rt_error err;
    rt_error_init(&err);
    if (rt_mapper_link_backref(m, (size_t)i, (size_t)j, &err) < 0)
        return l_raise(L, &err, 0);
    return 0;
}

/* _orm.rel_info(cls, key): {direction =, uselist =, pairs = {{parent col, child col}}} */
static int o_rel_info(lua_State *L)
{
    rt_mapper *m = l_orm_check_class(L, 1);
    long i = rt_mapper_rel_index(m, luaL_checkstring(L, 2));
    if (i < 0)
        return 0;
    lua_createtable(L, 0, 3);
    static const char *dirs[] = {"ONETOMANY", "MANYTOONE", "MANYTOMANY"};
    lua_pushstring(L, dirs[rt_mapper_rel_direction(m, (size_t)i)]);
    lua_setfield(L, -2, "direction");
    lua_pushboolean(L, rt_mapper_rel_secondary(m, (size_t)i) != NULL);
    lua_setfield(L, -2, "secondary");
    lua_pushboolean(L, rt_mapper_rel_uselist(m, (size_t)i));
    lua_setfield(L, -2, "uselist");
    rt_column *pc = NULL, *cc = NULL;
    size_t n = rt_mapper_rel_pair(m, (size_t)i, 0, &pc, &cc);
    lua_createtable(L, (int)n, 0);
    for (size_t k = 0; k < n; k++) {
        rt_mapper_rel_pair(m, (size_t)i, k, &pc, &cc);
        lua_createtable(L, 2, 0);
        l_push_column_object(L, pc);
        lua_rawseti(L, -2, 1);
        l_push_column_object(L, cc);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "pairs");
    lua_pushinteger(L, (lua_Integer)rt_mapper_rel_nnear(m, (size_t)i));
    lua_setfield(L, -2, "nnear");
    for (int sec = 0; sec < 2; sec++) {
        rt_node *extra = rt_mapper_rel_extra(m, (size_t)i, sec);
        if (extra) {
            l_push_node(L, rt_node_retain(extra));
            lua_setfield(L, -2, sec ? "secondary_extra" : "extra");
        }
    }
    lua_pushboolean(L, rt_mapper_rel_post_update(m, (size_t)i));
    lua_setfield(L, -2, "post_update");
    return 1;
}

/* Replacements for rt_expr_adapt: columns of `table` -> the alias's
 * column with the same key; or, from a Lua map, column -> node. */
typedef struct adapt_ctx {
    rt_node *table, *alias;
    rt_node **from, **to;      /* the map's pairs */
    size_t n;
} adapt_ctx;

static rt_node *replace_col(void *ctx, rt_node *col, rt_error *err)
{
    adapt_ctx *a = ctx;
    for (size_t i = 0; i < a->n; i++)
        if (a->from[i] == col)
            return rt_node_retain(a->to[i]);
    if (!a->table || rt_column_from(col) != a->table)
        return rt_node_retain(col);
    rt_node *c = rt_from_column_by_key(a->alias, rt_column_of(col)->key, err);
    if (!c && err->cls == RT_ERR_NONE)
        rt_error_set(err, RT_ERR_ARGUMENT, "the alias has no column '%s'",
                     rt_column_of(col)->key);
    return c;
}

/* _orm.adapt(expr, table, alias): expr with the table's columns replaced by
 * the alias's (a relationship's extra criteria joined to an aliased class);
 * _orm.adapt(expr, {[column] = replacement, ...}): by a map. */
static int o_adapt(lua_State *L)
{
    rt_node *expr = l_to_node(L, 1);
    adapt_ctx a = {0};
    if (lua_istable(L, 2) && !lua_getmetatable(L, 2)) {
        size_t cap = 0;
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            lua_pop(L, 1);
            cap++;
        }
        a.from = lua_newuserdatauv(L, (cap + 1) * sizeof *a.from, 0);
        a.to = lua_newuserdatauv(L, (cap + 1) * sizeof *a.to, 0);
        lua_pushnil(L);
        while (lua_next(L, 2)) {     /* both anchored by the map */
            a.to[a.n] = l_to_node(L, -1);
            a.from[a.n++] = l_to_node(L, -2);
            lua_pop(L, 1);
        }
    } else {
        a.table = l_to_node(L, 2);
        a.alias = l_to_node(L, 3);
    }
    rt_error err;
    rt_error_init(&err);
    rt_node *out = rt_expr_adapt(expr, replace_col, &a, &err);
    if (!out)
        return l_raise(L, &err, 0);
    l_push_node(L, out);
    return 1;
}

/* A column of st's table -> its value on st, bound (the lazy loader's view). */
static rt_node *bind_own(void *ctx, rt_node *col, rt_error *err)
{
    rt_state *st = ctx;
    rt_mapper *m = rt_state_mapper(st);
    rt_column *c = rt_column_of(col);
    long a = c && rt_column_from(col) == rt_mapper_table_node(m) ? rt_mapper_column_attr(m, c)
                                                                 : -1;
    if (a < 0)
        return rt_node_retain(col);
    return rt_bind_new(NULL, rt_state_get(st, (size_t)a), (rt_sqltype *)rt_column_type(c), err);
}

/* Pushes the extra criteria of relationship r of m (primaryjoin's, then
 * secondaryjoin's) with the columns of st's own table bound to st's values;
 * a self-referential relationship's are pushed as they are (both sides are
 * the one table).  Returns how many it pushed. */
static int push_bound_extras(lua_State *L, rt_mapper *m, size_t r, rt_state *st)
{
    int n = 0;
    for (int sec = 0; sec < 2; sec++) {
        rt_node *extra = rt_mapper_rel_extra(m, r, sec);
        if (!extra)
            continue;
        rt_error err;
        rt_error_init(&err);
        rt_node *out = rt_mapper_rel_target(m, r) == m ? rt_node_retain(extra)
                                                       : rt_expr_adapt(extra, bind_own, st, &err);
        if (!out)
            return l_raise(L, &err, 0);
        l_push_node(L, out);
        n++;
    }
    return n;
}

/* The index of m's relationship named by argument idx, or a Lua error. */
static size_t check_rel(lua_State *L, rt_mapper *m, int idx)
{
    const char *key = luaL_checkstring(L, idx);
    long r = rt_mapper_rel_index(m, key);
    if (r < 0)
        luaL_error(L, "%s has no relationship '%s'", rt_mapper_class_name(m), key);
    return (size_t)r;
}

/* _orm.parent_extra(instance, key): the extra criteria as the lazy load of
 * relationship key of instance uses them (its own columns bound to its
 * values), or nothing. */
static int o_parent_extra(lua_State *L)
{
    rt_state *st = l_orm_check_instance(L, 1);
    rt_mapper *m = rt_state_mapper(st);
    return push_bound_extras(L, m, check_rel(L, m, 2), st);
}

/* _orm.target_extra(cls, key, other): the extra criteria of cls's
 * relationship key with the target's columns bound to other's values, as
 * Address.user:eq(u) and User.addresses:contains(a) compare; or nothing. */
static int o_target_extra(lua_State *L)
{
    rt_mapper *m = l_orm_check_class(L, 1);
    size_t r = check_rel(L, m, 2);
    rt_state *other = l_orm_check_instance(L, 3);
    if (rt_state_mapper(other) != rt_mapper_rel_target(m, r))
        return luaL_error(L, "target_extra: the object is not of the relationship's target class");
    return push_bound_extras(L, m, r, other);
}

/* _orm.populate(instance, key, {children} [, replace]): an eager load's
 * result for relationship key (nothing when it is loaded already, unless
 * replace is true and it has not changed since the last flush). */
static int o_populate(lua_State *L)
{
    rt_state *st = l_orm_check_instance(L, 1);
    const char *key = luaL_checkstring(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    long r = rt_mapper_rel_index(rt_state_mapper(st), key);
    if (r < 0)
        return luaL_error(L, "populate: no relationship '%s'", key);
    if (lua_toboolean(L, 4))
        rt_state_rel_unload(st, (size_t)r);
    size_t n = (size_t)luaL_len(L, 3);
    rt_state **items = lua_newuserdatauv(L, (n + 1) * sizeof *items, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 3, (lua_Integer)i + 1);
        items[i] = l_orm_check_instance(L, -1);
        lua_pop(L, 1);
    }
    rt_error err;
    rt_error_init(&err);
    if (rt_state_rel_populate(st, (size_t)r, items, n, &err) < 0)
        return l_raise(L, &err, 0);
    return 0;
}

/* _orm.rel_loaded(instance, key): whether the relationship holds its value
 * (reading it would run no lazy load). */
static int o_rel_loaded(lua_State *L)
{
    rt_state *st = l_orm_check_instance(L, 1);
    long r = rt_mapper_rel_index(rt_state_mapper(st), luaL_checkstring(L, 2));
    lua_pushboolean(L, r >= 0 && !rt_state_rel_lazy_pending(st, (size_t)r));
    return 1;
}

/* _orm.load_tag(instance): the number of the query result of its session
 * that loaded it last (0: none). */
static int o_load_tag(lua_State *L)
{
    l_orm_check_instance(L, 1);
    lua_pushinteger(L, ((l_instance *)lua_touserdata(L, 1))->load_tag);
    return 1;
}

/* Keeps function argument 1 in the registry under key. */
static int set_registry_function(lua_State *L, const char *key)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
    return 0;
}

/* _orm.set_lazy_hook(fn): fn(instance, key, load_tag, class, cached) runs
 * before each lazy load a read of a relationship attribute would run
 * (cached: a many-to-one the identity map answers, no SQL); it may raise
 * (lazy = "raise"), or populate the relationship (noload) so that no lazy
 * load runs. */
static int o_set_lazy_hook(lua_State *L) { return set_registry_function(L, REG_LAZY_HOOK); }

/* _orm.class_of(instance): its mapped class. */
static int o_class_of(lua_State *L)
{
    l_orm_check_instance(L, 1);
    l_orm_push_class_of(L, 1);
    return 1;
}

/* _orm.on_dynamic(maker): the function making dynamic relationships' values. */
static int o_on_dynamic(lua_State *L) { return set_registry_function(L, REG_DYNAMIC); }

/* _orm.rel_items(instance, key): the members of a relationship of an
 * instance that is not persistent in a session (no SQL), as a Lua array. */
static int o_rel_items(lua_State *L)
{
    rt_state *st = l_orm_check_instance(L, 1);
    size_t r = check_rel(L, rt_state_mapper(st), 2);
    rt_state_status s = rt_state_status_of(st);
    if (s == RT_STATE_PERSISTENT || s == RT_STATE_DELETED)
        return luaL_error(L, "rel_items: the instance is persistent");
    rt_error err;
    rt_error_init(&err);
    if (s == RT_STATE_DETACHED)
        lua_createtable(L, 0, 0);  /* its members are the database's */
    else if (rt_state_rel_load(st, r, &err) < 0)
        return l_raise(L, &err, 0);
    else {
        size_t n = rt_state_rel_count(st, r);
        lua_createtable(L, (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            l_orm_push_instance(L, rt_state_rel_item(st, r, i));
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    }
    return 1;
}

static rt_state *to_member(lua_State *L, int idx, rt_state *st, size_t r);

/* _orm.rel_append(instance, key, x) / rel_remove(instance, key, x) */
static int rel_change(lua_State *L, int append)
{
    rt_state *st = l_orm_check_instance(L, 1);
    size_t r = check_rel(L, rt_state_mapper(st), 2);
    rt_state *x = to_member(L, 3, st, r);
    rt_error err;
    rt_error_init(&err);
    int rc = append ? rt_state_rel_append(st, r, x, &err) : rt_state_rel_remove(st, r, x, &err);
    if (rc < 0)
        return l_raise(L, &err, 0);
    return 0;
}
static int o_rel_append(lua_State *L) { return rel_change(L, 1); }
static int o_rel_remove(lua_State *L) { return rel_change(L, 0); }

/* === instances === */

static void before_lazy_load(lua_State *L, rt_state *st, size_t r, const char *key)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, REG_LAZY_HOOK) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return;
    }
    l_orm_push_instance(L, st);
    int obj = lua_gettop(L);
    lua_pushstring(L, key);
    lua_pushinteger(L, ((l_instance *)lua_touserdata(L, obj))->load_tag);
    l_orm_push_class_of(L, obj);
    lua_pushboolean(L, rt_state_rel_lazy_cached(st, r));
    lua_call(L, 5, 0);
}

static void check(lua_State *L, int rc, rt_error *err)
{
    if (rc < 0)
        l_raise(L, err, 0);
}

int l_orm_rel_get(lua_State *L, rt_state *st, const char *key)
{
    rt_mapper *m = rt_state_mapper(st);
    long r = rt_mapper_rel_index(m, key);
    if (r < 0)
        return 0;
    if (rt_mapper_rel_dynamic(m, (size_t)r)) {      /* maker(instance, class, key) */
        if (lua_getfield(L, LUA_REGISTRYINDEX, REG_DYNAMIC) != LUA_TFUNCTION)
            return luaL_error(L, "dynamic relationships are not available");
        l_orm_push_instance(L, st);
        l_orm_push_class_of(L, -1);
        lua_pushstring(L, key);
        lua_call(L, 3, 1);
        return 1;
    }
    rt_error err;
    rt_error_init(&err);
    if (rt_state_rel_lazy_pending(st, (size_t)r))
        before_lazy_load(L, st, (size_t)r, key);      /* st is anchored by the caller's instance */
    check(L, rt_state_rel_load(st, (size_t)r, &err), &err);
    if (rt_mapper_rel_uselist(m, (size_t)r)) {
        l_collection *c = lua_newuserdatauv(L, sizeof *c, 0);
        c->st = rt_state_retain(st);
        c->rel = (size_t)r;
        luaL_setmetatable(L, L_COLLECTION);
    } else if (rt_state_rel_count(st, (size_t)r)) {
        l_orm_push_instance(L, rt_state_rel_item(st, (size_t)r, 0));
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static rt_state *to_member(lua_State *L, int idx, rt_state *st, size_t r)
{
    rt_state *x = l_orm_test_instance(L, idx);
    if (!x) {
        rt_mapper *m = rt_state_mapper(st);
        luaL_error(L, "relationship %s.%s takes instances of %s, not %s",
                   rt_mapper_class_name(m), rt_mapper_rel_key(m, r),
                   rt_mapper_class_name(rt_mapper_rel_target(m, r)), luaL_typename(L, idx));
    }
    return x;
}

int l_orm_rel_set(lua_State *L, rt_state *st, const char *key, int idx)
{
    rt_mapper *m = rt_state_mapper(st);
    long r = rt_mapper_rel_index(m, key);
    if (r < 0)
        return 0;
    rt_error err;
    rt_error_init(&err);
    if (!rt_mapper_rel_uselist(m, (size_t)r)) {
        rt_state *x = lua_isnil(L, idx) || l_is_null(L, idx) ? NULL : to_member(L, idx, st, r);
        check(L, rt_state_rel_set(st, (size_t)r, x, &err), &err);
        return 1;
    }
    l_collection *c = luaL_testudata(L, idx, L_COLLECTION);
    if (c && c->st == st && c->rel == (size_t)r)
        return 1;                 /* u.addresses = u.addresses */
    if (!c && !lua_istable(L, idx))
        luaL_error(L, "relationship %s.%s takes an array of %s instances, not %s",
                   rt_mapper_class_name(m), key, rt_mapper_class_name(rt_mapper_rel_target(m, r)),
                   luaL_typename(L, idx));
    lua_Integer n = luaL_len(L, idx);
    rt_state **items = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *items, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, idx, i);
        items[i - 1] = to_member(L, -1, st, (size_t)r);
        lua_pop(L, 1);             /* kept alive by the array */
    }
    check(L, rt_state_rel_replace(st, (size_t)r, items, (size_t)n, &err), &err);
    lua_pop(L, 1);
    return 1;
}

/* === Collection === */

static l_collection *check_coll(lua_State *L, int idx)
{
    l_collection *c = luaL_checkudata(L, idx, L_COLLECTION);
    return c;
}

static int coll_len(lua_State *L)
{
    l_collection *c = check_coll(L, 1);
    lua_pushinteger(L, (lua_Integer)rt_state_rel_count(c->st, c->rel));
    return 1;
}

static int coll_append(lua_State *L)
{
    l_collection *c = check_coll(L, 1);
    rt_state *x = to_member(L, 2, c->st, c->rel);
    rt_error err;
    rt_error_init(&err);
    check(L, rt_state_rel_append(c->st, c->rel, x, &err), &err);
    return 0;
}

static int coll_remove(lua_State *L)
{
    l_collection *c = check_coll(L, 1);
    rt_state *x = to_member(L, 2, c->st, c->rel);
    rt_error err;
    rt_error_init(&err);
    check(L, rt_state_rel_remove(c->st, c->rel, x, &err), &err);
    return 0;
}

static int coll_clear(lua_State *L)
{
    l_collection *c = check_coll(L, 1);
    rt_error err;
    rt_error_init(&err);
    check(L, rt_state_rel_replace(c->st, c->rel, NULL, 0, &err), &err);
    return 0;
}

static int coll_index(lua_State *L)
{
    l_collection *c = check_coll(L, 1);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer i = lua_tointeger(L, 2);
        if (i >= 1 && (size_t)i <= rt_state_rel_count(c->st, c->rel))
            l_orm_push_instance(L, rt_state_rel_item(c->st, c->rel, (size_t)i - 1));
        else
            lua_pushnil(L);
        return 1;
    }
    luaL_getmetatable(L, L_COLLECTION);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int coll_newindex(lua_State *L)
{
    return luaL_error(L, "collections change through append(), remove() or assignment of "
                         "an array to the attribute");
}

static int coll_tostring(lua_State *L)
{
    l_collection *c = check_coll(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '{');
    for (size_t i = 0; i < rt_state_rel_count(c->st, c->rel); i++) {
        if (i)
            luaL_addstring(&b, ", ");
        l_orm_push_instance(L, rt_state_rel_item(c->st, c->rel, i));
        luaL_tolstring(L, -1, NULL);
        lua_remove(L, -2);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '}');
    luaL_pushresult(&b);
    return 1;
}

static int coll_gc(lua_State *L)
{
    l_collection *c = luaL_checkudata(L, 1, L_COLLECTION);
    rt_state_release(c->st);
    c->st = NULL;
    return 0;
}

void l_open_orm_rel(lua_State *L, int orm)
{
    static const luaL_Reg meta[] = {
        {"__len", coll_len}, {"__index", coll_index}, {"__newindex", coll_newindex},
        {"__tostring", coll_tostring}, {"__gc", coll_gc}, {"append", coll_append},
        {"remove", coll_remove}, {"clear", coll_clear}, {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"relationship", o_relationship}, {"link_backref", o_link_backref},
        {"rel_info", o_rel_info}, {"populate", o_populate}, {"rel_loaded", o_rel_loaded},
        {"load_tag", o_load_tag}, {"set_lazy_hook", o_set_lazy_hook}, {"adapt", o_adapt},
        {"on_dynamic", o_on_dynamic}, {"class_of", o_class_of},
        {"parent_extra", o_parent_extra}, {"target_extra", o_target_extra},
        {"rel_items", o_rel_items}, {"rel_append", o_rel_append},
        {"rel_remove", o_rel_remove}, {NULL, NULL}};
    luaL_newmetatable(L, L_COLLECTION);
    luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
    lua_pushvalue(L, orm);
    luaL_setfuncs(L, funcs, 0);
    lua_pop(L, 1);
}
