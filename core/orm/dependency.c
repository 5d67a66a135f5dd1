/* dependency.c: what relationships add to a flush, as SQLAlchemy's
 * dependency.py: one processor per relationship shape.  One-to-many: each
 * member of a changed collection gets its foreign key copied from the
 * parent (resolved when its action runs, so a key the parent's INSERT
 * generates arrives), a member removed gets NULL or, with delete-orphan, is
 * deleted; a deleted parent's members get NULL unless the delete cascades.
 * Many-to-one: a changed reference copies the target's key.
 * Many-to-many: association rows inserted for members added, deleted for
 * members removed and for a deleted state's members, after every save and
 * before every delete.  Rows of a self-referential table are ordered among
 * themselves (parents inserted first, deleted last).  The
 * processors only add rows, syncs and edges (a child's save before its
 * parent's delete); the order is the generic sort's (unitofwork.c).  Also
 * the cascades along relationships at session add() and delete(). */
#include "orm_int.h"

#include <string.h>

/* === cascades === */

int orm_dep_cascade_add(rt_session *s, rt_state *st, rt_error *err)
{
    for (size_t r = 0; r < st->nrels; r++) {
        if (!(st->mapper->rels[r].cascade & RT_CASCADE_SAVE_UPDATE))
            continue;
        state_vec *v = &st->rels[r].items;
        for (size_t i = 0; i < v->n; i++) {
            rt_state *x = v->items[i];
            if (x->session || x->status == RT_STATE_DELETED)
                continue;
            if (rt_session_add(s, x, err) < 0)
                return -1;
        }
    }
    return 0;
}

int orm_dep_cascade_delete(rt_session *s, rt_state *st, rt_error *err)
{
    int autoflush = s->autoflush, rc = 0;
    s->autoflush = 0;             /* loads for a delete do not flush */
    for (size_t r = 0; r < st->mapper->nrels && rc == 0; r++) {
        const orm_rel *rel = &st->mapper->rels[r];
        if (rel->dir == RT_MANYTOONE || !rel->target)
            continue;
        if ((rc = rt_state_rel_load(st, r, err)) < 0 || !(rel->cascade & RT_CASCADE_DELETE))
            continue;
        state_vec *v = &st->rels[r].items;
        for (size_t i = 0; i < v->n && rc == 0; i++) {
            rt_state *x = v->items[i];
            if (x->session != s || x->marked_deleted)
                continue;
            if (x->status == RT_STATE_PENDING)
                rt_session_expunge(s, x);
            else
                rc = rt_session_delete(s, x, err);
        }
    }
    s->autoflush = autoflush;
    return rc;
}

/* === the flush === */

static int touch(flush_plan *p, rt_state *st, rt_error *err)
{
    if (st->touched)
        return 0;
    if (orm_vec_push(&p->touched, st) < 0)
        return rt_error_oom(err);
    st->touched = 1;
    rt_state_retain(st);
    return 0;
}

/* Whether member x of a one-to-many's removed list is an orphan now. */
static int is_orphan(rt_session *s, const orm_rel *rel, const orm_relslot *slot, rt_state *x)
{
    if (!(rel->cascade & RT_CASCADE_DELETE_ORPHAN) || x->session != s || x->marked_deleted)
        return 0;
    for (size_t i = 0; i < slot->items.n; i++)
        if (slot->items.items[i] == x)
            return 0;
    if (rel->backref >= 0 && (size_t)rel->backref < x->nrels) {
        const orm_relslot *b = &x->rels[rel->backref];
        if (b->loaded && b->items.n)
            return 0;             /* moved to another parent */
    }
    return 1;
}

int orm_dep_presort(rt_session *s, flush_plan *p, rt_error *err)
{
    for (size_t h = 0; h < s->held.n; h++) {
        rt_state *st = s->held.items[h];
        for (size_t r = 0; r < st->nrels; r++) {
            const orm_rel *rel = &st->mapper->rels[r];
            const orm_relslot *slot = &st->rels[r];
            if (rel->dir != RT_ONETOMANY || !slot->changed)
                continue;
            for (size_t i = 0; i < slot->removed.n; i++) {
                rt_state *x = slot->removed.items[i];
                if (is_orphan(s, rel, slot, x)) {
                    x->orphan = 1;
                    if (touch(p, x, err) < 0)
                        return -1;
                }
            }
        }
    }
    return 0;
}

