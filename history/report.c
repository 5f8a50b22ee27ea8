/* `rollmat history report -o DIR`: per muscle a spots chart and a trend
 * chart, sessions per week, drawn by gnuplot exactly as plot/ runs it
 * (rm_gnuplot.h), and DIR/report.html, written last through a temporary
 * name so that its presence means the set is complete. The page is one
 * offline file like the session report: inline CSS, no scripts, pictures by
 * relative path, every text from the database escaped. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hi_internal.h"
#include "rm_error.h"
#include "rm_gnuplot.h"
#include "rm_utc.h"

#define DAY_S     86400
#define STEM_LEN  64
#define SLOW_MAX  50.0 /* mm/s: the default profile's speed_slow_max_mm_s */
#define PIC_WIDTH 1000

struct report {
    struct rm_history *h;
    const char *out_dir;
    char gnuplot[4096], tmpdir[4096], partial[4200];
    struct hi_trend_row *rows;
    size_t nrows;
    struct hi_week *weeks;
    size_t nweeks;
    struct hi_hold_row *holds;
    size_t nholds;
    struct rm_history_spot *spots;
    size_t nspots;
    const char **muscles; /* distinct labels, pointing into rows */
    char (*stems)[STEM_LEN];
    bool *has_holds;
    size_t nmuscles;
    int64_t t0, t1; /* the dates drawn, padded */
    size_t nsessions;
};

static int tmp_path(const struct report *r, char *out, size_t size, const char *name)
{
    int n = snprintf(out, size, "%s/%s", r->tmpdir, name);
    return n > 0 && (size_t)n < size ? 0 : rm_fail(RM_EUSAGE, "temporary path too long");
}

static int out_path(const struct report *r, char *out, size_t size, const char *name)
{
    int n = snprintf(out, size, "%s/%s", r->out_dir, name);
    return n > 0 && (size_t)n < size ? 0 : rm_fail(RM_EUSAGE, "%s: path too long", r->out_dir);
}

static int close_file(FILE *f, const char *path)
{
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok)
        return rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

static FILE *open_vars(struct report *r, const char *vars, const char *name, const char *title,
                       const char *subtitle, int height)
{
    char final[4200];
    if (out_path(r, final, sizeof(final), name) != 0)
        return NULL;
    snprintf(r->partial, sizeof(r->partial), "%s/.%s.%ld.partial", r->out_dir, name,
             (long)getpid());
    FILE *f = fopen(vars, "w");
    if (!f) {
        rm_fail(RM_EIO, "%s: %s", vars, strerror(errno));
        return NULL;
    }
    rm_gp_str(f, "out", r->partial);
    rm_gp_str(f, "term", "png");
    rm_gp_int(f, "width", PIC_WIDTH);
    rm_gp_int(f, "height", height);
    rm_gp_str(f, "title", title);
    rm_gp_str(f, "subtitle", subtitle);
    rm_gp_num(f, "t0", (double)r->t0);
    rm_gp_num(f, "t1", (double)r->t1);
    return f;
}

static int draw(struct report *r, FILE *vars_file, const char *vars, const char *script,
                const char *name)
{
    char final[4200];
    int rc = close_file(vars_file, vars);
    rc = rc ? rc : out_path(r, final, sizeof(final), name);
    rc = rc ? rc : rm_gnuplot_draw(r->gnuplot, r->tmpdir, script, vars, r->partial, final, name);
    if (!rc)
        r->partial[0] = '\0';
    return rc;
}

/* The data and variables files of one picture, in the temporary
 * directory (data: KIND.dat, vars: KIND.gp.vars), the data file opened for
 * writing in *f. */
static int open_data(const struct report *r, const char *kind, char *data, char *vars, size_t size,
                     FILE **f)
{
    char name[64];
    snprintf(name, sizeof(name), "%s.dat", kind);
    int rc = tmp_path(r, data, size, name);
    snprintf(name, sizeof(name), "%s.gp.vars", kind);
    rc = rc ? rc : tmp_path(r, vars, size, name);
    if (rc)
        return rc;
    if (!(*f = fopen(data, "w")))
        return rm_fail(RM_EIO, "%s: %s", data, strerror(errno));
    return 0;
}

