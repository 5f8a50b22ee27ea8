/* Plan files (docs/simulator.md "Plan files"): one command per line, `#`
 * comments, `key=value` options, double-quoted strings. Everything a plan
 * can get wrong is reported here, with its line, so that the timeline
 * compiler can trust what it gets. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "rm_utc.h"
#include "plan_internal.h"

#define MAX_PLAN_BYTES (4 << 20)

/* The mat's extent in mm along the roll axis and across it: sensel centres
 * run from 0 to (n - 1) * pitch. */
static double rows_extent_mm(const struct sim_mat_params *m)
{
    return (m->rows - 1) * (m->pitch_row_um / 1000.0);
}

static double cols_extent_mm(const struct sim_mat_params *m)
{
    return (m->cols - 1) * (m->pitch_col_um / 1000.0);
}

static double roll_extent_mm(const struct sim_mat_params *m)
{
    return m->axis_cols ? cols_extent_mm(m) : rows_extent_mm(m);
}

static double cross_extent_mm(const struct sim_mat_params *m)
{
    return m->axis_cols ? rows_extent_mm(m) : cols_extent_mm(m);
}

/* `preset=diy16`: a home-made velostat mat read through a passive row/column
 * matrix by a microcontroller: 16 x 16 at 30 mm, 10-bit, 40 Hz; it ghosts
 * and creeps. */
static bool apply_preset(struct sim_mat_params *m, const char *name)
{
    if (strcmp(name, "diy16") != 0)
        return false;
    m->rows = m->cols = 16;
    m->pitch_row_um = m->pitch_col_um = 30000;
    m->adc_bits = 10;
    m->rate_hz = 40;
    m->ghost = 0.2;
    m->creep = 0.15;
    m->creep_tau_s = 10;
    return true;
}

