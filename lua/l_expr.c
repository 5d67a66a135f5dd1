/* l_expr.c: column expressions in Lua.
 *
 * Every node reaches Lua through l_push_node, which gives each node one Lua
 * object (a weak registry map keyed by the node pointer), so `users.c.id` is
 * the same object each time and can key tables.  Column expressions get the
 * operators of DESIGN §2: comparison methods (eq, lt, like, in_, ...), the
 * arithmetic metamethods, `&`, `|` and `~` for AND, OR and NOT, and `..` for
 * concatenation; `<` and `<=` raise an error naming the method to use.  Plain
 * Lua values used where an expression is needed become bound parameters typed
 * like the other side.  Statements (select, insert, ...) are in l_select.c. */
#include <string.h>

#include "l_common.h"

#define L_NODES "retort.nodes"          /* registry: weak map node -> object */

/* === node objects === */

static const char *meta_for(rt_node_kind k)
{
    switch (k) {
    case RT_NODE_TEXT: return L_TEXT;
    case RT_NODE_ALIAS:
    case RT_NODE_JOIN: return L_FROM;
    case RT_NODE_SELECT:
    case RT_NODE_COMPOUND: return L_SELECT;
    case RT_NODE_INSERT:
    case RT_NODE_UPDATE:
    case RT_NODE_DELETE: return L_DML;
    default: return k >= RT_NODE_CREATE_TABLE ? L_DML : L_EXPR;
    }
}

void l_push_node(lua_State *L, rt_node *n)
{
    if (rt_node_kind_of(n) == RT_NODE_TABLE) {
        l_push_table(L, rt_table_of(n));
        rt_node_release(n);
        return;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, L_NODES);
    /* a node nothing else references yet (just made) has no object */
    if (rt_node_shared(n)) {
        if (lua_rawgetp(L, -1, n) != LUA_TNIL) {   /* the node's object exists */
            lua_remove(L, -2);
            rt_node_release(n);
            return;
        }
        lua_pop(L, 1);
    }
    l_node *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->n = n;
    luaL_setmetatable(L, meta_for(rt_node_kind_of(n)));
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, n);
    lua_remove(L, -2);
}

/* Pushes a constructor's result, or raises its error. */
int l_push_result(lua_State *L, rt_node *n, rt_error *err)
{
    if (!n)
        return l_raise(L, err, 0);
    l_push_node(L, n);
    return 1;
}

int l_node_gc(lua_State *L)
{
    l_node *u = lua_touserdata(L, 1);
    if (u) {
        rt_node_release(u->n);
        u->n = NULL;
    }
    return 0;
}

int l_node_tostring(lua_State *L)
{
    rt_compiled *cp;
    rt_error err;
    rt_node *n = l_to_node(L, 1);
    rt_error_init(&err);
    if (rt_compile(n, rt_dialect_default(), &cp, &err) < 0)
        return l_raise(L, &err, 0);
    lua_pushstring(L, cp->sql);
    rt_compiled_release(cp);
    return 1;
}

/* stmt:compile([engine | dialect name]) -> a Compiled object: tostring() is
 * the SQL for that dialect, .params the parameter names in order */
int l_node_compile(lua_State *L)
{
    rt_node *n = l_to_node(L, 1);
    const rt_dialect *d = rt_dialect_default();
    rt_error err;
    if (lua_type(L, 2) == LUA_TSTRING) {
        d = rt_dialect_by_name(lua_tostring(L, 2));
        if (!d)
            return luaL_argerror(L, 2, "unknown dialect (sqlite, postgresql or default)");
    } else if (!lua_isnoneornil(L, 2)) {
        d = rt_engine_dialect(l_check_engine(L, 2)->e);
    }
    rt_compiled **holder = lua_newuserdatauv(L, sizeof *holder, 0);
    *holder = NULL;
    luaL_setmetatable(L, "retort.Compiled");
    rt_error_init(&err);
    if (rt_compile(n, d, holder, &err) < 0)
        return l_raise(L, &err, 0);
    return 1;
}

