/* main.c: the entry point of the `retort` program.  It parses the command line
 * (DESIGN §8), builds the Lua state that every mode shares (standard libraries,
 * the retort module preloaded, required and copied into the globals, the
 * embedded shell.lua, the `engine` global) and dispatches to -e code, a script,
 * a script read from standard input, the REPL, or the transcript runner.  How an
 * input is evaluated and printed lives in repl.c, transcripts in transcript.c. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "retort.h"
#include "shell.h"

/* Generated from shell.lua by embed_lua (see CMakeLists.txt). */
extern const char retort_shell_lua[];
extern const size_t retort_shell_lua_len;

static const char usage_text[] =
    "usage: retort [options] [URL] [script.lua [args...]]\n"
    "       retort [URL] [--echo] --test [--update] FILE...\n"
    "\n"
    "  URL             database URL (any argument containing \"://\");\n"
    "                  the default is an in-memory SQLite database (sqlite://)\n"
    "  script.lua      run the script; it sees its arguments in arg[1..]\n"
    "                  (\"-\" reads the script from standard input)\n"
    "  -e CODE         run the Lua code CODE (may be repeated)\n"
    "  -i              enter the REPL after running the script or -e code\n"
    "  --echo          create the engine with {echo = true}: print every statement\n"
    "  --test FILE...  replay transcript files (.txt, .md) and report differences\n"
    "  --update        with --test: rewrite the expected output in place\n"
    "  --version       print the version and exit\n"
    "  --help          print this help and exit\n"
    "  --              stop handling options\n"
    "\n"
    "Without a script or -e, retort reads a script from standard input when it\n"
    "is not a terminal, and otherwise starts the REPL (history: ~/.retort_history).\n";

static void usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "%s: ", SHELL_PROGNAME);
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n%s", usage_text);
}

/* Copies every string-keyed field of the table on top into the globals. */
static void export_module(lua_State *L)
{
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -3) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

/* Runs protected (see shell_newstate); its one argument is the options. */
static int setup(lua_State *L)
{
    const shell_options *opt = lua_touserdata(L, 1);

    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_retort);
    lua_setfield(L, -2, "retort");
    lua_pop(L, 1);

    lua_getglobal(L, "require");
    lua_pushliteral(L, "retort");
    lua_call(L, 1, 1);
    if (lua_istable(L, -1))
        export_module(L);
    lua_pop(L, 1);

    if (luaL_loadbuffer(L, retort_shell_lua, retort_shell_lua_len, "=shell.lua") != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, SHELL_REGKEY);

    /* shell.connect(url, echo) binds `engine` when create_engine exists. */
    lua_getfield(L, -1, "connect");
    if (opt->url != NULL)
        lua_pushstring(L, opt->url);
    else
        lua_pushnil(L);
    lua_pushboolean(L, opt->echo);
    lua_call(L, 2, 0);
    return 0;
}

lua_State *shell_newstate(const shell_options *opt)
{
    lua_State *L = shell_lua_open();
    int status;

    if (L == NULL) {
        fprintf(stderr, "%s: cannot create Lua state: not enough memory\n", SHELL_PROGNAME);
        return NULL;
    }
    lua_pushcfunction(L, setup);
    lua_pushlightuserdata(L, (void *)opt);
    status = shell_docall(L, 1, 0, 0);
    if (status != LUA_OK) {
        shell_report(L, status, 1);
        shell_lua_close(L);
        return NULL;
    }
    return L;
}

/* The global `arg`, as lua.c builds it: arg[0] is the script (or the program
 * when there is none), positive indices its arguments, negative ones what came
 * before it on the command line. */
