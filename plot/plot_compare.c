/* `rollmat plot --compare A.h5 B.h5`: the muscles two sessions both rolled
 * (by label), side by side: their figures with the change, and per muscle
 * the seconds each spot spent at or above a pressure in A, in B, and B - A
 * (scripts/plot-compare.gp), written to compare.html and its pictures. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot_internal.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_recording.h"

#define LOG_PREFIX "plot"

#define COMPARE_W 1500
#define COMPARE_H 760

struct session {
    const char *path;
    struct rm_analysis_result *result;
    struct rm_rec_reader *reader;
};

static int open_session(struct session *s, const char *path, const struct rm_plot_opts *opts)
{
    struct rm_analysis_opts aopts;
    rm_analysis_opts_init(&aopts);
    int rc;
    if (opts->profile && (rc = rm_profile_load(opts->profile, &aopts.profile)))
        return rc;
    aopts.calibration_path = opts->calibration_path;
    aopts.keep_trace = true;
    s->path = path;
    if ((rc = rm_analysis_run(path, &aopts, &s->result)))
        return rc;
    return rm_rec_reader_open(&s->reader, path);
}

static void close_session(struct session *s)
{
    if (s->reader)
        rm_rec_reader_close(s->reader);
    rm_analysis_result_free(s->result);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The first segment labelled `label`, or -1. */
static long find_label(const struct rm_analysis_result *r, const char *label)
{
    for (size_t i = 0; i < r->nsegments; i++)
        if (strcmp(r->segments[i].label, label) == 0)
            return (long)i;
    return -1;
}

/* The "seconds at or above" map of one segment into tmpdir/NAME.f32. */
static int seconds_map(const struct session *s, size_t seg, double threshold, float *out)
{
    const struct rm_analysis_result *r = s->result;
    const struct rm_segment *sg = &r->segments[seg];
    struct rm_plot_maps *m = NULL;
    int rc = rm_plot_maps_new(&m, r->mat.rows, r->mat.cols, false, sg->t_start,
                              fmax(sg->t_end - sg->t_start, 1e-3), 2, 1, 1.0,
                              r->calibrated ? NULL : r->baseline_counts);
    if (rc)
        return rc;
    m->above_threshold = threshold;
    rc = rm_plot_maps_fill(m, s->reader, r, sg);
    if (!rc)
        memcpy(out, m->above, (size_t)r->mat.rows * (size_t)r->mat.cols * sizeof(float));
    rm_plot_maps_free(m);
    return rc;
}

struct picture_job {
    const char *gnuplot, *tmpdir, *out_dir, *ext;
    const struct session *a, *b;
    double threshold;
    const char *unit;
};

/* Draws out_dir/STEM-compare.EXT for the muscle at ia in A and ib in B. */
static int draw_muscle(const struct picture_job *job, size_t ia, size_t ib, const char *stem,
                       char *picture, size_t picture_size)
{
    const struct rm_analysis_result *ra = job->a->result;
    size_t cells = (size_t)ra->mat.rows * (size_t)ra->mat.cols;
    float *va = calloc(cells, sizeof(float)), *vb = calloc(cells, sizeof(float));
    float *diff = calloc(cells, sizeof(float));
    char pa[4096], pb[4096], pd[4096], vars[4096], partial[4096], final[4096], text[256];
    int rc = 0;
    if (!va || !vb || !diff) {
        rc = RM_ENOMEM;
        goto out;
    }
    if ((rc = seconds_map(job->a, ia, job->threshold, va)) ||
        (rc = seconds_map(job->b, ib, job->threshold, vb)))
        goto out;
    double vmax = 0, dmax = 0;
    for (size_t i = 0; i < cells; i++) {
        diff[i] = vb[i] - va[i];
        vmax = fmax(vmax, fmax(va[i], vb[i]));
        dmax = fmax(dmax, fabs(diff[i]));
    }
    snprintf(pa, sizeof(pa), "%s/%s-a.f32", job->tmpdir, stem);
    snprintf(pb, sizeof(pb), "%s/%s-b.f32", job->tmpdir, stem);
    snprintf(pd, sizeof(pd), "%s/%s-diff.f32", job->tmpdir, stem);
    snprintf(vars, sizeof(vars), "%s/vars-%s-compare.gp", job->tmpdir, stem);
    snprintf(picture, picture_size, "%s-compare.%s", stem, job->ext);
    snprintf(partial, sizeof(partial), "%s/.%s.%ld.partial", job->out_dir, picture, (long)getpid());
    int n = snprintf(final, sizeof(final), "%s/%s", job->out_dir, picture);
    if (n < 0 || (size_t)n >= sizeof(final)) {
        rc = rm_fail(RM_EUSAGE, "%s: path too long", job->out_dir);
        goto out;
    }
    if ((rc = rm_plot_write_floats(pa, va, cells, 1)) ||
        (rc = rm_plot_write_floats(pb, vb, cells, 1)) ||
        (rc = rm_plot_write_floats(pd, diff, cells, 1)))
        goto out;
    FILE *f = fopen(vars, "w");
    if (!f) {
        rc = rm_fail(RM_EIO, "%s: %s", vars, strerror(errno));
        goto out;
    }
    const struct rm_segment *sa = &ra->segments[ia];
    rm_gp_str(f, "out", partial);
    rm_gp_str(f, "term", job->ext);
    rm_gp_int(f, "width", COMPARE_W);
    rm_gp_int(f, "height", COMPARE_H);
    snprintf(text, sizeof(text), "%s: two sessions", sa->label);
    rm_gp_str(f, "title", text);
    snprintf(text, sizeof(text), "A: %s · B: %s", base_name(job->a->path), base_name(job->b->path));
    rm_gp_str(f, "subtitle", text);
    rm_gp_int(f, "rows", ra->mat.rows);
    rm_gp_int(f, "cols", ra->mat.cols);
    rm_gp_num(f, "pitch_row", ra->mat.pitch_row_mm);
    rm_gp_num(f, "pitch_col", ra->mat.pitch_col_mm);
    rm_gp_str(f, "a_file", pa);
    rm_gp_str(f, "b_file", pb);
    rm_gp_str(f, "diff_file", pd);
    rm_gp_str(f, "a_title", "A");
    rm_gp_str(f, "b_title", "B");
    /* Each session's own roll axis (the mat may have lain the other way)
     * and other contacts, on its own panel. */
    const struct rm_segment *sb = &job->b->result->segments[ib];
    rm_gp_str(f, "a_axis", rm_plot_axis_name(sa));
    rm_gp_str(f, "b_axis", rm_plot_axis_name(sb));
    rm_plot_write_other_contacts(f, sa, true, "a_");
    rm_plot_write_other_contacts(f, sb, true, "b_");
    snprintf(text, sizeof(text), "seconds at %.0f %s or more", job->threshold, job->unit);
    rm_gp_str(f, "value_title", text);
    rm_gp_num(f, "value_max", rm_plot_nice_top(vmax));
    rm_gp_num(f, "diff_max", rm_plot_nice_top(dmax));
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        rc = rm_fail(RM_EIO, "%s: cannot write", vars);
        goto out;
    }
    char script[4096];
    snprintf(text, sizeof(text), "comparison of %s", sa->label);
    if ((rc = rm_plot_script_path("plot-compare", job->tmpdir, script, sizeof(script))) ||
        (rc = rm_gnuplot_run(job->gnuplot, job->tmpdir, vars, script, text)))
        goto out;
    if (rename(partial, final) != 0)
        rc = rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
