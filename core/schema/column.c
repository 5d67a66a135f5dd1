/* column.c: columns as plain data (name, key, type, nullability, defaults,
 * sequence, the ForeignKey()s given to them), column defaults and sequences.
 *
 * A column is detached until rt_table_add_column (table.c) takes it; the
 * constraints its flags and ForeignKey()s imply are made there, because only
 * then is there a table to hold them. */
#include "schema_int.h"

#include <string.h>

/* === defaults === */

void rt_default_clear(rt_default *d)
{
    if (d->kind == RT_DEFAULT_SCALAR &&
        (d->value.type == RT_TEXT || d->value.type == RT_BLOB))
        rt_free((void *)d->value.u.s.p);
    if (d->kind == RT_DEFAULT_CALLABLE)
        rt_schema_ref_release(d->ref_ctx, d->ref);
    rt_free(d->text);
    rt_exprref_clear(&d->expr);
    memset(d, 0, sizeof *d);
}

int rt_default_set_scalar(rt_default *d, const rt_value *v)
{
    rt_value copy = *v;
    if (v->type == RT_TEXT || v->type == RT_BLOB) {
        char *p = rt_alloc(v->u.s.n + 1);
        if (!p)
            return -1;
        if (v->u.s.n)
            memcpy(p, v->u.s.p, v->u.s.n);
        p[v->u.s.n] = '\0';
        copy.u.s.p = p;
    }
    rt_default_clear(d);
    d->kind = RT_DEFAULT_SCALAR;
    d->value = copy;
    return 0;
}

int rt_default_set_text(rt_default *d, const char *text)
{
    char *s = rt_strdup(text);
    if (!s)
        return -1;
    rt_default_clear(d);
    d->kind = RT_DEFAULT_TEXT;
    d->text = s;
    return 0;
}

int rt_default_copy(rt_default *dst, const rt_default *src)
{
    rt_default_clear(dst);
    switch (src->kind) {
    case RT_DEFAULT_NONE:
        return 0;
    case RT_DEFAULT_SCALAR:
        return rt_default_set_scalar(dst, &src->value);
    case RT_DEFAULT_TEXT:
        return rt_default_set_text(dst, src->text);
    case RT_DEFAULT_EXPR:
        rt_exprref_copy(&dst->expr, &src->expr);
        dst->kind = dst->expr.node ? RT_DEFAULT_EXPR : RT_DEFAULT_NONE;
        return 0;
    case RT_DEFAULT_CALLABLE:
        dst->ref = rt_schema_ref_dup(src->ref_ctx, src->ref);
        if (!dst->ref)
            return -1;
        dst->ref_ctx = src->ref_ctx;
        dst->kind = RT_DEFAULT_CALLABLE;
        return 0;
    }
    return 0;
}

/* === sequences === */

rt_sequence *rt_sequence_new(const char *name, const char *schema)
{
    rt_sequence *s = rt_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->name = rt_strdup(name);
    s->schema = schema ? rt_strdup(schema) : NULL;
    s->start = s->increment = 1;
    if (!s->name || (schema && !s->schema)) {
        rt_sequence_free(s);
        return NULL;
    }
    return s;
}

rt_sequence *rt_sequence_copy(const rt_sequence *s)
{
    rt_sequence *c = rt_sequence_new(s->name, s->schema);
    if (!c)
        return NULL;
    c->start = s->start;
    c->increment = s->increment;
    c->has_start = s->has_start;
    c->has_increment = s->has_increment;
    c->optional = s->optional;
    return c;
}

void rt_sequence_free(rt_sequence *s)
{
    if (!s)
        return;
    rt_free(s->name);
    rt_free(s->schema);
    rt_free(s);
}

/* === columns === */

rt_column *rt_column_new(const char *name, rt_sqltype *type)
{
    rt_column *c = rt_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nullable = -1;
    if (name && (!(c->name = rt_strdup(name)) || !(c->key = rt_strdup(name)))) {
        rt_free(c->name);
        rt_free(c);
        return NULL;
    }
    c->type = rt_type_retain(type);
    return c;
}

void rt_column_fk_clear(rt_column_fk *f)
{
    rt_free(f->target);
    rt_free(f->name);
    rt_free(f->ondelete);
    rt_free(f->onupdate);
    memset(f, 0, sizeof *f);
}

void rt_column_free(rt_column *c)
{
    if (!c)
        return;
    rt_free(c->name);
    rt_free(c->key);
    rt_type_release(c->type);
    rt_default_clear(&c->default_);
    rt_default_clear(&c->onupdate);
    rt_default_clear(&c->server_default);
    rt_sequence_free(c->sequence);
    for (size_t i = 0; i < c->nfks; i++)
        rt_column_fk_clear(&c->fks[i]);
    rt_free(c->fks);
    rt_free(c->doc);
    rt_free(c->comment);
    rt_free(c);
}

/* A column of c's table (other than c) already using this name or key. */
static int taken(const rt_column *c, const char *name, int as_key)
{
    if (!c->table)
        return 0;
    for (size_t i = 0; i < c->table->ncols; i++) {
        const rt_column *o = c->table->columns[i];
        if (o != c && strcmp(as_key ? o->key : o->name, name) == 0)
            return 1;
    }
    return 0;
}

int rt_column_set_name(rt_column *c, const char *name, rt_error *err)
{
    if (taken(c, name, 0))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "a column named '%s' already exists in table '%s'", name,
                            c->table->name);
    int key_follows = !c->key || (c->name && strcmp(c->key, c->name) == 0);
    if (key_follows && taken(c, name, 1))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "a column with key '%s' already exists in table '%s'", name,
                            c->table->name);
    char *n = rt_strdup(name);
    char *k = key_follows ? rt_strdup(name) : NULL;
    if (!n || (key_follows && !k)) {
        rt_free(n);
        rt_free(k);
        return rt_error_oom(err);
    }
    rt_free(c->name);
    c->name = n;
    if (key_follows) {
        rt_free(c->key);
        c->key = k;
    }
    return 0;
}

