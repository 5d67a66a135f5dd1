/* test_url.c: database URLs (core/engine/url.c) in every form SQLAlchemy
 * accepts for SQLite and PostgreSQL: in-memory, relative and absolute SQLite
 * files, user/password/host/port/database/options, percent-decoding, a
 * password holding '@', an empty host with a socket directory option, the
 * postgres alias and driver suffixes, bracketed IPv6 hosts; every malformed
 * URL refused with an ArgumentError that names the problem; rendering with
 * the password hidden, and parse(render(url)) giving the same URL back. */
#include "engine_int.h"

#include <criterion/criterion.h>

#include <string.h>

static rt_error err;
static rt_url *url;

static void setup(void)
{
    rt_error_init(&err);
    url = NULL;
}

static void teardown(void)
{
    rt_url_free(url);
    rt_error_clear(&err);
}

TestSuite(url, .init = setup, .fini = teardown);

static rt_url *parse(const char *text)
{
    rt_url *u = NULL;
    cr_assert_eq(rt_url_parse(text, &u, &err), 0, "%s: %s", text,
                 err.message ? err.message : "?");
    cr_assert_not_null(u);
    return u;
}

/* Parses text expecting an ArgumentError whose message contains want. */
static void refused(const char *text, const char *want)
{
    rt_url *u = (rt_url *)1;
    rt_error e;
    rt_error_init(&e);
    cr_assert_eq(rt_url_parse(text, &u, &e), -1, "%s was accepted", text);
    cr_assert_null(u, "no URL comes back on failure");
    cr_assert_eq(e.cls, RT_ERR_ARGUMENT, "%s: class %s", text, rt_errclass_name(e.cls));
    cr_assert_not_null(e.message);
    cr_assert(strstr(e.message, want), "%s: message '%s' lacks '%s'", text, e.message, want);
    rt_error_clear(&e);
}

static void str_or_null(const char *got, const char *want, const char *what)
{
    if (!want)
        cr_assert_null(got, "%s: expected NULL, got '%s'", what, got);
    else {
        cr_assert_not_null(got, "%s: expected '%s', got NULL", what, want);
        cr_assert_str_eq(got, want, "%s", what);
    }
}

static void same_url(const rt_url *a, const rt_url *b)
{
    str_or_null(b->drivername, a->drivername, "drivername");
    str_or_null(b->username, a->username, "username");
    str_or_null(b->password, a->password, "password");
    str_or_null(b->host, a->host, "host");
    cr_assert_eq(b->port, a->port);
    str_or_null(b->database, a->database, "database");
    cr_assert_eq(b->nquery, a->nquery);
    for (size_t i = 0; i < a->nquery; i++) {
        cr_assert_str_eq(b->query_keys[i], a->query_keys[i]);
        cr_assert_str_eq(b->query_values[i], a->query_values[i]);
    }
}

/* Renders u with the password, parses that, and checks every field survives;
 * returns the rendering (rt_free it). */
static char *round_trip(const rt_url *u)
{
    char *text = rt_url_render(u, 1);
    cr_assert_not_null(text);
    rt_url *back = NULL;
    rt_error e;
    rt_error_init(&e);
    cr_assert_eq(rt_url_parse(text, &back, &e), 0, "rendered %s does not parse: %s", text,
                 e.message ? e.message : "?");
    same_url(u, back);
    rt_url_free(back);
    rt_error_clear(&e);
    return text;
}

static void renders(const rt_url *u, int show, const char *want)
{
    char *text = rt_url_render(u, show);
    cr_assert_str_eq(text, want);
    rt_free(text);
}

/* ---- SQLite ---------------------------------------------------------- */

Test(url, sqlite_bare_is_memory)
{
    url = parse("sqlite://");
    cr_assert_str_eq(url->drivername, "sqlite");
    cr_assert_null(url->username);
    cr_assert_null(url->password);
    cr_assert_null(url->host);
    cr_assert_eq(url->port, 0);
    cr_assert_null(url->database);
    cr_assert_eq(url->nquery, 0);
    cr_assert_eq(rt_url_is_memory(url), 1);
    renders(url, 0, "sqlite:///:memory:");
    rt_free(round_trip(url));
}

Test(url, sqlite_memory_spelled_out)
{
    url = parse("sqlite:///:memory:");
    cr_assert_null(url->database);
    cr_assert_eq(rt_url_is_memory(url), 1);
    renders(url, 1, "sqlite:///:memory:");
}

