/* l_schema.c: Column objects and the schema properties of columns.
 *
 * Column(name, type, ForeignKey(...), Sequence(...), {options}) makes a
 * detached rt_column owned by the object.  When a Table takes it, the object
 * keeps pointing at it (no longer owning it) and at the table's column
 * expression, to which every other use is forwarded: methods, operators,
 * select(col).  l_column_schema_index serves the schema properties (name,
 * type, nullable, foreign_keys, ...) both here and for the expression
 * objects of core/sql.  Defaults are stored as the core describes
 * (rt_default): scalars by value, Lua functions as registry references,
 * SQL expressions as node references; l_default_value gives them back to
 * the execution path.  Constraints and indexes are in l_constraint.c.
 * l_open_schema registers everything of the schema binding (l_types.c,
 * l_constraint.c, l_metadata.c, l_inspect.c). */
#include <string.h>

#include "l_schema_int.h"

l_column *l_test_column(lua_State *L, int idx)
{
    l_column *u = luaL_testudata(L, idx, L_COLUMN);
    return u && u->c ? u : NULL;
}

rt_node *l_test_any_node(lua_State *L, int idx)
{
    l_node *u = lua_touserdata(L, idx);
    if (!u || !lua_getmetatable(L, idx))
        return NULL;
    int is_node = lua_getfield(L, -1, "__rt_node") == LUA_TBOOLEAN;
    lua_pop(L, 2);
    return is_node ? u->n : NULL;
}

rt_column *l_to_column(lua_State *L, int idx)
{
    l_column *u = l_test_column(L, idx);
    if (u)
        return u->c;
    rt_node *n = l_test_any_node(L, idx);
    rt_column *c = n ? rt_column_of(n) : NULL;
    if (!c)
        luaL_argerror(L, idx, lua_pushfstring(L, "a table column expected, got %s",
                                              luaL_typename(L, idx)));
    return c;
}

unsigned long l_column_order(lua_State *L, int idx)
{
    l_column *u = luaL_testudata(L, idx, L_COLUMN);
    return u ? u->order : 0;
}

void l_push_column_object(lua_State *L, rt_column *c)
{
    rt_error err;
    rt_error_init(&err);
    rt_node *tn = rt_table_node(c->table, &err);
    rt_node *col = tn ? rt_from_column_by_key(tn, c->key, &err) : NULL;
    rt_node_release(tn);
    if (!col)
        l_raise(L, &err, 0);
    l_push_node(L, col);
}

void l_column_attached(lua_State *L, int col_idx)
{
    l_column *u = lua_touserdata(L, col_idx);
    rt_error err;
    rt_error_init(&err);
    u->owned = 0;
    l_push_table(L, u->c->table);
    lua_setiuservalue(L, col_idx, 1);
    rt_node *tn = rt_table_node(u->c->table, &err);
    u->n = tn ? rt_from_column_by_key(tn, u->c->key, &err) : NULL;
    rt_node_release(tn);
    if (!u->n)
        l_raise(L, &err, 0);
}

/* === defaults === */

static void *main_state(lua_State *L)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    void *ctx = lua_tothread(L, -1);
    lua_pop(L, 1);
    return ctx;
}

/* default/onupdate: a value, a Lua function or an SQL expression. */
static void set_default(lua_State *L, int idx, rt_default *d, const char *key)
{
    rt_value v;
    rt_node *n = l_test_any_node(L, idx);
    if (lua_isnil(L, idx) || l_is_null(L, idx))
        return;
    if (lua_isfunction(L, idx)) {
        rt_default_clear(d);
        lua_pushvalue(L, idx);
        d->ref = luaL_ref(L, LUA_REGISTRYINDEX);
        d->ref_ctx = main_state(L);
        d->kind = RT_DEFAULT_CALLABLE;
    } else if (n) {
        rt_default_clear(d);
        rt_exprref_set_node(&d->expr, n);
        d->kind = RT_DEFAULT_EXPR;
    } else if (lua_type(L, idx) != LUA_TTABLE && lua_type(L, idx) != LUA_TUSERDATA &&
               l_to_value(L, idx, &v) == 0) {
        if (rt_default_set_scalar(d, &v) < 0)
            luaL_error(L, "not enough memory");
    } else {
        luaL_error(L, "Column: option '%s' must be a value, a function or an SQL "
                      "expression, not %s", key, luaL_typename(L, idx));
    }
}

