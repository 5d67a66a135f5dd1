/* repl.c: evaluation of what a user types, and the interactive loop.  One input
 * is first classified by shell.lua (commands.lua): a dot command (`.tables`)
 * or an SQL line goes to its Lua handler; Lua code is compiled as
 * `return <input>` when that compiles (so an expression's values are printed
 * through shell.lua's print_values) and as a statement otherwise; it runs under
 * lua_pcall with a message handler that turns any error object into one
 * string, and Ctrl-C interrupts it.  shell_eval is that whole path and is
 * shared with the transcript runner, so a transcript sees exactly what the
 * prompt shows.  The loop reads lines (readline on a terminal, plain lines
 * otherwise, or a file for `.read`), asks for `>> ` continuation lines while
 * the input is incomplete, stops at `.quit`, and keeps history in
 * ~/.retort_history.  Tab completion is complete.c. */

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
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
#define READ_DEPTH_MAX  16      /* nested .read files */

/* ---- running Lua code ---------------------------------------------------- */

static lua_State *volatile running;         /* state executing a chunk, or NULL */
static volatile sig_atomic_t interrupted;   /* Ctrl-C while reading a line */
static volatile sig_atomic_t sigints;       /* Ctrl-C count, while running or not */

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

    sigints++;
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

int shell_field(lua_State *L, const char *name)
{
    int type;

    lua_getfield(L, LUA_REGISTRYINDEX, SHELL_REGKEY);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_pushnil(L);
        return LUA_TNIL;
    }
    type = lua_getfield(L, -1, name);
    lua_remove(L, -2);
    return type;
}

/* What an input is (DESIGN §8): Lua code, a dot command, a complete SQL line
 * (starting with an SQL keyword, ending with `;`, not valid Lua), or the start
 * of one that still lacks its `;`.  shell.classify decides; when it cannot
 * (fails or is missing), the input is Lua. */
enum input_kind { INPUT_LUA, INPUT_DOT, INPUT_SQL, INPUT_SQL_MORE };

static enum input_kind classify(lua_State *L, const char *text, size_t len)
{
    static const char *const kinds[] = {"lua", "dot", "sql", "sql_more"};
    enum input_kind kind = INPUT_LUA;

    if (!lua_checkstack(L, 4) || shell_field(L, "classify") != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return INPUT_LUA;
    }
    lua_pushlstring(L, text, len);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (strcmp(lua_tostring(L, -1), kinds[i]) == 0)
                kind = (enum input_kind)i;
    }
    lua_pop(L, 1);
    return kind;
}

