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
    void *user;
};

/* === state.c === */

enum {
    ATTR_LOADED = 1,      /* cur holds a value */
    ATTR_MODIFIED = 2,    /* set since loaded/flushed; committed is the old value */
    ATTR_HAD_VALUE = 4    /* with MODIFIED: committed is valid */
};

struct rt_state {
    int refcount;
    rt_mapper *mapper;    /* retained */
    rt_session *session;  /* NULL when in none */
    rt_state_status status;
    int marked_deleted;   /* session:delete() before the flush */
    int held;             /* the session holds a reference */
    int inserted_in_txn;  /* inserted in the session's transaction: 1 + the
                             begin_nested level it happened at; 0 not */
    int deleted_level;    /* deleted by a flush: the same, for deletes */
    rt_value *cur;        /* per attribute; text/blob payloads owned */
    rt_value *committed;  /* per attribute, valid with ATTR_MODIFIED|ATTR_HAD_VALUE */
    unsigned char *flags; /* ATTR_* per attribute */
    char *key;            /* identity key, or NULL */
    void *user;
};

/* Value copies owning their payload. */
int orm_value_copy(rt_value *dst, const rt_value *src);   /* dst must be clear */
void orm_value_clear(rt_value *v);
int orm_value_equal(const rt_value *a, const rt_value *b);
/* Appends the identity key of mapper m for pk values (one per pk column). */
void orm_identity_key(const rt_mapper *m, const rt_value *const *pk, rt_buf *b);
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
void orm_identity_remove(orm_identity *im, rt_state *st);   /* only if it maps to st */
size_t orm_identity_count(const orm_identity *im);
/* All states in the map, in a new array (rt_free); -1 on OOM. */
int orm_identity_all(const orm_identity *im, rt_state ***out, size_t *n);

/* === session.c === */

typedef struct state_vec {
    rt_state **items;
    size_t n, cap;
} state_vec;
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
/* Called when a state's last reference goes: forget it. */
void orm_session_forget(rt_session *s, rt_state *st);
/* Makes st belong to no session with the given status. */
void orm_session_detach(rt_session *s, rt_state *st, rt_state_status status);

/* === unitofwork.c, persistence.c === */

enum { ROW_INSERT, ROW_UPDATE, ROW_DELETE };

/* One row a flush writes. */
enum {
    HOW_SKIP = 0,          /* not written */
    HOW_STATE,             /* written from the state's value (borrowed) */
    HOW_DEFAULT,           /* written from a client default (owned copy in vals) */
    HOW_FETCH              /* set by the database: expired after the flush */
};

typedef struct flush_row {
    rt_state *st;          /* retained by the plan */
    int op;                /* ROW_* */
    rt_value *vals;        /* INSERT/UPDATE: per attribute, what is written */
    unsigned char *how;    /* per attribute: HOW_* */
    int need_pk;           /* INSERT: the database generates the primary key */
    rt_value *newpk;       /* INSERT with need_pk: per pk column (owned) */
} flush_row;

/* Everything one mapper writes, in the order its rows were added. */
typedef struct flush_action {
    rt_mapper *mapper;
    int is_delete;         /* the delete action of the mapper, else save */
    flush_row *rows;
    size_t nrows, caprows;
} flush_action;

typedef struct flush_plan {
    flush_action *actions;
    size_t nactions;
    size_t *order;         /* execution order of actions */
    rt_edge *edges;        /* dependencies between actions (processors add more) */
    size_t nedges, capedges;
} flush_plan;

int orm_plan_add_edge(flush_plan *p, size_t before, size_t after, rt_error *err);
/* Builds the plan for a session's changes; *empty when nothing to do. */
int orm_plan_build(rt_session *s, flush_plan *p, rt_error *err);
void orm_plan_free(flush_plan *p);
/* Emits one action's statements on c (grouped by shape); values of new keys
 * land in rows[i].newpk. */
int orm_persist_action(rt_session *s, rt_conn *c, flush_action *a, rt_error *err);
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