/* === from Lua values to expressions === */

/* l_to_expr for the value at idx, whose node (or NULL) u the caller found. */
static rt_node *to_expr(lua_State *L, int idx, l_node *u, const rt_sqltype *hint)
{
    rt_value v;
    rt_error err;
    if (u) {
        if (!rt_node_is_expr(u->n))
            luaL_argerror(L, idx, "a column expression expected, got a statement or "
                                  "table (use :scalar_subquery() for a select)");
        return u->n;
    }
    rt_error_init(&err);
    rt_node *n;
    if (lua_isnil(L, idx) || l_is_null(L, idx))
        n = rt_null_new(&err);
    else if (l_to_value(L, idx, &v) == 0)
        n = rt_bind_new(NULL, &v, (rt_sqltype *)hint, &err);
    else
        return (luaL_argerror(L, idx, lua_pushfstring(L, "an SQL expression or a value "
                                                         "expected, got %s",
                                                      luaL_typename(L, idx))),
                NULL);
    l_push_result(L, n, &err);
    lua_replace(L, idx);
    return n;
}

rt_node *l_to_expr(lua_State *L, int idx, const rt_sqltype *hint)
{
    idx = lua_absindex(L, idx);
    return to_expr(L, idx, l_test_node(L, idx), hint);
}

rt_node *l_to_from(lua_State *L, int idx)
{
    l_node *u = l_test_node(L, idx);
    if (!u || !rt_node_is_from(u->n))
        luaL_argerror(L, idx, lua_pushfstring(L, "a table, alias, join or subquery "
                                                 "expected, got %s",
                                              luaL_typename(L, idx)));
    return u->n;
}

/* The expression object at idx, which must be a node (self of a method). */
static l_node *check_expr_object(lua_State *L, int idx)
{
    l_node *u = l_test_node(L, idx);
    if (!u || !rt_node_is_expr(u->n))
        luaL_argerror(L, idx, "a column expression expected");
    return u;
}

static rt_node *check_expr(lua_State *L, int idx) { return check_expr_object(L, idx)->n; }

/* === operators === */

/* An operand of a binary operator: its node object u (found by the caller),
 * or a plain Lua value, converted into *v (*isnull: nil or null).  Raises
 * for anything else, as to_expr does, before anything is made. */
static void check_operand(lua_State *L, int idx, const l_node *u, rt_value *v, int *isnull)
{
    if (u) {
        if (!rt_node_is_expr(u->n))
            luaL_argerror(L, idx, "a column expression expected, got a statement or "
                                  "table (use :scalar_subquery() for a select)");
        return;
    }
    *isnull = lua_isnil(L, idx) || l_is_null(L, idx);
    if (!*isnull && l_to_value(L, idx, v) != 0)
        luaL_argerror(L, idx, lua_pushfstring(L, "an SQL expression or a value expected, got %s",
                                              luaL_typename(L, idx)));
}

/* The node of a plain operand (a bind typed like the other side, or NULL),
 * with no Lua object: only the operator node reaches Lua, so the caller
 * releases it once the operator holds it.  NULL with err set on failure. */
static rt_node *operand_node(const l_node *u, const rt_value *v, int isnull,
                             const l_node *other, rt_error *err)
{
    if (u)
        return rt_node_retain(u->n);
    if (isnull)
        return rt_null_new(err);
    const rt_sqltype *hint = other ? rt_expr_type(other->n) : NULL;
    return rt_bind_new(NULL, v, (rt_sqltype *)hint, err);
}

/* left op right, for the operands at li and ri whose node objects (or NULL:
 * plain values) lu and ru are. */
