/* The tables of a batch folder (an_summary.h) and `rollmat summary`. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "an_batch.h"
#include "an_internal.h"
#include "an_summary.h"
#include "rm_cli.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_summary.h"

#define COMMAND "summary"

int an_error_record_load(const char *path, char *recording, size_t rlen, char *error, size_t elen)
{
    json_error_t jerr;
    json_t *rec = json_load_file(path, 0, &jerr);
    if (!rec)
        return rm_fail(RM_EFORMAT, "%s:%d: %s", path, jerr.line, jerr.text);
    const char *r = json_string_value(json_object_get(rec, "recording"));
    const char *e = json_string_value(json_object_get(rec, "error"));
    if (r && e) {
        snprintf(recording, rlen, "%s", r);
        snprintf(error, elen, "%s", e);
    }
    json_decref(rec);
    if (!r || !e)
        return rm_fail(RM_EFORMAT, "%s: not a batch error record (\"recording\", \"error\")", path);
    return 0;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a > b && strcmp(s + a - b, tail) == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The result files of dir, sorted by name. */
static int list_records(const char *dir, char ***out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    DIR *d = opendir(dir);
    if (!d)
        return rm_fail(errno == ENOENT ? RM_ENOTFOUND : RM_EIO, "%s: %s", dir, strerror(errno));
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!ends_with(e->d_name, AN_RESULT_EXT) && !ends_with(e->d_name, AN_ERROR_EXT))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                rc = RM_ENOMEM;
                break;
            }
            v = nv;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(v[n] = malloc(len))) {
            rc = RM_ENOMEM;
            break;
        }
        snprintf(v[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (rc == 0 && n)
        qsort(v, n, sizeof(*v), by_name);
    *out = v;
    *nout = n;
    return rc;
}

static void free_records(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* The rows of one result file in both tables. */
static int add_record(FILE *summary, FILE *holds, const char *path)
{
    if (ends_with(path, AN_ERROR_EXT)) {
        char recording[4096], error[2048];
        int rc = an_error_record_load(path, recording, sizeof(recording), error, sizeof(error));
        if (rc == 0)
            rm_analysis_csv_error_row(summary, recording, error);
        return rc;
    }
    struct rm_analysis_result *r;
    int rc = rm_analysis_load(path, &r);
    if (rc != 0)
        return rc;
    rm_analysis_csv_rows(summary, r->recording, r);
    rm_analysis_holds_rows(holds, r->recording, r);
    rm_analysis_result_free(r);
    return 0;
}

/* DIR/<name> opened under DIR/<name>.tmp (path: PATH_LEN, tmp: TMP_LEN). */
#define PATH_LEN 4096
#define TMP_LEN  (PATH_LEN + 8)
static FILE *open_tmp(const char *dir, const char *name, char *path, char *tmp)
{
    snprintf(path, PATH_LEN, "%s/%s", dir, name);
    snprintf(tmp, TMP_LEN, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

int an_summary_write(const char *dir, const char *summary_name, const char *holds_name,
                     char **records, size_t n)
{
    char spath[PATH_LEN], stmp[TMP_LEN], hpath[PATH_LEN], htmp[TMP_LEN];
    FILE *s = open_tmp(dir, summary_name, spath, stmp);
    if (!s)
        return RM_EIO;
    FILE *h = open_tmp(dir, holds_name, hpath, htmp);
    if (!h) {
        fclose(s);
        remove(stmp);
        return RM_EIO;
    }
    rm_analysis_csv_header(s);
    rm_analysis_holds_header(h);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_record(s, h, records[i]);
    if (rc != 0) {
        fclose(s);
        fclose(h);
        remove(stmp);
        remove(htmp);
        return rc;
    }
    /* holds.csv first: summary.csv in place says both are. */
    rc = an_file_commit(h, htmp, hpath);
    int rc2 = an_file_commit(s, stmp, spath);
    return rc ? rc : rc2;
}

int an_summary_build(const char *dir)
{
    char **records;
    size_t n;
    int rc = list_records(dir, &records, &n);
    if (rc == 0)
        rc = an_summary_write(dir, "summary.csv", "holds.csv", records, n);
    free_records(records, n);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: rollmat summary DIR\n"
                 "\n"
                 "Builds DIR/summary.csv (one row per segment, one per recording that could not\n"
                 "be analysed, with its error) and DIR/holds.csv (one row per hold) from every\n"
                 "result in DIR (<name>.analysis.json, <name>.error.json) that `rollmat analyze\n"
                 "--out DIR` wrote, e.g. after the shards of a cluster job array\n"
                 "(`analyze --shard K/N`, docs/batch.md). The tables are byte for byte what one\n"
                 "unsharded run over the same recordings writes.\n"
                 "\n"
                 "  -h, --help   this text\n"
                 "\n"
                 "Exit: 0 ok, 1 run-time failure, 2 usage, 3 a result file was not valid.\n");
}

int rm_cmd_summary(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    rm_cli_getopt_start();
    while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        return rm_cli_bad_option(COMMAND, c, argv);
    }
    if (rm_cli_operands(COMMAND, argc, argv, 1, 1, "DIR"))
        return RM_CLI_USAGE;
    const char *dir = argv[optind];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return rm_cli_usage_error(COMMAND, "%s: not a directory", dir);
    int rc = an_summary_build(dir);
    if (rc != 0) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    return 0;
}
