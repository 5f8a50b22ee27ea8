/* One segment's pictures: its heatmaps (the mat seen from above), its
 * force/pressure curves and its timeline, each a variables file for its
 * gnuplot script (scripts/plot-*.gp) over the data files plot_run.c wrote.
 * Besides the tool's holds and pauses, every picture shows what the
 * analysis found about the segment itself: which way the mat was rolled
 * (the roll axis, or a ball's 2-D path), whether it was judged at all, and
 * the other contacts (a hand or a knee put down), which are not judged. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_recording.h"

#define LOG_PREFIX "plot"

#define HEATMAP_W  1200
#define SERIES_H   820
#define TIMELINE_W 1400
#define TIMELINE_H 900

const char *rm_plot_axis_name(const struct rm_segment *s)
{
    if (s->tool == RM_TOOL_NONE)
        return "none";
    if (s->tool == RM_TOOL_BALL || s->axis == RM_AXIS_2D)
        return "2d";
    return s->axis == RM_AXIS_COLS ? "cols" : "rows";
}

/* Arrays of one field of n structs for a script (pause_t0, other_row ...),
 * through one scratch array. */
struct field_writer {
    FILE *f;
    const char *items; /* the first struct, or NULL when n = 0 */
    size_t n, size;    /* how many structs, and the size of one */
    double *v;         /* n values, owned */
};

/* Writes count_name = n and readies the arrays; without memory the count is
 * 0: the picture is still right without the marks, and says so. */
static void field_writer_open(struct field_writer *w, FILE *f, const void *items, size_t n,
                              size_t size, const char *count_name)
{
    *w = (struct field_writer){.f = f, .items = items, .n = n, .size = size};
    w->v = calloc(n ? n : 1, sizeof(double));
    if (!w->v) {
        rm_warn("out of memory: %s not marked", count_name);
        w->n = 0;
    }
    rm_gp_int(f, count_name, (long)w->n);
}

/* NAME = the double at `offset` in each struct. */
static void write_field(struct field_writer *w, const char *name, size_t offset)
{
    for (size_t k = 0; k < w->n; k++)
        memcpy(&w->v[k], w->items + k * w->size + offset, sizeof(double));
    rm_gp_num_array(w->f, name, w->v, w->n);
}

void rm_plot_write_other_contacts(FILE *f, const struct rm_segment *s, bool with_place,
                                  const char *prefix)
{
    struct field_writer w;
    char name[64];
#define NAME(n) (snprintf(name, sizeof(name), "%s%s", prefix, n), name)
    field_writer_open(&w, f, s->other_contacts, s->nother_contacts, sizeof(*s->other_contacts),
                      NAME("n_other"));
    write_field(&w, NAME("other_t0"), offsetof(struct rm_other_contact, t_start));
    write_field(&w, NAME("other_t1"), offsetof(struct rm_other_contact, t_end));
    if (with_place) {
        write_field(&w, NAME("other_row"), offsetof(struct rm_other_contact, position_xy_mm[0]));
        write_field(&w, NAME("other_col"), offsetof(struct rm_other_contact, position_xy_mm[1]));
        write_field(&w, NAME("other_peak"), offsetof(struct rm_other_contact, peak_kpa));
    }
#undef NAME
    free(w.v);
}

static void segment_titles(const struct rm_plot_run *run, const struct rm_segment *s, char *title,
                           size_t tsize, char *subtitle, size_t ssize)
{
    size_t nholds = 0;
    for (size_t k = 0; k < s->npauses; k++)
        nholds += s->pauses[k].hold;
    /* No rolling at all (standing, walking, a press) is described, not
     * judged; a rolled segment without a score says only that. */
    char score[32] = "no score";
    if (s->tool == RM_TOOL_NONE)
        snprintf(score, sizeof(score), "not judged (no rolling)");
    else if (s->score.total != RM_SCORE_NONE)
        snprintf(score, sizeof(score), "score %d", s->score.total);
    snprintf(title, tsize, "%s · %s · %s%s", s->label, score,
             s->tool == RM_TOOL_BALL   ? "ball"
             : s->tool == RM_TOOL_NONE ? "no tool"
             : s->axis == RM_AXIS_COLS ? "roller along the columns"
                                       : "roller along the rows",
             run->cal ? "" : " · UNCALIBRATED (raw counts)");
    char speed[64] = "";
    if (isfinite(s->rolling.speed_median_mm_s))
        snprintf(speed, sizeof(speed), " · median speed %.0f mm/s", s->rolling.speed_median_mm_s);
    snprintf(subtitle, ssize, "%.1f–%.1f s · %.0f s loaded · %zu hold%s%s", s->t_start, s->t_end,
             s->loaded_s, nholds, nholds == 1 ? "" : "s", speed);
}

