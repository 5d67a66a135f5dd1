/* collection.c: the values of relationships on instance states and their
 * events, as SQLAlchemy's attributes.py and collections.py: a slot per
 * relationship holding its members (a collection) or its target (a scalar),
 * retained, with the members removed since the last flush; append, remove,
 * set and replace keep the backref's side in step in memory, without SQL,
 * and cascade new objects into the session (save-update).  Slots retain
 * their members, so instances linked both ways form reference cycles: when
 * a release leaves references on a state with links, orm_rel_collect runs
 * a trial deletion over the states its links reach and frees the part that
 * nothing outside refers to.  A dynamic relationship (lazy = "dynamic") of
 * a persistent state is not loaded by appends and removes: its slot keeps
 * the members appended and removed until the flush.  Lazy loading is
 * relationship.c's. */
#include "orm_int.h"

#include <string.h>

orm_relslot *orm_state_slot(rt_state *st, size_t r, rt_error *err)
{
    size_t n = st->mapper->nrels;
    if (r >= n) {
        rt_error_set(err, RT_ERR_INVALID_REQUEST, "no relationship %zu", r);
        return NULL;
    }
    if (st->nrels < n) {
        orm_relslot *s = rt_realloc(st->rels, n * sizeof *s);
        if (!s) {
            rt_error_oom(err);
            return NULL;
        }
        memset(&s[st->nrels], 0, (n - st->nrels) * sizeof *s);
        st->rels = s;
        st->nrels = n;
    }
    return &st->rels[r];
}

static void vec_release_all(state_vec *v)
{
    while (v->n)
        rt_state_release(v->items[--v->n]);
}

void orm_state_rels_free(rt_state *st)
{
    for (size_t r = 0; r < st->nrels; r++) {
        vec_release_all(&st->rels[r].items);
        vec_release_all(&st->rels[r].removed);
        vec_release_all(&st->rels[r].added);
        orm_vec_free(&st->rels[r].items);
        orm_vec_free(&st->rels[r].removed);
        orm_vec_free(&st->rels[r].added);
    }
    rt_free(st->rels);
    st->rels = NULL;
    st->nrels = 0;
}

void orm_state_rels_expire(rt_state *st)
{
    rt_state_retain(st);
    for (size_t r = 0; r < st->nrels; r++) {
        orm_relslot *s = &st->rels[r];
        s->loaded = s->changed = 0;
        vec_release_all(&s->items);
        vec_release_all(&s->removed);
        vec_release_all(&s->added);
    }
    rt_state_release(st);
}

void orm_state_rels_flushed(rt_state *st)
{
    for (size_t r = 0; r < st->nrels; r++) {
        if (st->mapper->rels[r].dynamic && !st->rels[r].loaded)
            vec_release_all(&st->rels[r].items);   /* written: the database has them */
        st->rels[r].changed = 0;
        vec_release_all(&st->rels[r].removed);
        vec_release_all(&st->rels[r].added);
    }
}

int orm_state_rels_changed(const rt_state *st)
{
    for (size_t r = 0; r < st->nrels; r++)
        if (st->rels[r].changed)
            return 1;
    return 0;
}

/* === cycles === */

static _Thread_local int collecting;

static int has_links(const rt_state *st)
{
    for (size_t r = 0; r < st->nrels; r++)
        if (st->rels[r].items.n || st->rels[r].removed.n || st->rels[r].added.n)
            return 1;
    return 0;
}

/* Marks st and what its links reach alive (mark 2). */
static void mark_alive(rt_state *st, state_vec *stack)
{
    st->gc_mark = 2;
    size_t base = stack->n;
    if (orm_vec_push(stack, st) < 0)
        return;
    while (stack->n > base) {
        rt_state *x = stack->items[--stack->n];
        for (size_t r = 0; r < x->nrels; r++)
            for (int w = 0; w < 3; w++) {
                state_vec *v = w == 2 ? &x->rels[r].added
                             : w ? &x->rels[r].removed : &x->rels[r].items;
                for (size_t i = 0; i < v->n; i++)
                    if (v->items[i]->gc_mark == 1) {
                        v->items[i]->gc_mark = 2;
                        orm_vec_push(stack, v->items[i]);
                    }
            }
    }
}

