/* repl.c: evaluation of what a user types, and the interactive loop.  One input
 * is compiled as `return <input>` when that compiles (so an expression's values
 * are printed through shell.lua's print_values) and as a statement otherwise;
 * it runs under lua_pcall with a message handler that turns any error object
 * into one string, and Ctrl-C interrupts it.  shell_eval is that whole path and
 * is shared with the transcript runner, so a transcript sees exactly what the
 * prompt shows.  The loop reads lines with readline on a terminal (plain lines
 * otherwise), asks for `>> ` continuation lines while the input is incomplete,
 * and keeps history in ~/.retort_history.  Dot commands, SQL lines and tab
 * completion slot in at classify() and complete(). */

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include <lauxlib.h>

#include "shell.h"

#define PROMPT          "> "
#define PROMPT2         ">> "
#define HISTORY_FILE    "/.retort_history"
#define HISTORY_MAX     1000
#define EOFMARK         "<eof>"

/* ---- running Lua code ---------------------------------------------------- */

static lua_State *volatile running;         /* state executing a chunk, or NULL */
static volatile sig_atomic_t interrupted;   /* Ctrl-C while reading a line */

static void lstop(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

/* While Lua runs, Ctrl-C raises "interrupted!" at the next hook (a second one
 * terminates, as in lua.c); while reading a line it only sets a flag. */
static void on_sigint(int sig)
{
    lua_State *L = running;

    if (L != NULL) {
        signal(sig, SIG_DFL);
        lua_sethook(L, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
    } else {
        interrupted = 1;
    }
}

static void catch_sigint(struct sigaction *old)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;      /* no SA_RESTART: reads return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old);
}

/* The string for an error object that is not a string or a number: its
 * __tostring, called protected so that a failing one cannot escape. */
static const char *describe(lua_State *L, int idx)
{
    if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {
        lua_pushvalue(L, idx);
        if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
            if (lua_type(L, -1) == LUA_TSTRING)
                return lua_tostring(L, -1);
            return lua_pushfstring(L, "(error object is a %s value; its __tostring "
                                   "returned a %s)", luaL_typename(L, idx),
                                   luaL_typename(L, -1));
        }
        return lua_pushfstring(L, "(error object is a %s value; its __tostring failed: %s)",
                               luaL_typename(L, idx),
                               lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
    }
    return lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, idx));
}

/* Upvalue 1: whether to add a traceback. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);

    if (msg == NULL)
        msg = describe(L, 1);
    if (lua_toboolean(L, lua_upvalueindex(1)))
        luaL_traceback(L, L, msg, 1);
    else
        lua_pushstring(L, msg);
    return 1;
}

int shell_docall(lua_State *L, int narg, int nres, int traceback)
{
    struct sigaction old;
    lua_State *outer = running;
    int base = lua_gettop(L) - narg;
    int status;

    lua_pushboolean(L, traceback);
    lua_pushcclosure(L, msghandler, 1);
    lua_insert(L, base);
    running = L;
    catch_sigint(&old);
    status = lua_pcall(L, narg, nres, base);
    sigaction(SIGINT, &old, NULL);
    running = outer;
    lua_remove(L, base);
    return status;
}

int shell_report(lua_State *L, int status, int prefixed)
{
    if (status != LUA_OK) {
        size_t len;
        const char *msg = lua_tolstring(L, -1, &len);
        if (msg == NULL) {
            msg = "(error object is not a string)";
            len = strlen(msg);
        }
        fflush(stdout);
        if (prefixed)
            fprintf(stderr, "%s: ", SHELL_PROGNAME);
        fwrite(msg, 1, len, stderr);
        fputc('\n', stderr);
        fflush(stderr);
        lua_pop(L, 1);
    }
    return status;
}

/* ---- one input ----------------------------------------------------------- */

/* What a complete input is.  Dot commands (`.tables`) and SQL lines (starting
 * with an SQL keyword, ending with `;`) will be recognised here (DESIGN §8). */
enum input_kind { INPUT_LUA };

static enum input_kind classify(const char *text, size_t len)
{
    (void)text;
    (void)len;
    return INPUT_LUA;
}

