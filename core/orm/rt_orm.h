/* rt_orm.h: the object-relational mapper's C core: mappers (a class's table,
 * attributes and primary key), instance state (current values, per-attribute
 * history, identity key, owning session, lifecycle), the identity map, the
 * session with its transaction, the unit of work that flushes changes in
 * dependency order, and the loading of rows into instances.
 *
 * No Lua here: attribute values are SQL values (rt_value, text copied into
 * the state).  The binding owns the objects users see and holds one
 * reference on the state of each; the session holds a reference on the states
 * it must not lose (pending, modified, marked for deletion) and only a weak
 * pointer (the identity map) on clean ones, so a clean instance nobody uses
 * is freed and leaves the map.  Calls that can fail return -1 (or NULL) with
 * err set and change nothing unless stated.
 * Implemented in mapper.c, relationship.c, state.c, collection.c,
 * identity.c, session.c, unitofwork.c, dependency.c, persistence.c and
 * query.c (internals in orm_int.h). */
#ifndef RT_ORM_H
#define RT_ORM_H

#include "rt_engine.h"

typedef struct rt_mapper rt_mapper;
typedef struct rt_state rt_state;
typedef struct rt_session rt_session;

/* === mapper.c === */

/* Maps a class named class_name to table t.  cols/keys: the n mapped columns
 * and their attribute names (keys NULL: the column keys); cols NULL: every
 * column of t in order, named by their keys.  ArgumentError when t has no
 * primary key or a key repeats.  The mapper retains t's MetaData.  Returns a
 * new reference (refcount 1). */
rt_mapper *rt_mapper_new(const char *class_name, rt_table *t, rt_column *const *cols,
                         const char *const *keys, size_t n, rt_error *err);
rt_mapper *rt_mapper_retain(rt_mapper *m);
void rt_mapper_release(rt_mapper *m);                  /* NULL is a no-op */
const char *rt_mapper_class_name(const rt_mapper *m);
rt_table *rt_mapper_table(const rt_mapper *m);
/* The table's FROM node (borrowed; lives as long as the mapper). */
rt_node *rt_mapper_table_node(const rt_mapper *m);
size_t rt_mapper_nattrs(const rt_mapper *m);
const char *rt_mapper_attr_key(const rt_mapper *m, size_t i);
rt_column *rt_mapper_attr_column(const rt_mapper *m, size_t i);
/* The attribute index of a name, or -1. */
long rt_mapper_attr_index(const rt_mapper *m, const char *key);
/* The attribute mapping a column of the table, or -1. */
long rt_mapper_column_attr(const rt_mapper *m, const rt_column *c);
size_t rt_mapper_npk(const rt_mapper *m);
size_t rt_mapper_pk_attr(const rt_mapper *m, size_t i);   /* attribute of pk column i */
/* SELECT of the mapped columns labelled as SQLAlchemy labels them
 * (users.id AS users_id, ...); a new reference. */
rt_node *rt_mapper_select(rt_mapper *m, rt_error *err);
/* A slot for the binding (its class), released by nobody here. */
void rt_mapper_set_user(rt_mapper *m, void *user);
void *rt_mapper_user(const rt_mapper *m);

/* === relationship.c === */

typedef enum rt_rel_direction { RT_ONETOMANY, RT_MANYTOONE, RT_MANYTOMANY } rt_rel_direction;

enum {                                   /* cascade = "all, delete-orphan" */
    RT_CASCADE_SAVE_UPDATE = 1, RT_CASCADE_MERGE = 2, RT_CASCADE_DELETE = 4,
    RT_CASCADE_DELETE_ORPHAN = 8, RT_CASCADE_EXPUNGE = 16, RT_CASCADE_REFRESH = 32,
    RT_CASCADE_DEFAULT = RT_CASCADE_SAVE_UPDATE | RT_CASCADE_MERGE,
    RT_CASCADE_ALL = 1 | 2 | 4 | 16 | 32
};