static int binary_of(lua_State *L, rt_binop op, int li, const l_node *lu, int ri,
                     const l_node *ru)
{
    rt_error err;
    rt_value lv, rv;
    int lnull = 0, rnull = 0;
    check_operand(L, li, lu, &lv, &lnull);
    check_operand(L, ri, ru, &rv, &rnull);
    /* nothing raises from here until the result is pushed */
    rt_error_init(&err);
    if (lu && !ru && !rnull)     /* col OP value, the usual: the bind made once */
        return l_push_result(L, rt_binary_value_new(lu->n, op, &rv, &err), &err);
    rt_node *left = operand_node(lu, &lv, lnull, ru, &err);
    rt_node *right = left ? operand_node(ru, &rv, rnull, lu, &err) : NULL;
    rt_node *n = right ? rt_binary_new(left, op, right, NULL, &err) : NULL;
    rt_node_release(left);
    rt_node_release(right);
    return l_push_result(L, n, &err);
}

static int binary(lua_State *L, rt_binop op, int li, int ri)
{
    li = lua_absindex(L, li);
    ri = lua_absindex(L, ri);
    return binary_of(L, op, li, l_test_node(L, li), ri, l_test_node(L, ri));
}

/* self:eq(v) / self:ne(v): self must be an expression; nil and null compare
 * with IS / IS NOT. */
static int equality(lua_State *L, rt_binop op, rt_binop null_op)
{
    l_node *self = check_expr_object(L, 1);
    lua_settop(L, 2);
    int isnull = lua_isnil(L, 2) || l_is_null(L, 2);
    return binary_of(L, isnull ? null_op : op, 1, self, 2, l_test_node(L, 2));
}

static int op_eq(lua_State *L) { return equality(L, RT_OP_EQ, RT_OP_IS); }
static int op_ne(lua_State *L) { return equality(L, RT_OP_NE, RT_OP_IS_NOT); }

#define BINOP(fname, op)                                                              \
    static int fname(lua_State *L)                                                    \
    {                                                                                 \
        lua_settop(L, 2);                                                             \
        return binary(L, op, 1, 2);                                                   \
    }
BINOP(op_lt, RT_OP_LT)
BINOP(op_le, RT_OP_LE)
BINOP(op_gt, RT_OP_GT)
BINOP(op_ge, RT_OP_GE)
BINOP(op_add, RT_OP_ADD)
BINOP(op_sub, RT_OP_SUB)
BINOP(op_mul, RT_OP_MUL)
BINOP(op_div, RT_OP_DIV)
BINOP(op_mod, RT_OP_MOD)
BINOP(op_concat, RT_OP_CONCAT)
BINOP(op_like, RT_OP_LIKE)
BINOP(op_notlike, RT_OP_NOT_LIKE)
BINOP(op_ilike, RT_OP_ILIKE)
BINOP(op_notilike, RT_OP_NOT_ILIKE)
BINOP(op_is, RT_OP_IS)
BINOP(op_isnot, RT_OP_IS_NOT)
BINOP(op_match, RT_OP_MATCH)

static int list_op(lua_State *L, rt_listop op, int first, int last)
{
    rt_error err;
    int n = last - first + 1;
    rt_node **items = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *items, 0);
    for (int i = 0; i < n; i++)
        items[i] = l_to_expr(L, first + i, NULL);
    rt_error_init(&err);
    return l_push_result(L, rt_list_new(op, items, (size_t)n, &err), &err);
}

static int op_band(lua_State *L) { lua_settop(L, 2); return list_op(L, RT_LIST_AND, 1, 2); }
static int op_bor(lua_State *L) { lua_settop(L, 2); return list_op(L, RT_LIST_OR, 1, 2); }

static int unary(lua_State *L, rt_unop op)
{
    rt_error err;
    rt_node *e = l_to_expr(L, 1, NULL);
    rt_error_init(&err);
    return l_push_result(L, rt_unary_new(op, e, &err), &err);
}

