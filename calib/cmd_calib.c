/* `rollmat calib zero|equilibrate|fit|check` (shared/spec/cli.md). */
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "calib"
#include "rm_calib.h"
#include "rm_cli.h"
#include "rm_error.h"
#include "rm_log.h"

/* Frames read from each recording: evenly spread, a few hundred carry all a
 * calibration step can use (see the steps' own limits). */
#define CMD_MAX_FRAMES        1500
#define CMD_MAX_LOADS         64
#define DEFAULT_TOLERANCE_PCT 5.0
/* The commands of the steps' usage errors. */
#define ZERO        "calib zero"
#define EQUILIBRATE "calib equilibrate"
#define FIT         "calib fit"
#define CHECK       "calib check"

static const char usage_text[] =
    "usage: rollmat calib zero        -o CAL.h5 [--from OLD.h5] IN.h5\n"
    "       rollmat calib equilibrate --cal CAL.h5 IN.h5 [IN.h5 ...]\n"
    "       rollmat calib fit         --cal CAL.h5 --load IN.h5=KG[,KG...] [--load ...]\n"
    "                                 [--curve power|table]\n"
    "       rollmat calib check       [--cal CAL.h5] --load IN.h5=KG [...] [--tolerance PCT]\n"
    "\n"
    "Makes a calibration (raw counts -> kPa) in three steps, then checks it\n"
    "(docs/calibration.md):\n"
    "  zero         from a recording of the empty mat: offsets, noise, dead sensels;\n"
    "               --from OLD.h5 keeps OLD's gains, curve and dead sensels (a\n"
    "               re-zero for drift) and reports how far the offsets moved\n"
    "  equilibrate  from recordings under a uniform pressure (bladder, rigid plate):\n"
    "               per-sensel gain; updates CAL.h5 in place\n"
    "  fit          from recordings of known masses (kg) resting on the mat: the\n"
    "               curve (power law by default, or a monotone table); prints the\n"
    "               residual of every load; updates CAL.h5 in place. A recording\n"
    "               of several masses put on one after the other takes them all,\n"
    "               in order: IN.h5=40,70,100\n"
    "  check        the error of each known load in N and %; exit 1 when any is\n"
    "               beyond --tolerance (default 5 %). Without --cal, each\n"
    "               recording's own /calibration is checked.\n";

static int usage(FILE *out, int code)
{
    fputs(usage_text, out);
    return code;
}

/* Prints the failure line and returns the exit code for rc. */
static int fail(int rc)
{
    char line[1024];
    snprintf(line, sizeof(line), "%s", rm_last_error(rc));
    rm_log_error_line(line);
    return rm_exit_code(rc);
}

static int load_cal(const char *path, struct rm_calibration **cal)
{
    rm_clear_error();
    return rm_calibration_load(path, cal);
}

/* Keeps what `from` knows besides the zero: gains, curve, dead sensels. */
static int keep_from(struct rm_calibration *cal, const struct rm_calibration *from)
{
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    for (size_t s = 0; s < n; s++) {
        cal->gain[s] = from->gain[s];
        cal->dead[s] |= from->dead[s];
    }
    cal->curve_a = from->curve_a;
    cal->curve_b = from->curve_b;
    cal->curve = from->curve;
    if (from->curve == RM_CURVE_TABLE)
        return rm_calibration_set_table(cal, from->table, from->table_len);
    return 0;
}

