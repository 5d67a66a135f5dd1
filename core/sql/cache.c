/* cache.c: the compile entry points (rt_compile, rt_compile_keys) and the
 * two caches in front of the compiler.
 *
 * Each node caches its compiled form per dialect (and, for INSERT/UPDATE,
 * per set of execution keys).  In front of the compiler sits the structural
 * cache: a statement built anew with the same shape as an earlier one (same
 * tables, columns, operators, names; any bind values) reuses that
 * statement's SQL text, slots and result keys, so executing the same shape
 * with new values does not compile again.  The key is a serialization of
 * the statement's structure (walker.c) plus dialect and keys, with tables
 * by identity.  An entry holds only the compiled text (which retains the
 * types its slots and columns name) and the tables it was made for: it
 * keeps no statement, MetaData or binding handle alive, and it is dropped
 * when the node of one of its tables dies (rt_sql_cache_forget_table), so a
 * table pointer in a key never outlives its table.  Statements that name no
 * table are not cached by shape.  The cache is an LRU of at most CACHE_MAX
 * entries; rt_sql_cache_clear() empties it.  Not thread-safe, like nodes. */
#include "expr_int.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_MAX 500

/* === node set-up === */

static int expr_compile_hook(const rt_node *n, const rt_dialect *d, rt_compiled *out,
                             rt_error *err)
{
    return rt_expr_compile(n, d, NULL, 0, 0, out, err);
}

void rt_expr_node_init(rt_node *n, rt_node_kind kind, void (*destroy)(rt_node *))
{
    rt_node_init(n, kind, destroy, expr_compile_hook);
}

int rt_expr_is_own(const rt_node *n) { return n && n->compile == expr_compile_hook; }

/* === one compilation === */

typedef struct bindindex {
    rt_walker w;
    rt_cctx *cc;
} bindindex;

static int visit_bind(rt_walker *w, const rt_node *n, size_t ordinal)
{
    (void)ordinal;
    rt_cctx *cc = ((bindindex *)w)->cc;
    if (n->kind == RT_NODE_BIND && ((const bindnode *)n)->has_value)
        cc_ptrmap_set(cc, &cc->bindidx, n, (void *)(intptr_t)(++cc->nvalues));
    return RT_WALK_CONTINUE;
}

static void take_results(rt_cctx *cc, const rt_node *n, rt_buf *b, rt_compiled *out)
{
    out->sql = rt_buf_steal(b);
    out->nslots = cc->nslots;
    out->slot_names = cc->slot_names;
    out->slot_binds = cc->slot_binds;
    out->slot_types = cc->slot_types;
    cc->slot_names = NULL, cc->slot_binds = NULL, cc->slot_types = NULL, cc->nslots = 0;
    out->ncolumns = cc->ncols;
    out->column_keys = cc->col_keys;
    out->column_nodes = cc->col_nodes;
    out->column_types = cc->col_types;
    cc->col_keys = NULL, cc->col_nodes = NULL, cc->col_types = NULL, cc->ncols = 0;
    out->kind = n->kind;
    out->autocommit = n->kind == RT_NODE_INSERT || n->kind == RT_NODE_UPDATE ||
                      n->kind == RT_NODE_DELETE;
    /* the types are retained: a cached compilation outlives the nodes */
    for (size_t i = 0; out->slot_types && i < out->nslots; i++)
        rt_type_hold(out->slot_types[i]);
    for (size_t i = 0; out->column_types && i < out->ncolumns; i++)
        rt_type_hold(out->column_types[i]);
    out->table = cc->table;
    out->pk_returning = cc->pk_returning;
    out->returning_added = cc->returning_added;
    cc->pk_returning = NULL;
}

static void render(rt_cctx *cc, const rt_node *n)
{
    switch (n->kind) {
    case RT_NODE_SELECT:
    case RT_NODE_COMPOUND: cc_select(cc, n, CC_TOP); break;
    case RT_NODE_INSERT: cc_insert(cc, (const dmlnode *)n); break;
    case RT_NODE_UPDATE: cc_update(cc, (const dmlnode *)n); break;
    case RT_NODE_DELETE: cc_delete(cc, (const dmlnode *)n); break;
    case RT_NODE_ALIAS:
        /* a subquery by itself renders as its select, as SQLAlchemy's str() */
        if (rt_node_is_selectable(((const aliasnode *)n)->element)) {
            cc_select(cc, ((const aliasnode *)n)->element, CC_TOP);
            break;
        }
        /* fall through */
    default: cc_expr(cc, n); break;
    }
}

