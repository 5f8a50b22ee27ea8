/* `rollmat plot` for one recording: analyse it, stream each segment's frames
 * into its maps, hand the maps to gnuplot as binary matrices in a private
 * temporary directory, and write report.html last. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot_internal.h"
#include "rm_progress.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_recording.h"

#define LOG_PREFIX "plot"

/* The kymograph needs no more time columns than a picture has pixels. */
#define KYMO_MAX_BINS 1200

/* Points of the force/pressure curves and of the centre-of-pressure track
 * per segment: more than a picture's width shows. */
#define SERIES_MAX_POINTS 1400
#define COP_MAX_POINTS    3000

#define HEATMAP_W  1200
#define SERIES_H   820
#define TIMELINE_W 1400
#define TIMELINE_H 900
#define OVERVIEW_W 1000
#define OVERVIEW_H 700
/* Each bar gets the room of its "NNN s loaded" label, so that twenty
 * muscles do not print over each other: the canvas widens with them. */
#define OVERVIEW_BAR_PX 110
/* The y axis and its label on the left; the session's line label and the
 * last slanted name on the right (plot-overview.gp). */
#define OVERVIEW_LEFT_PX  90
#define OVERVIEW_RIGHT_PX 190
/* Names under the bars are cut to this many characters (the report has
 * them whole): a 64-byte label would not fit under any bar. */
#define OVERVIEW_NAME_MAX 24

struct run {
    const char *path;
    const struct rm_plot_opts *opts;
    const char *ext; /* "png" or "svg" */
    char gnuplot[4096];
    char tmpdir[4096];
    struct rm_analysis_result *result;
    struct rm_rec_reader *reader;
    const struct rm_calibration *cal;    /* the analysis's (result->calibration), or NULL */
    struct rm_plot_segment_files *files; /* nsegments */
    char partial[4096];                  /* an output being written, removed on failure */
    struct rm_profile profile;           /* the thresholds the speed panel draws */
};

static int join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_EUSAGE, "%s/%s: path too long", dir, name);
    return 0;
}

/* Common head of every variables file: terminal, size, output, titles. */
static FILE *open_vars(struct run *run, const char *vars_path, const char *out_path, int width,
                       int height, const char *title, const char *subtitle)
{
    FILE *f = fopen(vars_path, "w");
    if (!f) {
        rm_fail(RM_EIO, "%s: %s", vars_path, strerror(errno));
        return NULL;
    }
    rm_gp_str(f, "out", out_path);
    rm_gp_str(f, "term", run->ext);
    rm_gp_int(f, "width", width);
    rm_gp_int(f, "height", height);
    rm_gp_str(f, "title", title);
    rm_gp_str(f, "subtitle", subtitle);
    return f;
}

static int close_vars(FILE *f, const char *vars_path)
{
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok)
        return rm_fail(RM_EIO, "%s: cannot write: %s", vars_path, strerror(errno));
    return 0;
}

/* Runs one script writing out_dir/name: gnuplot writes a hidden partial
 * file that is renamed into place only once gnuplot succeeded. */
static int draw(struct run *run, const char *script, const char *vars_path, const char *final,
                const char *what)
{
    int rc =
        rm_gnuplot_draw(run->gnuplot, run->tmpdir, script, vars_path, run->partial, final, what);
    if (!rc)
        run->partial[0] = '\0';
    return rc;
}

/* The partial name gnuplot writes for out_dir/name. */
static int set_partial(struct run *run, const char *name)
{
    char hidden[512];
    /* The pid keeps two runs writing into one directory apart. */
    snprintf(hidden, sizeof(hidden), ".%s.%ld.partial", name, (long)getpid());
    return join(run->partial, sizeof(run->partial), run->opts->out_dir, hidden);
}