void orm_rel_collect(rt_state *root)
{
    if (collecting || !has_links(root))
        return;
    collecting = 1;
    state_vec comp = {0}, stack = {0}, garbage = {0};
    int ok = orm_vec_push(&comp, root) == 0;
    root->gc_mark = 1;
    root->gc_internal = 0;
    for (size_t c = 0; ok && c < comp.n; c++) {
        rt_state *x = comp.items[c];
        for (size_t r = 0; r < x->nrels; r++)
            for (int w = 0; w < 3; w++) {
                state_vec *v = w == 2 ? &x->rels[r].added
                             : w ? &x->rels[r].removed : &x->rels[r].items;
                for (size_t i = 0; ok && i < v->n; i++) {
                    rt_state *y = v->items[i];
                    if (!y->gc_mark) {
                        y->gc_mark = 1;
                        y->gc_internal = 0;
                        ok = orm_vec_push(&comp, y) == 0;
                    }
                    y->gc_internal++;
                }
            }
    }
    for (size_t c = 0; ok && c < comp.n; c++) {
        rt_state *x = comp.items[c];
        if (x->gc_mark == 1 && (size_t)x->refcount > x->gc_internal)
            mark_alive(x, &stack);
    }
    for (size_t c = 0; ok && c < comp.n; c++)
        if (comp.items[c]->gc_mark == 1)
            ok = orm_vec_push(&garbage, comp.items[c]) == 0;
    for (size_t c = 0; c < comp.n; c++)
        comp.items[c]->gc_mark = 0;
    if (ok) {
        for (size_t g = 0; g < garbage.n; g++)
            rt_state_retain(garbage.items[g]);
        for (size_t g = 0; g < garbage.n; g++)
            orm_state_rels_free(garbage.items[g]);
        for (size_t g = 0; g < garbage.n; g++)
            rt_state_release(garbage.items[g]);
    }
    orm_vec_free(&comp);
    orm_vec_free(&stack);
    orm_vec_free(&garbage);
    collecting = 0;
}

/* === reading === */

static long find(const state_vec *v, const rt_state *x);

/* The load of a dynamic relationship holding members appended since the
 * last flush (the autoflush is off): loaded, then the appended ones not
 * among the rows. */
static int load_dynamic(rt_state *st, size_t r, orm_relslot *s, rt_error *err)
{
    state_vec pending = s->items;
    memset(&s->items, 0, sizeof s->items);
    int rc = orm_rel_lazy_load(st, r, err);
    s = &st->rels[r];
    for (size_t i = 0; i < pending.n; i++) {
        rt_state *x = pending.items[i];
        if (rc == 0 && find(&s->items, x) < 0 && orm_vec_push(&s->items, x) == 0)
            continue;             /* the reference moves to the slot */
        rt_state_release(x);
    }
    orm_vec_free(&pending);
    return rc;
}

int rt_state_rel_load(rt_state *st, size_t r, rt_error *err)
{
    orm_relslot *s = orm_state_slot(st, r, err);
    if (!s)
        return -1;
    if (s->loaded)
        return 0;
    if (st->session && st->key &&
        (st->status == RT_STATE_PERSISTENT || st->status == RT_STATE_DELETED)) {
        if (s->items.n && st->mapper->rels[r].dynamic) {
            if (rt_session_autoflush(st->session, err) < 0)
                return -1;
            s = &st->rels[r];
            if (!s->loaded && s->items.n)
                return load_dynamic(st, r, s, err);
        }
        return orm_rel_lazy_load(st, r, err);
    }
    if (st->status == RT_STATE_DETACHED)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "Parent instance of %s is not bound to a Session; lazy load "
                            "operation of attribute '%s' cannot proceed",
                            st->mapper->class_name, st->mapper->rels[r].key);
    s->loaded = 1;                /* a new object: empty */
    return 0;
}

int rt_state_rel_loaded(const rt_state *st, size_t r)
{
    return r < st->nrels && st->rels[r].loaded;
}

int rt_state_rel_lazy_pending(const rt_state *st, size_t r)
{
    return !rt_state_rel_loaded(st, r) && st->session && st->key &&
           (st->status == RT_STATE_PERSISTENT || st->status == RT_STATE_DELETED);
}

size_t rt_state_rel_count(const rt_state *st, size_t r)
{
    return r < st->nrels && st->rels[r].loaded ? st->rels[r].items.n : 0;
}

