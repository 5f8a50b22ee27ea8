/* A deadline for HDF5 metadata reads (see rm_h5.h). HDF5 1.10 loops
 * forever on some damaged global heaps (the variable-length strings of
 * attributes: a byte flipped in a heap object's size), deep inside the
 * library, where no caller can stop it; on others it reads out of bounds
 * and crashes (H5HG_read). A valid file's metadata reads in milliseconds;
 * past the deadline, or on a crash whose instruction is in a library
 * (libhdf5, or the libc memcpy it calls), the command reports the file as damaged in its one line
 * and exits 3 rather than hang or dump core. A crash in rollmat's own code is left to the default
 * action (and to the sanitizers). */
#define _GNU_SOURCE /* dladdr, REG_RIP */
#include "rm_h5.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "rm_error.h"

#define DEFAULT_DEADLINE_S 5.0

/* Only async-signal-safe calls from here on: the process is stuck, or has
 * crashed, inside HDF5. */
static void say_and_exit(const char *line)
{
    ssize_t n = write(STDERR_FILENO, line, strlen(line));
    (void)n;
    _exit(rm_exit_code(RM_EFORMAT));
}

static void expired(union sigval v)
{
    const struct rm_h5_watchdog *w = v.sival_ptr;
    say_and_exit(w->line);
}

/* The crash line of the innermost armed watchdog, for the crash handler. */
static _Atomic(const char *) crash_line;
static atomic_int armed_count;
static struct sigaction old_segv, old_bus;

/* True when the faulting instruction is in a library (libhdf5, or libc's
 * memcpy called by it), not in rollmat's own code. */
static bool pc_in_library(void *uc)
{
#if defined(__x86_64__)
    void *pc = (void *)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    void *pc = (void *)((ucontext_t *)uc)->uc_mcontext.pc;
#else
    void *pc = NULL;
    (void)uc;
#endif
    Dl_info at, self;
    return pc && dladdr(pc, &at) && dladdr((void *)say_and_exit, &self) &&
           at.dli_fbase != self.dli_fbase;
}

static void on_crash(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    const char *line = atomic_load(&crash_line);
    if (line && pc_in_library(uc))
        say_and_exit(line);
    /* Ours, or no file being read: the default action (a core, ASan). */
    sigaction(sig, sig == SIGSEGV ? &old_segv : &old_bus, NULL);
    raise(sig);
}

static void catch_crashes(const char *line)
{
    atomic_store(&crash_line, line);
    if (atomic_fetch_add(&armed_count, 1) != 0)
        return;
    struct sigaction sa = {.sa_sigaction = on_crash, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
}

static void release_crashes(void)
{
    if (atomic_fetch_sub(&armed_count, 1) != 1)
        return;
    atomic_store(&crash_line, NULL);
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
}

static void set_line(char *buf, size_t size, const char *path, const char *why)
{
    snprintf(buf, size, "rollmat: %s: damaged HDF5 file (%s)\n", path, why);
    for (char *c = buf + strlen("rollmat: "); c[1]; c++)
        if ((unsigned char)*c < 0x20)
            *c = '?';
}

void rm_h5_watchdog_arm(struct rm_h5_watchdog *w, const char *path)
{
    memset(w, 0, sizeof(*w));
    double s = DEFAULT_DEADLINE_S;
    const char *env = getenv("ROLLMAT_H5_DEADLINE_S"); /* the tests' shorter one */
    if (env && atof(env) > 0)
        s = atof(env);
    char why[64];
    snprintf(why, sizeof(why), "its metadata did not read within %g s", s);
    set_line(w->line, sizeof(w->line), path, why);
    set_line(w->crash_line, sizeof(w->crash_line), path, "the HDF5 library crashed reading it");
    catch_crashes(w->crash_line);
    w->catching = true;
    struct sigevent ev = {
        .sigev_notify = SIGEV_THREAD, .sigev_notify_function = expired, .sigev_value.sival_ptr = w};
    if (timer_create(CLOCK_MONOTONIC, &ev, &w->timer) != 0)
        return; /* no deadline, as before */
    struct itimerspec when = {.it_value = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)}};
    w->armed = timer_settime(w->timer, 0, &when, NULL) == 0;
    if (!w->armed)
        timer_delete(w->timer);
}

void rm_h5_watchdog_disarm(struct rm_h5_watchdog *w)
{
    if (w->catching)
        release_crashes();
    w->catching = false;
    if (!w->armed)
        return;
    timer_delete(w->timer);
    w->armed = false;
}
