/* orm_int.h: what the files of core/orm share: the layouts of mappers,
 * states and sessions, value copies, identity keys, and the flush plan that
 * unitofwork.c builds and persistence.c executes. */
#ifndef RT_ORM_INT_H
#define RT_ORM_INT_H

#include "rt_orm.h"
#include "rt_expr.h"

/* === mapper.c === */

typedef struct orm_attr {
    char *key;            /* attribute name */
    rt_column *column;    /* the mapped column (owned by the table) */
} orm_attr;

struct rt_mapper {
    int refcount;
    char *class_name;
    rt_table *table;
    rt_metadata *md;      /* retained: keeps table alive */
    rt_node *table_node;  /* owned reference */
    orm_attr *attrs;      /* in column order */
    size_t nattrs;
    rt_map *by_key;       /* attribute name -> index + 1 */
    size_t *pk;           /* attribute index of each primary-key column */
    size_t npk;
    struct orm_rel *rels; /* relationships (relationship.c), in order added */
    size_t nrels;
    rt_node *flush_stmt[3];   /* the flush's INSERT, UPDATE and DELETE by primary
                                 key (by ROW_*), built once by persistence.c so
                                 that their compiled forms are kept; owned */
    void *user;
    rt_compiled *get_cp;  /* query.c: the SELECT by primary key, compiled for */
    const rt_dialect *get_dialect;   /* this dialect; NULL until first used */
};

/* === relationship.c === */

/* One relationship of a mapper.  The "parent" side holds the referenced
 * columns, the "child" side the foreign key: for one-to-many the mapper is
 * the parent and the target the child; for many-to-one the reverse. */
typedef struct orm_rel {
    char *key;
    rt_mapper *target;     /* retained until rt_mapper_clear_relationships */
    rt_rel_direction dir;
    int uselist;           /* a collection, else a scalar */
    unsigned cascade;      /* RT_CASCADE_* */
    size_t npairs;
    size_t *pattrs;        /* per pair: attribute of the parent side's mapper */
    size_t *cattrs;        /* per pair: attribute of the child side's mapper */
    long backref;          /* the reverse relationship on target, or -1 */
    rt_node **order_by;    /* retained */
    size_t norder;
    /* many-to-many: pattrs are m's attributes (cattrs unused) */
    rt_table *secondary;   /* the association table (its MetaData's), or NULL */
    rt_node *secondary_node;   /* retained */
    rt_column **near;      /* per pair: secondary column referencing m */
    size_t nfar;
    size_t *fattrs;        /* per far pair: attribute of the target */
    rt_column **far;       /* per far pair: secondary column referencing the target */
    rt_node *extra;        /* primaryjoin's terms beyond the pairs (retained), or NULL */
    rt_node *sec_extra;    /* the same for secondaryjoin */
    int post_update;
    int dynamic;           /* lazy = "dynamic": appends and removes do not load */
} orm_rel;

void orm_rels_free(rt_mapper *m);
/* The lazy load of relationship r of a persistent st (SQL, or the identity
 * map for a many-to-one); fills the slot without events. */
int orm_rel_lazy_load(rt_state *st, size_t r, rt_error *err);

/* === state.c === */

enum {
    ATTR_LOADED = 1,      /* cur holds a value */
    ATTR_MODIFIED = 2,    /* set since loaded/flushed; committed is the old value */
    ATTR_HAD_VALUE = 4    /* with MODIFIED: committed is valid */
};

