/* Calibrations in HDF5: the group layout of shared/spec/recording-format.md
 * ("Calibration"), as the root of a standalone file or as a recording's
 * /calibration group. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rm_calibration.h"
#include "rm_error.h"
#include "rm_h5.h"
#include "rm_text.h"

/* A table longer than this is not a calibration curve: refuse to allocate. */
#define MAX_TABLE_ROWS 100000

/* The conversion in one line, as the spec defines it: the start common to
 * both curves. */
#define FORMULA_HEAD "kPa = 0 where dead != 0 or x <= 0, else with x = gain * (frames - offset): "

static int write_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                         const void *data)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0)
        return RM_EHDF5;
    hid_t d = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = RM_EHDF5;
    if (d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0)
        rc = 0;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(space);
    return rc;
}

int rm_calibration_h5_write(hid_t loc, const struct rm_calibration *cal)
{
    char now[32];
    const char *created = cal->created_utc;
    if (!created[0]) {
        rm_h5_utc_now(now, sizeof(now));
        created = now;
    }
    hsize_t grid[2] = {(hsize_t)cal->rows, (hsize_t)cal->cols};
    int rc = 0;
    rc = rc ? rc : rm_h5_write_int(loc, "rows", cal->rows);
    rc = rc ? rc : rm_h5_write_int(loc, "cols", cal->cols);
    rc = rc ? rc : rm_h5_write_str(loc, "device_serial", cal->device_serial);
    rc = rc ? rc : rm_h5_write_str(loc, "created_utc", created);
    /* A reader of the file alone learns what the calibration gives and how
     * (shared/spec/recording-format.md, "Calibration"). */
    rc = rc ? rc : rm_h5_write_str(loc, "units", "kPa");
    if (cal->curve == RM_CURVE_TABLE) {
        hsize_t tdims[2] = {(hsize_t)cal->table_len, 2};
        rc = rc ? rc : rm_h5_write_str(loc, "curve", "table");
        rc = rc ? rc : rm_h5_write_str(loc, "formula", FORMULA_HEAD "interpolate(curve_table, x)");
        rc = rc ? rc : write_dataset(loc, "curve_table", H5T_NATIVE_DOUBLE, 2, tdims, cal->table);
    } else {
        rc = rc ? rc : rm_h5_write_str(loc, "curve", "power");
        rc = rc ? rc : rm_h5_write_str(loc, "formula", FORMULA_HEAD "curve_a * x ** curve_b");
        rc = rc ? rc : rm_h5_write_double(loc, "curve_a", cal->curve_a);
        rc = rc ? rc : rm_h5_write_double(loc, "curve_b", cal->curve_b);
    }
    rc = rc ? rc : write_dataset(loc, "offset", H5T_NATIVE_FLOAT, 2, grid, cal->offset);
    rc = rc ? rc : write_dataset(loc, "gain", H5T_NATIVE_FLOAT, 2, grid, cal->gain);
    rc = rc ? rc : write_dataset(loc, "dead", H5T_NATIVE_UINT8, 2, grid, cal->dead);
    return rc;
}

static void dataset_label(char *buf, size_t size, const char *obj, const char *name)
{
    snprintf(buf, size, "%s%s%s", obj, strcmp(obj, "/") == 0 ? "" : "/", name);
}

/* RM_EFORMAT unless dataset `name` exists with shape [rows, cols] and, with
 * `what` given, of the type (cls, size, sign) it names; with out given,
 * reads it into out as memtype. */
