/* `rollmat plot [--out DIR] [--format png|svg] [--calibration CAL.h5]
 * [--profile NAME|FILE] [--jobs N] FILE.h5 ...` (shared/spec/cli.md, which
 * names one file: several and --jobs are this version's addition). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "plot_internal.h"
#include "rm_cli.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_plot.h"

#define LOG_PREFIX "plot"
#define COMMAND    "plot"

static void usage(FILE *out)
{
    fputs("usage: rollmat plot [--out DIR] [--format png|svg] [--calibration CAL.h5]\n"
          "                    [--profile NAME|FILE] [--jobs N] FILE.h5 ...\n"
          "       rollmat plot --compare [--out DIR] [...] A.h5 B.h5\n"
          "\n"
          "Draws the pictures of each recording with gnuplot and writes report.html\n"
          "beside them: per segment LABEL-heatmap (seconds at a pressure, and peak\n"
          "pressure over the mat, with the centre of pressure's track), LABEL-series\n"
          "(force, contact-mean pressure and contact area over time), LABEL-timeline\n"
          "(roll position over time and roll speed), overview (score per muscle),\n"
          "movie.js (the session as a movie), analysis.json, and report.html, which\n"
          "shows them all offline.\n"
          "\n"
          "  -o, --out DIR          output directory; default NAME-plots beside NAME.h5.\n"
          "                         With several recordings: DIR/NAME-plots for each\n"
          "  -f, --format FMT       png (default) or svg\n"
          "  -c, --calibration CAL  use this calibration instead of the recording's own\n"
          "  -p, --profile P        guidance profile: default, short, long, or an INI file\n"
          "  -j, --jobs N           recordings drawn at once (default 1)\n"
          "      --compare          two sessions: the muscles both rolled side by side with\n"
          "                         a difference map, DIR/compare.html (default DIR:\n"
          "                         A-vs-B-plots beside A.h5)\n"
          "  -h, --help             this help\n"
          "\n"
          "The last line on stdout for each recording is the path of its report.html.\n"
          "A bad recording does not stop the others; the exit code is then 3.\n"
          "Needs gnuplot on PATH (apt-get install gnuplot-nox). ROLLMAT_SCRIPTS_DIR\n"
          "overrides the built-in gnuplot scripts (scripts/plot-*.gp).\n",
          out);
}

/* NAME-plots for a path DIR/NAME.h5: in `in` when given, else beside the
 * recording (in DIR). 0, or RM_EUSAGE when the path does not fit. */
static int out_dir_for(const char *path, const char *in, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int len = (int)strlen(base);
    if (len > 3 && strcmp(base + len - 3, ".h5") == 0)
        len -= 3;
    const char *name = len > 0 ? base : "rollmat";
    len = len > 0 ? len : (int)strlen(name);
    int n;
    if (in)
        n = snprintf(out, size, "%s/%.*s-plots", in, len, name);
    else if (slash)
        n = snprintf(out, size, "%.*s/%.*s-plots", (int)(slash - path), path, len, name);
    else
        n = snprintf(out, size, "%.*s-plots", len, name);
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_EUSAGE, "%s: path too long", path);
    return 0;
}

/* One recording, in this process: its report's path on stdout, or the
 * one error line. Returns the exit code. */
static int plot_one(const char *path, const struct rm_plot_opts *opts)
{
    rm_clear_error();
    char report[4096];
    int rc = rm_plot_run(path, opts, report, sizeof(report));
    if (rc) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    printf("%s\n", report);
    fflush(stdout);
    return 0;
}

/* The exit code of a child, as plot_one's. */
static int child_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 1; /* killed: a run-time failure */
}

/* Several recordings, up to `jobs` at once, each in a child process of its
 * own (a plot is one analysis, one HDF5 reader and gnuplot runs: processes
 * keep them apart). Returns the worst exit code. */
