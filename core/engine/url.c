/* url.c: database URLs, as SQLAlchemy spells them.
 *
 *   sqlite://                        in-memory
 *   sqlite:///:memory:               in-memory
 *   sqlite:///relative.db            a file relative to the working directory
 *   sqlite:////absolute/path.db      an absolute path
 *   postgresql://user:pw@host:port/dbname?option=value
 *
 * User, password, host, database and options are percent-decoded.  A driver
 * suffix (`postgresql+psycopg2`) is accepted and ignored: retort has one
 * driver per database. */
#include "engine_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void rt_url_free(rt_url *u)
{
    if (!u)
        return;
    rt_free(u->drivername);
    rt_free(u->username);
    rt_free(u->password);
    rt_free(u->host);
    rt_free(u->database);
    for (size_t i = 0; i < u->nquery; i++) {
        rt_free(u->query_keys[i]);
        rt_free(u->query_values[i]);
    }
    rt_free(u->query_keys);
    rt_free(u->query_values);
    rt_free(u);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decodes s[0..n).  NULL on OOM, or on a bad escape with *bad set. */
static char *decode(const char *s, size_t n, int *bad)
{
    char *out = rt_alloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        int h = i + 2 < n ? hexval(s[i + 1]) : -1;
        int l = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (h < 0 || l < 0) {
            *bad = 1;
            rt_free(out);
            return NULL;
        }
        *o++ = (char)(h * 16 + l);
        i += 2;
    }
    *o = '\0';
    return out;
}

static const char sqlite_forms[] =
    "valid SQLite URLs are sqlite:// or sqlite:///:memory: (in memory), "
    "sqlite:///relative/path.db and sqlite:////absolute/path.db";

/* Decodes s[0..n) into *dst, reporting which part was malformed. */
static int take(char **dst, const char *s, size_t n, const char *what, const char *text,
                rt_error *err)
{
    int bad = 0;
    *dst = decode(s, n, &bad);
    if (*dst)
        return 0;
    if (bad)
        return rt_error_set(err, RT_ERR_ARGUMENT, "bad percent-escape in the %s of URL '%s'",
                            what, text);
    return rt_error_oom(err);
}

static int parse_query(rt_url *u, const char *q, const char *text, rt_error *err)
{
    size_t count = 1;
    for (const char *p = q; *p; p++)
        count += *p == '&';
    u->query_keys = rt_calloc(count, sizeof(char *));
    u->query_values = rt_calloc(count, sizeof(char *));
    if (!u->query_keys || !u->query_values)
        return rt_error_oom(err);
    while (*q) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        if (len == 0) {
            q++;
            continue;
        }
        if (!eq || eq == q)
            return rt_error_set(err, RT_ERR_ARGUMENT,
                                "URL option '%.*s' needs the form key=value in '%s'",
                                (int)len, q, text);
        size_t i = u->nquery;
        if (take(&u->query_keys[i], q, (size_t)(eq - q), "options", text, err) < 0)
            return -1;
        u->nquery++;
        if (take(&u->query_values[i], eq + 1, len - (size_t)(eq - q) - 1, "options", text,
                 err) < 0)
            return -1;
        q += len + (q[len] == '&');
    }
    return 0;
}

/* user:password@host:port */
static int parse_netloc(rt_url *u, const char *s, size_t n, const char *text, rt_error *err)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            at = s + i;   /* the last @: passwords may hold one */
    if (at) {
        const char *colon = memchr(s, ':', (size_t)(at - s));
        size_t ulen = colon ? (size_t)(colon - s) : (size_t)(at - s);
        if (take(&u->username, s, ulen, "user name", text, err) < 0)
            return -1;
        if (colon && take(&u->password, colon + 1, (size_t)(at - colon - 1), "password", text,
                          err) < 0)
            return -1;
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    const char *port = NULL;
    if (n && s[0] == '[') {          /* [ipv6]:port */
        const char *close = memchr(s, ']', n);
        if (!close)
            return rt_error_set(err, RT_ERR_ARGUMENT, "unclosed '[' in the host of URL '%s'",
                                text);
        if (take(&u->host, s + 1, (size_t)(close - s - 1), "host", text, err) < 0)
            return -1;
        if (close + 1 < s + n) {
            if (close[1] != ':')
                return rt_error_set(err, RT_ERR_ARGUMENT, "unexpected text after ']' in URL '%s'",
                                    text);
            port = close + 2;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        size_t hlen = colon ? (size_t)(colon - s) : n;
        if (hlen && take(&u->host, s, hlen, "host", text, err) < 0)
            return -1;
        if (colon)
            port = colon + 1;
    }
    if (port) {
        size_t plen = (size_t)(s + n - port);
        long v = 0;
        for (size_t i = 0; i < plen; i++) {
            if (!isdigit((unsigned char)port[i]) || (v = v * 10 + (port[i] - '0')) > 65535)
                return rt_error_set(err, RT_ERR_ARGUMENT, "invalid port '%.*s' in URL '%s'",
                                    (int)plen, port, text);
        }
        if (plen == 0 || v == 0)
            return rt_error_set(err, RT_ERR_ARGUMENT, "invalid port '%.*s' in URL '%s'",
                                (int)plen, port, text);
        u->port = (int)v;
    }
    return 0;
}

static int scheme_name(rt_url *u, const char *text, size_t n, rt_error *err)
{
    size_t base = strcspn(text, "+");
    if (base > n)
        base = n;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)text[i]) || text[i] == '+' || text[i] == '_'))
            return rt_error_set(err, RT_ERR_ARGUMENT,
                                "could not parse a database URL from '%s'", text);
    if (base == 6 && strncmp(text, "sqlite", 6) == 0)
        u->drivername = rt_strdup("sqlite");
    else if ((base == 10 && strncmp(text, "postgresql", 10) == 0) ||
             (base == 8 && strncmp(text, "postgres", 8) == 0))
        u->drivername = rt_strdup("postgresql");
    else
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "unknown database '%.*s' in URL '%s'; retort supports sqlite "
                            "and postgresql", (int)base, text, text);
    return u->drivername ? 0 : rt_error_oom(err);
}

