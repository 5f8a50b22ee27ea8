/* The plan parser's shared words (plan_words.c): what plan.c's commands
 * are read with. Not for other parts. */
#ifndef SIM_PLAN_INTERNAL_H
#define SIM_PLAN_INTERNAL_H

#include <stdbool.h>

#include "sim_internal.h"

#define MAX_TOKENS 16
#define TOKEN_LEN  256

struct token {
    char key[32]; /* empty for a bare word */
    char val[TOKEN_LEN];
};

struct parser {
    const char *name;
    int line;
    struct rm_sim_plan *plan;
    bool mat_allowed; /* `mat` only before every other command */
    bool in_segment;
    bool ball; /* the open segment's tool is a ball: positions are X,Y */
};

/* RM_EFORMAT with "<name>:<line>: <what>". */
int plan_fail(const struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Splits one line into tokens; `#` outside quotes ends it. */
int plan_tokenize(const struct parser *ps, const char *s, struct token *tok, int *ntok);
/* A number (a whole number) within lo .. hi into *out, else the error
 * naming `what`. */
int plan_number(const struct parser *ps, const char *what, const char *s, double lo, double hi,
                double *out);
int plan_int(const struct parser *ps, const char *what, const char *s, double lo, double hi,
             double *out);
/* A new command of the plan, zeroed, at this line. */
int plan_add_cmd(struct parser *ps, enum sim_cmd_kind kind, struct sim_cmd **out);
/* Checks the count of bare arguments and that every key=value is one of
 * `keys` (space separated, NULL for none). */
int plan_check_args(const struct parser *ps, const struct token *tok, int ntok, int nbare,
                    const char *keys);
/* The i-th bare word (0-based) after the command; the value of a key. */
const char *plan_bare(const struct token *tok, int ntok, int i);
const char *plan_keyed(const struct token *tok, int ntok, const char *key);
/* Someone must (inside) or must not be on the roller for cmd. */
int plan_need_segment(const struct parser *ps, const char *cmd, bool inside);

#endif