static int plot_many(char **paths, int n, const struct rm_plot_opts *base, const char *out_root,
                     int jobs)
{
    int worst = 0, running = 0;
    for (int i = 0; i < n || running > 0;) {
        if (i < n && running < jobs) {
            char dir[4096];
            struct rm_plot_opts opts = *base;
            if (out_dir_for(paths[i], out_root, dir, sizeof(dir))) {
                rm_log_error_line(rm_last_error(RM_EUSAGE));
                worst = worst > 2 ? worst : 2;
                i++;
                continue;
            }
            opts.out_dir = dir;
            if (jobs == 1) {
                int code = plot_one(paths[i++], &opts);
                worst = code > worst ? code : worst;
                continue;
            }
            fflush(stdout);
            fflush(stderr);
            pid_t pid = fork();
            if (pid == 0)
                _exit(plot_one(paths[i], &opts));
            if (pid < 0) {
                rm_log_error_line("cannot start a job: out of processes");
                return worst > 1 ? worst : 1;
            }
            running++;
            i++;
            continue;
        }
        int status;
        pid_t done = waitpid(-1, &status, 0);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        running--;
        int code = child_code(status);
        worst = code > worst ? code : worst;
    }
    return worst;
}

/* --compare A.h5 B.h5: into `out`, or A-vs-B-plots beside A. */
static int plot_compare(int argc, char **argv, struct rm_plot_opts *opts, const char *out)
{
    if (rm_cli_operands(COMMAND, argc, argv, 2, 2, "A.h5 B.h5"))
        return RM_CLI_USAGE;
    const char *a = argv[optind], *b = argv[optind + 1];
    char dir[4096], name[4096];
    if (!out) {
        const char *slash = strrchr(b, '/');
        const char *base = slash ? slash + 1 : b;
        size_t len = strlen(base);
        if (len > 3 && strcmp(base + len - 3, ".h5") == 0)
            len -= 3;
        /* "A.h5" with "-vs-B" appended before its extension names the pair. */
        const char *ext = strlen(a) > 3 && strcmp(a + strlen(a) - 3, ".h5") == 0 ? ".h5" : "";
        snprintf(name, sizeof(name), "%.*s-vs-%.*s%s", (int)(strlen(a) - strlen(ext)), a, (int)len,
                 base, ext);
        rm_clear_error();
        if (out_dir_for(name, NULL, dir, sizeof(dir))) {
            rm_log_error_line(rm_last_error(RM_EUSAGE));
            return RM_CLI_USAGE;
        }
        out = dir;
    }
    opts->out_dir = out;
    rm_clear_error();
    char report[4096];
    int rc = rm_plot_compare(a, b, opts, report, sizeof(report));
    if (rc) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    printf("%s\n", report);
    return 0;
}

int rm_cmd_plot(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"calibration", required_argument, NULL, 'c'},
        {"profile", required_argument, NULL, 'p'},
        {"jobs", required_argument, NULL, 'j'},
        {"compare", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rm_plot_opts opts = {0};
    opts.format = RM_PLOT_PNG;
    const char *out = NULL;
    int jobs = 1;
    bool compare = false;
    rm_cli_getopt_start();
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:f:c:p:j:h", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "png") == 0) {
                opts.format = RM_PLOT_PNG;
            } else if (strcmp(optarg, "svg") == 0) {
                opts.format = RM_PLOT_SVG;
            } else {
                return rm_cli_usage_error(COMMAND, "--format '%s': expected png or svg", optarg);
            }
            break;
        case 'c':
            opts.calibration_path = optarg;
            break;
        case 'p':
            opts.profile = optarg;
            break;
        case 'j':
            if (rm_cli_parse_int(COMMAND, "--jobs", optarg, 1, 256, &jobs))
                return RM_CLI_USAGE;
            break;
        case 'C':
            compare = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return rm_cli_bad_option(COMMAND, ch, argv);
        }
    }
    if (compare)
        return plot_compare(argc, argv, &opts, out);
    if (rm_cli_operands(COMMAND, argc, argv, 1, -1, "FILE.h5"))
        return RM_CLI_USAGE;
    int n = argc - optind;
    char **paths = argv + optind;
    /* Two recordings of one name would draw into one folder. */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < i; k++) {
            char a[4096], b[4096];
            if (n > 1 && out_dir_for(paths[i], out, a, sizeof(a)) == 0 &&
                out_dir_for(paths[k], out, b, sizeof(b)) == 0 && strcmp(a, b) == 0)
                return rm_cli_usage_error(COMMAND, "'%s' and '%s' would both be drawn into %s",
                                          paths[k], paths[i], a);
        }
    if (n == 1 && out) {
        opts.out_dir = out;
        return plot_one(paths[0], &opts);
    }
    return plot_many(paths, n, &opts, out, jobs > n ? n : jobs);
}