struct rt_state {
    /* pointers and sizes first, then ints, then flags: 128 bytes (a state
     * per loaded row) */
    size_t size;          /* bytes of this allocation (values, flags and a loaded
                             row's text and key follow the struct) */
    rt_mapper *mapper;    /* retained */
    rt_session *session;  /* NULL when in none */
    rt_value *cur;        /* per attribute; text/blob payloads owned */
    rt_value *committed;  /* per attribute, valid with ATTR_MODIFIED|ATTR_HAD_VALUE;
                             NULL until the first change (own allocation) */
    unsigned char *flags; /* ATTR_* per attribute */
    char *key;            /* identity key, or NULL */
    struct orm_relslot *rels;  /* per relationship of the mapper (grown lazily) */
    size_t nrels;
    size_t gc_internal;   /* collection.c scratch: references from the component */
    void *user;
    int plan_save, plan_del;   /* unitofwork scratch: row index + 1 in its action */
    unsigned key_hash;    /* identity.c: the low bits of the key's hash while in the map
                             (its removal hashes nothing) */
    int refcount;
    rt_state_status status;
    int inserted_in_txn;  /* inserted in the session's transaction: 1 + the
                             begin_nested level it happened at; 0 not */
    int deleted_level;    /* deleted by a flush: the same, for deletes */
    unsigned char marked_deleted;  /* session:delete() before the flush */
    unsigned char held;   /* the session holds a reference */
    unsigned char gc_mark;  /* collection.c scratch: 1 seen, 2 alive */
    unsigned char orphan; /* unitofwork scratch: deleted as an orphan in this flush */
    unsigned char touched;  /* unitofwork scratch: in the plan's touched list */
    unsigned char cascade_mark;  /* cascade.c scratch: reached by the current cascade */
    unsigned char room;   /* bytes kept after the flags for the text of values and
                             the identity key (a new state's), 0 none */
    unsigned char room_used;  /* of them, taken (never given back) */
};

/* A state for a loaded row: its values (text copied into the state's own
 * allocation), all loaded, and identity key (klen bytes); NULL on OOM. */
rt_state *orm_state_new_row(rt_mapper *m, const rt_value *vals, const char *key, size_t klen,
                            rt_error *err);
/* Clears a value of st (cur or committed), freeing its payload unless it
 * lives in st's own allocation; frees st->key the same way (NULL after). */
void orm_state_value_clear(rt_state *st, rt_value *v);
void orm_state_key_free(rt_state *st);

/* Value copies owning their payload. */
int orm_value_copy(rt_value *dst, const rt_value *src);   /* dst must be clear */
void orm_value_clear(rt_value *v);
int orm_value_equal(const rt_value *a, const rt_value *b);
/* Appends the identity key of mapper m for pk values (one per pk column). */
void orm_identity_key(const rt_mapper *m, const rt_value *const *pk, rt_buf *b);
/* The same key written into buf when every pk value is an integer: its
 * length, or 0 (use orm_identity_key). */
size_t orm_identity_key_int(const rt_mapper *m, const rt_value *const *pk, char *buf,
                            size_t cap);
/* The identity key from st's current (or committed) pk values; 0/-1. */
int orm_state_compute_key(rt_state *st, int use_committed, rt_error *err);
/* Overwrites loaded values from a row (vals per attribute); modified
 * attributes kept unless overwrite. */
int orm_state_load(rt_state *st, const rt_value *vals, int overwrite, rt_error *err);
/* After a successful flush: the current values become the committed ones. */
void orm_state_commit(rt_state *st);
/* Rollback: modified attributes back to their committed values. */
void orm_state_reset(rt_state *st);
/* Drops loaded values except the primary key (keep_pk) and modifications. */
void orm_state_expire(rt_state *st, int keep_pk);
/* The pk values of st, committed ones when modified; pointers into st. */
void orm_state_pk(const rt_state *st, const rt_value **pk, int committed);

/* === identity.c === */

typedef struct orm_identity orm_identity;
orm_identity *orm_identity_new(void);
void orm_identity_free(orm_identity *im);
rt_state *orm_identity_get(const orm_identity *im, const char *key);
int orm_identity_add(orm_identity *im, rt_state *st, rt_error *err);  /* by st->key */
/* The hash of a key of len bytes, for lookup. */
size_t orm_identity_hash(const char *key, size_t len);
/* For loading rows, one probe: *out the state of key (h its hash), or NULL
 * and *spot where a state of that key goes, with room made for one more;
 * put it there with orm_identity_put before the map changes otherwise.
 * -1 on OOM. */