out:
    if (rc)
        unlink(partial);
    free(va);
    free(vb);
    free(diff);
    return rc;
}

static void compare_row(FILE *f, const char *what, int decimals, double a, double b)
{
    rm_html_two_sides_row(f, what, decimals, a, b, true);
}

static void muscle_table(FILE *f, const struct rm_segment *a, const struct rm_segment *b,
                         const char *unit)
{
    char what[96];
    size_t na, nb;
    double ha = rm_plot_hold_seconds(a, &na), hb = rm_plot_hold_seconds(b, &nb);
    fputs("<table class=\"grid\"><thead><tr><th></th><th>A</th><th>B</th><th>change</th></tr>"
          "</thead><tbody>\n",
          f);
    compare_row(f, "score", 0, rm_plot_score_value(a->score.total),
                rm_plot_score_value(b->score.total));
    compare_row(f, "time rolled (s)", 0, a->loaded_s, b->loaded_s);
    compare_row(f, "median speed (mm/s)", 0, a->rolling.speed_median_mm_s,
                b->rolling.speed_median_mm_s);
    compare_row(f, "holds", 0, (double)na, (double)nb);
    compare_row(f, "time in holds (s)", 0, ha, hb);
    snprintf(what, sizeof(what), "contact-mean pressure (%s)", unit);
    compare_row(f, what, 1, a->pressure.mean_kpa, b->pressure.mean_kpa);
    snprintf(what, sizeof(what), "peak pressure (%s)", unit);
    compare_row(f, what, 0, a->pressure.peak_kpa, b->pressure.peak_kpa);
    fputs("</tbody></table>\n", f);
}

static int write_page(const char *path, const struct session *a, const struct session *b,
                      const long *pair_b, char pictures[][160])
{
    const struct rm_analysis_result *ra = a->result, *rb = b->result;
    const char *unit = ra->calibrated ? "kPa" : "counts";
    FILE *f = fopen(path, "w");
    if (!f)
        return rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Two "
          "sessions</title>\n<style>body{font-family:system-ui,'DejaVu Sans',sans-serif;"
          "margin:1.2em auto;max-width:1240px;color:#222}table{border-collapse:collapse}"
          "th,td{padding:.2em .8em;text-align:left;border-bottom:1px solid #e4e4e4}"
          "img{max-width:100%;height:auto;border:1px solid #ddd}section{break-before:page}"
          "@page{size:A4;margin:12mm}</style>\n</head>\n<body>\n<h1>Two sessions</h1>\n<p>A: ",
          f);
    rm_html_escape(f, a->path);
    fputs("<br>B: ", f);
    rm_html_escape(f, b->path);
    fputs("</p>\n", f);
    size_t both = 0;
    for (size_t i = 0; i < ra->nsegments; i++) {
        if (pair_b[i] < 0 || find_label(ra, ra->segments[i].label) != (long)i)
            continue;
        const struct rm_segment *sa = &ra->segments[i], *sb = &rb->segments[pair_b[i]];
        fputs("<section class=\"compare\">\n<h2>", f);
        rm_html_escape(f, sa->label);
        fputs("</h2>\n", f);
        muscle_table(f, sa, sb, unit);
        fputs("<figure><img src=\"", f);
        rm_html_escape(f, pictures[i]);
        fputs("\" alt=\"the muscle in both sessions and the difference\"><figcaption>Seconds "
              "each spot spent at or above the pressure named, in A and in B on one scale, "
              "and B minus A.</figcaption></figure>\n</section>\n",
              f);
        both++;
    }
    if (both == 0)
        fputs("<p>The two sessions have no muscle (segment label) in common.</p>\n", f);
    fputs("</body>\n</html>\n", f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok)
        return rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