static int op_not(lua_State *L) { return unary(L, RT_UOP_NOT); }
static int op_neg(lua_State *L) { return unary(L, RT_UOP_NEG); }
static int op_asc(lua_State *L) { return unary(L, RT_UOP_ASC); }
static int op_desc(lua_State *L) { return unary(L, RT_UOP_DESC); }
static int op_distinct(lua_State *L) { return unary(L, RT_UOP_DISTINCT); }
static int op_nullsfirst(lua_State *L) { return unary(L, RT_UOP_NULLS_FIRST); }
static int op_nullslast(lua_State *L) { return unary(L, RT_UOP_NULLS_LAST); }

static int op_compare_error(lua_State *L)
{
    return luaL_error(L, "SQL expressions cannot be compared with '<' or '<=' in Lua: "
                         "use a:lt(b), a:le(b), a:gt(b) or a:ge(b)");
}

/* in_({values...}) or in_(select) */
static int in_op(lua_State *L, rt_binop op)
{
    rt_error err;
    rt_node *left = check_expr(L, 1);
    lua_settop(L, 2);
    l_node *u = l_test_node(L, 2);
    rt_node *right;
    rt_error_init(&err);
    if (u) {
        right = u->n;
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        int n = (int)lua_rawlen(L, 2);
        rt_node **items = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *items, 0);
        lua_createtable(L, n, 0);          /* anchors the objects made for the values */
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, 2, i + 1);
            items[i] = l_to_expr(L, -1, rt_expr_type(left));
            lua_rawseti(L, -2, i + 1);
        }
        right = rt_list_new(RT_LIST_COMMA, items, (size_t)n, &err);
        if (!right)
            return l_raise(L, &err, 0);
        l_push_node(L, right);
    }
    return l_push_result(L, rt_binary_new(left, op, right, NULL, &err), &err);
}

static int op_in(lua_State *L) { return in_op(L, RT_OP_IN); }
static int op_notin(lua_State *L) { return in_op(L, RT_OP_NOT_IN); }

static int op_between(lua_State *L)
{
    rt_error err;
    rt_node *left = check_expr(L, 1);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    lua_settop(L, 3);
    rt_node *items[2] = {l_to_expr(L, 2, rt_expr_type(left)),
                         l_to_expr(L, 3, rt_expr_type(left))};
    rt_error_init(&err);
    rt_node *range = rt_list_new(RT_LIST_COMMA, items, 2, &err);
    if (!range)
        return l_raise(L, &err, 0);
    l_push_node(L, range);
    return l_push_result(L, rt_binary_new(left, RT_OP_BETWEEN, range, NULL, &err), &err);
}

/* startswith / endswith / contains: LIKE with '%' concatenated in SQL, so the
 * value itself stays a bound parameter. */
static int like_pattern(lua_State *L, int before, int after)
{
    rt_error err;
    rt_node *left = check_expr(L, 1);
    lua_settop(L, 2);
    rt_node *pat = l_to_expr(L, 2, rt_expr_type(left));
    rt_error_init(&err);
    rt_node *pct = rt_literal_column_new("'%'", NULL, &err);
    if (!pct)
        return l_raise(L, &err, 0);
    l_push_node(L, pct);
    if (before) {
        l_push_result(L, rt_binary_new(pct, RT_OP_CONCAT, pat, NULL, &err), &err);
        pat = l_test_node(L, -1)->n;
    }
    if (after) {
        l_push_result(L, rt_binary_new(pat, RT_OP_CONCAT, pct, NULL, &err), &err);
        pat = l_test_node(L, -1)->n;
    }
    return l_push_result(L, rt_binary_new(left, RT_OP_LIKE, pat, NULL, &err), &err);
}

static int op_startswith(lua_State *L) { return like_pattern(L, 0, 1); }
static int op_endswith(lua_State *L) { return like_pattern(L, 1, 0); }
static int op_contains(lua_State *L) { return like_pattern(L, 1, 1); }

static int custom_apply(lua_State *L)
{
    rt_error err;
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));           /* 2: the left side */
    rt_node *left = l_to_expr(L, 2, NULL);
    rt_node *right = l_to_expr(L, 1, rt_expr_type(left));
    rt_error_init(&err);
    return l_push_result(L, rt_binary_new(left, RT_OP_CUSTOM, right,
                                          lua_tostring(L, lua_upvalueindex(2)), &err),
                         &err);
}

