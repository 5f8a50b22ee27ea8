/* rollmatd's command line (shared/spec/cli.md). */
#define LOG_PREFIX "rollmatd"

#include "rollmatd.h"

#include <float.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rm_cli.h"
#include "rm_device.h"
#include "rm_error.h"
#include "rm_history.h"
#include "rm_live.h"

#define AUTO_IDLE_DEFAULT_S 30.0

/* ---- options --------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rollmatd [--device SPEC] [--dir DIR] [--socket PATH] [--auto] [--foreground]\n"
            "                [--http [ADDR:]PORT]\n"
            "\n"
            "The acquisition daemon: waits for a mat, records one file per session into DIR\n"
            "(named after the session's UTC start time), survives the mat being unplugged,\n"
            "and takes `rollmat start|stop|muscle|mark|status` over a UNIX socket.\n"
            "\n"
            "  -d, --device SPEC      the mat, one of:\n");
    rm_device_print_specs(out, 25);
    fprintf(out,
            "  -D, --dir DIR          session directory (default\n"
            "                         ${XDG_DATA_HOME:-~/.local/share}/rollmat/sessions)\n"
            "  -s, --socket PATH      control socket (default $ROLLMAT_SOCKET, else\n"
            "                         $XDG_RUNTIME_DIR/rollmat/rollmat.sock, else\n"
            "                         ${TMPDIR:-/tmp}/rollmat-UID/rollmat.sock)\n"
            "  -a, --auto             start a session when the roller is loaded for 1 s,\n"
            "                         end it after --auto-idle seconds without load\n"
            "  -i, --auto-idle S      seconds without load that end a session (default 30)\n"
            "  -f, --foreground       run in the foreground (always the case: rollmatd never\n"
            "                         forks; systemd or the shell puts it in the background)\n"
            "  -r, --realtime         replay a file device at the mat's own pace\n"
            "  -c, --calibration CAL  copy this calibration into every recording\n"
            "  -z, --compression N    deflate level of the frames, 0-9 (default 1)\n"
            "  -H, --history DB       add each finished session to this history (default\n"
            "                         ${XDG_DATA_HOME:-~/.local/share}/rollmat/history.sqlite)\n"
            "  -N, --no-history       keep no history\n"
            "      --http [ADDR:]PORT serve the live coaching page (ADDR default 127.0.0.1;\n"
            "                         another address needs the printed token; PORT 0: any)\n"
            "  -p, --profile P        the guidance the live page coaches by: default, short,\n"
            "                         long or a profile file (as rollmat analyze)\n"
            "  -h, --help             this text\n"
            "      --version          print the version\n");
}

/* 0, 2 after a usage error, -1 after --help. */
/* Long options without a short letter (-H is --history). */
enum { OPT_HTTP = 0x100 };

int rm_daemon_parse_args(int argc, char **argv, struct rm_daemon_options *o)
{
    static const struct option longopts[] = {
        {"device", required_argument, NULL, 'd'},
        {"dir", required_argument, NULL, 'D'},
        {"socket", required_argument, NULL, 's'},
        {"auto", no_argument, NULL, 'a'},
        {"auto-idle", required_argument, NULL, 'i'},
        {"foreground", no_argument, NULL, 'f'},
        {"realtime", no_argument, NULL, 'r'},
        {"calibration", required_argument, NULL, 'c'},
        {"compression", required_argument, NULL, 'z'},
        {"history", required_argument, NULL, 'H'},
        {"no-history", no_argument, NULL, 'N'},
        {"http", required_argument, NULL, OPT_HTTP},
        {"profile", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct rm_daemon_options){
        .device = "usb", .auto_idle_s = AUTO_IDLE_DEFAULT_S, .compression = 1};
    const char *dir = NULL, *sock = NULL, *history = NULL;
    bool no_history = false;
    rm_cli_getopt_start();
    int c;
    while ((c = getopt_long(argc, argv, ":d:D:s:ai:frc:z:H:Np:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->device = optarg;
            break;
        case 'D':
            dir = optarg;
            break;
        case 's':
            sock = optarg;
            break;
        case 'a':
            o->auto_mode = true;
            break;
        case 'i':
            if (rm_cli_parse_double(RM_CLI_DAEMON, "--auto-idle", optarg, DBL_TRUE_MIN, DBL_MAX,
                                    &o->auto_idle_s))
                return RM_CLI_USAGE;
            break;
        case 'f':
            break;
        case 'r':
            o->realtime = true;
            break;
        case 'c':
            o->calibration = optarg;
            break;
        case 'z':
            if (rm_cli_parse_int(RM_CLI_DAEMON, "--compression", optarg, 0, 9, &o->compression))
                return RM_CLI_USAGE;
            break;
        case 'H':
            history = optarg;
            break;
        case 'N':
            no_history = true;
            break;
        case OPT_HTTP: {
            char why[160];
            if (rm_live_check_listen(optarg, why, sizeof(why)) < 0)
                return rm_cli_usage_error(RM_CLI_DAEMON, "%s", why);
            o->http = optarg;
            break;
        }
        case 'p':
            o->profile = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf("rollmatd %s\n", ROLLMAT_VERSION);
            return -1;
        default:
            return rm_cli_bad_option(RM_CLI_DAEMON, c, argv);
        }
    }
    if (rm_cli_operands(RM_CLI_DAEMON, argc, argv, 0, 0, NULL))
        return RM_CLI_USAGE;

    if (dir) {
        if (strlen(dir) >= sizeof(o->dir))
            return rm_cli_usage_error(RM_CLI_DAEMON, "--dir is too long");
        strcpy(o->dir, dir);
    } else if (rm_control_default_dir(o->dir, sizeof(o->dir)) < 0) {
        return rm_cli_usage_error(RM_CLI_DAEMON, "%s", rm_last_error(RM_EUSAGE));
    }
    if (history && no_history)
        return rm_cli_usage_error(RM_CLI_DAEMON, "--history and --no-history exclude each other");
    if (history && (!history[0] || strlen(history) >= sizeof(o->history)))
        return rm_cli_usage_error(RM_CLI_DAEMON, "--history needs a path shorter than %zu",
                                  sizeof(o->history));
    if (history)
        strcpy(o->history, history);
    else if (!no_history && rm_history_default_path(o->history, sizeof(o->history)) < 0)
        o->history[0] = '\0'; /* no home to keep it in: recording matters more */
    if (rm_control_socket_path(sock, &o->socket) < 0)
        return rm_cli_usage_error(RM_CLI_DAEMON, "%s", rm_last_error(RM_ERANGE));
    return 0;
}