static int parse(rt_url *u, const char *text, rt_error *err)
{
    const char *sep = strstr(text, "://");
    if (!sep || sep == text)
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "could not parse a database URL from '%s' (expected "
                            "dialect://user:password@host:port/database)", text);
    if (scheme_name(u, text, (size_t)(sep - text), err) < 0)
        return -1;
    const char *rest = sep + 3;
    const char *qmark = strchr(rest, '?');
    size_t restlen = qmark ? (size_t)(qmark - rest) : strlen(rest);
    size_t netlen = strcspn(rest, "/?");
    if (netlen > restlen)
        netlen = restlen;
    if (strcmp(u->drivername, "sqlite") == 0 && netlen > 0)
        return rt_error_set(err, RT_ERR_ARGUMENT, "invalid SQLite URL '%s': %s", text,
                            sqlite_forms);
    if (parse_netloc(u, rest, netlen, text, err) < 0)
        return -1;
    if (netlen < restlen) {             /* "/" then the database */
        const char *db = rest + netlen + 1;
        size_t dblen = restlen - netlen - 1;
        if (dblen && take(&u->database, db, dblen, "database", text, err) < 0)
            return -1;
    }
    if (qmark && parse_query(u, qmark + 1, text, err) < 0)
        return -1;
    if (u->database && strcmp(u->database, ":memory:") == 0 &&
        strcmp(u->drivername, "sqlite") == 0) {
        rt_free(u->database);
        u->database = NULL;
    }
    return 0;
}

int rt_url_parse(const char *text, rt_url **out, rt_error *err)
{
    rt_url *u = rt_calloc(1, sizeof *u);
    *out = NULL;
    if (!u)
        return rt_error_oom(err);
    if (parse(u, text, err) < 0) {
        rt_url_free(u);
        return -1;
    }
    *out = u;
    return 0;
}

const char *rt_url_query(const rt_url *u, const char *key)
{
    for (size_t i = 0; i < u->nquery; i++)
        if (strcmp(u->query_keys[i], key) == 0)
            return u->query_values[i];
    return NULL;
}

int rt_url_is_memory(const rt_url *u)
{
    return strcmp(u->drivername, "sqlite") == 0 && u->database == NULL;
}

/* Appends s, percent-encoding the characters in `special` and those outside
 * printable ASCII, so that the URL parses back to the same parts. */
static void encode_set(rt_buf *b, const char *s, const char *special)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (strchr(special, c) || c < 0x20 || c >= 0x7f)
            rt_buf_printf(b, "%%%02X", c);
        else
            rt_buf_putc(b, (char)c);
    }
}

static void encode(rt_buf *b, const char *s) { encode_set(b, s, ":@/?&=%#[] "); }

char *rt_url_render(const rt_url *u, int show_password)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_printf(&b, "%s://", u->drivername);
    if (u->username) {
        encode(&b, u->username);
        if (u->password) {
            rt_buf_putc(&b, ':');
            if (show_password)
                encode(&b, u->password);
            else
                rt_buf_puts(&b, "***");
        }
        rt_buf_putc(&b, '@');
    }
    if (u->host) {
        if (strchr(u->host, ':')) {     /* IPv6; a zone id's '%' is escaped */
            rt_buf_putc(&b, '[');
            encode_set(&b, u->host, "%");
            rt_buf_putc(&b, ']');
        } else
            encode(&b, u->host);
    }
    if (u->port)
        rt_buf_printf(&b, ":%d", u->port);
    if (u->database) {
        rt_buf_putc(&b, '/');
        if (strcmp(u->drivername, "sqlite") == 0)
            rt_buf_puts(&b, u->database);
        else
            encode(&b, u->database);
    } else if (strcmp(u->drivername, "sqlite") == 0) {
        rt_buf_puts(&b, "/:memory:");
    }
    for (size_t i = 0; i < u->nquery; i++) {
        rt_buf_putc(&b, i ? '&' : '?');
        encode_set(&b, u->query_keys[i], "&=%# ");
        rt_buf_putc(&b, '=');
        encode_set(&b, u->query_values[i], "&%# ");
    }
    return rt_buf_steal(&b);
}