static int draw_trend(struct report *r, size_t m)
{
    char data[4200], vars[4200], name[128], title[160], words[96];
    snprintf(name, sizeof(name), "trend-%s.png", r->stems[m]);
    FILE *f = NULL;
    int rc = open_data(r, "trend", data, vars, sizeof(data), &f);
    if (rc)
        return rc;
    double top = SLOW_MAX * 1.5;
    size_t n = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const struct hi_trend_row *t = &r->rows[i];
        if (strcmp(t->muscle, r->muscles[m]) != 0)
            continue;
        fprintf(f, "%lld ", (long long)t->when);
        if (isfinite(t->speed_median_mm_s))
            fprintf(f, "%.2f ", t->speed_median_mm_s);
        else
            fprintf(f, "NaN ");
        if (t->score >= 0)
            fprintf(f, "%d\n", t->score);
        else
            fprintf(f, "NaN\n");
        if (isfinite(t->speed_median_mm_s) && t->speed_median_mm_s * 1.15 > top)
            top = t->speed_median_mm_s * 1.15;
        n++;
    }
    if ((rc = close_file(f, data)))
        return rc;
    hi_muscle_words(r->muscles[m], words, sizeof(words));
    snprintf(title, sizeof(title), "%s: speed and score over time", words);
    char subtitle[96];
    snprintf(subtitle, sizeof(subtitle), "%zu session%s", n, n == 1 ? "" : "s");
    FILE *v = open_vars(r, vars, name, title, subtitle, 560);
    if (!v)
        return RM_EIO;
    rm_gp_str(v, "data", data);
    rm_gp_num(v, "slow_max", SLOW_MAX);
    rm_gp_num(v, "speed_top", ceil(top / 10) * 10);
    return draw(r, v, vars, "plot-history-trend", name);
}

static int draw_spots(struct report *r, size_t m)
{
    char data[4200], vars[4200], name[128], title[160], words[96];
    snprintf(name, sizeof(name), "spots-%s.png", r->stems[m]);
    FILE *f = NULL;
    int rc = open_data(r, "spots", data, vars, sizeof(data), &f);
    if (rc)
        return rc;
    size_t nh = 0;
    for (size_t i = 0; i < r->nholds; i++) {
        const struct hi_hold_row *k = &r->holds[i];
        if (strcmp(k->muscle, r->muscles[m]) != 0)
            continue;
        bool rec = k->spot >= 0 && r->spots[k->spot].recurring;
        fprintf(f, "%lld %.4f %.2f %d\n", (long long)k->when, k->relative_position, k->duration_s,
                rec);
        nh++;
    }
    if ((rc = close_file(f, data)))
        return rc;
    double lo[64], hi[64], rec[64];
    const char *text[64];
    char texts[64][128];
    size_t nb = 0;
    for (size_t i = 0; i < r->nspots && nb < 64; i++) {
        const struct rm_history_spot *s = &r->spots[i];
        if (strcmp(s->muscle, r->muscles[m]) != 0)
            continue;
        lo[nb] = s->position_lo - 0.025;
        hi[nb] = s->position_hi + 0.025;
        rec[nb] = s->recurring;
        snprintf(texts[nb], sizeof(texts[nb]), "%s: %d sessions over %.0f days",
                 s->recurring ? "recurring spot" : "spot", s->sessions, s->days);
        text[nb] = texts[nb];
        nb++;
    }
    hi_muscle_words(r->muscles[m], words, sizeof(words));
    snprintf(title, sizeof(title), "%s: where it needed holds", words);
    char subtitle[128];
    snprintf(subtitle, sizeof(subtitle),
             "%zu hold%s; 0 = the start of the stretch rolled, 1 = its end", nh,
             nh == 1 ? "" : "s");
    FILE *v = open_vars(r, vars, name, title, subtitle, 520);
    if (!v)
        return RM_EIO;
    rm_gp_str(v, "data", data);
    rm_gp_int(v, "n_band", (long)nb);
    rm_gp_num_array(v, "band_lo", lo, nb);
    rm_gp_num_array(v, "band_hi", hi, nb);
    rm_gp_num_array(v, "band_rec", rec, nb);
    rm_gp_str_array(v, "band_text", text, nb);
    return draw(r, v, vars, "plot-history-spots", name);
}

