/* l_constraint.c: schema items in Lua: ForeignKey, Sequence,
 * PrimaryKeyConstraint, UniqueConstraint, CheckConstraint,
 * ForeignKeyConstraint and Index, and the descriptions of a table's
 * constraints, indexes and foreign keys (t.constraints, t.indexes,
 * t.foreign_keys, col.foreign_keys).
 *
 * An item is a Lua table with the retort.SchemaItem metatable and a __kind
 * field; it records what was asked (column names or objects, options, its
 * creation order) until Table() adds it to a table (l_item_attach).  An
 * Index given columns of an existing table joins that table at once, as in
 * SQLAlchemy. */
#include <string.h>

#include "l_schema_int.h"

const char *l_item_kind(lua_State *L, int idx)
{
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
        return NULL;
    luaL_getmetatable(L, L_SCHEMA_ITEM);
    int is_item = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (!is_item)
        return NULL;
    lua_getfield(L, idx, "__kind");
    const char *kind = lua_tostring(L, -1);   /* a constant kept by the item */
    lua_pop(L, 1);
    return kind;
}

/* Starts an item of a kind: a new table with the metatable, on the stack. */
static int new_item(lua_State *L, const char *kind)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "__kind");
    luaL_setmetatable(L, L_SCHEMA_ITEM);
    return lua_gettop(L);
}

static void set_seq(lua_State *L, int item)
{
    lua_pushinteger(L, (lua_Integer)rt_schema_next_seq());
    lua_setfield(L, item, "_seq");
}

/* The option table at the end of the arguments (a plain table), or 0. */
static int trailing_options(lua_State *L, int first)
{
    int top = lua_gettop(L);
    if (top < first || !lua_istable(L, top))
        return 0;
    if (lua_getmetatable(L, top)) {   /* an item, not options */
        lua_pop(L, 1);
        return 0;
    }
    return top;
}

/* Copies string options into the item (checking their type). */
static void copy_options(lua_State *L, int opts, int item, const char *fn,
                         const char *const *strings, const char *const *booleans)
{
    for (int i = 0; strings && strings[i]; i++) {
        int t = opts ? lua_getfield(L, opts, strings[i]) : LUA_TNIL;
        if (t != LUA_TNIL && t != LUA_TSTRING)
            luaL_error(L, "%s: option '%s' must be a string, not %s", fn, strings[i],
                       luaL_typename(L, -1));
        if (opts)
            lua_setfield(L, item, strings[i]);
    }
    for (int i = 0; booleans && booleans[i]; i++) {
        lua_pushboolean(L, l_opt_boolean(L, opts, fn, booleans[i], 0));
        lua_setfield(L, item, booleans[i]);
    }
}

/* Checks a column reference (a name or a column object) at idx. */
static void check_column_ref(lua_State *L, int idx, const char *fn)
{
    if (lua_type(L, idx) != LUA_TSTRING && !l_test_column(L, idx) && !l_test_any_node(L, idx))
        luaL_argerror(L, idx, lua_pushfstring(L, "%s: a column or column name expected, got %s",
                                              fn, luaL_typename(L, idx)));
}

/* The key of a column reference: a string as is, a column object's key. */
static const char *column_ref_key(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TSTRING)
        return lua_tostring(L, idx);
    rt_column *c = l_to_column(L, idx);
    if (!c->key)
        luaL_error(L, "a Column without a name cannot be used in a constraint");
    return c->key;
}

/* "table.column" for a ForeignKey target given as a column object. */
static void push_target(lua_State *L, int idx, const char *fn)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        lua_pushvalue(L, idx);
        return;
    }
    rt_column *c = l_to_column(L, idx);
    if (!c->table)
        luaL_error(L, "%s: the target column must belong to a Table", fn);
    lua_pushfstring(L, "%s.%s", rt_table_fullname(c->table), c->key);
}

/* ForeignKey("users.id" | users.c.id, {name, ondelete, onupdate, use_alter,
 * deferrable, initially_deferred}) */