Test(url, sqlite_relative_file)
{
    url = parse("sqlite:///relative.db");
    cr_assert_str_eq(url->drivername, "sqlite");
    cr_assert_str_eq(url->database, "relative.db");
    cr_assert_null(url->host);
    cr_assert_eq(rt_url_is_memory(url), 0);
    char *text = round_trip(url);
    cr_assert_str_eq(text, "sqlite:///relative.db");
    rt_free(text);
}

Test(url, sqlite_subdirectory_file)
{
    url = parse("sqlite:///data/app.db");
    cr_assert_str_eq(url->database, "data/app.db");
    renders(url, 0, "sqlite:///data/app.db");
}

Test(url, sqlite_absolute_file)
{
    url = parse("sqlite:////absolute/path.db");
    cr_assert_str_eq(url->database, "/absolute/path.db");
    cr_assert_eq(rt_url_is_memory(url), 0);
    char *text = round_trip(url);
    cr_assert_str_eq(text, "sqlite:////absolute/path.db");
    rt_free(text);
}

Test(url, sqlite_with_an_option)
{
    url = parse("sqlite:///app.db?timeout=2.5");
    cr_assert_str_eq(url->database, "app.db");
    cr_assert_eq(url->nquery, 1);
    cr_assert_str_eq(rt_url_query(url, "timeout"), "2.5");
    renders(url, 0, "sqlite:///app.db?timeout=2.5");
}

/* ---- PostgreSQL ------------------------------------------------------ */

Test(url, postgresql_every_part)
{
    const char *text = "postgresql://user:password@host:5432/dbname"
                       "?sslmode=disable&application_name=x";
    url = parse(text);
    cr_assert_str_eq(url->drivername, "postgresql");
    cr_assert_str_eq(url->username, "user");
    cr_assert_str_eq(url->password, "password");
    cr_assert_str_eq(url->host, "host");
    cr_assert_eq(url->port, 5432);
    cr_assert_str_eq(url->database, "dbname");
    cr_assert_eq(url->nquery, 2);
    cr_assert_str_eq(url->query_keys[0], "sslmode");
    cr_assert_str_eq(url->query_values[0], "disable");
    cr_assert_str_eq(url->query_keys[1], "application_name");
    cr_assert_str_eq(url->query_values[1], "x");
    cr_assert_str_eq(rt_url_query(url, "sslmode"), "disable");
    cr_assert_str_eq(rt_url_query(url, "application_name"), "x");
    cr_assert_null(rt_url_query(url, "host"));
    cr_assert_null(rt_url_query(url, "SSLMODE"));
    cr_assert_eq(rt_url_is_memory(url), 0);
    renders(url, 0, "postgresql://user:***@host:5432/dbname?sslmode=disable&application_name=x");
    char *back = round_trip(url);
    cr_assert_str_eq(back, text);
    rt_free(back);
}

Test(url, postgresql_minimal_forms)
{
    url = parse("postgresql://localhost/test");
    cr_assert_null(url->username);
    cr_assert_null(url->password);
    cr_assert_str_eq(url->host, "localhost");
    cr_assert_eq(url->port, 0);
    cr_assert_str_eq(url->database, "test");
    cr_assert_eq(rt_url_is_memory(url), 0);
    renders(url, 0, "postgresql://localhost/test");
    rt_url_free(url);

    url = parse("postgresql://scott@localhost");
    cr_assert_str_eq(url->username, "scott");
    cr_assert_null(url->password);
    cr_assert_null(url->database);
    cr_assert_eq(rt_url_is_memory(url), 0, "only SQLite lives in memory");
    renders(url, 0, "postgresql://scott@localhost");
    rt_url_free(url);

    url = parse("postgresql://");
    cr_assert_null(url->host);
    cr_assert_null(url->database);
    renders(url, 0, "postgresql://");
}

Test(url, percent_decoding)
{
    url = parse("postgresql://sc%6Ftt:p%40ss@db%2Dhost/my%20db?application_name=a%26b%3Dc");
    cr_assert_str_eq(url->username, "scott");
    cr_assert_str_eq(url->password, "p@ss");
    cr_assert_str_eq(url->host, "db-host");
    cr_assert_str_eq(url->database, "my db");
    cr_assert_str_eq(rt_url_query(url, "application_name"), "a&b=c");
    renders(url, 0, "postgresql://scott:***@db-host/my%20db?application_name=a%26b=c");
    char *text = round_trip(url);
    cr_assert_str_eq(text, "postgresql://scott:p%40ss@db-host/my%20db?application_name=a%26b=c");
    rt_free(text);
}

