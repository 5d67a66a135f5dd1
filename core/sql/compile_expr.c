/* compile_expr.c: rendering of column expressions, table-driven as in
 * SQLAlchemy's compiler: each operator is data (its SQL text, precedence,
 * associativity) and parentheses appear only where precedence needs them
 * (a child binds no tighter than its parent, unless both are the same
 * associative operator).  Columns render qualified by their table or alias
 * (unqualified in DDL and in a compound's ORDER BY), functions as written
 * (count() as count(*), ANSI niladic ones bare, dialect renames such as
 * SQLite's now() -> CURRENT_TIMESTAMP), and rt_render_inline puts values in
 * the text for DDL.  The compile context is in compiler.c. */
#include "expr_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* === operators as data === */

enum { P_NONE = -100, P_ALWAYS = 1000, P_ATOM = 10000, OP_LIST = 100, OP_UNARY = 200 };

static const struct opinfo {
    const char *sql;
    int prec;
    int assoc;
} binops[] = {
    [RT_OP_EQ] = {" = ", 5, 0},          [RT_OP_NE] = {" != ", 5, 0},
    [RT_OP_LT] = {" < ", 5, 0},          [RT_OP_LE] = {" <= ", 5, 0},
    [RT_OP_GT] = {" > ", 5, 0},          [RT_OP_GE] = {" >= ", 5, 0},
    [RT_OP_ADD] = {" + ", 7, 1},         [RT_OP_SUB] = {" - ", 7, 0},
    [RT_OP_MUL] = {" * ", 8, 1},         [RT_OP_DIV] = {" / ", 8, 0},
    [RT_OP_MOD] = {" % ", 8, 0},         [RT_OP_CONCAT] = {" || ", 6, 1},
    [RT_OP_LIKE] = {" LIKE ", 5, 0},     [RT_OP_NOT_LIKE] = {" NOT LIKE ", 5, 0},
    [RT_OP_ILIKE] = {" ILIKE ", 5, 0},   [RT_OP_NOT_ILIKE] = {" NOT ILIKE ", 5, 0},
    [RT_OP_IN] = {" IN ", 5, 0},         [RT_OP_NOT_IN] = {" NOT IN ", 5, 0},
    [RT_OP_IS] = {" IS ", 5, 0},         [RT_OP_IS_NOT] = {" IS NOT ", 5, 0},
    [RT_OP_BETWEEN] = {" BETWEEN ", 5, 0}, [RT_OP_MATCH] = {" MATCH ", 5, 0},
    [RT_OP_CUSTOM] = {NULL, 0, 0},       [RT_OP_NOT_BETWEEN] = {" NOT BETWEEN ", 5, 0},
};

static const struct opinfo listops[] = {
    [RT_LIST_AND] = {" AND ", 3, 1}, [RT_LIST_OR] = {" OR ", 2, 1}, [RT_LIST_COMMA] = {", ", P_ATOM, 0}};

static const struct opinfo unops[] = {
    [RT_UOP_NOT] = {"NOT ", 5, 0},        [RT_UOP_NEG] = {"-", 8, 0},
    [RT_UOP_DISTINCT] = {"DISTINCT ", 5, 0}, [RT_UOP_ASC] = {" ASC", 3, 0},
    [RT_UOP_DESC] = {" DESC", 3, 0},      [RT_UOP_EXISTS] = {"EXISTS ", 0, 0},
    [RT_UOP_NULLS_FIRST] = {" NULLS FIRST", 3, 0}, [RT_UOP_NULLS_LAST] = {" NULLS LAST", 3, 0}};

/* The precedence of n as an operand, and an id of its operator. */
static int node_prec(const rt_node *n, int *op)
{
    *op = -1;
    switch (n->kind) {
    case RT_NODE_BINARY:
        *op = (int)((const binnode *)n)->op;
        return binops[*op].prec;
    case RT_NODE_LIST:
        *op = OP_LIST + (int)((const listnode *)n)->op;
        return listops[*op - OP_LIST].prec;
    case RT_NODE_UNARY:
        *op = OP_UNARY + (int)((const unnode *)n)->op;
        return unops[*op - OP_UNARY].prec;
    case RT_NODE_LABEL: return node_prec(((const labelnode *)n)->expr, op);
    default: return P_ATOM;
    }
}

