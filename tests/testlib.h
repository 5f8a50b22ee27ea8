/* Small helpers the C tests share: a private temporary directory removed at
 * exit, and running the built rollmat binary. */
#ifndef RM_TESTLIB_H
#define RM_TESTLIB_H

#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp), removed with its contents at
 * process exit. The string is owned by testlib. */
const char *rm_test_tmpdir(void);

/* Joins the temporary directory and name into a static rotating buffer. */
const char *rm_test_path(const char *name);

/* Runs a shell command line; returns its exit status (or -1 if it died from
 * a signal), stdout appended to out (NUL terminated, may be NULL). */
int rm_test_run(char *out, size_t out_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct CMUnitTest;

/* Runs the cmocka tests, or with an argument only the test of that name
 * (one ctest per behaviour); an unknown name fails rather than running
 * nothing. Returns the process exit code. */
int rm_test_run_selected(const struct CMUnitTest *tests, size_t n, int argc, char **argv);

#endif