/* a:op("||")(b) */
static int op_custom(lua_State *L)
{
    check_expr(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_pushcclosure(L, custom_apply, 2);
    return 1;
}

static int op_label(lua_State *L)
{
    rt_error err;
    rt_node *e = check_expr(L, 1);
    const char *name = luaL_optstring(L, 2, NULL);
    rt_error_init(&err);
    return l_push_result(L, rt_label_new(e, name, &err), &err);
}

static int op_cast(lua_State *L)
{
    rt_error err;
    rt_node *e = l_to_expr(L, 1, NULL);
    rt_sqltype *t = l_to_type(L, 2);
    rt_error_init(&err);
    return l_push_result(L, rt_cast_new(e, t, &err), &err);
}

/* exists():where(...), and select_from, correlate: the select's method
 * applied to the select inside, wrapped in a new EXISTS (upvalue: the name). */
static int exists_method(lua_State *L)
{
    rt_error err;
    rt_node *s = rt_exists_select(check_expr(L, 1));
    if (!s)
        return luaL_argerror(L, 1, "an EXISTS expected");
    l_push_node(L, rt_node_retain(s));
    lua_replace(L, 1);
    lua_getfield(L, 1, lua_tostring(L, lua_upvalueindex(1)));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    l_node *u = l_test_node(L, -1);
    if (!u || (rt_node_kind_of(u->n) != RT_NODE_SELECT && rt_node_kind_of(u->n) != RT_NODE_COMPOUND))
        return luaL_error(L, "exists(): the select's method gave no select");
    rt_error_init(&err);
    return l_push_result(L, rt_exists_new(u->n, &err), &err);
}

/* upvalue 1: the methods, looked up first (each method checks its self) */
static int expr_index(lua_State *L)
{
    if (l_index_method(L, 1))
        return 1;
    rt_node *n = check_expr(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) {
        const char *k = lua_tostring(L, 2);
        rt_column *c = rt_column_of(n);
        if (c && l_column_schema_index(L, c, k))
            return 1;
        if (strcmp(k, "type") == 0) {
            const rt_sqltype *t = rt_expr_type(n);
            if (!t)
                return 0;
            return l_push_type(L, (rt_sqltype *)t);
        }
        if (rt_exists_select(n) && (strcmp(k, "where") == 0 || strcmp(k, "select_from") == 0 ||
                                    strcmp(k, "correlate") == 0)) {
            lua_pushcclosure(L, exists_method, 1);
            return 1;
        }
        if (strcmp(k, "table") == 0 && rt_column_from(n)) {
            l_push_node(L, rt_node_retain(rt_column_from(n)));
            return 1;
        }
        if (strcmp(k, "key") == 0 || strcmp(k, "name") == 0) {
            /* a subquery's column or a label: the name it is known by */
            const char *key = rt_expr_key(n);
            if (!key)
                return 0;
            lua_pushstring(L, key);
            return 1;
        }
    }
    return luaL_error(L, "SQL expression has no attribute '%s'", luaL_tolstring(L, 2, NULL));
}

/* === module functions === */

static int f_and(lua_State *L) { return list_op(L, RT_LIST_AND, 1, lua_gettop(L)); }
static int f_or(lua_State *L) { return list_op(L, RT_LIST_OR, 1, lua_gettop(L)); }

static int f_literal(lua_State *L)
{
    rt_value v;
    rt_error err;
    luaL_checkany(L, 1);
    rt_sqltype *t = lua_isnoneornil(L, 2) ? NULL : l_to_type(L, 2);
    if (l_to_value(L, 1, &v) < 0)
        return luaL_argerror(L, 1, "a number, string, boolean or null expected");
    rt_error_init(&err);
    return l_push_result(L, rt_bind_new(NULL, &v, t, &err), &err);
}

static int f_literal_column(lua_State *L)
{
    rt_error err;
    const char *text = luaL_checkstring(L, 1);
    rt_sqltype *t = lua_isnoneornil(L, 2) ? NULL : l_to_type(L, 2);
    rt_error_init(&err);
    return l_push_result(L, rt_literal_column_new(text, t, &err), &err);
}

/* bindparam(key [, value] [, type]) or bindparam(key, {value =, type =}) */
static int f_bindparam(lua_State *L)
{
    rt_value v;
    rt_error err;
    const char *key = luaL_checkstring(L, 1);
    rt_sqltype *t = NULL;
    int has_value = 0;
    lua_settop(L, 3);
    if (lua_istable(L, 2) && !l_is_null(L, 2) && !l_test_node(L, 2)) {
        if (lua_getfield(L, 2, "type") != LUA_TNIL)
            t = l_to_type(L, -1);
        if (lua_getfield(L, 2, "value") != LUA_TNIL) {
            lua_replace(L, 3);
            has_value = 3;
        }
    } else {
        if (!lua_isnil(L, 3))
            t = l_to_type(L, 3);
        if (!lua_isnil(L, 2))
            has_value = 2;
    }
    if (has_value && l_to_value(L, has_value, &v) < 0)
        return luaL_argerror(L, 2, "a value expected");
    rt_error_init(&err);
    return l_push_result(L, rt_bind_new(key, has_value ? &v : NULL, t, &err), &err);
}

/* compile_count(): how many compilations have run in this process (tests
 * read it to see that the statement caches work) */
static int f_compile_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)rt_compile_count());
    return 1;
}