static int is_assoc(int op)
{
    if (op >= OP_UNARY)
        return 0;
    if (op >= OP_LIST)
        return listops[op - OP_LIST].assoc;
    return op >= 0 && binops[op].assoc;
}

void cc_expr_in(rt_cctx *cc, const rt_node *n, int prec, int op)
{
    int cop;
    int cp = node_prec(n, &cop);
    int group = cp != P_ATOM && prec != P_NONE && !(cop == op && is_assoc(op)) && cp <= prec;
    if (n->kind == RT_NODE_LIST && ((const listnode *)n)->n == 0)
        group = 0;
    if (group)
        rt_buf_putc(cc->b, '(');
    cc_expr(cc, n);
    if (group)
        rt_buf_putc(cc->b, ')');
}

/* === rendering of each kind === */

static void render_text(rt_cctx *cc, const rt_node *n)
{
    const char *lit, *param;
    for (size_t i = 0; rt_text_segment(n, i, &lit, &param); i++) {
        cc_puts(cc, lit);
        if (param)
            cc_slot(cc, param, -1, NULL);
    }
}

static void render_column(rt_cctx *cc, const rt_node *n)
{
    const colnode *c = (const colnode *)n;
    const selectnode *s = rt_from_select(c->from);
    const char *name = s ? cc_select_column_name(cc, s, c->index)
                         : rt_from_column_name(c->from, c->index);
    if (!cc->unqualified) {
        cc_from_name(cc, c->from);
        rt_buf_putc(cc->b, '.');
    }
    cc_ident(cc, name);
}

static void render_in_set(rt_cctx *cc, const binnode *b)
{
    const rt_node *r = b->right;
    if (rt_node_is_selectable(r)) {
        rt_buf_putc(cc->b, '(');
        cc_select(cc, r, CC_NESTED);
        rt_buf_putc(cc->b, ')');
    } else if (r->kind == RT_NODE_LIST && ((const listnode *)r)->n == 0) {
        rt_buf_putc(cc->b, '(');
        if (cc->d->empty_in)
            cc->d->empty_in(cc, b->left);
        else
            cc_puts(cc, "SELECT 1 FROM (SELECT 1) WHERE 1!=1");
        rt_buf_putc(cc->b, ')');
    } else if (r->kind == RT_NODE_LIST || r->kind == RT_NODE_SCALAR_SELECT) {
        if (r->kind == RT_NODE_LIST)
            rt_buf_putc(cc->b, '(');
        cc_expr(cc, r);
        if (r->kind == RT_NODE_LIST)
            rt_buf_putc(cc->b, ')');
    } else {
        rt_buf_putc(cc->b, '(');
        cc_expr(cc, r);
        rt_buf_putc(cc->b, ')');
    }
}

static void render_binary(rt_cctx *cc, const rt_node *n)
{
    const binnode *b = (const binnode *)n;
    int prec = b->op == RT_OP_CUSTOM ? 0 : binops[b->op].prec;
    if ((b->op == RT_OP_ILIKE || b->op == RT_OP_NOT_ILIKE) && !cc->d->native_ilike) {
        cc_puts(cc, "lower(");
        cc_expr(cc, b->left);
        cc_puts(cc, b->op == RT_OP_ILIKE ? ") LIKE lower(" : ") NOT LIKE lower(");
        cc_expr(cc, b->right);
        rt_buf_putc(cc->b, ')');
        return;
    }
    if (b->op == RT_OP_MATCH && cc->d->match) {
        cc->d->match(cc, b->left, b->right);
        return;
    }
    cc_expr_in(cc, b->left, prec, (int)b->op);
    if (b->op == RT_OP_CUSTOM) {
        rt_buf_printf(cc->b, " %s ", b->custom);
    } else {
        cc_puts(cc, binops[b->op].sql);
    }
    if (b->op == RT_OP_IN || b->op == RT_OP_NOT_IN) {
        render_in_set(cc, b);
    } else if (b->op == RT_OP_BETWEEN || b->op == RT_OP_NOT_BETWEEN) {
        const listnode *l = (const listnode *)b->right;
        cc_expr(cc, l->items[0]);
        cc_puts(cc, " AND ");
        cc_expr(cc, l->items[1]);
    } else {
        cc_expr_in(cc, b->right, prec, (int)b->op);
    }
}

