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
    rt_node_release(r->extra);
    rt_node_release(r->sec_extra);
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

static int in_columns(const rt_column *c, rt_column *const *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cols[i] == c)
            return 1;
    return 0;
}

/* The one FOREIGN KEY constraint of `from` referencing `to` (with
 * foreign_keys given, only constraints holding one of them count): 1
 * found, 0 none, 2 several. */
static int find_fk(rt_table *from, rt_table *to, rt_metadata *md, const rt_rel_options *o,
                   rt_constraint **out)
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
        int named = !o || !o->nforeign;
        for (size_t k = 0; !named && k < c->ncols; k++)
            named = in_columns(c->columns[k], o->foreign_keys, o->nforeign);
        if (!named)
            continue;
        *out = c;
        found++;
    }
    return found > 1 ? 2 : found;
}

/* Whether column c references column other by a ForeignKey. */
static int references(rt_column *c, rt_column *other, rt_metadata *md)
{
    rt_table *t = c->table;
    for (size_t i = 0; t && i < t->nconstraints; i++) {
        rt_constraint *fk = t->constraints[i];
        if (fk->kind != RT_CONSTRAINT_FOREIGN_KEY)
            continue;
        for (size_t k = 0; k < fk->ncols; k++) {
            if (fk->columns[k] != c)
                continue;
            rt_error e;
            rt_error_init(&e);
            rt_column *target = rt_foreign_key_target(fk, k, md, &e);
            rt_error_clear(&e);
            if (target == other)
                return 1;
        }
    }
    return 0;
}

/* The column pairs of a join condition between tables a and b, as
 * SQLAlchemy reads a primaryjoin: each "column = column" term between the
 * two tables whose foreign side is known (named in foreign_keys, else the
 * column with a ForeignKey to the other) is a pair (referenced column,
 * foreign column); every other term is extra criteria. */
typedef struct join_pairs {
    rt_column *ref[16], *fk[16];
    size_t n;
    rt_node *extra[32];    /* borrowed terms */
    size_t nextra;
} join_pairs;

static int split_join(rt_mapper *m, const char *key, rt_node *join, rt_table *a, rt_table *b,
                      const rt_rel_options *o, join_pairs *jp, rt_error *err)
{
    rt_node *terms[32];
    size_t n = rt_expr_and_terms(join, terms, 32);
    if (n > 32)
        return rt_error_set(err, RT_ERR_ARGUMENT, "relationship %s.%s: the join condition "
                            "has too many terms", m->class_name, key);
    memset(jp, 0, sizeof *jp);
    for (size_t i = 0; i < n; i++) {
        rt_node *l, *r;
        rt_column *lc = NULL, *rc = NULL;
        if (rt_expr_column_eq(terms[i], &l, &r)) {
            lc = rt_column_of(l);
            rc = rt_column_of(r);
        }
        int between = lc && rc && ((lc->table == a && rc->table == b) ||
                                   (lc->table == b && rc->table == a));
        int lf = between && (o->nforeign ? in_columns(lc, o->foreign_keys, o->nforeign)
                                         : references(lc, rc, m->md));
        int rf = between && (o->nforeign ? in_columns(rc, o->foreign_keys, o->nforeign)
                                         : references(rc, lc, m->md));
        if (lf && rf)
            return rt_error_set(err, RT_ERR_ARGUMENT, "relationship %s.%s: both columns of "
                                "'%s = %s' are foreign; name one in 'foreign_keys'",
                                m->class_name, key, lc->name, rc->name);
        if (lf || rf) {
            if (jp->n == 16)
                return rt_error_set(err, RT_ERR_ARGUMENT, "relationship %s.%s: too many "
                                    "column pairs", m->class_name, key);
            jp->ref[jp->n] = lf ? rc : lc;
            jp->fk[jp->n++] = lf ? lc : rc;
        } else {
            jp->extra[jp->nextra++] = terms[i];
        }
    }
    if (jp->n == 0)
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "Could not locate any relevant foreign key columns for join "
                            "condition of relationship %s.%s.  Ensure that referencing columns "
                            "are associated with a ForeignKey or ForeignKeyConstraint, or name "
                            "them in 'foreign_keys'", m->class_name, key);
    return 0;
}

/* The extra terms of a split join as one criterion (NULL: none). */
static int join_extra(const join_pairs *jp, rt_node **out, rt_error *err)
{
    *out = NULL;
    if (jp->nextra == 0)
        return 0;
    *out = jp->nextra == 1 ? rt_node_retain(jp->extra[0])
                           : rt_list_new(RT_LIST_AND, jp->extra, jp->nextra, err);
    return *out ? 0 : -1;
}

