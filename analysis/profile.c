/* Guidance profiles: the three built in (analysis-output.md, "Guidance
 * profiles"; docs/scoring.md cites where each value comes from) and INI
 * files that override any value. */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "an_internal.h"
#include "rm_analysis.h"
#include "rm_error.h"
#include "rm_text.h"
#include "rm_number.h"

/* Shared by every built-in profile: roll slowly (seeds 000, 002, 004),
 * pauses of 2 s or more, holds of 5 s or more, contact-mean pressure under
 * 60 kPa (between a foam roller's ~33 and a rigid roller's ~52 kPa, Curran
 * et al. 2008, with margin). Only the hold target differs. */
static void set_common(struct rm_profile *p)
{
    p->speed_slow_max_mm_s = 50;
    p->speed_fast_mm_s = 100;
    p->pause_min_s = 2;
    p->pause_speed_mm_s = 5;
    p->pause_tolerance_mm = 10;
    p->hold_min_s = 5;
    p->pressure_max_kpa = 60;
}

int rm_profile_builtin(const char *name, struct rm_profile *out)
{
    static const struct {
        const char *name;
        double hold_min, hold_max;
    } targets[] = {
        {"default", 20, 30}, /* seeds 000, 001: "20-30 seconds" */
        {"short", 8, 12},    /* seed 002: "approx 10 seconds" */
        {"long", 30, 90},    /* seed 004: "30 to 90 seconds" */
    };
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        if (strcmp(name, targets[i].name) != 0)
            continue;
        memset(out, 0, sizeof(*out));
        snprintf(out->name, sizeof(out->name), "%s", targets[i].name);
        set_common(out);
        out->hold_target_min_s = targets[i].hold_min;
        out->hold_target_max_s = targets[i].hold_max;
        return 0;
    }
    return RM_ENOTFOUND;
}

struct field {
    const char *key;
    size_t offset;
    double max; /* allowed: 0 to max */
};

#define FIELD(k, max)                                                                              \
    {                                                                                              \
#k, offsetof(struct rm_profile, k), max                                                    \
    }
/* Upper bounds far above any guidance, so that a typo (an extra zero is
 * fine, 1e9 is not) is caught with the line that holds it. */
static const struct field fields[] = {
    FIELD(speed_slow_max_mm_s, 10000), FIELD(speed_fast_mm_s, 10000),
    FIELD(pause_min_s, 3600),          FIELD(pause_speed_mm_s, 10000),
    FIELD(pause_tolerance_mm, 10000),  FIELD(hold_min_s, 3600),
    FIELD(hold_target_min_s, 3600),    FIELD(hold_target_max_s, 3600),
    FIELD(pressure_max_kpa, 10000),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
/* A profile is a few lines; anything larger is not one. */
#define MAX_PROFILE_BYTES 65536

static double *field_ptr(struct rm_profile *p, size_t i)
{
    return (double *)((char *)p + fields[i].offset);
}

/* INI parsing state: the text being read line by line (so that the handler
 * knows the line), values seen (applied over `base` at the end, so that
 * `base` may come anywhere in the file) and the first error. */
struct ini_state {
    const char *path;
    const char *text, *pos, *end;
    int line;
    char base[RM_PROFILE_NAME_LEN];
    int base_line;
    char name[RM_PROFILE_NAME_LEN];
    double values[NFIELDS];
    int value_line[NFIELDS]; /* 0: not set */
    char error[512];
};

/* inih's reader: one line of the text per call, counted. */
static char *next_line(char *buf, int size, void *stream)
{
    struct ini_state *st = stream;
    if (st->pos >= st->end || st->error[0])
        return NULL;
    const char *nl = memchr(st->pos, '\n', (size_t)(st->end - st->pos));
    size_t len = nl ? (size_t)(nl - st->pos) + 1 : (size_t)(st->end - st->pos);
    st->line++;
    if (len >= (size_t)size) {
        snprintf(st->error, sizeof(st->error), "line longer than %d characters", size - 1);
        return NULL;
    }
    memcpy(buf, st->pos, len);
    buf[len] = '\0';
    st->pos += len;
    return buf;
}

static int entry_error(struct ini_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int entry_error(struct ini_state *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->error, sizeof(st->error), fmt, ap);
    va_end(ap);
    return 0;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    struct ini_state *st = user;
    if (section[0] && strcmp(section, "profile") != 0)
        return entry_error(st, "unknown section [%s]; allowed: [profile] or none", section);
    if (strcmp(key, "name") == 0) {
        if (!value[0] || strlen(value) >= RM_PROFILE_NAME_LEN)
            return entry_error(st, "name = '%s': allowed: 1 to %d characters", value,
                               RM_PROFILE_NAME_LEN - 1);
        snprintf(st->name, sizeof(st->name), "%s", value);
        return 1;
    }
    if (strcmp(key, "base") == 0) {
        struct rm_profile probe;
        if (rm_profile_builtin(value, &probe) != 0)
            return entry_error(st, "base = '%s': allowed: default, short, long", value);
        snprintf(st->base, sizeof(st->base), "%s", value);
        st->base_line = st->line;
        return 1;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        if (strcmp(key, fields[i].key) != 0)
            continue;
        double v;
        if (!rm_text_number(value, &v) || v < 0 || v > fields[i].max)
            return entry_error(st, "%s = '%s': allowed: a decimal number from 0 to %g", key, value,
                               fields[i].max);
        st->values[i] = v;
        st->value_line[i] = st->line;
        return 1;
    }
    char keys[512] = "name, base";
    for (size_t i = 0; i < NFIELDS; i++)
        snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), ", %s", fields[i].key);
    return entry_error(st, "unknown key '%s'; allowed: %s", key, keys);
}