/* server_default: a string (a quoted literal in DDL), text() or an SQL
 * expression. */
static void set_server_default(lua_State *L, int idx, rt_default *d)
{
    rt_node *n = l_test_any_node(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING) {
        if (rt_default_set_text(d, lua_tostring(L, idx)) < 0)
            luaL_error(L, "not enough memory");
    } else if (n) {
        rt_default_clear(d);
        rt_exprref_set_node(&d->expr, n);
        d->kind = RT_DEFAULT_EXPR;
    } else if (!lua_isnil(L, idx)) {
        luaL_error(L, "Column: option 'server_default' must be a string, text() or an SQL "
                      "expression, not %s", luaL_typename(L, idx));
    }
}

int l_default_value(lua_State *L, const rt_default *d, int params_idx, const char *column)
{
    params_idx = params_idx ? lua_absindex(L, params_idx) : 0;
    switch (d->kind) {
    case RT_DEFAULT_SCALAR:
        l_push_value(L, &d->value);
        return 1;
    case RT_DEFAULT_EXPR:
        l_push_node(L, rt_node_retain(d->expr.node));
        return 1;
    case RT_DEFAULT_CALLABLE:
        lua_rawgeti(L, LUA_REGISTRYINDEX, d->ref);
        lua_createtable(L, 0, 2);
        if (params_idx && lua_istable(L, params_idx))
            lua_pushvalue(L, params_idx);
        else
            lua_newtable(L);
        lua_setfield(L, -2, "current_parameters");
        lua_pushstring(L, column);
        lua_setfield(L, -2, "column");
        lua_call(L, 1, 1);
        return 1;
    default:
        return 0;
    }
}

/* A description of a default: {arg = ..., is_scalar, is_callable,
 * is_clause_element}, or nil. */
static void push_default(lua_State *L, const rt_default *d)
{
    if (d->kind == RT_DEFAULT_NONE) {
        lua_pushnil(L);
        return;
    }
    lua_createtable(L, 0, 4);
    switch (d->kind) {
    case RT_DEFAULT_SCALAR: l_push_value(L, &d->value); break;
    case RT_DEFAULT_TEXT: lua_pushstring(L, d->text); break;
    case RT_DEFAULT_EXPR: l_push_node(L, rt_node_retain(d->expr.node)); break;
    default: lua_rawgeti(L, LUA_REGISTRYINDEX, d->ref); break;
    }
    lua_setfield(L, -2, "arg");
    lua_pushboolean(L, d->kind == RT_DEFAULT_SCALAR || d->kind == RT_DEFAULT_TEXT);
    lua_setfield(L, -2, "is_scalar");
    lua_pushboolean(L, d->kind == RT_DEFAULT_CALLABLE);
    lua_setfield(L, -2, "is_callable");
    lua_pushboolean(L, d->kind == RT_DEFAULT_EXPR);
    lua_setfield(L, -2, "is_clause_element");
}

/* === schema properties === */

static int push_string_or_nil(lua_State *L, const char *s)
{
    if (s)
        lua_pushstring(L, s);
    else
        lua_pushnil(L);
    return 1;
}

static void push_sequence(lua_State *L, const rt_sequence *s)
{
    lua_createtable(L, 0, 6);
    lua_pushliteral(L, "Sequence");
    lua_setfield(L, -2, "__kind");
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    push_string_or_nil(L, s->schema);
    lua_setfield(L, -2, "schema");
    if (s->has_start) {
        lua_pushinteger(L, s->start);
        lua_setfield(L, -2, "start");
    }
    if (s->has_increment) {
        lua_pushinteger(L, s->increment);
        lua_setfield(L, -2, "increment");
    }
    lua_pushboolean(L, s->optional);
    lua_setfield(L, -2, "optional");
    luaL_setmetatable(L, L_SCHEMA_ITEM);
}

