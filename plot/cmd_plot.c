/* `rollmat plot [--out DIR] [--format png|svg] [--calibration CAL.h5]
 * [--profile NAME|FILE] FILE.h5` (shared/spec/cli.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rm_cli.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_plot.h"

#define LOG_PREFIX "plot"
#define COMMAND    "plot"

static void usage(FILE *out)
{
    fputs("usage: rollmat plot [--out DIR] [--format png|svg] [--calibration CAL.h5]\n"
          "                    [--profile NAME|FILE] FILE.h5\n"
          "\n"
          "Draws the pictures of a recording with gnuplot and writes DIR/report.html:\n"
          "per segment LABEL-heatmap (time under pressure and peak pressure over the mat)\n"
          "and LABEL-timeline (roll position over time and roll speed), overview (score\n"
          "per muscle), analysis.json, and report.html, which shows them all offline.\n"
          "\n"
          "  -o, --out DIR          output directory (default: NAME-plots for NAME.h5)\n"
          "  -f, --format FMT       png (default) or svg\n"
          "  -c, --calibration CAL  use this calibration instead of the recording's own\n"
          "  -p, --profile P        guidance profile: default, short, long, or an INI file\n"
          "  -h, --help             this help\n"
          "\n"
          "Needs gnuplot on PATH (apt-get install gnuplot-nox). ROLLMAT_SCRIPTS_DIR\n"
          "overrides the built-in gnuplot scripts (scripts/plot-*.gp).\n",
          out);
}

/* NAME-plots for a path .../NAME.h5 (in the current directory). */
static void default_out_dir(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 3 && strcmp(base + len - 3, ".h5") == 0)
        len -= 3;
    if (len == 0) {
        snprintf(out, size, "rollmat-plots");
        return;
    }
    snprintf(out, size, "%.*s-plots", (int)len, base);
}

int rm_cmd_plot(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"calibration", required_argument, NULL, 'c'},
        {"profile", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rm_plot_opts opts = {0};
    opts.format = RM_PLOT_PNG;
    rm_cli_getopt_start();
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:f:c:p:h", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            opts.out_dir = optarg;
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
        case 'h':
            usage(stdout);
            return 0;
        default:
            return rm_cli_bad_option(COMMAND, ch, argv);
        }
    }
    if (rm_cli_operands(COMMAND, argc, argv, 1, 1, "FILE.h5"))
        return RM_CLI_USAGE;
    const char *path = argv[optind];
    char out_dir[4096];
    if (!opts.out_dir) {
        default_out_dir(path, out_dir, sizeof(out_dir));
        opts.out_dir = out_dir;
    }

    rm_clear_error();
    char report[4096];
    int rc = rm_plot_run(path, &opts, report, sizeof(report));
    if (rc) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    printf("%s\n", report);
    return 0;
}
