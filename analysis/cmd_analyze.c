/* `rollmat analyze` (shared/spec/cli.md): one recording to a summary or its
 * JSON document, or many in parallel into --out DIR with a summary.csv. A
 * bad file is reported in one line and the rest go on; the exit code is 3
 * if any file was bad input. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "an_internal.h"
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
            "                       [--frames-csv OUT.csv] [--out DIR] [--jobs N] FILE.h5 ...\n"
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
            "                       for a repeated name) and DIR/summary.csv (one row per\n"
            "                       segment); a bad file is reported and skipped\n"
            "  --jobs N             files analysed at once (default: the number of cores)\n"
            "  -h, --help           this text\n"
            "\n"
            "Exit: 0 ok, 1 run-time failure, 2 usage, 3 a file was not a valid recording\n"
            "or a profile/calibration file was bad.\n");
}

struct batch {
    char **files;
    size_t nfiles;
    const struct rm_analysis_opts *opts;
    const char *out_dir;
    bool keep_results;
    char **names; /* per file: DIR/<name>.analysis.json, unique; owned */
    /* per file, NULL when it failed; owned by the batch */
    struct rm_analysis_result **results;
    int *rc; /* per file */
    atomic_size_t next;
    size_t done;
    bool progress;
    pthread_mutex_t lock; /* stderr lines and progress */
};

static void progress_line(struct batch *b)
{
    const int width = 30;
    int fill = (int)(width * b->done / (b->nfiles ? b->nfiles : 1));
    fprintf(stderr, "\ranalyze [");
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %zu/%zu", b->done, b->nfiles);
    if (b->done == b->nfiles)
        fputc('\n', stderr);
    fflush(stderr);
}

/* "dir/x/2026-11-23_071502.h5" -> "2026-11-23_071502". */
static void stem(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    snprintf(out, len, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = 0;
}

/* Output names: the file's stem, with -2, -3, ... for a stem seen before
 * (a/day1.h5 and b/day1.h5 must not overwrite each other). */
static int make_names(struct batch *b)
{
    b->names = calloc(b->nfiles, sizeof(*b->names));
    if (!b->names)
        return RM_ENOMEM;
    for (size_t i = 0; i < b->nfiles; i++) {
        char base[1024], name[1100];
        stem(b->files[i], base, sizeof(base));
        snprintf(name, sizeof(name), "%s", base);
        for (int k = 2;; k++) {
            bool taken = false;
            for (size_t j = 0; j < i && !taken; j++)
                taken = strcmp(b->names[j], name) == 0;
            if (!taken)
                break;
            snprintf(name, sizeof(name), "%s-%d", base, k);
        }
        if (!(b->names[i] = strdup(name)))
            return RM_ENOMEM;
    }
    return 0;
}

static void free_names(struct batch *b)
{
    for (size_t i = 0; b->names && i < b->nfiles; i++)
        free(b->names[i]);
    free(b->names);
}

static int write_json_file(const char *path, const struct rm_analysis_result *res)
{
    json_t *doc = rm_analysis_to_json(res);
    if (!doc)
        return RM_ENOMEM;
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int bad = json_dump_file(doc, tmp, JSON_FLAGS);
    json_decref(doc);
    if (bad != 0) {
        remove(tmp);
        return rm_fail(RM_EIO, "%s: cannot write", path);
    }
    return an_file_commit(NULL, tmp, path);
}

static void (*advice_hook)(struct rm_analysis_result *r);

void rm_cmd_analyze_set_advice_hook(void (*hook)(struct rm_analysis_result *r))
{
    advice_hook = hook;
}

static int analyse_one(struct batch *b, size_t i)
{
    struct rm_analysis_result *res = NULL;
    rm_clear_error();
    int rc = rm_analysis_run(b->files[i], b->opts, &res);
    if (rc != 0)
        return rc;
    if (advice_hook)
        advice_hook(res);
    if (b->out_dir) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s.analysis.json", b->out_dir, b->names[i]);
        rc = write_json_file(path, res);
    }
    if (rc == 0 && b->keep_results)
        b->results[i] = res;
    else
        rm_analysis_result_free(res);
    return rc;
}