/* Index of field key (which exists). */
static size_t field_index(const char *key)
{
    size_t i = 0;
    while (i < NFIELDS - 1 && strcmp(fields[i].key, key) != 0)
        i++;
    return i;
}

/* "KEY = V" and where it came from: its line, or the base profile. */
static void describe(const struct ini_state *st, const struct rm_profile *p, const char *key,
                     char *buf, size_t size)
{
    size_t i = field_index(key);
    int n = snprintf(buf, size, "%s = %g", key, *field_ptr((struct rm_profile *)p, i));
    if (n < 0 || (size_t)n >= size)
        return;
    if (st->value_line[i])
        snprintf(buf + n, size - (size_t)n, " (line %d)", st->value_line[i]);
    else
        snprintf(buf + n, size - (size_t)n, " (base profile '%s')", st->base);
}

/* Fails on the line of a (or b when only b was set in the file). */
static int pair_error(const struct ini_state *st, const struct rm_profile *p, const char *a,
                      const char *b, const char *need)
{
    char da[128], db[128];
    describe(st, p, a, da, sizeof(da));
    describe(st, p, b, db, sizeof(db));
    int la = st->value_line[field_index(a)], lb = st->value_line[field_index(b)];
    int line = la ? la : lb ? lb : st->base_line ? st->base_line : 1;
    return rm_fail(RM_EFORMAT, "%s:%d: %s and %s; allowed: %s", st->path, line, da, db, need);
}

static int one_error(const struct ini_state *st, const char *key, const char *need)
{
    size_t i = field_index(key);
    int line = st->value_line[i] ? st->value_line[i] : st->base_line ? st->base_line : 1;
    return rm_fail(RM_EFORMAT, "%s:%d: %s = %g; allowed: %s", st->path, line, key, st->values[i],
                   need);
}

static int check_consistent(const struct ini_state *st, const struct rm_profile *p)
{
    if (p->speed_slow_max_mm_s <= 0)
        return one_error(st, "speed_slow_max_mm_s", "above 0");
    if (p->speed_fast_mm_s < p->speed_slow_max_mm_s)
        return pair_error(st, p, "speed_fast_mm_s", "speed_slow_max_mm_s",
                          "speed_slow_max_mm_s <= speed_fast_mm_s");
    if (p->pause_min_s <= 0)
        return one_error(st, "pause_min_s", "above 0");
    if (p->pause_speed_mm_s <= 0)
        return one_error(st, "pause_speed_mm_s", "above 0");
    if (p->pause_tolerance_mm <= 0)
        return one_error(st, "pause_tolerance_mm", "above 0");
    if (p->hold_min_s < p->pause_min_s)
        return pair_error(st, p, "hold_min_s", "pause_min_s", "hold_min_s >= pause_min_s");
    if (p->hold_target_max_s < p->hold_target_min_s)
        return pair_error(st, p, "hold_target_min_s", "hold_target_max_s",
                          "hold_target_min_s <= hold_target_max_s");
    if (p->pressure_max_kpa <= 0)
        return one_error(st, "pressure_max_kpa", "above 0");
    return 0;
}

