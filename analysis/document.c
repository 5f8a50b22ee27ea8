/* Serializers of struct rm_analysis_result (rm_analysis.h): the JSON
 * document of analysis-output.md, the summary CSV and the text summary of
 * cli.md. Nothing here computes a figure. Every number is rounded to what
 * the measurement supports, the same way in all three (round_to), and the
 * document never holds NaN or infinity (null instead). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rm_analysis.h"
#include "rm_text.h"

/* Decimals of each kind of figure. */
#define DEC_TIME     2 /* s */
#define DEC_RATE     3 /* Hz of the recording */
#define DEC_MM       1 /* mm, mm/s, kPa, N, cm2 */
#define DEC_FRACTION 3 /* 0..1 */
#define DEC_CADENCE  4 /* Hz of the rhythm */

/* x rounded to dec decimals; NAN stays NAN. */
static double round_to(double x, int dec)
{
    if (!isfinite(x))
        return NAN;
    double scale = pow(10, dec);
    double v = round(x * scale) / scale;
    return v == 0 ? 0 : v; /* no "-0.0" */
}

/* A number rounded to dec decimals, or null when not finite. */
static json_t *jnum(double x, int dec)
{
    double v = round_to(x, dec);
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jscore(int score)
{
    return score == RM_SCORE_NONE ? json_null() : json_integer(score);
}

/* [row_mm, col_mm]. */
static json_t *jxy(const double xy[2])
{
    json_t *a = json_array();
    json_array_append_new(a, jnum(xy[0], DEC_MM));
    json_array_append_new(a, jnum(xy[1], DEC_MM));
    return a;
}

/* analysis-output.md "tool" and "axis": null without rolling. */
static json_t *jtool(const struct rm_segment *g)
{
    switch (g->tool) {
    case RM_TOOL_ROLLER:
        return json_string("roller");
    case RM_TOOL_BALL:
        return json_string("ball");
    default:
        return json_null();
    }
}

static json_t *jaxis(const struct rm_segment *g)
{
    if (g->tool == RM_TOOL_NONE)
        return json_null();
    return json_string(g->axis == RM_AXIS_ROWS ? "rows" : g->axis == RM_AXIS_COLS ? "cols" : "2d");
}

static json_t *pause_json(const struct rm_pause *p)
{
    json_t *po = json_object();
    json_object_set_new(po, "t_start", jnum(p->t_start, DEC_TIME));
    json_object_set_new(po, "t_end", jnum(p->t_end, DEC_TIME));
    json_object_set_new(po, "duration_s", jnum(p->duration_s, DEC_TIME));
    json_object_set_new(po, "position_mm", jnum(p->position_mm, DEC_MM));
    json_object_set_new(po, "position_xy_mm", jxy(p->position_xy_mm));
    json_object_set_new(po, "relative_position", jnum(p->relative_position, DEC_FRACTION));
    json_object_set_new(po, "hold", json_boolean(p->hold));
    json_object_set_new(po, "mean_force_n", jnum(p->mean_force_n, DEC_MM));
    json_object_set_new(po, "peak_pressure_kpa", jnum(p->peak_pressure_kpa, DEC_MM));
    json_object_set_new(po, "mean_pressure_kpa", jnum(p->mean_pressure_kpa, DEC_MM));
    return po;
}

static json_t *segment_json(const struct rm_segment *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "label", rm_json_text(g->label));
    json_object_set_new(o, "source", json_string(g->from_events ? "events" : "auto"));
    json_object_set_new(o, "t_start", jnum(g->t_start, DEC_TIME));
    json_object_set_new(o, "t_end", jnum(g->t_end, DEC_TIME));
    json_object_set_new(o, "loaded_s", jnum(g->loaded_s, DEC_TIME));
    json_object_set_new(o, "tool", jtool(g));
    json_object_set_new(o, "axis", jaxis(g));
    json_t *range = json_array();
    json_array_append_new(range, jnum(g->range_mm[0], DEC_MM));
    json_array_append_new(range, jnum(g->range_mm[1], DEC_MM));
    json_object_set_new(o, "range_mm", range);
    json_object_set_new(o, "coverage", jnum(g->coverage.fraction, DEC_FRACTION));

    const struct rm_rolling *ro = &g->rolling;
    json_t *rol = json_object();
    json_object_set_new(rol, "time_s", jnum(ro->time_s, DEC_TIME));
    json_object_set_new(rol, "path_mm", jnum(ro->path_mm, DEC_MM));
    json_object_set_new(rol, "speed_median_mm_s", jnum(ro->speed_median_mm_s, DEC_MM));
    json_object_set_new(rol, "speed_p90_mm_s", jnum(ro->speed_p90_mm_s, DEC_MM));
    json_object_set_new(rol, "fraction_slow", jnum(ro->fraction_slow, DEC_FRACTION));
    json_object_set_new(rol, "strokes", json_integer((json_int_t)g->nstrokes));
    json_object_set_new(rol, "cadence_hz", jnum(ro->cadence_hz, DEC_CADENCE));
    if (g->tool == RM_TOOL_NONE) {
        json_decref(rol);
        rol = json_null();
    }
    json_object_set_new(o, "rolling", rol);

    json_t *pauses = json_array();
    for (size_t k = 0; k < g->npauses; k++)
        json_array_append_new(pauses, pause_json(&g->pauses[k]));
    json_object_set_new(o, "pauses", pauses);

    const struct rm_seg_pressure *pr = &g->pressure;
    json_t *po = json_object();
    json_object_set_new(po, "mean_kpa", jnum(pr->mean_kpa, DEC_MM));
    json_object_set_new(po, "peak_kpa", jnum(pr->peak_kpa, DEC_MM));
    json_object_set_new(po, "mean_force_n", jnum(pr->mean_force_n, DEC_MM));
    json_object_set_new(po, "contact_area_cm2", jnum(pr->contact_area_cm2, DEC_MM));
    json_object_set_new(o, "pressure", po);

    json_t *others = json_array();
    for (size_t k = 0; k < g->nother_contacts; k++) {
        const struct rm_other_contact *c = &g->other_contacts[k];
        json_t *co = json_object();
        json_object_set_new(co, "t_start", jnum(c->t_start, DEC_TIME));
        json_object_set_new(co, "t_end", jnum(c->t_end, DEC_TIME));
        json_object_set_new(co, "position_xy_mm", jxy(c->position_xy_mm));
        json_object_set_new(co, "peak_kpa", jnum(c->peak_kpa, DEC_MM));
        json_array_append_new(others, co);
    }
    json_object_set_new(o, "other_contacts", others);

    json_t *sc = json_object();
    json_object_set_new(sc, "total", jscore(g->score.total));
    json_object_set_new(sc, "speed", jscore(g->score.speed));
    json_object_set_new(sc, "holds", jscore(g->score.holds));
    json_object_set_new(sc, "pressure", jscore(g->score.pressure));
    json_object_set_new(sc, "coverage", jscore(g->score.coverage));
    if (g->score.total == RM_SCORE_NONE) {
        json_decref(sc);
        sc = json_null();
    }
    json_object_set_new(o, "score", sc);

    json_t *advice = json_array();
    for (size_t k = 0; k < g->nadvice; k++)
        json_array_append_new(advice, rm_json_text(g->advice[k]));
    json_object_set_new(o, "advice", advice);
    return o;
}

