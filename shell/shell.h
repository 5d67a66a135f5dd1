/* shell.h: the interface between the shell's C files (not installed, not seen by
 * the core or the binding).  main.c parses the command line and builds the Lua
 * state; repl.c evaluates one input the way the prompt does (return-first
 * compilation, printing through shell.lua, error messages) and runs the
 * interactive loop; transcript.c replays transcript files through that same
 * evaluation.  The shell reaches the core only through the Lua state. */
#ifndef RETORT_SHELL_H
#define RETORT_SHELL_H

#include <stddef.h>
#include <lua.h>

#define SHELL_PROGNAME "retort"

/* Registry key of the table returned by shell.lua (repr, print_values, ...). */
#define SHELL_REGKEY "retort.shell"

/* Chunk name of everything typed at the prompt or replayed from a transcript. */
#define SHELL_CHUNKNAME "=stdin"

/* What every Lua state of one run is built with. */
typedef struct shell_options {
    const char *url;    /* database URL from the command line, NULL: "sqlite://" */
    int echo;           /* --echo: create the engine with {echo = true} */
} shell_options;

/* === in main.c === */

/* A new Lua state with the standard libraries, the retort module (preloaded,
 * required and copied into the globals), shell.lua, and `engine` bound when the
 * module has create_engine.  On failure prints a message to stderr and returns
 * NULL; nothing is left allocated. */
lua_State *shell_newstate(const shell_options *opt);

/* === in lua_alloc.c === */

/* A new bare Lua state whose small blocks come from a pool of its own (with
 * luaL_newstate's panic and warnings); NULL on failure. */
lua_State *shell_lua_open(void);
/* Closes a state made by shell_lua_open and frees its pool. */
void shell_lua_close(lua_State *L);

/* === in repl.c === */

/* Calls the function below `narg` arguments under lua_pcall with a message
 * handler that turns any error object into a string (through a protected
 * __tostring), adding a traceback when `traceback` is set.  Ctrl-C during the
 * call raises "interrupted!" in Lua.  Returns the lua_pcall status; on error
 * the message string is on top. */
int shell_docall(lua_State *L, int narg, int nres, int traceback);

/* Prints the message on top of the stack to stderr (after flushing stdout),
 * prefixed by "retort: " when `prefixed`, and pops it.  No-op when status is
 * LUA_OK.  Returns status. */
int shell_report(lua_State *L, int status, int prefixed);

/* Evaluates one complete input exactly as the prompt does: prints the values
 * of an expression, nothing for a statement, one message for an error.  An
 * incomplete input is reported as the syntax error it is.  Leaves the stack as
 * it found it; returns the status of the compilation or the call. */
int shell_eval(lua_State *L, const char *text, size_t len);

/* The interactive loop on standard input (readline on a terminal, plain lines
 * otherwise), with history in ~/.retort_history.  Returns at end of input. */
void shell_repl(lua_State *L);

/* === in transcript.c === */

/* Replays each transcript file in a fresh state (DESIGN §9), prints failures
 * and a final "N passed, N failed" line; with `update`, rewrites the expected
 * output of failing examples in place.  Returns the process exit status. */
int shell_test(const shell_options *opt, char **files, int nfiles, int update);

#endif