static int draw_weeks(struct report *r)
{
    char data[4200], vars[4200];
    FILE *f = NULL;
    int rc = open_data(r, "weeks", data, vars, sizeof(data), &f);
    if (rc)
        return rc;
    int top = 1;
    size_t rolled = 0;
    for (size_t i = 0; i < r->nweeks; i++) {
        char day[32];
        time_t monday = (time_t)r->weeks[i].start;
        struct tm tm;
        gmtime_r(&monday, &tm);
        strftime(day, sizeof(day), "%d %b", &tm);
        fprintf(f, "%zu %d \"%s\"\n", i, r->weeks[i].sessions, day);
        top = r->weeks[i].sessions > top ? r->weeks[i].sessions : top;
        rolled += r->weeks[i].sessions > 0;
    }
    if ((rc = close_file(f, data)))
        return rc;
    char subtitle[128];
    snprintf(subtitle, sizeof(subtitle), "rolled in %zu of %zu weeks; the guidance: each week",
             rolled, r->nweeks);
    FILE *v = open_vars(r, vars, "weeks.png", "Sessions per week", subtitle, 420);
    if (!v)
        return RM_EIO;
    rm_gp_str(v, "data", data);
    rm_gp_int(v, "n_weeks", (long)r->nweeks);
    rm_gp_int(v, "top", top + 1);
    return draw(r, v, vars, "plot-history-weeks", "weeks.png");
}

/* ---- the page ----------------------------------------------------------- */