json_t *rm_analysis_to_json(const struct rm_analysis_result *r)
{
    json_t *doc = json_object();
    json_t *arr = json_array();
    json_t *score = json_object();
    if (!doc || !arr || !score) {
        json_decref(doc);
        json_decref(arr);
        json_decref(score);
        return NULL;
    }
    json_object_set_new(doc, "rollmat_analysis_version", json_integer(r->version));
    json_object_set_new(doc, "recording", rm_json_text(r->recording));
    json_object_set_new(doc, "created_utc",
                        r->created_utc[0] ? rm_json_text(r->created_utc) : json_null());
    json_object_set_new(doc, "device_serial",
                        r->device_serial[0] ? rm_json_text(r->device_serial) : json_null());
    json_object_set_new(doc, "frames", json_integer(r->frames));
    json_object_set_new(doc, "duration_s", jnum(r->duration_s, DEC_TIME));
    json_object_set_new(doc, "rate_hz", jnum(r->mat.rate_hz, DEC_RATE));
    json_object_set_new(doc, "frames_dropped", json_integer(r->frames_dropped));
    json_object_set_new(doc, "calibrated", json_boolean(r->calibrated));
    json_object_set_new(doc, "profile", rm_profile_to_json(&r->profile));
    for (size_t i = 0; i < r->nsegments; i++)
        json_array_append_new(arr, segment_json(&r->segments[i]));
    json_object_set_new(doc, "segments", arr);
    json_object_set_new(score, "total", jscore(r->score_total));
    json_object_set_new(doc, "score", score);
    return doc;
}

