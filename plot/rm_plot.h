/* Pictures of a rolling session: per segment a pressure heatmap over the mat
 * and a timeline (kymograph + speed), an overview of the session and an
 * offline HTML report, drawn by gnuplot run as an outside program
 * (docs/report.md explains the pictures). */
#ifndef RM_PLOT_H
#define RM_PLOT_H

#include <stddef.h>

enum rm_plot_format {
    RM_PLOT_PNG = 0,
    RM_PLOT_SVG = 1,
};

/* More segments than this is no session to draw (thousands of pictures for
 * minutes): plot refuses it at once, analyze still reports them all. */
#define RM_PLOT_MAX_SEGMENTS 200

struct rm_plot_opts {
    const char *out_dir;          /* created if missing */
    enum rm_plot_format format;   /* PNG by default */
    const char *calibration_path; /* --calibration; NULL: the recording's own */
    const char *profile;          /* --profile NAME|FILE; NULL: "default" */
};

/* Analyses the recording at path and writes every picture and
 * out_dir/report.html. report.html is written last (through a temporary
 * name), so its presence means the set is complete; a failed picture is
 * never left behind under its final name. On success report_path (when not
 * NULL) receives the report's path. Errors: RM_EEXTERNAL (gnuplot missing
 * or failing, with its first error line), RM_EFORMAT (bad recording or
 * calibration), RM_EUSAGE (bad profile), RM_EIO, RM_EINTR (SIGINT/SIGTERM:
 * the temporary directory is removed first). */
int rm_plot_run(const char *path, const struct rm_plot_opts *opts, char *report_path,
                size_t report_path_size);

/* `rollmat plot` (shared/spec/cli.md). */
int rm_cmd_plot(int argc, char **argv);

#endif
