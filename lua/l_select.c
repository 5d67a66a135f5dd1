/* l_select.c: statements and FROM elements in Lua: select() with its
 * generative methods, compound selects, aliases, joins and subqueries with
 * their column collections (.c), and insert / update / delete.  Each method
 * returns a new object and leaves the one it was called on unchanged. */
#include <string.h>

#include "l_common.h"
#include "l_orm.h"

#define L_COLUMNS "retort.ColumnCollection"

#define SMALL 8   /* nodes collected into the caller's array, not a userdata */

/* Collects the node arguments first..last into small (SMALL entries) when
 * they fit, else into a scratch array (pushed). */
static rt_node **collect(lua_State *L, int first, int last, int as_expr, rt_node **small)
{
    int n = last - first + 1;
    rt_node **items = n <= SMALL ? small
                                 : lua_newuserdatauv(L, (size_t)n * sizeof *items, 0);
    for (int i = 0; i < n; i++) {
        l_node *u = l_test_node(L, first + i);
        if (u && (rt_node_is_expr(u->n) || (!as_expr && rt_node_is_from(u->n))))
            items[i] = u->n;
        else
            items[i] = l_to_expr(L, first + i, NULL);   /* plain values, errors */
    }
    return items;
}

/* Replaces a single array argument at idx by its elements (select({a, b})). */
static int spread(lua_State *L, int idx)
{
    if (!lua_istable(L, idx) || l_is_null(L, idx) || l_test_node(L, idx))
        return lua_gettop(L);
    int n = (int)lua_rawlen(L, idx);
    lua_pushvalue(L, idx);
    lua_remove(L, idx);
    int top = lua_gettop(L);
    for (int i = n; i >= 1; i--) {
        lua_rawgeti(L, top, i);
        lua_insert(L, idx);
        top++;
    }
    lua_remove(L, top);
    return lua_gettop(L);
}

static rt_node *check_kind(lua_State *L, int idx, const char *mt)
{
    l_node *u = luaL_checkudata(L, idx, mt);
    if (!u->n)
        luaL_error(L, "attempt to use a freed statement");
    return u->n;
}

/* === column collections === */

void l_push_columns(lua_State *L, int from_idx)
{
    from_idx = lua_absindex(L, from_idx);
    l_to_from(L, from_idx);
    lua_newuserdatauv(L, 0, 1);
    luaL_setmetatable(L, L_COLUMNS);
    lua_pushvalue(L, from_idx);
    lua_setiuservalue(L, -2, 1);
}

/* The FROM element of the collection at 1.  Its functions have the
 * ColumnCollection metatable as upvalue 1 (a comparison instead of
 * luaL_checkudata's lookup by name); its uservalue was checked when it was
 * made (a node object or a Table: both begin with the node). */
static rt_node *columns_from(lua_State *L)
{
    int ok = 0;
    if (lua_getmetatable(L, 1)) {
        ok = lua_rawequal(L, -1, lua_upvalueindex(1));
        lua_pop(L, 1);
    }
    if (!ok)
        luaL_checkudata(L, 1, L_COLUMNS);
    lua_getiuservalue(L, 1, 1);
    const l_node *u = lua_touserdata(L, -1);
    rt_node *from = u && u->n ? u->n : l_to_from(L, -1);   /* (a freed one raises) */
    lua_pop(L, 1);
    return from;
}

static int columns_index(lua_State *L)
{
    rt_node *from = columns_from(L);
    rt_error err;
    rt_node *col;
    rt_error_init(&err);
    if (lua_isinteger(L, 2)) {
        lua_Integer i = lua_tointeger(L, 2);
        if (i < 1 || (size_t)i > rt_from_ncols(from))
            return 0;
        col = rt_from_column(from, (size_t)i - 1, &err);
    } else {
        const char *key = luaL_checkstring(L, 2);
        col = rt_from_column_by_key(from, key, &err);
        if (!col && err.cls == RT_ERR_NONE) {
            lua_getiuservalue(L, 1, 1);
            return l_raisef(L, RT_ERR_ARGUMENT, "no column '%s' in %s", key,
                            luaL_tolstring(L, -1, NULL));
        }
    }
    return l_push_result(L, col, &err);
}

static int columns_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)rt_from_ncols(columns_from(L)));
    return 1;
}