static int cmd_zero(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"from", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *from_path = NULL;
    int c;
    rm_cli_getopt_start();
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'f')
            from_path = optarg;
        else if (c == 'h')
            return usage(stdout, 0);
        else
            return rm_cli_bad_option(ZERO, c, argv);
    }
    if (!out)
        return rm_cli_usage_error(ZERO, "-o CAL.h5 is required");
    if (rm_cli_operands(ZERO, argc, argv, 1, 1, "IN.h5, a recording of the empty mat"))
        return RM_CLI_USAGE;
    struct rm_calibration *from = NULL;
    int rc = from_path ? load_cal(from_path, &from) : 0;
    if (rc)
        return fail(rc);
    struct rm_calib_frames *fr;
    rm_clear_error();
    rc = rm_calib_frames_read(argv[optind], CMD_MAX_FRAMES, &fr);
    if (rc) {
        rm_calibration_free(from);
        return fail(rc);
    }
    struct rm_calibration *cal = NULL;
    if (from)
        rc = rm_calib_frames_match(fr, from, from_path);
    if (!rc)
        rc = rm_calibration_new(&cal, fr->rows, fr->cols);
    struct rm_calib_zero_report rep;
    if (!rc)
        rc = rm_calib_zero(fr, cal, NULL, &rep);
    if (!rc && from)
        rc = keep_from(cal, from);
    if (!rc)
        rc = rm_calibration_save(out, cal);
    if (!rc)
        printf("zero: %s: %zu sensels, %zu dead (%zu stuck, %zu noisy), noise median %.2f "
               "counts, max %.2f\n",
               out, rep.sensels, rep.dead_stuck + rep.dead_noisy, rep.dead_stuck, rep.dead_noisy,
               rep.noise_median, rep.noise_max);
    if (!rc && from) {
        size_t n = (size_t)cal->rows * (size_t)cal->cols, k = 0;
        double drift = 0, worst = 0;
        for (size_t s = 0; s < n; s++)
            if (!cal->dead[s]) {
                double d = cal->offset[s] - from->offset[s];
                drift += d;
                worst = fmax(worst, fabs(d));
                k++;
            }
        printf("zero: offsets moved by %+.2f counts on average (at most %.2f) since %s; gains "
               "and curve kept\n",
               k ? drift / (double)k : 0.0, worst, from_path);
    }
    rm_calibration_free(cal);
    rm_calibration_free(from);
    rm_calib_frames_free(fr);
    return rc ? fail(rc) : 0;
}

static int cmd_equilibrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"cal", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cal_path = NULL;
    int c;
    rm_cli_getopt_start();
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'c')
            cal_path = optarg;
        else if (c == 'h')
            return usage(stdout, 0);
        else
            return rm_cli_bad_option(EQUILIBRATE, c, argv);
    }
    if (!cal_path)
        return rm_cli_usage_error(EQUILIBRATE, "--cal CAL.h5 is required");
    if (rm_cli_operands(EQUILIBRATE, argc, argv, 1, -1,
                        "IN.h5, a recording under uniform pressure"))
        return RM_CLI_USAGE;
    struct rm_calibration *cal;
    int rc = load_cal(cal_path, &cal);
    if (rc)
        return fail(rc);
    size_t nrecs = (size_t)(argc - optind);
    /* Owned here, freed below. */
    struct rm_calib_frames **recs = calloc(nrecs, sizeof(*recs));
    if (!recs)
        rc = RM_ENOMEM;
    for (size_t i = 0; i < nrecs && !rc; i++) {
        rc = rm_calib_frames_read(argv[optind + (int)i], CMD_MAX_FRAMES, &recs[i]);
        if (!rc)
            rc = rm_calib_frames_match(recs[i], cal, cal_path);
    }
    struct rm_calib_equil_report rep;
    if (!rc)
        rc = rm_calib_equilibrate(cal, recs, nrecs, &rep);
    if (!rc)
        rc = rm_calibration_save(cal_path, cal);
    if (!rc)
        printf("equilibrate: %s: %zu frames, gains %.3f .. %.3f (spread %.1f %%), %zu more "
               "sensels dead\n",
               cal_path, rep.frames_used, rep.gain_min, rep.gain_max, rep.spread_pct,
               rep.newly_dead);
    for (size_t i = 0; recs && i < nrecs; i++)
        rm_calib_frames_free(recs[i]);
    free(recs);
    rm_calibration_free(cal);
    return rc ? fail(rc) : 0;
}

/* The options fit and check share. */
struct load_args {
    const char *cal_path;
    char *spec[CMD_MAX_LOADS];
    size_t nspecs;
    enum rm_curve curve;
    double tolerance_pct;
};