rt_state *rt_state_rel_item(const rt_state *st, size_t r, size_t i)
{
    return i < rt_state_rel_count(st, r) ? st->rels[r].items.items[i] : NULL;
}

/* === eager loads === */

static long find(const state_vec *v, const rt_state *x);

int rt_state_rel_populate(rt_state *st, size_t r, rt_state *const *items, size_t n,
                          rt_error *err)
{
    orm_relslot *s = orm_state_slot(st, r, err);
    if (!s)
        return -1;
    if (s->loaded)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (items[i]->mapper != st->mapper->rels[r].target)
            return rt_error_set(err, RT_ERR_INVALID_REQUEST, "relationship %s.%s: an eager "
                                "load gave an instance of %s", st->mapper->class_name,
                                st->mapper->rels[r].key, items[i]->mapper->class_name);
    if (!st->mapper->rels[r].uselist && n > 1)
        n = 1;
    for (size_t i = 0; i < n; i++) {
        if (find(&s->items, items[i]) >= 0)
            continue;
        if (orm_vec_push(&s->items, items[i]) < 0) {
            while (s->items.n)
                rt_state_release(s->items.items[--s->items.n]);
            return rt_error_oom(err);
        }
        rt_state_retain(items[i]);
    }
    s->loaded = 1;
    return 0;
}

int rt_state_rel_unload(rt_state *st, size_t r)
{
    if (r >= st->nrels || !st->rels[r].loaded)
        return 0;
    orm_relslot *s = &st->rels[r];
    if (s->changed)
        return 1;
    rt_state_retain(st);
    s->loaded = 0;
    vec_release_all(&s->items);
    rt_state_release(st);
    return 0;
}

/* === changes without events === */

static long find(const state_vec *v, const rt_state *x)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i] == x)
            return (long)i;
    return -1;
}

static void take(state_vec *v, long i)
{
    rt_state *x = v->items[i];
    memmove(&v->items[i], &v->items[i + 1], (v->n - (size_t)i - 1) * sizeof *v->items);
    v->n--;
    rt_state_release(x);
}

static int slot_add(orm_relslot *s, rt_state *x, rt_error *err)
{
    if (find(&s->items, x) >= 0)
        return 0;
    if (orm_vec_push(&s->items, x) < 0)
        return rt_error_oom(err);
    rt_state_retain(x);
    long j = find(&s->removed, x);
    if (j >= 0)
        take(&s->removed, j);
    else if (orm_vec_push(&s->added, x) < 0)
        return rt_error_oom(err);
    else
        rt_state_retain(x);
    s->changed = 1;
    return 0;
}

static int slot_del(orm_relslot *s, rt_state *x, int track, rt_error *err)
{
    long i = find(&s->items, x);
    if (i < 0)
        return 0;
    long j = find(&s->added, x);
    if (j >= 0)
        take(&s->added, j);
    if (track && find(&s->removed, x) < 0) {
        if (orm_vec_push(&s->removed, x) < 0)
            return rt_error_oom(err);
        rt_state_retain(x);
    }
    take(&s->items, i);
    s->changed = 1;
    return 0;
}

/* A member of an unloaded dynamic relationship, taken out. */
static int track_removed(orm_relslot *s, rt_state *x, rt_error *err)
{
    if (find(&s->removed, x) < 0) {
        if (orm_vec_push(&s->removed, x) < 0)
            return rt_error_oom(err);
        rt_state_retain(x);
    }
    s->changed = 1;
    return 0;
}

/* The slot of rel r of st if it is loaded, or can be (a new object). */
static orm_relslot *live_slot(rt_state *st, size_t r, rt_error *err)
{
    orm_relslot *s = orm_state_slot(st, r, err);
    if (s && !s->loaded && !(st->key && st->session))
        s->loaded = 1;
    return s;
}

/* Puts x into (or takes it from) the other side's slot br of y. */
static int other_side(rt_state *y, const orm_rel *rel, rt_state *x, int add, rt_error *err)
{
    orm_relslot *s = live_slot(y, (size_t)rel->backref, err);
    if (!s)
        return -1;
    const orm_rel *back = &y->mapper->rels[rel->backref];
    if (!s->loaded && back->dir == RT_MANYTOONE)
        s->loaded = 1;            /* a reference: the new value is all there is to know */
    if (!s->loaded)
        return 0;
    int track = back->dir != RT_MANYTOONE;
    if (add) {
        if (!back->uselist && s->items.n && s->items.items[0] != x &&
            slot_del(s, s->items.items[0], track, err) < 0)
            return -1;
        return slot_add(s, x, err);
    }
    return slot_del(s, x, track, err);
}

