/* HDF5 attribute and dataset helpers for the recording and calibration
 * files (see rm_h5.h). */
#include "rm_h5.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rm_error.h"

/* Strings longer than this are not metadata: refuse rather than allocate. */
#define MAX_ATTR_STRING (1 << 20)

void rm_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

struct walk_state {
    char *buf;
    size_t size;
    bool found;
};

static herr_t keep_deepest(unsigned n, const H5E_error2_t *e, void *data)
{
    struct walk_state *s = data;
    (void)n;
    /* H5E_WALK_DOWNWARD visits from the API call to the innermost frame;
     * the last non-empty description is the most specific one. */
    if (e->desc && e->desc[0]) {
        snprintf(s->buf, s->size, "%s", e->desc);
        s->found = true;
    }
    return 0;
}

/* HDF5's file driver reports a failed system call as "file write failed:
 * time = <ctime, with its newline>, filename = ..., errno = 28, error
 * message = '...', buf = 0x..."; users need the system's reason only. */
static void condense_system_error(char *buf, size_t size)
{
    const char *e = strstr(buf, "errno = ");
    if (!e)
        return;
    int err = atoi(e + strlen("errno = "));
    /* "file write failed: time = ..." keeps "file write failed", "unable to
     * lock file, errno = 11, ..." keeps "unable to lock file". */
    const char *failed = strstr(buf, " failed");
    const char *comma = strchr(buf, ',');
    int head = failed  ? (int)(failed - buf) + (int)strlen(" failed")
               : comma ? (int)(comma - buf)
                       : 0;
    char out[256];
    snprintf(out, sizeof(out), "%.*s%s%s", head, buf, head ? ": " : "", strerror(err));
    snprintf(buf, size, "%s", out);
}

const char *rm_h5_error_text(char *buf, size_t size)
{
    struct walk_state s = {buf, size, false};
    if (size == 0)
        return buf;
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_deepest, &s);
    if (!s.found) {
        /* No HDF5 description, but a system call may have failed (a
         * read-only folder makes H5Fcreate fail with EACCES). */
        snprintf(buf, size, "%s", errno ? strerror(errno) : "unknown HDF5 error");
        return buf;
    }
    condense_system_error(buf, size);
    for (char *c = buf; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    return buf;
}

/* HDF5 closes what is still open when the process exits; after a failed
 * write (a full disk) that close crashed inside the library (H5F__close_cb
 * from H5_term_library). Once a write has failed, the process leaves
 * without HDF5's exit handler: ours, registered after HDF5's, runs first.
 * The exit code is 1, the code of every write failure (shared/spec/cli.md). */
static void leave_without_hdf5(void)
{
    fflush(NULL);
    _exit(1);
}

void rm_h5_write_failed(void)
{
    static atomic_flag once = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&once))
        atexit(leave_without_hdf5);
}

