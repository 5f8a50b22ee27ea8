/* `rollmat analyze` (shared/spec/cli.md): one recording to a summary or its
 * JSON document, or many in parallel into --out DIR with a summary.csv. A
 * bad file is reported in one line and the rest go on; the exit code is 3
 * if any file was bad input. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "an_batch.h"
#include "an_internal.h"
#include "an_summary.h"
#include "rm_analysis.h"
#include "rm_cli.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "analyze"
#define COMMAND    "analyze"
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(10))

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rollmat analyze [--json] [--profile NAME|FILE] [--calibration CAL.h5]\n"
            "                       [--frames-csv OUT.csv] [--out DIR] [--jobs N]\n"
            "                       [--shard K/N] [--timeout S] [--quiet] FILE.h5 ...\n"
            "\n"
            "Judges how each muscle of a rolling session was rolled: speed, pauses, holds,\n"
            "pressure, coverage, scores and advice (docs/scoring.md).\n"
            "\n"
            "  --json               print the analysis document(s) on stdout (one file: the\n"
            "                       document; several: a JSON array of them) instead of a\n"
            "                       summary\n"
            "  --profile NAME|FILE  guidance profile: default (holds 20-30 s), short (~10 s),\n"
            "                       long (30-90 s), or an INI file overriding any value\n"
            "  --calibration CAL    convert counts with this calibration instead of the\n"
            "                       recording's own\n"
            "  --frames-csv OUT     (one file) write per-frame figures: t,force_n,\n"
            "                       contact_area_cm2,peak_kpa,mean_kpa,cop_row_mm,cop_col_mm\n"
            "  --out DIR            write DIR/<name>.analysis.json per file (<name>-2 ...\n"
            "                       when another recording has the name), DIR/summary.csv\n"
            "                       (one row per segment, one per bad file) and\n"
            "                       DIR/holds.csv (one row per hold), rebuilt from every\n"
            "                       result in DIR: running again into DIR adds to it\n"
            "  --jobs N             files analysed at once, each in a process of its own\n"
            "                       (default: the number of cores)\n"
            "  --shard K/N          (with --out) only the K-th of N slices of the sorted\n"
            "                       inputs, with DIR/summary-K-of-N.csv; `rollmat summary\n"
            "                       DIR` merges the shards (docs/batch.md)\n"
            "  --timeout S          stop a file that takes longer than S seconds and report\n"
            "                       it as bad (default 60 s + 1 s per MB of the file)\n"
            "  --quiet              no progress line on a terminal, only errors\n"
            "  -h, --help           this text\n"
            "\n"
            "Exit: 0 ok, 1 run-time failure, 2 usage, 3 a file was not a valid recording\n"
            "or a profile/calibration file was bad.\n");
}

/* "K/N", 1 <= K <= N, whole decimal numbers only. 0, or -1 when malformed. */
static int parse_shard(const char *arg, int *k, int *n)
{
    char *end;
    errno = 0;
    long a = strtol(arg, &end, 10);
    if (end == arg || *end != '/' || arg[0] < '0' || arg[0] > '9')
        return -1;
    const char *b = end + 1;
    long c = strtol(b, &end, 10);
    if (end == b || *end || b[0] < '0' || b[0] > '9' || errno || a < 1 || c < a || c > 1000000)
        return -1;
    *k = (int)a;
    *n = (int)c;
    return 0;
}

static void (*advice_hook)(struct rm_analysis_result *r);

void rm_cmd_analyze_set_advice_hook(void (*hook)(struct rm_analysis_result *r))
{
    advice_hook = hook;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        return rm_fail(RM_EUSAGE, "--out %s: not a directory", dir);
    }
    return rm_fail(RM_EIO, "--out %s: %s", dir, strerror(errno));
}

int rm_cmd_analyze(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"profile", required_argument, NULL, 'p'},
        {"calibration", required_argument, NULL, 'c'},
        {"frames-csv", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'J'},
        {"shard", required_argument, NULL, 'S'},
        {"timeout", required_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rm_analysis_opts opts;
    rm_analysis_opts_init(&opts);
    bool json_out = false;
    const char *profile = NULL, *out_dir = NULL;
    long jobs = 0;
    int shard_k = 0, shard_n = 0;
    double timeout_s = 0;
    bool quiet = false;
    int c;
    rm_cli_getopt_start();
    while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json_out = true;
            break;
        case 'p':
            profile = optarg;
            break;
        case 'c':
            opts.calibration_path = optarg;
            break;
        case 'f':
            opts.frames_csv = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'J': {
            int n;
            if (rm_cli_parse_int(COMMAND, "--jobs", optarg, 1, 1024, &n))
                return RM_CLI_USAGE;
            jobs = n;
            break;
        }
        case 'S':
            if (parse_shard(optarg, &shard_k, &shard_n))
                return rm_cli_usage_error(COMMAND, "--shard %s: want K/N with 1 <= K <= N", optarg);
            break;
        case 'T':
            if (rm_cli_parse_double(COMMAND, "--timeout", optarg, 1, 1e7, &timeout_s))
                return RM_CLI_USAGE;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return rm_cli_bad_option(COMMAND, c, argv);
        }
    }
    if (rm_cli_operands(COMMAND, argc, argv, 1, -1, "FILE.h5"))
        return RM_CLI_USAGE;
    size_t nfiles = (size_t)(argc - optind);
    if (opts.frames_csv && nfiles != 1)
        return rm_cli_usage_error(COMMAND, "--frames-csv takes exactly one recording");
    int rc;
    if (profile && (rc = rm_profile_load(profile, &opts.profile)) != 0) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    if (out_dir && (rc = make_dir(out_dir)) != 0) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs == 0)
        jobs = ncpu > 0 ? ncpu : 1;
    if (shard_n && !out_dir)
        return rm_cli_usage_error(COMMAND, "--shard needs --out DIR (the shards' results "
                                           "meet there)");
    if (nfiles > 1 || out_dir) {
        /* Files share the cores one per worker process; each reads alone. */
        opts.read_threads = 1;
        struct an_batch b = {
            .files = argv + optind,
            .nfiles = nfiles,
            .opts = &opts,
            .out_dir = out_dir,
            .jobs = (int)jobs,
            .timeout_s = timeout_s,
            .shard_k = shard_k,
            .shard_n = shard_n,
            .quiet = quiet,
            .json = json_out,
            .advice_hook = advice_hook,
        };
        rc = an_batch_run(&b);
        rm_analysis_cleanup();
        return rc;
    }
    /* One file for stdout: in this process, every core reading it. */
    struct rm_analysis_result *res = NULL;
    rm_clear_error();
    rc = rm_analysis_run(argv[optind], &opts, &res);
    if (rc == 0 && advice_hook)
        advice_hook(res);
    if (rc != 0) {
        rm_log_error_line(rm_last_error(rc));
    } else if (json_out) {
        json_t *doc = rm_analysis_to_json(res);
        if (!doc || json_dumpf(doc, stdout, JSON_FLAGS) != 0)
            rc = rm_fail(RM_ENOMEM, "analyze: out of memory");
        json_decref(doc);
        fputc('\n', stdout);
    } else {
        rm_analysis_print_summary(stdout, res);
    }
    rm_analysis_result_free(res);
    rm_analysis_cleanup();
    if (fflush(stdout) != 0 && rc == 0) {
        rm_log_error_line("analyze: cannot write to stdout");
        return 1;
    }
    return rm_exit_code(rc);
}