static int check_class(const rt_state *st, const orm_rel *rel, const rt_state *x, rt_error *err)
{
    if (x && x->mapper != rel->target)
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "Attempting to assign an object of class %s to relationship "
                            "%s.%s, which expects class %s", x->mapper->class_name,
                            st->mapper->class_name, rel->key,
                            rel->target ? rel->target->class_name : "?");
    return 0;
}

/* After a change linking st and x: the session holds the changed states and
 * takes in the new one (save-update cascade, along the backref too). */
static int after_change(rt_state *st, const orm_rel *rel, rt_state *x, rt_error *err)
{
    rt_session *s = st->session ? st->session : x ? x->session : NULL;
    if (!s)
        return 0;
    if (rel->cascade & RT_CASCADE_SAVE_UPDATE) {
        rt_state *other = st->session ? x : st;
        if (other && !other->session && other->status == RT_STATE_TRANSIENT) {
            if (rt_session_add(s, other, err) < 0 || orm_dep_cascade_add(s, other, err) < 0)
                return -1;
        }
    }
    if (st->session == s && st->status == RT_STATE_PERSISTENT &&
        orm_session_hold(s, st, err) < 0)
        return -1;
    if (x && x->session == s && x->status == RT_STATE_PERSISTENT && rel->backref >= 0 &&
        orm_session_hold(s, x, err) < 0)
        return -1;
    return 0;
}

/* === events === */

/* Whether relationship r of st is dynamic and not loaded, for a state whose
 * members are in the database (a new one's start empty, loaded). */
static int unloaded_dynamic(const rt_state *st, size_t r)
{
    return st->mapper->rels[r].dynamic && (r >= st->nrels || !st->rels[r].loaded) &&
           st->key && st->session;
}

/* Whether x is a member of st's unloaded dynamic relationship rel in the
 * database: its backref names st, or its foreign key holds st's key. */
static int dynamic_member(const rt_state *st, const orm_rel *rel, const rt_state *x)
{
    if (rel->backref >= 0 && (size_t)rel->backref < x->nrels && x->rels[rel->backref].loaded) {
        const orm_relslot *b = &x->rels[rel->backref];
        if (rel->dir != RT_MANYTOMANY)
            return b->items.n && b->items.items[0] == st;
        return find(&b->items, st) >= 0;
    }
    if (rel->dir == RT_MANYTOMANY)
        return 1;                 /* the association row decides */
    for (size_t k = 0; k < rel->npairs; k++)
        if (!orm_value_equal(rt_state_get(x, rel->cattrs[k]),
                             rt_state_get(st, rel->pattrs[k])))
            return 0;
    return 1;
}

int rt_state_rel_append(rt_state *st, size_t r, rt_state *child, rt_error *err)
{
    const orm_rel *rel = &st->mapper->rels[r];
    if (check_class(st, rel, child, err) < 0)
        return -1;
    if (!rel->uselist)
        return rt_state_rel_set(st, r, child, err);
    if (unloaded_dynamic(st, r) ? !orm_state_slot(st, r, err) : rt_state_rel_load(st, r, err) < 0)
        return -1;
    orm_relslot *s = &st->rels[r];
    if (find(&s->items, child) >= 0)
        return 0;
    if (slot_add(s, child, err) < 0)
        return -1;
    if (rel->backref >= 0 && child->mapper->rels[rel->backref].uselist) {
        if (other_side(child, rel, st, 1, err) < 0)      /* many-to-many */
            return -1;
    } else if (rel->backref >= 0) {
        /* the child's old parent loses it; the child points here */
        orm_relslot *cs = live_slot(child, (size_t)rel->backref, err);
        if (!cs)
            return -1;
        rt_state *old = cs->loaded && cs->items.n ? cs->items.items[0] : NULL;
        if (old && old != st && other_side(old, &child->mapper->rels[rel->backref], child, 0,
                                           err) < 0)
            return -1;
        if (old != st) {
            if (cs->items.n)
                take(&cs->items, 0);
            if (slot_add(cs, st, err) < 0)
                return -1;
            cs->loaded = 1;
        }
    }
    return after_change(st, rel, child, err);
}

