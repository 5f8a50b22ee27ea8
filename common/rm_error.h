/* Error codes and the one-line diagnostics every rollmat command prints.
 *
 * Functions return 0 on success or a negative RM_E* code. A function that
 * fails on outside input also records a message of the form
 * "<file>:<where>: <what>" with rm_fail(); the command line prints it as
 * "rollmat: <message>" and exits with rm_exit_code(). The message is kept per
 * thread, so batch workers do not overwrite each other's. */
#ifndef RM_ERROR_H
#define RM_ERROR_H

enum rm_error {
    RM_OK = 0,
    RM_ENOMEM = -1,     /* out of memory */
    RM_EIO = -2,        /* the operating system refused a read or write */
    RM_EFORMAT = -3,    /* bad input: not what it claims, corrupt, inconsistent */
    RM_EUSAGE = -4,     /* invalid argument from the caller or the user */
    RM_EHDF5 = -5,      /* the HDF5 library failed on a file we wrote */
    RM_EUSB = -6,       /* libusb failed */
    RM_ENODEV = -7,     /* the device went away */
    RM_ETIMEOUT = -8,   /* a finite wait ran out */
    RM_EINTR = -9,      /* stopped by a signal or a stop request */
    RM_ENOTFOUND = -10, /* no such device, file, segment ... */
    RM_ERANGE = -11,    /* a value outside what the format allows */
    RM_EEXTERNAL = -12, /* an outside program (gnuplot) is missing or failed */
    RM_EEOF = -13,      /* end of stream: not an error for readers that loop */
};

/* A short constant text for a code, "unknown error" for anything else. */
const char *rm_strerror(int err);

/* The exit code of shared/spec/cli.md for a code: 0 ok, 2 usage, 3 bad
 * input, 1 anything else. */
int rm_exit_code(int err);

/* Records a printf-style message for this thread and returns err, so that a
 * failure is reported and propagated in one statement:
 *     return rm_fail(RM_EFORMAT, "%s:/t: not increasing at row %lld", path, i);
 */
int rm_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of this thread's last rm_fail(), or rm_strerror(err) of the
 * code it was given when no message was recorded since rm_clear_error(). */
const char *rm_last_error(int err);

/* Forgets this thread's message; call before an operation whose failure will
 * be reported with rm_last_error(). */
void rm_clear_error(void);

#endif