static int l_foreign_key(lua_State *L)
{
    static const char *const known[] = {"name", "ondelete", "onupdate", "use_alter",
                                        "deferrable", "initially_deferred", "initially",
                                        "link_to_name", NULL};
    static const char *const strings[] = {"name", "ondelete", "onupdate", NULL};
    static const char *const booleans[] = {"use_alter", "deferrable", "initially_deferred",
                                           NULL};
    luaL_checkany(L, 1);
    l_check_options(L, 2, "ForeignKey", known);
    int item = new_item(L, "ForeignKey");
    push_target(L, 1, "ForeignKey");
    lua_setfield(L, item, "target");
    copy_options(L, lua_istable(L, 2) ? 2 : 0, item, "ForeignKey", strings, booleans);
    return 1;
}

/* Sequence("name", {start, increment, optional, schema}) */
static int l_sequence(lua_State *L)
{
    static const char *const known[] = {"start", "increment", "optional", "schema", NULL};
    static const char *const strings[] = {"schema", NULL};
    static const char *const booleans[] = {"optional", NULL};
    luaL_checkstring(L, 1);
    l_check_options(L, 2, "Sequence", known);
    int item = new_item(L, "Sequence");
    lua_pushvalue(L, 1);
    lua_setfield(L, item, "name");
    copy_options(L, lua_istable(L, 2) ? 2 : 0, item, "Sequence", strings, booleans);
    for (int i = 0; i < 2; i++) {
        const char *k = i ? "increment" : "start";
        lua_Integer v = l_opt_integer(L, 2, "Sequence", k, LUA_MININTEGER);
        if (v != LUA_MININTEGER) {
            lua_pushinteger(L, v);
            lua_setfield(L, item, k);
        }
    }
    return 1;
}

/* UniqueConstraint / PrimaryKeyConstraint(col, ..., {name}) */
static int column_list_item(lua_State *L, const char *kind)
{
    static const char *const known[] = {"name", "deferrable", "initially", NULL};
    static const char *const strings[] = {"name", NULL};
    int opts = trailing_options(L, 1);
    int last = opts ? opts - 1 : lua_gettop(L);
    l_check_options(L, opts, kind, known);
    int item = new_item(L, kind);
    lua_createtable(L, last, 0);
    for (int i = 1; i <= last; i++) {
        check_column_ref(L, i, kind);
        lua_pushvalue(L, i);
        lua_rawseti(L, -2, i);
    }
    lua_setfield(L, item, "columns");
    copy_options(L, opts, item, kind, strings, NULL);
    set_seq(L, item);
    return 1;
}

static int l_unique(lua_State *L) { return column_list_item(L, "UniqueConstraint"); }
static int l_primary_key(lua_State *L) { return column_list_item(L, "PrimaryKeyConstraint"); }

/* CheckConstraint("x > 0" | expression, {name}) */
static int l_check(lua_State *L)
{
    static const char *const known[] = {"name", NULL};
    static const char *const strings[] = {"name", NULL};
    if (lua_type(L, 1) != LUA_TSTRING && !l_test_any_node(L, 1))
        return luaL_argerror(L, 1, "CheckConstraint: an SQL string or expression expected");
    l_check_options(L, 2, "CheckConstraint", known);
    int item = new_item(L, "CheckConstraint");
    lua_pushvalue(L, 1);
    lua_setfield(L, item, lua_type(L, 1) == LUA_TSTRING ? "sqltext" : "expr");
    copy_options(L, lua_istable(L, 2) ? 2 : 0, item, "CheckConstraint", strings, NULL);
    set_seq(L, item);
    return 1;
}

/* ForeignKeyConstraint({"a", "b"}, {"t.a", "t.b"}, {name, ondelete, ...}) */
static int l_fk_constraint(lua_State *L)
{
    static const char *const known[] = {"name", "ondelete", "onupdate", "use_alter",
                                        "deferrable", "initially_deferred", "initially",
                                        "link_to_name", NULL};
    static const char *const strings[] = {"name", "ondelete", "onupdate", NULL};
    static const char *const booleans[] = {"use_alter", "deferrable", "initially_deferred",
                                           NULL};
    const char *fn = "ForeignKeyConstraint";
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    l_check_options(L, 3, fn, known);
    lua_Integer n = luaL_len(L, 1);
    if (n == 0 || n != luaL_len(L, 2))
        return luaL_error(L, "%s: the column and target lists must have the same, nonzero "
                             "length", fn);
    int item = new_item(L, fn);
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        check_column_ref(L, lua_gettop(L), fn);
        lua_rawseti(L, item + 1, i);
        lua_rawgeti(L, 2, i);
        push_target(L, lua_gettop(L), fn);
        lua_rawseti(L, item + 2, i);
        lua_pop(L, 1);
    }
    lua_setfield(L, item, "targets");
    lua_setfield(L, item, "columns");
    copy_options(L, lua_istable(L, 3) ? 3 : 0, item, fn, strings, booleans);
    set_seq(L, item);
    return 1;
}

