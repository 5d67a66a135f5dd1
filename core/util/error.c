/* error.c: the error record filled in by every core call that can fail, and
 * the class hierarchy that mirrors SQLAlchemy's exceptions. */
#include "rt_util.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    rt_errclass parent;
} classes[RT_ERR__COUNT] = {
    [RT_ERR_NONE] = {"Error", RT_ERR_NONE},
    [RT_ERR_BASE] = {"SQLAlchemyError", RT_ERR_NONE},
    [RT_ERR_ARGUMENT] = {"ArgumentError", RT_ERR_BASE},
    [RT_ERR_INVALID_REQUEST] = {"InvalidRequestError", RT_ERR_BASE},
    [RT_ERR_NO_RESULT] = {"NoResultFound", RT_ERR_INVALID_REQUEST},
    [RT_ERR_MULTIPLE_RESULTS] = {"MultipleResultsFound", RT_ERR_INVALID_REQUEST},
    [RT_ERR_RESOURCE_CLOSED] = {"ResourceClosedError", RT_ERR_INVALID_REQUEST},
    [RT_ERR_TIMEOUT] = {"TimeoutError", RT_ERR_BASE},
    [RT_ERR_COMPILE] = {"CompileError", RT_ERR_BASE},
    [RT_ERR_STATEMENT] = {"StatementError", RT_ERR_BASE},
    [RT_ERR_DBAPI] = {"DBAPIError", RT_ERR_STATEMENT},
    [RT_ERR_INTERFACE] = {"InterfaceError", RT_ERR_DBAPI},
    [RT_ERR_DATABASE] = {"DatabaseError", RT_ERR_DBAPI},
    [RT_ERR_DATA] = {"DataError", RT_ERR_DATABASE},
    [RT_ERR_OPERATIONAL] = {"OperationalError", RT_ERR_DATABASE},
    [RT_ERR_INTEGRITY] = {"IntegrityError", RT_ERR_DATABASE},
    [RT_ERR_INTERNAL] = {"InternalError", RT_ERR_DATABASE},
    [RT_ERR_PROGRAMMING] = {"ProgrammingError", RT_ERR_DATABASE},
    [RT_ERR_NOT_SUPPORTED] = {"NotSupportedError", RT_ERR_DATABASE},
    [RT_ERR_MEMORY] = {"MemoryError", RT_ERR_BASE},
    [RT_ERR_NO_SUCH_TABLE] = {"NoSuchTableError", RT_ERR_INVALID_REQUEST},
    [RT_ERR_CIRCULAR] = {"CircularDependencyError", RT_ERR_BASE},
};

const char *rt_errclass_name(rt_errclass cls)
{
    return cls < RT_ERR__COUNT ? classes[cls].name : "Error";
}

rt_errclass rt_errclass_parent(rt_errclass cls)
{
    return cls < RT_ERR__COUNT ? classes[cls].parent : RT_ERR_NONE;
}

int rt_errclass_is(rt_errclass cls, rt_errclass ancestor)
{
    for (; cls != RT_ERR_NONE; cls = rt_errclass_parent(cls))
        if (cls == ancestor)
            return 1;
    return ancestor == RT_ERR_NONE;
}

rt_errclass rt_errclass_by_name(const char *name)
{
    for (int i = 1; i < RT_ERR__COUNT; i++)
        if (strcmp(classes[i].name, name) == 0)
            return (rt_errclass)i;
    return RT_ERR_NONE;
}

void rt_error_init(rt_error *e) { memset(e, 0, sizeof *e); }

void rt_error_clear(rt_error *e)
{
    rt_free(e->message);
    rt_free(e->statement);
    rt_free(e->params);
    rt_error_init(e);
}

/* Message used when even the message cannot be allocated. */
static char oom_message[] = "out of memory";

int rt_error_oom(rt_error *e)
{
    rt_error_clear(e);
    e->cls = RT_ERR_MEMORY;
    e->message = NULL; /* rt_error_format falls back to oom_message */
    return -1;
}

int rt_error_set(rt_error *e, rt_errclass cls, const char *fmt, ...)
{
    va_list ap;
    rt_error_clear(e);
    e->cls = cls;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(e->message = rt_alloc((size_t)n + 1)))
        return -1;   /* rt_error_format falls back to "out of memory" */
    va_start(ap, fmt);
    vsnprintf(e->message, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return -1;
}

void rt_error_set_statement(rt_error *e, const char *sql, const rt_value *params,
                            size_t nparams, size_t nsets)
{
    rt_free(e->statement);
    rt_free(e->params);
    e->statement = sql ? rt_strdup(sql) : NULL;
    e->params = NULL;
    if (sql) {
        rt_buf b;
        rt_buf_init(&b);
        rt_params_repr(&b, params, nparams, nsets);
        e->params = rt_buf_steal(&b);
    }
}

void rt_error_move(rt_error *dst, rt_error *src)
{
    if (dst == src)
        return;
    rt_error_clear(dst);
    *dst = *src;
    rt_error_init(src);
}

char *rt_error_format(const rt_error *e)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_printf(&b, "(%s) %s", rt_errclass_name(e->cls),
                  e->message ? e->message : oom_message);
    if (e->statement) {
        rt_buf_printf(&b, "\n[SQL: %s]", e->statement);
        rt_buf_printf(&b, "\n[parameters: %s]", e->params ? e->params : "()");
    }
    return rt_buf_steal(&b);
}