static int gone(rt_session *s, const rt_state *x)
{
    return x->session != s || x->marked_deleted || x->orphan ||
           (x->status != RT_STATE_PENDING && x->status != RT_STATE_PERSISTENT);
}

/* A post_update of x's foreign key from parent (NULL: a clear, only for a
 * row that exists); a parent's key wins over a clear of the same column. */
static int post(flush_plan *p, const orm_rel *rel, rt_state *parent, rt_state *x,
                rt_error *err)
{
    if (!parent && x->status != RT_STATE_PERSISTENT)
        return 0;
    for (size_t k = 0; k < rel->npairs; k++) {
        flush_post *e = NULL;
        for (size_t i = 0; i < p->npost && !e; i++)
            if (p->post[i].st == x && p->post[i].attr == rel->cattrs[k])
                e = &p->post[i];
        if (e && !parent)
            continue;
        if (!e) {
            flush_post *n = rt_realloc(p->post, (p->npost + 1) * sizeof *n);
            if (!n)
                return rt_error_oom(err);
            p->post = n;
            e = &n[p->npost++];
        }
        *e = (flush_post){x, rel->cattrs[k], parent, rel->pattrs[k], {0}};
        e->value = rt_value_null();
    }
    return touch(p, x, err) < 0 || (parent && touch(p, parent, err) < 0) ? -1 : 0;
}

/* Child x's foreign key from parent (NULL: set NULL) through rel's pairs;
 * nothing when both are persistent and the values already agree. */
static int sync(rt_session *s, flush_plan *p, const orm_rel *rel, rt_state *parent,
                rt_state *x, rt_error *err)
{
    int same = x->status == RT_STATE_PERSISTENT &&
               (!parent || parent->status == RT_STATE_PERSISTENT);
    for (size_t k = 0; k < rel->npairs && same; k++) {
        const rt_value *cv = rt_state_get(x, rel->cattrs[k]);
        same = parent ? orm_value_equal(cv, rt_state_get(parent, rel->pattrs[k]))
                      : cv->type == RT_NULL;
    }
    if (same)
        return 0;
    if (rel->post_update)
        return post(p, rel, parent, x, err);
    flush_row *row = orm_plan_save_row(s, p, x, err);
    if (!row)
        return -1;
    for (size_t k = 0; k < rel->npairs; k++) {
        if (!parent && row->how[rel->cattrs[k]] == HOW_SYNC)
            continue;             /* another parent's key wins over NULL */
        if (orm_row_sync(row, rel->cattrs[k], parent, rel->pattrs[k], err) < 0)
            return -1;
    }
    return 0;
}

/* An association row of rel between a (rel's side) and b, once. */
static int assoc(flush_plan *p, const orm_rel *rel, int del, rt_state *a, rt_state *b,
                 rt_error *err)
{
    for (size_t i = 0; i < p->nassoc; i++) {
        flush_assoc *x = &p->assoc[i];
        if (x->rel->secondary == rel->secondary && x->del == del &&
            ((x->a == a && x->b == b) || (x->a == b && x->b == a)))
            return 0;
    }
    flush_assoc *n = rt_realloc(p->assoc, (p->nassoc + 1) * sizeof *n);
    if (!n)
        return rt_error_oom(err);
    p->assoc = n;
    n[p->nassoc++] = (flush_assoc){rel, del, a, b};
    return touch(p, a, err) < 0 || touch(p, b, err) < 0 ? -1 : 0;
}

/* Many-to-many: association rows for the members added and removed, or
 * for every member of a deleted state. */