static int columns_tostring(lua_State *L)
{
    rt_node *from = columns_from(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "{");
    for (size_t i = 0; i < rt_from_ncols(from); i++) {
        if (i)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, rt_from_column_key(from, i));
    }
    luaL_addstring(&b, "}");
    luaL_pushresult(&b);
    return 1;
}

/* === FROM elements: alias, join (tables are l_schema.c's) === */

static int from_index(lua_State *L)
{
    if (l_index_method(L, 1))
        return 1;
    l_to_from(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "c") == 0 || strcmp(k, "columns") == 0) {
        l_push_columns(L, 1);
        return 1;
    }
    return 0;
}

static int join_impl(lua_State *L, int isouter)
{
    rt_error err;
    int full = 0;
    lua_settop(L, 4);
    rt_node *left = l_to_from(L, 1);
    rt_node *right = l_to_from(L, 2);
    rt_node *on = NULL;
    if (lua_istable(L, 3) && !l_test_node(L, 3) && !l_is_null(L, 3)) {
        lua_replace(L, 4);          /* join(a, b, {full = true}) */
        lua_pushnil(L);
        lua_replace(L, 3);
    }
    if (!lua_isnil(L, 3))
        on = l_to_expr(L, 3, NULL);
    if (lua_istable(L, 4)) {
        isouter = l_opt_boolean(L, 4, "join", "isouter", isouter);
        full = l_opt_boolean(L, 4, "join", "full", 0);
    }
    rt_error_init(&err);
    return l_push_result(L, rt_join_new(left, right, on, isouter, full, &err), &err);
}

static int f_join(lua_State *L) { return join_impl(L, 0); }
static int f_outerjoin(lua_State *L) { return join_impl(L, 1); }

static int f_alias(lua_State *L)
{
    rt_error err;
    rt_node *from = l_to_node(L, 1);
    const char *name = luaL_optstring(L, 2, NULL);
    rt_error_init(&err);
    return l_push_result(L, rt_alias_new(from, name, &err), &err);
}

/* Checks that each argument first..last can stand as a condition: an SQL
 * expression, a string (SQL text, as text()) or a boolean (true()/false());
 * a plain number or a table is a mistake, not a bound value.  Replaces the
 * strings and booleans on the stack by their objects. */
static void check_conditions(lua_State *L, int first, int last)
{
    rt_error err;
    for (int i = first; i <= last; i++) {
        if (lua_type(L, i) == LUA_TSTRING) {
            l_to_node(L, i);
        } else if (lua_isboolean(L, i)) {
            rt_error_init(&err);
            l_push_result(L, rt_bool_new(lua_toboolean(L, i), &err), &err);
            lua_replace(L, i);
        } else if (!l_test_node(L, i)) {
            luaL_argerror(L, i, lua_pushfstring(L, "an SQL expression expected as a condition, "
                                                   "got %s (compare a column: col:eq(value))",
                                                luaL_typename(L, i)));
        }
    }
}

/* === select === */

static int f_select(lua_State *L)
{
    rt_error err;
    int top = lua_gettop(L);
    if (lua_type(L, 1) == LUA_TNUMBER || (lua_type(L, 1) == LUA_TSTRING &&
                                          strcmp(lua_tostring(L, 1), "#") == 0)) {
        /* the shell exports select() over Lua's own: select(n, ...) still works */
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_insert(L, 1);
        lua_call(L, top, LUA_MULTRET);
        return lua_gettop(L);
    }
    for (int i = 1; i <= top; i++)
        if (l_orm_is_entity(L, i))
            return l_orm_select(L);      /* select(User): the ORM's entity select */
    rt_node *where = NULL;
    if (top >= 1 && lua_istable(L, 1) && !l_test_node(L, 1) && !l_is_null(L, 1)) {
        /* 1.x style: select({cols...} [, whereclause]) */
        if (top >= 2 && !lua_isnil(L, 2)) {
            check_conditions(L, 2, 2);
            where = l_to_expr(L, 2, NULL);
        }
        lua_settop(L, 2);
        top = spread(L, 1) - 1;
    }
    rt_node *small[SMALL];
    rt_node **cols = collect(L, 1, top, 0, small);
    rt_error_init(&err);
    rt_node *s = rt_select_new(cols, (size_t)top, &err);
    if (!s)
        return l_raise(L, &err, 0);
    l_push_node(L, s);
    if (!where)
        return 1;
    return l_push_result(L, rt_select_where(s, where, &err), &err);
}

typedef rt_node *(*list_fn)(rt_node *, rt_node *const *, size_t, rt_error *);

