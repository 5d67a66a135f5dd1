/* echo.c: what echo prints: each statement as sent, then its parameters on one
 * line, and transaction events, through the engine's sink (standard output by
 * default). */
#include "engine_int.h"

#include <stdio.h>

void rt_echo_line(rt_engine *e, const char *line)
{
    if (e->echo_fn) {
        e->echo_fn(e->echo_ctx, line);
        return;
    }
    fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

void rt_echo_statement(rt_engine *e, const char *sql, const rt_value *params,
                       size_t nparams, size_t nsets)
{
    rt_buf b;
    rt_echo_line(e, sql);
    rt_buf_init(&b);
    rt_params_repr(&b, params, nparams, nsets);
    rt_echo_line(e, b.failed ? "(parameters not shown: out of memory)" : rt_buf_str(&b));
    rt_buf_free(&b);
}
