/* elements.c: the column-expression nodes that are not operators: bound
 * parameters, literal columns, NULL, true/false, functions, labels, CASE,
 * CAST, EXTRACT, scalar subqueries and EXISTS, plus what every constructor
 * of this layer shares (argument checks, node arrays, the static types that
 * expressions such as comparisons and count() evaluate to).  Operators
 * (binary, unary, AND/OR lists) are in operators.c; FROM elements in from.c;
 * statements in select.c and dml.c. */
#include "expr_int.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

/* === shared helpers === */

const char *rt_node_kind_name(rt_node_kind k)
{
    static const char *const names[] = {
        [RT_NODE_TEXT] = "a text() clause", [RT_NODE_TABLE] = "a table",
        [RT_NODE_ALIAS] = "an alias", [RT_NODE_JOIN] = "a join",
        [RT_NODE_COLUMN] = "a column", [RT_NODE_BIND] = "a bound parameter",
        [RT_NODE_LITERAL_COLUMN] = "a literal column", [RT_NODE_NULL] = "null()",
        [RT_NODE_BOOL] = "a boolean constant", [RT_NODE_BINARY] = "a binary expression",
        [RT_NODE_UNARY] = "a unary expression", [RT_NODE_LIST] = "a clause list",
        [RT_NODE_FUNC] = "a function", [RT_NODE_LABEL] = "a label",
        [RT_NODE_CASE] = "a CASE expression", [RT_NODE_CAST] = "a CAST expression",
        [RT_NODE_EXTRACT] = "an EXTRACT expression",
        [RT_NODE_SCALAR_SELECT] = "a scalar subquery",
        [RT_NODE_SELECT] = "a select (use scalar_subquery() or subquery())",
        [RT_NODE_COMPOUND] = "a compound select", [RT_NODE_INSERT] = "an insert",
        [RT_NODE_UPDATE] = "an update", [RT_NODE_DELETE] = "a delete"};
    if ((size_t)k < sizeof names / sizeof names[0] && names[k])
        return names[k];
    return "a DDL statement";
}

int rt_nodes_dup(rt_node *const *items, size_t n, rt_node ***out, rt_error *err)
{
    *out = NULL;
    if (n == 0)
        return 0;
    rt_node **a = rt_calloc(n, sizeof *a);
    if (!a)
        return rt_error_oom(err);
    for (size_t i = 0; i < n; i++)
        a[i] = rt_node_retain(items[i]);
    *out = a;
    return 0;
}

void rt_nodes_free(rt_node **items, size_t n)
{
    if (!items)
        return;
    for (size_t i = 0; i < n; i++)
        rt_node_release(items[i]);
    rt_free(items);
}

int rt_strs_dup(const char *const *s, size_t n, char ***out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    char **a = rt_calloc(n, sizeof *a);
    if (!a)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!(a[i] = rt_strdup(s[i]))) {
            rt_strs_free(a, i);
            return -1;
        }
    *out = a;
    return 0;
}

void rt_strs_free(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        rt_free(s[i]);
    rt_free(s);
}

/* === types === */

#define STATIC_TYPE(k) \
    {.refcount = INT_MAX / 2, .kind = (k), .length = -1, .precision = -1, .scale = -1}
static rt_sqltype static_types[] = {
    STATIC_TYPE(RT_TYPE_BOOLEAN), STATIC_TYPE(RT_TYPE_INTEGER), STATIC_TYPE(RT_TYPE_FLOAT),
    STATIC_TYPE(RT_TYPE_STRING), STATIC_TYPE(RT_TYPE_DATETIME), STATIC_TYPE(RT_TYPE_DATE),
    STATIC_TYPE(RT_TYPE_TIME), STATIC_TYPE(RT_TYPE_LARGEBINARY)};

const rt_sqltype *rt_static_type(rt_typekind k)
{
    for (size_t i = 0; i < sizeof static_types / sizeof static_types[0]; i++)
        if (static_types[i].kind == k)
            return &static_types[i];
    return NULL;
}

/* Static types carry a huge count, so retaining and releasing them is safe. */
rt_sqltype *rt_type_hold(const rt_sqltype *t) { return rt_type_retain((rt_sqltype *)t); }
void rt_type_drop(rt_sqltype *t) { rt_type_release(t); }

/* === checks === */

