/* relationship.c: relationships as properties of a mapper, as SQLAlchemy's
 * RelationshipProperty: the target mapper, the direction and the join's
 * column pairs derived from the foreign keys between the two tables, the
 * cascade, ordering and the backref linking the two directions.  Also the
 * lazy loader: the SELECT a first access to an unloaded relationship emits
 * (the identity map first for a many-to-one).  The values of relationships
 * on instances, and their events, are collection.c's; what a flush does
 * with them is dependency.c's. */
#include "orm_int.h"

#include <string.h>

static void rel_clear(orm_rel *r)
{
    rt_free(r->key);
    rt_free(r->pattrs);
    rt_free(r->cattrs);
    for (size_t i = 0; i < r->norder; i++)
        rt_node_release(r->order_by[i]);
    rt_free(r->order_by);
    rt_free(r->near);
    rt_free(r->far);
    rt_free(r->fattrs);
    rt_node_release(r->secondary_node);
    if (r->secondary)
        rt_metadata_release(r->secondary->metadata);
    rt_mapper_release(r->target);
    memset(r, 0, sizeof *r);
}

void orm_rels_free(rt_mapper *m)
{
    for (size_t i = 0; i < m->nrels; i++)
        rel_clear(&m->rels[i]);
    rt_free(m->rels);
    m->rels = NULL;
    m->nrels = 0;
}

void rt_mapper_clear_relationships(rt_mapper *m)
{
    for (size_t i = 0; i < m->nrels; i++) {
        rt_mapper_release(m->rels[i].target);
        m->rels[i].target = NULL;
    }
}

/* The one FOREIGN KEY constraint of `from` referencing `to`: 1 found, 0
 * none, 2 several. */
static int find_fk(rt_table *from, rt_table *to, rt_metadata *md, rt_constraint **out)
{
    int found = 0;
    for (size_t i = 0; i < from->nconstraints; i++) {
        rt_constraint *c = from->constraints[i];
        if (c->kind != RT_CONSTRAINT_FOREIGN_KEY)
            continue;
        rt_error e;
        rt_error_init(&e);
        rt_table *t = rt_foreign_key_table(c, md, &e);
        rt_error_clear(&e);
        if (t != to)
            continue;
        *out = c;
        found++;
    }
    return found > 1 ? 2 : found;
}

static int no_join(rt_mapper *m, const char *key, const char *why, rt_error *err)
{
    return rt_error_set(err, RT_ERR_ARGUMENT,
                        "Could not determine join condition between parent/child tables on "
                        "relationship %s.%s - %s", m->class_name, key, why);
}

/* Fills the pairs of r from foreign key fk of the child mapper. */
static int fill_pairs(orm_rel *r, rt_mapper *parent, rt_mapper *child, rt_constraint *fk,
                      rt_error *err)
{
    r->npairs = fk->ncols;
    r->pattrs = rt_calloc(fk->ncols, sizeof *r->pattrs);
    r->cattrs = rt_calloc(fk->ncols, sizeof *r->cattrs);
    if (!r->pattrs || !r->cattrs)
        return rt_error_oom(err);
    for (size_t k = 0; k < fk->ncols; k++) {
        rt_column *pc = rt_foreign_key_target(fk, k, child->md, err);
        if (!pc)
            return -1;
        long pa = rt_mapper_column_attr(parent, pc);
        long ca = rt_mapper_column_attr(child, fk->columns[k]);
        if (pa < 0 || ca < 0)
            return rt_error_set(err, RT_ERR_ARGUMENT,
                                "relationship %s: column '%s' of the join is not mapped",
                                r->key, pa < 0 ? pc->name : fk->columns[k]->name);
        r->pattrs[k] = (size_t)pa;
        r->cattrs[k] = (size_t)ca;
    }
    return 0;
}

/* Many-to-many: the columns of fk (of the secondary) and the attributes
 * of mapper m they reference. */
