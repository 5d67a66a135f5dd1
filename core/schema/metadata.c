/* metadata.c: the MetaData: a reference-counted collection of tables by
 * name, the foreign-key dependency order of its tables (for create_all,
 * drop_all and sorted_tables), and copying a table into another MetaData
 * (tometadata).
 *
 * The order is SQLAlchemy's: tables are sorted by name, then emitted in
 * layers, each layer holding the tables whose dependencies are all in earlier
 * layers. */
#include "schema_int.h"

#include <stdlib.h>
#include <string.h>

rt_metadata *rt_metadata_new(void)
{
    rt_metadata *md = rt_calloc(1, sizeof *md);
    if (!md)
        return NULL;
    md->refcount = 1;
    md->by_name = rt_map_new(NULL);
    if (!md->by_name) {
        rt_free(md);
        return NULL;
    }
    return md;
}

rt_metadata *rt_metadata_retain(rt_metadata *md)
{
    if (md)
        md->refcount++;
    return md;
}

void rt_metadata_release(rt_metadata *md)
{
    if (!md || --md->refcount > 0)
        return;
    for (size_t i = 0; i < md->ntables; i++)
        rt_table_free(md->tables[i]);
    rt_free(md->tables);
    rt_map_free(md->by_name);
    rt_free(md->schema);
    rt_free(md);
}

rt_table *rt_metadata_table(const rt_metadata *md, const char *fullname)
{
    return rt_map_get(md->by_name, fullname);
}

rt_table *rt_metadata_add_table(rt_metadata *md, const char *name, const char *schema,
                                rt_error *err)
{
    if (!name || !name[0]) {
        rt_error_set(err, RT_ERR_ARGUMENT, "a table needs a name");
        return NULL;
    }
    if (!schema)
        schema = md->schema;
    rt_table *t = rt_table_new(md, name, schema, err);
    if (!t)
        return NULL;
    if (rt_metadata_table(md, t->fullname)) {
        rt_error_set(err, RT_ERR_INVALID_REQUEST,
                     "Table '%s' is already defined for this MetaData instance.", t->fullname);
        rt_table_free(t);
        return NULL;
    }
    if (md->ntables == md->captables) {
        size_t cap = md->captables ? md->captables * 2 : 8;
        rt_table **a = rt_realloc(md->tables, cap * sizeof *a);
        if (!a)
            goto oom;
        md->tables = a;
        md->captables = cap;
    }
    if (rt_map_set(md->by_name, t->fullname, t) < 0)
        goto oom;
    md->tables[md->ntables++] = t;
    return t;
oom:
    rt_table_free(t);
    rt_error_oom(err);
    return NULL;
}

void rt_metadata_remove_table(rt_metadata *md, rt_table *t)
{
    for (size_t i = 0; i < md->ntables; i++) {
        if (md->tables[i] == t) {
            memmove(&md->tables[i], &md->tables[i + 1], (md->ntables - i - 1) * sizeof t);
            md->ntables--;
            rt_map_remove(md->by_name, t->fullname);
            rt_table_free(t);
            return;
        }
    }
}

void rt_metadata_discard_table(rt_metadata *md, rt_table *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        t->columns[i]->table = NULL;
        t->columns[i]->position = 0;
    }
    t->ncols = 0;
    rt_metadata_remove_table(md, t);
}

/* === dependency order === */

static int by_fullname(const void *a, const void *b)
{
    const rt_table *x = *(rt_table *const *)a, *y = *(rt_table *const *)b;
    return strcmp(x->fullname, y->fullname);
}

/* Whether t depends on u through a foreign key that orders creation. */
static int depends_on(const rt_table *t, const rt_table *u, const rt_metadata *md)
{
    if (t == u)
        return 0;
    for (size_t i = 0; i < t->nconstraints; i++) {
        const rt_constraint *k = t->constraints[i];
        if (k->kind != RT_CONSTRAINT_FOREIGN_KEY || k->fk.use_alter)
            continue;
        rt_error err;
        rt_error_init(&err);
        const rt_table *target = rt_foreign_key_table(k, md, &err);
        rt_error_clear(&err);
        if (target == u)
            return 1;
    }
    return 0;
}

static void cycle_error(rt_table **todo, size_t n, rt_error *err)
{
    rt_buf b;
    rt_buf_init(&b);
    for (size_t i = 0; i < n; i++)
        rt_buf_printf(&b, "%s%s", i ? ", " : "", todo[i]->fullname);
    rt_error_set(err, RT_ERR_CIRCULAR,
                 "Can't sort tables for DDL; an unresolvable foreign key dependency exists "
                 "between tables: %s.  Mark one of the ForeignKey or ForeignKeyConstraint "
                 "objects in the cycle with use_alter=true (and give it a name) so that it "
                 "is created with ALTER TABLE after the tables.",
                 b.failed ? "?" : rt_buf_str(&b));
    rt_buf_free(&b);
}

