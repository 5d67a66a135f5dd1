/* text.c: the text() construct: literal SQL with :name parameters.
 *
 * The source is split once, at construction, into literal pieces and parameter
 * names; compiling renders each name as the dialect's placeholder.  A text can
 * name the types of its result columns (text(...):columns{...}), which the
 * compiled statement carries as column_keys / column_types so that results
 * are converted as those of a select would be. */
#include "expr_int.h"
#include "sql_int.h"

#include <ctype.h>
#include <string.h>

typedef struct segment {
    char *literal;   /* SQL before the parameter (escapes removed) */
    char *param;     /* parameter name, or NULL for the trailing piece */
} segment;

typedef struct rt_text {
    rt_node base;
    char *source;
    segment *segs;
    size_t nsegs;
    size_t ntyped;           /* typed result columns, by name */
    char **typed_names;
    rt_sqltype **typed_types;/* held references (NULL entries allowed) */
} rt_text;

static void text_destroy(rt_node *n)
{
    rt_text *t = (rt_text *)n;
    for (size_t i = 0; i < t->nsegs; i++) {
        rt_free(t->segs[i].literal);
        rt_free(t->segs[i].param);
    }
    rt_free(t->segs);
    rt_free(t->source);
    for (size_t i = 0; i < t->ntyped; i++)
        rt_type_drop(t->typed_types[i]);
    rt_strs_free(t->typed_names, t->ntyped);
    rt_free(t->typed_types);
    rt_free(t);
}

/* Copies the typed result columns into the compiled statement. */
static int compile_typed(const rt_text *t, rt_compiled *c, rt_error *err)
{
    if (!t->ntyped)
        return 0;
    c->column_types = rt_calloc(t->ntyped, sizeof *c->column_types);
    if (!c->column_types || rt_strs_dup((const char *const *)t->typed_names, t->ntyped,
                                       &c->column_keys) < 0) {
        rt_free((void *)c->column_types);
        c->column_types = NULL;
        return rt_error_oom(err);
    }
    for (size_t i = 0; i < t->ntyped; i++)
        c->column_types[i] = rt_type_hold(t->typed_types[i]);
    c->ncolumns = t->ntyped;
    return 0;
}

static int text_compile(const rt_node *n, const rt_dialect *d, rt_compiled *c,
                        rt_error *err)
{
    const rt_text *t = (const rt_text *)n;
    rt_buf b;
    size_t nparams = t->nsegs - 1;
    rt_buf_init(&b);
    c->slot_names = rt_calloc(nparams, sizeof *c->slot_names);
    if (!c->slot_names)
        return rt_error_oom(err);
    for (size_t i = 0; i < t->nsegs; i++) {
        rt_buf_puts(&b, t->segs[i].literal);
        if (!t->segs[i].param)
            break;
        rt_dialect_placeholder(d, &b, t->segs[i].param, i + 1);
        c->slot_names[i] = rt_strdup(t->segs[i].param);
        if (!c->slot_names[i]) {
            rt_buf_free(&b);
            return rt_error_oom(err);
        }
        c->nslots++;
    }
    c->sql = rt_buf_steal(&b);
    if (!c->sql)
        return rt_error_oom(err);
    c->autocommit = rt_sql_is_autocommit(c->sql);
    c->kind = RT_NODE_TEXT;
    return compile_typed(t, c, err);
}