static int fill_secondary(orm_rel *r, rt_mapper *m, rt_constraint *fk, size_t **attrs,
                          rt_column ***cols, rt_error *err)
{
    *attrs = rt_calloc(fk->ncols, sizeof **attrs);
    *cols = rt_calloc(fk->ncols, sizeof **cols);
    if (!*attrs || !*cols)
        return rt_error_oom(err);
    for (size_t k = 0; k < fk->ncols; k++) {
        rt_column *pc = rt_foreign_key_target(fk, k, m->md, err);
        if (!pc)
            return -1;
        long a = rt_mapper_column_attr(m, pc);
        if (a < 0)
            return rt_error_set(err, RT_ERR_ARGUMENT, "relationship %s: column '%s' of the "
                                "join is not mapped", r->key, pc->name);
        (*attrs)[k] = (size_t)a;
        (*cols)[k] = fk->columns[k];
    }
    return 0;
}

static int add_secondary(orm_rel *r, rt_mapper *m, rt_mapper *target, rt_table *sec,
                         rt_error *err)
{
    rt_constraint *to_m = NULL, *to_t = NULL;
    int n_m = find_fk(sec, m->table, m->md, &to_m);
    int n_t = find_fk(sec, target->table, m->md, &to_t);
    if (n_m == 0 || n_t == 0)
        return no_join(m, r->key, "there are no foreign keys linking the secondary table "
                       "to both sides.  Specify 'primaryjoin' and 'secondaryjoin'.", err);
    if (n_m > 1 || n_t > 1 || m->table == target->table)
        return no_join(m, r->key, "there are multiple foreign key paths linking the tables "
                       "via secondary table.  Specify 'primaryjoin' and 'secondaryjoin'.", err);
    r->dir = RT_MANYTOMANY;
    r->secondary = sec;
    rt_metadata_retain(sec->metadata);     /* keeps the table alive */
    r->secondary_node = rt_table_node(sec, err);
    if (!r->secondary_node)
        return -1;
    r->npairs = to_m->ncols;
    r->nfar = to_t->ncols;
    return fill_secondary(r, m, to_m, &r->pattrs, &r->near, err) < 0 ||
           fill_secondary(r, target, to_t, &r->fattrs, &r->far, err) < 0 ? -1 : 0;
}