static int f_true(lua_State *L)
{
    rt_error err;
    rt_error_init(&err);
    return l_push_result(L, rt_bool_new(1, &err), &err);
}

static int f_false(lua_State *L)
{
    rt_error err;
    rt_error_init(&err);
    return l_push_result(L, rt_bool_new(0, &err), &err);
}

/* case({{cond, value}, ...}, {value = x, else_ = y}) */
static int f_case(lua_State *L)
{
    rt_error err;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    int n = (int)lua_rawlen(L, 1);
    rt_node **nodes = lua_newuserdatauv(L, (size_t)(2 * n + 1) * sizeof *nodes, 0);
    lua_createtable(L, 2 * n, 0);        /* anchors the objects made for values */
    int anchor = lua_gettop(L);
    for (int i = 0; i < n; i++) {
        if (lua_rawgeti(L, 1, i + 1) != LUA_TTABLE || lua_rawlen(L, -1) != 2)
            return luaL_argerror(L, 1, "each WHEN must be a {condition, value} pair "
                                       "(use null for NULL)");
        lua_rawgeti(L, -1, 1);
        nodes[i] = l_to_expr(L, -1, NULL);
        lua_rawseti(L, anchor, 2 * i + 1);
        lua_rawgeti(L, -1, 2);
        nodes[n + i] = l_to_expr(L, -1, NULL);
        lua_rawseti(L, anchor, 2 * i + 2);
        lua_pop(L, 1);
    }
    rt_node *value = NULL, *else_ = NULL;
    if (lua_istable(L, 2)) {
        if (lua_getfield(L, 2, "value") != LUA_TNIL)
            value = l_to_expr(L, -1, NULL);
        if (lua_getfield(L, 2, "else_") != LUA_TNIL)
            else_ = l_to_expr(L, -1, NULL);
    }
    rt_error_init(&err);
    return l_push_result(L, rt_case_new(nodes, nodes + n, (size_t)n, value, else_, &err), &err);
}

static int f_extract(lua_State *L)
{
    rt_error err;
    const char *field = luaL_checkstring(L, 1);
    rt_node *e = l_to_expr(L, 2, NULL);
    rt_error_init(&err);
    return l_push_result(L, rt_extract_new(field, e, &err), &err);
}