static int read_grid(hid_t loc, const char *where, const char *obj, const char *name,
                     H5T_class_t cls, size_t size, int sign, const char *what, hid_t memtype,
                     int rows, int cols, void *out)
{
    char path[160];
    dataset_label(path, sizeof(path), obj, name);
    hid_t d;
    int rc = rm_h5_open_dataset(loc, where, name, path, &d);
    if (rc)
        return rc;
    hsize_t dims[2];
    if (what)
        rc = rm_h5_check_type(d, where, path, cls, size, sign, what);
    if (!rc)
        rc = rm_h5_dims(d, where, path, 2, dims, 2);
    if (!rc && (dims[0] != (hsize_t)rows || dims[1] != (hsize_t)cols))
        rc = rm_fail(RM_EFORMAT, "%s:%s: shape [%llu, %llu], expected [%d, %d] (rows, cols)", where,
                     path, (unsigned long long)dims[0], (unsigned long long)dims[1], rows, cols);
    if (!rc && out && H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        rc = rm_fail(RM_EFORMAT, "%s:%s: cannot be read", where, path);
    H5Dclose(d);
    return rc;
}

/* RM_EFORMAT unless dataset `name` exists with shape [rows, cols]. */
static int check_grid_shape(hid_t loc, const char *where, const char *obj, const char *name,
                            int rows, int cols)
{
    return read_grid(loc, where, obj, name, H5T_NO_CLASS, 0, 0, NULL, H5I_INVALID_HID, rows, cols,
                     NULL);
}

static int read_table(hid_t loc, const char *where, const char *obj, struct rm_calibration *cal)
{
    char path[160];
    dataset_label(path, sizeof(path), obj, "curve_table");
    hid_t d;
    int rc = rm_h5_open_dataset(loc, where, "curve_table", path, &d);
    if (rc)
        return rc;
    hsize_t dims[2];
    rc = rm_h5_check_type(d, where, path, H5T_FLOAT, 8, -1, "float64");
    if (!rc)
        rc = rm_h5_dims(d, where, path, 2, dims, 2);
    if (!rc && (dims[1] != 2 || dims[0] < 2 || dims[0] > MAX_TABLE_ROWS))
        rc = rm_fail(RM_EFORMAT, "%s:%s: shape [%llu, %llu], expected [K, 2] with 2 <= K <= %d",
                     where, path, (unsigned long long)dims[0], (unsigned long long)dims[1],
                     MAX_TABLE_ROWS);
    double *xy = NULL;
    if (!rc) {
        xy = malloc((size_t)dims[0] * 2 * sizeof(double)); /* freed below */
        if (!xy)
            rc = RM_ENOMEM;
    }
    if (!rc && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, xy) < 0)
        rc = rm_fail(RM_EFORMAT, "%s:%s: cannot be read", where, path);
    H5Dclose(d);
    if (!rc) {
        /* set_table checks the rows; give its message our file prefix. */
        rc = rm_calibration_set_table(cal, xy, (size_t)dims[0]);
        if (rc == RM_EFORMAT) {
            char inner[512];
            snprintf(inner, sizeof(inner), "%s", rm_last_error(rc));
            const char *what = strstr(inner, ": ");
            rc = rm_fail(rc, "%s:%s: %s", where, path, what ? what + 2 : inner);
        }
    }
    free(xy);
    return rc;
}

int rm_calibration_h5_read(hid_t loc, const char *where, const char *obj,
                           struct rm_calibration **out)
{
    *out = NULL;
    int rows, cols;
    int rc = rm_h5_read_int(loc, where, obj, "rows", 1, 4096, &rows);
    rc = rc ? rc : rm_h5_read_int(loc, where, obj, "cols", 1, 4096, &cols);
    if (rc)
        return rc;
    /* Shapes first: a 4096 x 4096 claim costs 150 MB to allocate. */
    static const char *const grids[] = {"offset", "gain", "dead"};
    for (int i = 0; i < 3 && !rc; i++)
        rc = check_grid_shape(loc, where, obj, grids[i], rows, cols);
    if (rc)
        return rc;
    struct rm_calibration *cal; /* owned here until handed to *out */
    rc = rm_calibration_new(&cal, rows, cols);
    if (rc)
        return rc;
    char curve[16];
    rc = rc ? rc
            : rm_h5_read_str(loc, where, obj, "device_serial", cal->device_serial,
                             sizeof(cal->device_serial));
    rc = rc ? rc
            : rm_h5_read_str(loc, where, obj, "created_utc", cal->created_utc,
                             sizeof(cal->created_utc));
    if (!rc) { /* another writer's bytes, cleaned where they enter */
        rm_text_clean(cal->device_serial, sizeof(cal->device_serial));
        rm_text_clean(cal->created_utc, sizeof(cal->created_utc));
    }
    rc = rc ? rc : rm_h5_read_str(loc, where, obj, "curve", curve, sizeof(curve));
    if (!rc) {
        if (strcmp(curve, "power") == 0) {
            cal->curve = RM_CURVE_POWER;
            rc = rm_h5_read_double(loc, where, obj, "curve_a", &cal->curve_a);
            rc = rc ? rc : rm_h5_read_double(loc, where, obj, "curve_b", &cal->curve_b);
        } else if (strcmp(curve, "table") == 0) {
            rc = read_table(loc, where, obj, cal);
        } else {
            rc = rm_fail(RM_EFORMAT, "%s:%s: curve is \"%s\", expected \"power\" or \"table\"",
                         where, obj, curve);
        }
    }
    rc = rc ? rc
            : read_grid(loc, where, obj, "offset", H5T_FLOAT, 4, -1, "float32", H5T_NATIVE_FLOAT,
                        rows, cols, cal->offset);
    rc = rc ? rc
            : read_grid(loc, where, obj, "gain", H5T_FLOAT, 4, -1, "float32", H5T_NATIVE_FLOAT,
                        rows, cols, cal->gain);
    rc = rc ? rc
            : read_grid(loc, where, obj, "dead", H5T_INTEGER, 1, H5T_SGN_NONE, "uint8",
                        H5T_NATIVE_UINT8, rows, cols, cal->dead);
    if (!rc) {
        char here[600];
        snprintf(here, sizeof(here), "%s:%s", where, obj);
        rc = rm_calibration_validate(cal, here);
    }
    if (rc) {
        rm_calibration_free(cal);
        return rc;
    }
    *out = cal;
    return 0;
}

