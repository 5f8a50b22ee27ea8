/* The typed loader of the analysis document (rm_analysis.h,
 * rm_analysis_from_json): the inverse of rm_analysis_to_json in
 * document.c. A batch folder's results are read back into struct
 * rm_analysis_result and written with the one CSV writer, so that a table
 * built later from the files (`rollmat summary`) is byte for byte the one
 * a run writes. Figures the document does not carry (strokes' detail, the
 * trace, the calibration, coverage's reference) are left empty.
 *
 * The files come from disk: every value is checked for its type, and a
 * wrong one is RM_EFORMAT naming the file and the field. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_analysis.h"
#include "rm_error.h"

struct loader {
    const char *file;
    char where[128]; /* the field being read, for messages */
    int rc;
};

static void bad(struct loader *ld, const char *key, const char *what)
{
    if (ld->rc == 0)
        ld->rc = rm_fail(RM_EFORMAT, "%s:%s%s%s: %s", ld->file, ld->where,
                         ld->where[0] && key ? "." : "", key ? key : "", what);
}

/* A number, or NAN for null or a missing key. */
static double num(struct loader *ld, json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return NAN;
    if (!json_is_number(v))
        bad(ld, key, "not a number");
    return json_number_value(v);
}

static long long whole(struct loader *ld, json_t *o, const char *key, long long none)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return none;
    if (!json_is_integer(v)) {
        bad(ld, key, "not a whole number");
        return none;
    }
    return json_integer_value(v);
}

static int score(struct loader *ld, json_t *o, const char *key)
{
    long long v = whole(ld, o, key, RM_SCORE_NONE);
    if (v != RM_SCORE_NONE && (v < 0 || v > 100))
        bad(ld, key, "not a score 0..100");
    return (int)v;
}

/* A string into a fixed buffer ("" when missing; required: an error). */
static void text(struct loader *ld, json_t *o, const char *key, char *out, size_t len,
                 bool required)
{
    json_t *v = json_object_get(o, key);
    out[0] = 0;
    if (!v || json_is_null(v)) {
        if (required)
            bad(ld, key, "missing");
        return;
    }
    if (!json_is_string(v)) {
        bad(ld, key, "not a string");
        return;
    }
    snprintf(out, len, "%s", json_string_value(v));
}

static json_t *array(struct loader *ld, json_t *o, const char *key, bool required)
{
    json_t *v = json_object_get(o, key);
    if ((!v || json_is_null(v)) && !required)
        return NULL;
    if (!json_is_array(v))
        bad(ld, key, required && !v ? "missing" : "not an array");
    return json_is_array(v) ? v : NULL;
}

static json_t *object(struct loader *ld, json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (v && !json_is_null(v) && !json_is_object(v))
        bad(ld, key, "not an object");
    return json_is_object(v) ? v : NULL;
}

static void where(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void where(struct loader *ld, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->where, sizeof(ld->where), fmt, ap);
    va_end(ap);
}

/* [a, b] of numbers (or nulls) into out[2]. */
static void pair(struct loader *ld, json_t *o, const char *key, double out[2])
{
    out[0] = out[1] = NAN;
    json_t *a = array(ld, o, key, false);
    if (!a)
        return;
    if (json_array_size(a) != 2) {
        bad(ld, key, "not a pair");
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_array_get(a, i);
        if (json_is_number(v))
            out[i] = json_number_value(v);
        else if (!json_is_null(v))
            bad(ld, key, "not a pair of numbers");
    }
}

static void load_pause(struct loader *ld, json_t *o, struct rm_pause *p)
{
    p->t_start = num(ld, o, "t_start");
    p->t_end = num(ld, o, "t_end");
    p->duration_s = num(ld, o, "duration_s");
    p->position_mm = num(ld, o, "position_mm");
    pair(ld, o, "position_xy_mm", p->position_xy_mm);
    p->relative_position = num(ld, o, "relative_position");
    p->hold = json_is_true(json_object_get(o, "hold"));
    p->mean_force_n = num(ld, o, "mean_force_n");
    p->peak_pressure_kpa = num(ld, o, "peak_pressure_kpa");
    p->mean_pressure_kpa = num(ld, o, "mean_pressure_kpa");
}

