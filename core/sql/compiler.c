/* compiler.c: the compile context and the compiled-statement object.
 *
 * A compilation runs on an rt_cctx: an arena for scratch, the output
 * buffer, the parameter slots, the anonymous names handed out so far
 * (anon_1, name_1: numbered per compilation in order of appearance, one
 * counter per base name shared by labels and parameters, as SQLAlchemy's
 * anon map) and errors accumulated as SQLite's parser does (first message
 * kept, an out-of-memory flag checked once at the end).  Column expressions
 * are rendered by compile_expr.c, statements by compile_select.c and
 * compile_dml.c; caching and the compile entry points are in cache.c;
 * dialect differences are hooks of struct rt_dialect. */
#include "expr_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* === compiled statements === */

static unsigned long compile_counter;

unsigned long rt_compile_count(void) { return compile_counter; }
void rt_compile_counted(void) { compile_counter++; }

rt_compiled *rt_compiled_retain(rt_compiled *c)
{
    if (c)
        c->refcount++;
    return c;
}

void rt_compiled_release(rt_compiled *c)
{
    if (!c || --c->refcount > 0)
        return;
    if (c->body) {
        rt_compiled_release(c->body);   /* text, slots and keys are its */
    } else {
        for (size_t i = 0; i < c->nslots; i++)
            rt_free(c->slot_names[i]);
        rt_free(c->slot_names);
        rt_free(c->slot_binds);
        for (size_t i = 0; c->slot_types && i < c->nslots; i++)
            rt_type_drop((rt_sqltype *)c->slot_types[i]);
        rt_free((void *)c->slot_types);
        for (size_t i = 0; c->column_keys && i < c->ncolumns; i++)
            rt_free(c->column_keys[i]);
        rt_free(c->column_keys);
        for (size_t i = 0; c->column_types && i < c->ncolumns; i++)
            rt_type_drop((rt_sqltype *)c->column_types[i]);
        rt_free((void *)c->column_types);
        rt_free(c->pk_returning);
        rt_free(c->sql);
        rt_free((void *)c->column_nodes);   /* (a copy's are in its own block) */
    }
    rt_free(c->params_key);
    rt_free(c);
}

long rt_compiled_slot(const rt_compiled *c, const char *name)
{
    for (size_t i = 0; i < c->nslots; i++)
        if (strcmp(c->slot_names[i], name) == 0)
            return (long)i;
    return -1;
}

/* Skips blanks, comments and opening parentheses before the first keyword. */
static const char *first_keyword(const char *s)
{
    for (;;) {
        while (isspace((unsigned char)*s) || *s == '(')
            s++;
        if (s[0] == '-' && s[1] == '-') {
            s = strchr(s, '\n');
            if (!s)
                return "";
        } else if (s[0] == '/' && s[1] == '*') {
            s = strstr(s + 2, "*/");
            if (!s)
                return "";
            s += 2;
        } else {
            return s;
        }
    }
}