int orm_identity_lookup(orm_identity *im, const char *key, size_t h, rt_state **out,
                        size_t *spot);
void orm_identity_put(orm_identity *im, size_t spot, rt_state *st, size_t h);
/* Empties the map (the session is letting go of every state). */
void orm_identity_clear(orm_identity *im);
void orm_identity_remove(orm_identity *im, rt_state *st);   /* only if it maps to st */
size_t orm_identity_count(const orm_identity *im);
/* Calls fn(st, arg) for every state in the map; fn must not change the map. */
void orm_identity_each(const orm_identity *im, void (*fn)(rt_state *st, void *arg), void *arg);
/* All states in the map, in a new array (rt_free); -1 on OOM. */
int orm_identity_all(const orm_identity *im, rt_state ***out, size_t *n);

typedef struct state_vec {
    rt_state **items;
    size_t n, cap;
} state_vec;

/* === collection.c === */

/* The value of one relationship of one state.  items: the members of a
 * collection, or the one target of a scalar (0 or 1 item); retained.
 * removed: members taken out since the last flush (retained), for the flush
 * to null their foreign key or delete them as orphans; added: the members
 * added since then (retained), for association rows. */
typedef struct orm_relslot {
    int loaded;            /* items is what the relationship holds; for a dynamic
                              one not loaded, items are the members appended
                              since the last flush */
    int changed;           /* changed since the last flush */
    state_vec items, removed;
    state_vec added;       /* members added since the last flush (many-to-many) */
} orm_relslot;

/* The slot of relationship r of st (grown to the mapper's count); NULL on OOM. */
orm_relslot *orm_state_slot(rt_state *st, size_t r, rt_error *err);
/* Frees the slots of a state being freed. */
void orm_state_rels_free(rt_state *st);
/* Unloads every relationship (expiry) and forgets the flush history. */
void orm_state_rels_expire(rt_state *st);
/* After a flush: the history of st's relationships is forgotten. */
void orm_state_rels_flushed(rt_state *st);
/* Whether some relationship of st changed since the last flush. */
int orm_state_rels_changed(const rt_state *st);
/* Called by rt_state_release when references remain: frees st's component
 * of relationship links when nothing outside it refers to it (cycles). */
void orm_rel_collect(rt_state *st);

/* === session.c === */

int orm_vec_push(state_vec *v, rt_state *st);
void orm_vec_remove(state_vec *v, rt_state *st);
void orm_vec_free(state_vec *v);

struct rt_session {
    rt_engine *engine;
    rt_conn *conn;         /* NULL until first used */
    rt_txn txn;            /* the session transaction, 0 when none */
    int txn_has_writes;    /* a flush wrote in this transaction: later flushes
                              run in a SAVEPOINT */
    int autoflush;
    int expire_on_commit;  /* commit expires every instance (default) */
    int flushing;
    orm_identity *identity;
    state_vec held;        /* referenced: pending, dirty, marked deleted,
                              deleted in this transaction (in order added) */
    state_vec inserted;    /* weak: inserted in this transaction */
    rt_orm_hooks hooks;
    int nest_level;        /* open SAVEPOINTs of begin_nested */
};

/* The session holds / stops holding a reference on st (idempotent).
 * Unholding may free st. */
int orm_session_hold(rt_session *s, rt_state *st, rt_error *err);
void orm_session_unhold(rt_session *s, rt_state *st);
/* Stops holding, in one pass over the held list, every held state for
 * which drop(st) is true (a flush releases thousands at once). */
void orm_session_unhold_if(rt_session *s, int (*drop)(const rt_state *st));
/* Called when a state's last reference goes: forget it. */
void orm_session_forget(rt_session *s, rt_state *st);
/* After a failed flush or bulk write on c: rolls back the SAVEPOINT sp, or
 * when there is none the session's whole transaction, so that the database
 * is as it was before the writes (errors of the rollback are ignored). */
void orm_session_undo_writes(rt_session *s, rt_conn *c, rt_txn sp);
/* Makes st belong to no session with the given status. */
void orm_session_detach(rt_session *s, rt_state *st, rt_state_status status);

