/* LD_PRELOAD shim for the batch tests: a recording whose path contains
 * "stall" never opens (the read of a dead network mount, or HDF5 retrying a
 * damaged superblock for hours: issue 12), and one whose path contains
 * "selfexit" ends it as the HDF5 watchdog would (its own line, exit 3),
 * "crash" aborts its reader (a bug in a library; SIGABRT, since
 * AddressSanitizer would catch SIGSEGV and exit instead). Every other
 * open goes to the C library untouched. HDF5 opens files with open() (or
 * open64() with large-file support), which this replaces. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void misbehave(const char *path)
{
    if (!path || !strstr(path, ".h5"))
        return;
    if (strstr(path, "stall"))
        for (;;)
            pause();
    if (strstr(path, "crash"))
        raise(SIGABRT);
    if (strstr(path, "selfexit")) {
        /* As the HDF5 watchdog ends a process: a line of its own, exit 3;
         * a warning before it. */
        char line[4300];
        int n = snprintf(line, sizeof(line),
                         "rollmat: a warning first\nrollmat: %s: damaged (shim)\n", path);
        ssize_t w = write(STDERR_FILENO, line, (size_t)n);
        (void)w;
        _exit(3);
    }
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

#define FORWARD(name)                                                                              \
    int name(const char *path, int flags, ...)                                                     \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode_t mode = mode_arg(flags, ap);                                                         \
        va_end(ap);                                                                                \
        misbehave(path);                                                                           \
        int (*real)(const char *, int, ...) =                                                      \
            (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name);                              \
        return real(path, flags, mode);                                                            \
    }

FORWARD(open)
FORWARD(open64)