static int parse_load_args(int argc, char **argv, int is_fit, struct load_args *a)
{
    static const struct option opts[] = {
        {"cal", required_argument, NULL, 'c'},   {"load", required_argument, NULL, 'l'},
        {"curve", required_argument, NULL, 'u'}, {"tolerance", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *command = is_fit ? FIT : CHECK;
    memset(a, 0, sizeof(*a));
    a->curve = RM_CURVE_POWER;
    a->tolerance_pct = DEFAULT_TOLERANCE_PCT;
    int c;
    rm_cli_getopt_start();
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->cal_path = optarg;
            break;
        case 'l':
            if (a->nspecs == CMD_MAX_LOADS)
                return rm_cli_usage_error(command, "more than %d --load", CMD_MAX_LOADS);
            a->spec[a->nspecs++] = optarg;
            break;
        case 'u':
            if (!is_fit)
                return rm_cli_usage_error(command, "--curve is an option of fit");
            if (strcmp(optarg, "power") == 0)
                a->curve = RM_CURVE_POWER;
            else if (strcmp(optarg, "table") == 0)
                a->curve = RM_CURVE_TABLE;
            else
                return rm_cli_usage_error(command, "--curve '%s': expected power or table", optarg);
            break;
        case 't':
            if (is_fit)
                return rm_cli_usage_error(command, "--tolerance is an option of check");
            if (rm_cli_parse_double(command, "--tolerance", optarg, DBL_TRUE_MIN, 100,
                                    &a->tolerance_pct))
                return RM_CLI_USAGE;
            break;
        case 'h':
            return usage(stdout, 0) - 1; /* -1: done, exit 0 */
        default:
            return rm_cli_bad_option(command, c, argv);
        }
    }
    if (optind != argc)
        return rm_cli_usage_error(
            command, "unexpected argument '%s' (loads go in --load FILE.h5=KG)", argv[optind]);
    if (is_fit && !a->cal_path)
        return rm_cli_usage_error(command, "--cal CAL.h5 is required");
    if (a->nspecs == 0)
        return rm_cli_usage_error(command, "at least one --load FILE.h5=KG is needed");
    return 0;
}

/* Reads every load's recording; the calibration each one is measured with
 * is `cal`, or with cal NULL the recording's own. A recording of several
 * masses one after the other gives one load per mass, numbered in part[]
 * (1, 2, ...; 0 for a recording of one mass). */
static int read_loads(const struct load_args *a, const struct rm_calibration *cal,
                      struct rm_calib_load *loads, int *part, size_t *nloads,
                      struct rm_calib_frames **frames)
{
    *nloads = 0;
    for (size_t i = 0; i < a->nspecs; i++) {
        const char *path;
        double kg[CMD_MAX_LOADS];
        size_t nkg;
        rm_clear_error();
        int rc = rm_calib_parse_load(a->spec[i], &path, kg, CMD_MAX_LOADS - *nloads, &nkg);
        if (rc)
            return rc;
        rc = rm_calib_frames_read(path, CMD_MAX_FRAMES, &frames[i]);
        if (rc)
            return rc;
        const struct rm_calibration *use = cal ? cal : frames[i]->calibration;
        if (!use)
            return rm_fail(RM_EFORMAT, "%s: no calibration: give --cal CAL.h5 or record with one",
                           path);
        rc = rm_calib_frames_match(frames[i], use, cal ? a->cal_path : "/calibration");
        size_t first[CMD_MAX_LOADS], count[CMD_MAX_LOADS];
        if (!rc)
            rc = rm_calib_split_loads(use, frames[i], nkg, first, count);
        if (rc)
            return rc;
        for (size_t k = 0; k < nkg; k++) {
            struct rm_calib_load *l = &loads[*nloads];
            l->fr = frames[i];
            l->kg = kg[k];
            l->first = first[k];
            l->count = nkg > 1 ? count[k] : 0;
            part[*nloads] = nkg > 1 ? (int)k + 1 : 0;
            (*nloads)++;
        }
    }
    return 0;
}

