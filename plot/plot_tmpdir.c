/* The private temporary directory the data for gnuplot goes through, and
 * the signal handling that lets an interrupted run still remove it. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot_internal.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "plot"

static volatile sig_atomic_t interrupted;
/* The gnuplot being waited for: the handler stops it itself, so a signal
 * arriving just before waitpid() cannot be missed. */
static volatile pid_t child;

int rm_plot_tmpdir_create(char *out, size_t size)
{
    const char *base = getenv("TMPDIR");
    if (!base || !base[0])
        base = "/tmp";
    int n = snprintf(out, size, "%s/rollmat-plot-XXXXXX", base);
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_EUSAGE, "TMPDIR is too long: %s", base);
    /* mkdtemp creates the directory with mode 0700: only we read the data. */
    if (!mkdtemp(out))
        return rm_fail(RM_EIO, "%s: cannot create a temporary directory: %s", base,
                       strerror(errno));
    rm_dbg("temporary directory %s", out);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = (type == FTW_DP) ? rmdir(path) : unlink(path);
    if (rc != 0)
        rm_warn("cannot remove %s: %s", path, strerror(errno));
    return 0; /* keep going: remove as much as possible */
}

void rm_plot_tmpdir_remove(const char *dir)
{
    if (!dir || !dir[0])
        return;
    /* FTW_DEPTH: contents before their directory; FTW_PHYS: a symlink is
     * removed, never followed. */
    if (nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        rm_warn("cannot remove %s: %s", dir, strerror(errno));
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    pid_t pid = child;
    if (pid > 0)
        kill(pid, SIGTERM); /* async-signal-safe */
}

void rm_plot_signals_set_child(pid_t pid)
{
    child = pid;
    if (pid > 0 && interrupted)
        kill(pid, SIGTERM); /* the signal came before the child was known */
}

void rm_plot_signals_catch(struct rm_plot_signals *saved)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: waiting for gnuplot returns EINTR so we can stop it. */
    sa.sa_flags = 0;
    interrupted = 0;
    sigaction(SIGINT, &sa, &saved->old_int);
    sigaction(SIGTERM, &sa, &saved->old_term);
    sigaction(SIGHUP, &sa, &saved->old_hup);
}

void rm_plot_signals_restore(const struct rm_plot_signals *saved)
{
    sigaction(SIGINT, &saved->old_int, NULL);
    sigaction(SIGTERM, &saved->old_term, NULL);
    sigaction(SIGHUP, &saved->old_hup, NULL);
}

bool rm_plot_interrupted(void)
{
    return interrupted != 0;
}

int rm_plot_make_dirs(const char *dir)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s", dir);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return rm_fail(RM_EUSAGE, "%s: path too long", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return rm_fail(RM_EIO, "%s: cannot create: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return rm_fail(RM_EIO, "%s: cannot create: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return rm_fail(RM_EIO, "%s: not a directory", buf);
    return 0;
}