static void *worker(void *arg)
{
    struct batch *b = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&b->next, 1);
        if (i >= b->nfiles)
            break;
        int rc = analyse_one(b, i);
        b->rc[i] = rc;
        pthread_mutex_lock(&b->lock);
        if (rc != 0) {
            if (b->progress)
                fprintf(stderr, "\r\033[K");
            rm_log_error_line(rm_last_error(rc));
        }
        b->done++;
        if (b->progress)
            progress_line(b);
        pthread_mutex_unlock(&b->lock);
    }
    return NULL;
}

static int write_summary(const struct batch *b)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/summary.csv", b->out_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    rm_analysis_csv_header(f);
    for (size_t i = 0; i < b->nfiles; i++)
        if (b->results[i])
            rm_analysis_csv_rows(f, b->files[i], b->results[i]);
    return an_file_commit(f, tmp, path);
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rm_analysis_opts opts;
    rm_analysis_opts_init(&opts);
    bool json_out = false;
    const char *profile = NULL, *out_dir = NULL;
    long jobs = 0;
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
    if ((size_t)jobs > nfiles)
        jobs = (long)nfiles;
    /* One file gets the cores for its own reading; many share them by file. */
    opts.read_threads = jobs > 1 ? 1 : 0;

    struct batch b = {
        .files = argv + optind,
        .nfiles = nfiles,
        .opts = &opts,
        .out_dir = out_dir,
        .keep_results = true,
        .progress = nfiles > 1 && isatty(2),
    };
    b.results = calloc(nfiles, sizeof(*b.results));
    b.rc = calloc(nfiles, sizeof(*b.rc));
    pthread_t *threads = calloc((size_t)jobs, sizeof(*threads));
    if (!b.results || !b.rc || !threads || make_names(&b) != 0) {
        free_names(&b);
        free(b.results);
        free(b.rc);
        free(threads);
        rm_log_error_line("analyze: out of memory");
        return 1;
    }
    atomic_init(&b.next, 0);
    pthread_mutex_init(&b.lock, NULL);
    long started = 0;
    for (long i = 1; i < jobs; i++, started++)
        if (pthread_create(&threads[i], NULL, worker, &b) != 0)
            break;
    worker(&b);
    for (long i = 1; i <= started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&b.lock);

    int exit_code = 0;
    for (size_t i = 0; i < nfiles; i++) {
        int e = rm_exit_code(b.rc[i]);
        if (e == 3 || (e != 0 && exit_code == 0))
            exit_code = e;
    }
    if (out_dir && (rc = write_summary(&b)) != 0) {
        rm_log_error_line(rm_last_error(rc));
        if (exit_code == 0)
            exit_code = rm_exit_code(rc);
    }
    if (json_out) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < nfiles; i++)
            if (b.results[i])
                json_array_append_new(arr, rm_analysis_to_json(b.results[i]));
        if (!arr) {
            rm_log_error_line("analyze: out of memory");
            exit_code = 1;
        } else if (nfiles == 1) {
            if (json_array_size(arr) == 1) {
                json_dumpf(json_array_get(arr, 0), stdout, JSON_FLAGS);
                fputc('\n', stdout);
            }
        } else {
            json_dumpf(arr, stdout, JSON_FLAGS);
            fputc('\n', stdout);
        }
        json_decref(arr);
    } else if (!out_dir) {
        for (size_t i = 0; i < nfiles; i++)
            if (b.results[i])
                rm_analysis_print_summary(stdout, b.results[i]);
    }
    if (fflush(stdout) != 0 && exit_code == 0) {
        rm_log_error_line("analyze: cannot write to stdout");
        exit_code = 1;
    }
    for (size_t i = 0; i < nfiles; i++)
        rm_analysis_result_free(b.results[i]);
    free_names(&b);
    free(b.results);
    free(b.rc);
    free(threads);
    rm_analysis_cleanup();
    return exit_code;
}