/* The whole file in memory (it is small), refused when it is not text. */
static int read_text(const char *path, char **out, size_t *len)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rm_fail(RM_EUSAGE, "--profile %s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return rm_fail(RM_EUSAGE,
                       "--profile %s: not a regular file (a profile name or an INI file)", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return rm_fail(RM_EUSAGE, "--profile %s: %s", path, strerror(errno));
    char *buf = malloc(MAX_PROFILE_BYTES + 1); /* owned by the caller */
    size_t n = buf ? fread(buf, 1, MAX_PROFILE_BYTES + 1, f) : 0;
    bool bad = buf && ferror(f);
    fclose(f);
    if (!buf)
        return RM_ENOMEM;
    if (bad || n > MAX_PROFILE_BYTES) {
        free(buf);
        return bad ? rm_fail(RM_EIO, "%s: read failed", path)
                   : rm_fail(RM_EFORMAT, "%s:1: larger than %d bytes: not a profile", path,
                             MAX_PROFILE_BYTES);
    }
    buf[n] = '\0';
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        int line = 1;
        for (const char *c = buf; c < nul; c++)
            line += *c == '\n';
        free(buf);
        return rm_fail(RM_EFORMAT, "%s:%d: not a text line (NUL byte)", path, line);
    }
    *out = buf;
    *len = n;
    return 0;
}

static int load_file(const char *path, struct rm_profile *out)
{
    struct ini_state st;
    memset(&st, 0, sizeof(st));
    st.path = path;
    snprintf(st.base, sizeof(st.base), "default");
    char *text = NULL;
    size_t len = 0;
    int rc = read_text(path, &text, &len);
    if (rc)
        return rc;
    st.text = st.pos = text;
    st.end = text + len;
    int bad_line = ini_parse_stream(next_line, &st, on_entry, &st);
    free(text);
    if (bad_line < 0)
        return RM_ENOMEM;
    if (bad_line > 0 || st.error[0])
        return rm_fail(RM_EFORMAT, "%s:%d: %s", path, bad_line > 0 ? bad_line : st.line,
                       st.error[0] ? st.error : "not an INI line (key = value)");
    rm_profile_builtin(st.base, out); /* checked on its line */
    for (size_t i = 0; i < NFIELDS; i++)
        if (st.value_line[i])
            *field_ptr(out, i) = st.values[i];
    if (st.name[0]) {
        snprintf(out->name, sizeof(out->name), "%s", st.name);
    } else {
        /* The file's base name, so a document says which file judged it. */
        const char *slash = strrchr(path, '/');
        snprintf(out->name, sizeof(out->name), "%s", slash ? slash + 1 : path);
    }
    return check_consistent(&st, out);
}

int rm_profile_load(const char *name_or_path, struct rm_profile *out)
{
    if (rm_profile_builtin(name_or_path, out) == 0)
        return 0;
    if (access(name_or_path, F_OK) != 0)
        return rm_fail(RM_EUSAGE,
                       "--profile %s: neither a built-in profile (default, short, long) nor a file",
                       name_or_path);
    return load_file(name_or_path, out);
}

json_t *rm_profile_to_json(const struct rm_profile *p)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "name", rm_json_text(p->name));
    for (size_t i = 0; i < NFIELDS; i++) {
        double v = *(const double *)((const char *)p + fields[i].offset);
        /* Whole numbers print as integers, as in the spec's example. */
        if (v == floor(v) && fabs(v) < 1e15)
            json_object_set_new(o, fields[i].key, json_integer((json_int_t)v));
        else
            json_object_set_new(o, fields[i].key, json_real(v));
    }
    return o;
}
