/* mapper.c: a mapper ties a class (known here only by its name; the binding
 * keeps the class itself) to a table: one attribute per mapped column, in
 * the table's column order, looked up by name through a hash map, and the
 * attributes of the primary key.  Relationships will join the attributes as
 * properties of their own kind (relationship.c); this file holds the
 * column properties. */
#include "orm_int.h"

#include <string.h>

static void mapper_free(rt_mapper *m)
{
    orm_rels_free(m);
    for (size_t i = 0; i < m->nattrs; i++)
        rt_free(m->attrs[i].key);
    rt_free(m->attrs);
    rt_map_free(m->by_key);
    rt_free(m->pk);
    rt_free(m->class_name);
    for (size_t i = 0; i < sizeof m->flush_stmt / sizeof *m->flush_stmt; i++)
        rt_node_release(m->flush_stmt[i]);
    rt_node_release(m->table_node);
    rt_compiled_release(m->get_cp);
    rt_metadata_release(m->md);
    rt_free(m);
}

static int add_attr(rt_mapper *m, rt_column *c, const char *key, rt_error *err)
{
    if (rt_map_get(m->by_key, key))
        return rt_error_set(err, RT_ERR_ARGUMENT, "mapper for %s: attribute '%s' is mapped twice",
                            m->class_name, key);
    orm_attr *a = &m->attrs[m->nattrs];
    a->key = rt_strdup(key);
    a->column = c;
    if (!a->key)
        return rt_error_oom(err);
    m->nattrs++;
    if (rt_map_set(m->by_key, key, (void *)(uintptr_t)m->nattrs) < 0)
        return rt_error_oom(err);
    return 0;
}

rt_mapper *rt_mapper_new(const char *class_name, rt_table *t, rt_column *const *cols,
                         const char *const *keys, size_t n, rt_error *err)
{
    rt_constraint *pkc = rt_table_primary_key(t);
    if (!cols)
        n = t->ncols;
    rt_mapper *m = rt_calloc(1, sizeof *m);
    if (!m) {
        rt_error_oom(err);
        return NULL;
    }
    m->refcount = 1;
    m->table = t;
    m->md = rt_metadata_retain(t->metadata);
    m->class_name = rt_strdup(class_name);
    m->attrs = rt_calloc(n ? n : 1, sizeof *m->attrs);
    m->by_key = rt_map_new(NULL);
    m->pk = rt_calloc(pkc->ncols ? pkc->ncols : 1, sizeof *m->pk);
    if (!m->class_name || !m->attrs || !m->by_key || !m->pk) {
        rt_error_oom(err);
        goto fail;
    }
    if (pkc->ncols == 0) {
        rt_error_set(err, RT_ERR_ARGUMENT,
                     "Mapper mapped class %s->%s could not assemble any primary key "
                     "columns for mapped table '%s'", class_name, t->name, t->name);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        rt_column *c = cols ? cols[i] : t->columns[i];
        if (c->table != t) {
            rt_error_set(err, RT_ERR_ARGUMENT, "mapper for %s: column '%s' is not of table '%s'",
                         class_name, c->name ? c->name : "?", t->name);
            goto fail;
        }
        if (add_attr(m, c, keys && keys[i] ? keys[i] : c->key, err) < 0)
            goto fail;
    }
    for (size_t k = 0; k < pkc->ncols; k++) {
        long a = rt_mapper_column_attr(m, pkc->columns[k]);
        if (a < 0) {
            rt_error_set(err, RT_ERR_ARGUMENT, "mapper for %s: primary key column '%s' is not mapped",
                         class_name, pkc->columns[k]->name);
            goto fail;
        }
        m->pk[m->npk++] = (size_t)a;
    }
    m->table_node = rt_table_node(t, err);
    if (!m->table_node)
        goto fail;
    return m;
fail:
    mapper_free(m);
    return NULL;
}

rt_mapper *rt_mapper_retain(rt_mapper *m)
{
    if (m)
        m->refcount++;
    return m;
}

void rt_mapper_release(rt_mapper *m)
{
    if (m && --m->refcount == 0)
        mapper_free(m);
}

const char *rt_mapper_class_name(const rt_mapper *m) { return m->class_name; }
rt_table *rt_mapper_table(const rt_mapper *m) { return m->table; }
rt_node *rt_mapper_table_node(const rt_mapper *m) { return m->table_node; }
size_t rt_mapper_nattrs(const rt_mapper *m) { return m->nattrs; }
const char *rt_mapper_attr_key(const rt_mapper *m, size_t i) { return m->attrs[i].key; }
rt_column *rt_mapper_attr_column(const rt_mapper *m, size_t i) { return m->attrs[i].column; }
size_t rt_mapper_npk(const rt_mapper *m) { return m->npk; }
size_t rt_mapper_pk_attr(const rt_mapper *m, size_t i) { return m->pk[i]; }
void rt_mapper_set_user(rt_mapper *m, void *user) { m->user = user; }
void *rt_mapper_user(const rt_mapper *m) { return m->user; }

long rt_mapper_attr_index(const rt_mapper *m, const char *key)
{
    uintptr_t v = (uintptr_t)rt_map_get(m->by_key, key);
    return v ? (long)v - 1 : -1;
}

long rt_mapper_column_attr(const rt_mapper *m, const rt_column *c)
{
    for (size_t i = 0; i < m->nattrs; i++)
        if (m->attrs[i].column == c)
            return (long)i;
    return -1;
}

rt_node *rt_mapper_select(rt_mapper *m, rt_error *err)
{
    rt_node **cols = rt_calloc(m->nattrs, sizeof *cols);
    rt_node *s = NULL, *labelled = NULL;
    if (!cols) {
        rt_error_oom(err);
        return NULL;
    }
    size_t k = 0;
    for (; k < m->nattrs; k++) {
        cols[k] = rt_from_column_by_key(m->table_node, m->attrs[k].column->key, err);
        if (!cols[k])
            goto done;
    }
    s = rt_select_new(cols, m->nattrs, err);
    if (s)
        labelled = rt_select_apply_labels(s, err);
done:
    for (size_t i = 0; i < k; i++)
        rt_node_release(cols[i]);
    rt_free(cols);
    rt_node_release(s);
    return labelled;
}

void rt_mapper_match_columns(const rt_mapper *m, rt_result *r, int first, long *map)
{
    int ncols = rt_result_ncols(r);
    rt_buf label;
    rt_buf_init(&label);
    for (size_t i = 0; i < m->nattrs; i++) {
        const rt_column *c = m->attrs[i].column;
        rt_buf_reset(&label);
        rt_buf_puts(&label, m->table->name);     /* table_column, the label's name */
        rt_buf_putc(&label, '_');
        rt_buf_puts(&label, c->name);
        map[i] = -1;
        for (int pass = 0; pass < 2 && map[i] < 0; pass++)
            for (int j = first; j < ncols; j++) {
                const char *name = rt_result_colname(r, j);
                if (name && strcmp(name, pass == 0 ? rt_buf_str(&label) : c->name) == 0) {
                    map[i] = j;
                    break;
                }
            }
    }
    rt_buf_free(&label);
}