static int select_list(lua_State *L, list_fn fn, int as_expr)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, L_SELECT);
    int top = spread(L, 2);
    rt_node *small[SMALL];
    rt_node **items = collect(L, 2, top, as_expr, small);
    rt_error_init(&err);
    return l_push_result(L, fn(s, items, (size_t)(top - 1), &err), &err);
}

/* from:select(): all the columns of a join, alias or table, FROM it */
static int from_select(lua_State *L)
{
    rt_error err;
    rt_node *from = l_to_from(L, 1);
    lua_settop(L, 1);
    rt_node *items[1] = {from};
    rt_error_init(&err);
    rt_node *s = rt_select_new(items, 1, &err);
    if (!s)
        return l_raise(L, &err, 0);
    l_push_node(L, s);
    return l_push_result(L, rt_select_from(s, from, &err), &err);
}

static int s_order_by(lua_State *L) { return select_list(L, rt_select_order_by, 1); }
static int s_group_by(lua_State *L) { return select_list(L, rt_select_group_by, 1); }
static int s_add_columns(lua_State *L) { return select_list(L, rt_select_add_columns, 0); }
static int s_with_only(lua_State *L) { return select_list(L, rt_select_with_only_columns, 0); }

static int s_correlate(lua_State *L)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, L_SELECT);
    int top = lua_gettop(L);
    rt_node **froms = lua_newuserdatauv(L, (size_t)(top > 1 ? top : 1) * sizeof *froms, 0);
    for (int i = 2; i <= top; i++)
        froms[i - 2] = l_to_from(L, i);
    rt_error_init(&err);
    return l_push_result(L, rt_select_correlate(s, froms, (size_t)(top - 1), &err), &err);
}

typedef rt_node *(*cond_fn)(rt_node *, rt_node *, rt_error *);

/* where(a, b, ...) ANDs every condition given */
static int cond_method(lua_State *L, const char *mt, cond_fn fn)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, mt);
    int top = lua_gettop(L);
    luaL_argcheck(L, top >= 2, 2, "a condition expected");
    check_conditions(L, 2, top);
    rt_node *small[SMALL];
    rt_node **conds = collect(L, 2, top, 1, small);
    rt_error_init(&err);
    rt_node *cond = conds[0];
    if (top > 2) {
        cond = rt_list_new(RT_LIST_AND, conds, (size_t)(top - 1), &err);
        if (!cond)
            return l_raise(L, &err, 0);
        l_push_node(L, cond);
    }
    return l_push_result(L, fn(s, cond, &err), &err);
}

static int s_where(lua_State *L) { return cond_method(L, L_SELECT, rt_select_where); }
static int s_having(lua_State *L) { return cond_method(L, L_SELECT, rt_select_having); }

static int limit_like(lua_State *L, cond_fn fn)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, L_SELECT);
    rt_node *n;
    int isint;
    lua_Integer i = lua_type(L, 2) == LUA_TNUMBER ? lua_tointegerx(L, 2, &isint) : (isint = 0);
    if (isint) {
        rt_value v = rt_value_int((int64_t)i);
        rt_error_init(&err);
        n = rt_bind_new(NULL, &v, NULL, &err);
        l_push_result(L, n, &err);
    } else if (l_test_node(L, 2)) {
        n = l_to_expr(L, 2, NULL);         /* e.g. bindparam("n") */
    } else {
        return luaL_argerror(L, 2, lua_pushfstring(L, "an integer or an SQL expression "
                                                      "expected, got %s",
                                                   lua_type(L, 2) == LUA_TNUMBER
                                                       ? "a fraction"
                                                       : luaL_typename(L, 2)));
    }
    rt_error_init(&err);
    return l_push_result(L, fn(s, n, &err), &err);
}

static int s_limit(lua_State *L) { return limit_like(L, rt_select_limit); }
static int s_offset(lua_State *L) { return limit_like(L, rt_select_offset); }

typedef rt_node *(*self_fn)(rt_node *, rt_error *);

static int self_method(lua_State *L, self_fn fn)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, L_SELECT);
    rt_error_init(&err);
    return l_push_result(L, fn(s, &err), &err);
}

static int s_distinct(lua_State *L) { return self_method(L, rt_select_distinct); }
static int s_apply_labels(lua_State *L) { return self_method(L, rt_select_apply_labels); }
static int s_scalar(lua_State *L) { return self_method(L, rt_scalar_subquery_new); }
static int s_exists(lua_State *L) { return self_method(L, rt_exists_new); }