static int parse_mat(struct parser *ps, const struct token *tok, int ntok)
{
    struct sim_mat_params *m = &ps->plan->mat;
    if (!ps->mat_allowed)
        return plan_fail(ps, "`mat` must come before every other command");
    /* The preset first, wherever it stands: the other keys change it. */
    for (int i = 1; i < ntok; i++)
        if (strcmp(tok[i].key, "preset") == 0 && !apply_preset(m, tok[i].val))
            return plan_fail(ps, "mat: unknown preset '%s' (there is: diy16)", tok[i].val);
    for (int i = 1; i < ntok; i++) {
        const char *k = tok[i].key, *v = tok[i].val;
        double x;
        int rc = 0;
        if (!*k)
            return plan_fail(ps, "mat: expected key=value, got %s", v);
        if (strcmp(k, "preset") == 0)
            continue;
        if (strcmp(k, "axis") == 0) {
            if (strcmp(v, "rows") != 0 && strcmp(v, "cols") != 0)
                return plan_fail(ps, "mat: axis must be rows or cols, got %s", v);
            m->axis_cols = v[0] == 'c';
        } else if (strcmp(k, "creep") == 0 && !(rc = plan_number(ps, "creep", v, 0, 0.5, &x)))
            m->creep = x;
        else if (strcmp(k, "creep_tau_s") == 0 &&
                 !(rc = plan_number(ps, "creep_tau_s", v, 0.1, 600, &x)))
            m->creep_tau_s = x;
        else if (strcmp(k, "drift_per_min") == 0 &&
                 !(rc = plan_number(ps, "drift_per_min", v, -1000, 1000, &x)))
            m->drift_per_min = x;
        else if (strcmp(k, "ghost") == 0 && !(rc = plan_number(ps, "ghost", v, 0, 1, &x)))
            m->ghost = x;
        else if (strcmp(k, "rows") == 0 && !(rc = plan_int(ps, "rows", v, 1, 255, &x)))
            m->rows = (int)x;
        else if (strcmp(k, "cols") == 0 && !(rc = plan_int(ps, "cols", v, 1, 255, &x)))
            m->cols = (int)x;
        else if (strcmp(k, "pitch_row_mm") == 0 &&
                 !(rc = plan_number(ps, "pitch_row_mm", v, 0.001, 65.535, &x)))
            m->pitch_row_um = (int)lround(x * 1000.0);
        else if (strcmp(k, "pitch_col_mm") == 0 &&
                 !(rc = plan_number(ps, "pitch_col_mm", v, 0.001, 65.535, &x)))
            m->pitch_col_um = (int)lround(x * 1000.0);
        else if (strcmp(k, "rate_hz") == 0 && !(rc = plan_int(ps, "rate_hz", v, 1, 1000, &x)))
            m->rate_hz = (int)x;
        else if (strcmp(k, "adc_bits") == 0 && !(rc = plan_int(ps, "adc_bits", v, 8, 16, &x)))
            m->adc_bits = (int)x;
        else if (strcmp(k, "serial") == 0) {
            if (!*v || strlen(v) > SIM_SERIAL_LEN)
                return plan_fail(ps, "serial must be 1 to 16 characters");
            for (const char *c = v; *c; c++)
                if (*c < 0x21 || *c > 0x7e)
                    return plan_fail(ps, "serial must be printable ASCII without spaces");
            snprintf(m->serial, sizeof(m->serial), "%s", v);
        } else if (!rc)
            return plan_fail(ps,
                             "mat: unknown key %s; allowed: rows, cols, pitch_row_mm, "
                             "pitch_col_mm, rate_hz, adc_bits, serial, axis, preset, creep, "
                             "creep_tau_s, drift_per_min, ghost",
                             k);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_position(const struct parser *ps, const char *what, const char *s, double *out)
{
    return plan_number(ps, what, s, 0.0, roll_extent_mm(&ps->plan->mat), out);
}

static int parse_lateral(const struct parser *ps, const char *what, const char *s, double *out)
{
    return plan_number(ps, what, s, 0.0, cross_extent_mm(&ps->plan->mat), out);
}

/* A point X,Y on the mat (along, across the roll axis); with a lone X,
 * `point` false, *y is NAN (where the tool is across). */
static int parse_xy(const struct parser *ps, const char *s, bool point, double *x, double *y)
{
    char buf[TOKEN_LEN];
    snprintf(buf, sizeof(buf), "%s", s);
    char *comma = strchr(buf, ',');
    *y = NAN;
    if (point != (comma != NULL))
        return plan_fail(ps,
                         point ? "a position X,Y is expected here (a ball, a touch), got %s"
                               : "a position along the roll axis is expected, got %s",
                         s);
    if (comma)
        *comma = '\0';
    int rc = parse_position(ps, "position", buf, x);
    if (!rc && comma)
        rc = parse_lateral(ps, "position across", comma + 1, y);
    return rc;
}

/* `touch KIND X,Y for=S [after=S] [force_n=F] [size_mm=W]`: a hand, knee or
 * foot put down on the mat for a while, from now or `after` seconds on
 * (it may land mid-stroke or mid-hold). Typical force and contact size by
 * kind. */
static int parse_touch(struct parser *ps, const struct token *tok, int ntok)
{
    static const struct {
        const char *kind;
        double force_n, size_mm;
    } kinds[] = {{"hand", 80, 90}, {"knee", 200, 70}, {"foot", 350, 100}};
    struct sim_cmd *c;
    int rc;
    if ((rc = plan_check_args(ps, tok, ntok, 2, "for after force_n size_mm")) ||
        (rc = plan_add_cmd(ps, CMD_TOUCH, &c)))
        return rc;
    const char *kind = plan_bare(tok, ntok, 0), *v;
    size_t k = 0;
    while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[k].kind, kind) != 0)
        k++;
    if (k == sizeof(kinds) / sizeof(kinds[0]))
        return plan_fail(ps, "touch: kind must be hand, knee or foot, got %s", kind);
    snprintf(c->text, sizeof(c->text), "%s", kind);
    c->v[3] = 0;
    c->v[4] = kinds[k].force_n;
    c->v[5] = kinds[k].size_mm;
    if ((rc = parse_xy(ps, plan_bare(tok, ntok, 1), true, &c->v[0], &c->v[1])))
        return rc;
    if (!(v = plan_keyed(tok, ntok, "for")))
        return plan_fail(ps, "touch: for=S is required");
    if ((rc = plan_number(ps, "for", v, 0.05, 86400, &c->v[2])))
        return rc;
    if ((v = plan_keyed(tok, ntok, "after")) &&
        (rc = plan_number(ps, "after", v, 0, 86400, &c->v[3])))
        return rc;
    if ((v = plan_keyed(tok, ntok, "force_n")) &&
        (rc = plan_number(ps, "force_n", v, 1, 3000, &c->v[4])))
        return rc;
    if ((v = plan_keyed(tok, ntok, "size_mm")) &&
        (rc = plan_number(ps, "size_mm", v, 10, 400, &c->v[5])))
        return rc;
    return 0;
}