static int compare_all(struct session *a, struct session *b, const struct rm_plot_opts *opts,
                       struct picture_job *job, char *report_path, size_t report_path_size)
{
    const struct rm_analysis_result *ra = a->result, *rb = b->result;
    if (ra->mat.rows != rb->mat.rows || ra->mat.cols != rb->mat.cols ||
        ra->mat.pitch_row_mm != rb->mat.pitch_row_mm ||
        ra->mat.pitch_col_mm != rb->mat.pitch_col_mm)
        return rm_fail(RM_EFORMAT, "%s: another mat than %s's (%dx%d against %dx%d sensels)",
                       b->path, a->path, rb->mat.rows, rb->mat.cols, ra->mat.rows, ra->mat.cols);
    if (ra->calibrated != rb->calibrated)
        return rm_fail(RM_EFORMAT, "%s: %s, %s is not", b->path,
                       rb->calibrated ? "calibrated" : "uncalibrated", a->path);
    size_t n = ra->nsegments;
    long *pair_b = calloc(n ? n : 1, sizeof(long));
    char(*pictures)[160] = calloc(n ? n : 1, sizeof(*pictures));
    const char **taken = calloc(n ? n : 1, sizeof(*taken));
    char(*stems)[64] = calloc(n ? n : 1, sizeof(*stems));
    int rc = 0;
    if (!pair_b || !pictures || !taken || !stems) {
        rc = RM_ENOMEM;
        goto out;
    }
    size_t ntaken = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        pair_b[i] = find_label(rb, ra->segments[i].label);
        if (pair_b[i] < 0 || find_label(ra, ra->segments[i].label) != (long)i)
            continue;
        if (rm_plot_interrupted()) {
            rc = rm_fail(RM_EINTR, "interrupted");
            break;
        }
        rm_plot_file_stem(ra->segments[i].label, taken, ntaken, stems[i], sizeof(stems[i]));
        taken[ntaken++] = stems[i];
        rc = draw_muscle(job, i, (size_t)pair_b[i], stems[i], pictures[i], sizeof(pictures[i]));
    }
    char final[4096], partial[4096];
    snprintf(final, sizeof(final), "%s/compare.html", opts->out_dir);
    snprintf(partial, sizeof(partial), "%s/.compare.html.%ld.partial", opts->out_dir,
             (long)getpid());
    if (!rc && !(rc = write_page(partial, a, b, pair_b, pictures))) {
        if (rename(partial, final) != 0)
            rc = rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
        else if (report_path)
            snprintf(report_path, report_path_size, "%s", final);
    }
    if (rc)
        unlink(partial);
out:
    free(pair_b);
    free(pictures);
    free(taken);
    free(stems);
    return rc;
}

int rm_plot_compare(const char *a_path, const char *b_path, const struct rm_plot_opts *opts,
                    char *report_path, size_t report_path_size)
{
    char gnuplot[4096], tmpdir[4096] = "";
    int rc = rm_gnuplot_find(gnuplot, sizeof(gnuplot));
    if (rc)
        return rc;
    struct session a = {0}, b = {0};
    struct rm_plot_signals saved;
    rm_plot_signals_catch(&saved);
    if ((rc = open_session(&a, a_path, opts)) || (rc = open_session(&b, b_path, opts)))
        goto out;
    if ((rc = rm_plot_make_dirs(opts->out_dir)) ||
        (rc = rm_plot_tmpdir_create(tmpdir, sizeof(tmpdir))))
        goto out;
    struct picture_job job = {
        .gnuplot = gnuplot,
        .tmpdir = tmpdir,
        .out_dir = opts->out_dir,
        .ext = opts->format == RM_PLOT_SVG ? "svg" : "png",
        .a = &a,
        .b = &b,
        .threshold = rm_plot_above_threshold(a.result),
        .unit = a.result->calibrated ? "kPa" : "counts",
    };
    rc = compare_all(&a, &b, opts, &job, report_path, report_path_size);
out:
    if (tmpdir[0])
        rm_plot_tmpdir_remove(tmpdir);
    rm_plot_signals_restore(&saved);
    close_session(&a);
    close_session(&b);
    return rc;
}