static int no_join(rt_mapper *m, const char *key, const char *why, rt_error *err)
{
    return rt_error_set(err, RT_ERR_ARGUMENT,
                        "Could not determine join condition between parent/child tables on "
                        "relationship %s.%s - %s", m->class_name, key, why);
}

/* The pairs of a foreign-key constraint: (referenced, referencing) columns. */
static int fk_pairs(rt_constraint *fk, rt_metadata *md, join_pairs *jp, rt_error *err)
{
    memset(jp, 0, sizeof *jp);
    if (fk->ncols > 16)
        return rt_error_set(err, RT_ERR_ARGUMENT, "a foreign key of more than 16 columns");
    for (size_t k = 0; k < fk->ncols; k++) {
        if (!(jp->ref[k] = rt_foreign_key_target(fk, k, md, err)))
            return -1;
        jp->fk[k] = fk->columns[k];
    }
    jp->n = fk->ncols;
    return 0;
}

static int unmapped(const orm_rel *r, const rt_column *c, rt_error *err)
{
    return rt_error_set(err, RT_ERR_ARGUMENT, "relationship %s: column '%s' of the join is "
                        "not mapped", r->key, c->name);
}

/* The pairs of r from jp: parent holds the referenced columns, child the
 * foreign ones. */
static int fill_pairs(orm_rel *r, rt_mapper *parent, rt_mapper *child, const join_pairs *jp,
                      rt_error *err)
{
    r->npairs = jp->n;
    r->pattrs = rt_calloc(jp->n, sizeof *r->pattrs);
    r->cattrs = rt_calloc(jp->n, sizeof *r->cattrs);
    if (!r->pattrs || !r->cattrs)
        return rt_error_oom(err);
    for (size_t k = 0; k < jp->n; k++) {
        long pa = rt_mapper_column_attr(parent, jp->ref[k]);
        long ca = rt_mapper_column_attr(child, jp->fk[k]);
        if (pa < 0 || ca < 0)
            return unmapped(r, pa < 0 ? jp->ref[k] : jp->fk[k], err);
        r->pattrs[k] = (size_t)pa;
        r->cattrs[k] = (size_t)ca;
    }
    return 0;
}

/* Many-to-many: the secondary's columns of jp and the attributes of
 * mapper m they reference. */
static int fill_secondary(orm_rel *r, rt_mapper *m, const join_pairs *jp, size_t **attrs,
                          rt_column ***cols, rt_error *err)
{
    *attrs = rt_calloc(jp->n, sizeof **attrs);
    *cols = rt_calloc(jp->n, sizeof **cols);
    if (!*attrs || !*cols)
        return rt_error_oom(err);
    for (size_t k = 0; k < jp->n; k++) {
        long a = rt_mapper_column_attr(m, jp->ref[k]);
        if (a < 0)
            return unmapped(r, jp->ref[k], err);
        (*attrs)[k] = (size_t)a;
        (*cols)[k] = jp->fk[k];
    }
    return 0;
}

/* One side of a many-to-many: from the join given, else from the one
 * foreign key of the secondary to side's table. */
static int secondary_side(orm_rel *r, rt_mapper *m, rt_mapper *side, rt_table *sec,
                          rt_node *join, const rt_rel_options *o, join_pairs *jp,
                          rt_node **extra, rt_error *err)
{
    if (join) {
        if (split_join(m, r->key, join, side->table, sec, o, jp, err) < 0)
            return -1;
        for (size_t k = 0; k < jp->n; k++)
            if (jp->fk[k]->table != sec)
                return no_join(m, r->key, "the foreign columns of a many-to-many join "
                               "condition must be the secondary table's", err);
        return join_extra(jp, extra, err);
    }
    rt_constraint *fk = NULL;
    int n = m->table == r->target->table ? 2 : find_fk(sec, side->table, m->md, o, &fk);
    if (n == 0)
        return no_join(m, r->key, "there are no foreign keys linking the secondary table "
                       "to both sides.  Specify 'primaryjoin' and 'secondaryjoin'.", err);
    if (n > 1)
        return no_join(m, r->key, "there are multiple foreign key paths linking the tables "
                       "via secondary table.  Specify 'primaryjoin' and 'secondaryjoin'.", err);
    return fk_pairs(fk, m->md, jp, err);
}