static int s_select_from(lua_State *L)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, L_SELECT);
    rt_node *from = l_to_from(L, 2);
    rt_error_init(&err);
    return l_push_result(L, rt_select_from(s, from, &err), &err);
}

static int s_for_update(lua_State *L)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, L_SELECT);
    int nowait = l_opt_boolean(L, 2, "with_for_update", "nowait", 0);
    rt_error_init(&err);
    return l_push_result(L, rt_select_for_update(s, nowait, &err), &err);
}

static int s_subquery(lua_State *L)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, L_SELECT);
    const char *name = luaL_optstring(L, 2, NULL);
    rt_error_init(&err);
    return l_push_result(L, rt_alias_new(s, name, &err), &err);
}

static int s_label(lua_State *L)
{
    rt_error err;
    rt_node *s = check_kind(L, 1, L_SELECT);
    const char *name = luaL_checkstring(L, 2);
    rt_error_init(&err);
    rt_node *sc = rt_scalar_subquery_new(s, &err);
    if (!sc)
        return l_raise(L, &err, 0);
    l_push_node(L, sc);
    return l_push_result(L, rt_label_new(sc, name, &err), &err);
}

static int compound(lua_State *L, rt_compound_op op, int first)
{
    rt_error err;
    int top = lua_gettop(L);
    int n = top - first + 1;
    rt_node **sel = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *sel, 0);
    for (int i = 0; i < n; i++)
        sel[i] = check_kind(L, first + i, L_SELECT);
    rt_error_init(&err);
    return l_push_result(L, rt_compound_new(op, sel, (size_t)n, &err), &err);
}

#define COMPOUND(fname, op)                                                           \
    static int fname(lua_State *L) { return compound(L, op, 1); }
COMPOUND(f_union, RT_UNION)
COMPOUND(f_union_all, RT_UNION_ALL)
COMPOUND(f_intersect, RT_INTERSECT)
COMPOUND(f_intersect_all, RT_INTERSECT_ALL)
COMPOUND(f_except, RT_EXCEPT)
COMPOUND(f_except_all, RT_EXCEPT_ALL)

/* exists(select) or exists(cols... ) */
static int f_exists(lua_State *L)
{
    rt_error err;
    l_node *u = l_test_node(L, 1);
    rt_node *s;
    if (u && (rt_node_kind_of(u->n) == RT_NODE_SELECT)) {
        s = u->n;
    } else {
        f_select(L);
        s = l_test_node(L, -1)->n;
    }
    rt_error_init(&err);
    return l_push_result(L, rt_exists_new(s, &err), &err);
}

/* === insert / update / delete === */

static rt_node *dml_target(lua_State *L, int idx)
{
    rt_node *t = l_to_from(L, idx);
    if (rt_node_kind_of(t) != RT_NODE_TABLE)
        luaL_argerror(L, idx, "a table expected");
    return t;
}

/* The values of the Lua table at idx, keyed by column keys, by column
 * objects of the target or by position (values({3, "jane"}): the table's
 * columns in order), in a new table keyed by column key (pushed). */
static int values_by_key(lua_State *L, rt_table *t, int idx)
{
    lua_newtable(L);
    int out = lua_gettop(L);
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
        rt_column *c = NULL;
        if (lua_type(L, -2) == LUA_TSTRING)
            c = rt_table_column(t, lua_tostring(L, -2));
        else if (l_test_node(L, -2) || luaL_testudata(L, -2, L_COLUMN))
            c = l_to_column(L, -2);
        else if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 &&
                 lua_tointeger(L, -2) <= (lua_Integer)t->ncols)
            c = t->columns[lua_tointeger(L, -2) - 1];
        else if (lua_isinteger(L, -2))
            luaL_error(L, "values(): value %d given for a table of %d columns",
                       (int)lua_tointeger(L, -2), (int)t->ncols);
        if (!c || c->table != t)
            luaL_error(L, "Unconsumed column names: %s", luaL_tolstring(L, -2, NULL));
        lua_pushstring(L, c->key);
        if (lua_rawget(L, out) != LUA_TNIL)
            luaL_error(L, "values(): column '%s' is given twice", c->key);
        lua_pop(L, 1);
        lua_pushstring(L, c->key);
        lua_pushvalue(L, -2);
        lua_rawset(L, out);
    }
    return out;
}