/* === cascade.c === */

/* The states reached from st along loaded relationships whose cascade has
 * `bit` (st first, each once, all in session s), retained into v. */
int orm_cascade_collect(rt_session *s, rt_state *st, unsigned bit, state_vec *v,
                        rt_error *err);
/* Releases what orm_cascade_collect gathered. */
void orm_cascade_release(state_vec *v);
/* One state's expiry / expunge, without cascades (session.c). */
void orm_session_expire_one(rt_session *s, rt_state *st);
void orm_session_expunge_one(rt_session *s, rt_state *st);
/* merge() of one state with its memo of the states merged so far. */
int orm_session_merge_one(rt_session *s, rt_state *src, rt_state **out, rt_error *err);

/* === unitofwork.c, persistence.c === */

enum { ROW_INSERT, ROW_UPDATE, ROW_DELETE };

/* One row a flush writes. */
enum {
    HOW_SKIP = 0,          /* not written */
    HOW_STATE,             /* written from the state's value (borrowed) */
    HOW_DEFAULT,           /* written from a client default (owned copy in vals) */
    HOW_FETCH,             /* set by the database: expired after the flush */
    HOW_SYNC               /* copied from a related row (see flush_sync) */
};

/* A foreign-key value copied from a related state's attribute when the
 * action runs (its key may be generated by an earlier action); src NULL
 * writes NULL. */
typedef struct flush_sync {
    size_t attr;           /* attribute of the row's mapper */
    rt_state *src;         /* borrowed (kept alive by the plan) */
    size_t src_attr;
} flush_sync;

typedef struct flush_row {
    rt_state *st;          /* retained by the plan */
    int op;                /* ROW_* */
    rt_value *vals;        /* INSERT/UPDATE: per attribute, what is written */
    unsigned char *how;    /* per attribute: HOW_* */
    int need_pk;           /* INSERT: the database generates the primary key */
    rt_value *newpk;       /* INSERT with need_pk: per pk column (owned) */
    flush_sync *syncs;     /* HOW_SYNC attributes, resolved before emission */
    size_t nsyncs;
} flush_row;

/* Everything one mapper writes, in the order its rows were added. */
typedef struct flush_action {
    rt_mapper *mapper;
    int is_delete;         /* the delete action of the mapper, else save */
    flush_row *rows;
    size_t nrows, caprows;
} flush_action;

/* An UPDATE of a post_update relationship's foreign key: attribute attr of
 * st from src's src_attr (src NULL: NULL).  Clears run before the actions
 * (the rows they point at may be deleted), sets after them (the rows they
 * point at may be inserted). */
typedef struct flush_post {
    rt_state *st;          /* borrowed (kept alive by touched) */
    size_t attr;
    rt_state *src;         /* borrowed, or NULL */
    size_t src_attr;
    rt_value value;        /* what was written (owned), once emitted */
} flush_post;

typedef struct flush_plan {
    flush_action *actions;
    size_t nactions;
    size_t *order;         /* execution order of actions (and assoc_action) */
    size_t norder;         /* nactions, + 1 with association rows */
    rt_edge *edges;        /* dependencies between actions (processors add more) */
    size_t nedges, capedges;
    state_vec touched;     /* retained: states whose relationship history the
                              flush consumes, and orphans */
    struct flush_assoc *assoc;   /* association rows (many-to-many) */
    size_t nassoc;
    size_t assoc_action;   /* the node of the association work in `order`
                              (== nactions), when nassoc */
    flush_post *post;      /* post_update foreign keys */
    size_t npost;
    size_t row_hint;       /* rows a new action reserves (the states held at
                              the start of the flush, at most 4096) */
} flush_plan;

/* One association row to insert or delete: near columns from a's
 * attributes, far columns from b's (states retained by `touched`). */