static int add_secondary(orm_rel *r, rt_mapper *m, rt_mapper *target, const rt_rel_options *o,
                         rt_error *err)
{
    rt_table *sec = o->secondary;
    join_pairs near, far;
    r->dir = RT_MANYTOMANY;
    r->secondary = sec;
    rt_metadata_retain(sec->metadata);     /* keeps the table alive */
    r->secondary_node = rt_table_node(sec, err);
    if (!r->secondary_node ||
        secondary_side(r, m, m, sec, o->primaryjoin, o, &near, &r->extra, err) < 0 ||
        secondary_side(r, m, target, sec, o->secondaryjoin, o, &far, &r->sec_extra, err) < 0)
        return -1;
    r->npairs = near.n;
    r->nfar = far.n;
    return fill_secondary(r, m, &near, &r->pattrs, &r->near, err) < 0 ||
           fill_secondary(r, target, &far, &r->fattrs, &r->far, err) < 0 ? -1 : 0;
}

/* A relationship without a secondary: its pairs and direction from the
 * primaryjoin, else from the one foreign key between the tables. */
static int add_direct(orm_rel *r, rt_mapper *m, rt_mapper *target, const rt_rel_options *o,
                      rt_error *err)
{
    join_pairs jp;
    int self = target->table == m->table, many_to_one;
    if (o->primaryjoin) {
        if (split_join(m, r->key, o->primaryjoin, m->table, target->table, o, &jp, err) < 0 ||
            join_extra(&jp, &r->extra, err) < 0)
            return -1;
        many_to_one = jp.fk[0]->table == m->table;
        for (size_t k = 1; k < jp.n && !self; k++)
            if ((jp.fk[k]->table == m->table) != many_to_one)
                return no_join(m, r->key, "the foreign columns of the join condition are on "
                               "both sides", err);
    } else {
        rt_constraint *to_m = NULL, *to_t = NULL;
        int n_tm = find_fk(target->table, m->table, m->md, o, &to_m);
        int n_mt = self ? 0 : find_fk(m->table, target->table, m->md, o, &to_t);
        if (n_tm == 0 && n_mt == 0)
            return no_join(m, r->key, "there are no foreign keys linking these tables.  "
                           "Ensure that referencing columns are associated with a ForeignKey "
                           "or ForeignKeyConstraint, or specify a 'primaryjoin' expression.",
                           err);
        if (n_tm > 1 || n_mt > 1 || (n_tm && n_mt))
            return no_join(m, r->key, "there are multiple foreign key paths linking the "
                           "tables.  Specify the 'foreign_keys' argument, providing a list "
                           "of those columns which should be counted as containing a foreign "
                           "key reference to the parent table.", err);
        if (fk_pairs(n_tm ? to_m : to_t, m->md, &jp, err) < 0)
            return -1;
        many_to_one = !n_tm;
    }
    if (self) {          /* remote_side on the referenced columns: many-to-one */
        many_to_one = 0;
        for (size_t k = 0; k < o->nremote; k++)
            many_to_one |= in_columns(o->remote_side[k], jp.ref, jp.n);
    }
    r->dir = many_to_one ? RT_MANYTOONE : RT_ONETOMANY;
    return many_to_one ? fill_pairs(r, target, m, &jp, err) : fill_pairs(r, m, target, &jp, err);
}