static int parse_area(const struct parser *ps, const char *s, double area[4])
{
    const struct sim_mat_params *m = &ps->plan->mat;
    char buf[TOKEN_LEN];
    snprintf(buf, sizeof(buf), "%s", s);
    char *save = NULL, *part = strtok_r(buf, ",", &save);
    for (int i = 0; i < 4; i++, part = strtok_r(NULL, ",", &save)) {
        if (!part)
            return plan_fail(ps, "mass: area needs four numbers x0,y0,x1,y1");
        int rc = plan_number(ps, "area", part, -1e6, 1e6, &area[i]);
        if (rc)
            return rc;
    }
    if (part)
        return plan_fail(ps, "mass: area needs four numbers x0,y0,x1,y1");
    double pr = m->pitch_row_um / 1000.0, pc = m->pitch_col_um / 1000.0;
    /* The board must lie on the sensing area, edges of the outer sensels
     * included, else part of its load would go unmeasured. */
    if (!(area[0] < area[2] && area[1] < area[3]))
        return plan_fail(ps, "mass: area must have x0 < x1 and y0 < y1");
    if (area[0] < -pr / 2 - 1e-9 || area[2] > m->rows * pr - pr / 2 + 1e-9 ||
        area[1] < -pc / 2 - 1e-9 || area[3] > m->cols * pc - pc / 2 + 1e-9)
        return plan_fail(ps, "mass: area reaches beyond the mat");
    return 0;
}