int rt_metadata_sorted_tables(const rt_metadata *md, rt_table ***out, size_t *n,
                              rt_error *err)
{
    size_t total = md->ntables, done = 0, ntodo = total;
    rt_table **todo = rt_calloc(total ? total : 1, sizeof *todo);
    rt_table **res = rt_calloc(total ? total : 1, sizeof *res);
    unsigned char *ready = rt_calloc(total ? total : 1, 1);
    *out = NULL;
    *n = 0;
    if (!todo || !res || !ready)
        goto oom;
    memcpy(todo, md->tables, total * sizeof *todo);
    qsort(todo, total, sizeof *todo, by_fullname);
    while (ntodo) {
        size_t layer = 0;
        for (size_t i = 0; i < ntodo; i++) {
            ready[i] = 1;
            for (size_t j = 0; j < ntodo && ready[i]; j++)
                if (depends_on(todo[i], todo[j], md))
                    ready[i] = 0;
            layer += ready[i];
        }
        if (!layer) {
            cycle_error(todo, ntodo, err);
            goto fail;
        }
        size_t keep = 0;
        for (size_t i = 0; i < ntodo; i++) {
            if (ready[i])
                res[done++] = todo[i];
            else
                todo[keep++] = todo[i];
        }
        ntodo = keep;
    }
    rt_free(todo);
    rt_free(ready);
    *out = res;
    *n = total;
    return 0;
oom:
    rt_error_oom(err);
fail:
    rt_free(todo);
    rt_free(res);
    rt_free(ready);
    return -1;
}

/* === tometadata === */

static int copy_constraint(rt_table *nt, const rt_constraint *k, rt_error *err)
{
    const char **kp = rt_calloc(k->ncols ? k->ncols : 1, sizeof *kp);
    if (!kp)
        return rt_error_oom(err);
    for (size_t i = 0; i < k->ncols; i++)
        kp[i] = k->columns[i]->key;
    rt_constraint *c = rt_table_add_constraint(nt, k->kind, k->name, kp, k->ncols,
                                               (const char *const *)k->fk.targets, err);
    rt_free(kp);
    if (!c)
        return -1;
    if (k->kind == RT_CONSTRAINT_FOREIGN_KEY) {
        rt_fk_options o = {k->name, k->fk.ondelete, k->fk.onupdate, k->fk.deferrable,
                           k->fk.initially_deferred, k->fk.use_alter};
        if (rt_constraint_set_fk_options(c, &o, err) < 0)
            return -1;
    }
    if (k->kind == RT_CONSTRAINT_CHECK) {
        rt_exprref e = {0};
        rt_exprref_copy(&e, &k->expr);
        if (rt_constraint_set_check(c, k->sqltext, &e, err) < 0) {
            rt_exprref_clear(&e);
            return -1;
        }
    }
    c->generated = k->generated;
    rt_table_order_constraint(nt, c, k->seq);
    return 0;
}

static int copy_index(rt_table *nt, const rt_index *ix, rt_error *err)
{
    const char **keys = rt_calloc(ix->ncols ? ix->ncols : 1, sizeof *keys);
    if (!keys)
        return rt_error_oom(err);
    for (size_t i = 0; i < ix->ncols; i++)
        keys[i] = ix->columns[i]->key;
    int rc = rt_table_add_index(nt, ix->name, keys, ix->ncols, ix->unique, err) ? 0 : -1;
    rt_free(keys);
    return rc;
}

static int copy_contents(rt_table *nt, const rt_table *t, rt_error *err)
{
    for (size_t i = 0; i < t->ncols; i++) {
        rt_column *c = rt_column_copy(t->columns[i], err);
        if (!c)
            return -1;
        if (rt_table_attach_column(nt, c, 0, err) < 0) {
            rt_column_free(c);
            return -1;
        }
    }
    for (size_t i = 0; i < t->nconstraints; i++)
        if (copy_constraint(nt, t->constraints[i], err) < 0)
            return -1;
    for (size_t i = 0; i < t->nindexes; i++)
        if (copy_index(nt, t->indexes[i], err) < 0)
            return -1;
    if (t->comment && !(nt->comment = rt_strdup(t->comment)))
        return rt_error_oom(err);
    return 0;
}

rt_table *rt_table_copy_to(const rt_table *t, rt_metadata *md, const char *schema,
                           rt_error *err)
{
    rt_table *nt = rt_metadata_add_table(md, t->name, schema ? schema : t->schema, err);
    if (!nt)
        return NULL;
    if (copy_contents(nt, t, err) < 0) {
        rt_metadata_remove_table(md, nt);
        return NULL;
    }
    return nt;
}
