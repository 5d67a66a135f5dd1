/* transcript.c: the transcript runner, `retort --test [--update] FILE...`
 * (DESIGN §9).  A file is split into examples (an input line `> `, its `>> `
 * continuations, and the expected output up to the next input, a blank line or
 * the end of a Markdown fence; in .md files only fenced blocks are read).  Each
 * file gets a fresh shell state and its examples run top to bottom through
 * shell_eval, with file descriptors 1 and 2 redirected to one temporary file so
 * that everything the process writes (C-level SQL echo included) is captured in
 * order.  Expected and actual output are compared after removing trailing
 * spaces; `...` matches any text, and a line holding only `...` any number of
 * whole lines; `<BLANKLINE>` stands for an empty line.  Failures are printed
 * with a diff; --update rewrites the expected output of failing examples. */

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lua.h>

#include "shell.h"

#define BLANKLINE   "<BLANKLINE>"
#define STAR        '\001'      /* pattern: `...` inside a line, any text */
#define LINES       '\002'      /* pattern: a `...` line, "" or "\n..." */
#define DIFF_MAX    4000000     /* largest LCS table, in cells */

typedef struct example {
    int first;          /* index of the first input line */
    int exp_first;      /* expected output: lines [exp_first, exp_end) */
    int exp_end;
    char *input;        /* input lines joined with "\n", prefixes removed */
    size_t input_len;
    char **actual;      /* output lines after running, NULL before */
    int nactual;
    int failed;
} example;

typedef struct transcript {
    const char *path;
    char *text;         /* the file's bytes, split in place into lines */
    char **lines;       /* nlines NUL-terminated lines, without "\n" or "\r\n" */
    int nlines;
    example *ex;
    int nex;
} transcript;

typedef struct capture {
    int fd;             /* the temporary file both streams go to */
    int saved_out;      /* the real standard output */
    int saved_err;      /* the real standard error */
} capture;

/* ---- reading and parsing ------------------------------------------------- */

static int is_input(const char *s) { return s[0] == '>' && (s[1] == ' ' || s[1] == '\0'); }
static int is_cont(const char *s) { return s[0] == '>' && s[1] == '>' && (s[2] == ' ' || s[2] == '\0'); }
static int is_blank(const char *s) { return s[strspn(s, " \t")] == '\0'; }