static void write_pauses(FILE *f, const struct rm_segment *s, bool with_times)
{
    struct field_writer w;
    field_writer_open(&w, f, s->pauses, s->npauses, sizeof(*s->pauses), "n_pauses");
    write_field(&w, "pause_pos", offsetof(struct rm_pause, position_mm));
    write_field(&w, "pause_dur", offsetof(struct rm_pause, duration_s));
    for (size_t k = 0; k < w.n; k++)
        w.v[k] = s->pauses[k].hold ? 1.0 : 0.0;
    rm_gp_num_array(f, "pause_hold", w.v, w.n);
    write_field(&w, "pause_row", offsetof(struct rm_pause, position_xy_mm[0]));
    write_field(&w, "pause_col", offsetof(struct rm_pause, position_xy_mm[1]));
    if (with_times) {
        write_field(&w, "pause_t0", offsetof(struct rm_pause, t_start));
        write_field(&w, "pause_t1", offsetof(struct rm_pause, t_end));
    }
    free(w.v);
}

/* The heatmap's layout. The panels' widths are fractions of the canvas
 * width (plot-heatmap.gp: 0.295 each side by side, 0.76 one above the
 * other); the room the titles and axis labels need is fixed in pixels,
 * whatever the canvas height: a fraction of a short canvas would cut the
 * axis label off, and one of a canvas of stacked panels would run a panel's
 * title into the picture's. */
#define HEATMAP_TOP_PX    170 /* title, subtitle and the panel's title */
#define HEATMAP_BOTTOM_PX 85  /* tick labels and the axis label */
#define STACKED_TOP_PX    145 /* title, subtitle and the upper panel's title */
#define STACKED_GAP_PX    165 /* the upper panel's tick and axis labels, the lower's title */

struct heatmap_layout {
    bool stacked; /* a mat wider than long: panels one above the other */
    int height, top_px, bottom_px, gap_px;
};

/* The canvas height for the mat's shape, so that the mat fills its cell
 * instead of floating in white space. */
static void heatmap_layout(const struct rm_analysis_result *r, struct heatmap_layout *l)
{
    double aspect = (r->mat.rows * r->mat.pitch_row_mm) / (r->mat.cols * r->mat.pitch_col_mm);
    l->stacked = aspect < 1.0;
    l->bottom_px = HEATMAP_BOTTOM_PX;
    double h;
    if (l->stacked) {
        l->top_px = STACKED_TOP_PX;
        l->gap_px = STACKED_GAP_PX;
        h = l->top_px + l->gap_px + l->bottom_px + 2 * 0.76 * HEATMAP_W * aspect;
    } else {
        l->top_px = HEATMAP_TOP_PX;
        l->gap_px = 0;
        h = l->top_px + l->bottom_px + 0.295 * HEATMAP_W * aspect;
    }
    l->height = h < 600 ? 600 : h > 2000 ? 2000 : (int)lround(h);
}

/* Dead sensels read nothing: the heatmap marks them so that a white spot
 * is not mistaken for a spot the roller never touched. */