static void segment_titles(const struct run *run, const struct rm_segment *s, char *title,
                           size_t tsize, char *subtitle, size_t ssize)
{
    size_t nholds = 0;
    for (size_t k = 0; k < s->npauses; k++)
        nholds += s->pauses[k].hold;
    char score[32] = "not judged (no rolling)";
    if (s->score.total != RM_SCORE_NONE)
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
    size_t n = s->npauses;
    double *v = calloc(n ? n : 1, sizeof(double));
    if (!v) {
        /* Without the marks the picture is still right; say so. */
        rm_warn("out of memory: pauses not marked");
        n = 0;
    }
    rm_gp_int(f, "n_pauses", (long)n);
#define PAUSE_ARRAY(name, expr)                                                                    \
    do {                                                                                           \
        for (size_t k = 0; k < n; k++)                                                             \
            v[k] = (expr);                                                                         \
        rm_gp_num_array(f, name, v, n);                                                            \
    } while (0)
    PAUSE_ARRAY("pause_pos", s->pauses[k].position_mm);
    PAUSE_ARRAY("pause_dur", s->pauses[k].duration_s);
    PAUSE_ARRAY("pause_hold", s->pauses[k].hold ? 1.0 : 0.0);
    if (with_times) {
        PAUSE_ARRAY("pause_t0", s->pauses[k].t_start);
        PAUSE_ARRAY("pause_t1", s->pauses[k].t_end);
    }
#undef PAUSE_ARRAY
    free(v);
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
static void write_dead(FILE *f, const struct run *run, bool technical)
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
static void write_marks(FILE *f, const struct run *run, double t0, double t1)
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

/* What the pictures of one segment need once its frames are reduced: the
 * data files in the temporary directory and the maxima of the maps. */
struct seg_data {
    char stem[64];
    double t0, span, bin_s;
    int nbins;
    double integral_max, peak_max, kymo_max, speed_max, above_max;
    size_t ncop; /* records of the centre-of-pressure track */
};

/* The data file tmpdir/STEM-KIND.f32. */
static int data_path(const struct run *run, const char *stem, const char *kind, char *out,
                     size_t size)
{
    char name[256];
    snprintf(name, sizeof(name), "%s-%s.f32", stem, kind);
    return join(out, size, run->tmpdir, name);
}

/* Streams the segment's frames into its maps and writes them as binary
 * matrices for gnuplot; only the maxima stay in memory. */
static int prepare_segment(struct run *run, size_t index, struct seg_data *sd)
{
    const struct rm_analysis_result *r = run->result;
    const struct rm_segment *s = &r->segments[index];
    const struct rm_trace *tr = &r->trace;
    int rows = r->mat.rows, cols = r->mat.cols;
    assert(s->frame_start >= 0 && s->frame_end <= tr->n && s->frame_start <= s->frame_end);
    bool calibrated = run->cal != NULL;
    double period = r->mat.rate_hz > 0 ? 1.0 / r->mat.rate_hz : 0.01;
    int64_t nframes = s->frame_end - s->frame_start;
    sd->t0 = nframes > 0 ? tr->t[s->frame_start] : s->t_start;
    sd->span = nframes > 0 ? tr->t[s->frame_end - 1] - sd->t0 + period : s->t_end - s->t_start;
    if (!(sd->span > 0))
        sd->span = period;
    double row_scale = calibrated ? r->mat.pitch_row_mm * r->mat.pitch_col_mm * 1e-3 : 1.0;

    struct rm_plot_maps *m = NULL;
    int rc = rm_plot_maps_new(&m, rows, cols, sd->t0, sd->span, nframes, KYMO_MAX_BINS, row_scale,
                              calibrated ? NULL : r->baseline_counts);
    if (rc)
        return rc;
    m->above_threshold = rm_plot_above_threshold(r);
    if ((rc = rm_plot_maps_fill(m, run->reader, r, s)))
        goto out;
    char path[4096];
    size_t cells = (size_t)rows * (size_t)cols;
    if ((rc = data_path(run, sd->stem, "peak", path, sizeof(path))) ||
        (rc = rm_plot_write_floats(path, m->peak, cells, 1)) ||
        (rc = data_path(run, sd->stem, "kymo", path, sizeof(path))) ||
        (rc = rm_plot_write_floats(path, m->kymo, (size_t)rows * (size_t)m->nbins, 1)) ||
        (rc = data_path(run, sd->stem, "speed", path, sizeof(path))) ||
        (rc = rm_plot_write_floats(path, m->speed, 2 * (size_t)m->nbins, 1)) ||
        (rc = data_path(run, sd->stem, "above", path, sizeof(path))) ||
        (rc = rm_plot_write_floats(path, m->above, cells, 1)) ||
        (rc = data_path(run, sd->stem, "cop", path, sizeof(path))) ||
        (rc = rm_plot_write_cop(path, tr, s->frame_start, s->frame_end, COP_MAX_POINTS,
                                &sd->ncop)) ||
        (rc = data_path(run, sd->stem, "series", path, sizeof(path))) ||
        (rc =
             rm_plot_write_series(path, tr, s->frame_start, s->frame_end, SERIES_MAX_POINTS, NULL)))
        goto out;
    sd->above_max = m->above_max;
    sd->nbins = m->nbins;
    sd->bin_s = m->bin_s;
    sd->integral_max = m->integral_max;
    sd->peak_max = m->peak_max;
    sd->kymo_max = m->kymo_max;
    sd->speed_max = m->speed_max;
out:
    rm_plot_maps_free(m);
    return rc;
}

static size_t count_dead(const struct run *run)
{
    const struct rm_calibration *cal = run->cal;
    size_t cells = cal ? (size_t)cal->rows * (size_t)cal->cols : 0, n = 0;
    for (size_t i = 0; i < cells; i++)
        n += cal->dead[i] != 0;
    return n;
}

/* Prepares the variables file tmpdir/vars-NAME.gp for the picture
 * out_dir/NAME and opens it with the common head. */
static FILE *begin_picture(struct run *run, const char *picture, int width, int height,
                           const char *title, const char *subtitle, char *vars_path,
                           size_t vars_size, char *final, size_t final_size)
{
    char name[512];
    snprintf(name, sizeof(name), "vars-%s.gp", picture);
    if (join(vars_path, vars_size, run->tmpdir, name) ||
        join(final, final_size, run->opts->out_dir, picture) || set_partial(run, picture))
        return NULL;
    return open_vars(run, vars_path, run->partial, width, height, title, subtitle);
}

/* One heatmap of a segment into out_dir/picture; `technical`: with the
 * dead-sensel marks a clinician wants and a runner does not. */
static int draw_heatmap(struct run *run, size_t index, const struct seg_data *sd,
                        const struct seg_data *scale, const char *picture, bool technical)
{
    const struct rm_analysis_result *r = run->result;
    const struct rm_segment *s = &r->segments[index];
    bool calibrated = run->cal != NULL;
    char above_path[4096], peak_path[4096], cop_path[4096], vars_path[4096], final[4096];
    char what[256], title[256], subtitle[256], above_title[128], limit_note[160];
    int rc;
    if ((rc = data_path(run, sd->stem, "above", above_path, sizeof(above_path))) ||
        (rc = data_path(run, sd->stem, "peak", peak_path, sizeof(peak_path))) ||
        (rc = data_path(run, sd->stem, "cop", cop_path, sizeof(cop_path))))
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
    write_pauses(f, s, false);
    write_dead(f, run, technical);
    if ((rc = close_vars(f, vars_path)))
        return rc;
    snprintf(what, sizeof(what), "heatmap of %s", s->label);
    return draw(run, "plot-heatmap", vars_path, final, what);
}

/* Force, contact-mean pressure (with the limit) and contact area over the
 * segment's time, holds shaded. */
static int draw_series(struct run *run, size_t index, const struct seg_data *sd)
{
    const struct rm_analysis_result *r = run->result;
    const struct rm_segment *s = &r->segments[index];
    bool calibrated = run->cal != NULL;
    struct rm_plot_segment_files *files = &run->files[index];
    char series_path[4096], vars_path[4096], final[4096], what[256], title[256], subtitle[256];
    int rc;
    if ((rc = data_path(run, sd->stem, "series", series_path, sizeof(series_path))))
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
    if ((rc = close_vars(f, vars_path)))
        return rc;
    snprintf(what, sizeof(what), "force and pressure of %s", s->label);
    return draw(run, "plot-series", vars_path, final, what);
}

/* Draws one segment's heatmaps, curves and timeline. `scale` holds the
 * session's maxima: every segment shares the colour bars and the speed
 * axis, so the pictures of two muscles (left and right) compare at a
 * glance. */
static int draw_segment(struct run *run, size_t index, const struct seg_data *sd,
                        const struct seg_data *scale)
{
    const struct rm_analysis_result *r = run->result;
    const struct rm_segment *s = &r->segments[index];
    bool calibrated = run->cal != NULL;
    const char *stem = sd->stem;
    char kymo_path[4096], speed_path[4096];
    char vars_path[4096], final[4096], what[256], title[256], subtitle[256];
    int rc;
    if ((rc = data_path(run, stem, "kymo", kymo_path, sizeof(kymo_path))) ||
        (rc = data_path(run, stem, "speed", speed_path, sizeof(speed_path))))
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
    rm_gp_int(f, "rows", r->mat.rows);
    rm_gp_num(f, "pitch_row", r->mat.pitch_row_mm);
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
    write_marks(f, run, sd->t0, sd->t0 + sd->span);
    if ((rc = close_vars(f, vars_path)))
        return rc;
    snprintf(what, sizeof(what), "timeline of %s", s->label);
    return draw(run, "plot-timeline", vars_path, final, what);
}

/* name cut to at most max characters of UTF-8, with an ellipsis when cut;
 * returns its length in characters. */
static size_t short_name(const char *name, size_t max, char *out, size_t size)
{
    assert(size >= 4 * max + 4);
    (void)size;
    size_t chars = 0, i = 0;
    for (; name[i]; i++) {
        if (((unsigned char)name[i] & 0xC0) == 0x80)
            continue; /* inside a character */
        if (chars == max)
            break;
        chars++;
    }
    memcpy(out, name, i);
    out[i] = '\0';
    if (name[i]) {
        memcpy(out + i, "\xE2\x80\xA6", 4); /* U+2026 */
        chars++;
    }
    return chars;
}

static int plot_overview(struct run *run, char *overview, size_t size)
{
    const struct rm_analysis_result *r = run->result;
    size_t n = r->nsegments;
    assert(n > 0);
    char vars_path[4096], final[4096], title[256], subtitle[256];
    snprintf(overview, size, "overview.%s", run->ext);
    int rc;
    if ((rc = join(vars_path, sizeof(vars_path), run->tmpdir, "vars-overview.gp")) ||
        (rc = join(final, sizeof(final), run->opts->out_dir, overview)) ||
        (rc = set_partial(run, overview)))
        return rc;
    double total = r->score_total == RM_SCORE_NONE ? NAN : r->score_total;
    double loaded = 0;
    for (size_t i = 0; i < n; i++)
        loaded += r->segments[i].loaded_s;
    const char *base = strrchr(run->path, '/');
    base = base ? base + 1 : run->path;
    snprintf(title, sizeof(title), "Session score %.0f%s", total,
             run->cal ? "" : " · UNCALIBRATED (raw counts)");
    snprintf(subtitle, sizeof(subtitle), "%s · %zu muscle%s · %.1f min rolled", base, n,
             n == 1 ? "" : "s", loaded / 60.0);
    enum { NAME_SIZE = 4 * OVERVIEW_NAME_MAX + 4 };
    const char **labels = calloc(n, sizeof(*labels)); /* into names, owned here */
    char *names = calloc(n, NAME_SIZE);               /* owned here */
    double *scores = calloc(n, sizeof(double));
    double *loaded_s = calloc(n, sizeof(double));
    FILE *f = NULL;
    if (!labels || !names || !scores || !loaded_s) {
        rc = RM_ENOMEM;
        goto out;
    }
    size_t widest = 0;
    for (size_t i = 0; i < n; i++) {
        labels[i] = names + i * NAME_SIZE;
        size_t len =
            short_name(r->segments[i].label, OVERVIEW_NAME_MAX, names + i * NAME_SIZE, NAME_SIZE);
        if (len > widest)
            widest = len;
        scores[i] = r->segments[i].score.total == RM_SCORE_NONE ? NAN : r->segments[i].score.total;
        loaded_s[i] = r->segments[i].loaded_s;
    }
    /* Up to five names stand level under their bars (plot-overview.gp):
     * a bar is then as wide as the widest name, at about 8 px a character. */
    double bar_px = n <= 5 ? fmax(OVERVIEW_BAR_PX, 8.0 * (double)widest + 20) : OVERVIEW_BAR_PX;
    double width = OVERVIEW_LEFT_PX + OVERVIEW_RIGHT_PX + ((double)n + 0.2) * bar_px;
    f = open_vars(run, vars_path, run->partial, (int)fmax(OVERVIEW_W, ceil(width)), OVERVIEW_H,
                  title, subtitle);
    if (!f) {
        rc = RM_EIO;
        goto out;
    }
    rm_gp_int(f, "right_px", OVERVIEW_RIGHT_PX);
    rm_gp_int(f, "n_seg", (long)n);
    rm_gp_str_array(f, "seg_label", labels, n);
    rm_gp_num_array(f, "seg_score", scores, n);
    rm_gp_num_array(f, "seg_loaded", loaded_s, n);
    rm_gp_num(f, "session_score", total);
    if ((rc = close_vars(f, vars_path)))
        goto out;
    rc = draw(run, "plot-overview", vars_path, final, "overview");
out:
    free(labels);
    free(names);
    free(scores);
    free(loaded_s);
    return rc;
}

/* Writes name in the output directory through a hidden partial file. */
static int write_json(struct run *run, const char *name)
{
    char final[4096];
    int rc;
    if ((rc = join(final, sizeof(final), run->opts->out_dir, name)) ||
        (rc = set_partial(run, name)))
        return rc;
    json_t *doc = rm_analysis_to_json(run->result);
    if (!doc)
        return RM_ENOMEM;
    int bad = json_dump_file(doc, run->partial, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (bad != 0)
        return rm_fail(RM_EIO, "%s: cannot write", run->partial);
    if (rename(run->partial, final) != 0)
        return rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    run->partial[0] = '\0';
    return 0;
}

/* The session's movie (plot_movie.c) through a hidden partial file. */
static int write_movie(struct run *run, const char *name)
{
    char final[4096];
    int rc;
    if ((rc = join(final, sizeof(final), run->opts->out_dir, name)) ||
        (rc = set_partial(run, name)) ||
        (rc = rm_plot_write_movie(run->partial, run->reader, run->result)))
        return rc;
    if (rename(run->partial, final) != 0)
        return rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    run->partial[0] = '\0';
    return 0;
}

static int write_report(struct run *run, const char *overview, char *report_path,
                        size_t report_path_size)
{
    char final[4096];
    int rc;
    if ((rc = join(final, sizeof(final), run->opts->out_dir, "report.html")) ||
        (rc = set_partial(run, "report.html")))
        return rc;
    struct rm_plot_report rep = {
        .recording = run->path,
        .created_utc = rm_rec_meta(run->reader)->created_utc,
        .format_ext = run->ext,
        .result = run->result,
        .files = run->files,
        .events = rm_rec_events(run->reader),
        .nevents = rm_rec_nevents(run->reader),
        .overview = overview,
        .analysis_json = "analysis.json",
        .movie = run->result->trace.n > 0 ? "movie.js" : NULL,
    };
    if ((rc = rm_plot_write_report(run->partial, &rep)))
        return rc;
    if (rename(run->partial, final) != 0)
        return rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    run->partial[0] = '\0';
    if (report_path)
        snprintf(report_path, report_path_size, "%s", final);
    rm_info("wrote %s", final);
    return 0;
}

static int open_inputs(struct run *run)
{
    struct rm_analysis_opts aopts;
    rm_analysis_opts_init(&aopts);
    int rc;
    if (run->opts->profile && (rc = rm_profile_load(run->opts->profile, &aopts.profile)))
        return rc;
    run->profile = aopts.profile;
    aopts.calibration_path = run->opts->calibration_path;
    aopts.keep_trace = true;
    if ((rc = rm_analysis_run(run->path, &aopts, &run->result)))
        return rc;
    if ((rc = rm_rec_reader_open(&run->reader, run->path)))
        return rc;
    /* The pictures convert counts exactly as the analysis did. */
    run->cal = run->result->calibration;
    const struct rm_rec_meta *meta = rm_rec_meta(run->reader);
    if (meta->rows != run->result->mat.rows || meta->cols != run->result->mat.cols ||
        run->result->trace.n != rm_rec_frames(run->reader))
        return rm_fail(RM_EFORMAT, "%s: changed while being read", run->path);
    return 0;
}

static int plot_all(struct run *run, char *report_path, size_t report_path_size)
{
    const struct rm_analysis_result *r = run->result;
    size_t n = r->nsegments;
    run->files = calloc(n ? n : 1, sizeof(*run->files));  /* owned by the run */
    struct seg_data *sd = calloc(n ? n : 1, sizeof(*sd)); /* owned here */
    const char **taken = calloc(n ? n : 1, sizeof(*taken));
    int rc = 0;
    if (!run->files || !sd || !taken) {
        rc = RM_ENOMEM;
        goto out;
    }
    /* Reading each segment's frames, drawing it, the overview. */
    struct rm_progress progress;
    rm_progress_start(&progress, "plot");
    double steps = 2.0 * (double)n + 1;
    struct seg_data scale = {.integral_max = 0};
    for (size_t i = 0; i < n && !rc; i++) {
        rm_plot_file_stem(r->segments[i].label, taken, i, sd[i].stem, sizeof(sd[i].stem));
        taken[i] = sd[i].stem;
        rm_progress_update(&progress, (double)i, steps, sd[i].stem);
        rc = prepare_segment(run, i, &sd[i]);
        scale.integral_max = fmax(scale.integral_max, sd[i].integral_max);
        scale.peak_max = fmax(scale.peak_max, sd[i].peak_max);
        scale.kymo_max = fmax(scale.kymo_max, sd[i].kymo_max);
        scale.speed_max = fmax(scale.speed_max, sd[i].speed_max);
        scale.above_max = fmax(scale.above_max, sd[i].above_max);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        rm_progress_update(&progress, (double)(n + i), steps, sd[i].stem);
        rc = draw_segment(run, i, &sd[i], &scale);
    }
    rm_progress_update(&progress, 2.0 * (double)n, steps, "overview and report");
    char overview[64] = "";
    if (!rc && n > 0)
        rc = plot_overview(run, overview, sizeof(overview));
    if (!rc)
        rc = write_json(run, "analysis.json");
    if (!rc && r->trace.n > 0)
        rc = write_movie(run, "movie.js");
    if (!rc)
        rc = write_report(run, n > 0 ? overview : NULL, report_path, report_path_size);
    rm_progress_end(&progress);
out:
    free(sd);
    free(taken);
    return rc;
}

int rm_plot_run(const char *path, const struct rm_plot_opts *opts, char *report_path,
                size_t report_path_size)
{
    assert(path && opts && opts->out_dir);
    struct run run;
    memset(&run, 0, sizeof(run));
    char stage[4096] = ""; /* the staging folder while it exists */
    run.path = path;
    run.opts = opts;
    run.ext = opts->format == RM_PLOT_SVG ? "svg" : "png";

    /* Before any work: without gnuplot there is nothing to do. */
    int rc = rm_gnuplot_find(run.gnuplot, sizeof(run.gnuplot));
    if (rc)
        return rc;

    struct rm_plot_signals saved;
    rm_plot_signals_catch(&saved);
    if ((rc = open_inputs(&run)))
        goto out;
    if (run.result->nsegments > RM_PLOT_MAX_SEGMENTS) {
        rc = rm_fail(RM_ERANGE,
                     "%s: %zu segments, more than the %d plot draws; `rollmat analyze` reports "
                     "them all",
                     path, run.result->nsegments, RM_PLOT_MAX_SEGMENTS);
        goto out;
    }
    if (rm_plot_interrupted()) {
        rc = rm_fail(RM_EINTR, "interrupted");
        goto out;
    }
    /* Everything is drawn into a staging folder beside the output and
     * moved into place only once all of it succeeded. */
    struct rm_plot_opts staged = *opts;
    staged.out_dir = stage;
    run.opts = &staged;
    if ((rc = rm_plot_stage_create(opts->out_dir, stage, sizeof(stage))) ||
        (rc = rm_plot_tmpdir_create(run.tmpdir, sizeof(run.tmpdir))))
        goto out;
    rc = plot_all(&run, NULL, 0);
    if (!rc && !rm_plot_interrupted())
        rc = rm_plot_stage_commit(stage, opts->out_dir);
    else if (!rc)
        rc = rm_fail(RM_EINTR, "interrupted");
    if (!rc)
        stage[0] = '\0'; /* moved into place */
    if (!rc && report_path)
        rc = join(report_path, report_path_size, opts->out_dir, "report.html");

out:
    if (stage[0])
        rm_plot_tmpdir_remove(stage);
    if (run.partial[0])
        unlink(run.partial);
    if (run.tmpdir[0])
        rm_plot_tmpdir_remove(run.tmpdir);
    rm_plot_signals_restore(&saved);
    free(run.files);
    if (run.reader)
        rm_rec_reader_close(run.reader);
    rm_analysis_result_free(run.result);
    return rc;
}