int rt_expr_compile(const rt_node *n, const rt_dialect *d, const char *const *keys,
                    size_t nkeys, int many, rt_compiled *out, rt_error *err)
{
    rt_buf b;
    rt_cctx cc;
    rt_buf_init(&b);
    cc_init(&cc, d, &b, err);
    cc.keys = keys;
    cc.nkeys = nkeys;
    cc.has_keys = keys != NULL;
    cc.many = many;
    cc.want_columns = 1;
    bindindex bi = {.w = {.visit = visit_bind}, .cc = &cc};
    if (!cc.oom && rt_walk(n, &bi.w) < 0)
        cc_oom(&cc);
    if (!cc.oom)
        render(&cc, n);
    int rc = 0;
    if (cc.oom || b.failed) {
        rc = rt_error_oom(err);
    } else if (cc.nerr) {
        rc = -1;
    } else {
        take_results(&cc, n, &b, out);
        if (!out->sql)
            rc = rt_error_oom(err);
    }
    rt_buf_free(&b);
    cc_free(&cc);
    return rc;
}

/* === the structural cache === */

typedef struct centry {
    char *key;
    rt_compiled *body;            /* retained */
    const rt_table **tables;      /* the tables the statement names */
    size_t ntables;
    struct centry *prev, *next;   /* LRU order, most recent first */
} centry;

static rt_map *cache_map;
static centry *lru_head, *lru_tail;
static size_t cache_n;

