/* Guidance profiles: the three built in (analysis-output.md, "Guidance
 * profiles"; docs/scoring.md cites where each value comes from) and INI
 * files that override any value. */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "an_internal.h"
#include "rm_analysis.h"
#include "rm_error.h"
#include "rm_text.h"

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
};

#define FIELD(k)                                                                                   \
    {                                                                                              \
#k, offsetof(struct rm_profile, k)                                                         \
    }
static const struct field fields[] = {
    FIELD(speed_slow_max_mm_s), FIELD(speed_fast_mm_s),    FIELD(pause_min_s),
    FIELD(pause_speed_mm_s),    FIELD(pause_tolerance_mm), FIELD(hold_min_s),
    FIELD(hold_target_min_s),   FIELD(hold_target_max_s),  FIELD(pressure_max_kpa),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static double *field_ptr(struct rm_profile *p, size_t i)
{
    return (double *)((char *)p + fields[i].offset);
}

/* INI parsing state: values seen (applied over `base` at the end, so that
 * `base` may come anywhere in the file) and the first error. */
struct ini_state {
    const char *path;
    char base[RM_PROFILE_NAME_LEN];
    char name[RM_PROFILE_NAME_LEN];
    double values[NFIELDS];
    int value_line[NFIELDS]; /* 0: not set */
    char error[256];
};

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    struct ini_state *st = user;
    if (section[0] && strcmp(section, "profile") != 0) {
        snprintf(st->error, sizeof(st->error), "unknown section [%s]", section);
        return 0;
    }
    if (strcmp(key, "name") == 0 || strcmp(key, "base") == 0) {
        char *dst = key[0] == 'n' ? st->name : st->base;
        if (!value[0] || strlen(value) >= RM_PROFILE_NAME_LEN) {
            snprintf(st->error, sizeof(st->error), "%s: empty or longer than %d characters", key,
                     RM_PROFILE_NAME_LEN - 1);
            return 0;
        }
        snprintf(dst, RM_PROFILE_NAME_LEN, "%s", value);
        return 1;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        if (strcmp(key, fields[i].key) != 0)
            continue;
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno || !isfinite(v) || v < 0) {
            snprintf(st->error, sizeof(st->error), "%s: '%s' is not a number >= 0", key, value);
            return 0;
        }
        st->values[i] = v;
        st->value_line[i] = 1;
        return 1;
    }
    snprintf(st->error, sizeof(st->error), "unknown key '%s'", key);
    return 0;
}

static int check_consistent(const struct rm_profile *p, char *err, size_t len)
{
    if (p->speed_slow_max_mm_s <= 0 || p->speed_fast_mm_s < p->speed_slow_max_mm_s)
        return snprintf(err, len, "need 0 < speed_slow_max_mm_s <= speed_fast_mm_s"), -1;
    if (p->pause_min_s <= 0 || p->pause_speed_mm_s <= 0 || p->pause_tolerance_mm <= 0)
        return snprintf(err, len, "pause_min_s, pause_speed_mm_s, pause_tolerance_mm must be > 0"),
               -1;
    if (p->hold_min_s < p->pause_min_s)
        return snprintf(err, len, "hold_min_s must be >= pause_min_s"), -1;
    if (p->hold_target_max_s < p->hold_target_min_s)
        return snprintf(err, len, "hold_target_min_s > hold_target_max_s"), -1;
    if (p->pressure_max_kpa <= 0)
        return snprintf(err, len, "pressure_max_kpa must be > 0"), -1;
    return 0;
}

static int load_file(const char *path, struct rm_profile *out)
{
    struct ini_state st;
    memset(&st, 0, sizeof(st));
    st.path = path;
    snprintf(st.base, sizeof(st.base), "default");
    int rc = ini_parse(path, on_entry, &st);
    if (rc < 0)
        return rm_fail(RM_EUSAGE, "%s: cannot read profile: %s", path,
                       rc == -1 ? strerror(errno) : "out of memory");
    if (rc > 0)
        return rm_fail(RM_EFORMAT, "%s:%d: %s", path, rc,
                       st.error[0] ? st.error : "not an INI line (key = value)");
    if (rm_profile_builtin(st.base, out) != 0)
        return rm_fail(RM_EFORMAT, "%s:base: unknown built-in profile '%s'", path, st.base);
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
    char err[160];
    if (check_consistent(out, err, sizeof(err)) != 0)
        return rm_fail(RM_EFORMAT, "%s: %s", path, err);
    return 0;
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
