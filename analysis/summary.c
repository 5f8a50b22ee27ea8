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

static void csv_num(FILE *f, json_t *v)
{
    if (json_is_integer(v))
        fprintf(f, ",%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fprintf(f, ",%.10g", json_real_value(v));
    else
        fprintf(f, ",");
}

/* A label or path as one CSV field (quoted when it needs to be). */
static void csv_text(FILE *f, const char *s, bool first)
{
    if (!first)
        fputc(',', f);
    if (!s)
        return;
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

#define SUMMARY_COLUMNS                                                                            \
    "recording,label,source,t_start,t_end,loaded_s,range_start_mm,range_end_mm,"                   \
    "coverage,rolling_s,speed_median_mm_s,speed_p90_mm_s,fraction_slow,strokes,"                   \
    "cadence_hz,pauses,holds,mean_kpa,peak_kpa,mean_force_n,score_total,score_speed,"              \
    "score_holds,score_pressure,score_coverage,session_score,error\n"
#define SUMMARY_NCOLUMNS 27

static void segment_rows(FILE *f, json_t *doc)
{
    json_t *segs = json_object_get(doc, "segments"), *seg;
    size_t k;
    json_array_foreach(segs, k, seg)
    {
        json_t *rol = json_object_get(seg, "rolling"), *pr = json_object_get(seg, "pressure"),
               *sc = json_object_get(seg, "score"), *pauses = json_object_get(seg, "pauses");
        csv_text(f, json_string_value(json_object_get(doc, "recording")), true);
        csv_text(f, json_string_value(json_object_get(seg, "label")), false);
        csv_text(f, json_string_value(json_object_get(seg, "source")), false);
        csv_num(f, json_object_get(seg, "t_start"));
        csv_num(f, json_object_get(seg, "t_end"));
        csv_num(f, json_object_get(seg, "loaded_s"));
        csv_num(f, json_array_get(json_object_get(seg, "range_mm"), 0));
        csv_num(f, json_array_get(json_object_get(seg, "range_mm"), 1));
        csv_num(f, json_object_get(seg, "coverage"));
        csv_num(f, json_object_get(rol, "time_s"));
        csv_num(f, json_object_get(rol, "speed_median_mm_s"));
        csv_num(f, json_object_get(rol, "speed_p90_mm_s"));
        csv_num(f, json_object_get(rol, "fraction_slow"));
        csv_num(f, json_object_get(rol, "strokes"));
        csv_num(f, json_object_get(rol, "cadence_hz"));
        size_t np = json_array_size(pauses), nh = 0, j;
        json_t *p;
        json_array_foreach(pauses, j, p) nh += json_is_true(json_object_get(p, "hold"));
        fprintf(f, ",%zu,%zu", np, nh);
        csv_num(f, json_object_get(pr, "mean_kpa"));
        csv_num(f, json_object_get(pr, "peak_kpa"));
        csv_num(f, json_object_get(pr, "mean_force_n"));
        csv_num(f, json_object_get(sc, "total"));
        csv_num(f, json_object_get(sc, "speed"));
        csv_num(f, json_object_get(sc, "holds"));
        csv_num(f, json_object_get(sc, "pressure"));
        csv_num(f, json_object_get(sc, "coverage"));
        csv_num(f, json_object_get(json_object_get(doc, "score"), "total"));
        fputs(",\n", f);
    }
}

/* A recording that could not be analysed: its path, its error, nothing else. */
static void error_row(FILE *f, json_t *rec)
{
    csv_text(f, json_string_value(json_object_get(rec, "recording")), true);
    for (int c = 2; c < SUMMARY_NCOLUMNS; c++)
        fputc(',', f);
    csv_text(f, json_string_value(json_object_get(rec, "error")), false);
    fputc('\n', f);
}

int an_summary_write(const char *dir, const char *csv_name, char **records, size_t n)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/%s", dir, csv_name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    fputs(SUMMARY_COLUMNS, f);
    for (size_t i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *doc = json_load_file(records[i], 0, &jerr);
        if (!doc) {
            fclose(f);
            remove(tmp);
            return rm_fail(RM_EFORMAT, "%s:%d: %s", records[i], jerr.line, jerr.text);
        }
        if (ends_with(records[i], AN_ERROR_EXT))
            error_row(f, doc);
        else
            segment_rows(f, doc);
        json_decref(doc);
    }
    return an_file_commit(f, tmp, path);
}

int an_summary_build(const char *dir, const char *csv_name)
{
    char **records;
    size_t n;
    int rc = list_records(dir, &records, &n);
    if (rc == 0)
        rc = an_summary_write(dir, csv_name, records, n);
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
                 "  --help   this text\n"
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
    while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
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
    int rc = an_summary_build(dir, "summary.csv");
    if (rc != 0) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    return 0;
}