/* In ORDER BY, a label the select has among its columns renders by name. */
static int label_by_name(rt_cctx *cc, const rt_node *n)
{
    const selectnode *s = (const selectnode *)cc->order_select;
    if (!s || n->kind != RT_NODE_LABEL)
        return 0;
    for (size_t i = 0; i < s->ncols; i++)
        if (s->cols[i] == n) {
            const labelnode *l = (const labelnode *)n;
            cc_ident(cc, l->name ? l->name : cc_anon_label(cc, n, "anon"));
            return 1;
        }
    return 0;
}

static void render_unary(rt_cctx *cc, const rt_node *n)
{
    const unnode *u = (const unnode *)n;
    const struct opinfo *o = &unops[u->op];
    int op = OP_UNARY + (int)u->op;
    switch (u->op) {
    case RT_UOP_EXISTS:
        cc_puts(cc, "EXISTS (");
        cc_select(cc, u->operand, CC_NESTED);
        rt_buf_putc(cc->b, ')');
        return;
    case RT_UOP_ASC:
    case RT_UOP_DESC:
    case RT_UOP_NULLS_FIRST:
    case RT_UOP_NULLS_LAST:
        if (!label_by_name(cc, u->operand))
            cc_expr_in(cc, u->operand, u->op >= RT_UOP_NULLS_FIRST ? P_NONE : o->prec, op);
        cc_puts(cc, o->sql);
        return;
    default:
        cc_puts(cc, o->sql);
        cc_expr_in(cc, u->operand, o->prec, op);
    }
}

static void render_list(rt_cctx *cc, const rt_node *n)
{
    const listnode *l = (const listnode *)n;
    const struct opinfo *o = &listops[l->op];
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            cc_puts(cc, o->sql);
        if (l->op == RT_LIST_COMMA)
            cc_expr(cc, l->items[i]);
        else
            cc_expr_in(cc, l->items[i], o->prec, OP_LIST + (int)l->op);
    }
}