static int is_fence(const char *s)
{
    int indent = (int)strspn(s, " ");
    return indent <= 3 && strncmp(s + indent, "```", 3) == 0;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 8192, n = 0;
    char *buf = f != NULL ? malloc(cap + 1) : NULL, *grown;
    int err = f == NULL ? errno : buf == NULL ? ENOMEM : 0;

    while (!err && (n += fread(buf + n, 1, cap - n, f)) == cap) {
        if ((grown = realloc(buf, (cap *= 2) + 1)) == NULL)
            err = ENOMEM;
        else
            buf = grown;
    }
    if (!err && ferror(f))
        err = errno ? errno : EIO;
    if (f != NULL)
        fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Splits buf (length len, NUL-terminated) in place into lines. */
static char **split_lines(char *buf, size_t len, int *nlines)
{
    size_t i, n = 1;
    char **lines;
    int k = 0;

    for (i = 0; i < len; i++)
        n += buf[i] == '\n';
    if ((lines = malloc(n * sizeof *lines)) == NULL)
        return NULL;
    for (i = 0; i < len; ) {
        char *start = buf + i, *nl = memchr(start, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) : len;
        buf[end] = '\0';
        if (end > i && buf[end - 1] == '\r')
            buf[end - 1] = '\0';
        lines[k++] = start;
        i = end + 1;
    }
    *nlines = k;
    return lines;
}

static int add_example(transcript *t, int first, int last, int exp_end)
{
    example *ex, *grown = realloc(t->ex, (size_t)(t->nex + 1) * sizeof *t->ex);
    size_t len = 0;
    char *p;
    int i;

    if (grown == NULL)
        return 0;
    t->ex = grown;
    ex = &t->ex[t->nex];
    memset(ex, 0, sizeof *ex);
    for (i = first; i < last; i++)
        len += strlen(t->lines[i]) + 1;
    if ((ex->input = p = malloc(len + 1)) == NULL)
        return 0;
    for (i = first; i < last; i++) {
        const char *s = t->lines[i];
        size_t skip = i == first ? (s[1] ? 2 : 1) : (s[2] ? 3 : 2);
        if (i > first)
            *p++ = '\n';
        strcpy(p, s + skip);
        p += strlen(p);
    }
    ex->input_len = (size_t)(p - ex->input);
    ex->first = first;
    ex->exp_first = last;
    ex->exp_end = exp_end;
    t->nex++;
    return 1;
}

static int parse(transcript *t)
{
    int markdown = has_suffix(t->path, ".md");
    int infence = 0, i = 0, j, k;

    while (i < t->nlines) {
        const char *s = t->lines[i++];
        if (markdown && is_fence(s))
            infence = !infence;
        if ((markdown && !infence) || !is_input(s))
            continue;
        for (j = i; j < t->nlines && is_cont(t->lines[j]); j++)
            ;
        for (k = j; k < t->nlines; k++) {
            const char *e = t->lines[k];
            if (is_blank(e) || is_input(e) || (markdown && is_fence(e)))
                break;
        }
        if (!add_example(t, i - 1, j, k))
            return 0;
        i = k;
    }
    return 1;
}

static void free_lines(char **v, int n)
{
    int i;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void transcript_free(transcript *t)
{
    int i;
    for (i = 0; i < t->nex; i++) {
        free(t->ex[i].input);
        free_lines(t->ex[i].actual, t->ex[i].nactual);
    }
    free(t->ex);
    free(t->lines);
    free(t->text);
}

static int transcript_load(transcript *t, const char *path)
{
    size_t len;

    memset(t, 0, sizeof *t);
    t->path = path;
    if ((t->text = read_file(path, &len)) == NULL)
        return 0;
    if ((t->lines = split_lines(t->text, len, &t->nlines)) == NULL || !parse(t)) {
        transcript_free(t);
        errno = ENOMEM;
        return 0;
    }
    return 1;
}

/* ---- capturing output ---------------------------------------------------- */

static void capture_begin(capture *c)
{
    fflush(stdout);
    fflush(stderr);
    if (ftruncate(c->fd, 0) != 0 || lseek(c->fd, 0, SEEK_SET) != 0)
        return;
    dup2(c->fd, STDOUT_FILENO);
    dup2(c->fd, STDERR_FILENO);
}

/* Restores the streams; returns what was written (malloc'd, NUL-terminated). */
static char *capture_end(capture *c, size_t *len)
{
    off_t size;
    ssize_t got = 0;
    char *buf;

    fflush(stdout);
    fflush(stderr);
    dup2(c->saved_out, STDOUT_FILENO);
    dup2(c->saved_err, STDERR_FILENO);
    size = lseek(c->fd, 0, SEEK_END);
    if (size < 0 || (buf = malloc((size_t)size + 1)) == NULL)
        return NULL;
    if (size > 0 && (got = pread(c->fd, buf, (size_t)size, 0)) < 0)
        got = 0;
    buf[got] = '\0';
    *len = (size_t)got;
    return buf;
}

static void rstrip(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Output lines, trailing spaces and trailing blank lines removed (owned). */
static char **output_lines(char *buf, size_t len, int *n)
{
    char **split, **lines;
    size_t i;
    int k, count;

    for (i = 0; i < len; i++)
        if (buf[i] == '\0')
            buf[i] = '?';
    if ((split = split_lines(buf, len, &count)) == NULL)
        return NULL;
    for (k = 0; k < count; k++)
        rstrip(split[k]);
    while (count > 0 && split[count - 1][0] == '\0')
        count--;
    if ((lines = calloc((size_t)count + 1, sizeof *lines)) != NULL)
        for (k = 0; k < count; k++)
            if ((lines[k] = strdup(split[k])) == NULL) {
                free_lines(lines, k);
                lines = NULL;
                break;
            }
    free(split);
    *n = count;
    return lines;
}

/* ---- matching ------------------------------------------------------------ */

/* Expected line i of ex, trailing spaces removed, <BLANKLINE> as "" (owned). */
static char *expected_line(const transcript *t, int i)
{
    char *s = strdup(t->lines[i]);
    if (s != NULL) {
        rstrip(s);
        if (strcmp(s, BLANKLINE) == 0)
            s[0] = '\0';
    }
    return s;
}

/* "\n"-prefixed pattern of the expected block, `...` turned into wildcards. */
static char *build_pattern(char **exp, int n, size_t *nwild)
{
    size_t len = 1, w = 0;
    char *pat, *p;
    int i;

    for (i = 0; i < n; i++)
        len += strlen(exp[i]) + 1;
    if ((p = pat = malloc(len)) == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        const char *s = exp[i], *dots;
        if (strcmp(s, "...") == 0) {
            *p++ = LINES;
            w++;
            continue;
        }
        *p++ = '\n';
        while ((dots = strstr(s, "...")) != NULL) {
            memcpy(p, s, (size_t)(dots - s));
            p += dots - s;
            *p++ = STAR;
            w++;
            s = dots + 3;
        }
        strcpy(p, s);
        p += strlen(s);
    }
    *p = '\0';
    *nwild = w;
    return pat;
}

typedef struct matcher {
    const char *text;       /* "\n"-prefixed actual output */
    size_t len;
    unsigned char *failed;  /* bit per (wildcard, position) known to fail */
} matcher;

static int match_at(matcher *m, const char *p, size_t wild, size_t t)
{
    size_t bit, e;
    char kind;

    while (*p != '\0' && *p != STAR && *p != LINES) {
        if (t >= m->len || m->text[t] != *p)
            return 0;
        p++;
        t++;
    }
    if (*p == '\0')
        return t == m->len;
    bit = wild * (m->len + 1) + t;
    if (m->failed != NULL && (m->failed[bit / 8] >> (bit % 8) & 1))
        return 0;
    kind = *p++;
    for (e = t; e <= m->len; e++) {
        if (kind == LINES && e > t && m->text[t] != '\n')
            break;
        if (match_at(m, p, wild + 1, e))
            return 1;
    }
    if (m->failed != NULL)
        m->failed[bit / 8] |= (unsigned char)(1u << (bit % 8));
    return 0;
}

/* Whether the output lines match the expected lines; -1 when out of memory. */
static int block_matches(char **exp, int nexp, char **act, int nact)
{
    size_t nwild, len = 0, bits;
    char *pat = build_pattern(exp, nexp, &nwild), *text, *p;
    matcher m;
    int i, ok;

    for (i = 0; i < nact; i++)
        len += strlen(act[i]) + 1;
    if (pat == NULL || (p = text = malloc(len + 1)) == NULL) {
        free(pat);
        return -1;
    }
    for (i = 0; i < nact; i++) {
        *p++ = '\n';
        strcpy(p, act[i]);
        p += strlen(p);
    }
    *p = '\0';
    m.text = text;
    m.len = len;
    bits = nwild * (len + 1);
    m.failed = nwild > 0 && bits / 8 < (64u << 20) ? calloc(bits / 8 + 1, 1) : NULL;
    ok = match_at(&m, pat, 0, 0);
    free(m.failed);
    free(text);
    free(pat);
    return ok;
}

/* Whether one actual line matches one expected line (`...` any text). */
static int line_matches(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;

    while (*s != '\0') {
        if (strncmp(p, "...", 3) == 0) {
            star = p += 3;
            resume = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star != NULL) {
            p = star;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (strncmp(p, "...", 3) == 0)
        p += 3;
    return *p == '\0';
}

/* ---- reporting ----------------------------------------------------------- */

static void print_diff(char **exp, int n, char **act, int m)
{
    int *lcs = (size_t)(n + 1) * (size_t)(m + 1) <= DIFF_MAX
        ? calloc((size_t)(n + 1) * (size_t)(m + 1), sizeof *lcs) : NULL;
    int i, j, w = m + 1;

    printf("--- expected\n+++ actual\n");
    if (lcs == NULL) {
        for (i = 0; i < n; i++)
            printf("-%s\n", exp[i]);
        for (j = 0; j < m; j++)
            printf("+%s\n", act[j]);
        return;
    }
    for (i = n - 1; i >= 0; i--)
        for (j = m - 1; j >= 0; j--)
            lcs[i * w + j] = line_matches(exp[i], act[j]) ? lcs[(i + 1) * w + j + 1] + 1
                : lcs[(i + 1) * w + j] > lcs[i * w + j + 1] ? lcs[(i + 1) * w + j]
                : lcs[i * w + j + 1];
    for (i = 0, j = 0; i < n || j < m; ) {
        if (i < n && j < m && line_matches(exp[i], act[j])
            && lcs[i * w + j] == lcs[(i + 1) * w + j + 1] + 1) {
            printf(" %s\n", act[j]);
            i++;
            j++;
        } else if (i < n && (j == m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]))
            printf("-%s\n", exp[i++]);
        else
            printf("+%s\n", act[j++]);
    }
    free(lcs);
}

static void report_failure(const transcript *t, const example *ex, char **exp, int nexp)
{
    int i;

    printf("%s:%d: example failed\n", t->path, ex->first + 1);
    for (i = ex->first; i < ex->exp_first; i++)
        printf("%s\n", t->lines[i]);
    print_diff(exp, nexp, ex->actual, ex->nactual);
    printf("\n");
}

/* ---- running ------------------------------------------------------------- */

/* Runs one example, keeps its output lines, and returns whether it matched
 * (-1 when out of memory). */
static int run_example(lua_State *L, capture *c, const transcript *t, example *ex)
{
    int nexp = ex->exp_end - ex->exp_first, i, ok = -1;
    char **exp = calloc((size_t)nexp + 1, sizeof *exp);
    size_t len;
    char *out;

    capture_begin(c);
    shell_eval(L, ex->input, ex->input_len);
    out = capture_end(c, &len);
    if (out != NULL && exp != NULL &&
        (ex->actual = output_lines(out, len, &ex->nactual)) != NULL) {
        for (i = 0; i < nexp; i++)
            if ((exp[i] = expected_line(t, ex->exp_first + i)) == NULL)
                break;
        if (i == nexp && (ok = block_matches(exp, nexp, ex->actual, ex->nactual)) == 0)
            report_failure(t, ex, exp, nexp);
    }
    free(out);
    free_lines(exp, nexp);
    return ok;
}

static void write_lines(FILE *f, char **lines, int n)
{
    int i;
    for (i = 0; i < n; i++)
        fprintf(f, "%s\n", lines[i][0] == '\0' ? BLANKLINE : lines[i]);
}

/* Rewrites the file with the actual output of its failing examples. */
static int update_file(const transcript *t, int changed)
{
    FILE *f = fopen(t->path, "wb");
    int i, k = 0;

    for (i = 0; f != NULL && i <= t->nlines; i++) {
        if (k < t->nex && t->ex[k].exp_first == i) {
            const example *ex = &t->ex[k++];
            if (ex->failed) {
                write_lines(f, ex->actual, ex->nactual);
                i = ex->exp_end - 1;
                continue;
            }
        }
        if (i < t->nlines)
            fprintf(f, "%s\n", t->lines[i]);
    }
    if (f == NULL || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", SHELL_PROGNAME, t->path, strerror(errno));
        return 0;
    }
    printf("updated %s (%d example%s)\n", t->path, changed, changed == 1 ? "" : "s");
    return 1;
}

/* Runs one file; adds to the counts; returns 0 when the file could not be
 * read, set up or rewritten. */
static int run_file(const shell_options *opt, capture *c, const char *path, int update,
                    int *passed, int *failed)
{
    transcript t;
    lua_State *L;
    int i, changed = 0, ok = 1;

    if (!transcript_load(&t, path)) {
        fprintf(stderr, "%s: cannot read %s: %s\n", SHELL_PROGNAME, path, strerror(errno));
        return 0;
    }
    if ((L = shell_newstate(opt)) == NULL) {
        fprintf(stderr, "%s: %s: cannot set up the shell\n", SHELL_PROGNAME, path);
        transcript_free(&t);
        return 0;
    }
    for (i = 0; i < t.nex; i++) {
        int r = run_example(L, c, &t, &t.ex[i]);
        if (r < 0) {
            fprintf(stderr, "%s: %s: not enough memory\n", SHELL_PROGNAME, path);
            ok = 0;
            break;
        }
        t.ex[i].failed = !r;
        changed += !r;
        *passed += r;
        *failed += !r;
    }
    shell_lua_close(L);
    if (ok && update && changed > 0)
        ok = update_file(&t, changed);
    transcript_free(&t);
    return ok;
}

int shell_test(const shell_options *opt, char **files, int nfiles, int update)
{
    capture c;
    FILE *tmp = tmpfile();
    int passed = 0, failed = 0, broken = 0, i, null;

    if (tmp == NULL) {
        fprintf(stderr, "%s: cannot create a temporary file: %s\n", SHELL_PROGNAME, strerror(errno));
        return 1;
    }
    /* An example that reads standard input gets end of file, not the terminal. */
    if ((null = open("/dev/null", O_RDONLY)) >= 0) {
        dup2(null, STDIN_FILENO);
        close(null);
    }
    c.fd = fileno(tmp);
    c.saved_out = dup(STDOUT_FILENO);
    c.saved_err = dup(STDERR_FILENO);
    for (i = 0; i < nfiles; i++)
        broken += !run_file(opt, &c, files[i], update, &passed, &failed);
    printf("%d passed, %d failed\n", passed, failed);
    close(c.saved_out);
    close(c.saved_err);
    fclose(tmp);
    return broken > 0 || (failed > 0 && !update) ? 1 : 0;
}
