/* `rollmat history add|spots|trend|report` (shared/spec/cli.md): the
 * history of sessions kept in one SQLite file (docs/history.md). */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hi_internal.h"
#include "rm_cli.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_utc.h"

#define LOG_PREFIX "history"
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(10))

static void usage(FILE *out)
{
    fprintf(out, "usage: rollmat history add [--db DB] FILE.h5 [...]\n"
                 "       rollmat history spots [--db DB] [--json]\n"
                 "       rollmat history trend [--db DB] [--json] [MUSCLE]\n"
                 "       rollmat history report [--db DB] -o DIR\n"
                 "\n"
                 "A memory of every session (docs/history.md).\n"
                 "\n"
                 "  add      analyse recordings and remember them; one already there (or a\n"
                 "           copy of it) changes nothing\n"
                 "  spots    tender spots: holds on the same muscle within 0.1 of each other\n"
                 "           in relative position, in different sessions; recurring when held\n"
                 "           in 3 or more sessions over 14 days or more\n"
                 "  trend    per muscle and session: median speed, fraction slow, holds,\n"
                 "           contact-mean pressure, score; sessions per week\n"
                 "  report   gnuplot pictures and DIR/report.html\n"
                 "\n"
                 "  --db DB      the history (default ${XDG_DATA_HOME:-~/.local/share}/rollmat/\n"
                 "               history.sqlite)\n"
                 "  --json       machine-readable output\n"
                 "  -o, --out DIR  (report) where the pictures and report.html go\n"
                 "  --help       this text\n"
                 "\n"
                 "Exit: 0 ok, 1 run-time failure (no history yet, cannot write), 2 usage,\n"
                 "3 bad input (a recording that is not one; a database that is not a rollmat\n"
                 "history, is corrupt, or comes from a newer rollmat).\n");
}

struct args {
    const char *sub;
    char db[4096];
    bool json;
    const char *out;
    int first; /* operands argv[first..argc) */
};

static int parse(int argc, char **argv, struct args *a, const char *command)
{
    static const struct option long_opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int c;
    rm_cli_getopt_start();
    while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return rm_cli_bad_option(command, c, argv);
        }
    }
    a->first = optind;
    if (db) {
        if (!db[0])
            return rm_cli_usage_error(command, "--db needs a path");
        snprintf(a->db, sizeof(a->db), "%s", db);
        return 0;
    }
    int rc = rm_history_default_path(a->db, sizeof(a->db));
    if (rc)
        return rm_cli_usage_error(command, "%s", rm_last_error(rc));
    return 0;
}

static int fail(int rc)
{
    rm_log_error_line(rm_last_error(rc));
    return rm_exit_code(rc);
}