/* The nodes made for plain values of values(): bind nodes made in C, with
 * no Lua object each (a multi-row INSERT has thousands); the statement takes
 * its own references, then these are released, or by __gc after an error. */
#define L_MADE "retort.MadeNodes"

typedef struct made_nodes {
    size_t n, cap;
    rt_node *items[];
} made_nodes;

static int made_gc(lua_State *L)
{
    made_nodes *m = luaL_checkudata(L, 1, L_MADE);
    for (size_t i = 0; i < m->n; i++)
        rt_node_release(m->items[i]);
    m->n = 0;
    return 0;
}

static made_nodes *new_made(lua_State *L, size_t cap)
{
    made_nodes *m = lua_newuserdatauv(L, sizeof *m + (cap + 1) * sizeof *m->items, 0);
    m->n = 0;
    m->cap = cap;
    luaL_setmetatable(L, L_MADE);
    return m;
}

/* The node for the value on top of the stack, for column c: a node object
 * is used as it is (kept alive in the table at anchor), a plain value
 * becomes a bind node kept in made; the value is popped. */
static rt_node *row_value(lua_State *L, rt_column *c, int anchor, made_nodes *m)
{
    l_node *u = l_test_node(L, -1);
    rt_node *n;
    if (u) {
        n = u->n;
        if (rt_node_kind_of(n) != RT_NODE_SELECT && rt_node_kind_of(n) != RT_NODE_COMPOUND &&
            !rt_node_is_expr(n))
            luaL_argerror(L, 2, "a column expression expected, got a statement or table (use "
                                ":scalar_subquery() for a select)");
        lua_rawseti(L, anchor, (lua_Integer)lua_rawlen(L, anchor) + 1);  /* keep it alive */
        return n;
    }
    rt_value v;
    rt_error err;
    rt_error_init(&err);
    if (l_to_value(L, -1, &v) < 0)   /* (null binds NULL, as any value) */
        luaL_argerror(L, 2, lua_pushfstring(L, "an SQL expression or a value expected, got %s",
                                            luaL_typename(L, -1)));
    n = rt_bind_new(NULL, &v, c->type, &err);
    if (!n)
        l_raise(L, &err, 0);
    m->items[m->n++] = n;
    lua_pop(L, 1);
    return n;
}

/* Fills keys[], values[] with the values of the Lua table at idx, in the
 * target's column order, and returns how many; a select becomes a scalar
 * subquery.  A row keyed by column keys only is read directly (the column
 * keys are pushed from index colkeys on); other rows go through
 * values_by_key. */
static size_t dml_row(lua_State *L, rt_node *stmt, int idx, int colkeys, int anchor,
                      made_nodes *m, const char **keys, rt_node **vals)
{
    rt_table *t = rt_dml_table(stmt);
    size_t n = 0, found = 0, entries = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        lua_pushvalue(L, colkeys + (int)i);
        found += lua_rawget(L, idx) != LUA_TNIL;
        lua_pop(L, 1);
    }
    for (lua_pushnil(L); entries <= found && lua_next(L, idx); lua_pop(L, 1))
        entries++;
    if (entries > found)
        lua_pop(L, 1);        /* the key of the traversal stopped early */
    int byk = idx;
    if (entries != found)
        byk = values_by_key(L, t, idx);
    for (size_t i = 0; i < t->ncols; i++) {
        rt_column *c = t->columns[i];
        lua_pushvalue(L, colkeys + (int)i);
        if (lua_rawget(L, byk) == LUA_TNIL) {
            lua_pop(L, 1);
            continue;
        }
        keys[n] = c->key;
        vals[n++] = row_value(L, c, anchor, m);
    }
    if (byk != idx)
        lua_pop(L, 1);
    return n;
}

