/* `rollmat import [--format tekscan|xsensor] [--sensor N] -o OUT.h5 VENDOR_FILE` */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "import_text.h"
#include "rm_cli.h"
#include "rm_error.h"
#include "rm_import.h"
#include "rm_log.h"

#define COMMAND "import"

static void usage(FILE *out)
{
    fprintf(out, "usage: rollmat import [--format tekscan|xsensor] [--sensor N] -o OUT.h5 "
                 "VENDOR_FILE\n"
                 "\n"
                 "Turns a vendor's ASCII export into a rollmat recording (docs/formats.md).\n"
                 "\n"
                 "  --format F    tekscan: Tekscan ASCII movie export (.csv, .asf);\n"
                 "                xsensor: XSENSOR CSV export. Default: guessed from the content.\n"
                 "  --sensor N    of an export with several sensors (two insoles), import only\n"
                 "                the N-th (1-based, in file order). Default: all of them side by\n"
                 "                side, left to right, in one grid.\n"
                 "  -o, --output  the recording to write (replaced only when the import succeeds)\n"
                 "  -h, --help    this help\n"
                 "\n"
                 "Pressures are kept exactly as exported, through the recording's calibration;\n"
                 "Tekscan exports in raw units stay counts. Exit 3 for a bad export, with the\n"
                 "file and line of the problem.\n");
}

static void on_signal(int sig)
{
    (void)sig;
    rm_import_stop = 1;
}

int rm_cmd_import(int argc, char **argv)
{
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'},
        {"sensor", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum rm_import_format format = RM_IMPORT_GUESS;
    int sensor = 0;
    const char *out = NULL;
    int opt;
    rm_cli_getopt_start();
    while ((opt = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (strcmp(optarg, "tekscan") == 0) {
                format = RM_IMPORT_TEKSCAN;
            } else if (strcmp(optarg, "xsensor") == 0) {
                format = RM_IMPORT_XSENSOR;
            } else {
                return rm_cli_usage_error(COMMAND, "--format '%s': expected tekscan or xsensor",
                                          optarg);
            }
            break;
        case 's':
            if (rm_cli_parse_int(COMMAND, "--sensor", optarg, 1, 64, &sensor))
                return RM_CLI_USAGE;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return rm_cli_bad_option(COMMAND, opt, argv);
        }
    }
    if (!out)
        return rm_cli_usage_error(COMMAND, "-o OUT.h5 is required");
    if (rm_cli_operands(COMMAND, argc, argv, 1, 1, "VENDOR_FILE"))
        return RM_CLI_USAGE;
    /* Ctrl-C or a TERM stops at the next frame and cleans up, leaving
     * neither a partial recording nor a temporary file. */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    rm_import_stop = 0;
    rm_clear_error();
    int rc = rm_import_file(argv[optind], out, format, sensor);
    if (rc)
        rm_log_error_line(rm_last_error(rc));
    return rm_exit_code(rc);
}