/* ANSI functions written without parentheses. */
static int is_niladic(const char *name)
{
    static const char *const names[] = {"current_timestamp", "current_date", "current_time",
                                        "localtime", "localtimestamp", "current_user",
                                        "session_user", "user", NULL};
    for (int i = 0; names[i]; i++)
        if (strcasecmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* A function name part: as written when it is a plain word, else quoted. */
static void func_name_part(rt_cctx *cc, const char *s, size_t n)
{
    int plain = n > 0 && !isdigit((unsigned char)s[0]);
    for (size_t i = 0; i < n && plain; i++)
        plain = isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$';
    char *part = cc_alloc(cc, n + 1);
    if (!part)
        return;
    memcpy(part, s, n);
    if (plain)
        cc_puts(cc, part);
    else
        cc_ident(cc, part);
}

static void render_func(rt_cctx *cc, const rt_node *n)
{
    const funcnode *f = (const funcnode *)n;
    const char *name = f->name;
    for (const char *const *p = cc->d->func_names; p && *p; p += 2)
        if (strcasecmp(p[0], name) == 0) {
            name = p[1];
            break;
        }
    if (f->n == 0 && is_niladic(name)) {
        for (const char *s = name; *s; s++)
            rt_buf_putc(cc->b, (char)toupper((unsigned char)*s));
        return;
    }
    for (const char *s = name, *dot; s; s = dot ? dot + 1 : NULL) {
        dot = strchr(s, '.');
        func_name_part(cc, s, dot ? (size_t)(dot - s) : strlen(s));
        if (dot)
            rt_buf_putc(cc->b, '.');
    }
    rt_buf_putc(cc->b, '(');
    if (f->n == 0 && strcasecmp(name, "count") == 0)
        rt_buf_putc(cc->b, '*');
    for (size_t i = 0; i < f->n; i++) {
        if (i)
            cc_puts(cc, ", ");
        cc_expr(cc, f->args[i]);
        if (cc->d->cast_string_func_args && !cc->literal && f->args[i]->kind == RT_NODE_BIND &&
            rt_type_is_string(rt_expr_type(f->args[i])))
            cc_puts(cc, "::VARCHAR");
    }
    rt_buf_putc(cc->b, ')');
}

static void render_case(rt_cctx *cc, const rt_node *n)
{
    const casenode *c = (const casenode *)n;
    cc_puts(cc, "CASE");
    if (c->value) {
        rt_buf_putc(cc->b, ' ');
        cc_expr(cc, c->value);
    }
    for (size_t i = 0; i < c->n; i++) {
        cc_puts(cc, " WHEN ");
        cc_expr_in(cc, c->whens[i], P_ALWAYS, -1);
        cc_puts(cc, " THEN ");
        cc_expr(cc, c->thens[i]);
    }
    if (c->else_) {
        cc_puts(cc, " ELSE ");
        cc_expr(cc, c->else_);
    }
    cc_puts(cc, " END");
}

static void render_wrap(rt_cctx *cc, const rt_node *n)
{
    const wrapnode *w = (const wrapnode *)n;
    if (n->kind == RT_NODE_CAST) {
        cc_puts(cc, "CAST(");
        cc_expr(cc, w->expr);
        cc_puts(cc, " AS ");
        cc_type(cc, w->type);
        rt_buf_putc(cc->b, ')');
    } else if (n->kind == RT_NODE_EXTRACT) {
        if (cc->d->extract) {
            cc->d->extract(cc, w->field, w->expr);
            return;
        }
        rt_buf_printf(cc->b, "EXTRACT(%s FROM ", w->field);
        cc_expr(cc, w->expr);
        rt_buf_putc(cc->b, ')');
    } else {
        rt_buf_putc(cc->b, '(');
        cc_select(cc, w->expr, CC_NESTED);
        rt_buf_putc(cc->b, ')');
    }
}

void cc_expr(rt_cctx *cc, const rt_node *n)
{
    if (cc->nerr || cc->oom)
        return;
    switch (n->kind) {
    case RT_NODE_TEXT: render_text(cc, n); break;
    case RT_NODE_COLUMN: render_column(cc, n); break;
    case RT_NODE_BIND: cc_bind(cc, n, NULL); break;
    case RT_NODE_LITERAL_COLUMN: cc_puts(cc, ((const litnode *)n)->text); break;
    case RT_NODE_NULL: cc_puts(cc, "NULL"); break;
    case RT_NODE_BOOL:
        cc_puts(cc, cc->d->native_boolean ? (((const litnode *)n)->value ? "true" : "false")
                                          : (((const litnode *)n)->value ? "1" : "0"));
        break;
    case RT_NODE_BINARY: render_binary(cc, n); break;
    case RT_NODE_UNARY: render_unary(cc, n); break;
    case RT_NODE_LIST: render_list(cc, n); break;
    case RT_NODE_FUNC: render_func(cc, n); break;
    case RT_NODE_LABEL:
        if (!label_by_name(cc, n))
            cc_expr(cc, ((const labelnode *)n)->expr);
        break;
    case RT_NODE_CASE: render_case(cc, n); break;
    case RT_NODE_CAST:
    case RT_NODE_EXTRACT:
    case RT_NODE_SCALAR_SELECT: render_wrap(cc, n); break;
    case RT_NODE_SELECT:
    case RT_NODE_COMPOUND:
        rt_buf_putc(cc->b, '(');
        cc_select(cc, n, CC_NESTED);
        rt_buf_putc(cc->b, ')');
        break;
    case RT_NODE_TABLE:
    case RT_NODE_ALIAS:
    case RT_NODE_JOIN: cc_from_element(cc, n); break;
    default:
        cc_error(cc, RT_ERR_COMPILE, "%s cannot be rendered inside an expression",
                 rt_node_kind_name(n->kind));
    }
}

/* === rt_render_inline === */

int rt_render_inline(const rt_node *expr, const rt_dialect *d, rt_buf *b, rt_error *err)
{
    rt_cctx cc;
    cc_init(&cc, d, b, err);
    cc.literal = 1;
    cc.unqualified = 1;
    if (cc.oom)
        ;
    else if (!rt_expr_is_own(expr) && expr->kind != RT_NODE_TEXT)
        cc_error(&cc, RT_ERR_COMPILE, "%s cannot be rendered inline",
                 rt_node_kind_name(expr->kind));
    else if (expr->kind == RT_NODE_TEXT)
        cc_puts(&cc, rt_text_source(expr));
    else
        cc_expr(&cc, expr);
    int rc = cc.oom || b->failed ? rt_error_oom(err) : cc.nerr ? -1 : 0;
    cc_free(&cc);
    return rc;
}