int rt_sql_is_autocommit(const char *sql)
{
    static const char *const words[] = {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP",
                                        "ALTER", "REPLACE", "TRUNCATE", "GRANT",
                                        "REVOKE", "COMMENT", "MERGE", NULL};
    const char *s = first_keyword(sql);
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    for (int i = 0; words[i]; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return 1;
    return 0;
}

/* === the compile context: arena, maps, errors === */

struct rt_arena_chunk {
    rt_arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *cc_alloc(rt_cctx *cc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    rt_arena_chunk *c = cc->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 8192 ? n : 8192;
        c = rt_alloc(sizeof *c + cap);
        if (!c) {
            cc_oom(cc);
            return NULL;
        }
        c->next = cc->arena;
        c->used = 0;
        c->cap = cap;
        cc->arena = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *cc_strdup(rt_cctx *cc, const char *s)
{
    size_t n = strlen(s);
    char *p = cc_alloc(cc, n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

char *cc_printf(rt_cctx *cc, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof buf)
        return cc_strdup(cc, buf);
    char *p = cc_alloc(cc, (size_t)n + 1);
    if (p) {
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return p;
}

static size_t ptr_hash(const void *p, size_t cap)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 15;
    x *= 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 9) & (cap - 1);
}

void *cc_ptrmap_get(const cc_ptrmap *m, const void *key)
{
    if (!m->cap)
        return NULL;
    for (size_t h = ptr_hash(key, m->cap); m->keys[h]; h = (h + 1) & (m->cap - 1))
        if (m->keys[h] == key)
            return m->vals[h];
    return NULL;
}

static void ptrmap_put(cc_ptrmap *m, const void *key, void *val)
{
    size_t h = ptr_hash(key, m->cap);
    while (m->keys[h] && m->keys[h] != key)
        h = (h + 1) & (m->cap - 1);
    if (!m->keys[h])
        m->n++;
    m->keys[h] = key;
    m->vals[h] = val;
}

void cc_ptrmap_set(rt_cctx *cc, cc_ptrmap *m, const void *key, void *val)
{
    if ((m->n + 1) * 2 > m->cap) {
        cc_ptrmap old = *m;
        size_t cap = old.cap ? old.cap * 2 : 32;
        m->keys = cc_alloc(cc, cap * sizeof *m->keys);
        m->vals = cc_alloc(cc, cap * sizeof *m->vals);
        if (!m->keys || !m->vals) {
            *m = old;
            return;
        }
        m->cap = cap;
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i])
                ptrmap_put(m, old.keys[i], old.vals[i]);
    }
    ptrmap_put(m, key, val);
}

void cc_init(rt_cctx *cc, const rt_dialect *d, rt_buf *b, rt_error *err)
{
    memset(cc, 0, sizeof *cc);
    cc->d = d;
    cc->b = b;
    cc->err = err;
    cc->counters = rt_map_new(NULL);
    cc->explicit_binds = rt_map_new(NULL);
    if (!cc->counters || !cc->explicit_binds)
        cc->oom = 1;
}

void cc_free(rt_cctx *cc)
{
    rt_map_free(cc->counters);
    rt_map_free(cc->explicit_binds);
    while (cc->arena) {
        rt_arena_chunk *next = cc->arena->next;
        rt_free(cc->arena);
        cc->arena = next;
    }
    for (size_t i = 0; i < cc->nslots; i++)
        rt_free(cc->slot_names[i]);
    rt_free(cc->slot_names);
    rt_free(cc->slot_binds);
    rt_free((void *)cc->slot_types);
    for (size_t i = 0; i < cc->ncols; i++)
        rt_free(cc->col_keys[i]);
    rt_free(cc->col_keys);
    rt_free((void *)cc->col_nodes);
    rt_free((void *)cc->col_types);
    rt_free(cc->pk_returning);
    rt_free(cc->stack);
}

void cc_error(rt_cctx *cc, rt_errclass cls, const char *fmt, ...)
{
    if (cc->nerr++ || cc->oom)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    rt_error_set(cc->err, cls, "%s", buf);
}

void cc_oom(rt_cctx *cc) { cc->oom = 1; }

static const char *anon_in(rt_cctx *cc, cc_ptrmap *map, const void *n, const char *base)
{
    const char *name = cc_ptrmap_get(map, n);
    if (name)
        return name;
    long k = (long)(intptr_t)rt_map_get(cc->counters, base) + 1;
    if (rt_map_set(cc->counters, base, (void *)(intptr_t)k) < 0)
        cc_oom(cc);
    name = cc_printf(cc, "%s_%ld", base, k);
    if (!name)
        return "anon";
    cc_ptrmap_set(cc, map, n, (void *)name);
    return name;
}

const char *cc_anon_name(rt_cctx *cc, const rt_node *n, const char *base)
{
    return anon_in(cc, &cc->anon, n, base);
}

const char *cc_anon_label(rt_cctx *cc, const rt_node *n, const char *base)
{
    return anon_in(cc, &cc->labels, n, base);
}

/* === output === */

void cc_puts(rt_cctx *cc, const char *s) { rt_buf_puts(cc->b, s); }

void cc_ident(rt_cctx *cc, const char *ident) { rt_dialect_quote(cc->d, cc->b, ident); }

void cc_type(rt_cctx *cc, const rt_sqltype *t) { rt_type_ddl(cc->d, t, cc->b); }

static int grow(rt_cctx *cc, void **arr, size_t elem, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *a = rt_realloc(*arr, ncap * elem);
    if (!a) {
        cc_oom(cc);
        return -1;
    }
    *arr = a;
    *cap = ncap;
    return 0;
}

void cc_slot(rt_cctx *cc, const char *name, long bindindex, const rt_sqltype *type)
{
    size_t cap = cc->capslots;
    if (grow(cc, (void **)&cc->slot_names, sizeof *cc->slot_names, &cap, cc->nslots + 1) < 0)
        return;
    cap = cc->capslots;
    if (grow(cc, (void **)&cc->slot_binds, sizeof *cc->slot_binds, &cap, cc->nslots + 1) < 0)
        return;
    cap = cc->capslots;
    if (grow(cc, (void **)&cc->slot_types, sizeof *cc->slot_types, &cap, cc->nslots + 1) < 0)
        return;
    cc->capslots = cap;
    char *copy = rt_strdup(name);
    if (!copy) {
        cc_oom(cc);
        return;
    }
    cc->slot_names[cc->nslots] = copy;
    cc->slot_binds[cc->nslots] = bindindex;
    cc->slot_types[cc->nslots] = type;
    cc->nslots++;
    rt_dialect_placeholder(cc->d, cc->b, name, cc->nslots);
}

void cc_result_column(rt_cctx *cc, const char *key, const rt_node *node,
                      const rt_sqltype *type)
{
    size_t cap = cc->capcols;
    if (grow(cc, (void **)&cc->col_keys, sizeof *cc->col_keys, &cap, cc->ncols + 1) < 0)
        return;
    cap = cc->capcols;
    if (grow(cc, (void **)&cc->col_nodes, sizeof *cc->col_nodes, &cap, cc->ncols + 1) < 0)
        return;
    cap = cc->capcols;
    if (grow(cc, (void **)&cc->col_types, sizeof *cc->col_types, &cap, cc->ncols + 1) < 0)
        return;
    cc->capcols = cap;
    char *copy = rt_strdup(key);
    if (!copy) {
        cc_oom(cc);
        return;
    }
    cc->col_keys[cc->ncols] = copy;
    cc->col_nodes[cc->ncols] = node;
    cc->col_types[cc->ncols] = type;
    cc->ncols++;
}

/* === values inline (rt_render_inline) === */

void cc_literal_value(rt_cctx *cc, const rt_value *v)
{
    char num[64];
    switch (v->type) {
    case RT_NULL: cc_puts(cc, "NULL"); break;
    case RT_INT: rt_buf_printf(cc->b, "%lld", (long long)v->u.i); break;
    case RT_FLOAT:
        rt_format_float(num, v->u.f);
        cc_puts(cc, num);
        break;
    case RT_BOOL:
        cc_puts(cc, cc->d->native_boolean ? (v->u.b ? "true" : "false") : (v->u.b ? "1" : "0"));
        break;
    case RT_TEXT:
        rt_buf_putc(cc->b, '\'');
        for (size_t i = 0; i < v->u.s.n; i++) {
            if (v->u.s.p[i] == '\'')
                rt_buf_putc(cc->b, '\'');
            rt_buf_putc(cc->b, v->u.s.p[i]);
        }
        rt_buf_putc(cc->b, '\'');
        break;
    case RT_BLOB:
        cc_puts(cc, "X'");
        for (size_t i = 0; i < v->u.s.n; i++)
            rt_buf_printf(cc->b, "%02X", (unsigned char)v->u.s.p[i]);
        rt_buf_putc(cc->b, '\'');
        break;
    }
}

/* === bound parameters === */

/* Records a bindparam name; an explicit name equal to a VALUES/SET column
 * name is SQLAlchemy's CompileError. */
static void note_name(rt_cctx *cc, const char *name, int crud)
{
    intptr_t prev = (intptr_t)rt_map_get(cc->explicit_binds, name);
    int flag = crud ? 2 : 1;
    if (prev && prev != flag) {
        cc_error(cc, RT_ERR_COMPILE, "bindparam() name '%s' is reserved for automatic usage "
                 "in the VALUES or SET clause of this insert/update statement.   Please use a "
                 "name other than column name when using bindparam() with insert() or "
                 "update() (for example, 'b_%s').", name, name);
        return;
    }
    if (!prev && rt_map_set(cc->explicit_binds, name, (void *)(intptr_t)flag) < 0)
        cc_oom(cc);
}

void cc_bind(rt_cctx *cc, const rt_node *n, const char *name)
{
    const bindnode *b = (const bindnode *)n;
    if (cc->literal) {
        if (!b->has_value)
            cc_error(cc, RT_ERR_COMPILE, "Bind parameter '%s' without a value cannot be "
                     "rendered inline", b->key ? b->key : "param");
        else
            cc_literal_value(cc, &b->value);
        return;
    }
    if (name)
        note_name(cc, name, 1);
    else if (b->key)
        note_name(cc, name = b->key, 0);
    else
        name = cc_anon_name(cc, n, b->base_name ? b->base_name : "param");
    long idx = b->has_value ? (long)(intptr_t)cc_ptrmap_get(&cc->bindidx, n) - 1 : -1;
    cc_slot(cc, name, idx, rt_expr_type(n));
}

void cc_const_bind(rt_cctx *cc, const void *key, int which)
{
    static const rt_value consts[RT_NCONST] = {
        [RT_CONST_ZERO] = {.type = RT_INT, .u.i = 0},
        [RT_CONST_MINUS_ONE] = {.type = RT_INT, .u.i = -1}};
    if (cc->literal) {
        cc_literal_value(cc, &consts[which]);
        return;
    }
    cc_slot(cc, cc_anon_name(cc, key, "param"), (long)(cc->nvalues + (size_t)which),
            rt_static_type(RT_TYPE_INTEGER));
}