static int is_word(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Copies a quoted run (string, identifier) starting at s[i]; returns the index
 * just past it.  Colons inside need no escape, but `\:` still reads as `:`
 * there, as SQLAlchemy's documentation has users write '\:name'. */
static size_t skip_quoted(const char *s, size_t i, rt_buf *lit)
{
    char q = s[i];
    size_t j = i + 1;
    while (s[j] && !(s[j] == q && s[j + 1] != q))
        j += (s[j] == q) ? 2 : 1;
    if (s[j])
        j++;
    for (size_t k = i; k < j; k++) {
        if (s[k] == '\\' && s[k + 1] == ':' && k + 1 < j)
            continue;       /* drop the backslash, keep the colon */
        rt_buf_putc(lit, s[k]);
    }
    return j;
}

static size_t skip_comment(const char *s, size_t i, rt_buf *lit)
{
    const char *end = s[i] == '-' ? strchr(s + i, '\n') : strstr(s + i + 2, "*/");
    size_t j = end ? (size_t)(end - s) + (s[i] == '-' ? 0 : 2) : strlen(s);
    rt_buf_append(lit, s + i, j - i);
    return j;
}

static int push_segment(rt_text *t, rt_buf *lit, const char *name, size_t namelen,
                        size_t *cap)
{
    if (t->nsegs == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        segment *ns = rt_realloc(t->segs, ncap * sizeof *ns);
        if (!ns)
            return -1;
        t->segs = ns;
        *cap = ncap;
    }
    segment *sg = &t->segs[t->nsegs];
    sg->literal = rt_buf_steal(lit);
    sg->param = name ? rt_strndup(name, namelen) : NULL;
    if (!sg->literal || (name && !sg->param)) {
        rt_free(sg->literal);
        rt_free(sg->param);
        return -1;
    }
    t->nsegs++;
    return 0;
}

static int split(rt_text *t, const char *s)
{
    rt_buf lit;
    size_t cap = 0, i = 0;
    rt_buf_init(&lit);
    while (s[i]) {
        char c = s[i];
        if (c == '\'' || c == '"') {
            i = skip_quoted(s, i, &lit);
        } else if ((c == '-' && s[i + 1] == '-') || (c == '/' && s[i + 1] == '*')) {
            i = skip_comment(s, i, &lit);
        } else if (c == '\\' && s[i + 1] == ':') {
            rt_buf_putc(&lit, ':');
            i += 2;
        } else if (c == ':' && s[i + 1] == ':') {
            rt_buf_puts(&lit, "::");
            i += 2;
        } else if (c == ':' && is_word(s[i + 1]) && (i == 0 || !is_word(s[i - 1]))) {
            size_t j = i + 1;
            while (is_word(s[j]))
                j++;
            if (push_segment(t, &lit, s + i + 1, j - i - 1, &cap) < 0)
                goto oom;
            i = j;
        } else {
            rt_buf_putc(&lit, c);
            i++;
        }
    }
    if (push_segment(t, &lit, NULL, 0, &cap) < 0)
        goto oom;
    return 0;
oom:
    rt_buf_free(&lit);
    return -1;
}

rt_node *rt_text_new(const char *sql, rt_error *err)
{
    rt_text *t = rt_calloc(1, sizeof *t);
    if (!t) {
        rt_error_oom(err);
        return NULL;
    }
    rt_node_init(&t->base, RT_NODE_TEXT, text_destroy, text_compile);
    t->source = rt_strdup(sql);
    if (!t->source || split(t, sql) < 0) {
        text_destroy(&t->base);
        rt_error_oom(err);
        return NULL;
    }
    return &t->base;
}

rt_node *rt_text_columns(const rt_node *text, const char *const *names,
                         rt_sqltype *const *types, size_t n, rt_error *err)
{
    if (text->kind != RT_NODE_TEXT) {
        rt_error_set(err, RT_ERR_ARGUMENT, "columns() needs a text() statement");
        return NULL;
    }
    rt_node *copy = rt_text_new(((const rt_text *)text)->source, err);
    if (!copy)
        return NULL;
    rt_text *t = (rt_text *)copy;
    t->typed_types = rt_calloc(n ? n : 1, sizeof *t->typed_types);
    if (!t->typed_types || rt_strs_dup(names, n, &t->typed_names) < 0) {
        rt_node_release(copy);
        rt_error_oom(err);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        t->typed_types[i] = rt_type_hold(types[i]);
    t->ntyped = n;
    return copy;
}

const char *rt_text_source(const rt_node *n)
{
    return n->kind == RT_NODE_TEXT ? ((const rt_text *)n)->source : NULL;
}

int rt_text_segment(const rt_node *n, size_t i, const char **literal, const char **param)
{
    const rt_text *t = (const rt_text *)n;
    if (n->kind != RT_NODE_TEXT || i >= t->nsegs)
        return 0;
    *literal = t->segs[i].literal;
    *param = t->segs[i].param;
    return 1;
}
