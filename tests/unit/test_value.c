/* test_value.c: SQL values (core/util/value.c) and the text echo prints for
 * them, as DESIGN.md section 7 fixes it: strings in single quotes with \' and
 * \\ escaped, integers as integers, floats exactly as Lua 5.4 prints them
 * (%.14g, "1.0" for integral values, inf, -inf, nan), nil, true, false,
 * blobs as <N bytes>; tuples with the one-element trailing comma and "()";
 * executemany lists and their abbreviation past ten parameter sets.  The
 * constructors' tags and payloads are pinned too. */
#include "rt_util.h"

#include <criterion/criterion.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The representation of one value, in a static buffer. */
static const char *repr(rt_value v)
{
    static char out[512];
    rt_buf b;
    rt_buf_init(&b);
    rt_value_repr(&b, &v);
    cr_assert_eq(b.failed, 0);
    snprintf(out, sizeof out, "%s", rt_buf_str(&b));
    rt_buf_free(&b);
    return out;
}

static const char *fl(double f) { return repr(rt_value_float(f)); }

/* rt_params_repr into a heap string the caller frees with rt_free. */
static char *params(const rt_value *p, size_t nparams, size_t nsets)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_params_repr(&b, p, nparams, nsets);
    return rt_buf_steal(&b);
}

Test(value, constructors_tag_and_carry_payloads)
{
    static const char bytes[] = {1, 0, 2};
    rt_value v = rt_value_null();
    cr_assert_eq(v.type, RT_NULL);
    v = rt_value_int(-7);
    cr_assert_eq(v.type, RT_INT);
    cr_assert_eq(v.u.i, -7);
    v = rt_value_float(0.25);
    cr_assert_eq(v.type, RT_FLOAT);
    cr_assert_eq(v.u.f, 0.25);
    v = rt_value_bool(42);
    cr_assert_eq(v.type, RT_BOOL);
    cr_assert_eq(v.u.b, 1, "booleans are normalised to 0/1");
    v = rt_value_bool(0);
    cr_assert_eq(v.u.b, 0);
    v = rt_value_text("hello", 4);
    cr_assert_eq(v.type, RT_TEXT);
    cr_assert_eq(v.u.s.n, 4);
    cr_assert_eq(strncmp(v.u.s.p, "hell", 4), 0);
    v = rt_value_blob(bytes, sizeof bytes);
    cr_assert_eq(v.type, RT_BLOB);
    cr_assert_eq(v.u.s.p, (const char *)bytes, "payloads are borrowed, not copied");
    cr_assert_eq(v.u.s.n, 3);
}

Test(value, strings_are_quoted_and_escaped)
{
    cr_assert_str_eq(repr(rt_value_text("ed", 2)), "'ed'");
    cr_assert_str_eq(repr(rt_value_text("", 0)), "''");
    cr_assert_str_eq(repr(rt_value_text("it's", 4)), "'it\\'s'");
    cr_assert_str_eq(repr(rt_value_text("C:\\dir", 6)), "'C:\\\\dir'");
    cr_assert_str_eq(repr(rt_value_text("\\'", 2)), "'\\\\\\''");
    cr_assert_str_eq(repr(rt_value_text("say \"hi\"", 8)), "'say \"hi\"'");
    /* control characters as Python writes them */
    cr_assert_str_eq(repr(rt_value_text("a\nb\tc\rd", 7)), "'a\\nb\\tc\\rd'");
    /* only n bytes are shown: the payload need not be NUL-terminated */
    cr_assert_str_eq(repr(rt_value_text("Ed Jones", 2)), "'Ed'");
    /* UTF-8 passes through untouched */
    cr_assert_str_eq(repr(rt_value_text("caf\xc3\xa9", 5)), "'caf\xc3\xa9'");
}

Test(value, integers)
{
    cr_assert_str_eq(repr(rt_value_int(0)), "0");
    cr_assert_str_eq(repr(rt_value_int(42)), "42");
    cr_assert_str_eq(repr(rt_value_int(-1)), "-1");
    cr_assert_str_eq(repr(rt_value_int(INT64_MAX)), "9223372036854775807");
    cr_assert_str_eq(repr(rt_value_int(INT64_MIN)), "-9223372036854775808");
}

/* Each expected string is what `print(x)` shows in Lua 5.4. */
Test(value, floats_as_lua_prints_them)
{
    cr_assert_str_eq(fl(1.0), "1.0");
    cr_assert_str_eq(fl(0.0), "0.0");
    cr_assert_str_eq(fl(-0.0), "-0.0");
    cr_assert_str_eq(fl(0.5), "0.5");
    cr_assert_str_eq(fl(-1.5), "-1.5");
    cr_assert_str_eq(fl(100.0), "100.0");
    cr_assert_str_eq(fl(0.1), "0.1");
    cr_assert_str_eq(fl(1.0 / 3.0), "0.33333333333333");
    cr_assert_str_eq(fl(M_PI), "3.1415926535898");   /* %.14g: 14 significant digits */
    cr_assert_str_eq(fl(1e100), "1e+100");
    cr_assert_str_eq(fl(1e15), "1e+15");
    cr_assert_str_eq(fl(1e-5), "1e-05");
    cr_assert_str_eq(fl(123456789.0), "123456789.0");
    cr_assert_str_eq(fl(9007199254740992.0), "9.007199254741e+15");
    cr_assert_str_eq(fl(INFINITY), "inf");
    cr_assert_str_eq(fl(-INFINITY), "-inf");
    cr_assert_str_eq(fl(copysign(NAN, 1.0)), "nan");
    cr_assert_str_eq(fl(copysign(NAN, -1.0)), "-nan");
}