/* ForeignKey() specs of a detached column. */
static void push_pending_fks(lua_State *L, const rt_column *c)
{
    lua_createtable(L, (int)c->nfks, 0);
    for (size_t i = 0; i < c->nfks; i++) {
        lua_createtable(L, 0, 4);
        lua_pushliteral(L, "ForeignKey");
        lua_setfield(L, -2, "__kind");
        lua_pushstring(L, c->fks[i].target);
        lua_setfield(L, -2, "target");
        push_string_or_nil(L, c->fks[i].ondelete);
        lua_setfield(L, -2, "ondelete");
        push_string_or_nil(L, c->fks[i].onupdate);
        lua_setfield(L, -2, "onupdate");
        luaL_setmetatable(L, L_SCHEMA_ITEM);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static int push_bool(lua_State *L, int b)
{
    lua_pushboolean(L, b);
    return 1;
}

int l_column_schema_index(lua_State *L, const rt_column *c, const char *key)
{
    if (strcmp(key, "name") == 0)
        return push_string_or_nil(L, c->name);
    if (strcmp(key, "key") == 0)
        return push_string_or_nil(L, c->key);
    if (strcmp(key, "type") == 0) {
        const rt_sqltype *t = rt_column_type(c);
        if (!t)
            return lua_pushnil(L), 1;
        return l_push_type(L, (rt_sqltype *)t);
    }
    if (strcmp(key, "nullable") == 0)
        return push_bool(L, rt_column_nullable(c));
    if (strcmp(key, "primary_key") == 0)
        return push_bool(L, c->primary_key);
    if (strcmp(key, "unique") == 0)
        return push_bool(L, c->unique);
    if (strcmp(key, "index") == 0)
        return push_bool(L, c->index);
    if (strcmp(key, "autoincrement") == 0) {
        if (c->autoincrement == RT_AUTOINC_AUTO)
            lua_pushliteral(L, "auto");
        else
            lua_pushboolean(L, c->autoincrement == RT_AUTOINC_TRUE);
        return 1;
    }
    if (strcmp(key, "default") == 0 || strcmp(key, "onupdate") == 0 ||
        strcmp(key, "server_default") == 0) {
        push_default(L, key[0] == 'd' ? &c->default_ : key[0] == 'o' ? &c->onupdate
                                                                    : &c->server_default);
        return 1;
    }
    if (strcmp(key, "doc") == 0)
        return push_string_or_nil(L, c->doc);
    if (strcmp(key, "comment") == 0)
        return push_string_or_nil(L, c->comment);
    if (strcmp(key, "sequence") == 0) {
        if (c->sequence)
            push_sequence(L, c->sequence);
        else
            lua_pushnil(L);
        return 1;
    }
    if (strcmp(key, "table") == 0) {
        if (c->table)
            l_push_table(L, c->table);
        else
            lua_pushnil(L);
        return 1;
    }
    if (strcmp(key, "foreign_keys") == 0) {
        if (c->table)
            l_push_foreign_keys(L, c->table, c);
        else
            push_pending_fks(L, c);
        return 1;
    }
    return 0;
}

/* === Column objects === */

static l_column *check_column(lua_State *L, int idx)
{
    l_column *u = luaL_checkudata(L, idx, L_COLUMN);
    if (!u->c)
        luaL_error(L, "attempt to use a freed Column");
    return u;
}

static int column_gc(lua_State *L)
{
    l_column *u = luaL_checkudata(L, 1, L_COLUMN);
    if (u->owned)
        rt_column_free(u->c);
    rt_node_release(u->n);
    u->c = NULL;
    u->n = NULL;
    return 0;
}

/* Replaces the Column object at idx by its column expression; raises for a
 * column no table has taken yet. */
static void to_expression(lua_State *L, int idx)
{
    l_column *u = l_test_column(L, idx);
    if (!u)
        return;
    if (!u->n)
        luaL_error(L, "Column '%s' is not part of a Table yet", u->c->name ? u->c->name : "?");
    l_push_node(L, rt_node_retain(u->n));
    lua_replace(L, idx);
}

static int column_index(lua_State *L)
{
    l_column *u = check_column(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) {
        const char *k = lua_tostring(L, 2);
        if (l_column_schema_index(L, u->c, k))
            return 1;
        if (strcmp(k, "_creation_order") == 0) {
            lua_pushinteger(L, (lua_Integer)u->order);
            return 1;
        }
        lua_getmetatable(L, 1);
        if (lua_getfield(L, -1, "__methods") == LUA_TTABLE && lua_getfield(L, -1, k) != LUA_TNIL)
            return 1;
        lua_settop(L, 2);
    }
    if (!u->n) {
        /* an expression method on a column no table has taken: say so */
        luaL_getmetatable(L, L_EXPR);
        if (lua_istable(L, -1) && lua_getfield(L, -1, "__methods") == LUA_TTABLE &&
            lua_type(L, 2) == LUA_TSTRING && lua_getfield(L, -1, lua_tostring(L, 2)) != LUA_TNIL)
            return luaL_error(L, "Column '%s' is not part of a Table yet: '%s' needs a table's "
                                 "column", u->c->name ? u->c->name : "?", lua_tostring(L, 2));
        return 0;
    }
    to_expression(L, 1);   /* the column expression's methods take a Column as self */
    lua_gettable(L, 1);
    return 1;
}

static int column_newindex(lua_State *L)
{
    l_column *u = check_column(L, 1);
    const char *k = luaL_checkstring(L, 2);
    rt_error err;
    rt_error_init(&err);
    if (u->c->table)
        return luaL_error(L, "cannot set '%s' on a Column that belongs to a Table", k);
    if (strcmp(k, "name") == 0) {
        if (rt_column_set_name(u->c, luaL_checkstring(L, 3), &err) < 0)
            return l_raise(L, &err, 0);
    } else if (strcmp(k, "key") == 0) {
        if (rt_column_set_key(u->c, luaL_checkstring(L, 3), &err) < 0)
            return l_raise(L, &err, 0);
    } else if (strcmp(k, "doc") == 0) {
        char *doc = rt_strdup(luaL_checkstring(L, 3));
        rt_free(u->c->doc);
        u->c->doc = doc;
    } else {
        return luaL_error(L, "cannot set '%s' on a Column", k);
    }
    return 0;
}

static int column_tostring(lua_State *L)
{
    l_column *u = check_column(L, 1);
    if (u->c->table)
        lua_pushfstring(L, "%s.%s", u->c->table->name, u->c->name);
    else
        lua_pushfstring(L, "Column(%s)", u->c->name ? u->c->name : "");
    return 1;
}

/* Operators: on the column expression (a Column must belong to a table). */
static int column_arith(lua_State *L)
{
    int op = (int)lua_tointeger(L, lua_upvalueindex(1));
    int unary = op == LUA_OPUNM || op == LUA_OPBNOT;
    lua_settop(L, unary ? 1 : 2);
    to_expression(L, 1);
    if (!unary)
        to_expression(L, 2);
    lua_arith(L, op);
    return 1;
}

static int column_concat(lua_State *L)
{
    lua_settop(L, 2);
    to_expression(L, 1);
    to_expression(L, 2);
    lua_concat(L, 2);
    return 1;
}

static int column_compare(lua_State *L)
{
    int op = (int)lua_tointeger(L, lua_upvalueindex(1));
    lua_settop(L, 2);
    to_expression(L, 1);
    to_expression(L, 2);
    lua_pushboolean(L, lua_compare(L, 1, 2, op));
    return 1;
}

/* column:copy() -> a detached copy */
static int column_copy(lua_State *L)
{
    l_column *u = check_column(L, 1);
    rt_error err;
    rt_error_init(&err);
    l_column *nu = lua_newuserdatauv(L, sizeof *nu, 1);
    memset(nu, 0, sizeof *nu);
    luaL_setmetatable(L, L_COLUMN);
    nu->c = rt_column_copy(u->c, &err);
    if (!nu->c)
        return l_raise(L, &err, 0);
    nu->owned = 1;
    nu->order = u->order;
    return 1;
}

/* === Column(...) === */

static void column_flags(lua_State *L, int opts, rt_column *c)
{
    const char *fn = "Column";
    c->primary_key = l_opt_boolean(L, opts, fn, "primary_key", 0);
    c->unique = l_opt_boolean(L, opts, fn, "unique", 0);
    c->index = l_opt_boolean(L, opts, fn, "index", 0);
    if (lua_getfield(L, opts, "nullable") != LUA_TNIL) {
        luaL_argexpected(L, lua_isboolean(L, -1), opts, "boolean 'nullable'");
        c->nullable = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, opts, "autoincrement") == LUA_TBOOLEAN)
        c->autoincrement = lua_toboolean(L, -1) ? RT_AUTOINC_TRUE : RT_AUTOINC_FALSE;
    else if (!lua_isnil(L, -1) && !(lua_type(L, -1) == LUA_TSTRING &&
                                     (strcmp(lua_tostring(L, -1), "auto") == 0 ||
                                      strcmp(lua_tostring(L, -1), "ignore_fk") == 0)))
        luaL_error(L, "Column: option 'autoincrement' must be true, false or \"auto\"");
    lua_pop(L, 1);
}

static void column_strings(lua_State *L, int opts, rt_column *c)
{
    static const char *const keys[] = {"key", "doc", "comment", NULL};
    rt_error err;
    rt_error_init(&err);
    for (int i = 0; keys[i]; i++) {
        if (lua_getfield(L, opts, keys[i]) == LUA_TNIL) {
            lua_pop(L, 1);
            continue;
        }
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "Column: option '%s' must be a string, not %s", keys[i],
                       luaL_typename(L, -1));
        const char *v = lua_tostring(L, -1);
        if (i == 0) {
            if (rt_column_set_key(c, v, &err) < 0)
                l_raise(L, &err, 0);
        } else {
            char *s = rt_strdup(v);
            char **slot = i == 1 ? &c->doc : &c->comment;
            rt_free(*slot);
            *slot = s;
        }
        lua_pop(L, 1);
    }
}