int rm_calibration_load(const char *path, struct rm_calibration **out)
{
    *out = NULL;
    hid_t f;
    struct rm_h5_watchdog w; /* all of it is metadata: under the deadline */
    rm_h5_watchdog_arm(&w, path);
    int rc = rm_h5_open_file(path, false, &f, NULL);
    if (rc) {
        rm_h5_watchdog_disarm(&w);
        return rc;
    }
    char format[32];
    rc = rm_h5_read_str(f, path, "/", "rollmat_format", format, sizeof(format));
    if (rc == 0 && strcmp(format, "calibration") != 0)
        rc = rm_fail(RM_EFORMAT, "%s:/: rollmat_format is \"%s\", not \"calibration\"", path,
                     format);
    if (rc == 0)
        rc = rm_calibration_h5_read(f, path, "/", out);
    H5Fclose(f);
    rm_h5_watchdog_disarm(&w);
    return rc;
}

int rm_calibration_save(const char *path, const struct rm_calibration *cal)
{
    rm_h5_quiet();
    rm_clear_error();
    int rc = rm_calibration_validate(cal, path);
    if (rc)
        return rm_fail(RM_EUSAGE, "%s", rm_last_error(rc));
    /* Written under a temporary name and renamed, so that a failure never
     * leaves a file at path that looks like a calibration. */
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return rm_fail(RM_EUSAGE, "%s: path too long", path);
    hid_t fapl = rm_h5_fapl_v110();
    hid_t f = fapl >= 0 ? H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : -1;
    if (fapl >= 0)
        H5Pclose(fapl);
    char why[256];
    if (f < 0)
        return rm_fail(RM_EIO, "%s: cannot create (%s)", path, rm_h5_error_text(why, sizeof(why)));
    rc = rm_h5_write_str(f, "rollmat_format", "calibration");
    rc = rc ? rc : rm_h5_write_int(f, "rollmat_format_version", 1);
    rc = rc ? rc : rm_calibration_h5_write(f, cal);
    if (rc)
        rm_h5_error_text(why, sizeof(why));
    if (H5Fclose(f) < 0 && !rc) {
        rc = RM_EHDF5;
        rm_h5_error_text(why, sizeof(why));
    }
    if (!rc && rename(tmp, path) != 0) {
        snprintf(why, sizeof(why), "rename failed: %s", strerror(errno));
        rc = RM_EIO;
    }
    if (rc) {
        if (rc == RM_EHDF5)
            rm_h5_write_failed();
        unlink(tmp);
        return rm_fail(rc == RM_EHDF5 ? RM_EIO : rc, "%s: cannot write calibration (%s)", path,
                       why);
    }
    return 0;
}