static int parse_command(struct parser *ps, const struct token *tok, int ntok)
{
    const char *cmd = tok[0].val;
    const struct sim_mat_params *m = &ps->plan->mat;
    struct sim_cmd *c = NULL;
    int rc;

    if (tok[0].key[0])
        return plan_fail(ps, "expected a command, got an option");
    if (strcmp(cmd, "mat") == 0)
        return parse_mat(ps, tok, ntok);
    ps->mat_allowed = false;

    if (strcmp(cmd, "body") == 0) {
        if ((rc = plan_check_args(ps, tok, ntok, 0, "mass_kg")) ||
            (rc = plan_add_cmd(ps, CMD_BODY, &c)))
            return rc;
        const char *v = plan_keyed(tok, ntok, "mass_kg");
        c->v[0] = 70.0;
        return v ? plan_number(ps, "mass_kg", v, 20, 300, &c->v[0]) : 0;
    }
    if (strcmp(cmd, "events") == 0) {
        if ((rc = plan_check_args(ps, tok, ntok, 1, NULL)) ||
            (rc = plan_add_cmd(ps, CMD_EVENTS, &c)))
            return rc;
        const char *v = plan_bare(tok, ntok, 0);
        if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
            return plan_fail(ps, "events: expected on or off, got %s", v);
        c->v[0] = strcmp(v, "on") == 0;
        return 0;
    }
    if (strcmp(cmd, "idle") == 0 || strcmp(cmd, "pause") == 0) {
        bool idle = cmd[0] == 'i';
        if ((rc = plan_check_args(ps, tok, ntok, 1, NULL)) ||
            (rc = plan_need_segment(ps, cmd, !idle)) ||
            (rc = plan_add_cmd(ps, idle ? CMD_IDLE : CMD_PAUSE, &c)))
            return rc;
        return plan_number(ps, "seconds", plan_bare(tok, ntok, 0), 0.01, 86400, &c->v[0]);
    }
    if (strcmp(cmd, "hesitate") == 0) {
        /* Shorter than any profile's pause_min_s (2 s): a stop that is no pause. */
        if ((rc = plan_check_args(ps, tok, ntok, 1, NULL)) ||
            (rc = plan_need_segment(ps, cmd, true)) || (rc = plan_add_cmd(ps, CMD_HESITATE, &c)))
            return rc;
        return plan_number(ps, "seconds", plan_bare(tok, ntok, 0), 0.05, 1.9, &c->v[0]);
    }
    if (strcmp(cmd, "touch") == 0)
        return parse_touch(ps, tok, ntok);
    if (strcmp(cmd, "muscle") == 0) {
        if ((rc = plan_check_args(ps, tok, ntok, 1,
                                  "share lateral_mm width_mm tool legs spacing_mm label_late_s")) ||
            (rc = plan_add_cmd(ps, CMD_MUSCLE, &c)))
            return rc;
        const char *label = plan_bare(tok, ntok, 0), *v;
        if (!*label || strlen(label) > SIM_TEXT_LEN)
            return plan_fail(ps, "muscle: the label must be 1 to 64 characters");
        snprintf(c->text, sizeof(c->text), "%s", label);
        c->v[0] = 0.33;
        c->v[1] = cross_extent_mm(m) / 2;
        c->v[2] = 125.0;
        if ((v = plan_keyed(tok, ntok, "share")) &&
            (rc = plan_number(ps, "share", v, 0.01, 1, &c->v[0])))
            return rc;
        if ((v = plan_keyed(tok, ntok, "lateral_mm")) &&
            (rc = plan_number(ps, "lateral_mm", v, 0, cross_extent_mm(m), &c->v[1])))
            return rc;
        if ((v = plan_keyed(tok, ntok, "width_mm")) &&
            (rc = plan_number(ps, "width_mm", v, 10, 1000, &c->v[2])))
            return rc;
        ps->ball = false;
        if ((v = plan_keyed(tok, ntok, "tool"))) {
            if (strcmp(v, "roller") != 0 && strcmp(v, "ball") != 0)
                return plan_fail(ps, "muscle: tool must be roller or ball, got %s", v);
            ps->ball = v[0] == 'b';
        }
        c->v[3] = ps->ball;
        c->v[4] = 1;
        c->v[5] = 180;
        if ((v = plan_keyed(tok, ntok, "legs")) && (rc = plan_int(ps, "legs", v, 1, 2, &c->v[4])))
            return rc;
        if (ps->ball && c->v[4] != 1)
            return plan_fail(ps, "muscle: a ball carries one leg");
        if ((v = plan_keyed(tok, ntok, "spacing_mm")) &&
            (rc = plan_number(ps, "spacing_mm", v, 20, 1000, &c->v[5])))
            return rc;
        if ((v = plan_keyed(tok, ntok, "label_late_s")) &&
            (rc = plan_number(ps, "label_late_s", v, 0, 3600, &c->v[6])))
            return rc;
        ps->in_segment = true;
        return 0;
    }
    if (strcmp(cmd, "at") == 0) {
        if ((rc = plan_check_args(ps, tok, ntok, 1, NULL)) ||
            (rc = plan_need_segment(ps, cmd, true)) || (rc = plan_add_cmd(ps, CMD_AT, &c)))
            return rc;
        return parse_xy(ps, plan_bare(tok, ntok, 0), ps->ball, &c->v[0], &c->v[1]);
    }
    if (strcmp(cmd, "roll") == 0 || strcmp(cmd, "rolls") == 0) {
        bool many = cmd[4] == 's';
        const char *keys = many ? "speed count spread" : "speed lateral";
        if ((rc = plan_check_args(ps, tok, ntok, many ? 2 : 1, keys)) ||
            (rc = plan_need_segment(ps, cmd, true)) ||
            (rc = plan_add_cmd(ps, many ? CMD_ROLLS : CMD_ROLL, &c)))
            return rc;
        const char *speed = plan_keyed(tok, ntok, "speed"), *count = plan_keyed(tok, ntok, "count"),
                   *v;
        if (!speed)
            return plan_fail(ps, "%s: speed=V is required", cmd);
        if ((rc = parse_xy(ps, plan_bare(tok, ntok, 0), ps->ball, &c->v[0], &c->v[many ? 4 : 2])))
            return rc;
        if (!many) {
            if ((v = plan_keyed(tok, ntok, "lateral"))) {
                if (ps->ball)
                    return plan_fail(ps, "roll: a ball goes to X,Y; lateral= is for a roller");
                if ((rc = parse_lateral(ps, "lateral", v, &c->v[2])))
                    return rc;
            }
            return plan_number(ps, "speed", speed, 0.1, 5000, &c->v[1]);
        }
        if ((rc = parse_xy(ps, plan_bare(tok, ntok, 1), ps->ball, &c->v[1], &c->v[5])) ||
            (rc = plan_number(ps, "speed", speed, 0.1, 5000, &c->v[2])))
            return rc;
        if (!count)
            return plan_fail(ps, "rolls: count=N is required");
        if ((rc = plan_int(ps, "count", count, 1, 100000, &c->v[3])))
            return rc;
        if ((v = plan_keyed(tok, ntok, "spread")) &&
            (rc = plan_number(ps, "spread", v, 0, 0.9, &c->v[6])))
            return rc;
        double dy = ps->ball ? c->v[5] - c->v[4] : 0;
        if (hypot(c->v[1] - c->v[0], dy) < 1.0)
            return plan_fail(ps, "rolls: FROM and TO must be at least 1 mm apart");
        return 0;
    }
    if (strcmp(cmd, "end") == 0) {
        /* `end silent`: no segment_end event (the muscle's end never said). */
        const char *word = ntok > 1 ? plan_bare(tok, ntok, 0) : NULL;
        if ((rc = plan_check_args(ps, tok, ntok, word ? 1 : 0, NULL)) ||
            (rc = plan_need_segment(ps, cmd, true)))
            return rc;
        if (word && strcmp(word, "silent") != 0)
            return plan_fail(ps, "end: expected nothing or silent, got %s", word);
        ps->in_segment = false;
        if ((rc = plan_add_cmd(ps, CMD_END, &c)))
            return rc;
        c->v[0] = word != NULL;
        return 0;
    }
    if (strcmp(cmd, "mark") == 0) {
        /* Unquoted words are joined: `mark felt tight` reads as it looks. */
        if ((rc = plan_add_cmd(ps, CMD_MARK, &c)))
            return rc;
        size_t len = 0;
        for (int i = 1; i < ntok; i++) {
            if (tok[i].key[0])
                return plan_fail(ps, "mark: quote a text that holds '='");
            len += strlen(tok[i].val) + (i > 1);
            if (len > SIM_TEXT_LEN)
                return plan_fail(ps, "mark: the text is longer than 64 characters");
            if (i > 1)
                strcat(c->text, " ");
            strcat(c->text, tok[i].val);
        }
        if (!c->text[0])
            return plan_fail(ps, "mark: a text is required");
        return 0;
    }
    if (strcmp(cmd, "date") == 0) {
        /* The session's date, so that a history of sessions over weeks
         * can be simulated (docs/history.md); not part of the timeline. */
        int64_t epoch;
        if ((rc = plan_check_args(ps, tok, ntok, 1, NULL)))
            return rc;
        if (ps->plan->created_utc[0])
            return plan_fail(ps, "date: the plan already has a date");
        if (rm_utc_parse(plan_bare(tok, ntok, 0), &epoch) != 0)
            return plan_fail(ps, "date: expected YYYY-MM-DDTHH:MM:SSZ, got %s",
                             plan_bare(tok, ntok, 0));
        /* rm_utc_parse took exactly 20 characters. */
        memcpy(ps->plan->created_utc, plan_bare(tok, ntok, 0), 21);
        return 0;
    }
    if (strcmp(cmd, "drop") == 0) {
        if ((rc = plan_check_args(ps, tok, ntok, 1, NULL)) || (rc = plan_add_cmd(ps, CMD_DROP, &c)))
            return rc;
        return plan_int(ps, "frames", plan_bare(tok, ntok, 0), 1, 1e9, &c->v[0]);
    }
    if (strcmp(cmd, "uniform") == 0) {
        if ((rc = plan_check_args(ps, tok, ntok, 2, NULL)) ||
            (rc = plan_need_segment(ps, cmd, false)) || (rc = plan_add_cmd(ps, CMD_UNIFORM, &c)) ||
            (rc = plan_number(ps, "kPa", plan_bare(tok, ntok, 0), 0.01, 10000, &c->v[0])))
            return rc;
        return plan_number(ps, "seconds", plan_bare(tok, ntok, 1), 0.01, 86400, &c->v[1]);
    }
    if (strcmp(cmd, "mass") == 0) {
        if ((rc = plan_check_args(ps, tok, ntok, 2, "area")) ||
            (rc = plan_need_segment(ps, cmd, false)) || (rc = plan_add_cmd(ps, CMD_MASS, &c)) ||
            (rc = plan_number(ps, "kg", plan_bare(tok, ntok, 0), 0.01, 10000, &c->v[0])) ||
            (rc = plan_number(ps, "seconds", plan_bare(tok, ntok, 1), 0.01, 86400, &c->v[1])))
            return rc;
        const char *area = plan_keyed(tok, ntok, "area");
        if (area)
            return parse_area(ps, area, &c->v[2]);
        double pr = m->pitch_row_um / 1000.0, pc = m->pitch_col_um / 1000.0;
        c->v[2] = -pr / 2;
        c->v[3] = -pc / 2;
        c->v[4] = m->rows * pr - pr / 2;
        c->v[5] = m->cols * pc - pc / 2;
        return 0;
    }
    return plan_fail(ps, "unknown command %s", cmd);
}