int rt_state_rel_remove(rt_state *st, size_t r, rt_state *child, rt_error *err)
{
    const orm_rel *rel = &st->mapper->rels[r];
    if (!rel->uselist)
        return rt_state_rel_set(st, r, NULL, err);
    int dyn = unloaded_dynamic(st, r);
    if (dyn ? !orm_state_slot(st, r, err) : rt_state_rel_load(st, r, err) < 0)
        return -1;
    orm_relslot *s = &st->rels[r];
    int member = find(&s->items, child) >= 0;
    if (!member && !(dyn && child->mapper == rel->target && dynamic_member(st, rel, child)))
        return rt_error_set(err, RT_ERR_ARGUMENT, "%s.%s.remove(x): x not in the collection",
                            st->mapper->class_name, rel->key);
    rt_state_retain(child);
    int rc = member ? slot_del(s, child, rel->dir != RT_MANYTOONE, err)
                    : track_removed(s, child, err);
    if (rc == 0 && rel->backref >= 0)
        rc = other_side(child, rel, st, 0, err);
    if (rc == 0)
        rc = after_change(st, rel, child, err);
    rt_state_release(child);
    return rc;
}

int rt_state_rel_set(rt_state *st, size_t r, rt_state *target, rt_error *err)
{
    const orm_rel *rel = &st->mapper->rels[r];
    if (check_class(st, rel, target, err) < 0)
        return -1;
    if (rel->uselist)
        return rt_state_rel_replace(st, r, target ? &target : NULL, target ? 1 : 0, err);
    orm_relslot *s = orm_state_slot(st, r, err);
    if (!s)
        return -1;
    if (!s->loaded && rel->dir != RT_MANYTOONE && rt_state_rel_load(st, r, err) < 0)
        return -1;
    rt_state *old = s->loaded && s->items.n ? rt_state_retain(s->items.items[0]) : NULL;
    int rc = 0;
    if (old == target && s->loaded)
        goto done;
    if (old)
        rc = slot_del(s, old, rel->dir != RT_MANYTOONE, err);
    else if (s->items.n)          /* not loaded: what was there is unknown */
        take(&s->items, 0);
    if (rc == 0 && target)
        rc = slot_add(s, target, err);
    s->loaded = 1;
    s->changed = 1;
    if (rc == 0 && rel->backref >= 0 && old)
        rc = other_side(old, rel, st, 0, err);
    if (rc == 0 && rel->backref >= 0 && target)
        rc = other_side(target, rel, st, 1, err);
    if (rc == 0)
        rc = after_change(st, rel, target, err);
done:
    rt_state_release(old);
    return rc;
}

int rt_state_rel_replace(rt_state *st, size_t r, rt_state *const *items, size_t n,
                         rt_error *err)
{
    const orm_rel *rel = &st->mapper->rels[r];
    if (!rel->uselist)
        return rt_state_rel_set(st, r, n ? items[0] : NULL, err);
    for (size_t i = 0; i < n; i++)
        if (check_class(st, rel, items[i], err) < 0)
            return -1;
    if (rt_state_rel_load(st, r, err) < 0)
        return -1;
    orm_relslot *s = &st->rels[r];
    for (size_t i = s->items.n; i-- > 0;) {
        rt_state *x = s->items.items[i];
        int keep = 0;
        for (size_t j = 0; j < n && !keep; j++)
            keep = items[j] == x;
        if (!keep && rt_state_rel_remove(st, r, x, err) < 0)
            return -1;
        if (i > s->items.n)
            i = s->items.n;
    }
    for (size_t j = 0; j < n; j++)
        if (rt_state_rel_append(st, r, items[j], err) < 0)
            return -1;
    /* the order given */
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        long at = find(&s->items, items[j]);
        if (at >= (long)k) {
            rt_state *x = s->items.items[at];
            memmove(&s->items.items[k + 1], &s->items.items[k],
                    ((size_t)at - k) * sizeof *s->items.items);
            s->items.items[k++] = x;
        }
    }
    return 0;
}