static int cmd_add(struct args *a, int argc, char **argv)
{
    struct rm_history *h = NULL;
    int rc = rm_history_open(&h, a->db, RM_HISTORY_WRITE);
    if (rc)
        return fail(rc);
    struct rm_analysis_opts opts;
    rm_analysis_opts_init(&opts);
    int exit_code = 0;
    for (int i = a->first; i < argc; i++) {
        bool added = false;
        rm_clear_error();
        rc = rm_history_add_file(h, argv[i], &opts, &added);
        if (rc) {
            rm_log_error_line(rm_last_error(rc));
            int e = rm_exit_code(rc);
            if (e == 3 || exit_code == 0)
                exit_code = e;
            /* The database itself failing is not something the next file
             * can get past. */
            if (rc != RM_EFORMAT && rc != RM_ENOTFOUND)
                break;
            continue;
        }
        printf("%s: %s\n", argv[i], added ? "added" : "already in the history");
    }
    rm_history_close(h);
    rm_analysis_cleanup();
    return exit_code;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int cmd_spots(struct args *a)
{
    struct rm_history *h = NULL;
    struct rm_history_spot *spots = NULL;
    size_t n = 0;
    int rc = rm_history_open(&h, a->db, RM_HISTORY_READ);
    rc = rc ? rc : rm_history_spots(h, &spots, &n);
    rm_history_close(h);
    if (rc)
        return fail(rc);
    if (a->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            const struct rm_history_spot *s = &spots[i];
            json_t *o = json_object();
            json_object_set_new(o, "muscle", json_string(s->muscle));
            json_object_set_new(o, "relative_position",
                                json_real(round(s->relative_position * 1000) / 1000));
            json_object_set_new(o, "sessions", json_integer(s->sessions));
            json_object_set_new(o, "first_utc", json_string(s->first_utc));
            json_object_set_new(o, "last_utc", json_string(s->last_utc));
            json_object_set_new(o, "hold_s_total", json_real(round(s->hold_s_total * 10) / 10));
            json_object_set_new(o, "recurring", json_boolean(s->recurring));
            json_object_set_new(o, "holds", json_integer(s->holds));
            json_array_append_new(arr, o);
        }
        json_dumpf(arr, stdout, JSON_FLAGS);
        fputc('\n', stdout);
        json_decref(arr);
    } else if (n == 0) {
        printf("no spot has needed a hold in more than one session\n");
    } else {
        printf("%-18s %8s %8s %5s %-10s %-10s %8s\n", "muscle", "position", "sessions", "holds",
               "first", "last", "held");
        for (size_t i = 0; i < n; i++) {
            const struct rm_history_spot *s = &spots[i];
            printf("%-18s %8.2f %8d %5d %-10.10s %-10.10s %7.0fs%s\n", s->muscle,
                   s->relative_position, s->sessions, s->holds, s->first_utc, s->last_utc,
                   s->hold_s_total, s->recurring ? "  recurring" : "");
        }
        for (size_t i = 0; i < n; i++)
            if (spots[i].recurring) {
                char sentence[320];
                rm_history_spot_sentence(&spots[i], sentence, sizeof(sentence));
                printf("\n%s", sentence);
            }
        printf("\n");
    }
    free(spots);
    return 0;
}

static json_t *trend_json(const struct hi_trend_row *rows, size_t n, const struct hi_week *weeks,
                          size_t nweeks)
{
    json_t *doc = json_object(), *muscles = json_array(), *cur = NULL, *list = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct hi_trend_row *r = &rows[i];
        if (!cur || strcmp(r->muscle, rows[i - 1].muscle) != 0) {
            cur = json_object();
            list = json_array();
            json_object_set_new(cur, "muscle", json_string(r->muscle));
            json_object_set_new(cur, "sessions", list);
            json_array_append_new(muscles, cur);
        }
        json_t *o = json_object();
        json_object_set_new(o, "created_utc", json_string(r->created_utc));
        json_object_set_new(o, "recording", json_string(r->recording));
        json_object_set_new(o, "speed_median_mm_s", num_or_null(r->speed_median_mm_s));
        json_object_set_new(o, "fraction_slow", num_or_null(r->fraction_slow));
        json_object_set_new(o, "holds", json_integer(r->holds));
        json_object_set_new(o, "hold_s_total", json_real(r->hold_s_total));
        json_object_set_new(o, "hold_s_longest", json_real(r->hold_s_longest));
        json_object_set_new(o, "mean_kpa", num_or_null(r->mean_kpa));
        json_object_set_new(o, "score", r->score >= 0 ? json_integer(r->score) : json_null());
        json_array_append_new(list, o);
    }
    json_object_set_new(doc, "muscles", muscles);
    json_t *w = json_array();
    size_t rolled = 0;
    for (size_t i = 0; i < nweeks; i++) {
        char start[32];
        rm_utc_format(weeks[i].start, start, sizeof(start));
        start[10] = '\0';
        json_t *o = json_object();
        json_object_set_new(o, "week_start", json_string(start));
        json_object_set_new(o, "sessions", json_integer(weeks[i].sessions));
        json_array_append_new(w, o);
        rolled += weeks[i].sessions > 0;
    }
    json_object_set_new(doc, "weeks", w);
    json_object_set_new(doc, "weeks_total", json_integer((json_int_t)nweeks));
    json_object_set_new(doc, "weeks_with_rolling", json_integer((json_int_t)rolled));
    return doc;
}