static void print_loads(const struct rm_calib_load *loads, const int *part, size_t n)
{
    printf("%-32s %8s %10s %10s %9s %8s %10s %10s\n", "load", "kg", "force_n", "measured_n",
           "error_n", "error_%", "mean_kpa", "area_cm2");
    for (size_t i = 0; i < n; i++) {
        const char *base = strrchr(loads[i].fr->name, '/');
        /* Room for the whole file name and its "#part" suffix. */
        char name[sizeof(loads[i].fr->name) + 16];
        snprintf(name, sizeof(name), "%s", base ? base + 1 : loads[i].fr->name);
        if (part[i])
            snprintf(name + strlen(name), sizeof(name) - strlen(name), "#%d", part[i]);
        printf("%-32s %8.2f %10.1f %10.1f %+9.1f %+8.2f %10.1f %10.1f\n", name, loads[i].kg,
               loads[i].force_n, loads[i].measured_n, loads[i].error_n, loads[i].error_pct,
               loads[i].mean_kpa, loads[i].contact_cm2);
    }
}

static int cmd_fit_or_check(int argc, char **argv, int is_fit)
{
    struct load_args a;
    int rc = parse_load_args(argc, argv, is_fit, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct rm_calibration *cal = NULL;
    if (a.cal_path) {
        rc = load_cal(a.cal_path, &cal);
        if (rc)
            return fail(rc);
    }
    struct rm_calib_load loads[CMD_MAX_LOADS];
    int part[CMD_MAX_LOADS];
    size_t nloads = 0;
    /* One per --load, owned here, freed below. */
    struct rm_calib_frames *frames[CMD_MAX_LOADS] = {NULL};
    memset(loads, 0, sizeof(loads));
    rc = read_loads(&a, cal, loads, part, &nloads, frames);
    if (!rc && is_fit) {
        rc = rm_calib_fit(cal, loads, nloads, a.curve);
        if (!rc)
            rc = rm_calibration_save(a.cal_path, cal);
        if (!rc) {
            if (cal->curve == RM_CURVE_POWER)
                printf("fit: %s: power curve p = %.6g * x^%.6g kPa\n", a.cal_path, cal->curve_a,
                       cal->curve_b);
            else
                printf("fit: %s: table curve of %zu rows, last (%.1f, %.1f kPa)\n", a.cal_path,
                       cal->table_len, cal->table[2 * (cal->table_len - 1)],
                       cal->table[2 * cal->table_len - 1]);
            print_loads(loads, part, nloads);
        }
    } else if (!rc) {
        size_t worst = 0;
        for (size_t i = 0; i < nloads && !rc; i++) {
            rc = rm_calib_measure(cal ? cal : loads[i].fr->calibration, &loads[i]);
            if (!rc && fabs(loads[i].error_pct) > fabs(loads[worst].error_pct))
                worst = i;
        }
        if (!rc) {
            int beyond = fabs(loads[worst].error_pct) > a.tolerance_pct;
            print_loads(loads, part, nloads);
            printf("check: %s (tolerance %.1f %%)\n", beyond ? "FAILED" : "ok", a.tolerance_pct);
            if (beyond)
                rc = rm_fail(
                    RM_ERANGE, "%s: %.1f kg measured as %.1f kg (%+.1f %%, tolerance %.1f %%)",
                    loads[worst].fr->name, loads[worst].kg, loads[worst].measured_n / RM_GRAVITY,
                    loads[worst].error_pct, a.tolerance_pct);
        }
    }
    for (size_t i = 0; i < a.nspecs; i++)
        rm_calib_frames_free(frames[i]);
    rm_calibration_free(cal);
    return rc ? fail(rc) : 0;
}

int rm_cmd_calib(int argc, char **argv)
{
    if (argc < 2)
        return rm_cli_usage_error("calib", "which step? zero, equilibrate, fit or check");
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
        return usage(stdout, 0);
    if (strcmp(sub, "zero") == 0)
        return cmd_zero(argc - 1, argv + 1);
    if (strcmp(sub, "equilibrate") == 0)
        return cmd_equilibrate(argc - 1, argv + 1);
    if (strcmp(sub, "fit") == 0)
        return cmd_fit_or_check(argc - 1, argv + 1, 1);
    if (strcmp(sub, "check") == 0)
        return cmd_fit_or_check(argc - 1, argv + 1, 0);
    return rm_cli_usage_error("calib", "unknown step '%s' (zero, equilibrate, fit, check)", sub);
}