typedef struct rt_rel_options {
    int uselist;           /* -1: from the direction (collections for one-to-many) */
    unsigned cascade;      /* RT_CASCADE_* */
    rt_node *const *order_by;   /* retained by the relationship */
    size_t norder;
    rt_table *secondary;   /* many-to-many through this association table, or NULL */
    rt_column *const *remote_side;   /* self-referential: the columns on the remote
                                        side (the referenced ones: many-to-one) */
    size_t nremote;
    /* foreign_keys: the columns that count as referencing the other side
     * (restricts the foreign keys searched, or marks the foreign side of a
     * primaryjoin's column equalities) */
    rt_column *const *foreign_keys;
    size_t nforeign;
    /* primaryjoin: the condition between the parent and the target (or the
     * secondary table); secondaryjoin: between the secondary and the
     * target.  Their "column = column" terms with a foreign side make the
     * pairs; other terms are kept as extra criteria of every load and join.
     * NULL: derived from the foreign keys. */
    rt_node *primaryjoin, *secondaryjoin;
    int post_update;       /* the foreign key is written by an UPDATE after
                              the rows are inserted (and cleared before they
                              are deleted): breaks cycles between rows */
} rt_rel_options;

/* Adds relationship `key` from m to target, the join condition derived
 * from the foreign keys between the two tables: the target's table
 * referencing m's makes a one-to-many, the reverse a many-to-one; with a
 * secondary table, a many-to-many through its foreign keys to both.  A
 * table referencing itself gives a one-to-many unless remote_side names the
 * referenced columns (a many-to-one).
 * ArgumentError (naming the relationship) when no foreign key or several
 * link them; the relationship's index in *idx. */
int rt_mapper_add_relationship(rt_mapper *m, const char *key, rt_mapper *target,
                               const rt_rel_options *o, size_t *idx, rt_error *err);
/* Makes relationships i of m and j of its target each other's backref.
 * ArgumentError when they are not the two directions of one join. */
int rt_mapper_link_backref(rt_mapper *m, size_t i, size_t j, rt_error *err);
/* Releases the targets of m's relationships (breaks mapper cycles). */
void rt_mapper_clear_relationships(rt_mapper *m);
size_t rt_mapper_nrels(const rt_mapper *m);
long rt_mapper_rel_index(const rt_mapper *m, const char *key);    /* -1: none */
const char *rt_mapper_rel_key(const rt_mapper *m, size_t i);
rt_mapper *rt_mapper_rel_target(const rt_mapper *m, size_t i);    /* borrowed */
rt_rel_direction rt_mapper_rel_direction(const rt_mapper *m, size_t i);
int rt_mapper_rel_uselist(const rt_mapper *m, size_t i);
/* The join's column pairs: pair k is (parent column, child column), the
 * parent holding the referenced column; for a many-to-many, the pairs
 * (m's column, secondary column) then (target's column, secondary column).
 * Returns the number of pairs. */
size_t rt_mapper_rel_pair(const rt_mapper *m, size_t i, size_t k, rt_column **parent,
                          rt_column **child);
rt_table *rt_mapper_rel_secondary(const rt_mapper *m, size_t i);   /* NULL: none */
/* The number of pairs before the far ones (all of them without a secondary). */
size_t rt_mapper_rel_nnear(const rt_mapper *m, size_t i);
/* The extra criteria of relationship i's primaryjoin (secondary 0) or
 * secondaryjoin (1): what is not a column pair, ANDed; NULL when none.
 * Borrowed. */
rt_node *rt_mapper_rel_extra(const rt_mapper *m, size_t i, int secondary);
int rt_mapper_rel_post_update(const rt_mapper *m, size_t i);
/* lazy = "dynamic": the binding shows relationship i as a query, and
 * appends and removes are recorded without loading the collection.
 * InvalidRequestError for a scalar. */
int rt_mapper_rel_set_dynamic(rt_mapper *m, size_t i, rt_error *err);
int rt_mapper_rel_dynamic(const rt_mapper *m, size_t i);

/* === collection.c === */