static void lru_unlink(centry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        lru_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        lru_tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(centry *e)
{
    e->next = lru_head;
    if (lru_head)
        lru_head->prev = e;
    lru_head = e;
    if (!lru_tail)
        lru_tail = e;
}

static void evict(centry *e)
{
    lru_unlink(e);
    rt_map_remove(cache_map, e->key);
    cache_n--;
    rt_compiled_release(e->body);
    rt_free(e->tables);
    rt_free(e->key);
    rt_free(e);
}

void rt_sql_cache_clear(void)
{
    while (lru_head)
        evict(lru_head);
    rt_map_free(cache_map);
    cache_map = NULL;
}

void rt_sql_cache_forget_table(const rt_table *t)
{
    for (centry *e = lru_head, *next; e; e = next) {
        next = e->next;
        for (size_t i = 0; i < e->ntables; i++)
            if (e->tables[i] == t) {
                evict(e);
                break;
            }
    }
}

typedef struct tablewalk {
    rt_walker w;
    const rt_table **a;
    size_t n, cap;
    int oom;
} tablewalk;

static int visit_table(rt_walker *w, const rt_node *n, size_t ordinal)
{
    (void)ordinal;
    tablewalk *tw = (tablewalk *)w;
    if (n->kind != RT_NODE_TABLE)
        return RT_WALK_CONTINUE;
    if (tw->n == tw->cap) {
        size_t ncap = tw->cap ? tw->cap * 2 : 4;
        const rt_table **a = rt_realloc(tw->a, ncap * sizeof *a);
        if (!a) {
            tw->oom = 1;
            return RT_WALK_ABORT;
        }
        tw->a = a;
        tw->cap = ncap;
    }
    tw->a[tw->n++] = rt_table_of(n);
    return RT_WALK_CONTINUE;
}

/* Adds body under key for statement n (takes key; retains body). */
static void cache_put(char *key, rt_compiled *body, const rt_node *n)
{
    tablewalk tw = {.w = {.visit = visit_table}};
    if (rt_walk(n, &tw.w) != 0 || tw.oom || tw.n == 0 ||
        (!cache_map && !(cache_map = rt_map_new(NULL)))) {
        rt_free(tw.a);
        rt_free(key);
        return;
    }
    centry *e = rt_calloc(1, sizeof *e);
    if (!e || rt_map_set(cache_map, key, e) < 0) {
        rt_free(e);
        rt_free(tw.a);
        rt_free(key);
        return;
    }
    e->key = key;
    e->body = rt_compiled_retain(body);
    e->tables = tw.a;
    e->ntables = tw.n;
    lru_push(e);
    if (++cache_n > CACHE_MAX)
        evict(lru_tail);
}

static rt_compiled *cache_get(const char *key)
{
    centry *e = cache_map ? rt_map_get(cache_map, key) : NULL;
    if (!e)
        return NULL;
    lru_unlink(e);
    lru_push(e);
    return e->body;
}

/* The result-column expressions of n, in the order a compilation lists them. */
static rt_node *const *result_nodes(const rt_node *n, size_t *count)
{
    *count = 0;
    if (n->kind == RT_NODE_SELECT || n->kind == RT_NODE_COMPOUND) {
        const selectnode *s = rt_select_first(n);
        *count = s->ncols;
        return s->cols;
    }
    const dmlnode *s = (const dmlnode *)n;
    *count = s->nreturning;
    return s->returning;
}

/* A compiled statement for n sharing body's text and slots; its result
 * columns point at n's own expressions; it keeps a copy of vals (n's bind
 * values, or NULL) and its column nodes in the same allocation. */
static rt_compiled *share(rt_compiled *body, const rt_node *n, const rt_value **vals,
                          size_t nvals, rt_error *err)
{
    size_t extra = vals ? nvals * sizeof *vals : 0;
    /* one allocation: the copy, its values, its column nodes */
    rt_compiled *c = rt_calloc(1, sizeof *c + extra + body->ncolumns * sizeof(rt_node *));
    if (!c) {
        rt_error_oom(err);
        return NULL;
    }
    const rt_node **nodes = body->ncolumns ? (const rt_node **)((char *)(c + 1) + extra) : NULL;
    *c = *body;
    c->refcount = 1;
    c->body = rt_compiled_retain(body);
    c->params_key = NULL;
    c->stmt_values = NULL;
    c->nstmt_values = 0;
    if (vals) {
        const rt_value **own = (const rt_value **)(c + 1);
        if (nvals)
            memcpy(own, vals, extra);
        c->stmt_values = own;
        c->nstmt_values = nvals;
    }
    size_t m;
    rt_node *const *cols = result_nodes(n, &m);
    for (size_t i = 0; i < body->ncolumns; i++)   /* beyond m: implicit RETURNING */
        nodes[i] = i < m ? cols[i] : NULL;
    c->column_nodes = nodes;
    return c;
}

/* === entry points === */

static int is_statement(const rt_node *n)
{
    return n->kind == RT_NODE_SELECT || n->kind == RT_NODE_COMPOUND ||
           n->kind == RT_NODE_INSERT || n->kind == RT_NODE_UPDATE || n->kind == RT_NODE_DELETE;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* What the execution keys change in a statement: for INSERT/UPDATE, the
 * set of columns they name ("k0,2,"), and whether it runs as executemany;
 * NULL for statements they do not change.  Runs at every execution of an
 * INSERT or UPDATE: no printf, no sort call for the few keys usual. */
static char *params_key(const rt_node *n, const char *const *keys, size_t nkeys, int many)
{
    if (n->kind != RT_NODE_INSERT && n->kind != RT_NODE_UPDATE)
        return NULL;
    const rt_table *t = rt_dml_table(n);
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, keys ? "k" : "-");
    size_t small[32];
    size_t *idx = nkeys <= 32 ? small : rt_calloc(nkeys, sizeof *idx);
    size_t m = 0;
    for (size_t i = 0; i < nkeys && idx; i++) {
        const rt_column *c = keys[i] ? rt_table_column(t, keys[i]) : NULL;
        if (c)
            idx[m++] = c->position;
    }
    if (m > 32)
        qsort(idx, m, sizeof *idx, cmp_size);
    for (size_t i = 1; i < m && m <= 32; i++) {   /* insertion sort: few keys */
        size_t v = idx[i], j = i;
        for (; j > 0 && idx[j - 1] > v; j--)
            idx[j] = idx[j - 1];
        idx[j] = v;
    }
    for (size_t i = 0; i < m; i++)
        if (i == 0 || idx[i] != idx[i - 1]) {
            char num[24], *p = num + sizeof num;
            size_t v = idx[i];
            *--p = ',';
            do
                *--p = (char)('0' + v % 10);
            while (v /= 10);
            rt_buf_append(&b, p, (size_t)(num + sizeof num - p));
        }
    if (many)
        rt_buf_putc(&b, 'm');
    if (idx != small)
        rt_free(idx);
    if (nkeys && !idx)
        b.failed = 1;
    return rt_buf_steal(&b);
}

static int same_key(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Compiles n afresh, or reuses a statement of the same shape. */
static rt_compiled *compile_new(rt_node *n, const rt_dialect *d, const char *const *keys,
                                size_t nkeys, int many, const char *pkey, rt_error *err)
{
    rt_buf key;
    rt_buf_init(&key);
    const rt_value **vals = NULL;   /* n's bind values, found with the key */
    size_t nvals = 0;
    int cached = rt_expr_is_own(n) && is_statement(n);
    if (cached) {
        rt_buf_reserve(&key, 480);   /* (most keys fit: one allocation, not four) */
        rt_buf_putc(&key, (char)('A' + d->id));   /* (ids are below RT_DIALECT_COUNT) */
        rt_buf_putc(&key, '|');
        rt_buf_puts(&key, pkey ? pkey : "");
        rt_buf_putc(&key, '|');
        rt_node_structure(n, &key, &vals, &nvals);
        rt_compiled *body = key.failed ? NULL : cache_get(rt_buf_str(&key));
        if (body) {
            rt_buf_free(&key);
            rt_compiled *c = share(body, n, vals, nvals, err);
            rt_free((void *)vals);
            return c;
        }
    }
    rt_compiled *c = rt_calloc(1, sizeof *c);
    if (!c) {
        rt_buf_free(&key);
        rt_free((void *)vals);
        rt_error_oom(err);
        return NULL;
    }
    c->refcount = 1;
    int rc = rt_expr_is_own(n) ? rt_expr_compile(n, d, keys, nkeys, many, c, err)
                               : n->compile(n, d, c, err);
    if (rc < 0) {
        rt_compiled_release(c);
        rt_buf_free(&key);
        rt_free((void *)vals);
        return NULL;
    }
    rt_compile_counted();
    if (cached && !key.failed) {
        cache_put(rt_buf_steal(&key), c, n);
        /* n's own copy, which knows n's values: the body may serve others */
        rt_error scratch;
        rt_error_init(&scratch);
        rt_compiled *own = vals ? share(c, n, vals, nvals, &scratch) : NULL;
        if (own) {
            rt_compiled_release(c);
            c = own;
        }
        rt_error_clear(&scratch);
    }
    rt_buf_free(&key);
    rt_free((void *)vals);
    return c;
}

static int compile_keys(rt_node *n, const rt_dialect *d, const char *const *keys,
                        size_t nkeys, int many, rt_compiled **out, rt_error *err)
{
    *out = NULL;
    if (!n || !d) {
        rt_error_set(err, RT_ERR_ARGUMENT, "compile: a statement and a dialect are required");
        return -1;
    }
    char *pkey = rt_expr_is_own(n) ? params_key(n, keys, nkeys, many) : NULL;
    rt_compiled *c = n->cache[d->id];
    if (c && same_key(c->params_key, pkey)) {
        rt_free(pkey);
        *out = rt_compiled_retain(c);
        return 0;
    }
    c = compile_new(n, d, keys, nkeys, many, pkey, err);
    if (!c) {
        rt_free(pkey);
        return -1;
    }
    rt_free(c->params_key);
    c->params_key = pkey;
    rt_compiled_release(n->cache[d->id]);
    n->cache[d->id] = c;
    *out = rt_compiled_retain(c);
    return 0;
}

int rt_compile(rt_node *n, const rt_dialect *d, rt_compiled **out, rt_error *err)
{
    return compile_keys(n, d, NULL, 0, 0, out, err);
}

int rt_compile_keys(rt_node *n, const rt_dialect *d, const char *const *keys, size_t nkeys,
                    rt_compiled **out, rt_error *err)
{
    return compile_keys(n, d, keys, nkeys, 0, out, err);
}

int rt_compile_keys_many(rt_node *n, const rt_dialect *d, const char *const *keys,
                         size_t nkeys, rt_compiled **out, rt_error *err)
{
    return compile_keys(n, d, keys, nkeys, 1, out, err);
}