static int process_m2m(rt_session *s, flush_plan *p, rt_state *st, const orm_rel *rel,
                       orm_relslot *slot, int deleted, rt_error *err)
{
    if (deleted) {
        for (int w = 0; w < 2; w++) {
            state_vec *v = w ? &slot->removed : &slot->items;
            for (size_t i = 0; i < v->n; i++)
                if (v->items[i]->status == RT_STATE_PERSISTENT &&
                    assoc(p, rel, 1, st, v->items[i], err) < 0)
                    return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < slot->removed.n; i++) {
        rt_state *x = slot->removed.items[i];
        if (st->status == RT_STATE_PERSISTENT && x->status == RT_STATE_PERSISTENT &&
            assoc(p, rel, 1, st, x, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < slot->added.n; i++) {
        rt_state *x = slot->added.items[i];
        if (!gone(s, x) && assoc(p, rel, 0, st, x, err) < 0)
            return -1;
    }
    return 0;
}

static int process_one(rt_session *s, flush_plan *p, rt_state *st, size_t r, rt_error *err)
{
    const orm_rel *rel = &st->mapper->rels[r];
    orm_relslot *slot = &st->rels[r];
    int deleted = st->marked_deleted || st->orphan;
    if (rel->secondary) {
        if (!deleted && !slot->changed)
            return 0;
        return touch(p, st, err) < 0 ? -1 : process_m2m(s, p, st, rel, slot, deleted, err);
    }
    if (deleted) {
        if (rel->post_update && rel->dir == RT_MANYTOONE && st->status == RT_STATE_PERSISTENT)
            return sync(s, p, rel, NULL, st, err);   /* cleared before the deletes */
        if (rel->dir != RT_ONETOMANY || (rel->cascade & RT_CASCADE_DELETE))
            return 0;
        for (size_t i = 0; i < slot->items.n; i++)
            if (!gone(s, slot->items.items[i]) &&
                sync(s, p, rel, NULL, slot->items.items[i], err) < 0)
                return -1;
        return 0;
    }
    if (!slot->changed)
        return 0;
    if (touch(p, st, err) < 0)
        return -1;
    if (rel->dir == RT_MANYTOONE) {
        rt_state *t = slot->items.n ? slot->items.items[0] : NULL;
        if (t && t->session != s)
            return 0;
        return gone(s, st) ? 0 : sync(s, p, rel, t, st, err);
    }
    for (size_t i = 0; i < slot->removed.n; i++) {
        rt_state *x = slot->removed.items[i];
        int back = 0;
        for (size_t j = 0; j < slot->items.n; j++)
            back |= slot->items.items[j] == x;
        if (!back && !gone(s, x) && sync(s, p, rel, NULL, x, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < slot->items.n; i++)
        if (!gone(s, slot->items.items[i]) && sync(s, p, rel, st, slot->items.items[i], err) < 0)
            return -1;
    return 0;
}

int orm_dep_process(rt_session *s, flush_plan *p, rt_error *err)
{
    /* syncs to NULL first, so that a member moved to another parent ends
     * with that parent's key whatever the order of the states */
    for (size_t h = 0; h < s->held.n; h++) {
        rt_state *st = s->held.items[h];
        if (st->status != RT_STATE_PENDING && st->status != RT_STATE_PERSISTENT)
            continue;
        for (size_t r = 0; r < st->nrels; r++)
            if (st->mapper->rels[r].target && process_one(s, p, st, r, err) < 0)
                return -1;
    }
    for (size_t i = 0; i < p->touched.n; i++) {
        rt_state *x = p->touched.items[i];
        if (x->orphan && x->status == RT_STATE_PERSISTENT && !x->plan_del) {
            if (orm_plan_delete_row(p, x, err) < 0)
                return -1;
            for (size_t r = 0; r < x->nrels; r++)
                if (x->mapper->rels[r].target && process_one(s, p, x, r, err) < 0)
                    return -1;
        }
    }
    return 0;
}

/* Whether a relationship (not a post_update one) makes mapper child's rows
 * depend on parent's. */
static int related(const rt_mapper *parent, const rt_mapper *child)
{
    for (size_t r = 0; r < parent->nrels; r++)
        if (parent->rels[r].target == child && parent->rels[r].dir == RT_ONETOMANY &&
            !parent->rels[r].post_update)
            return 1;
    for (size_t r = 0; r < child->nrels; r++)
        if (child->rels[r].target == parent && child->rels[r].dir == RT_MANYTOONE &&
            !child->rels[r].post_update)
            return 1;
    return 0;
}

/* Whether foreign key fk of child's table is written by a post_update
 * relationship between child and parent. */
static int post_updated(const rt_constraint *fk, const rt_mapper *child,
                        const rt_mapper *parent)
{
    for (int side = 0; side < 2; side++) {
        const rt_mapper *m = side ? parent : child;
        for (size_t r = 0; r < m->nrels; r++) {
            const orm_rel *rel = &m->rels[r];
            if (!rel->post_update || rel->secondary || rel->target != (side ? child : parent))
                continue;
            int all = 1;
            for (size_t k = 0; k < fk->ncols && all; k++) {
                int found = 0;
                for (size_t q = 0; q < rel->npairs; q++)
                    found |= child->attrs[rel->cattrs[q]].column == fk->columns[k];
                all = found;
            }
            if (all)
                return 1;
        }
    }
    return 0;
}

int orm_dep_references(const rt_mapper *child, const rt_mapper *parent)
{
    const rt_table *t = child->table;
    for (size_t i = 0; i < t->nconstraints; i++) {
        const rt_constraint *fk = t->constraints[i];
        if (fk->kind != RT_CONSTRAINT_FOREIGN_KEY)
            continue;
        rt_error e;
        rt_error_init(&e);
        rt_table *to = rt_foreign_key_table(fk, child->md, &e);
        rt_error_clear(&e);
        if (to == parent->table && !post_updated(fk, child, parent))
            return 1;
    }
    return 0;
}

int orm_dep_edges(flush_plan *p, rt_error *err)
{
    /* association rows after every save, before every delete */
    p->assoc_action = p->nactions;
    for (size_t a = 0; a < p->nactions && p->nassoc; a++) {
        int rc = p->actions[a].is_delete ? orm_plan_add_edge(p, p->assoc_action, a, err)
                                         : orm_plan_add_edge(p, a, p->assoc_action, err);
        if (rc < 0)
            return -1;
    }
    for (size_t a = 0; a < p->nactions; a++)
        for (size_t b = 0; b < p->nactions; b++) {
            flush_action *x = &p->actions[a], *y = &p->actions[b];
            /* a child's save (its key set to NULL) before the parent's delete */
            if (x->is_delete && !y->is_delete && x->mapper->table != y->mapper->table &&
                related(x->mapper, y->mapper) && orm_plan_add_edge(p, b, a, err) < 0)
                return -1;
        }
    return 0;
}

/* === rows of one table among themselves === */

static int self_referential(const rt_mapper *m)
{
    for (size_t r = 0; r < m->nrels; r++)
        if (m->rels[r].target == m && !m->rels[r].secondary)
            return 1;
    return 0;
}

/* The parent of st through self-referential many-to-one r, or the
 * children through one-to-many r, that are rows of act: edges child row
 * before parent row (deletes). */
static int delete_edges(flush_action *act, size_t row, rt_edge **e, size_t *ne, size_t *cap,
                        rt_error *err)
{
    rt_state *st = act->rows[row].st;
    for (size_t r = 0; r < st->nrels; r++) {
        const orm_rel *rel = &st->mapper->rels[r];
        if (rel->target != st->mapper || rel->secondary || rel->post_update ||
            !st->rels[r].loaded)
            continue;
        state_vec *v = &st->rels[r].items;
        for (size_t i = 0; i < v->n; i++) {
            rt_state *x = v->items[i];
            if (!x->plan_del || x->mapper != act->mapper)
                continue;
            size_t before = rel->dir == RT_MANYTOONE ? row : (size_t)x->plan_del - 1;
            size_t after = rel->dir == RT_MANYTOONE ? (size_t)x->plan_del - 1 : row;
            if (*ne == *cap) {
                *cap = *cap ? *cap * 2 : 8;
                rt_edge *n = rt_realloc(*e, *cap * sizeof *n);
                if (!n)
                    return rt_error_oom(err);
                *e = n;
            }
            (*e)[(*ne)++] = (rt_edge){before, after};
        }
    }
    return 0;
}

/* Orders the rows of an action of a self-referential mapper: a parent's
 * INSERT before its children's (their keys are copied from it), a child's
 * DELETE before its parent's. */
static int sort_rows(flush_action *act, rt_error *err)
{
    rt_edge *e = NULL;
    size_t ne = 0, cap = 0;
    int rc = -1;
    size_t *order = rt_calloc(act->nrows + 1, sizeof *order);
    flush_row *rows = rt_calloc(act->nrows + 1, sizeof *rows);
    if (!order || !rows) {
        rt_error_oom(err);
        goto done;
    }
    for (size_t i = 0; i < act->nrows; i++) {
        flush_row *x = &act->rows[i];
        if (act->is_delete) {
            if (delete_edges(act, i, &e, &ne, &cap, err) < 0)
                goto done;
            continue;
        }
        for (size_t k = 0; k < x->nsyncs; k++) {
            rt_state *src = x->syncs[k].src;
            if (!src || src->mapper != act->mapper || !src->plan_save)
                continue;
            if (ne == cap) {
                cap = cap ? cap * 2 : 8;
                rt_edge *n = rt_realloc(e, cap * sizeof *n);
                if (!n) {
                    rt_error_oom(err);
                    goto done;
                }
                e = n;
            }
            e[ne++] = (rt_edge){(size_t)src->plan_save - 1, i};
        }
    }
    if (ne == 0) {
        rc = 0;
        goto done;
    }
    if (rt_toposort(act->nrows, e, ne, order, err) < 0) {
        if (err->cls == RT_ERR_CIRCULAR) {
            rt_error_clear(err);
            rt_error_set(err, RT_ERR_CIRCULAR, "Circular dependency detected among the rows "
                         "of %s: they refer to each other.  Set post_update = true on the "
                         "relationship, so that its foreign key is written by an UPDATE "
                         "after the rows are inserted.", act->mapper->class_name);
        }
        goto done;
    }
    for (size_t i = 0; i < act->nrows; i++)
        rows[i] = act->rows[order[i]];
    for (size_t i = 0; i < act->nrows; i++) {
        act->rows[i] = rows[i];
        if (act->is_delete)
            act->rows[i].st->plan_del = (long)i + 1;
        else
            act->rows[i].st->plan_save = (long)i + 1;
    }
    rc = 0;
done:
    rt_free(e);
    rt_free(order);
    rt_free(rows);
    return rc;
}

/* A save action's UPDATE rows before its INSERT rows, each in their order,
 * as SQLAlchemy emits them: a new row may take a unique value an old one
 * gives up.  (sort_rows, stable, keeps this where no key is copied.) */
static int updates_first(flush_action *act, rt_error *err)
{
    flush_row *rows = rt_calloc(act->nrows + 1, sizeof *rows);
    if (!rows)
        return rt_error_oom(err);
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < act->nrows; i++)
            if ((act->rows[i].op == ROW_UPDATE) == (pass == 0))
                rows[k++] = act->rows[i];
    for (size_t i = 0; i < act->nrows; i++) {
        act->rows[i] = rows[i];
        act->rows[i].st->plan_save = (long)i + 1;
    }
    rt_free(rows);
    return 0;
}

int orm_dep_sort_rows(flush_plan *p, rt_error *err)
{
    for (size_t a = 0; a < p->nactions; a++) {
        flush_action *act = &p->actions[a];
        if (act->nrows > 1 && !act->is_delete && updates_first(act, err) < 0)
            return -1;
        if (act->nrows > 1 && self_referential(act->mapper) && sort_rows(act, err) < 0)
            return -1;
    }
    return 0;
}

/* === association rows === */

/* The value of secondary column `col` for association row x. */
static rt_value assoc_value(flush_plan *p, const flush_assoc *x, const char *key)
{
    const orm_rel *r = x->rel;
    for (size_t k = 0; k < r->npairs; k++)
        if (strcmp(r->near[k]->key, key) == 0)
            return *orm_plan_src_value(p, x->a, r->pattrs[k]);
    for (size_t k = 0; k < r->nfar; k++)
        if (strcmp(r->far[k]->key, key) == 0)
            return *orm_plan_src_value(p, x->b, r->fattrs[k]);
    return rt_value_null();
}

/* One statement for the rows of table t and kind del, executed for each. */
static int emit_assoc(flush_plan *p, rt_conn *c, rt_table *t, int del, rt_error *err)
{
    const flush_assoc *first = NULL;
    size_t n = 0;
    for (size_t i = 0; i < p->nassoc; i++)
        if (p->assoc[i].rel->secondary == t && p->assoc[i].del == del) {
            first = first ? first : &p->assoc[i];
            n++;
        }
    if (!n)
        return 0;
    const orm_rel *r = first->rel;
    const rt_dialect *d = rt_engine_dialect(rt_conn_engine(c));
    const char *keys[32];
    size_t nkeys = 0;
    rt_node *stmt = del ? rt_delete_new(r->secondary_node, err)
                        : rt_insert_new(r->secondary_node, err);
    for (size_t k = 0; k < r->npairs + r->nfar && stmt && nkeys < 32; k++) {
        rt_column *col = k < r->npairs ? r->near[k] : r->far[k - r->npairs];
        keys[nkeys++] = col->key;
        if (!del)
            continue;
        rt_node *cn = rt_from_column_by_key(r->secondary_node, col->key, err);
        rt_node *b = cn ? rt_bind_new(col->key, NULL, col->type, err) : NULL;
        rt_node *cond = b ? rt_binary_new(cn, RT_OP_EQ, b, NULL, err) : NULL;
        rt_node *next = cond ? rt_dml_where(stmt, cond, err) : NULL;
        rt_node_release(cn);
        rt_node_release(b);
        rt_node_release(cond);
        rt_node_release(stmt);
        stmt = next;
    }
    rt_compiled *cp = NULL;
    rt_value *params = NULL;
    rt_result *res = NULL;
    int rc = -1;
    if (!stmt || (del ? rt_compile(stmt, d, &cp, err)
                      : n > 1 ? rt_compile_keys_many(stmt, d, keys, nkeys, &cp, err)
                              : rt_compile_keys(stmt, d, keys, nkeys, &cp, err)) < 0)
        goto done;
    params = rt_calloc(n * cp->nslots + 1, sizeof *params);
    if (!params) {
        rt_error_oom(err);
        goto done;
    }
    size_t row = 0;
    for (size_t i = 0; i < p->nassoc; i++)
        if (p->assoc[i].rel->secondary == t && p->assoc[i].del == del) {
            for (size_t j = 0; j < cp->nslots; j++)
                params[row * cp->nslots + j] = assoc_value(p, &p->assoc[i], cp->slot_names[j]);
            row++;
        }
    if (rt_conn_execute(c, cp, params, n, &res, err) < 0)
        goto done;
    rc = 0;
done:
    rt_result_free(res);
    rt_free(params);
    rt_compiled_release(cp);
    rt_node_release(stmt);
    return rc;
}

int orm_dep_persist_assoc(flush_plan *p, rt_conn *c, rt_error *err)
{
    for (int del = 1; del >= 0; del--)
        for (size_t i = 0; i < p->nassoc; i++) {
            rt_table *t = p->assoc[i].rel->secondary;
            size_t j = 0;
            while (j < i && !(p->assoc[j].rel->secondary == t && p->assoc[j].del == del))
                j++;
            if (j == i && p->assoc[i].del == del && emit_assoc(p, c, t, del, err) < 0)
                return -1;
        }
    return 0;
}