/* Relationship r of st as Lua sees it: loads it first when needed (a lazy
 * load: autoflush, then SQL or the identity map, for a persistent state; a
 * new state starts empty).  -1 with err on failure. */
int rt_state_rel_load(rt_state *st, size_t r, rt_error *err);
/* Whether relationship r of st holds its value (loaded, or new and empty);
 * lazy_pending: not loaded, and reading it would load it (a persistent
 * state in a session). */
int rt_state_rel_loaded(const rt_state *st, size_t r);
int rt_state_rel_lazy_pending(const rt_state *st, size_t r);
/* Whether the lazy load of many-to-one r of st needs no SQL (its foreign key
 * is NULL, or its target is in the identity map); 0 when unsure
 * (relationship.c). */
int rt_state_rel_lazy_cached(rt_state *st, size_t r);
size_t rt_state_rel_count(const rt_state *st, size_t r);
rt_state *rt_state_rel_item(const rt_state *st, size_t r, size_t i);   /* borrowed */
/* Appends child to collection r (no-op when present), removes it; set
 * assigns a scalar (NULL clears).  The backref is updated in memory, and
 * the other object joins st's session by the save-update cascade.
 * ArgumentError naming both classes when child is of the wrong class. */
int rt_state_rel_append(rt_state *st, size_t r, rt_state *child, rt_error *err);
int rt_state_rel_remove(rt_state *st, size_t r, rt_state *child, rt_error *err);
int rt_state_rel_set(rt_state *st, size_t r, rt_state *target, rt_error *err);
/* Replaces collection r by items (n of them). */
int rt_state_rel_replace(rt_state *st, size_t r, rt_state *const *items, size_t n,
                         rt_error *err);
/* An eager load: sets relationship r of st to items (n of them, at most one
 * for a scalar) as loaded from the database, without events or changes.
 * A relationship already loaded is left as it is (1 returned, else 0). */
int rt_state_rel_populate(rt_state *st, size_t r, rt_state *const *items, size_t n,
                          rt_error *err);
/* Forgets the loaded value of relationship r (populate_existing: the next
 * eager load or access loads it again), unless it changed since the last
 * flush: 1 then, and nothing is forgotten; else 0. */
int rt_state_rel_unload(rt_state *st, size_t r);

/* === state.c === */

typedef enum rt_state_status {
    RT_STATE_TRANSIENT,   /* in no session, no identity */
    RT_STATE_PENDING,     /* added to a session, not yet inserted */
    RT_STATE_PERSISTENT,  /* in a session with an identity */
    RT_STATE_DELETED,     /* deleted by a flush, transaction not yet committed */
    RT_STATE_DETACHED     /* has an identity, in no session */
} rt_state_status;

/* A new transient instance state of mapper m, every attribute unset. */
rt_state *rt_state_new(rt_mapper *m, rt_error *err);
rt_state *rt_state_retain(rt_state *st);
void rt_state_release(rt_state *st);                   /* NULL is a no-op */
/* References held on st (the binding's object holds one: a state referenced
 * only by its caller has no object yet). */
int rt_state_refcount(const rt_state *st);
rt_mapper *rt_state_mapper(const rt_state *st);
rt_session *rt_state_session(const rt_state *st);      /* NULL when in none */
rt_state_status rt_state_status_of(const rt_state *st);
const char *rt_state_status_name(rt_state_status s);  /* "pending", ... */
/* Marked for deletion by session delete (not yet flushed). */
int rt_state_marked_deleted(const rt_state *st);
/* Whether attribute i holds a value (0: never set, or expired). */
int rt_state_loaded(const rt_state *st, size_t i);
/* The current value of attribute i (SQL NULL when not loaded); borrowed
 * until the attribute changes. */
const rt_value *rt_state_get(const rt_state *st, size_t i);
/* The same, but NULL when attribute i is not loaded (one call for a read
 * that must load an expired attribute first). */
const rt_value *rt_state_loaded_value(const rt_state *st, size_t i);
/* Sets attribute i (text copied), recording history; a persistent state
 * becomes dirty and its session holds it.  -1 only on OOM. */