static int d_values(lua_State *L)
{
    rt_error err;
    rt_node *stmt = check_kind(L, 1, L_DML);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    rt_table *t = rt_dml_table(stmt);
    /* several rows: an array of tables (a row may itself be positional) */
    int many = lua_rawlen(L, 2) > 0 && lua_rawgeti(L, 2, 1) == LUA_TTABLE && !l_is_null(L, -1) &&
               !l_test_node(L, -1);
    lua_settop(L, 2);
    size_t nrows = many ? (size_t)lua_rawlen(L, 2) : 1, n = 0;
    const char **keys = lua_newuserdatauv(L, (t->ncols + 1) * sizeof *keys, 0);
    const char **rowkeys = lua_newuserdatauv(L, (t->ncols + 1) * sizeof *rowkeys, 0);
    rt_node **vals = lua_newuserdatauv(L, (nrows * t->ncols + 1) * sizeof *vals, 0);
    made_nodes *made = new_made(L, nrows * t->ncols);
    lua_newtable(L);                  /* anchors the node objects given as values */
    int anchor = lua_gettop(L);
    luaL_checkstack(L, (int)t->ncols + 8, "too many columns");
    int colkeys = lua_gettop(L) + 1;
    for (size_t i = 0; i < t->ncols; i++)
        lua_pushstring(L, t->columns[i]->key);
    for (size_t r = 0; r < nrows; r++) {
        int ri = 2;
        if (many) {
            if (lua_rawgeti(L, 2, (lua_Integer)r + 1) != LUA_TTABLE)
                return luaL_argerror(L, 2, "each row of values must be a table");
            ri = lua_gettop(L);
        }
        size_t rn = dml_row(L, stmt, ri, colkeys, anchor, made, r ? rowkeys : keys,
                            vals + r * n);
        if (many)
            lua_pop(L, 1);    /* the row (the values are anchored) */
        if (r == 0)
            n = rn;
        else if (rn != n || memcmp(rowkeys, keys, n * sizeof *keys) != 0)
            return luaL_error(L, "multi-row values: row %d has other columns than row 1",
                              (int)r + 1);
    }
    rt_error_init(&err);
    rt_node *res = rt_dml_values(stmt, keys, vals, n, nrows, &err);
    for (size_t i = 0; i < made->n; i++)    /* the statement holds its own */
        rt_node_release(made->items[i]);
    made->n = 0;
    return l_push_result(L, res, &err);
}

static int d_where(lua_State *L) { return cond_method(L, L_DML, rt_dml_where); }

static int d_returning(lua_State *L)
{
    rt_error err;
    rt_node *stmt = check_kind(L, 1, L_DML);
    int top = lua_gettop(L);
    rt_node *small[SMALL];
    rt_node **cols = collect(L, 2, top, 0, small);
    rt_error_init(&err);
    return l_push_result(L, rt_dml_returning(stmt, cols, (size_t)(top - 1), &err), &err);
}

static int d_from_select(lua_State *L)
{
    rt_error err;
    rt_node *stmt = check_kind(L, 1, L_DML);
    luaL_checktype(L, 2, LUA_TTABLE);
    rt_node *sel = check_kind(L, 3, L_SELECT);
    size_t n = (size_t)lua_rawlen(L, 2);
    const char **keys = lua_newuserdatauv(L, (n + 1) * sizeof *keys, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        l_node *u = l_test_node(L, -1);
        rt_column *c = u ? rt_column_of(u->n) : NULL;
        keys[i] = c ? c->key : luaL_checkstring(L, -1);  /* the table at 2 keeps it */
        lua_pop(L, 1);
    }
    rt_error_init(&err);
    return l_push_result(L, rt_insert_from_select(stmt, keys, n, sel, &err), &err);
}

typedef rt_node *(*new_fn)(rt_node *, rt_error *);

/* insert(t [, values]), update(t [, where [, values]]), delete(t [, where]) */
static int dml_new(lua_State *L, new_fn fn, int where_idx, int values_idx)
{
    rt_error err;
    rt_node *t = dml_target(L, 1);
    rt_error_init(&err);
    int top = lua_gettop(L);
    l_push_result(L, fn(t, &err), &err);
    int stmt = lua_gettop(L);
    if (where_idx && where_idx <= top && !lua_isnil(L, where_idx)) {
        lua_pushcfunction(L, d_where);
        lua_pushvalue(L, stmt);
        lua_pushvalue(L, where_idx);
        lua_call(L, 2, 1);
        lua_replace(L, stmt);
    }
    if (values_idx && values_idx <= top && !lua_isnil(L, values_idx)) {
        lua_pushcfunction(L, d_values);
        lua_pushvalue(L, stmt);
        lua_pushvalue(L, values_idx);
        lua_call(L, 2, 1);
        lua_replace(L, stmt);
    }
    lua_settop(L, stmt);
    return 1;
}

static int f_insert(lua_State *L) { return dml_new(L, rt_insert_new, 0, 2); }
static int f_update(lua_State *L) { return dml_new(L, rt_update_new, 2, 3); }
static int f_delete(lua_State *L) { return dml_new(L, rt_delete_new, 2, 0); }