void rm_h5_utc_now(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

hid_t rm_h5_fapl_v110(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return fapl;
    /* Pinned to 1.10 rather than "latest" so that a build against HDF5 1.12+
     * still writes files the 1.10 tools and h5py builds can read. */
    if (H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

static int write_scalar(hid_t loc, const char *name, hid_t type, const void *value)
{
    int rc = RM_EHDF5;
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = -1;
    if (space < 0)
        goto out;
    attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0)
        goto out;
    if (H5Awrite(attr, type, value) < 0)
        goto out;
    rc = 0;
out:
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int rm_h5_write_str(hid_t loc, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0)
        return RM_EHDF5;
    int rc = RM_EHDF5;
    /* Variable-length UTF-8: h5py hands these back as str, not bytes. */
    if (H5Tset_size(type, H5T_VARIABLE) >= 0 && H5Tset_cset(type, H5T_CSET_UTF8) >= 0)
        rc = write_scalar(loc, name, type, &value);
    H5Tclose(type);
    return rc;
}

int rm_h5_write_int(hid_t loc, const char *name, int value)
{
    return write_scalar(loc, name, H5T_NATIVE_INT, &value);
}

int rm_h5_write_i64(hid_t loc, const char *name, int64_t value)
{
    return write_scalar(loc, name, H5T_NATIVE_INT64, &value);
}

int rm_h5_write_double(hid_t loc, const char *name, double value)
{
    return write_scalar(loc, name, H5T_NATIVE_DOUBLE, &value);
}

static int rewrite(hid_t loc, const char *name, hid_t type, const void *value)
{
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr < 0)
        return RM_EHDF5;
    int rc = H5Awrite(attr, type, value) < 0 ? RM_EHDF5 : 0;
    H5Aclose(attr);
    return rc;
}

int rm_h5_rewrite_i64(hid_t loc, const char *name, int64_t value)
{
    return rewrite(loc, name, H5T_NATIVE_INT64, &value);
}

int rm_h5_rewrite_int(hid_t loc, const char *name, int value)
{
    return rewrite(loc, name, H5T_NATIVE_INT, &value);
}

/* Opens attribute name on loc and checks that it holds exactly one value of
 * type class cls (or cls2 when that is not H5T_NO_CLASS). */
static int open_attr(hid_t loc, const char *where, const char *obj, const char *name,
                     H5T_class_t cls, H5T_class_t cls2, const char *what, hid_t *attr_out,
                     hid_t *type_out)
{
    *attr_out = *type_out = -1;
    htri_t exists = H5Aexists(loc, name);
    if (exists <= 0)
        return rm_fail(RM_EFORMAT, "%s:%s: missing attribute %s", where, obj, name);
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr < 0)
        return rm_fail(RM_EFORMAT, "%s:%s: attribute %s cannot be opened", where, obj, name);
    hid_t type = H5Aget_type(attr);
    hid_t space = H5Aget_space(attr);
    int rc = 0;
    H5T_class_t c = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    H5S_class_t sc = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
    hssize_t npoints = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (c != cls && (cls2 == H5T_NO_CLASS || c != cls2))
        rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s is not %s", where, obj, name, what);
    else if (sc == H5S_NULL || !(sc == H5S_SCALAR || (sc == H5S_SIMPLE && npoints == 1)))
        rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s is not a single value", where, obj, name);
    if (space >= 0)
        H5Sclose(space);
    if (rc) {
        if (type >= 0)
            H5Tclose(type);
        H5Aclose(attr);
        return rc;
    }
    *attr_out = attr;
    *type_out = type;
    return 0;
}

static void copy_trimmed(char *dst, size_t size, const char *src, size_t len, H5T_str_t pad)
{
    /* A fixed string ends at its first NUL whatever its padding says;
     * space padding is trimmed too. */
    const char *nul = memchr(src, '\0', len);
    if (nul)
        len = (size_t)(nul - src);
    if (pad == H5T_STR_SPACEPAD)
        while (len > 0 && src[len - 1] == ' ')
            len--;
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int rm_h5_read_str(hid_t loc, const char *where, const char *obj, const char *name, char *buf,
                   size_t size)
{
    hid_t attr, ftype;
    int rc = open_attr(loc, where, obj, name, H5T_STRING, H5T_NO_CLASS, "a string", &attr, &ftype);
    if (rc)
        return rc;
    hid_t mtype = H5Tcopy(H5T_C_S1);
    htri_t vlen = H5Tis_variable_str(ftype);
    rc = RM_EFORMAT;
    if (mtype < 0 || vlen < 0) {
        rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s has an unreadable string type", where, obj,
                     name);
    } else if (vlen) {
        char *value = NULL;
        H5Tset_size(mtype, H5T_VARIABLE);
        H5Tset_cset(mtype, H5Tget_cset(ftype));
        if (H5Aread(attr, mtype, &value) < 0) {
            rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s cannot be read", where, obj, name);
        } else {
            copy_trimmed(buf, size, value ? value : "", value ? strlen(value) : 0,
                         H5T_STR_NULLTERM);
            H5free_memory(value);
            rc = 0;
        }
    } else {
        size_t len = H5Tget_size(ftype);
        char *raw = len > 0 && len <= MAX_ATTR_STRING ? malloc(len) : NULL;
        if (!raw) {
            rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s: string of %zu bytes", where, obj, name,
                         len);
        } else {
            H5Tset_size(mtype, len);
            H5Tset_cset(mtype, H5Tget_cset(ftype));
            H5Tset_strpad(mtype, H5Tget_strpad(ftype));
            if (H5Aread(attr, mtype, raw) < 0) {
                rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s cannot be read", where, obj, name);
            } else {
                copy_trimmed(buf, size, raw, len, H5Tget_strpad(ftype));
                rc = 0;
            }
            free(raw);
        }
    }
    if (mtype >= 0)
        H5Tclose(mtype);
    H5Tclose(ftype);
    H5Aclose(attr);
    return rc;
}