int rt_state_set(rt_state *st, size_t i, const rt_value *v, rt_error *err);
int rt_state_attr_modified(const rt_state *st, size_t i);
/* Whether some attribute's value differs from what the database holds. */
int rt_state_modified(const rt_state *st);

/* Per attribute history, as SQLAlchemy's History: added (the new value),
 * deleted (the value it replaced, when known) and unchanged.  Each pointer is
 * NULL when empty; borrowed. */
typedef struct rt_history {
    const rt_value *added, *deleted, *unchanged;
} rt_history;
void rt_state_history(const rt_state *st, size_t i, rt_history *h);
/* The identity key ("<mapper>|1") of a persistent/deleted/detached state,
 * else NULL. */
const char *rt_state_identity_key(const rt_state *st);
/* A slot for the binding; not owned. */
void rt_state_set_user(rt_state *st, void *user);
void *rt_state_user(const rt_state *st);

/* === session.c === */

/* Hooks the binding gives for column defaults that are functions: fills
 * *out for column c (text must stay valid until the flush ends: the hook
 * owns it, e.g. anchored in its own state).  on_update: onupdate rather than
 * default.  0, or -1 with err set. */
typedef struct rt_orm_hooks {
    int (*column_default)(void *ctx, rt_column *c, int on_update, rt_value *out,
                          rt_error *err);
    void *ctx;
} rt_orm_hooks;

/* A session over engine e (retained).  No connection is made until needed;
 * then a transaction begins (BEGIN (implicit)) and lasts until commit,
 * rollback or close. */
rt_session *rt_session_new(rt_engine *e, rt_error *err);
/* Closes (rolling back) and frees; states are detached.  NULL is a no-op. */
void rt_session_free(rt_session *s);
rt_engine *rt_session_engine(const rt_session *s);
void rt_session_set_hooks(rt_session *s, const rt_orm_hooks *h);
void rt_session_set_autoflush(rt_session *s, int on);
void rt_session_set_expire_on_commit(rt_session *s, int on);  /* default on */
/* The session's connection, beginning its transaction if none is open
 * (borrowed; valid until commit, rollback or close). */
int rt_session_connection(rt_session *s, rt_conn **out, rt_error *err);
/* add: a transient state becomes pending; a detached one persistent again.
 * InvalidRequestError when it belongs to another session. */
int rt_session_add(rt_session *s, rt_state *st, rt_error *err);
/* Marks a persistent state for deletion (a pending one is expunged).
 * InvalidRequestError for a transient state or another session's. */
int rt_session_delete(rt_session *s, rt_state *st, rt_error *err);
/* Removes a state from the session (pending: transient; else detached). */
void rt_session_expunge(rt_session *s, rt_state *st);
void rt_session_expunge_all(rt_session *s);
/* Flushes pending changes (see unitofwork.c).  Atomic: on failure database
 * and session are as before, and err holds the failing statement. */
int rt_session_flush(rt_session *s, rt_error *err);
/* Flushes when autoflush is on (before queries). */
int rt_session_autoflush(rt_session *s, rt_error *err);
/* Whether the session holds anything a flush would write (pending, dirty
 * or deleted instances): when not, a flush does nothing (session.c). */
int rt_session_has_changes(const rt_session *s);
/* Flush, COMMIT, expire every instance. */
int rt_session_commit(rt_session *s, rt_error *err);
/* ROLLBACK: pending instances become transient, instances inserted in the
 * transaction transient again, deleted ones persistent, everything expired. */
int rt_session_rollback(rt_session *s, rt_error *err);
/* Expunges every instance (they keep their values: pending ones become
 * transient, the others detached), rolls back what is open and returns the
 * connection. */