static const char *const tool_names[] = {[RM_TOOL_ROLLER] = "roller", [RM_TOOL_BALL] = "ball"};
static const char *const axis_names[] = {
    [RM_AXIS_ROWS] = "rows", [RM_AXIS_COLS] = "cols", [RM_AXIS_2D] = "2d"};

/* The index of v's string in names[0..n), or none for null/missing. */
static int named(struct loader *ld, json_t *o, const char *key, const char *const *names, int n,
                 int none)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return none;
    for (int i = 0; i < n; i++)
        if (names[i] && json_is_string(v) && strcmp(json_string_value(v), names[i]) == 0)
            return i;
    bad(ld, key, "not a known value");
    return none;
}

static int load_segment(struct loader *ld, json_t *o, int version, struct rm_segment *g)
{
    if (!json_is_object(o)) {
        bad(ld, NULL, "not an object");
        return ld->rc;
    }
    text(ld, o, "label", g->label, sizeof(g->label), true);
    char source[16];
    text(ld, o, "source", source, sizeof(source), true);
    if (ld->rc == 0 && strcmp(source, "events") != 0 && strcmp(source, "auto") != 0)
        bad(ld, "source", "neither \"events\" nor \"auto\"");
    g->from_events = strcmp(source, "events") == 0;
    if (version >= 2) {
        g->tool = (enum rm_tool)named(ld, o, "tool", tool_names, 2, RM_TOOL_NONE);
        g->axis = (enum rm_axis)named(ld, o, "axis", axis_names, 3, RM_AXIS_ROWS);
    }
    g->t_start = num(ld, o, "t_start");
    g->t_end = num(ld, o, "t_end");
    g->loaded_s = num(ld, o, "loaded_s");
    pair(ld, o, "range_mm", g->range_mm);
    g->coverage.fraction = num(ld, o, "coverage");

    json_t *rol = object(ld, o, "rolling");
    g->rolling.time_s = num(ld, rol, "time_s");
    g->rolling.path_mm = num(ld, rol, "path_mm");
    g->rolling.speed_median_mm_s = num(ld, rol, "speed_median_mm_s");
    g->rolling.speed_p90_mm_s = num(ld, rol, "speed_p90_mm_s");
    g->rolling.fraction_slow = num(ld, rol, "fraction_slow");
    g->rolling.fraction_fast = NAN; /* not in the document */
    g->rolling.cadence_hz = num(ld, rol, "cadence_hz");
    long long strokes = whole(ld, rol, "strokes", 0);
    g->nstrokes = strokes > 0 ? (size_t)strokes : 0;

    json_t *pauses = array(ld, o, "pauses", false);
    g->npauses = json_array_size(pauses);
    if (g->npauses && !(g->pauses = calloc(g->npauses, sizeof(*g->pauses))))
        return RM_ENOMEM;
    for (size_t k = 0; k < g->npauses && ld->rc == 0; k++) {
        json_t *p = json_array_get(pauses, k);
        if (!json_is_object(p))
            bad(ld, "pauses", "holds something that is not an object");
        else
            load_pause(ld, p, &g->pauses[k]);
    }

    json_t *pr = object(ld, o, "pressure");
    g->pressure.mean_kpa = num(ld, pr, "mean_kpa");
    g->pressure.peak_kpa = num(ld, pr, "peak_kpa");
    g->pressure.mean_force_n = num(ld, pr, "mean_force_n");
    g->pressure.contact_area_cm2 = num(ld, pr, "contact_area_cm2");
    g->pressure.over_limit_s = g->pressure.over_limit_kpa = NAN;

    json_t *sc = object(ld, o, "score");
    g->score.total = score(ld, sc, "total");
    g->score.speed = score(ld, sc, "speed");
    g->score.holds = score(ld, sc, "holds");
    g->score.pressure = score(ld, sc, "pressure");
    g->score.coverage = score(ld, sc, "coverage");

    json_t *advice = array(ld, o, "advice", false);
    size_t na = json_array_size(advice);
    if (na && !(g->advice = calloc(na, sizeof(*g->advice))))
        return RM_ENOMEM;
    for (size_t k = 0; k < na && ld->rc == 0; k++) {
        const char *s = json_string_value(json_array_get(advice, k));
        if (!s)
            bad(ld, "advice", "holds something that is not a string");
        else if (!(g->advice[g->nadvice++] = strdup(s)))
            return RM_ENOMEM;
    }
    return ld->rc;
}