/* ArgumentError unless n is a column expression; what names the argument. */
static int need_expr(const rt_node *n, const char *what, rt_error *err)
{
    if (!n)
        return rt_error_set(err, RT_ERR_ARGUMENT, "%s: an SQL expression is required", what);
    if (!rt_node_is_expr(n))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "%s: an SQL expression is required, got %s", what,
                            rt_node_kind_name(n->kind));
    return 0;
}

/* Identifiers spliced into SQL without quoting (EXTRACT fields). */
static int is_word(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

/* === bound parameters === */

static void bind_destroy(rt_node *n)
{
    bindnode *b = (bindnode *)n;
    rt_free(b->key);
    rt_free(b->base_name);
    if (b->has_value && (b->value.type == RT_TEXT || b->value.type == RT_BLOB) &&
        b->value.u.s.p != (const char *)(b + 1))
        rt_free((void *)b->value.u.s.p);
    rt_type_drop(b->type);
    rt_free(b);
}

/* A bind; base names an anonymous one (NULL: "param"). */
static rt_node *bind_make(const char *key, const char *base, const rt_value *value,
                          const rt_sqltype *type, rt_error *err)
{
    /* a text or blob value is copied into the node's own block (the many
     * values of a multi-row INSERT are one allocation each) */
    int payload = value && (value->type == RT_TEXT || value->type == RT_BLOB);
    bindnode *b = rt_calloc(1, sizeof *b + (payload ? value->u.s.n + 1 : 0));
    if (!b) {
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&b->base, RT_NODE_BIND, bind_destroy);
    int oom = (key && !(b->key = rt_strdup(key))) || (base && !(b->base_name = rt_strdup(base)));
    if (value) {
        b->has_value = 1;
        b->value = *value;
        if (payload) {
            char *p = (char *)(b + 1);
            if (value->u.s.n)
                memcpy(p, value->u.s.p, value->u.s.n);
            b->value.u.s.p = p;      /* NUL-terminated: calloc */
        }
    }
    b->type = rt_type_hold(type);
    if (oom) {
        bind_destroy(&b->base);
        rt_error_oom(err);
        return NULL;
    }
    return &b->base;
}

rt_node *rt_bind_new(const char *key, const rt_value *value, rt_sqltype *type, rt_error *err)
{
    if (key && !*key) {
        rt_error_set(err, RT_ERR_ARGUMENT, "bindparam(): the name may not be empty");
        return NULL;
    }
    return bind_make(key, NULL, value, type, err);
}

rt_node *rt_bind_numbered_new(const char *base, const rt_value *value, const rt_sqltype *type,
                              rt_error *err)
{
    return bind_make(NULL, base, value, type, err);
}

/* The same value as an anonymous bind numbered from base (column comparisons:
 * name_1), typed as type unless it has a type of its own. */
rt_node *rt_bind_rename(const rt_node *n, const char *base, const rt_sqltype *type,
                        rt_error *err)
{
    const bindnode *b = (const bindnode *)n;
    return rt_bind_numbered_new(base, b->has_value ? &b->value : NULL,
                                b->type ? b->type : type, err);
}

/* === constants and literal columns === */

static void lit_destroy(rt_node *n)
{
    litnode *l = (litnode *)n;
    rt_free(l->text);
    rt_type_drop(l->type);
    rt_free(l);
}

static rt_node *lit_make(rt_node_kind kind, const char *text, int value,
                         const rt_sqltype *type, rt_error *err)
{
    litnode *l = rt_calloc(1, sizeof *l);
    if (!l || (text && !(l->text = rt_strdup(text)))) {
        rt_free(l);
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&l->base, kind, lit_destroy);
    l->value = value;
    l->type = rt_type_hold(type);
    return &l->base;
}

rt_node *rt_literal_column_new(const char *text, rt_sqltype *type, rt_error *err)
{
    if (!text || !*text) {
        rt_error_set(err, RT_ERR_ARGUMENT, "literal_column(): the SQL text may not be empty");
        return NULL;
    }
    return lit_make(RT_NODE_LITERAL_COLUMN, text, 0, type, err);
}

rt_node *rt_null_new(rt_error *err) { return lit_make(RT_NODE_NULL, NULL, 0, NULL, err); }

rt_node *rt_bool_new(int value, rt_error *err)
{
    return lit_make(RT_NODE_BOOL, NULL, value != 0, rt_static_type(RT_TYPE_BOOLEAN), err);
}

/* === functions === */

static void func_destroy(rt_node *n)
{
    funcnode *f = (funcnode *)n;
    rt_free(f->name);
    rt_nodes_free(f->args, f->n);
    rt_type_drop(f->type);
    rt_free(f);
}

/* The type a generic function returns when none is given. */
static const rt_sqltype *func_type(const char *name, rt_node *const *args, size_t n)
{
    static const char *const integer[] = {"count", "char_length", "length", NULL};
    static const char *const datetime[] = {"now", "current_timestamp", "localtimestamp",
                                           "localtime", "sysdate", NULL};
    static const char *const same[] = {"max", "min", "sum", "coalesce", "lower", "upper",
                                       "trim", "abs", "round", NULL};
    for (int i = 0; integer[i]; i++)
        if (strcmp(name, integer[i]) == 0)
            return rt_static_type(RT_TYPE_INTEGER);
    for (int i = 0; datetime[i]; i++)
        if (strcmp(name, datetime[i]) == 0)
            return rt_static_type(RT_TYPE_DATETIME);
    if (strcmp(name, "current_date") == 0)
        return rt_static_type(RT_TYPE_DATE);
    if (strcmp(name, "current_time") == 0)
        return rt_static_type(RT_TYPE_TIME);
    if (strcmp(name, "concat") == 0)
        return rt_static_type(RT_TYPE_STRING);
    for (int i = 0; same[i]; i++)
        if (strcmp(name, same[i]) == 0 && n > 0)
            return rt_expr_type(args[0]);
    return NULL;
}

rt_node *rt_func_new(const char *name, rt_node *const *args, size_t n, rt_sqltype *type,
                     rt_error *err)
{
    if (!name || !*name || name[0] == '.' || name[strlen(name) - 1] == '.') {
        rt_error_set(err, RT_ERR_ARGUMENT, "func: '%s' is not a function name",
                     name ? name : "");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (need_expr(args[i], name, err) < 0)
            return NULL;
    funcnode *f = rt_calloc(1, sizeof *f);
    if (!f || !(f->name = rt_strdup(name))) {
        rt_free(f);
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&f->base, RT_NODE_FUNC, func_destroy);
    if (n && !(f->args = rt_calloc(n, sizeof *f->args))) {
        func_destroy(&f->base);
        rt_error_oom(err);
        return NULL;
    }
    /* values given as arguments are named after the function: substr_1 */
    const char *base = rt_expr_bind_base(&f->base);
    for (; f->n < n; f->n++) {
        const rt_node *a = args[f->n];
        int anon = a->kind == RT_NODE_BIND && !((const bindnode *)a)->key &&
                   !((const bindnode *)a)->base_name;
        f->args[f->n] = anon && base ? rt_bind_rename(a, base, NULL, err)
                                     : rt_node_retain(args[f->n]);
        if (!f->args[f->n]) {
            func_destroy(&f->base);
            return NULL;
        }
    }
    f->type = rt_type_hold(type ? type : func_type(name, args, n));
    return &f->base;
}

/* === labels === */

static void label_destroy(rt_node *n)
{
    labelnode *l = (labelnode *)n;
    rt_node_release(l->expr);
    rt_free(l->name);
    rt_free(l);
}

rt_node *rt_label_new(rt_node *expr, const char *name, rt_error *err)
{
    if (need_expr(expr, "label()", err) < 0)
        return NULL;
    if (name && !*name) {
        rt_error_set(err, RT_ERR_ARGUMENT, "label(): the name may not be empty");
        return NULL;
    }
    labelnode *l = rt_calloc(1, sizeof *l);
    if (!l || (name && !(l->name = rt_strdup(name)))) {
        rt_free(l);
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&l->base, RT_NODE_LABEL, label_destroy);
    l->expr = rt_node_retain(expr);
    return &l->base;
}

/* === CASE === */

static void case_destroy(rt_node *n)
{
    casenode *c = (casenode *)n;
    rt_nodes_free(c->whens, c->n);
    rt_nodes_free(c->thens, c->n);
    rt_node_release(c->value);
    rt_node_release(c->else_);
    rt_free(c);
}

rt_node *rt_case_new(rt_node *const *whens, rt_node *const *thens, size_t n, rt_node *value,
                     rt_node *else_, rt_error *err)
{
    if (n == 0) {
        rt_error_set(err, RT_ERR_ARGUMENT, "case(): at least one WHEN clause is required");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (need_expr(whens[i], "case() WHEN", err) < 0 ||
            need_expr(thens[i], "case() THEN", err) < 0)
            return NULL;
    if ((value && need_expr(value, "case() value", err) < 0) ||
        (else_ && need_expr(else_, "case() else_", err) < 0))
        return NULL;
    casenode *c = rt_calloc(1, sizeof *c);
    if (!c) {
        rt_error_oom(err);
        return NULL;
    }
    rt_node **w, **t;
    if (rt_nodes_dup(whens, n, &w, err) < 0) {
        rt_free(c);
        return NULL;
    }
    if (rt_nodes_dup(thens, n, &t, err) < 0) {
        rt_nodes_free(w, n);
        rt_free(c);
        return NULL;
    }
    rt_expr_node_init(&c->base, RT_NODE_CASE, case_destroy);
    c->whens = w;
    c->thens = t;
    c->n = n;
    c->value = rt_node_retain(value);
    c->else_ = rt_node_retain(else_);
    return &c->base;
}

/* === CAST, EXTRACT, scalar subqueries === */

static void wrap_destroy(rt_node *n)
{
    wrapnode *w = (wrapnode *)n;
    rt_node_release(w->expr);
    rt_type_drop(w->type);
    rt_free(w->field);
    rt_free(w);
}

static rt_node *wrap_make(rt_node_kind kind, rt_node *expr, const rt_sqltype *type,
                          const char *field, rt_error *err)
{
    wrapnode *w = rt_calloc(1, sizeof *w);
    if (!w || (field && !(w->field = rt_strdup(field)))) {
        rt_free(w);
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&w->base, kind, wrap_destroy);
    w->expr = rt_node_retain(expr);
    w->type = rt_type_hold(type);
    return &w->base;
}

rt_node *rt_cast_new(rt_node *expr, rt_sqltype *type, rt_error *err)
{
    if (need_expr(expr, "cast()", err) < 0)
        return NULL;
    if (!type) {
        rt_error_set(err, RT_ERR_ARGUMENT, "cast(): a type is required");
        return NULL;
    }
    return wrap_make(RT_NODE_CAST, expr, type, NULL, err);
}

rt_node *rt_extract_new(const char *field, rt_node *expr, rt_error *err)
{
    if (!is_word(field)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "extract(): '%s' is not a date field",
                     field ? field : "");
        return NULL;
    }
    if (need_expr(expr, "extract()", err) < 0)
        return NULL;
    char lower[32];
    size_t i = 0;
    for (; field[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)field[i]);
    lower[i] = '\0';
    return wrap_make(RT_NODE_EXTRACT, expr, rt_static_type(RT_TYPE_INTEGER), lower, err);
}

static int need_select(const rt_node *s, const char *what, rt_error *err)
{
    if (!s || (s->kind != RT_NODE_SELECT && s->kind != RT_NODE_COMPOUND))
        return rt_error_set(err, RT_ERR_ARGUMENT, "%s: a select is required, got %s", what,
                            s ? rt_node_kind_name(s->kind) : "nothing");
    return 0;
}

rt_node *rt_scalar_subquery_new(rt_node *select, rt_error *err)
{
    if (need_select(select, "scalar_subquery()", err) < 0)
        return NULL;
    const selectnode *s = rt_select_first(select);
    const rt_sqltype *t = s && s->ncols ? rt_expr_type(s->cols[0]) : NULL;
    return wrap_make(RT_NODE_SCALAR_SELECT, select, t, NULL, err);
}

rt_node *rt_exists_new(rt_node *select, rt_error *err)
{
    if (need_select(select, "exists()", err) < 0)
        return NULL;
    return rt_unary_new(RT_UOP_EXISTS, select, err);
}

rt_node *rt_exists_select(const rt_node *n)
{
    if (!n || n->kind != RT_NODE_UNARY || ((const unnode *)n)->op != RT_UOP_EXISTS)
        return NULL;
    return ((const unnode *)n)->operand;
}

/* === questions about expressions === */

int rt_node_is_expr(const rt_node *n)
{
    return n && ((n->kind >= RT_NODE_COLUMN && n->kind <= RT_NODE_SCALAR_SELECT) ||
                 n->kind == RT_NODE_TEXT);
}

int rt_node_is_from(const rt_node *n)
{
    return n && (n->kind == RT_NODE_TABLE || n->kind == RT_NODE_ALIAS ||
                 n->kind == RT_NODE_JOIN || n->kind == RT_NODE_SELECT ||
                 n->kind == RT_NODE_COMPOUND);
}

int rt_node_is_selectable(const rt_node *n)
{
    return n && (n->kind == RT_NODE_SELECT || n->kind == RT_NODE_COMPOUND);
}

static const rt_sqltype *value_type(const rt_value *v)
{
    switch (v->type) {
    case RT_INT: return rt_static_type(RT_TYPE_INTEGER);
    case RT_FLOAT: return rt_static_type(RT_TYPE_FLOAT);
    case RT_BOOL: return rt_static_type(RT_TYPE_BOOLEAN);
    case RT_TEXT: return rt_static_type(RT_TYPE_STRING);
    case RT_BLOB: return rt_static_type(RT_TYPE_LARGEBINARY);
    default: return NULL;
    }
}

const rt_sqltype *rt_expr_type(const rt_node *n)
{
    if (!n)
        return NULL;
    switch (n->kind) {
    case RT_NODE_COLUMN: {
        const colnode *c = (const colnode *)n;
        rt_column *tc = rt_from_table_column(c->from, c->index);
        if (tc)
            return tc->type;
        const selectnode *s = rt_from_select(c->from);
        return s && c->index < s->ncols ? rt_expr_type(s->cols[c->index]) : NULL;
    }
    case RT_NODE_BIND: {
        const bindnode *b = (const bindnode *)n;
        return b->type ? b->type : b->has_value ? value_type(&b->value) : NULL;
    }
    case RT_NODE_LITERAL_COLUMN:
    case RT_NODE_BOOL: return ((const litnode *)n)->type;
    case RT_NODE_BINARY: return ((const binnode *)n)->type;
    case RT_NODE_UNARY: {
        const unnode *u = (const unnode *)n;
        if (u->op == RT_UOP_NOT || u->op == RT_UOP_EXISTS)
            return rt_static_type(RT_TYPE_BOOLEAN);
        return rt_expr_type(u->operand);
    }
    case RT_NODE_LIST:
        return ((const listnode *)n)->op == RT_LIST_COMMA ? NULL
                                                          : rt_static_type(RT_TYPE_BOOLEAN);
    case RT_NODE_FUNC: return ((const funcnode *)n)->type;
    case RT_NODE_LABEL: return rt_expr_type(((const labelnode *)n)->expr);
    case RT_NODE_CASE: {
        const casenode *c = (const casenode *)n;
        const rt_sqltype *t = rt_expr_type(c->thens[0]);
        return t ? t : rt_expr_type(c->else_);
    }
    case RT_NODE_CAST:
    case RT_NODE_EXTRACT:
    case RT_NODE_SCALAR_SELECT: return ((const wrapnode *)n)->type;
    default: return NULL;
    }
}

/* A name is usable as a bind base when it is a plain word. */
const char *rt_expr_bind_base(const rt_node *e)
{
    const char *k = NULL;
    switch (e->kind) {
    case RT_NODE_COLUMN: k = rt_expr_key(e); break;
    case RT_NODE_FUNC: {
        const char *name = ((const funcnode *)e)->name;
        const char *dot = strrchr(name, '.');
        k = dot ? dot + 1 : name;
        break;
    }
    case RT_NODE_LABEL: return rt_expr_bind_base(((const labelnode *)e)->expr);
    case RT_NODE_LITERAL_COLUMN: k = ((const litnode *)e)->text; break;
    default: return NULL;
    }
    return is_word(k) ? k : NULL;
}

const char *rt_expr_key(const rt_node *e)
{
    if (e->kind == RT_NODE_COLUMN) {
        const colnode *c = (const colnode *)e;
        return rt_from_column_key(c->from, c->index);
    }
    if (e->kind == RT_NODE_LABEL)
        return ((const labelnode *)e)->name;
    return NULL;
}