int rt_mapper_add_relationship(rt_mapper *m, const char *key, rt_mapper *target,
                               const rt_rel_options *o, size_t *idx, rt_error *err)
{
    if (rt_mapper_rel_index(m, key) >= 0 || rt_mapper_attr_index(m, key) >= 0)
        return rt_error_set(err, RT_ERR_ARGUMENT, "mapper for %s: property '%s' is mapped twice",
                            m->class_name, key);
    rt_constraint *to_m = NULL, *to_t = NULL;
    int sec = o && o->secondary;
    int n_tm = sec ? 1 : find_fk(target->table, m->table, m->md, &to_m);
    int n_mt = sec || target->table == m->table ? 0
                                                : find_fk(m->table, target->table, m->md, &to_t);
    if (!sec && target->table == m->table && n_tm == 1 && o && o->nremote) {
        /* self-referential: remote_side on the referenced columns: many-to-one */
        rt_error e;
        rt_error_init(&e);
        rt_column *ref = rt_foreign_key_target(to_m, 0, m->md, &e);
        rt_error_clear(&e);
        for (size_t k = 0; k < o->nremote; k++)
            if (o->remote_side[k] == ref) {
                n_mt = 1;
                n_tm = 0;
                to_t = to_m;
            }
    }
    if (n_tm == 0 && n_mt == 0)
        return no_join(m, key, "there are no foreign keys linking these tables.  Ensure "
                       "that referencing columns are associated with a ForeignKey or "
                       "ForeignKeyConstraint, or specify a 'primaryjoin' expression.", err);
    if (n_tm > 1 || n_mt > 1 || (n_tm && n_mt))
        return no_join(m, key, "there are multiple foreign key paths linking the tables.  "
                       "Specify the 'foreign_keys' argument, providing a list of those "
                       "columns which should be counted as containing a foreign key "
                       "reference to the parent table.", err);
    orm_rel *arr = rt_realloc(m->rels, (m->nrels + 1) * sizeof *arr);
    if (!arr)
        return rt_error_oom(err);
    m->rels = arr;
    orm_rel *r = &arr[m->nrels];
    memset(r, 0, sizeof *r);
    r->backref = -1;
    r->key = rt_strdup(key);
    r->dir = n_tm ? RT_ONETOMANY : RT_MANYTOONE;
    r->cascade = o ? o->cascade : RT_CASCADE_DEFAULT;
    if (!r->key) {
        rt_error_oom(err);
        goto fail;
    }
    if ((sec ? add_secondary(r, m, target, o->secondary, err)
             : r->dir == RT_ONETOMANY ? fill_pairs(r, m, target, to_m, err)
                                      : fill_pairs(r, target, m, to_t, err)) < 0)
        goto fail;
    r->uselist = o && o->uselist >= 0 ? o->uselist : r->dir != RT_MANYTOONE;
    if (o && o->norder) {
        r->order_by = rt_calloc(o->norder, sizeof *r->order_by);
        if (!r->order_by) {
            rt_error_oom(err);
            goto fail;
        }
        for (size_t i = 0; i < o->norder; i++)
            r->order_by[i] = rt_node_retain(o->order_by[i]);
        r->norder = o->norder;
    }
    r->target = rt_mapper_retain(target);
    *idx = m->nrels++;
    return 0;
fail:
    rel_clear(r);
    return -1;
}

int rt_mapper_link_backref(rt_mapper *m, size_t i, size_t j, rt_error *err)
{
    orm_rel *a = &m->rels[i];
    rt_mapper *t = a->target;
    orm_rel *b = t && j < t->nrels ? &t->rels[j] : NULL;
    int ok = b && b->target == m && a->npairs == (a->secondary ? b->nfar : b->npairs);
    if (ok && a->secondary) {
        ok = b->secondary == a->secondary && a->nfar == b->npairs;
        for (size_t k = 0; ok && k < a->npairs; k++)
            ok = a->pattrs[k] == b->fattrs[k] && a->near[k] == b->far[k];
        for (size_t k = 0; ok && k < a->nfar; k++)
            ok = a->fattrs[k] == b->pattrs[k] && a->far[k] == b->near[k];
    } else {
        ok = ok && !b->secondary && a->dir != b->dir;
        for (size_t k = 0; ok && k < a->npairs; k++)
            ok = a->pattrs[k] == b->pattrs[k] && a->cattrs[k] == b->cattrs[k];
    }
    if (!ok)
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "relationship %s.%s and its back_populates %s.%s are not the two "
                            "sides of one relationship", m->class_name, a->key,
                            t ? t->class_name : "?", b ? b->key : "?");
    a->backref = (long)j;
    b->backref = (long)i;
    return 0;
}

size_t rt_mapper_nrels(const rt_mapper *m) { return m->nrels; }
const char *rt_mapper_rel_key(const rt_mapper *m, size_t i) { return m->rels[i].key; }
rt_mapper *rt_mapper_rel_target(const rt_mapper *m, size_t i) { return m->rels[i].target; }
rt_rel_direction rt_mapper_rel_direction(const rt_mapper *m, size_t i) { return m->rels[i].dir; }
int rt_mapper_rel_uselist(const rt_mapper *m, size_t i) { return m->rels[i].uselist; }

long rt_mapper_rel_index(const rt_mapper *m, const char *key)
{
    for (size_t i = 0; i < m->nrels; i++)
        if (strcmp(m->rels[i].key, key) == 0)
            return (long)i;
    return -1;
}

rt_table *rt_mapper_rel_secondary(const rt_mapper *m, size_t i) { return m->rels[i].secondary; }