int rm_sim_plan_parse_string(struct rm_sim_plan **out, const char *text, const char *name)
{
    *out = NULL;
    struct rm_sim_plan *plan = calloc(1, sizeof(*plan));
    if (!plan)
        return RM_ENOMEM;
    snprintf(plan->name, sizeof(plan->name), "%s", name);
    plan->mat = (struct sim_mat_params){.rows = 64,
                                        .cols = 32,
                                        .pitch_row_um = 10000,
                                        .pitch_col_um = 10000,
                                        .rate_hz = 100,
                                        .adc_bits = 12,
                                        .serial = "SIM-0001",
                                        .creep_tau_s = 10};

    struct parser ps = {.name = name, .plan = plan, .mat_allowed = true};
    struct token tok[MAX_TOKENS];
    const char *s = text;
    /* A UTF-8 byte order mark, as some Windows editors save it, is no part
     * of the first command. */
    if (strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    int rc = 0;
    while (*s && !rc) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char line[1024];
        ps.line++;
        if (len >= sizeof(line)) {
            rc = plan_fail(&ps, "line too long");
            break;
        }
        memcpy(line, s, len);
        line[len] = '\0';
        s += len + (eol != NULL);
        int ntok;
        rc = plan_tokenize(&ps, line, tok, &ntok);
        if (!rc && ntok > 0)
            rc = parse_command(&ps, tok, ntok);
    }
    if (!rc) {
        bool moves = false;
        for (size_t i = 0; i < plan->ncmds; i++)
            if (plan->cmds[i].kind == CMD_IDLE || plan->cmds[i].kind == CMD_MUSCLE ||
                plan->cmds[i].kind == CMD_UNIFORM || plan->cmds[i].kind == CMD_MASS)
                moves = true;
        if (!moves) {
            ps.line = ps.line ? ps.line : 1;
            rc = rm_fail(RM_EFORMAT,
                         "%s:%d: the plan plays nothing (no idle, muscle, uniform or mass)", name,
                         ps.line);
        }
    }
    if (rc) {
        rm_sim_plan_free(plan);
        return rc;
    }
    *out = plan;
    return 0;
}