typedef struct flush_assoc {
    const orm_rel *rel;
    int del;
    rt_state *a, *b;
} flush_assoc;
/* Emits the association rows: deletes, then inserts (dependency.c). */
int orm_dep_persist_assoc(flush_plan *p, rt_conn *c, rt_error *err);
/* The value a sync reads: src's attribute, or the key its INSERT generated. */
const rt_value *orm_plan_src_value(flush_plan *p, rt_state *src, size_t attr);

/* The save or delete action of m (made when missing), its index in *idx. */
flush_action *orm_plan_action(flush_plan *p, rt_mapper *m, int is_delete, size_t *idx,
                              rt_error *err);
/* The row of st in the plan's save action for st (an INSERT for a pending
 * state, else an UPDATE of nothing yet), made when missing. */
/* Allocates r->vals and r->how (one block, freed with r->vals) for nattrs
 * attributes, zeroed; -1 on OOM. */
int orm_row_alloc(flush_row *r, size_t nattrs);
flush_row *orm_plan_save_row(rt_session *s, flush_plan *p, rt_state *st, rt_error *err);
/* A DELETE row for st in its mapper's delete action; -1 on OOM. */
int orm_plan_delete_row(flush_plan *p, rt_state *st, rt_error *err);
/* Before rows [first, end) of an action run: their HOW_SYNC values. */
void orm_plan_resolve_syncs(flush_plan *p, flush_action *act, size_t first, size_t end);
/* Writes attribute attr of the row from src's attribute (src NULL: NULL). */
int orm_row_sync(flush_row *r, size_t attr, rt_state *src, size_t src_attr, rt_error *err);

/* === dependency.c === */

/* The relationship processors: rows, foreign-key syncs and edges for the
 * relationships of the plan's states (called by orm_plan_build). */
int orm_dep_presort(rt_session *s, flush_plan *p, rt_error *err);   /* marks orphans */
int orm_dep_process(rt_session *s, flush_plan *p, rt_error *err);   /* rows and syncs */
int orm_dep_edges(flush_plan *p, rt_error *err);                    /* after the FK edges */
int orm_dep_sort_rows(flush_plan *p, rt_error *err);    /* UPDATEs first; self-referential rows in order */
/* Whether mapper child's rows must be saved after parent's (and deleted
 * before them): a foreign key of child's table references parent's that
 * no post_update relationship writes. */
int orm_dep_references(const rt_mapper *child, const rt_mapper *parent);
/* Cascades: add (save-update) and delete along relationships. */
int orm_dep_cascade_add(rt_session *s, rt_state *st, rt_error *err);
int orm_dep_cascade_delete(rt_session *s, rt_state *st, rt_error *err);

int orm_plan_add_edge(flush_plan *p, size_t before, size_t after, rt_error *err);
/* Builds the plan for a session's changes; *empty when nothing to do. */
int orm_plan_build(rt_session *s, flush_plan *p, rt_error *err);
void orm_plan_free(flush_plan *p);
/* Emits one action's statements on c (grouped by shape; a row whose
 * foreign key comes from an earlier row of the action starts a new batch,
 * its syncs resolved then); values of new keys land in rows[i].newpk. */
int orm_persist_action(flush_plan *p, rt_conn *c, flush_action *a, rt_error *err);
/* Emits the post_update UPDATEs: the clears (before 1) or the sets. */
int orm_persist_post(flush_plan *p, rt_conn *c, int before, rt_error *err);
/* Applies a successful flush to the states. */
int orm_plan_apply(rt_session *s, flush_plan *p, rt_error *err);

/* === query.c === */

/* Runs a SELECT of m's columns WHERE pk = values on s; *out borrowed. */
/* into NULL: *out is a new reference (NULL when no row); else the row's
 * values go into `into` (overwrite: also its loaded and modified ones) and
 * *found tells whether there was a row. */
int orm_load_by_pk(rt_session *s, rt_mapper *m, const rt_value *const *pk, rt_state *into,
                   int overwrite, rt_state **out, int *found, rt_error *err);
/* Compiles n for the session's connection and executes it with the values
 * it carries; *out a new result. */
int orm_execute(rt_session *s, rt_node *n, rt_result **out, rt_error *err);

#endif