size_t rt_mapper_rel_pair(const rt_mapper *m, size_t i, size_t k, rt_column **parent,
                          rt_column **child)
{
    const orm_rel *r = &m->rels[i];
    if (r->secondary) {
        if (k < r->npairs) {
            *parent = m->attrs[r->pattrs[k]].column;
            *child = r->near[k];
        } else if (k < r->npairs + r->nfar && r->target) {
            *parent = r->target->attrs[r->fattrs[k - r->npairs]].column;
            *child = r->far[k - r->npairs];
        }
        return r->npairs + r->nfar;
    }
    const rt_mapper *pm = r->dir == RT_ONETOMANY ? m : r->target;
    const rt_mapper *cm = r->dir == RT_ONETOMANY ? r->target : m;
    if (k < r->npairs && pm && cm) {
        *parent = pm->attrs[r->pattrs[k]].column;
        *child = cm->attrs[r->cattrs[k]].column;
    }
    return r->npairs;
}

/* === the lazy loader === */

/* Many-to-one: the target by the foreign key's values: NULL when one is
 * NULL, else the identity map, else a SELECT by primary key. */
static int load_scalar(rt_state *st, orm_rel *r, orm_relslot *slot, rt_error *err)
{
    rt_mapper *t = r->target;
    const rt_value *pk[16];
    rt_value *vals = rt_calloc(t->npk + 1, sizeof *vals);
    if (!vals)
        return rt_error_oom(err);
    int null = 0, rc = 0, bypk = t->npk == r->npairs && t->npk <= 16;
    for (size_t k = 0; k < t->npk && bypk; k++) {
        long found = -1;
        for (size_t p = 0; p < r->npairs; p++)
            if (r->pattrs[p] == t->pk[k])
                found = (long)p;
        if (found < 0) {
            bypk = 0;
            break;
        }
        const rt_value *v = rt_state_get(st, r->cattrs[found]);
        null |= v->type == RT_NULL;
        vals[k] = *v;
        pk[k] = &vals[k];
    }
    rt_state *target = NULL;
    if (!bypk)
        rc = rt_error_set(err, RT_ERR_INVALID_REQUEST, "relationship %s.%s: lazy loading "
                          "needs a foreign key to the primary key", st->mapper->class_name,
                          r->key);
    else if (!null) {
        target = rt_session_identity_get(st->session, t, vals);
        if (target)
            rt_state_retain(target);
        else
            rc = orm_load_by_pk(st->session, t, pk, NULL, 0, &target, NULL, err);
    }
    if (rc == 0 && target && orm_vec_push(&slot->items, target) < 0) {
        rt_state_release(target);
        rc = rt_error_oom(err);
    }
    rt_free(vals);
    return rc;
}