static void column_options(lua_State *L, int opts, rt_column *c)
{
    static const char *const known[] = {
        "primary_key", "nullable", "unique", "index", "default", "onupdate", "server_default",
        "server_onupdate", "autoincrement", "key", "doc", "comment", "name", "type_", "info",
        "quote", NULL};
    rt_error err;
    rt_error_init(&err);
    l_check_options(L, opts, "Column", known);
    if (lua_getfield(L, opts, "name") != LUA_TNIL &&
        rt_column_set_name(c, luaL_checkstring(L, -1), &err) < 0)
        l_raise(L, &err, 0);
    if (lua_getfield(L, opts, "type_") != LUA_TNIL) {
        rt_sqltype *t = l_to_type(L, -1);
        rt_type_release(c->type);
        c->type = rt_type_retain(t);
    }
    lua_pop(L, 2);
    column_flags(L, opts, c);
    column_strings(L, opts, c);
    lua_getfield(L, opts, "default");
    set_default(L, lua_gettop(L), &c->default_, "default");
    lua_getfield(L, opts, "onupdate");
    set_default(L, lua_gettop(L), &c->onupdate, "onupdate");
    lua_getfield(L, opts, "server_default");
    set_server_default(L, lua_gettop(L), &c->server_default);
    lua_pop(L, 3);
}