int rm_sim_plan_parse_file(struct rm_sim_plan **out, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rm_fail(errno == ENOENT ? RM_ENOTFOUND : RM_EIO, "%s: %s", path, strerror(errno));
    /* owned here until parsed */
    char *buf = malloc(MAX_PLAN_BYTES + 1);
    if (!buf) {
        fclose(f);
        return RM_ENOMEM;
    }
    size_t n = fread(buf, 1, MAX_PLAN_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return rm_fail(RM_EIO, "%s: read failed", path);
    }
    if (n > MAX_PLAN_BYTES) {
        free(buf);
        return rm_fail(RM_EFORMAT, "%s:1: larger than %d bytes: not a plan", path, MAX_PLAN_BYTES);
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        /* A NUL byte: find its line for the message. */
        int line = 1;
        for (size_t i = 0; buf[i]; i++)
            line += buf[i] == '\n';
        free(buf);
        return rm_fail(RM_EFORMAT, "%s:%d: not a text line (NUL byte)", path, line);
    }
    int rc = rm_sim_plan_parse_string(out, buf, path);
    free(buf);
    return rc;
}

const char *rm_sim_plan_name(const struct rm_sim_plan *plan)
{
    return plan->name;
}

void rm_sim_plan_free(struct rm_sim_plan *plan)
{
    if (!plan)
        return;
    free(plan->cmds);
    free(plan);
}