int shell_quit_requested(lua_State *L)
{
    int quit;

    if (!lua_checkstack(L, 2))
        return 0;
    shell_field(L, "quit");
    quit = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return quit;
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

    switch (classify(L, text, len)) {
    case INPUT_LUA:
        more = incomplete(L, compile(L, text, len, 1), -1);
        lua_pop(L, 1);
        break;
    case INPUT_SQL_MORE:
        more = 1;
        break;
    default:
        break;
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

/* Calls the shell's handler `name` (a dot command or an SQL line) on text. */
static int call_handler(lua_State *L, const char *name, const char *text, size_t len)
{
    if (shell_field(L, name) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        lua_pushfstring(L, "the shell has no handler '%s'", name);
        return LUA_ERRRUN;
    }
    lua_pushlstring(L, text, len);
    return shell_docall(L, 1, 0, 0);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int shell_eval(lua_State *L, const char *text, size_t len)
{
    int top = lua_gettop(L);
    enum input_kind kind = classify(L, text, len);
    double start = now();
    int status, timer;

    switch (kind) {
    case INPUT_DOT:
        status = call_handler(L, "dot", text, len);
        break;
    case INPUT_SQL:
    case INPUT_SQL_MORE:    /* at end of input: the statement as it is */
        status = call_handler(L, "sql", text, len);
        break;
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
    shell_field(L, "timer");
    timer = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (timer && kind != INPUT_DOT)
        printf("Run Time: %.4f s\n", now() - start);
    fflush(stdout);
    return status;
}

/* ---- reading lines ------------------------------------------------------- */

enum { READ_LINE, READ_EOF, READ_INTERRUPT };

/* Reads one line (malloc'd, without its newline) into *out after showing
 * `prompt` where that makes sense; returns READ_LINE, READ_EOF or
 * READ_INTERRUPT (Ctrl-C while reading). */
typedef int (*line_reader)(void *ctx, const char *prompt, char **out);

static char *line_result;     /* line delivered by the readline callback */
static int line_done;         /* the callback has been called */

static void on_line(char *line)
{
    line_result = line;
    line_done = 1;
    rl_callback_handler_remove();
}

/* ---- line readers -------------------------------------------------------- */

/* readline's callback interface, so that Ctrl-C (select returning EINTR) can
 * abandon the line instead of killing the process. */
static int read_tty(void *ctx, const char *prompt, char **out)
{
    int fd = fileno(rl_instream);

    (void)ctx;
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

/* A line of `f` without its line end; NULL at end of file. */
static char *get_line(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);

    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

static int read_plain(void *ctx, const char *prompt, char **out)
{
    (void)ctx;
    fputs(prompt, stdout);
    fflush(stdout);
    interrupted = 0;
    if ((*out = get_line(stdin)) != NULL)
        return READ_LINE;
    if (interrupted) {
        clearerr(stdin);
        fputc('\n', stdout);
        return READ_INTERRUPT;
    }
    return READ_EOF;
}

/* The lines of a `.read` file: no prompts. */
static int read_file_line(void *ctx, const char *prompt, char **out)
{
    (void)prompt;
    return (*out = get_line(ctx)) != NULL ? READ_LINE : READ_EOF;
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

/* Reads inputs (a line, then continuation lines while it is incomplete) and
 * evaluates them until end of input or `.quit`; with `added`, remembers them
 * in the history.  With `stop_on_sigint`, a Ctrl-C during an input also ends
 * the loop (a `.read` file stops as a whole). */
static void run_inputs(lua_State *L, line_reader read_line, void *ctx, int *added,
                       int stop_on_sigint)
{
    int eof = 0;

    while (!eof && !shell_quit_requested(L)) {
        char *buf, *line;
        size_t len;
        sig_atomic_t seen = sigints;
        int r = read_line(ctx, PROMPT, &buf);

        if (r == READ_EOF)
            break;
        if (r == READ_INTERRUPT)
            continue;
        len = strlen(buf);
        while (needs_more(L, buf, len)) {
            r = read_line(ctx, PROMPT2, &line);
            if (r == READ_LINE && append_line(&buf, &len, line))
                continue;
            eof = r != READ_INTERRUPT;  /* end of input: report what is there */
            break;
        }
        if (r != READ_INTERRUPT) {
            if (added != NULL)
                remember(buf, added);
            shell_eval(L, buf, len);
        }
        free(buf);
        if (stop_on_sigint && sigints != seen)
            break;
    }
}

static int read_depth;     /* .read files being run */

int shell_read_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    FILE *f;

    if (read_depth >= READ_DEPTH_MAX) {
        lua_pushfstring(L, ".read: files nested more than %d deep", READ_DEPTH_MAX);
        return lua_error(L);
    }
    if ((f = fopen(path, "r")) == NULL) {
        lua_pushfstring(L, ".read: cannot open %s: %s", path, strerror(errno));
        return lua_error(L);
    }
    read_depth++;
    run_inputs(L, read_file_line, f, NULL, 1);
    read_depth--;
    fclose(f);
    return 0;
}

void shell_repl(lua_State *L)
{
    int tty = isatty(STDIN_FILENO);
    char *hpath = tty ? history_path() : NULL;
    int added = 0;
    struct sigaction old;

    catch_sigint(&old);
    if (tty) {
        rl_readline_name = SHELL_PROGNAME;
        rl_instream = stdin;
        rl_outstream = stdout;
        rl_catch_signals = 0;
        shell_completion_begin(L);
        using_history();
        stifle_history(HISTORY_MAX);
        /* A "#<time>" line before each entry keeps multi-line inputs whole. */
        history_comment_char = '#';
        history_write_timestamps = 1;
        history_multiline_entries = 1;
        if (hpath != NULL)
            read_history(hpath);
    }
    run_inputs(L, tty ? read_tty : read_plain, NULL, tty ? &added : NULL, 0);
    if (tty) {
        fputc('\n', stdout);
        save_history(hpath, added);
        shell_completion_end();
    }
    free(hpath);
    sigaction(SIGINT, &old, NULL);
}