/* Whether the error at idx is a syntax error at end of input (lua.c's test). */
static int incomplete(lua_State *L, int status, int idx)
{
    size_t len, mlen = sizeof EOFMARK - 1;
    const char *msg;

    if (status != LUA_ERRSYNTAX)
        return 0;
    msg = lua_tolstring(L, idx, &len);
    return len >= mlen && strcmp(msg + len - mlen, EOFMARK) == 0;
}

/* Compiles as `return <text>` when that compiles, else as a statement; leaves
 * the function or the error message on top.  When neither compiles, the error
 * is the statement's, unless only the expression is incomplete (`1,`).  With
 * `newline`, a newline is added, so that a string left open on the last line is
 * an error rather than incomplete (used to decide whether to read more).  Text
 * only: a binary chunk typed at the prompt could crash the interpreter. */
static int compile(lua_State *L, const char *text, size_t len, int newline)
{
    size_t n;
    const char *code;
    int expr, stmt;

    lua_pushlstring(L, text, len);
    if (newline) {
        lua_pushliteral(L, "\n");
        lua_concat(L, 2);
    }
    lua_pushliteral(L, "return ");
    lua_pushvalue(L, -2);
    lua_concat(L, 2);
    code = lua_tolstring(L, -1, &n);
    expr = luaL_loadbufferx(L, code, n, SHELL_CHUNKNAME, "t");
    lua_remove(L, -2);                          /* text, expr result */
    if (expr == LUA_OK) {
        lua_remove(L, -2);
        return expr;
    }
    code = lua_tolstring(L, -2, &n);
    stmt = luaL_loadbufferx(L, code, n, SHELL_CHUNKNAME, "t");
    if (stmt != LUA_OK && incomplete(L, expr, -2) && !incomplete(L, stmt, -1)) {
        lua_pop(L, 1);
        lua_remove(L, -2);
        return expr;
    }
    lua_remove(L, -2);
    lua_remove(L, -2);
    return stmt;
}

/* Whether `text` needs more lines before it can be evaluated. */
static int needs_more(lua_State *L, const char *text, size_t len)
{
    int more = 0;

    if (classify(text, len) == INPUT_LUA) {
        more = incomplete(L, compile(L, text, len, 1), -1);
        lua_pop(L, 1);
    }
    return more;
}

/* Prints the n values on top (and pops them) through shell.print_values. */
static int print_values(lua_State *L, int n)
{
    if (!lua_checkstack(L, 4)) {
        lua_pop(L, n);
        lua_pushliteral(L, "too many results to print");
        return LUA_ERRRUN;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, SHELL_REGKEY);
    lua_getfield(L, -1, "print_values");
    lua_remove(L, -2);
    lua_insert(L, -(n + 1));
    return shell_docall(L, n, 0, 0);
}

int shell_eval(lua_State *L, const char *text, size_t len)
{
    int top = lua_gettop(L);
    int status;

    switch (classify(text, len)) {
    case INPUT_LUA:
    default:
        status = compile(L, text, len, 0);
        if (status == LUA_OK)
            status = shell_docall(L, 0, LUA_MULTRET, 0);
        if (status == LUA_OK && lua_gettop(L) > top)
            status = print_values(L, lua_gettop(L) - top);
        break;
    }
    shell_report(L, status, 0);
    lua_settop(L, top);
    fflush(stdout);
    return status;
}

/* ---- reading lines ------------------------------------------------------- */

enum { READ_LINE, READ_EOF, READ_INTERRUPT };

static char *line_result;     /* line delivered by the readline callback */
static int line_done;         /* the callback has been called */

static void on_line(char *line)
{
    line_result = line;
    line_done = 1;
    rl_callback_handler_remove();
}

/* Tab completion of globals, fields and methods (DESIGN §8) comes here; until
 * then Tab completes nothing, rather than file names. */
static char **complete(const char *text, int start, int end)
{
    (void)text;
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;
    return NULL;
}

/* readline's callback interface, so that Ctrl-C (select returning EINTR) can
 * abandon the line instead of killing the process. */