Test(value, format_float_directly)
{
    char out[64];
    rt_format_float(out, 2.0);
    cr_assert_str_eq(out, "2.0");
    rt_format_float(out, -DBL_MAX);
    cr_assert_str_eq(out, "-1.7976931348623e+308");
    rt_format_float(out, 5e-324);
    cr_assert_str_eq(out, "4.9406564584125e-324");
}

Test(value, nil_booleans_blobs)
{
    static const unsigned char three[] = {0xde, 0xad, 0};
    cr_assert_str_eq(repr(rt_value_null()), "nil");
    cr_assert_str_eq(repr(rt_value_bool(1)), "true");
    cr_assert_str_eq(repr(rt_value_bool(0)), "false");
    cr_assert_str_eq(repr(rt_value_blob(three, 3)), "<3 bytes>");
    cr_assert_str_eq(repr(rt_value_blob("", 0)), "<0 bytes>");
    cr_assert_str_eq(repr(rt_value_blob("x", 1)), "<1 bytes>");
}

Test(value, tuples)
{
    rt_value one[1] = {rt_value_text("ed", 2)};
    rt_value mixed[6] = {rt_value_int(1),     rt_value_text("ed", 2), rt_value_null(),
                         rt_value_bool(1),    rt_value_float(2.5),    rt_value_blob("ab", 2)};
    rt_buf b;
    rt_buf_init(&b);
    rt_values_repr(&b, one, 1);
    cr_assert_str_eq(rt_buf_str(&b), "('ed',)");
    rt_buf_reset(&b);
    rt_values_repr(&b, NULL, 0);
    cr_assert_str_eq(rt_buf_str(&b), "()");
    rt_buf_reset(&b);
    rt_values_repr(&b, mixed, 2);
    cr_assert_str_eq(rt_buf_str(&b), "(1, 'ed')");
    rt_buf_reset(&b);
    rt_values_repr(&b, mixed, 6);
    cr_assert_str_eq(rt_buf_str(&b), "(1, 'ed', nil, true, 2.5, <2 bytes>)");
    rt_buf_free(&b);
}

Test(value, params_single_set_and_none)
{
    rt_value p[2] = {rt_value_text("ed", 2), rt_value_text("Ed Jones", 8)};
    char *s = params(p, 2, 1);
    cr_assert_str_eq(s, "('ed', 'Ed Jones')");
    rt_free(s);
    s = params(NULL, 0, 0);                 /* nothing bound */
    cr_assert_str_eq(s, "()");
    rt_free(s);
    s = params(p, 2, 0);                    /* nsets 0 means one empty set */
    cr_assert_str_eq(s, "()");
    rt_free(s);
    s = params(p, 1, 1);
    cr_assert_str_eq(s, "('ed',)");
    rt_free(s);
}

Test(value, params_executemany)
{
    rt_value p[4] = {rt_value_int(1), rt_value_text("a", 1), rt_value_int(2),
                     rt_value_text("b", 1)};
    char *s = params(p, 1, 2);
    cr_assert_str_eq(s, "[(1,), ('a',)]");
    rt_free(s);
    s = params(p, 2, 2);
    cr_assert_str_eq(s, "[(1, 'a'), (2, 'b')]");
    rt_free(s);
    s = params(NULL, 0, 2);
    cr_assert_str_eq(s, "[(), ()]");
    rt_free(s);
}

Test(value, params_ten_sets_are_shown_whole)
{
    rt_value p[10];
    for (int i = 0; i < 10; i++)
        p[i] = rt_value_int(i + 1);
    char *s = params(p, 1, 10);
    cr_assert_str_eq(s, "[(1,), (2,), (3,), (4,), (5,), (6,), (7,), (8,), (9,), (10,)]");
    rt_free(s);
}

Test(value, params_past_ten_sets_are_abbreviated)
{
    rt_value p[50];
    for (int i = 0; i < 25; i++) {
        p[2 * i] = rt_value_int(i + 1);
        p[2 * i + 1] = rt_value_text("x", 1);
    }
    char *s = params(p, 2, 25);
    cr_assert_str_eq(s, "[(1, 'x'), (2, 'x'), (3, 'x'), (4, 'x'), (5, 'x'), (6, 'x'), "
                        "(7, 'x'), (8, 'x'), (9, 'x'), (10, 'x')]"
                        " ... displaying 10 of 25 total bound parameter sets ...");
    rt_free(s);

    rt_value q[11];
    for (int i = 0; i < 11; i++)
        q[i] = rt_value_int(i);
    s = params(q, 1, 11);
    cr_assert_str_eq(s, "[(0,), (1,), (2,), (3,), (4,), (5,), (6,), (7,), (8,), (9,)]"
                        " ... displaying 10 of 11 total bound parameter sets ...");
    rt_free(s);
}
