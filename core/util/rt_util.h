/* rt_util.h: the bottom layer of retort's C core.
 *
 * Allocation (with a fault-injection hook for tests), a growable string buffer
 * with a sticky failure flag, a string-keyed hash map, tagged SQL values and
 * their echo representation, and the error record every core call fills in.
 * Nothing here knows about SQL, databases or Lua.  Implemented in alloc.c,
 * buf.c, map.c, value.c and error.c. */
#ifndef RT_UTIL_H
#define RT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* === alloc.c === */

/* malloc/realloc/free wrappers.  They return NULL on failure and never abort;
 * rt_free(NULL) is a no-op. */
void *rt_alloc(size_t n);
void *rt_calloc(size_t count, size_t size);
void *rt_realloc(void *p, size_t n);
void rt_free(void *p);
/* Copies of a NUL-terminated string / of n bytes (NUL-terminated). NULL on failure. */
char *rt_strdup(const char *s);
char *rt_strndup(const char *s, size_t n);
/* Test hook: make the n-th allocation from now fail (n >= 1); 0 turns it off. */
void rt_alloc_fail_after(long n);

/* === clock.c === */

double rt_monotonic(void);   /* seconds from an arbitrary start, never going back */

/* === buf.c === */

/* A growable, always NUL-terminated byte buffer.  After an allocation failure
 * `failed` stays set and further appends do nothing: check it once at the end. */
typedef struct rt_buf {
    char *data;   /* NUL-terminated contents, or NULL while empty */
    size_t len;   /* bytes used, excluding the terminating NUL */
    size_t cap;   /* bytes allocated */
    int failed;   /* sticky out-of-memory flag */
} rt_buf;

