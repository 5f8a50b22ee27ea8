/* `rollmat import [--format tekscan|xsensor] [--sensor N] -o OUT.h5 VENDOR_FILE` */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "import_text.h"
#include "rm_error.h"
#include "rm_import.h"
#include "rm_log.h"

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
    long v;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (strcmp(optarg, "tekscan") == 0) {
                format = RM_IMPORT_TEKSCAN;
            } else if (strcmp(optarg, "xsensor") == 0) {
                format = RM_IMPORT_XSENSOR;
            } else {
                rm_log_error_line("import: --format is tekscan or xsensor");
                return 2;
            }
            break;
        case 's':
            if (!rm_text_uint(optarg, 64, &v) || v < 1) {
                rm_log_error_line("import: --sensor takes a sensor number from 1");
                return 2;
            }
            sensor = (int)v;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!out || optind != argc - 1) {
        rm_log_error_line("import: expected -o OUT.h5 and one VENDOR_FILE (see rollmat import "
                          "--help)");
        return 2;
    }
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