/* One-to-many: SELECT the target's columns WHERE ? = child.fk ORDER BY. */
static int load_collection(rt_state *st, orm_rel *r, orm_relslot *slot, rt_error *err)
{
    rt_mapper *t = r->target;
    rt_node *q = rt_mapper_select(t, err);
    rt_result *res = NULL;
    rt_value *vals = NULL;
    int rc = -1;
    for (size_t k = 0; k < r->npairs + r->nfar && q; k++) {
        int far = k >= r->npairs;
        rt_column *c = r->secondary ? (far ? r->far[k - r->npairs] : r->near[k])
                                    : t->attrs[r->cattrs[k]].column;
        rt_node *col = rt_from_column_by_key(r->secondary ? r->secondary_node : t->table_node,
                                             c->key, err);
        rt_node *left = NULL;
        if (far && col)            /* keywords.id = post_keywords.keyword_id */
            left = rt_from_column_by_key(t->table_node,
                                         t->attrs[r->fattrs[k - r->npairs]].column->key, err);
        else if (col)
            left = rt_bind_new(NULL, rt_state_get(st, r->pattrs[k]), c->type, err);
        rt_node *cond = left ? rt_binary_new(left, RT_OP_EQ, col, NULL, err) : NULL;
        rt_node *bind = left;
        rt_node *next = cond ? rt_select_where(q, cond, err) : NULL;
        rt_node_release(col);
        rt_node_release(bind);
        rt_node_release(cond);
        rt_node_release(q);
        q = next;
    }
    if (q && r->norder) {
        rt_node *next = rt_select_order_by(q, r->order_by, r->norder, err);
        rt_node_release(q);
        q = next;
    }
    if (!q || orm_execute(st->session, q, &res, err) < 0)
        goto done;
    vals = rt_calloc(t->nattrs + 1, sizeof *vals);
    if (!vals) {
        rt_error_oom(err);
        goto done;
    }
    long *map = rt_calloc(t->nattrs + 1, sizeof *map);
    if (!map) {
        rt_error_oom(err);
        goto done;
    }
    rt_mapper_match_columns(t, res, 0, map);
    int got;
    rc = 0;
    while (rc == 0 && (got = rt_result_next(res, err)) > 0) {
        for (size_t i = 0; i < t->nattrs; i++) {
            vals[i] = rt_value_null();
            if (map[i] >= 0)
                rt_result_value(res, (int)map[i], &vals[i]);
        }
        rt_state *child = NULL;
        if (rt_session_load_row(st->session, t, vals, &child, err) < 0)
            rc = -1;
        else if (child && orm_vec_push(&slot->items, child) < 0) {
            rt_state_release(child);
            rc = rt_error_oom(err);
        }
    }
    if (rc == 0 && got < 0)
        rc = -1;
    rt_free(map);
done:
    rt_free(vals);
    rt_result_free(res);
    rt_node_release(q);
    return rc;
}

int orm_rel_lazy_load(rt_state *st, size_t r, rt_error *err)
{
    orm_rel *rel = &st->mapper->rels[r];
    if (!rel->target)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "relationship %s.%s is no longer "
                            "mapped", st->mapper->class_name, rel->key);
    if (rt_session_autoflush(st->session, err) < 0)
        return -1;
    orm_relslot *slot = orm_state_slot(st, r, err);
    if (!slot)
        return -1;
    if (slot->loaded)            /* the autoflush may have loaded it */
        return 0;
    int expired = 0;             /* the join's values of st must be loaded */
    for (size_t k = 0; k < rel->npairs; k++)
        expired |= !rt_state_loaded(st, rel->dir == RT_MANYTOONE ? rel->cattrs[k]
                                                                 : rel->pattrs[k]);
    if (expired && rt_state_load_expired(st, err) < 0)
        return -1;
    size_t n0 = slot->items.n;
    int rc = rel->dir == RT_MANYTOONE ? load_scalar(st, rel, slot, err)
                                      : load_collection(st, rel, slot, err);
    if (rc == 0)
        slot->loaded = 1;
    else
        while (slot->items.n > n0)
            rt_state_release(slot->items.items[--slot->items.n]);
    return rc;
}

int rt_state_rel_lazy_cached(rt_state *st, size_t r)
{
    orm_rel *rel = &st->mapper->rels[r];
    rt_mapper *t = rel->target;
    if (!t || rel->dir != RT_MANYTOONE || rel->secondary || t->npk != rel->npairs ||
        t->npk > 16 || !st->session)
        return 0;
    rt_value vals[16];
    for (size_t k = 0; k < t->npk; k++) {
        long found = -1;
        for (size_t p = 0; p < rel->npairs; p++)
            if (rel->pattrs[p] == t->pk[k])
                found = (long)p;
        if (found < 0 || !rt_state_loaded(st, rel->cattrs[found]))
            return 0;
        vals[k] = *rt_state_get(st, rel->cattrs[found]);
        if (vals[k].type == RT_NULL)
            return 1;
    }
    return rt_session_identity_get(st->session, t, vals) != NULL;
}