static void write_dead(FILE *f, const struct rm_plot_run *run, bool technical)
{
    const struct rm_calibration *cal = technical ? run->cal : NULL;
    size_t cells = cal ? (size_t)cal->rows * (size_t)cal->cols : 0;
    size_t n = 0;
    for (size_t i = 0; i < cells; i++)
        n += cal->dead[i] != 0;
    double *x = calloc(n ? n : 1, sizeof(double));
    double *y = calloc(n ? n : 1, sizeof(double));
    if (!x || !y)
        n = 0; /* the picture is still right without the marks */
    size_t k = 0;
    for (size_t i = 0; i < cells && k < n; i++) {
        if (!cal->dead[i])
            continue;
        y[k] = (double)(i / (size_t)cal->cols) * run->result->mat.pitch_row_mm;
        x[k] = (double)(i % (size_t)cal->cols) * run->result->mat.pitch_col_mm;
        k++;
    }
    rm_gp_int(f, "n_dead", (long)n);
    rm_gp_num_array(f, "dead_x", x, n);
    rm_gp_num_array(f, "dead_y", y, n);
    free(x);
    free(y);
}

/* The user's `mark` events within the segment (a note such as "felt
 * tight" pressed during the session): the timeline shows them where they
 * happened. */
static void write_marks(FILE *f, const struct rm_plot_run *run, double t0, double t1)
{
    size_t nev = rm_rec_nevents(run->reader);
    const struct rm_event *ev = rm_rec_events(run->reader);
    const char **text = calloc(nev ? nev : 1, sizeof(*text)); /* borrowed strings */
    double *t = calloc(nev ? nev : 1, sizeof(double));
    size_t n = 0;
    for (size_t i = 0; text && t && i < nev; i++) {
        if (strcmp(ev[i].kind, "mark") != 0 || ev[i].t < t0 || ev[i].t > t1)
            continue;
        t[n] = ev[i].t;
        text[n] = ev[i].label;
        n++;
    }
    rm_gp_int(f, "n_marks", (long)n);
    rm_gp_num_array(f, "mark_t", t, n);
    rm_gp_str_array(f, "mark_text", text, n);
    free(text);
    free(t);
}

static size_t count_dead(const struct rm_plot_run *run)
{
    const struct rm_calibration *cal = run->cal;
    size_t cells = cal ? (size_t)cal->rows * (size_t)cal->cols : 0, n = 0;
    for (size_t i = 0; i < cells; i++)
        n += cal->dead[i] != 0;
    return n;
}

/* Prepares the variables file tmpdir/vars-NAME.gp for the picture
 * out_dir/NAME and opens it with the common head. */
static FILE *begin_picture(struct rm_plot_run *run, const char *picture, int width, int height,
                           const char *title, const char *subtitle, char *vars_path,
                           size_t vars_size, char *final, size_t final_size)
{
    char name[512];
    snprintf(name, sizeof(name), "vars-%s.gp", picture);
    if (rm_plot_join(vars_path, vars_size, run->tmpdir, name) ||
        rm_plot_join(final, final_size, run->opts->out_dir, picture) ||
        rm_plot_set_partial(run, picture))
        return NULL;
    return rm_plot_open_vars(run, vars_path, run->partial, width, height, title, subtitle);
}

/* One heatmap of a segment into out_dir/picture; `technical`: with the
 * dead-sensel marks a clinician wants and a runner does not. */