void rt_buf_init(rt_buf *b);
void rt_buf_free(rt_buf *b);
void rt_buf_reset(rt_buf *b);                 /* empties, keeps the memory */
void rt_buf_reserve(rt_buf *b, size_t n);      /* room for n more bytes in one allocation */
void rt_buf_append(rt_buf *b, const char *s, size_t n);
void rt_buf_puts(rt_buf *b, const char *s);
void rt_buf_putc(rt_buf *b, char c);
void rt_buf_printf(rt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The contents as a string ("" when empty); valid until the next append. */
const char *rt_buf_str(const rt_buf *b);
/* Hands the contents to the caller (free with rt_free) and empties the buffer.
 * Returns NULL if the buffer failed or on allocation failure. */
char *rt_buf_steal(rt_buf *b);

/* === map.c === */

/* A hash map from NUL-terminated string keys (copied) to pointers.  The value
 * destructor, when given, is called for values replaced, removed or freed. */
typedef struct rt_map rt_map;
typedef void (*rt_map_free_fn)(void *value);

rt_map *rt_map_new(rt_map_free_fn free_value);       /* NULL on failure */
void rt_map_free(rt_map *m);                         /* NULL is a no-op */
void *rt_map_get(const rt_map *m, const char *key);  /* NULL when absent */
int rt_map_set(rt_map *m, const char *key, void *value); /* 0, or -1 on OOM (value not taken) */
int rt_map_remove(rt_map *m, const char *key);      /* 1 removed, 0 absent */
size_t rt_map_count(const rt_map *m);
void rt_map_clear(rt_map *m);
/* Iteration: start with *pos = 0; returns 0 at the end. */
int rt_map_next(const rt_map *m, size_t *pos, const char **key, void **value);

/* === value.c === */

/* An SQL value.  Text and blob payloads are borrowed: whoever builds the value
 * keeps the bytes alive for as long as the value is used. */
typedef enum rt_type {
    RT_NULL = 0,
    RT_INT,
    RT_FLOAT,
    RT_BOOL,
    RT_TEXT,
    RT_BLOB
} rt_type;

typedef struct rt_value {
    rt_type type;
    union {
        int64_t i;       /* RT_INT */
        double f;        /* RT_FLOAT */
        int b;           /* RT_BOOL: 0 or 1 */
        struct {
            const char *p;
            size_t n;
        } s;             /* RT_TEXT, RT_BLOB */
    } u;
} rt_value;

rt_value rt_value_null(void);
rt_value rt_value_int(int64_t i);
rt_value rt_value_float(double f);
rt_value rt_value_bool(int b);
rt_value rt_value_text(const char *p, size_t n);
rt_value rt_value_blob(const void *p, size_t n);

/* Formats a float as Lua's print does ("%.14g", "1.0" for integral values,
 * "inf", "-inf", "nan").  out must hold 64 bytes. */
void rt_format_float(char *out, double f);
/* Appends the echo representation of one value: 'text' with \' and \\ escaped,
 * integers, floats as above, nil, true, false, <N bytes>. */
void rt_value_repr(rt_buf *b, const rt_value *v);
/* Appends a parameter tuple: (1, 'ed'), ('ed',), () */
void rt_values_repr(rt_buf *b, const rt_value *vals, size_t n);

/* === error.c === */

/* Error classes, mirroring SQLAlchemy's exception hierarchy. */
typedef enum rt_errclass {
    RT_ERR_NONE = 0,
    RT_ERR_BASE,               /* SQLAlchemyError */
    RT_ERR_ARGUMENT,           /* ArgumentError */
    RT_ERR_INVALID_REQUEST,    /* InvalidRequestError */
    RT_ERR_NO_RESULT,          /* NoResultFound */
    RT_ERR_MULTIPLE_RESULTS,   /* MultipleResultsFound */
    RT_ERR_RESOURCE_CLOSED,    /* ResourceClosedError */
    RT_ERR_TIMEOUT,            /* TimeoutError (pool) */
    RT_ERR_COMPILE,            /* CompileError */
    RT_ERR_STATEMENT,          /* StatementError */
    RT_ERR_DBAPI,              /* DBAPIError */
    RT_ERR_INTERFACE,          /* InterfaceError */
    RT_ERR_DATABASE,           /* DatabaseError */
    RT_ERR_DATA,               /* DataError */
    RT_ERR_OPERATIONAL,        /* OperationalError */
    RT_ERR_INTEGRITY,          /* IntegrityError */
    RT_ERR_INTERNAL,           /* InternalError */
    RT_ERR_PROGRAMMING,        /* ProgrammingError */
    RT_ERR_NOT_SUPPORTED,      /* NotSupportedError */
    RT_ERR_MEMORY,             /* out of memory */
    RT_ERR_NO_SUCH_TABLE,      /* NoSuchTableError (reflection) */
    RT_ERR_CIRCULAR,           /* CircularDependencyError */
    RT_ERR__COUNT
} rt_errclass;

/* What went wrong.  Core calls that can fail take an rt_error * and fill it in;
 * strings are owned by the record and released by rt_error_clear. */
typedef struct rt_error {
    rt_errclass cls;      /* RT_ERR_NONE when no error */
    int code;             /* driver result code (SQLite) or 0 */
    char sqlstate[6];     /* PostgreSQL SQLSTATE, "" otherwise */
    char *message;        /* the driver's or retort's message */
    char *statement;      /* SQL text, when a statement failed */
    char *params;         /* parameter tuple as echoed, when a statement failed */
    int disconnect;       /* nonzero: the database connection is gone */
} rt_error;

void rt_error_init(rt_error *e);
void rt_error_clear(rt_error *e);                    /* frees strings, resets */
/* Sets class and a formatted message (replacing any previous error). Returns -1. */
int rt_error_set(rt_error *e, rt_errclass cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int rt_error_oom(rt_error *e);                       /* sets RT_ERR_MEMORY, returns -1 */
/* Attaches the failing statement and its parameter sets (either may be NULL). */
void rt_error_set_statement(rt_error *e, const char *sql, const rt_value *params,
                            size_t nparams, size_t nsets);
/* Moves src into dst (dst cleared first); src is left empty. */
void rt_error_move(rt_error *dst, rt_error *src);
const char *rt_errclass_name(rt_errclass cls);       /* "IntegrityError" */
rt_errclass rt_errclass_parent(rt_errclass cls);     /* RT_ERR_NONE for the root */
int rt_errclass_is(rt_errclass cls, rt_errclass ancestor);
rt_errclass rt_errclass_by_name(const char *name);   /* RT_ERR_NONE if unknown */
/* Full text: "(IntegrityError) msg\n[SQL: ...]\n[parameters: (...)]". */
char *rt_error_format(const rt_error *e);            /* NULL on OOM; rt_free it */

/* Echo of parameter sets: one tuple, or "[(...), (...)]" for several sets,
 * abbreviated past 10 sets as SQLAlchemy does. */
void rt_params_repr(rt_buf *b, const rt_value *params, size_t nparams, size_t nsets);

/* === toposort.c === */

/* An edge of a dependency graph: node `before` must come before `after`. */
typedef struct rt_edge {
    size_t before, after;
} rt_edge;

/* Orders nodes 0..n-1 so that every edge's `before` precedes its `after`;
 * among nodes that are ready, the lowest number first (stable).  Self-edges
 * are ignored.  order must hold n entries.  Returns 0, or -1 with a
 * CircularDependencyError naming the nodes of the cycle (order undefined). */
int rt_toposort(size_t n, const rt_edge *edges, size_t nedges, size_t *order, rt_error *err);

#endif