/* func.name(args...): func.<name> is a generator whose call builds the node;
 * func.a.b gives the dotted name a.b */
static int funcgen_call(lua_State *L)
{
    rt_error err;
    lua_getfield(L, 1, "name");
    const char *name = lua_tostring(L, -1);
    lua_pop(L, 1);
    int n = lua_gettop(L) - 1;
    rt_node **args = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *args, 0);
    for (int i = 0; i < n; i++)
        args[i] = l_to_expr(L, i + 2, NULL);
    rt_error_init(&err);
    return l_push_result(L, rt_func_new(name, args, (size_t)n, NULL, &err), &err);
}

static void push_funcgen(lua_State *L, const char *name)
{
    lua_createtable(L, 0, 1);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    luaL_setmetatable(L, "retort.FunctionGenerator");
}

static int funcgen_index(lua_State *L)
{
    lua_getfield(L, 1, "name");
    const char *k = luaL_checkstring(L, 2);
    lua_pushfstring(L, "%s.%s", lua_tostring(L, -1), k);
    push_funcgen(L, lua_tostring(L, -1));
    return 1;
}

static int func_index(lua_State *L)
{
    const char *k = luaL_checkstring(L, 2);
    if (k[0] == '_')
        return 0;
    push_funcgen(L, k);
    return 1;
}

void l_open_expr(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {
        {"__gc", l_node_gc},         {"__tostring", l_node_tostring}, {"__index", expr_index},
        {"__add", op_add},         {"__sub", op_sub},             {"__mul", op_mul},
        {"__div", op_div},         {"__mod", op_mod},             {"__concat", op_concat},
        {"__unm", op_neg},         {"__band", op_band},           {"__bor", op_bor},
        {"__bnot", op_not},        {"__lt", op_compare_error},    {"__le", op_compare_error},
        {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"eq", op_eq},           {"ne", op_ne},           {"lt", op_lt},
        {"le", op_le},           {"gt", op_gt},           {"ge", op_ge},
        {"like", op_like},       {"notlike", op_notlike}, {"not_like", op_notlike},
        {"ilike", op_ilike},     {"notilike", op_notilike}, {"not_ilike", op_notilike},
        {"in_", op_in},          {"notin_", op_notin},    {"not_in", op_notin},
        {"between", op_between}, {"is_", op_is},          {"isnot", op_isnot},
        {"is_not", op_isnot},    {"startswith", op_startswith}, {"endswith", op_endswith},
        {"contains", op_contains}, {"match", op_match},   {"concat", op_concat},
        {"op", op_custom},       {"asc", op_asc},         {"desc", op_desc},
        {"distinct", op_distinct}, {"nullsfirst", op_nullsfirst},
        {"nullslast", op_nullslast}, {"label", op_label}, {"cast", op_cast},
        {"compile", l_node_compile}, {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"and_", f_and},           {"or_", f_or},         {"not_", op_not},
        {"literal", f_literal},    {"literal_column", f_literal_column},
        {"bindparam", f_bindparam}, {"true_", f_true},    {"false_", f_false},
        {"case", f_case},          {"cast", op_cast},     {"extract", f_extract},
        {"asc", op_asc},           {"desc", op_desc},     {"distinct", op_distinct},
        {"compile_count", f_compile_count}, {NULL, NULL}};
    static const luaL_Reg gen_meta[] = {
        {"__call", funcgen_call}, {"__index", funcgen_index}, {NULL, NULL}};
    lua_newtable(L);                       /* node -> object, weak values */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, L_NODES);
    l_new_class(L, L_EXPR, meta, methods);
    lua_getfield(L, -1, "__methods");
    lua_pushcclosure(L, expr_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__rt_node");
    lua_pop(L, 1);
    l_new_class(L, "retort.FunctionGenerator", gen_meta, NULL);
    lua_pop(L, 1);
    luaL_setfuncs(L, funcs, 0);            /* into the module table (on top) */
    lua_newtable(L);                       /* func */
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, func_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, module, "func");
}
