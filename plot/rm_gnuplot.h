/* gnuplot as plot/ runs it, for every part that draws pictures (plot/,
 * history/): a private temporary directory that a signal cannot leave
 * behind, the gnuplot scripts embedded from scripts/, variables files, one
 * run of gnuplot per picture written under a partial name and renamed into
 * place, and the HTML escaping and file names of the reports. */
#ifndef RM_GNUPLOT_H
#define RM_GNUPLOT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- temporary directory and signals ------------------------------------ */

/* A fresh directory $TMPDIR/rollmat-plot-XXXXXX (or under /tmp), mode 0700,
 * its path in out. The caller removes it with rm_plot_tmpdir_remove(). */
int rm_plot_tmpdir_create(char *out, size_t size);
/* Removes dir and everything in it (never follows symlinks). */
void rm_plot_tmpdir_remove(const char *dir);
/* Creates dir and its missing parents (mode 0755); RM_EIO when it cannot
 * or when dir is not a directory. */
int rm_plot_make_dirs(const char *dir);

/* SIGINT, SIGTERM and SIGHUP only set a flag while a plot runs, so that the
 * run stops at the next step and still removes its temporary files. */
struct rm_plot_signals {
    struct sigaction old_int, old_term, old_hup;
};
void rm_plot_signals_catch(struct rm_plot_signals *saved);
void rm_plot_signals_restore(const struct rm_plot_signals *saved);
bool rm_plot_interrupted(void);
/* The child process a signal must stop (0: none). */
void rm_plot_signals_set_child(pid_t pid);

/* ---- gnuplot ------------------------------------------------------------ */

/* The gnuplot executable on $PATH, or RM_EEXTERNAL with the one line that
 * says how to install it. */
int rm_gnuplot_find(char *path, size_t size);

/* Runs `gnuplot VARS SCRIPT` with stdin from /dev/null and its output in
 * tmpdir/gnuplot.log. A non-zero exit gives RM_EEXTERNAL with gnuplot's
 * first error line, prefixed by `what`; warnings are logged. */
int rm_gnuplot_run(const char *gnuplot, const char *tmpdir, const char *vars_path,
                   const char *script_path, const char *what);

/* The first line of gnuplot's output that reports an error (`"file" line
 * N: what`, or one naming an error), else the last non-empty line; copied
 * into out. Exposed for the unit tests. */
void rm_gnuplot_error_line(const char *log, char *out, size_t size);

/* ---- scripts ------------------------------------------------------------ */

/* The path of the script `name` (e.g. "plot-heatmap"): in
 * $ROLLMAT_SCRIPTS_DIR when set (RM_EUSAGE if it has no such file), else
 * the copy embedded at build time written into tmpdir. */
int rm_plot_script_path(const char *name, const char *tmpdir, char *out, size_t size);

/* ---- gnuplot variables files -------------------------------------------- */

/* Writers for `name = value` lines a script reads. Strings are written
 * single-quoted (a quote doubled, control characters as spaces); NaN and
 * infinities as NaN. Arrays of n = 0 are written with one dummy element
 * because gnuplot has no empty arrays: scripts loop to an explicit count. */
void rm_gp_str(FILE *f, const char *name, const char *value);
void rm_gp_num(FILE *f, const char *name, double value);
void rm_gp_int(FILE *f, const char *name, long value);
void rm_gp_num_array(FILE *f, const char *name, const double *values, size_t n);
void rm_gp_str_array(FILE *f, const char *name, const char *const *values, size_t n);
/* v rounded up to a round colour-bar or axis top (1, 1.2, 1.5 ... 8 times
 * a power of ten); 1 for v <= 0. */
double rm_plot_nice_top(double v);

/* Runs the script `script` (by name, as rm_plot_script_path finds it)
 * with vars_path; the script writes `partial`, which is renamed to `final`
 * once gnuplot succeeded. */
int rm_gnuplot_draw(const char *gnuplot, const char *tmpdir, const char *script,
                    const char *vars_path, const char *partial, const char *final,
                    const char *what);

/* ---- names -------------------------------------------------------------- */

/* A file-name stem from a segment label: lower-case ASCII letters, digits,
 * '-', '_' and '.' kept, runs of anything else turned into one '-', no
 * leading '.' or '-', at most 48 bytes; "segment" when nothing is left.
 * `taken` lists the stems already used (n of them): a repeat gets "-2",
 * "-3" ... */
void rm_plot_file_stem(const char *label, const char *const *taken, size_t n, char *out,
                       size_t size);

/* Writes s with &, <, >, " and ' escaped for HTML text and attributes. */
void rm_html_escape(FILE *f, const char *s);

#endif
