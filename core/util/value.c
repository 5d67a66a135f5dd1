/* value.c: tagged SQL values and their echo representation.
 *
 * The representation is the one echo prints for parameters and the shell uses
 * for error messages: Python-like tuples with Lua's spelling of numbers. */
#include "rt_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

rt_value rt_value_null(void) { return (rt_value){.type = RT_NULL}; }
rt_value rt_value_int(int64_t i) { return (rt_value){.type = RT_INT, .u.i = i}; }
rt_value rt_value_float(double f) { return (rt_value){.type = RT_FLOAT, .u.f = f}; }
rt_value rt_value_bool(int b) { return (rt_value){.type = RT_BOOL, .u.b = b != 0}; }

rt_value rt_value_text(const char *p, size_t n)
{
    return (rt_value){.type = RT_TEXT, .u.s = {p, n}};
}

rt_value rt_value_blob(const void *p, size_t n)
{
    return (rt_value){.type = RT_BLOB, .u.s = {p, n}};
}

void rt_format_float(char *out, double f)
{
    if (isinf(f)) {
        strcpy(out, f > 0 ? "inf" : "-inf");
        return;
    }
    if (isnan(f)) {
        strcpy(out, signbit(f) ? "-nan" : "nan");
        return;
    }
    int n = snprintf(out, 60, "%.14g", f);
    if (out[strspn(out, "-0123456789")] == '\0') {
        out[n++] = '.';
        out[n++] = '0';
        out[n] = '\0';
    }
}

static void repr_text(rt_buf *b, const char *p, size_t n)
{
    char hex[8];
    rt_buf_putc(b, '\'');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = NULL;
        switch (p[i]) {
        case '\'': esc = "\\'"; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if ((unsigned char)p[i] >= 0x20 && p[i] != 0x7f)
                continue;
            snprintf(hex, sizeof hex, "\\x%02x", (unsigned char)p[i]);
            esc = hex;
        }
        rt_buf_append(b, p + start, i - start);
        rt_buf_puts(b, esc);
        start = i + 1;
    }
    rt_buf_append(b, p + start, n - start);
    rt_buf_putc(b, '\'');
}

void rt_value_repr(rt_buf *b, const rt_value *v)
{
    char num[64];
    switch (v->type) {
    case RT_NULL: rt_buf_puts(b, "nil"); break;
    case RT_INT: rt_buf_printf(b, "%lld", (long long)v->u.i); break;
    case RT_FLOAT:
        rt_format_float(num, v->u.f);
        rt_buf_puts(b, num);
        break;
    case RT_BOOL: rt_buf_puts(b, v->u.b ? "true" : "false"); break;
    case RT_TEXT: repr_text(b, v->u.s.p, v->u.s.n); break;
    case RT_BLOB: rt_buf_printf(b, "<%zu bytes>", v->u.s.n); break;
    }
}

void rt_values_repr(rt_buf *b, const rt_value *vals, size_t n)
{
    rt_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++) {
        if (i)
            rt_buf_puts(b, ", ");
        rt_value_repr(b, &vals[i]);
    }
    if (n == 1)
        rt_buf_putc(b, ',');
    rt_buf_putc(b, ')');
}

enum { MAX_SETS_SHOWN = 10 };

void rt_params_repr(rt_buf *b, const rt_value *params, size_t nparams, size_t nsets)
{
    if (nsets <= 1) {
        rt_values_repr(b, params, nsets ? nparams : 0);
        return;
    }
    size_t shown = nsets > MAX_SETS_SHOWN ? MAX_SETS_SHOWN : nsets;
    rt_buf_putc(b, '[');
    for (size_t s = 0; s < shown; s++) {
        if (s)
            rt_buf_puts(b, ", ");
        rt_values_repr(b, params + s * nparams, nparams);
    }
    rt_buf_putc(b, ']');
    if (shown < nsets)
        rt_buf_printf(b, " ... displaying %zu of %zu total bound parameter sets ...",
                      shown, nsets);
}