static void load_profile(struct loader *ld, json_t *o, struct rm_profile *p)
{
    rm_profile_builtin("default", p);
    if (!o)
        return;
    text(ld, o, "name", p->name, sizeof(p->name), false);
    p->speed_slow_max_mm_s = num(ld, o, "speed_slow_max_mm_s");
    p->speed_fast_mm_s = num(ld, o, "speed_fast_mm_s");
    p->pause_min_s = num(ld, o, "pause_min_s");
    p->pause_speed_mm_s = num(ld, o, "pause_speed_mm_s");
    p->pause_tolerance_mm = num(ld, o, "pause_tolerance_mm");
    p->hold_min_s = num(ld, o, "hold_min_s");
    p->hold_target_min_s = num(ld, o, "hold_target_min_s");
    p->hold_target_max_s = num(ld, o, "hold_target_max_s");
    p->pressure_max_kpa = num(ld, o, "pressure_max_kpa");
}

int rm_analysis_from_json(const char *file, json_t *doc, struct rm_analysis_result **out)
{
    *out = NULL;
    struct loader ld = {.file = file};
    if (!json_is_object(doc))
        return rm_fail(RM_EFORMAT, "%s: not an analysis document (a JSON object)", file);
    struct rm_analysis_result *r = calloc(1, sizeof(*r));
    if (!r)
        return RM_ENOMEM;
    r->version = (int)whole(&ld, doc, "rollmat_analysis_version", 0);
    if (ld.rc == 0 && (r->version < 1 || r->version > 2))
        bad(&ld, "rollmat_analysis_version", "not a version this rollmat reads (1 or 2)");
    const char *rec = json_string_value(json_object_get(doc, "recording"));
    if (!rec)
        bad(&ld, "recording", "missing");
    else if (!(r->recording = strdup(rec)))
        ld.rc = RM_ENOMEM;
    text(&ld, doc, "created_utc", r->created_utc, sizeof(r->created_utc), false);
    text(&ld, doc, "device_serial", r->device_serial, sizeof(r->device_serial), false);
    r->frames = whole(&ld, doc, "frames", 0);
    r->duration_s = num(&ld, doc, "duration_s");
    r->mat.rate_hz = num(&ld, doc, "rate_hz");
    r->frames_dropped = whole(&ld, doc, "frames_dropped", 0);
    r->calibrated = json_is_true(json_object_get(doc, "calibrated"));
    load_profile(&ld, object(&ld, doc, "profile"), &r->profile);
    r->score_total = score(&ld, object(&ld, doc, "score"), "total");

    json_t *segs = array(&ld, doc, "segments", true);
    size_t n = json_array_size(segs);
    if (ld.rc == 0 && n && !(r->segments = calloc(n, sizeof(*r->segments))))
        ld.rc = RM_ENOMEM;
    for (size_t i = 0; i < n && ld.rc == 0; i++) {
        where(&ld, "segments[%zu]", i);
        r->nsegments++;
        int rc = load_segment(&ld, json_array_get(segs, i), r->version, &r->segments[i]);
        if (rc != 0 && ld.rc == 0)
            ld.rc = rc;
    }
    if (ld.rc != 0) {
        rm_analysis_result_free(r);
        return ld.rc;
    }
    *out = r;
    return 0;
}

int rm_analysis_load(const char *path, struct rm_analysis_result **out)
{
    *out = NULL;
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    if (!doc)
        return rm_fail(RM_EFORMAT, "%s:%d: %s", path, err.line, err.text);
    int rc = rm_analysis_from_json(path, doc, out);
    json_decref(doc);
    return rc;
}