int rt_mapper_add_relationship(rt_mapper *m, const char *key, rt_mapper *target,
                               const rt_rel_options *o, size_t *idx, rt_error *err)
{
    static const rt_rel_options none = {.uselist = -1, .cascade = RT_CASCADE_DEFAULT};
    if (!o)
        o = &none;
    if (rt_mapper_rel_index(m, key) >= 0 || rt_mapper_attr_index(m, key) >= 0)
        return rt_error_set(err, RT_ERR_ARGUMENT, "mapper for %s: property '%s' is mapped twice",
                            m->class_name, key);
    if (o->secondaryjoin && !o->secondary)
        return rt_error_set(err, RT_ERR_ARGUMENT, "relationship %s.%s: 'secondaryjoin' needs "
                            "a 'secondary' table", m->class_name, key);
    orm_rel *arr = rt_realloc(m->rels, (m->nrels + 1) * sizeof *arr);
    if (!arr)
        return rt_error_oom(err);
    m->rels = arr;
    orm_rel *r = &arr[m->nrels];
    memset(r, 0, sizeof *r);
    r->backref = -1;
    r->key = rt_strdup(key);
    r->cascade = o->cascade;
    r->post_update = o->post_update;
    r->target = rt_mapper_retain(target);
    if (!r->key) {
        rt_error_oom(err);
        goto fail;
    }
    if ((o->secondary ? add_secondary(r, m, target, o, err) : add_direct(r, m, target, o, err)) < 0)
        goto fail;
    r->uselist = o->uselist >= 0 ? o->uselist : r->dir != RT_MANYTOONE;
    if (o->norder) {
        r->order_by = rt_calloc(o->norder, sizeof *r->order_by);
        if (!r->order_by) {
            rt_error_oom(err);
            goto fail;
        }
        for (size_t i = 0; i < o->norder; i++)
            r->order_by[i] = rt_node_retain(o->order_by[i]);
        r->norder = o->norder;
    }
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
int rt_mapper_rel_dynamic(const rt_mapper *m, size_t i) { return m->rels[i].dynamic; }

int rt_mapper_rel_set_dynamic(rt_mapper *m, size_t i, rt_error *err)
{
    orm_rel *r = &m->rels[i];
    if (!r->uselist)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "On relationship %s.%s, 'dynamic' "
                            "loaders cannot be used with many-to-one/one-to-one relationships "
                            "and/or uselist=False.", m->class_name, r->key);
    r->dynamic = 1;
    return 0;
}

long rt_mapper_rel_index(const rt_mapper *m, const char *key)
{
    for (size_t i = 0; i < m->nrels; i++)
        if (strcmp(m->rels[i].key, key) == 0)
            return (long)i;
    return -1;
}

rt_table *rt_mapper_rel_secondary(const rt_mapper *m, size_t i) { return m->rels[i].secondary; }
rt_node *rt_mapper_rel_extra(const rt_mapper *m, size_t i, int secondary)
{
    return secondary ? m->rels[i].sec_extra : m->rels[i].extra;
}
size_t rt_mapper_rel_nnear(const rt_mapper *m, size_t i) { return m->rels[i].npairs; }
int rt_mapper_rel_post_update(const rt_mapper *m, size_t i) { return m->rels[i].post_update; }

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

static int load_query(rt_state *st, orm_rel *r, orm_relslot *slot, rt_error *err);

/* For a many-to-one whose foreign key references the target's primary key
 * (without extra criteria): the key st points at, into pk (a part may be
 * NULL).  0 when the relationship is not of that form, or (loaded_only)
 * when a part is not loaded. */
static int fk_pk(rt_state *st, const orm_rel *r, rt_value *pk, int loaded_only)
{
    const rt_mapper *t = r->target;
    if (r->dir != RT_MANYTOONE || r->extra || t->npk != r->npairs || t->npk > 16)
        return 0;
    for (size_t k = 0; k < t->npk; k++) {
        long found = -1;
        for (size_t p = 0; p < r->npairs; p++)
            if (r->pattrs[p] == t->pk[k])
                found = (long)p;
        if (found < 0 || (loaded_only && !rt_state_loaded(st, r->cattrs[found])))
            return 0;
        pk[k] = *rt_state_get(st, r->cattrs[found]);
    }
    return 1;
}

static int has_null(const rt_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].type == RT_NULL)
            return 1;
    return 0;
}

/* Many-to-one: the target by the foreign key's values: NULL when one is
 * NULL, else the identity map, else a SELECT by primary key (a query when
 * the foreign key references other columns than the primary key). */