/* A ForeignKey or Sequence item given to Column(). */
static void column_item(lua_State *L, int idx, rt_column *c)
{
    const char *kind = l_item_kind(L, idx);
    rt_error err;
    rt_error_init(&err);
    if (kind && strcmp(kind, "ForeignKey") == 0) {
        rt_fk_options o = {0};
        lua_getfield(L, idx, "target");
        lua_getfield(L, idx, "name");
        lua_getfield(L, idx, "ondelete");
        lua_getfield(L, idx, "onupdate");
        o.name = lua_tostring(L, -3);
        o.ondelete = lua_tostring(L, -2);
        o.onupdate = lua_tostring(L, -1);
        o.use_alter = lua_getfield(L, idx, "use_alter") == LUA_TBOOLEAN && lua_toboolean(L, -1);
        o.deferrable = lua_getfield(L, idx, "deferrable") == LUA_TBOOLEAN && lua_toboolean(L, -1);
        o.initially_deferred = lua_getfield(L, idx, "initially_deferred") == LUA_TBOOLEAN &&
                               lua_toboolean(L, -1);
        if (rt_column_add_foreign_key(c, lua_tostring(L, -7), &o, &err) < 0)
            l_raise(L, &err, 0);
        lua_pop(L, 7);
    } else if (kind && strcmp(kind, "Sequence") == 0) {
        lua_getfield(L, idx, "name");
        lua_getfield(L, idx, "schema");
        rt_sequence *s = rt_sequence_new(lua_tostring(L, -2), lua_tostring(L, -1));
        if (!s)
            luaL_error(L, "not enough memory");
        rt_sequence_free(c->sequence);
        c->sequence = s;
        s->has_start = lua_getfield(L, idx, "start") == LUA_TNUMBER;
        s->start = s->has_start ? lua_tointeger(L, -1) : 1;
        s->has_increment = lua_getfield(L, idx, "increment") == LUA_TNUMBER;
        s->increment = s->has_increment ? lua_tointeger(L, -1) : 1;
        s->optional = lua_getfield(L, idx, "optional") == LUA_TBOOLEAN && lua_toboolean(L, -1);
        lua_pop(L, 5);
    } else {
        luaL_argerror(L, idx, lua_pushfstring(L, "Column: a ForeignKey, a Sequence or an option "
                                                 "table expected, got %s",
                                              kind ? kind : luaL_typename(L, idx)));
    }
}