static const char CSS[] =
    "body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:0;background:#f5f5f2;"
    "color:#222;line-height:1.45}"
    "header{background:#1f3a4d;color:#fff;padding:1.1em}"
    "header div,main{max-width:1100px;margin:0 auto}main{padding:1em}"
    "h1{margin:0;font-size:1.5em}.meta{opacity:.85;margin:.2em 0 0}"
    "section{background:#fff;border-radius:.5em;padding:.9em 1.2em;margin:1.1em 0;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    ".warn{border-left:.4em solid #d7301f}"
    "table{border-collapse:collapse;margin:.4em 0;font-size:.93em}"
    "td,th{padding:.15em .8em .15em 0;text-align:right}th{color:#555;font-weight:normal}"
    "td:first-child,th:first-child{text-align:left}"
    ".rec{color:#b2182b;font-weight:bold}"
    "img{max-width:100%;height:auto;border:1px solid #ddd;margin:.5em 0}"
    "footer{color:#666;font-size:.85em;max-width:1100px;margin:0 auto;padding:0 1em 2em}";

static void esc(FILE *f, const char *s)
{
    rm_html_escape(f, s);
}

/* A table cell: v with `decimals` and a unit ("" for none), or a dash. */
static void cell_num(FILE *f, double v, int decimals, const char *unit)
{
    fputs("<td>", f);
    if (isfinite(v))
        fprintf(f, "%.*f%s%s", decimals, v, unit[0] ? " " : "", unit);
    else
        fputs("&ndash;", f);
    fputs("</td>", f);
}

static void page_spots(FILE *f, const struct report *r)
{
    size_t nrec = 0;
    for (size_t i = 0; i < r->nspots; i++)
        nrec += r->spots[i].recurring;
    fprintf(f, "<section%s><h2>Tender spots that come back</h2>\n", nrec ? " class=\"warn\"" : "");
    if (nrec) {
        fputs("<ul>\n", f);
        for (size_t i = 0; i < r->nspots; i++)
            if (r->spots[i].recurring) {
                char sentence[320];
                rm_history_spot_sentence(&r->spots[i], sentence, sizeof(sentence));
                fputs("<li class=\"rec\">", f);
                esc(f, sentence);
                fputs("</li>\n", f);
            }
        fputs("</ul>\n", f);
    } else {
        fputs("<p>No spot has needed a hold in 3 or more sessions over 2 weeks or more.</p>\n", f);
    }
    if (r->nspots) {
        fputs("<table><tr><th>muscle</th><th>position</th><th>sessions</th><th>holds</th>"
              "<th>first</th><th>last</th><th>held in all</th><th></th></tr>\n",
              f);
        for (size_t i = 0; i < r->nspots; i++) {
            const struct rm_history_spot *s = &r->spots[i];
            fputs("<tr><td>", f);
            esc(f, s->muscle);
            fprintf(f,
                    "</td><td>%.2f</td><td>%d</td><td>%d</td><td>%.10s</td><td>%.10s</td>"
                    "<td>%.0f s</td><td%s>%s</td></tr>\n",
                    s->relative_position, s->sessions, s->holds, s->first_utc, s->last_utc,
                    s->hold_s_total, s->recurring ? " class=\"rec\"" : "",
                    s->recurring ? "recurring" : "");
        }
        fputs("</table>\n", f);
    }
    fputs("<p>A spot is the holds on one muscle within 0.1 of each other along it (0 is the "
          "start of the stretch rolled, 1 its end), in different sessions; it is recurring "
          "when held in 3 or more sessions spread over 14 days or more.</p></section>\n",
          f);
}

static void page_muscle(FILE *f, const struct report *r, size_t m)
{
    char words[96];
    hi_muscle_words(r->muscles[m], words, sizeof(words));
    fputs("<section><h2>", f);
    esc(f, words);
    fputs(" <small>(", f);
    esc(f, r->muscles[m]);
    fputs(")</small></h2>\n", f);
    if (r->has_holds[m])
        fprintf(f, "<img src=\"spots-%s.png\" alt=\"holds over time along the ", r->stems[m]);
    else
        fputs("<p>No holds on this muscle yet.</p>\n", f);
    if (r->has_holds[m]) {
        esc(f, words);
        fputs("\">\n", f);
    }
    fprintf(f, "<img src=\"trend-%s.png\" alt=\"speed and score of the ", r->stems[m]);
    esc(f, words);
    fputs(" over time\">\n<table><tr><th>date (UTC)</th><th>median speed</th><th>slow</th>"
          "<th>holds</th><th>held</th><th>longest</th><th>contact-mean</th><th>score</th></tr>\n",
          f);
    for (size_t i = 0; i < r->nrows; i++) {
        const struct hi_trend_row *t = &r->rows[i];
        if (strcmp(t->muscle, r->muscles[m]) != 0)
            continue;
        fprintf(f, "<tr><td>%.10s %.5s</td>", t->created_utc, t->created_utc + 11);
        cell_num(f, t->speed_median_mm_s, 0, "mm/s");
        cell_num(f, 100 * t->fraction_slow, 0, "%");
        fprintf(f, "<td>%d</td>", t->holds);
        cell_num(f, t->holds ? t->hold_s_total : NAN, 0, "s");
        cell_num(f, t->holds ? t->hold_s_longest : NAN, 0, "s");
        cell_num(f, t->mean_kpa, 1, "kPa");
        cell_num(f, t->score >= 0 ? t->score : NAN, 0, "");
        fputs("</tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

static int write_page(struct report *r)
{
    char final[4200], tmp[4300];
    int rc = out_path(r, final, sizeof(final), "report.html");
    if (rc)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s/.report.html.%ld.partial", r->out_dir, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return rm_fail(RM_EIO, "%s: %s", tmp, strerror(errno));
    char first[32] = "", last[32] = "";
    if (r->nweeks) {
        rm_utc_format(r->t0 + DAY_S, first, sizeof(first));
        rm_utc_format(r->t1 - DAY_S, last, sizeof(last));
    }
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Rolling history</title><style>%s</style></head><body>\n"
            "<header><div><h1>Rolling history</h1><p class=\"meta\">%zu sessions, "
            "%.10s to %.10s &middot; ",
            CSS, r->nsessions, first, last);
    esc(f, rm_history_path(r->h));
    fputs("</p></div></header>\n<main>\n", f);
    page_spots(f, r);
    for (size_t m = 0; m < r->nmuscles; m++)
        page_muscle(f, r, m);
    fputs("<section><h2>Sessions per week</h2><img src=\"weeks.png\" alt=\"sessions per "
          "week\"><p>The guidance is to set aside time each week for foam rolling: "
          "&ldquo;consistency is key&rdquo;.</p></section>\n</main>\n",
          f);
    fputs("<footer>Made by rollmat history report. Holds, speeds and scores as in the session "
          "reports (docs/scoring.md); spots and the advice to have a recurring one looked at, "
          "docs/history.md.</footer>\n</body></html>\n",
          f);
    rc = close_file(f, tmp);
    if (!rc && rename(tmp, final) != 0)
        rc = rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

/* ---- all of it ---------------------------------------------------------- */

static int load(struct report *r)
{
    int rc = hi_trend_rows(r->h, NULL, &r->rows, &r->nrows);
    rc = rc ? rc : hi_weeks(r->h, &r->weeks, &r->nweeks);
    rc = rc ? rc : hi_load_holds(r->h, &r->holds, &r->nholds);
    rc = rc ? rc : hi_cluster(r->holds, r->nholds, &r->spots, &r->nspots);
    if (rc)
        return rc;
    if (r->nrows == 0)
        return rm_fail(RM_ENOTFOUND, "%s: no history yet (no sessions)", rm_history_path(r->h));
    if (r->nweeks == 0) /* every date is checked when added: not our file's doing */
        return rm_fail(RM_EFORMAT, "%s: corrupt history: no session has a valid date",
                       rm_history_path(r->h));
    r->muscles = calloc(r->nrows, sizeof(*r->muscles));
    r->stems = calloc(r->nrows, sizeof(*r->stems));
    r->has_holds = calloc(r->nrows, sizeof(*r->has_holds));
    if (!r->muscles || !r->stems || !r->has_holds)
        return RM_ENOMEM;
    /* The dates drawn: those that parsed (0 stands for one that did not). */
    int64_t lo = INT64_MAX, hi = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        if (r->rows[i].when > 0) {
            lo = r->rows[i].when < lo ? r->rows[i].when : lo;
            hi = r->rows[i].when > hi ? r->rows[i].when : hi;
        }
        if (i == 0 || strcmp(r->rows[i].muscle, r->rows[i - 1].muscle) != 0) {
            const char *taken[1024];
            size_t nt = r->nmuscles < 1024 ? r->nmuscles : 1024;
            for (size_t k = 0; k < nt; k++)
                taken[k] = r->stems[k];
            r->muscles[r->nmuscles] = r->rows[i].muscle;
            rm_plot_file_stem(r->rows[i].muscle, taken, nt, r->stems[r->nmuscles], STEM_LEN);
            r->nmuscles++;
        }
    }
    for (size_t i = 0; i < r->nholds; i++)
        for (size_t m = 0; m < r->nmuscles; m++)
            if (strcmp(r->holds[i].muscle, r->muscles[m]) == 0)
                r->has_holds[m] = true;
    r->nsessions = 0;
    for (size_t i = 0; i < r->nweeks; i++)
        r->nsessions += (size_t)r->weeks[i].sessions;
    if (hi == 0) /* no segment of a dated session: the weeks still have dates */
        lo = hi = r->weeks[0].start;
    r->t0 = lo - DAY_S;
    r->t1 = hi + DAY_S;
    return 0;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        return rm_fail(RM_EUSAGE, "-o %s: not a directory", dir);
    }
    return rm_fail(RM_EIO, "-o %s: %s", dir, strerror(errno));
}

int hi_report(struct rm_history *h, const char *out_dir)
{
    struct report r = {.h = h, .out_dir = out_dir};
    int rc = rm_gnuplot_find(r.gnuplot, sizeof(r.gnuplot));
    if (rc)
        return rc;
    struct rm_plot_signals saved;
    rm_plot_signals_catch(&saved);
    rc = load(&r);
    rc = rc ? rc : make_dir(out_dir);
    rc = rc ? rc : rm_plot_tmpdir_create(r.tmpdir, sizeof(r.tmpdir));
    for (size_t m = 0; !rc && m < r.nmuscles; m++) {
        if (r.has_holds[m])
            rc = draw_spots(&r, m);
        rc = rc ? rc : draw_trend(&r, m);
    }
    rc = rc ? rc : draw_weeks(&r);
    if (!rc && rm_plot_interrupted())
        rc = rm_fail(RM_EINTR, "interrupted");
    rc = rc ? rc : write_page(&r);
    if (r.partial[0])
        unlink(r.partial);
    if (r.tmpdir[0])
        rm_plot_tmpdir_remove(r.tmpdir);
    rm_plot_signals_restore(&saved);
    free(r.rows);
    free(r.weeks);
    free(r.holds);
    free(r.spots);
    free(r.muscles);
    free(r.stems);
    free(r.has_holds);
    return rc;
}