static int load_scalar(rt_state *st, orm_rel *r, orm_relslot *slot, rt_error *err)
{
    rt_mapper *t = r->target;
    const rt_value *pk[16];
    rt_value vals[16];
    int rc = 0, bypk = fk_pk(st, r, vals, 0);
    int null = bypk && has_null(vals, t->npk);
    for (size_t k = 0; bypk && k < t->npk; k++)
        pk[k] = &vals[k];
    rt_state *target = NULL;
    if (!bypk)
        return load_query(st, r, slot, err);
    if (!null) {
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
    return rc;
}

/* A lazy load's view of the primaryjoin's extra terms: st's own columns
 * become its values, bound (not for a self-referential relationship, whose
 * extra terms are about the target rows). */
static rt_node *bind_own(void *ctx, rt_node *col, rt_error *err)
{
    rt_state *st = ctx;
    rt_column *c = rt_column_of(col);
    long a = c && rt_column_from(col) == st->mapper->table_node
                 ? rt_mapper_column_attr(st->mapper, c) : -1;
    if (a < 0)
        return rt_node_retain(col);
    return rt_bind_new(NULL, rt_state_get(st, (size_t)a), c->type, err);
}

/* ANDs the extra criteria into q (consumed); a new reference or NULL. */
static rt_node *where_extra(rt_node *q, rt_state *st, orm_rel *r, rt_node *extra,
                            rt_error *err)
{
    if (!q || !extra)
        return q;
    rt_node *cond = r->target->table == st->mapper->table
                        ? rt_node_retain(extra) : rt_expr_adapt(extra, bind_own, st, err);
    rt_node *next = cond ? rt_select_where(q, cond, err) : NULL;
    rt_node_release(cond);
    rt_node_release(q);
    return next;
}

/* SELECT the target's columns WHERE ? = child.fk [AND extra] ORDER BY: a
 * collection, or (many-to-one) the one row by the referenced columns. */
static int load_query(rt_state *st, orm_rel *r, orm_relslot *slot, rt_error *err)
{
    rt_mapper *t = r->target;
    int m2o = r->dir == RT_MANYTOONE;
    for (size_t k = 0; m2o && k < r->npairs; k++)
        if (rt_state_get(st, r->cattrs[k])->type == RT_NULL)
            return 0;                   /* no foreign key: no target */
    rt_node *q = rt_mapper_select(t, err);
    rt_result *res = NULL;
    rt_value *vals = NULL;
    int rc = -1;
    for (size_t k = 0; k < r->npairs + r->nfar && q; k++) {
        int far = k >= r->npairs;
        rt_column *c = r->secondary ? (far ? r->far[k - r->npairs] : r->near[k])
                                    : t->attrs[m2o ? r->pattrs[k] : r->cattrs[k]].column;
        rt_node *col = rt_from_column_by_key(r->secondary ? r->secondary_node : t->table_node,
                                             c->key, err);
        rt_node *left = NULL;
        if (far && col)            /* keywords.id = post_keywords.keyword_id */
            left = rt_from_column_by_key(t->table_node,
                                         t->attrs[r->fattrs[k - r->npairs]].column->key, err);
        else if (col)
            left = rt_bind_new(NULL, rt_state_get(st, m2o ? r->cattrs[k] : r->pattrs[k]),
                               c->type, err);
        rt_node *cond = left ? rt_binary_new(left, RT_OP_EQ, col, NULL, err) : NULL;
        rt_node *bind = left;
        rt_node *next = cond ? rt_select_where(q, cond, err) : NULL;
        rt_node_release(col);
        rt_node_release(bind);
        rt_node_release(cond);
        rt_node_release(q);
        q = next;
    }
    q = where_extra(q, st, r, r->extra, err);
    q = where_extra(q, st, r, r->sec_extra, err);
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
    int got = 0;
    rc = 0;
    while (rc == 0 && (!m2o || slot->items.n == 0) && (got = rt_result_next(res, err)) > 0) {
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

/* A many-to-one whose foreign key is NULL, or whose target is in the
 * identity map, loads without SQL: 1 done (slot filled), 0 not, -1. */
static int from_identity(rt_state *st, orm_rel *r, orm_relslot *slot, rt_error *err)
{
    rt_value pk[16];
    if (!fk_pk(st, r, pk, 1))
        return 0;
    if (has_null(pk, r->target->npk)) {
        slot->loaded = 1;
        return 1;
    }
    rt_state *target = rt_session_identity_get(st->session, r->target, pk);
    if (!target)
        return 0;
    if (orm_vec_push(&slot->items, target) < 0)
        return rt_error_oom(err);
    rt_state_retain(target);
    slot->loaded = 1;
    return 1;
}

int orm_rel_lazy_load(rt_state *st, size_t r, rt_error *err)
{
    orm_rel *rel = &st->mapper->rels[r];
    if (!rel->target)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "relationship %s.%s is no longer "
                            "mapped", st->mapper->class_name, rel->key);
    orm_relslot *slot = orm_state_slot(st, r, err);
    if (!slot)
        return -1;
    int found = from_identity(st, rel, slot, err);
    if (found)                   /* no SQL needed: no autoflush either */
        return found < 0 ? -1 : 0;
    if (rt_session_autoflush(st->session, err) < 0)
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
    int rc = rel->dir == RT_MANYTOONE && !rel->extra ? load_scalar(st, rel, slot, err)
                                                     : load_query(st, rel, slot, err);
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
