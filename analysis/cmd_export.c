/* `rollmat export [--out DIR] [--calibration CAL.h5] FILE.h5 ...`: the
 * analysis's per-frame series of each recording, in an HDF5 file beside it
 * (NAME-series.h5 next to NAME.h5, or in DIR), for anyone who wants the
 * curves without re-deriving them: force_n, contact_area_cm2, peak_kpa,
 * mean_kpa, cop_row_mm, cop_col_mm, roll_position_mm against /t
 * (docs/recording.md, "Per-frame series"). The recording is never written
 * to: it may be one the daemon is still recording. */
#include <errno.h>
#include <getopt.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_analysis.h"
#include "rm_cli.h"
#include "rm_error.h"
#include "rm_h5.h"
#include "rm_log.h"

#define LOG_PREFIX "export"
#define COMMAND    "export"

static void usage(FILE *out)
{
    fputs("usage: rollmat export [--out DIR] [--calibration CAL.h5] FILE.h5 ...\n"
          "\n"
          "Writes the analysis's per-frame series of each recording to NAME-series.h5\n"
          "beside NAME.h5 (or in DIR): /t (s) and, one value per frame, /force_n,\n"
          "/contact_area_cm2, /peak_kpa, /mean_kpa, /cop_row_mm, /cop_col_mm and\n"
          "/roll_position_mm (NaN while the roller carries no weight). Uncalibrated,\n"
          "pressures are in counts above the unloaded baseline (their `units` says so)\n"
          "and force is NaN. Prints the path of each file written.\n"
          "\n"
          "  -o, --out DIR          write into DIR instead of beside each recording\n"
          "  -c, --calibration CAL  use this calibration instead of the recording's own\n"
          "  -h, --help             this help\n",
          out);
}

struct series {
    const char *name, *units;
    const double *v;
};

static int write_series(hid_t f, hid_t t, const struct series *s, hsize_t n)
{
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t d = space < 0 ? -1
                        : H5Dcreate2(f, s->name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                     H5P_DEFAULT);
    int rc = d < 0 ? RM_EHDF5 : 0;
    if (!rc && n > 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->v) < 0)
        rc = RM_EHDF5;
    rc = rc ? rc : rm_h5_write_str(d, "units", s->units);
    if (!rc && t >= 0 && H5DSattach_scale(d, t, 0) < 0)
        rc = RM_EHDF5;
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static int write_file(const char *path, const char *source, const struct rm_analysis_result *r)
{
    const struct rm_trace *tr = &r->trace;
    hsize_t n = (hsize_t)tr->n;
    bool cal = tr->calibrated;
    double *force = NULL;
    if (!cal) {
        /* Counts summed over contact are not a force: NaN, as the CSV's empty column. */
        force = malloc((n ? n : 1) * sizeof(double));
        if (!force)
            return RM_ENOMEM;
        for (hsize_t i = 0; i < n; i++)
            force[i] = NAN;
    }
    const struct series all[] = {
        {"force_n", "N", cal ? tr->force : force},
        {"contact_area_cm2", "cm2", tr->contact_area_cm2},
        {"peak_kpa", cal ? "kPa" : "counts", tr->peak},
        {"mean_kpa", cal ? "kPa" : "counts", tr->mean},
        {"cop_row_mm", "mm", tr->cop_row_mm},
        {"cop_col_mm", "mm", tr->cop_col_mm},
        {"roll_position_mm", "mm", tr->p_mm},
    };
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int rc = f < 0 ? RM_EHDF5 : 0;
    rc = rc ? rc : rm_h5_write_str(f, "rollmat_format", "series");
    rc = rc ? rc : rm_h5_write_str(f, "source", source);
    rc = rc ? rc : rm_h5_write_int(f, "calibrated", cal);
    struct series ts = {"t", "s", tr->t};
    rc = rc ? rc : write_series(f, -1, &ts, n);
    hid_t t = rc ? -1 : H5Dopen2(f, "t", H5P_DEFAULT);
    if (!rc && (t < 0 || H5DSset_scale(t, "t") < 0))
        rc = RM_EHDF5;
    for (size_t i = 0; !rc && i < sizeof(all) / sizeof(all[0]); i++)
        rc = write_series(f, t, &all[i], n);
    if (t >= 0)
        H5Dclose(t);
    if (f >= 0 && H5Fclose(f) < 0 && !rc)
        rc = RM_EHDF5;
    free(force);
    if (rc == RM_EHDF5)
        rc = rm_fail(RM_EIO, "%s: cannot write", path);
    return rc;
}

/* NAME-series.h5 for DIR/NAME.h5, in out_dir or DIR. */
static int series_path(const char *path, const char *out_dir, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int len = (int)strlen(base);
    if (len > 3 && strcmp(base + len - 3, ".h5") == 0)
        len -= 3;
    int n;
    if (out_dir)
        n = snprintf(out, size, "%s/%.*s-series.h5", out_dir, len, base);
    else
        n = snprintf(out, size, "%.*s%.*s-series.h5", slash ? (int)(slash - path) + 1 : 0, path,
                     len, base);
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_EUSAGE, "%s: path too long", path);
    return 0;
}

static int export_one(const char *path, const char *out_dir, const char *calibration)
{
    struct rm_analysis_opts opts;
    rm_analysis_opts_init(&opts);
    opts.calibration_path = calibration;
    opts.keep_trace = true;
    struct rm_analysis_result *r = NULL;
    char out[4096], tmp[4200];
    int rc = series_path(path, out_dir, out, sizeof(out));
    rc = rc ? rc : rm_analysis_run(path, &opts, &r);
    if (!rc) {
        /* Through a temporary name: a file under the final name is whole. */
        snprintf(tmp, sizeof(tmp), "%s.tmp", out);
        rc = write_file(tmp, path, r);
        if (!rc && rename(tmp, out) != 0)
            rc = rm_fail(RM_EIO, "%s: %s", out, strerror(errno));
        if (rc)
            remove(tmp);
    }
    rm_analysis_result_free(r);
    if (!rc)
        printf("%s\n", out);
    return rc;
}

int rm_cmd_export(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"calibration", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_dir = NULL, *calibration = NULL;
    rm_cli_getopt_start();
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:c:h", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out_dir = optarg;
            break;
        case 'c':
            calibration = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return rm_cli_bad_option(COMMAND, ch, argv);
        }
    }
    if (rm_cli_operands(COMMAND, argc, argv, 1, -1, "FILE.h5"))
        return RM_CLI_USAGE;
    rm_h5_quiet();
    int worst = 0;
    for (int i = optind; i < argc; i++) {
        rm_clear_error();
        int rc = export_one(argv[i], out_dir, calibration);
        if (rc) {
            /* Keep going: one bad file does not cost the others. */
            rm_log_error_line(rm_last_error(rc));
            int code = rm_exit_code(rc);
            worst = code > worst ? code : worst;
        }
    }
    rm_analysis_cleanup();
    return worst;
}