/* ---- summary CSV ---------------------------------------------------------- */

/* A number as the CSV has it: rounded as in the document, empty when null. */
static void csv_num(FILE *f, double x, int dec)
{
    double v = round_to(x, dec);
    if (isfinite(v))
        fprintf(f, ",%.10g", v);
    else
        fputc(',', f);
}

static void csv_int(FILE *f, long long v, bool null)
{
    if (null)
        fputc(',', f);
    else
        fprintf(f, ",%lld", v);
}

/* A label or path as one CSV field (quoted when it needs to be). */
static void csv_text(FILE *f, const char *s, bool first)
{
    if (!first)
        fputc(',', f);
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static size_t holds(const struct rm_segment *g)
{
    size_t n = 0;
    for (size_t k = 0; k < g->npauses; k++)
        n += g->pauses[k].hold;
    return n;
}

/* The columns of summary.csv: the original ones first (scripts that read
 * them by position keep working), then those issue 13 added. */
static const char summary_columns[] =
    "recording,label,source,t_start,t_end,loaded_s,range_start_mm,range_end_mm,"
    "coverage,rolling_s,speed_median_mm_s,speed_p90_mm_s,fraction_slow,strokes,"
    "cadence_hz,pauses,holds,mean_kpa,peak_kpa,mean_force_n,score_total,score_speed,"
    "score_holds,score_pressure,score_coverage,session_score,"
    "created_utc,device_serial,calibrated,profile,frames_dropped,tool,axis,error";

void rm_analysis_csv_header(FILE *f)
{
    fprintf(f, "%s\n", summary_columns);
}

static const char *tool_name(enum rm_tool t)
{
    return t == RM_TOOL_ROLLER ? "roller" : t == RM_TOOL_BALL ? "ball" : "";
}

static const char *axis_name(enum rm_axis a)
{
    return a == RM_AXIS_ROWS ? "rows" : a == RM_AXIS_COLS ? "cols" : "2d";
}

void rm_analysis_csv_rows(FILE *f, const char *recording, const struct rm_analysis_result *r)
{
    for (size_t i = 0; i < r->nsegments; i++) {
        const struct rm_segment *g = &r->segments[i];
        csv_text(f, recording, true);
        csv_text(f, g->label, false);
        csv_text(f, g->from_events ? "events" : "auto", false);
        csv_num(f, g->t_start, DEC_TIME);
        csv_num(f, g->t_end, DEC_TIME);
        csv_num(f, g->loaded_s, DEC_TIME);
        csv_num(f, g->range_mm[0], DEC_MM);
        csv_num(f, g->range_mm[1], DEC_MM);
        csv_num(f, g->coverage.fraction, DEC_FRACTION);
        csv_num(f, g->rolling.time_s, DEC_TIME);
        csv_num(f, g->rolling.speed_median_mm_s, DEC_MM);
        csv_num(f, g->rolling.speed_p90_mm_s, DEC_MM);
        csv_num(f, g->rolling.fraction_slow, DEC_FRACTION);
        csv_int(f, (long long)g->nstrokes, false);
        csv_num(f, g->rolling.cadence_hz, DEC_CADENCE);
        fprintf(f, ",%zu,%zu", g->npauses, holds(g));
        csv_num(f, g->pressure.mean_kpa, DEC_MM);
        csv_num(f, g->pressure.peak_kpa, DEC_MM);
        csv_num(f, g->pressure.mean_force_n, DEC_MM);
        csv_int(f, g->score.total, g->score.total == RM_SCORE_NONE);
        csv_int(f, g->score.speed, g->score.speed == RM_SCORE_NONE);
        csv_int(f, g->score.holds, g->score.holds == RM_SCORE_NONE);
        csv_int(f, g->score.pressure, g->score.pressure == RM_SCORE_NONE);
        csv_int(f, g->score.coverage, g->score.coverage == RM_SCORE_NONE);
        csv_int(f, r->score_total, r->score_total == RM_SCORE_NONE);
        csv_text(f, r->created_utc, false);
        csv_text(f, r->device_serial, false);
        csv_text(f, r->calibrated ? "true" : "false", false);
        csv_text(f, r->profile.name, false);
        csv_int(f, r->frames_dropped, false);
        /* Version 1 has no tool or axis (always a roller along the rows):
         * left empty rather than claimed found from the data. */
        csv_text(f, r->version >= 2 ? tool_name(g->tool) : "", false);
        csv_text(f, r->version >= 2 && g->tool != RM_TOOL_NONE ? axis_name(g->axis) : "", false);
        fputs(",\n", f); /* no error */
    }
}

void rm_analysis_csv_error_row(FILE *f, const char *recording, const char *error)
{
    csv_text(f, recording, true);
    for (const char *c = strchr(summary_columns, ','); c; c = strchr(c + 1, ','))
        if (strchr(c + 1, ','))
            fputc(',', f);
    csv_text(f, error, false);
    fputc('\n', f);
}

void rm_analysis_holds_header(FILE *f)
{
    fprintf(f, "recording,muscle,t_start,duration_s,position_mm,relative_position,"
               "mean_force_n,peak_kpa,mean_kpa\n");
}

void rm_analysis_holds_rows(FILE *f, const char *recording, const struct rm_analysis_result *r)
{
    for (size_t i = 0; i < r->nsegments; i++) {
        const struct rm_segment *g = &r->segments[i];
        for (size_t k = 0; k < g->npauses; k++) {
            const struct rm_pause *p = &g->pauses[k];
            if (!p->hold)
                continue;
            csv_text(f, recording, true);
            csv_text(f, g->label, false);
            csv_num(f, p->t_start, DEC_TIME);
            csv_num(f, p->duration_s, DEC_TIME);
            csv_num(f, p->position_mm, DEC_MM);
            csv_num(f, p->relative_position, DEC_FRACTION);
            csv_num(f, p->mean_force_n, DEC_MM);
            csv_num(f, p->peak_pressure_kpa, DEC_MM);
            csv_num(f, p->mean_pressure_kpa, DEC_MM);
            fputc('\n', f);
        }
    }
}

/* ---- text summary --------------------------------------------------------- */

void rm_analysis_print_summary(FILE *out, const struct rm_analysis_result *r)
{
    fprintf(out, "%s: %.1f s, %zu segment%s, ", r->recording, round_to(r->duration_s, DEC_TIME),
            r->nsegments, r->nsegments == 1 ? "" : "s");
    if (r->score_total != RM_SCORE_NONE)
        fprintf(out, "score %d", r->score_total);
    else if (r->nsegments == 0)
        fprintf(out, "no score (never loaded)");
    else
        fprintf(out, "no score (no rolling)");
    fprintf(out, " (profile %s%s)\n", r->profile.name, r->calibrated ? "" : ", uncalibrated");
    for (size_t i = 0; i < r->nsegments; i++) {
        const struct rm_segment *g = &r->segments[i];
        fprintf(out, "  %-18s %7.1f-%7.1f s  ", g->label, round_to(g->t_start, DEC_TIME),
                round_to(g->t_end, DEC_TIME));
        if (g->tool == RM_TOOL_NONE) {
            fprintf(out, "no rolling, not judged");
            if (g->nother_contacts)
                fprintf(out, "  other contacts %zu", g->nother_contacts);
            fputc('\n', out);
            for (size_t k = 0; k < g->nadvice; k++)
                fprintf(out, "      - %s\n", g->advice[k]);
            continue;
        }
        fprintf(out, "%s%s  score %3d  speed ", g->tool == RM_TOOL_BALL ? "ball" : "roller",
                g->tool == RM_TOOL_BALL   ? "      "
                : g->axis == RM_AXIS_COLS ? " (cols)"
                                          : " (rows)",
                g->score.total);
        double med = round_to(g->rolling.speed_median_mm_s, DEC_MM);
        if (isfinite(med))
            fprintf(out, "%.0f mm/s", med);
        else
            fprintf(out, "-");
        fprintf(out, "  pauses %zu  holds %zu", g->npauses, holds(g));
        if (g->nother_contacts)
            fprintf(out, "  other contacts %zu", g->nother_contacts);
        fputc('\n', out);
        for (size_t k = 0; k < g->nadvice; k++)
            fprintf(out, "      - %s\n", g->advice[k]);
    }
}