Test(url, password_with_a_raw_at_sign)
{
    url = parse("postgresql://scott:p@ss@localhost/test");
    cr_assert_str_eq(url->username, "scott");
    cr_assert_str_eq(url->password, "p@ss", "everything up to the last '@'");
    cr_assert_str_eq(url->host, "localhost");
    cr_assert_str_eq(url->database, "test");
    char *text = round_trip(url);
    cr_assert_str_eq(text, "postgresql://scott:p%40ss@localhost/test");
    rt_free(text);
}

Test(url, password_with_a_colon)
{
    url = parse("postgresql://scott:ti:ger@localhost/test");
    cr_assert_str_eq(url->username, "scott");
    cr_assert_str_eq(url->password, "ti:ger");
    rt_free(round_trip(url));
}

Test(url, empty_password)
{
    url = parse("postgresql://scott:@localhost/test");
    cr_assert_str_eq(url->username, "scott");
    cr_assert_str_eq(url->password, "");
    renders(url, 0, "postgresql://scott:***@localhost/test");
    renders(url, 1, "postgresql://scott:@localhost/test");
}

Test(url, socket_directory_with_empty_host)
{
    url = parse("postgresql://postgres@/retort_test?host=/tmp/dir");
    cr_assert_str_eq(url->username, "postgres");
    cr_assert_null(url->password);
    cr_assert_null(url->host);
    cr_assert_eq(url->port, 0);
    cr_assert_str_eq(url->database, "retort_test");
    cr_assert_str_eq(rt_url_query(url, "host"), "/tmp/dir");
    char *text = round_trip(url);
    cr_assert_str_eq(text, "postgresql://postgres@/retort_test?host=/tmp/dir");
    rt_free(text);
}

Test(url, postgres_alias_and_driver_suffix)
{
    url = parse("postgres://u@h/d");
    cr_assert_str_eq(url->drivername, "postgresql");
    cr_assert_str_eq(url->database, "d");
    rt_url_free(url);
    url = parse("postgresql+psycopg2://u:pw@h:5433/d");
    cr_assert_str_eq(url->drivername, "postgresql");
    cr_assert_str_eq(url->username, "u");
    cr_assert_eq(url->port, 5433);
    renders(url, 0, "postgresql://u:***@h:5433/d");
    rt_url_free(url);
    url = parse("sqlite+pysqlite:///x.db");
    cr_assert_str_eq(url->drivername, "sqlite");
    cr_assert_str_eq(url->database, "x.db");
}

Test(url, ipv6_host)
{
    url = parse("postgresql://u@[::1]:5433/d");
    cr_assert_str_eq(url->host, "::1");
    cr_assert_eq(url->port, 5433);
    cr_assert_str_eq(url->database, "d");
    char *text = round_trip(url);
    cr_assert_str_eq(text, "postgresql://u@[::1]:5433/d");
    rt_free(text);
    rt_url_free(url);
    url = parse("postgresql://u@[fe80::1%25eth0]:5432/d");
    cr_assert_str_eq(url->host, "fe80::1%eth0");
    text = round_trip(url);
    cr_assert_str_eq(text, "postgresql://u@[fe80::1%25eth0]:5432/d");
    rt_free(text);
    rt_url_free(url);
    url = parse("postgresql://[fe80::2]/d");
    cr_assert_str_eq(url->host, "fe80::2");
    cr_assert_eq(url->port, 0);
    renders(url, 0, "postgresql://[fe80::2]/d");
}

Test(url, port_limits)
{
    url = parse("postgresql://h:1/d");
    cr_assert_eq(url->port, 1);
    rt_url_free(url);
    url = parse("postgresql://h:65535/d");
    cr_assert_eq(url->port, 65535);
}

Test(url, empty_options_are_skipped)
{
    url = parse("postgresql://h/d?&a=1&&b=&");
    cr_assert_eq(url->nquery, 2);
    cr_assert_str_eq(rt_url_query(url, "a"), "1");
    cr_assert_str_eq(rt_url_query(url, "b"), "");
    renders(url, 0, "postgresql://h/d?a=1&b=");
}

/* ---- errors ---------------------------------------------------------- */