int rt_column_set_key(rt_column *c, const char *key, rt_error *err)
{
    if (taken(c, key, 1))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "a column with key '%s' already exists in table '%s'", key,
                            c->table->name);
    char *k = rt_strdup(key);
    if (!k)
        return rt_error_oom(err);
    rt_free(c->key);
    c->key = k;
    return 0;
}

int rt_column_nullable(const rt_column *c)
{
    return c->nullable >= 0 ? c->nullable : !c->primary_key;
}

static const rt_sqltype *type_via_fk(const rt_column *c, int depth)
{
    rt_constraint **fks;
    size_t n;
    const rt_sqltype *t = NULL;
    if (c->type || !c->table || depth > 16 || rt_column_foreign_keys(c, &fks, &n) < 0)
        return c->type;
    for (size_t i = 0; i < n && !t; i++) {
        for (size_t j = 0; j < fks[i]->ncols && !t; j++) {
            if (fks[i]->columns[j] != c)
                continue;
            rt_error err;
            rt_error_init(&err);
            rt_column *target = rt_foreign_key_target(fks[i], j, c->table->metadata, &err);
            rt_error_clear(&err);
            t = target ? type_via_fk(target, depth + 1) : NULL;
        }
    }
    rt_free(fks);
    return t;
}

const rt_sqltype *rt_column_type(const rt_column *c) { return type_via_fk(c, 0); }

static int is_integer(const rt_sqltype *t)
{
    t = rt_type_base(t);
    return t && (t->kind == RT_TYPE_INTEGER || t->kind == RT_TYPE_SMALLINT ||
                 t->kind == RT_TYPE_BIGINT);
}

int rt_column_autoincrements(const rt_column *c)
{
    if (!c->primary_key || !c->table || c->autoincrement == RT_AUTOINC_FALSE ||
        !is_integer(rt_column_type(c)))
        return 0;
    if ((c->sequence && !c->sequence->optional) || c->autoincrement == RT_AUTOINC_TRUE)
        return 1;
    const rt_constraint *pk = rt_table_primary_key(c->table);
    if (pk->ncols != 1 || c->default_.kind != RT_DEFAULT_NONE ||
        c->server_default.kind != RT_DEFAULT_NONE || c->nfks)
        return 0;
    rt_constraint **fks;
    size_t n;
    if (rt_column_foreign_keys(c, &fks, &n) < 0)
        return 0;
    rt_free(fks);
    return n == 0;
}

int rt_column_add_foreign_key(rt_column *c, const char *target, const rt_fk_options *o,
                              rt_error *err)
{
    static const rt_fk_options none;
    rt_column_fk *fks = rt_realloc(c->fks, (c->nfks + 1) * sizeof *fks);
    if (!fks)
        return rt_error_oom(err);
    c->fks = fks;
    if (!o)
        o = &none;
    rt_column_fk *f = &fks[c->nfks];
    memset(f, 0, sizeof *f);
    f->target = rt_strdup(target);
    f->name = o->name ? rt_strdup(o->name) : NULL;
    f->ondelete = o->ondelete ? rt_strdup(o->ondelete) : NULL;
    f->onupdate = o->onupdate ? rt_strdup(o->onupdate) : NULL;
    f->deferrable = o->deferrable;
    f->initially_deferred = o->initially_deferred;
    f->use_alter = o->use_alter;
    if (!f->target || (o->name && !f->name) || (o->ondelete && !f->ondelete) ||
        (o->onupdate && !f->onupdate)) {
        rt_column_fk_clear(f);
        return rt_error_oom(err);
    }
    c->nfks++;
    return 0;
}

static int copy_fks(rt_column *dst, const rt_column *src, rt_error *err)
{
    for (size_t i = 0; i < src->nfks; i++) {
        const rt_column_fk *f = &src->fks[i];
        rt_fk_options o = {f->name, f->ondelete, f->onupdate, f->deferrable,
                           f->initially_deferred, f->use_alter};
        if (rt_column_add_foreign_key(dst, f->target, &o, err) < 0)
            return -1;
    }
    return 0;
}

rt_column *rt_column_copy(const rt_column *c, rt_error *err)
{
    rt_column *n = rt_column_new(c->name, c->type);
    if (!n) {
        rt_error_oom(err);
        return NULL;
    }
    n->nullable = c->nullable;
    n->primary_key = c->primary_key;
    n->unique = c->unique;
    n->index = c->index;
    n->autoincrement = c->autoincrement;
    int failed = (c->key && c->name && strcmp(c->key, c->name) != 0 &&
                  (rt_free(n->key), !(n->key = rt_strdup(c->key)))) ||
                 rt_default_copy(&n->default_, &c->default_) < 0 ||
                 rt_default_copy(&n->onupdate, &c->onupdate) < 0 ||
                 rt_default_copy(&n->server_default, &c->server_default) < 0 ||
                 (c->sequence && !(n->sequence = rt_sequence_copy(c->sequence))) ||
                 (c->doc && !(n->doc = rt_strdup(c->doc))) ||
                 (c->comment && !(n->comment = rt_strdup(c->comment)));
    if (failed) {
        rt_error_oom(err);
        rt_column_free(n);
        return NULL;
    }
    if (copy_fks(n, c, err) < 0) {
        rt_column_free(n);
        return NULL;
    }
    return n;
}