/* index gets the methods as upvalue 1, to look them up first (each method
 * checks its self). */
static void new_node_class(lua_State *L, const char *name, const luaL_Reg *methods,
                           lua_CFunction index)
{
    luaL_Reg meta[] = {{"__gc", l_node_gc}, {"__index", index},
                       {"__tostring", l_node_tostring}, {NULL, NULL}};
    l_new_class(L, name, meta, methods);
    lua_getfield(L, -1, "__methods");
    lua_pushcclosure(L, index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__rt_node");
    lua_pop(L, 1);
}

/* s.selected_columns: the column expressions a select (or compound) lists,
 * under the keys it exports them by; the other keys are its methods */
static int select_index(lua_State *L)
{
    if (l_index_method(L, 1))
        return 1;
    check_kind(L, 1, L_SELECT);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "selected_columns") == 0) {
        l_push_columns(L, 1);
        return 1;
    }
    if (strcmp(k, "c") == 0 || strcmp(k, "columns") == 0)
        return luaL_error(L, "a select has no .%s: use s:subquery().c for the columns of a "
                             "subquery, or s.selected_columns", k);
    return 0;
}

static int method_index(lua_State *L)
{
    if (l_index_method(L, 1))
        return 1;
    luaL_checkstring(L, 2);
    return 0;
}

void l_open_select(lua_State *L, int module)
{
    static const luaL_Reg made_meta[] = {{"__gc", made_gc}, {NULL, NULL}};
    static const luaL_Reg from_methods[] = {
        {"join", f_join}, {"outerjoin", f_outerjoin}, {"alias", f_alias},
        {"select", from_select}, {"compile", l_node_compile}, {NULL, NULL}};
    static const luaL_Reg select_methods[] = {
        {"where", s_where},           {"filter", s_where},
        {"having", s_having},         {"order_by", s_order_by},
        {"group_by", s_group_by},     {"limit", s_limit},
        {"offset", s_offset},         {"distinct", s_distinct},
        {"select_from", s_select_from}, {"correlate", s_correlate},
        {"with_for_update", s_for_update}, {"apply_labels", s_apply_labels},
        {"add_columns", s_add_columns}, {"column", s_add_columns},
        {"with_only_columns", s_with_only}, {"subquery", s_subquery},
        {"alias", s_subquery},        {"scalar_subquery", s_scalar},
        {"as_scalar", s_scalar},      {"label", s_label},
        {"exists", s_exists},         {"union", f_union},
        {"union_all", f_union_all},   {"intersect", f_intersect},
        {"intersect_all", f_intersect_all}, {"except_", f_except},
        {"except_all", f_except_all}, {"compile", l_node_compile},
        {NULL, NULL}};
    static const luaL_Reg dml_methods[] = {
        {"values", d_values}, {"where", d_where}, {"returning", d_returning},
        {"from_select", d_from_select}, {"compile", l_node_compile}, {NULL, NULL}};
    static const luaL_Reg column_meta[] = {
        {"__index", columns_index}, {"__len", columns_len},
        {"__tostring", columns_tostring}, {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"select", f_select},       {"join", f_join},          {"outerjoin", f_outerjoin},
        {"alias", f_alias},         {"exists", f_exists},      {"union", f_union},
        {"union_all", f_union_all}, {"intersect", f_intersect},
        {"intersect_all", f_intersect_all}, {"except_", f_except},
        {"except_all", f_except_all}, {"insert", f_insert},    {"update", f_update},
        {"delete", f_delete},       {NULL, NULL}};
    new_node_class(L, L_FROM, from_methods, from_index);
    new_node_class(L, L_SELECT, select_methods, select_index);
    new_node_class(L, L_DML, dml_methods, method_index);
    l_new_class(L, L_MADE, made_meta, NULL);
    lua_pop(L, 1);
    luaL_newmetatable(L, L_COLUMNS);
    lua_pushvalue(L, -1);
    luaL_setfuncs(L, column_meta, 1);
    lua_pop(L, 1);
    lua_pushvalue(L, module);
    luaL_setfuncs(L, funcs, 0);
    lua_getglobal(L, "select");              /* Lua's select, for f_select */
    lua_pushcclosure(L, f_select, 1);
    lua_setfield(L, -2, "select");
    lua_pop(L, 1);
}