/* Index("ix_name", col_or_name, ..., {unique = true}) */
static int l_index(lua_State *L)
{
    static const char *const known[] = {"unique", NULL};
    const char *name = luaL_checkstring(L, 1);
    int opts = trailing_options(L, 2);
    int last = opts ? opts - 1 : lua_gettop(L);
    rt_table *t = NULL;
    l_check_options(L, opts, "Index", known);
    int item = new_item(L, "Index");
    lua_pushvalue(L, 1);
    lua_setfield(L, item, "name");
    lua_createtable(L, last, 0);
    for (int i = 2; i <= last; i++) {
        check_column_ref(L, i, "Index");
        if (lua_type(L, i) != LUA_TSTRING) {
            rt_column *c = l_to_column(L, i);
            if (t && c->table != t)
                return luaL_error(L, "Index '%s': all columns must belong to the same table",
                                  name);
            t = c->table;
        }
        lua_pushvalue(L, i);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setfield(L, item, "columns");
    lua_pushboolean(L, l_opt_boolean(L, opts, "Index", "unique", 0));
    lua_setfield(L, item, "unique");
    set_seq(L, item);
    if (t) {   /* columns of a table: the index joins it now */
        rt_error err;
        rt_error_init(&err);
        if (l_item_attach(L, item, t, &err) < 0)
            return l_raise(L, &err, 0);
    }
    lua_settop(L, item);
    return 1;
}

/* === attaching items to a table === */

/* The keys of the column list in field `field` of the item, in a userdata
 * array (anchored on the stack). */
static const char **item_keys(lua_State *L, int item, const char *field, size_t *n)
{
    lua_getfield(L, item, field);
    int list = lua_gettop(L);
    *n = (size_t)luaL_len(L, list);
    const char **keys = lua_newuserdatauv(L, (*n ? *n : 1) * sizeof *keys, 0);
    for (size_t i = 0; i < *n; i++) {
        lua_rawgeti(L, list, (lua_Integer)i + 1);
        keys[i] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                 : column_ref_key(L, lua_gettop(L));
        lua_pop(L, 1);   /* strings stay anchored by the list */
    }
    return keys;
}

static rt_constraint *attach_fk(lua_State *L, int item, rt_table *t, rt_error *err)
{
    size_t n, nt;
    const char **keys = item_keys(L, item, "columns", &n);
    const char **targets = item_keys(L, item, "targets", &nt);
    rt_fk_options o = {0};
    lua_getfield(L, item, "name");
    lua_getfield(L, item, "ondelete");
    lua_getfield(L, item, "onupdate");
    o.name = lua_tostring(L, -3);
    o.ondelete = lua_tostring(L, -2);
    o.onupdate = lua_tostring(L, -1);
    o.use_alter = lua_getfield(L, item, "use_alter") == LUA_TBOOLEAN && lua_toboolean(L, -1);
    o.deferrable = lua_getfield(L, item, "deferrable") == LUA_TBOOLEAN && lua_toboolean(L, -1);
    o.initially_deferred = lua_getfield(L, item, "initially_deferred") == LUA_TBOOLEAN &&
                           lua_toboolean(L, -1);
    rt_constraint *k = rt_table_add_constraint(t, RT_CONSTRAINT_FOREIGN_KEY, o.name, keys, n,
                                               targets, err);
    if (k && rt_constraint_set_fk_options(k, &o, err) < 0) {
        rt_table_remove_constraint(t, k);
        k = NULL;
    }
    return k;
}

static rt_constraint *attach_check(lua_State *L, int item, rt_table *t, rt_error *err)
{
    lua_getfield(L, item, "name");
    rt_constraint *k = rt_table_add_constraint(t, RT_CONSTRAINT_CHECK, lua_tostring(L, -1),
                                               NULL, 0, NULL, err);
    if (!k)
        return NULL;
    rt_exprref e = {0};
    lua_getfield(L, item, "sqltext");
    lua_getfield(L, item, "expr");
    rt_node *n = l_test_any_node(L, -1);
    if (n)
        rt_exprref_set_node(&e, n);
    if (rt_constraint_set_check(k, lua_tostring(L, -2), n ? &e : NULL, err) < 0) {
        rt_exprref_clear(&e);
        rt_table_remove_constraint(t, k);
        return NULL;
    }
    return k;
}

int l_item_attach(lua_State *L, int idx, rt_table *t, rt_error *err)
{
    const char *kind = l_item_kind(L, idx);
    int top = lua_gettop(L);
    idx = lua_absindex(L, idx);
    rt_constraint *k = NULL;
    size_t n;
    if (!kind)
        return rt_error_set(err, RT_ERR_ARGUMENT, "not a constraint or Index");
    if (strcmp(kind, "Index") == 0) {
        const char **keys = item_keys(L, idx, "columns", &n);
        lua_getfield(L, idx, "name");
        lua_getfield(L, idx, "unique");
        rt_index *ix = rt_table_add_index(t, lua_tostring(L, -2), keys, n,
                                          lua_toboolean(L, -1), err);
        if (ix) {
            l_push_table(L, t);
            lua_setfield(L, idx, "table");
            lua_pushlightuserdata(L, ix);
            lua_setfield(L, idx, "_index");
        }
        lua_settop(L, top);
        return ix ? 0 : -1;
    }
    if (strcmp(kind, "ForeignKeyConstraint") == 0) {
        k = attach_fk(L, idx, t, err);
    } else if (strcmp(kind, "CheckConstraint") == 0) {
        k = attach_check(L, idx, t, err);
    } else if (strcmp(kind, "UniqueConstraint") == 0 || strcmp(kind, "PrimaryKeyConstraint") == 0) {
        const char **keys = item_keys(L, idx, "columns", &n);
        lua_getfield(L, idx, "name");
        k = rt_table_add_constraint(t, kind[0] == 'U' ? RT_CONSTRAINT_UNIQUE
                                                      : RT_CONSTRAINT_PRIMARY_KEY,
                                    lua_tostring(L, -1), keys, n, NULL, err);
    } else {
        lua_settop(L, top);
        return rt_error_set(err, RT_ERR_ARGUMENT, "a %s cannot be added to a Table (give it "
                                                  "to a Column)", kind);
    }
    if (k) {
        lua_getfield(L, idx, "_seq");
        rt_table_order_constraint(t, k, (unsigned long)lua_tointeger(L, -1));
    }
    lua_settop(L, top);
    return k ? 0 : -1;
}

/* === descriptions of what a table has === */

static void push_columns_of(lua_State *L, rt_column *const *cols, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        l_push_column_object(L, cols[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void set_string(lua_State *L, int item, const char *key, const char *v)
{
    if (!v)
        return;
    lua_pushstring(L, v);
    lua_setfield(L, item, key);
}

static void set_fk_options(lua_State *L, int item, const rt_constraint *k)
{
    set_string(L, item, "name", k->name);
    set_string(L, item, "ondelete", k->fk.ondelete);
    set_string(L, item, "onupdate", k->fk.onupdate);
    lua_pushboolean(L, k->fk.use_alter);
    lua_setfield(L, item, "use_alter");
}

static void push_constraint(lua_State *L, rt_constraint *k)
{
    static const char *const kinds[] = {"PrimaryKeyConstraint", "ForeignKeyConstraint",
                                        "UniqueConstraint", "CheckConstraint"};
    int item = new_item(L, kinds[k->kind]);
    set_string(L, item, "name", k->name);
    push_columns_of(L, k->columns, k->ncols);
    lua_setfield(L, item, "columns");
    l_push_table(L, k->table);
    lua_setfield(L, item, "table");
    if (k->kind == RT_CONSTRAINT_FOREIGN_KEY) {
        lua_createtable(L, (int)k->ncols, 0);
        for (size_t i = 0; i < k->ncols; i++) {
            lua_pushstring(L, k->fk.targets[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, item, "targets");
        set_fk_options(L, item, k);
    }
    if (k->kind == RT_CONSTRAINT_CHECK) {
        set_string(L, item, "sqltext", k->sqltext);
        if (k->expr.node) {
            l_push_node(L, rt_node_retain(k->expr.node));
            lua_setfield(L, item, "expr");
        }
    }
}

void l_push_constraints(lua_State *L, rt_table *t)
{
    lua_createtable(L, (int)t->nconstraints, 0);
    for (size_t i = 0; i < t->nconstraints; i++) {
        push_constraint(L, t->constraints[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

void l_push_indexes(lua_State *L, rt_table *t)
{
    lua_createtable(L, (int)t->nindexes, 0);
    for (size_t i = 0; i < t->nindexes; i++) {
        rt_index *ix = t->indexes[i];
        int item = new_item(L, "Index");
        set_string(L, item, "name", ix->name);
        push_columns_of(L, ix->columns, ix->ncols);
        lua_setfield(L, item, "columns");
        lua_pushboolean(L, ix->unique);
        lua_setfield(L, item, "unique");
        l_push_table(L, t);
        lua_setfield(L, item, "table");
        lua_pushlightuserdata(L, ix);
        lua_setfield(L, item, "_index");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* One ForeignKey description per column of each FOREIGN KEY constraint
 * (only those of column `only`, when given). */
void l_push_foreign_keys(lua_State *L, rt_table *t, const rt_column *only)
{
    lua_Integer n = 0;
    lua_newtable(L);
    for (size_t i = 0; i < t->nconstraints; i++) {
        const rt_constraint *k = t->constraints[i];
        if (k->kind != RT_CONSTRAINT_FOREIGN_KEY)
            continue;
        for (size_t j = 0; j < k->ncols; j++) {
            if (only && k->columns[j] != only)
                continue;
            int item = new_item(L, "ForeignKey");
            set_string(L, item, "target", k->fk.targets[j]);
            set_fk_options(L, item, k);
            l_push_column_object(L, k->columns[j]);
            lua_setfield(L, item, "parent");
            rt_error err;
            rt_error_init(&err);
            rt_column *target = rt_foreign_key_target(k, j, t->metadata, &err);
            rt_error_clear(&err);
            if (target) {
                l_push_column_object(L, target);
                lua_setfield(L, item, "column");
            }
            lua_rawseti(L, -2, ++n);
        }
    }
}

/* === item objects: printing, create/drop of indexes and sequences === */

/* Appends 'text' (quoted as Lua would print it). */
static void put_quoted(rt_buf *b, const char *s)
{
    rt_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            rt_buf_putc(b, '\\');
        rt_buf_putc(b, *s);
    }
    rt_buf_putc(b, '\'');
}

/* Appends the names in list field `field` of the item at 1, comma-separated
 * ('a', 'b'), wrapped in braces when `braces`. */
static void put_list(lua_State *L, rt_buf *b, const char *field, int braces)
{
    if (lua_getfield(L, 1, field) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int list = lua_gettop(L);
    lua_Integer n = luaL_len(L, list);
    if (braces)
        rt_buf_putc(b, '{');
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (!s && (l_test_column(L, -1) || l_test_any_node(L, -1)))
            s = l_to_column(L, lua_gettop(L))->name;
        rt_buf_puts(b, i > 1 ? ", " : "");
        put_quoted(b, s ? s : "?");
        lua_pop(L, 1);
    }
    if (braces)
        rt_buf_putc(b, '}');
    lua_pop(L, 1);
}

/* The options part: {name = 'x', ondelete = 'CASCADE', unique = true} */
static void put_options(lua_State *L, rt_buf *b, int first, int skip_name)
{
    static const char *const strings[] = {"name", "ondelete", "onupdate", NULL};
    static const char *const flags[] = {"unique", "use_alter", NULL};
    int n = 0;
    for (int i = skip_name ? 1 : 0; strings[i]; i++) {
        if (lua_getfield(L, 1, strings[i]) == LUA_TSTRING) {
            rt_buf_printf(b, "%s%s = ", n++ ? ", " : first ? "{" : ", {", strings[i]);
            put_quoted(b, lua_tostring(L, -1));
        }
        lua_pop(L, 1);
    }
    for (int i = 0; flags[i]; i++) {
        if (lua_getfield(L, 1, flags[i]) == LUA_TBOOLEAN && lua_toboolean(L, -1))
            rt_buf_printf(b, "%s%s = true", n++ ? ", " : first ? "{" : ", {", flags[i]);
        lua_pop(L, 1);
    }
    if (n)
        rt_buf_putc(b, '}');
}

/* Items print as the call that makes them: UniqueConstraint('a', 'b'). */
static int item_tostring(lua_State *L)
{
    rt_buf b;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "__kind");
    const char *kind = luaL_optstring(L, -1, "SchemaItem");
    rt_buf_init(&b);
    rt_buf_printf(&b, "%s(", kind);
    int empty = 0;
    if (strcmp(kind, "ForeignKey") == 0 || strcmp(kind, "Sequence") == 0 ||
        strcmp(kind, "CheckConstraint") == 0) {
        const char *f = kind[0] == 'F' ? "target" : kind[0] == 'S' ? "name" : "sqltext";
        lua_getfield(L, 1, f);
        put_quoted(&b, luaL_optstring(L, -1, "..."));
        lua_pop(L, 1);
        put_options(L, &b, 0, kind[0] == 'S');
    } else if (strcmp(kind, "ForeignKeyConstraint") == 0) {
        put_list(L, &b, "columns", 1);
        rt_buf_puts(&b, ", ");
        put_list(L, &b, "targets", 1);
        put_options(L, &b, 0, 0);
    } else if (strcmp(kind, "Index") == 0) {
        lua_getfield(L, 1, "name");
        put_quoted(&b, luaL_optstring(L, -1, ""));
        lua_pop(L, 1);
        rt_buf_puts(&b, ", ");
        put_list(L, &b, "columns", 0);
        put_options(L, &b, 0, 1);
    } else {
        size_t before = b.len;
        put_list(L, &b, "columns", 0);
        empty = b.len == before;
        put_options(L, &b, empty, 0);
    }
    rt_buf_putc(&b, ')');
    lua_pushstring(L, b.failed ? "?" : rt_buf_str(&b));
    rt_buf_free(&b);
    return 1;
}

static rt_index *check_index(lua_State *L)
{
    lua_getfield(L, 1, "_index");
    rt_index *ix = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!ix)
        luaL_error(L, "this Index is not attached to a Table");
    return ix;
}

/* index:create(bind) / index:drop(bind); sequence:create(bind, {checkfirst}) */
static int item_ddl(lua_State *L, int create)
{
    const char *kind = l_item_kind(L, 1);
    int close_after;
    rt_error err;
    rt_error_init(&err);
    if (!kind || (strcmp(kind, "Index") != 0 && strcmp(kind, "Sequence") != 0))
        return luaL_error(L, "only an Index or a Sequence can be created on its own");
    int checkfirst = l_opt_boolean(L, 3, create ? "create" : "drop", "checkfirst", 0);
    rt_index *ix = kind[0] == 'I' ? check_index(L) : NULL;
    rt_sequence *seq = NULL;
    if (!ix) {
        lua_getfield(L, 1, "name");
        lua_getfield(L, 1, "schema");
        seq = rt_sequence_new(lua_tostring(L, -2), lua_tostring(L, -1));
        if (!seq)
            return luaL_error(L, "not enough memory");
        seq->has_start = lua_getfield(L, 1, "start") == LUA_TNUMBER;
        seq->start = lua_tointeger(L, -1);
        seq->has_increment = lua_getfield(L, 1, "increment") == LUA_TNUMBER;
        seq->increment = lua_tointeger(L, -1);
    }
    rt_conn *c = l_bind_conn(L, 2, &close_after);
    int rc = ix ? (create ? rt_index_create : rt_index_drop)(c, ix, &err)
                : (create ? rt_sequence_create : rt_sequence_drop)(c, seq, checkfirst, &err);
    rt_sequence_free(seq);
    if (close_after)
        rt_conn_close(c);
    return rc < 0 ? l_raise(L, &err, 0) : 0;
}

static int item_create(lua_State *L) { return item_ddl(L, 1); }
static int item_drop(lua_State *L) { return item_ddl(L, 0); }

void l_open_schema_items(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {{"__tostring", item_tostring}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"create", item_create}, {"drop", item_drop},
                                       {NULL, NULL}};
    static const luaL_Reg ctors[] = {{"ForeignKey", l_foreign_key},
                                     {"Sequence", l_sequence},
                                     {"PrimaryKeyConstraint", l_primary_key},
                                     {"UniqueConstraint", l_unique},
                                     {"CheckConstraint", l_check},
                                     {"ForeignKeyConstraint", l_fk_constraint},
                                     {"Index", l_index},
                                     {NULL, NULL}};
    l_new_class(L, L_SCHEMA_ITEM, meta, methods);
    lua_pop(L, 1);
    lua_pushvalue(L, module);
    luaL_setfuncs(L, ctors, 0);
    lua_pop(L, 1);
}