int rm_h5_read_i64(hid_t loc, const char *where, const char *obj, const char *name, int64_t lo,
                   int64_t hi, int64_t *out)
{
    hid_t attr, ftype;
    int rc =
        open_attr(loc, where, obj, name, H5T_INTEGER, H5T_NO_CLASS, "an integer", &attr, &ftype);
    if (rc)
        return rc;
    int64_t v = 0;
    bool is_unsigned = H5Tget_sign(ftype) == H5T_SGN_NONE;
    if (is_unsigned) {
        /* Read unsigned values unsigned: converting a huge one to int64
         * would clamp it and hide the real value from the message. */
        uint64_t u = 0;
        if (H5Aread(attr, H5T_NATIVE_UINT64, &u) < 0)
            rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s cannot be read", where, obj, name);
        else if (u > (uint64_t)INT64_MAX)
            rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s = %llu is out of range", where, obj, name,
                         (unsigned long long)u);
        v = (int64_t)(u & (uint64_t)INT64_MAX);
    } else if (H5Aread(attr, H5T_NATIVE_INT64, &v) < 0) {
        rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s cannot be read", where, obj, name);
    }
    H5Tclose(ftype);
    H5Aclose(attr);
    if (rc)
        return rc;
    if (v < lo || v > hi)
        return rm_fail(RM_EFORMAT, "%s:%s: attribute %s = %lld is out of range [%lld, %lld]", where,
                       obj, name, (long long)v, (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

int rm_h5_read_int(hid_t loc, const char *where, const char *obj, const char *name, int lo, int hi,
                   int *out)
{
    int64_t v = 0;
    int rc = rm_h5_read_i64(loc, where, obj, name, lo, hi, &v);
    if (rc)
        return rc;
    *out = (int)v;
    return 0;
}

int rm_h5_read_double(hid_t loc, const char *where, const char *obj, const char *name, double *out)
{
    hid_t attr, ftype;
    int rc = open_attr(loc, where, obj, name, H5T_FLOAT, H5T_INTEGER, "a number", &attr, &ftype);
    if (rc)
        return rc;
    double v = 0;
    if (H5Aread(attr, H5T_NATIVE_DOUBLE, &v) < 0)
        rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s cannot be read", where, obj, name);
    else if (!isfinite(v))
        rc = rm_fail(RM_EFORMAT, "%s:%s: attribute %s is not a finite number", where, obj, name);
    H5Tclose(ftype);
    H5Aclose(attr);
    if (rc == 0)
        *out = v;
    return rc;
}

int rm_h5_has_link(hid_t loc, const char *name)
{
    return H5Lexists(loc, name, H5P_DEFAULT) > 0;
}

int rm_h5_open_dataset(hid_t loc, const char *where, const char *name, const char *label,
                       hid_t *out)
{
    *out = -1;
    const char *rel = name[0] == '/' ? name + 1 : name;
    const char *path = label;
    H5O_info_t info;
    if (!rm_h5_has_link(loc, rel))
        return rm_fail(RM_EFORMAT, "%s:%s: missing dataset", where, path);
    if (H5Oget_info_by_name2(loc, rel, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        info.type != H5O_TYPE_DATASET)
        return rm_fail(RM_EFORMAT, "%s:%s: is not a dataset", where, path);
    hid_t d = H5Dopen2(loc, rel, H5P_DEFAULT);
    if (d < 0)
        return rm_fail(RM_EFORMAT, "%s:%s: dataset cannot be opened", where, path);
    *out = d;
    return 0;
}

int rm_h5_check_type(hid_t dset, const char *where, const char *obj, H5T_class_t cls, size_t size,
                     int sign, const char *what)
{
    hid_t type = H5Dget_type(dset);
    if (type < 0)
        return rm_fail(RM_EFORMAT, "%s:%s: unreadable type", where, obj);
    bool ok = H5Tget_class(type) == cls && (size == 0 || H5Tget_size(type) == size);
    if (ok && cls == H5T_INTEGER && sign >= 0)
        ok = H5Tget_sign(type) == (H5T_sign_t)sign;
    H5Tclose(type);
    if (!ok)
        return rm_fail(RM_EFORMAT, "%s:%s: type is not %s", where, obj, what);
    return 0;
}

int rm_h5_dims(hid_t dset, const char *where, const char *obj, int rank, hsize_t *dims,
               int max_rank)
{
    hid_t space = H5Dget_space(dset);
    if (space < 0)
        return rm_fail(RM_EFORMAT, "%s:%s: unreadable shape", where, obj);
    int r = H5Sget_simple_extent_ndims(space);
    int rc = 0;
    if (r < 0 || H5Sget_simple_extent_type(space) != H5S_SIMPLE)
        rc = rm_fail(RM_EFORMAT, "%s:%s: has no shape (null or scalar dataspace)", where, obj);
    else if ((rank >= 0 && r != rank) || r > max_rank)
        rc = rm_fail(RM_EFORMAT, "%s:%s: rank %d, expected %d", where, obj, r,
                     rank >= 0 ? rank : max_rank);
    else
        H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    return rc;
}

/* Reads of a file a SWMR writer is extending may catch metadata mid-write
 * and fail their checksum; HDF5 retries them with a growing back-off (100
 * attempts by default for SWMR, hours on a damaged file). A few attempts
 * cover a live writer's flush; a damaged file fails at once. */
#define SWMR_READ_ATTEMPTS 4

static herr_t note_open_for_write(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    if (e->desc && strstr(e->desc, "already open for write"))
        *(bool *)data = true;
    return 0;
}

/* True when the last H5Fopen failed only because the superblock marks the
 * file open by a (SWMR) writer: the one case a SWMR reader can open. */
static bool failed_as_open_for_write(void)
{
    bool found = false;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, note_open_for_write, &found);
    return found;
}

int rm_h5_open_file(const char *path, bool allow_swmr, hid_t *out, bool *swmr_out)
{
    *out = -1;
    if (swmr_out)
        *swmr_out = false;
    rm_h5_quiet();
    struct stat st;
    if (stat(path, &st) != 0)
        return rm_fail(errno == ENOENT ? RM_ENOTFOUND : RM_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return rm_fail(RM_EFORMAT, "%s: not a regular file", path);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    fclose(probe);
    htri_t is_hdf5 = H5Fis_hdf5(path);
    if (is_hdf5 <= 0)
        return rm_fail(RM_EFORMAT, "%s: not an HDF5 file", path);

    hid_t fapl = rm_h5_fapl_v110();
    /* Lock as HDF5 does by default, but still read where the file system
     * has no locks (NFS exports of a clinic's recordings). */
    if (fapl >= 0 && H5Pset_file_locking(fapl, 1, 1) < 0) {
        H5Pclose(fapl);
        fapl = -1;
    }
    if (fapl < 0)
        return rm_fail(RM_EHDF5, "%s: cannot set up HDF5 file access", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    char why[256] = "";
    if (f < 0) {
        rm_h5_error_text(why, sizeof(why));
        /* A SWMR writer marks the superblock "open for writing" until it
         * closes the file; only a SWMR reader may open it until then. */
        if (allow_swmr && failed_as_open_for_write() &&
            H5Pset_metadata_read_attempts(fapl, SWMR_READ_ATTEMPTS) >= 0) {
            f = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
            if (f < 0)
                rm_h5_error_text(why, sizeof(why));
            if (f >= 0 && swmr_out)
                *swmr_out = true;
        }
    }
    H5Pclose(fapl);
    if (f < 0) {
        if (strstr(why, "truncated"))
            return rm_fail(RM_EFORMAT, "%s: truncated HDF5 file (%s)", path, why);
        if (strstr(why, "unable to lock"))
            return rm_fail(RM_EIO, "%s: locked by a program writing it (%s)", path, why);
        return rm_fail(RM_EFORMAT, "%s: damaged HDF5 file (%s)", path, why);
    }
    *out = f;
    return 0;
}
