/* The words of a plan line (docs/simulator.md "Plan files"): tokens,
 * numbers, keys, and errors with their line. Shared by the plan parser's
 * files (plan.c, the commands; plan_words.c, this). */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"
#include "rm_error.h"
#include "rm_number.h"

int plan_fail(const struct parser *ps, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return rm_fail(RM_EFORMAT, "%s:%d: %s", ps->name, ps->line, what);
}

/* Splits one line into tokens; `#` outside quotes ends it. */
int plan_tokenize(const struct parser *ps, const char *s, struct token *tok, int *ntok)
{
    *ntok = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (!*s || *s == '#')
            return 0;
        if (*ntok == MAX_TOKENS)
            return plan_fail(ps, "too many words on one line");
        struct token *t = &tok[(*ntok)++];
        t->key[0] = '\0';
        /* A key is a bare identifier directly followed by '='. */
        const char *eq = s;
        while (isalnum((unsigned char)*eq) || *eq == '_')
            eq++;
        if (*eq == '=' && eq > s) {
            size_t klen = (size_t)(eq - s);
            if (klen >= sizeof(t->key))
                return plan_fail(ps, "option name too long");
            memcpy(t->key, s, klen);
            t->key[klen] = '\0';
            s = eq + 1;
        }
        size_t n = 0;
        if (*s == '"') {
            s++;
            while (*s && *s != '"') {
                if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                    s++;
                if (n + 1 >= TOKEN_LEN)
                    return plan_fail(ps, "string too long");
                t->val[n++] = *s++;
            }
            if (*s != '"')
                return plan_fail(ps, "unterminated string");
            s++;
        } else {
            while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#') {
                if (n + 1 >= TOKEN_LEN)
                    return plan_fail(ps, "word too long");
                t->val[n++] = *s++;
            }
        }
        t->val[n] = '\0';
    }
}

int plan_number(const struct parser *ps, const char *what, const char *s, double lo, double hi,
                double *out)
{
    double v;
    if (!rm_text_number(s, &v))
        return plan_fail(ps, "%s: '%s' is not a number; allowed: a decimal number from %g to %g",
                         what, s, lo, hi);
    if (v < lo || v > hi)
        return plan_fail(ps, "%s = %g is outside %g .. %g", what, v, lo, hi);
    *out = v;
    return 0;
}

int plan_int(const struct parser *ps, const char *what, const char *s, double lo, double hi,
             double *out)
{
    int rc = plan_number(ps, what, s, lo, hi, out);
    if (rc)
        return rc;
    if (*out != floor(*out))
        return plan_fail(ps, "%s = %s is not a whole number", what, s);
    return 0;
}

int plan_add_cmd(struct parser *ps, enum sim_cmd_kind kind, struct sim_cmd **out)
{
    struct rm_sim_plan *p = ps->plan;
    if (p->ncmds == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        struct sim_cmd *c = realloc(p->cmds, cap * sizeof(*c));
        if (!c)
            return RM_ENOMEM;
        p->cmds = c;
        p->cap = cap;
    }
    struct sim_cmd *c = &p->cmds[p->ncmds++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->line = ps->line;
    *out = c;
    return 0;
}

/* Checks the count of bare arguments and that every key=value is one of
 * `keys` (space separated, NULL for none). */
int plan_check_args(const struct parser *ps, const struct token *tok, int ntok, int nbare,
                    const char *keys)
{
    int bare = 0;
    for (int i = 1; i < ntok; i++) {
        if (!tok[i].key[0]) {
            if (bare++ == nbare)
                return plan_fail(ps, "%s: unexpected '%s'", tok[0].val, tok[i].val);
            continue;
        }
        char pattern[40];
        snprintf(pattern, sizeof(pattern), " %s ", tok[i].key);
        char padded[200];
        snprintf(padded, sizeof(padded), " %s ", keys ? keys : "");
        if (!strstr(padded, pattern))
            return plan_fail(ps, "%s: unknown key '%s'; allowed: %s", tok[0].val, tok[i].key,
                             keys ? keys : "none");
    }
    if (bare < nbare)
        return plan_fail(ps, "%s: %d argument%s expected", tok[0].val, nbare,
                         nbare == 1 ? "" : "s");
    return 0;
}

/* The i-th bare word (0-based) after the command. */
const char *plan_bare(const struct token *tok, int ntok, int i)
{
    for (int j = 1; j < ntok; j++)
        if (!tok[j].key[0] && i-- == 0)
            return tok[j].val;
    return NULL;
}

const char *plan_keyed(const struct token *tok, int ntok, const char *key)
{
    for (int j = 1; j < ntok; j++)
        if (strcmp(tok[j].key, key) == 0)
            return tok[j].val;
    return NULL;
}

int plan_need_segment(const struct parser *ps, const char *cmd, bool inside)
{
    if (inside && !ps->in_segment)
        return plan_fail(ps, "%s: nobody is on the roller (start with `muscle`)", cmd);
    if (!inside && ps->in_segment)
        return plan_fail(ps, "%s: someone is on the roller (`end` the muscle first)", cmd);
    return 0;
}