void rt_session_close(rt_session *s);
/* SAVEPOINT (after a flush); *out names it for the two calls below. */
int rt_session_begin_nested(rt_session *s, rt_txn *out, rt_error *err);
int rt_session_commit_nested(rt_session *s, rt_txn t, rt_error *err);
int rt_session_rollback_nested(rt_session *s, rt_txn t, rt_error *err);
int rt_session_in_transaction(const rt_session *s);
/* Expires the loaded values of st (all of the session's with _all); modified
 * values are discarded.  The next access reloads. */
void rt_session_expire(rt_session *s, rt_state *st);
void rt_session_expire_all(rt_session *s);
/* Reloads st from the database (SELECT by primary key).  InvalidRequestError
 * when the row is gone or st is not persistent in s. */
int rt_session_refresh(rt_session *s, rt_state *st, rt_error *err);
/* Loads an expired/unloaded state if it is persistent in a session (what an
 * attribute access does); 0 with nothing done otherwise. */
int rt_state_load_expired(rt_state *st, rt_error *err);

/* The instances of the session of one kind, in a new array of borrowed
 * pointers (rt_free it; NULL when *n is 0). */
typedef enum rt_session_set {
    RT_SESSION_NEW, RT_SESSION_DIRTY, RT_SESSION_DELETED, RT_SESSION_ALL
} rt_session_set;
int rt_session_states(rt_session *s, rt_session_set which, rt_state ***out, size_t *n,
                      rt_error *err);
/* The state of mapper m with these primary-key values (one per pk column) in
 * the identity map, or NULL.  Borrowed. */
rt_state *rt_session_identity_get(rt_session *s, rt_mapper *m, const rt_value *pk);
/* get(): the identity map, else SELECT by primary key.  *out is a new
 * reference (rt_state_release it), NULL when there is no such row. */
int rt_session_get(rt_session *s, rt_mapper *m, const rt_value *pk, rt_state **out,
                   rt_error *err);
/* merge(): copies src's loaded attributes onto the session's instance with
 * the same primary key (loaded if needed), or a new pending one.  *out is a
 * new reference. */
int rt_session_merge(rt_session *s, rt_state *src, rt_state **out, rt_error *err);

/* === bulk.c === */

/* Writes outside a flush (bulk operations) on the session's connection:
 * begin gives the connection, in the session transaction, and *sp a
 * SAVEPOINT when earlier writes of that transaction must survive a failure
 * (0 otherwise).  end with ok: releases it and notes the writes; without:
 * rolls the writes back (the savepoint, or the whole transaction when there
 * were no earlier writes) and returns -1, err left as the caller set it. */
int rt_session_bulk_begin(rt_session *s, rt_conn **c, rt_txn *sp, rt_error *err);
int rt_session_bulk_end(rt_session *s, rt_conn *c, rt_txn sp, int ok, rt_error *err);
/* bulk_save_objects: states without an identity are INSERTed (their
 * non-NULL values and client defaults), states with one UPDATEd (modified
 * attributes and client onupdates, by primary key; unmodified ones are
 * skipped), in order, consecutive rows of one shape as one executemany.  No
 * cascades, no identity map; the states are left as they were, except with
 * return_defaults: inserted states receive their generated keys and
 * defaults and their identity (a transient one becomes detached).  All or
 * nothing (see bulk_begin); InvalidRequestError for another session's state. */
int rt_session_bulk_save(rt_session *s, rt_state *const *states, size_t n, int return_defaults,
                         rt_error *err);

/* === query.c === */

/* The instance for a row: vals holds one value per attribute of m (as the
 * driver returned them; copied).  An instance already in the identity map is
 * returned as it is (its expired attributes filled in); else a new
 * persistent state joins the map.  *out is a new reference
 * (rt_state_release it).  NULL *out (0 returned) when the primary key is
 * all NULL (an outer join's missing side). */
int rt_session_load_row(rt_session *s, rt_mapper *m, const rt_value *vals, rt_state **out,
                        rt_error *err);
/* For a result: the column of result r holding attribute i of m, matched by
 * label (users_name) or name (name); -1 when absent.  map must hold nattrs. */
void rt_mapper_match_columns(const rt_mapper *m, rt_result *r, int first, long *map);

#endif
