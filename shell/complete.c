/* complete.c: tab completion at the prompt (DESIGN §8), the readline side.
 * The candidates come from shell.complete(text) (complete.lua), called
 * protected; here they are handed to readline, whose word includes `.` and `:`
 * so that `users.c.na` is completed as a whole. */

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/readline.h>

#include "shell.h"

static lua_State *completing;   /* the REPL's state, for the generator */
static char **cands;            /* candidates of the current completion */
static size_t ncands, nextcand;

static void drop_candidates(void)
{
    for (size_t i = nextcand; i < ncands; i++)
        free(cands[i]);
    free(cands);
    cands = NULL;
    ncands = nextcand = 0;
}

/* Asks shell.complete(text) (protected) for the candidates. */
static void load_candidates(lua_State *L, const char *text)
{
    int top = lua_gettop(L);
    size_t n;

    drop_candidates();
    if (!lua_checkstack(L, 4) || shell_field(L, "complete") != LUA_TFUNCTION) {
        lua_settop(L, top);
        return;
    }
    lua_pushstring(L, text);
    if (shell_docall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1) &&
        (n = lua_rawlen(L, -1)) > 0 && (cands = calloc(n, sizeof *cands)) != NULL) {
        for (size_t i = 1; i <= n; i++) {
            const char *c = lua_rawgeti(L, -1, (lua_Integer)i) == LUA_TSTRING
                ? lua_tostring(L, -1) : NULL;
            if (c != NULL && (cands[ncands] = strdup(c)) != NULL)
                ncands++;
            lua_pop(L, 1);
        }
    }
    lua_settop(L, top);
}

/* readline's generator: hands over one candidate per call (readline frees it). */
static char *next_candidate(const char *text, int state)
{
    if (state == 0 && completing != NULL)
        load_candidates(completing, text);
    if (nextcand < ncands)
        return cands[nextcand++];
    drop_candidates();
    return NULL;
}

/* Tab completes globals, fields and methods of the value left of the cursor
 * (DESIGN §8); the word is the whole dotted name (`users.c.na`).  Never file
 * names. */
static char **complete(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;
    rl_completion_append_character = '\0';
    return rl_completion_matches(text, next_candidate);
}

/* Lists the candidates by their last name only (`name`, not `users.c.name`). */
static void show_matches(char **matches, int n, int max_len)
{
    char **shown = malloc((size_t)(n + 2) * sizeof *shown);
    int longest = 0;

    if (shown == NULL) {
        rl_display_match_list(matches, n, max_len);
    } else {
        shown[0] = matches[0];
        for (int i = 1; i <= n; i++) {
            char *s = matches[i], *p;
            for (p = s; *p != '\0'; p++)
                if (*p == '.' || *p == ':')
                    s = p + 1;
            shown[i] = s;
            if ((int)strlen(s) > longest)
                longest = (int)strlen(s);
        }
        shown[n + 1] = NULL;
        rl_display_match_list(shown, n, longest);
        free(shown);
    }
    rl_forced_update_display();
}

void shell_completion_begin(lua_State *L)
{
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{(,+-*/%^~#[]";
    completing = L;
}

void shell_completion_end(void)
{
    completing = NULL;
    drop_candidates();
}
