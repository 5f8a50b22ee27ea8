/* Small HDF5 helpers shared by the recording and calibration files of
 * common/: writing attributes the way shared/spec/recording-format.md wants
 * them (variable-length UTF-8 strings so h5py returns str, native ints and
 * doubles) and reading them back with the type and shape checks a validator
 * needs. Internal to rm_common; other parts go through rm_recording.h and
 * rm_calibration.h.
 *
 * Readers report failures as rm_fail(RM_EFORMAT, "<where>:<object>: <what>")
 * where `where` is the file path and `obj` the HDF5 path of the object that
 * carries the attribute ("/", "/frames", "/calibration"). */
#ifndef RM_H5_H
#define RM_H5_H

#include <hdf5.h>
#include <time.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Silences libhdf5's own error-stack printing for the calling thread (the
 * threadsafe build keeps that setting per thread), so that users see only
 * our one-line messages. Cheap; call at every public entry point. */
void rm_h5_quiet(void);

/* The most specific text on this thread's HDF5 error stack (the innermost
 * error's description, e.g. "truncated file: eof = ...", or the system
 * error behind a failed write), into buf; "unknown HDF5 error" when the
 * stack is empty. Returns buf. */
const char *rm_h5_error_text(char *buf, size_t size);

/* The current UTC time as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ". */
void rm_h5_utc_now(char *buf, size_t size);

/* A file access property list with the 1.10 format bounds every rollmat
 * file is written with (SWMR needs them). Caller closes it. */
hid_t rm_h5_fapl_v110(void);

/* Writers: create the attribute (scalar) on loc and write the value. */
int rm_h5_write_str(hid_t loc, const char *name, const char *value);
int rm_h5_write_int(hid_t loc, const char *name, int value);
int rm_h5_write_i64(hid_t loc, const char *name, int64_t value);
int rm_h5_write_double(hid_t loc, const char *name, double value);
/* Overwrites an existing scalar int64 / int attribute (no new attribute). */
int rm_h5_rewrite_i64(hid_t loc, const char *name, int64_t value);
int rm_h5_rewrite_int(hid_t loc, const char *name, int value);

/* Readers. A missing attribute, a non-scalar shape or the wrong type class is
 * RM_EFORMAT with a message naming where:obj:name. Strings may be fixed or
 * variable length; they are truncated to size - 1 bytes. */
int rm_h5_read_str(hid_t loc, const char *where, const char *obj, const char *name, char *buf,
                   size_t size);
/* An integer attribute of any integer type whose value fits [lo, hi]. */
int rm_h5_read_i64(hid_t loc, const char *where, const char *obj, const char *name, int64_t lo,
                   int64_t hi, int64_t *out);
int rm_h5_read_int(hid_t loc, const char *where, const char *obj, const char *name, int lo, int hi,
                   int *out);
/* A float (or integer) attribute with a finite value. */
int rm_h5_read_double(hid_t loc, const char *where, const char *obj, const char *name, double *out);

/* 1 if loc has a link called name, 0 if not (no error either way). */
int rm_h5_has_link(hid_t loc, const char *name);

/* Opens the dataset name (relative to loc); RM_EFORMAT "where:label:
 * missing dataset" when it is not there or is not a dataset. label is the
 * dataset's full path in the file, for messages. */
int rm_h5_open_dataset(hid_t loc, const char *where, const char *name, const char *label,
                       hid_t *out);

/* Checks a dataset's type: class and size in bytes (size 0: any), and for
 * integers the signedness (sign: H5T_SGN_NONE / H5T_SGN_2, or -1 for any).
 * `what` names the expected type in the message, e.g. "uint16". */
int rm_h5_check_type(hid_t dset, const char *where, const char *obj, H5T_class_t cls, size_t size,
                     int sign, const char *what);

/* Reads a dataset's rank (at most max_rank) and dims; RM_EFORMAT when the
 * rank is not `rank` (rank < 0: any up to max_rank). */
int rm_h5_dims(hid_t dset, const char *where, const char *obj, int rank, hsize_t *dims,
               int max_rank);

/* Opens path read-only with diagnostics for users: RM_ENOTFOUND/RM_EIO when
 * it cannot be read at all, RM_EFORMAT "<path>: not an HDF5 file" or
 * "<path>: truncated or damaged HDF5 file (...)". A file whose SWMR writer
 * has not closed it (still writing, or killed) cannot be opened plainly; with
 * allow_swmr it is then opened with SWMR read and *swmr_out says so. */
int rm_h5_open_file(const char *path, bool allow_swmr, hid_t *out, bool *swmr_out);

struct rm_rec_reader;
/* rm_rec_reader_open on a file already open (an in-memory core-driver file
 * in the fuzzer); takes ownership of file, closed with the reader or on
 * failure. name stands for the path in messages. */
int rm_rec_reader_open_file(struct rm_rec_reader **out, hid_t file, const char *name);
/* The reader's open /frames dataset, for the frame stream (owned by the
 * reader). */
hid_t rm_rec_frames_dataset(const struct rm_rec_reader *r);

struct rm_calibration;
/* The calibration group layout of the spec, written into / read from loc
 * (a standalone file's root, or a recording's /calibration). Reading checks
 * every name, type and shape and then rm_calibration_validate(); `obj`
 * names loc in messages ("/" or "/calibration"). */
int rm_calibration_h5_write(hid_t loc, const struct rm_calibration *cal);
int rm_calibration_h5_read(hid_t loc, const char *where, const char *obj,
                           struct rm_calibration **out);

/* Call once a write to an HDF5 file has failed: the process then exits
 * (with code 1) without running HDF5's exit handler, which crashes on a file
 * whose close failed. */
void rm_h5_write_failed(void);

/* A deadline for the metadata reads of one file: when the watchdog is not
 * disarmed in time (HDF5 stuck on a damaged heap), the process prints
 * "rollmat: <path>: damaged HDF5 file ..." and exits 3. 5 s, or
 * $ROLLMAT_H5_DEADLINE_S. Not for bulk data reads, which may take long.
 * While armed, a crash inside a library (libhdf5 reads some damaged heaps
 * out of bounds) ends the same way; a crash in rollmat's own code keeps
 * its default action. */
struct rm_h5_watchdog {
    timer_t timer;
    bool armed, catching;
    char line[4200], crash_line[4200];
};
void rm_h5_watchdog_arm(struct rm_h5_watchdog *w, const char *path);
void rm_h5_watchdog_disarm(struct rm_h5_watchdog *w);

#endif