static void create_arg_table(lua_State *L, char **argv, int argc, int script)
{
    int i;

    lua_createtable(L, argc - script - 1 > 0 ? argc - script - 1 : 0, script + 1);
    for (i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int run_chunk(lua_State *L, int status)
{
    if (status == LUA_OK)
        status = shell_docall(L, 0, 0, 1);
    return shell_report(L, status, 1);
}

/* Runs argv[0] (NULL-terminated vector) with the rest as its `...`. */
static int run_script(lua_State *L, char **argv, int after_dashdash)
{
    const char *fname = argv[0];
    int status, n = 0;

    if (strcmp(fname, "-") == 0 && !after_dashdash)
        fname = NULL;   /* standard input */
    status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
        for (n = 0; argv[n + 1] != NULL; n++)
            lua_pushstring(L, argv[n + 1]);
        luaL_checkstack(L, 1, NULL);
        status = shell_docall(L, n, 0, 1);
    }
    return shell_report(L, status, 1);
}

/* Runs every -e of argv[1..last) in order; stops at the first error. */
static int run_e_options(lua_State *L, char **argv, int last)
{
    int i;

    for (i = 1; i < last; i++) {
        const char *code = NULL;
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-e") == 0)
            code = argv[++i];
        else if (strncmp(argv[i], "-e", 2) == 0)
            code = argv[i] + 2;
        if (code != NULL &&
            run_chunk(L, luaL_loadbuffer(L, code, strlen(code), "=(command line)")) != LUA_OK)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    shell_options opt = {NULL, 0};
    int interactive = 0, has_e = 0, test = 0, update = 0, script = 0, dashdash = 0;
    int nfiles = 0, failed = 0, i;
    char **files = NULL;    /* after --test: its files, moved down over argv */
    lua_State *L;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (test && strcmp(a, "--update") != 0) {
            files[nfiles++] = argv[i];
        } else if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (opt.url == NULL && strstr(a, "://") != NULL) {
                opt.url = a;
                continue;
            }
            script = i;
            break;
        } else if (strcmp(a, "--") == 0) {
            if (i + 1 < argc)
                script = i + 1;
            dashdash = 1;
            break;
        } else if (strcmp(a, "-e") == 0) {
            if (++i >= argc) {
                usage_error("'%s' needs an argument", a);
                return 2;
            }
            has_e = 1;
        } else if (strncmp(a, "-e", 2) == 0) {
            has_e = 1;
        } else if (strcmp(a, "-i") == 0) {
            interactive = 1;
        } else if (strcmp(a, "--echo") == 0) {
            opt.echo = 1;
        } else if (strcmp(a, "--test") == 0) {
            test = 1;
            files = argv + i + 1;
        } else if (strcmp(a, "--update") == 0) {
            update = 1;
        } else if (strcmp(a, "--version") == 0) {
            printf("%s %s\n", SHELL_PROGNAME, RETORT_VERSION);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else {
            usage_error("unrecognized option '%s'", a);
            return 2;
        }
    }

    if (test || update) {
        if (!test || nfiles == 0 || has_e || interactive) {
            usage_error("%s", !test ? "'--update' needs '--test'"
                              : nfiles == 0 ? "'--test' needs at least one file"
                              : "'--test' cannot be combined with -e or -i");
            return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);   /* keep stdout and stderr in order */
        return shell_test(&opt, files, nfiles, update);
    }

    L = shell_newstate(&opt);
    if (L == NULL)
        return 1;
    create_arg_table(L, argv, argc, script);
    failed = run_e_options(L, argv, script ? script : argc);
    if (!failed && script)
        failed = run_script(L, argv + script, dashdash) != LUA_OK;
    else if (!failed && !has_e && !interactive) {
        if (isatty(STDIN_FILENO)) {
            printf("%s %s (%s)  Ctrl-D exits\n", SHELL_PROGNAME, RETORT_VERSION, LUA_RELEASE);
            interactive = 1;
        } else {
            failed = run_chunk(L, luaL_loadfile(L, NULL)) != LUA_OK;
        }
    }
    if (!failed && interactive)
        shell_repl(L);
    shell_lua_close(L);
    return failed ? 1 : 0;
}