static int l_column_new(lua_State *L)
{
    int top = lua_gettop(L), arg = 1;
    l_column *u = lua_newuserdatauv(L, sizeof *u, 1);
    memset(u, 0, sizeof *u);
    luaL_setmetatable(L, L_COLUMN);
    int self = lua_gettop(L);
    const char *name = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, arg++) : NULL;
    u->c = rt_column_new(name, NULL);
    if (!u->c)
        return luaL_error(L, "not enough memory");
    u->owned = 1;
    u->order = rt_schema_next_seq();
    if (arg <= top && luaL_testudata(L, arg, L_TYPE))
        u->c->type = rt_type_retain(l_to_type(L, arg++));
    for (; arg <= top; arg++) {
        if (lua_istable(L, arg) && !l_item_kind(L, arg) && !lua_getmetatable(L, arg)) {
            if (arg != top)
                return luaL_argerror(L, arg, "Column: the option table must come last");
            column_options(L, arg, u->c);
        } else {
            column_item(L, arg, u->c);
        }
    }
    lua_settop(L, self);
    return 1;
}

void l_open_schema(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {{"__gc", column_gc},
                                    {"__index", column_index},
                                    {"__newindex", column_newindex},
                                    {"__tostring", column_tostring},
                                    {"__concat", column_concat},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"copy", column_copy}, {NULL, NULL}};
    static const struct { const char *name; int op; } ariths[] = {
        {"__add", LUA_OPADD}, {"__sub", LUA_OPSUB}, {"__mul", LUA_OPMUL},
        {"__div", LUA_OPDIV}, {"__mod", LUA_OPMOD}, {"__pow", LUA_OPPOW},
        {"__idiv", LUA_OPIDIV}, {"__unm", LUA_OPUNM}, {"__band", LUA_OPBAND},
        {"__bor", LUA_OPBOR}, {"__bxor", LUA_OPBXOR}, {"__bnot", LUA_OPBNOT}};
    lua_pushvalue(L, module);
    lua_setfield(L, LUA_REGISTRYINDEX, "retort.module");
    l_open_types(L, module);
    l_new_class(L, L_COLUMN, meta, methods);
    for (size_t i = 0; i < sizeof ariths / sizeof ariths[0]; i++) {
        lua_pushinteger(L, ariths[i].op);
        lua_pushcclosure(L, column_arith, 1);
        lua_setfield(L, -2, ariths[i].name);
    }
    lua_pushinteger(L, LUA_OPLT);
    lua_pushcclosure(L, column_compare, 1);
    lua_setfield(L, -2, "__lt");
    lua_pushinteger(L, LUA_OPLE);
    lua_pushcclosure(L, column_compare, 1);
    lua_setfield(L, -2, "__le");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__rt_node");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_column_new);
    lua_setfield(L, module, "Column");
    l_open_schema_items(L, module);
    l_open_metadata(L, module);
    l_open_inspect(L, module);
    l_open_ddl(L, module);
}

void l_push_module(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "retort.module");
}