static int draw_heatmap(struct rm_plot_run *run, size_t index, const struct rm_plot_seg_data *sd,
                        const struct rm_plot_seg_data *scale, const char *picture, bool technical)
{
    const struct rm_analysis_result *r = run->result;
    const struct rm_segment *s = &r->segments[index];
    bool calibrated = run->cal != NULL;
    char above_path[4096], peak_path[4096], cop_path[4096], vars_path[4096], final[4096];
    char what[256], title[256], subtitle[256], above_title[128], limit_note[160];
    int rc;
    if ((rc = rm_plot_data_path(run, sd->stem, "above", above_path, sizeof(above_path))) ||
        (rc = rm_plot_data_path(run, sd->stem, "peak", peak_path, sizeof(peak_path))) ||
        (rc = rm_plot_data_path(run, sd->stem, "cop", cop_path, sizeof(cop_path))))
        return rc;
    segment_titles(run, s, title, sizeof(title), subtitle, sizeof(subtitle));
    struct heatmap_layout layout;
    heatmap_layout(r, &layout);
    FILE *f = begin_picture(run, picture, HEATMAP_W, layout.height, title, subtitle, vars_path,
                            sizeof(vars_path), final, sizeof(final));
    if (!f)
        return RM_EIO;
    double threshold = rm_plot_above_threshold(r);
    snprintf(above_title, sizeof(above_title), "seconds at %.0f %s or more", threshold,
             calibrated ? "kPa" : "counts");
    double limit = calibrated ? r->profile.pressure_max_kpa : NAN;
    if (calibrated)
        snprintf(limit_note, sizeof(limit_note),
                 "not judged: the %.0f kPa limit applies to the contact mean", limit);
    else
        snprintf(limit_note, sizeof(limit_note), "uncalibrated: no limit applies");
    rm_gp_int(f, "stacked", layout.stacked);
    rm_gp_int(f, "top_px", layout.top_px);
    rm_gp_int(f, "bottom_px", layout.bottom_px);
    rm_gp_int(f, "gap_px", layout.gap_px);
    rm_gp_int(f, "rows", r->mat.rows);
    rm_gp_int(f, "cols", r->mat.cols);
    rm_gp_num(f, "pitch_row", r->mat.pitch_row_mm);
    rm_gp_num(f, "pitch_col", r->mat.pitch_col_mm);
    rm_gp_str(f, "above_file", above_path);
    rm_gp_str(f, "above_title", above_title);
    rm_gp_num(f, "above_max", rm_plot_nice_top(scale->above_max));
    rm_gp_str(f, "peak_file", peak_path);
    rm_gp_str(f, "peak_unit", calibrated ? "kPa" : "counts");
    rm_gp_num(f, "peak_max", rm_plot_nice_top(scale->peak_max));
    rm_gp_num(f, "limit", limit);
    rm_gp_str(f, "limit_note", limit_note);
    rm_gp_str(f, "cop_file", cop_path);
    rm_gp_int(f, "n_cop", (long)sd->ncop);
    rm_gp_str(f, "axis", rm_plot_axis_name(s));
    write_pauses(f, s, false);
    rm_plot_write_other_contacts(f, s, true, "");
    write_dead(f, run, technical);
    if ((rc = rm_plot_close_vars(f, vars_path)))
        return rc;
    snprintf(what, sizeof(what), "heatmap of %s", s->label);
    return rm_plot_draw(run, "plot-heatmap", vars_path, final, what);
}

/* Force, contact-mean pressure (with the limit) and contact area over the
 * segment's time, holds shaded. */
static int draw_series(struct rm_plot_run *run, size_t index, const struct rm_plot_seg_data *sd)
{
    const struct rm_analysis_result *r = run->result;
    const struct rm_segment *s = &r->segments[index];
    bool calibrated = run->cal != NULL;
    struct rm_plot_segment_files *files = &run->files[index];
    char series_path[4096], vars_path[4096], final[4096], what[256], title[256], subtitle[256];
    int rc;
    if ((rc = rm_plot_data_path(run, sd->stem, "series", series_path, sizeof(series_path))))
        return rc;
    segment_titles(run, s, title, sizeof(title), subtitle, sizeof(subtitle));
    snprintf(files->series, sizeof(files->series), "%s-series.%s", sd->stem, run->ext);
    FILE *f = begin_picture(run, files->series, TIMELINE_W, SERIES_H, title, subtitle, vars_path,
                            sizeof(vars_path), final, sizeof(final));
    if (!f)
        return RM_EIO;
    rm_gp_num(f, "t0", sd->t0);
    rm_gp_num(f, "t1", sd->t0 + sd->span);
    rm_gp_str(f, "series_file", series_path);
    rm_gp_str(f, "force_unit", calibrated ? "N" : "counts");
    rm_gp_str(f, "pressure_unit", calibrated ? "kPa" : "counts");
    rm_gp_num(f, "limit", calibrated ? r->profile.pressure_max_kpa : NAN);
    write_pauses(f, s, true);
    rm_plot_write_other_contacts(f, s, false, "");
    if ((rc = rm_plot_close_vars(f, vars_path)))
        return rc;
    snprintf(what, sizeof(what), "force and pressure of %s", s->label);
    return rm_plot_draw(run, "plot-series", vars_path, final, what);
}