static int read_tty(const char *prompt, char **out)
{
    int fd = fileno(rl_instream);

    line_done = 0;
    line_result = NULL;
    interrupted = 0;
    rl_callback_handler_install(prompt, on_line);
    while (!line_done) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fd, &fds);
        if (select(fd + 1, &fds, NULL, NULL, NULL) < 0) {
            int intr = errno == EINTR;
            if (intr && !interrupted)
                continue;
            rl_free_line_state();
            rl_callback_sigcleanup();
            rl_cleanup_after_signal();
            rl_callback_handler_remove();
            fputc('\n', rl_outstream);
            fflush(rl_outstream);
            return intr ? READ_INTERRUPT : READ_EOF;
        }
        rl_callback_read_char();
    }
    *out = line_result;
    return line_result != NULL ? READ_LINE : READ_EOF;
}

static int read_plain(const char *prompt, char **out)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    fputs(prompt, stdout);
    fflush(stdout);
    interrupted = 0;
    n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        if (interrupted) {
            clearerr(stdin);
            fputc('\n', stdout);
            return READ_INTERRUPT;
        }
        return READ_EOF;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    *out = line;
    return READ_LINE;
}

static char *history_path(void)
{
    const char *home = getenv("HOME");
    char *path;

    if (home == NULL || *home == '\0')
        return NULL;
    path = malloc(strlen(home) + sizeof HISTORY_FILE);
    if (path != NULL) {
        strcpy(path, home);
        strcat(path, HISTORY_FILE);
    }
    return path;
}

static void remember(const char *text, int *added)
{
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;

    if (text[strspn(text, " \t\n")] == '\0')
        return;
    if (last != NULL && strcmp(last->line, text) == 0)
        return;
    add_history(text);
    (*added)++;
}

static void save_history(const char *path, int added)
{
    if (path == NULL || added == 0)
        return;
    if (added > history_length)
        added = history_length;
    if (append_history(added, path) != 0)
        write_history(path);
    history_truncate_file(path, HISTORY_MAX);
}

/* ---- the loop ------------------------------------------------------------ */

/* Appends "\n" and `line` (which it frees) to the input *buf of length *len. */
static int append_line(char **buf, size_t *len, char *line)
{
    size_t n = strlen(line);
    char *grown = realloc(*buf, *len + n + 2);

    if (grown == NULL) {
        free(line);
        return 0;
    }
    grown[(*len)++] = '\n';
    memcpy(grown + *len, line, n + 1);
    *len += n;
    *buf = grown;
    free(line);
    return 1;
}

void shell_repl(lua_State *L)
{
    int tty = isatty(STDIN_FILENO);
    int (*read_line)(const char *, char **) = tty ? read_tty : read_plain;
    char *hpath = tty ? history_path() : NULL;
    int added = 0, eof = 0;
    struct sigaction old;

    catch_sigint(&old);
    if (tty) {
        rl_readline_name = SHELL_PROGNAME;
        rl_instream = stdin;
        rl_outstream = stdout;
        rl_catch_signals = 0;
        rl_attempted_completion_function = complete;
        using_history();
        stifle_history(HISTORY_MAX);
        /* A "#<time>" line before each entry keeps multi-line inputs whole. */
        history_comment_char = '#';
        history_write_timestamps = 1;
        history_multiline_entries = 1;
        if (hpath != NULL)
            read_history(hpath);
    }
    while (!eof) {
        char *buf, *line;
        size_t len;
        int r = read_line(PROMPT, &buf);

        if (r == READ_EOF)
            break;
        if (r == READ_INTERRUPT)
            continue;
        len = strlen(buf);
        while (needs_more(L, buf, len)) {
            r = read_line(PROMPT2, &line);
            if (r == READ_LINE && append_line(&buf, &len, line))
                continue;
            eof = r != READ_INTERRUPT;  /* end of input: report what is there */
            break;
        }
        if (r != READ_INTERRUPT) {
            if (tty)
                remember(buf, &added);
            shell_eval(L, buf, len);
        }
        free(buf);
    }
    if (tty) {
        fputc('\n', stdout);
        save_history(hpath, added);
    }
    free(hpath);
    sigaction(SIGINT, &old, NULL);
}