static void trend_text(const struct hi_trend_row *rows, size_t n, const struct hi_week *weeks,
                       size_t nweeks)
{
    for (size_t i = 0; i < n; i++) {
        const struct hi_trend_row *r = &rows[i];
        if (i == 0 || strcmp(r->muscle, rows[i - 1].muscle) != 0)
            printf("%s%s\n  %-10s %5s %5s %5s %7s %6s %5s\n", i ? "\n" : "", r->muscle, "date",
                   "mm/s", "slow", "holds", "held", "kPa", "score");
        printf("  %-10.10s %5.0f %4.0f%% %5d %6.0fs ", r->created_utc, r->speed_median_mm_s,
               100 * r->fraction_slow, r->holds, r->hold_s_total);
        if (isfinite(r->mean_kpa))
            printf("%6.1f ", r->mean_kpa);
        else
            printf("%6s ", "-");
        if (r->score >= 0)
            printf("%5d\n", r->score);
        else
            printf("%5s\n", "-");
    }
    size_t rolled = 0;
    for (size_t i = 0; i < nweeks; i++)
        rolled += weeks[i].sessions > 0;
    printf("\nrolled in %zu of %zu weeks (the guidance: each week, seed 000)\n", rolled, nweeks);
}

static int cmd_trend(struct args *a, int argc, char **argv)
{
    const char *muscle = a->first < argc ? argv[a->first] : NULL;
    struct rm_history *h = NULL;
    struct hi_trend_row *rows = NULL;
    struct hi_week *weeks = NULL;
    size_t n = 0, nweeks = 0;
    int rc = rm_history_open(&h, a->db, RM_HISTORY_READ);
    rc = rc ? rc : hi_trend_rows(h, muscle, &rows, &n);
    rc = rc ? rc : hi_weeks(h, &weeks, &nweeks);
    rm_history_close(h);
    if (!rc && muscle && n == 0)
        rc = rm_fail(RM_ENOTFOUND, "%s: no session of the muscle '%s'", a->db, muscle);
    if (rc) {
        free(rows);
        free(weeks);
        return fail(rc);
    }
    if (a->json) {
        json_t *doc = trend_json(rows, n, weeks, nweeks);
        json_dumpf(doc, stdout, JSON_FLAGS);
        fputc('\n', stdout);
        json_decref(doc);
    } else {
        trend_text(rows, n, weeks, nweeks);
    }
    free(rows);
    free(weeks);
    return 0;
}

static int cmd_report(struct args *a)
{
    struct rm_history *h = NULL;
    int rc = rm_history_open(&h, a->db, RM_HISTORY_READ);
    rc = rc ? rc : hi_report(h, a->out);
    rm_history_close(h);
    if (rc)
        return fail(rc);
    printf("%s/report.html\n", a->out);
    return 0;
}

int rm_cmd_history(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RM_CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    static const char *const subs[] = {"add", "spots", "trend", "report"};
    static const char *const commands[] = {"history add", "history spots", "history trend",
                                           "history report"};
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(argv[1], subs[i]) == 0)
            k = i;
    if (k < 0)
        return rm_cli_usage_error("history", "unknown subcommand '%s'", argv[1]);
    struct args a = {.sub = subs[k]};
    int rc = parse(argc - 1, argv + 1, &a, commands[k]);
    if (rc)
        return rc < 0 ? 0 : rc;
    argc--;
    argv++;
    if (k == 0)
        return rm_cli_operands(commands[k], argc, argv, 1, -1, "FILE.h5") ? RM_CLI_USAGE
                                                                          : cmd_add(&a, argc, argv);
    if (k == 1)
        return rm_cli_operands(commands[k], argc, argv, 0, 0, NULL) ? RM_CLI_USAGE : cmd_spots(&a);
    if (k == 2)
        return rm_cli_operands(commands[k], argc, argv, 0, 1, "MUSCLE") ? RM_CLI_USAGE
                                                                        : cmd_trend(&a, argc, argv);
    if (!a.out)
        return rm_cli_usage_error(commands[k], "-o DIR is required");
    return rm_cli_operands(commands[k], argc, argv, 0, 0, NULL) ? RM_CLI_USAGE : cmd_report(&a);
}