/* Draws one segment's heatmaps, curves and timeline. `scale` holds the
 * session's maxima: every segment shares the colour bars and the speed
 * axis, so the pictures of two muscles (left and right) compare at a
 * glance. */
int rm_plot_draw_segment(struct rm_plot_run *run, size_t index, const struct rm_plot_seg_data *sd,
                         const struct rm_plot_seg_data *scale)
{
    const struct rm_analysis_result *r = run->result;
    const struct rm_segment *s = &r->segments[index];
    bool calibrated = run->cal != NULL;
    const char *stem = sd->stem;
    char kymo_path[4096], speed_path[4096];
    char vars_path[4096], final[4096], what[256], title[256], subtitle[256];
    int rc;
    if ((rc = rm_plot_data_path(run, stem, "kymo", kymo_path, sizeof(kymo_path))) ||
        (rc = rm_plot_data_path(run, stem, "speed", speed_path, sizeof(speed_path))))
        return rc;
    segment_titles(run, s, title, sizeof(title), subtitle, sizeof(subtitle));

    /* ---- heatmap: with the technical marks, and without for a runner ---- */
    struct rm_plot_segment_files *files = &run->files[index];
    snprintf(files->heatmap, sizeof(files->heatmap), "%s-heatmap.%s", stem, run->ext);
    if ((rc = draw_heatmap(run, index, sd, scale, files->heatmap, true)))
        return rc;
    if (count_dead(run) > 0) {
        snprintf(files->heatmap_runner, sizeof(files->heatmap_runner), "%s-heatmap-runner.%s", stem,
                 run->ext);
        if ((rc = draw_heatmap(run, index, sd, scale, files->heatmap_runner, false)))
            return rc;
    }
    if ((rc = draw_series(run, index, sd)))
        return rc;

    /* ---- timeline ---- */
    snprintf(files->timeline, sizeof(files->timeline), "%s-timeline.%s", stem, run->ext);
    FILE *f = begin_picture(run, files->timeline, TIMELINE_W, TIMELINE_H, title, subtitle,
                            vars_path, sizeof(vars_path), final, sizeof(final));
    if (!f)
        return RM_EIO;
    const struct rm_profile *prof = &run->profile;
    /* The kymograph's lines run across the roll axis: the mat's rows, or
     * its columns for a roller along the columns (plot_run.c). */
    rm_gp_str(f, "axis", rm_plot_axis_name(s));
    rm_gp_int(f, "lines", sd->kymo_cols ? r->mat.cols : r->mat.rows);
    rm_gp_num(f, "pitch_line", sd->kymo_cols ? r->mat.pitch_col_mm : r->mat.pitch_row_mm);
    rm_gp_num(f, "t0", sd->t0);
    rm_gp_num(f, "t1", sd->t0 + sd->span);
    rm_gp_int(f, "ntime", sd->nbins);
    rm_gp_num(f, "bin_s", sd->bin_s);
    rm_gp_str(f, "kymo_file", kymo_path);
    rm_gp_str(f, "kymo_unit", calibrated ? "N" : "counts");
    rm_gp_num(f, "kymo_max", rm_plot_nice_top(scale->kymo_max));
    rm_gp_str(f, "speed_file", speed_path);
    rm_gp_num(f, "speed_slow", prof->speed_slow_max_mm_s);
    rm_gp_num(f, "speed_fast", prof->speed_fast_mm_s);
    /* Room above the fast threshold, but a spike does not flatten the rest. */
    double top = fmax(1.5 * prof->speed_fast_mm_s, 1.1 * scale->speed_max);
    rm_gp_num(f, "speed_max", rm_plot_nice_top(fmin(top, 4.0 * prof->speed_fast_mm_s)));
    write_pauses(f, s, true);
    rm_plot_write_other_contacts(f, s, false, "");
    write_marks(f, run, sd->t0, sd->t0 + sd->span);
    if ((rc = rm_plot_close_vars(f, vars_path)))
        return rc;
    snprintf(what, sizeof(what), "timeline of %s", s->label);
    return rm_plot_draw(run, "plot-timeline", vars_path, final, what);
}