Test(url, no_scheme_separator)
{
    refused("localhost/db", "could not parse a database URL from 'localhost/db'");
    refused("sqlite:/x.db", "could not parse a database URL from 'sqlite:/x.db'");
    refused("", "could not parse a database URL");
    refused("://h/d", "could not parse a database URL from '://h/d'");
    refused("my sql://h/d", "could not parse a database URL from 'my sql://h/d'");
}

Test(url, unknown_database)
{
    refused("mysql://scott:tiger@localhost/test",
            "unknown database 'mysql' in URL 'mysql://scott:tiger@localhost/test'");
    refused("mysql+pymysql://h/d", "unknown database 'mysql'");
    refused("sqlite3:///x.db", "unknown database 'sqlite3'");
    refused("postgre://h/d", "unknown database 'postgre'");
}

Test(url, bad_ports)
{
    refused("postgresql://h:abc/d", "invalid port 'abc' in URL 'postgresql://h:abc/d'");
    refused("postgresql://h:0/d", "invalid port '0'");
    refused("postgresql://h:70000/d", "invalid port '70000'");
    refused("postgresql://h:65536/d", "invalid port '65536'");
    refused("postgresql://h:/d", "invalid port ''");
    refused("postgresql://h:-1/d", "invalid port '-1'");
    refused("postgresql://u@[::1]:x/d", "invalid port 'x'");
}

Test(url, bad_percent_escapes)
{
    refused("postgresql://u:p%zzw@h/d", "bad percent-escape in the password");
    refused("postgresql://u:p%4@h/d", "bad percent-escape in the password");
    refused("postgresql://%g0@h/d", "bad percent-escape in the user name");
    refused("postgresql://h%/d", "bad percent-escape in the host");
    refused("postgresql://h/d%2", "bad percent-escape in the database");
    refused("postgresql://h/d?a=%", "bad percent-escape in the options");
}

Test(url, sqlite_with_a_host)
{
    refused("sqlite://host/x.db", "invalid SQLite URL 'sqlite://host/x.db'");
    refused("sqlite://host/x.db", "sqlite:////absolute/path.db");
    refused("sqlite://relative.db", "invalid SQLite URL");
}

Test(url, option_without_equals)
{
    refused("postgresql://h/d?sslmode",
            "URL option 'sslmode' needs the form key=value in 'postgresql://h/d?sslmode'");
    refused("postgresql://h/d?a=1&flag", "URL option 'flag' needs the form key=value");
    refused("postgresql://h/d?=x", "URL option '=x' needs the form key=value");
}

Test(url, bad_ipv6)
{
    refused("postgresql://[::1/d", "unclosed '[' in the host");
    refused("postgresql://[::1]x/d", "unexpected text after ']'");
}

Test(url, render_hides_only_the_password)
{
    url = parse("postgresql://scott:tiger@localhost/test");
    renders(url, 0, "postgresql://scott:***@localhost/test");
    renders(url, 1, "postgresql://scott:tiger@localhost/test");
    cr_assert_str_eq(url->password, "tiger", "rendering does not touch the URL");
}

Test(url, render_encodes_what_would_change_the_parse)
{
    url = parse("postgresql://a%3Ab%2Fc:x%2Fy%3F%23@h/d%3Fe");
    cr_assert_str_eq(url->username, "a:b/c");
    cr_assert_str_eq(url->password, "x/y?#");
    cr_assert_str_eq(url->database, "d?e");
    char *text = round_trip(url);
    cr_assert_str_eq(text, "postgresql://a%3Ab%2Fc:x%2Fy%3F%23@h/d%3Fe");
    rt_free(text);
}

Test(url, parse_fails_cleanly_without_memory)
{
    const char *text = "postgresql://scott:ti%40ger@[::1]:5432/test?sslmode=disable&a=b";
    long k;
    for (k = 1; k < 100 && !url; k++) {
        rt_error_clear(&err);
        rt_alloc_fail_after(k);
        int rc = rt_url_parse(text, &url, &err);
        rt_alloc_fail_after(0);
        if (rc < 0) {
            cr_assert_null(url);
            cr_assert_eq(err.cls, RT_ERR_MEMORY, "allocation %ld: %s", k,
                         rt_errclass_name(err.cls));
        }
    }
    cr_assert_not_null(url);
    cr_assert_gt(k, 8, "the loop should have failed several allocations");
    cr_assert_str_eq(url->password, "ti@ger");
    cr_assert_str_eq(rt_url_query(url, "a"), "b");
}

Test(url, free_null_is_a_no_op)
{
    rt_url_free(NULL);
    cr_assert_null(url);
}
