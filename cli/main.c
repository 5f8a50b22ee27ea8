/* `rollmat COMMAND ...`: one binary, one table of subcommands. A command is
 * listed here only once it works. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rm_analysis.h"
#include "rm_calib.h"
#include "rm_cli.h"
#include "rm_cmd_info.h"
#include "rm_commands.h"
#include "rm_control.h"
#include "rm_history.h"
#include "rm_import.h"
#include "rm_log.h"
#include "rm_plot.h"
#include "rm_session.h"
#include "rm_sim.h"
#include "rm_summary.h"

static const struct rm_command commands[] = {
    {"info", "validate a recording and print its summary", rm_cmd_info},
    {"sim", "play a plan on the simulated mat into a recording or capture", rm_cmd_sim},
    {"record", "record a session from a mat (or the sim, or a capture) into HDF5", rm_cmd_record},
    {"calib", "make a calibration: zero, equilibrate, fit; check it with known loads",
     rm_cmd_calib},
    {"analyze", "judge the rolling: speed, pauses, holds, pressure, scores, advice",
     rm_cmd_analyze},
    {"export", "write a recording's per-frame force, pressure, contact and position series",
     rm_cmd_export},
    {"summary", "summary.csv and holds.csv of a batch folder (after a cluster job array)",
     rm_cmd_summary},
    {"plot", "draw a recording's pictures and its HTML report with gnuplot", rm_cmd_plot},
    {"history", "remember sessions: tender spots that come back, trends per muscle",
     rm_cmd_history},
    {"import", "turn a Tekscan or XSENSOR ASCII export into a recording", rm_cmd_import},
    {"start", "rollmatd: start a session [and a segment LABEL]", rm_cmd_start},
    {"stop", "rollmatd: end the segment and the session", rm_cmd_stop},
    {"muscle", "rollmatd: end the segment, start one named LABEL", rm_cmd_muscle},
    {"mark", "rollmatd: add a mark event with TEXT", rm_cmd_mark},
    {"status", "rollmatd: print the daemon's state [--json]", rm_cmd_status},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: rollmat COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (const struct rm_command *c = commands; c->name; c++)
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fprintf(out, "\noptions:\n"
                 "  -h, --help   this text; `rollmat COMMAND --help` describes a command\n"
                 "  --version    print the version (after any command, too)\n");
}

/* stdout is buffered: a full disk or a closed pipe shows only when it is
 * flushed, and a script that redirects a command's output must not get exit 0
 * for output that went nowhere. One check here serves every command; a
 * command that already failed has said why, in its one line. */
static int finish_stdout(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    if (rc == 0) {
        char line[256];
        snprintf(line, sizeof(line), "cannot write to stdout: %s", strerror(errno));
        rm_log_error_line(line);
        rc = 1;
    }
    return rc;
}

/* --version anywhere among a command's options (before "--") answers like
 * `rollmat --version`, so that every command takes it without each having
 * to list it. */
static bool asks_version(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--version") == 0)
            return true;
    return false;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (asks_version(argc, argv)) {
        printf("rollmat %s\n", ROLLMAT_VERSION);
        return 0;
    }
    for (const struct rm_command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    return rm_cli_usage_error(NULL, "unknown command '%s'", argv[1]);
}

int main(int argc, char **argv)
{
    /* A recurring tender spot in the runner's history is advice too. */
    rm_cmd_analyze_set_advice_hook(rm_history_advise);
    return finish_stdout(run(argc, argv));
}
