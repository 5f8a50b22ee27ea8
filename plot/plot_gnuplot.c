/* gnuplot as an outside program: found on $PATH, run once per picture with
 * a variables file and a script, its output captured so that a failure is
 * reported as gnuplot's own first error line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot_internal.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "plot"

#define INSTALL_HINT "gnuplot not found on PATH: install it with `apt-get install gnuplot-nox`"

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int rm_gnuplot_find(char *path, size_t size)
{
    const char *env = getenv("PATH");
    if (!env || !env[0])
        return rm_fail(RM_EEXTERNAL, INSTALL_HINT);
    const char *p = env;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        /* An empty PATH entry means the current directory. */
        int n = len ? snprintf(path, size, "%.*s/gnuplot", (int)len, p)
                    : snprintf(path, size, "./gnuplot");
        if (n > 0 && (size_t)n < size && is_executable_file(path)) {
            rm_dbg("gnuplot: %s", path);
            return 0;
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    return rm_fail(RM_EEXTERNAL, INSTALL_HINT);
}

static bool line_is_error(const char *line)
{
    /* gnuplot reports a script error as `"FILE" line N: what` after echoing
     * the offending line and a caret; other failures name themselves. */
    if (line[0] == '"' && strstr(line, "\" line ") && strstr(line, ": "))
        return true;
    return strstr(line, "error") != NULL || strstr(line, "Error") != NULL;
}

void rm_gnuplot_error_line(const char *log, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    const char *last = NULL;
    size_t last_len = 0;
    for (const char *p = log; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        size_t cut = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
        memcpy(line, p, cut);
        line[cut] = '\0';
        /* Strip the trailing CR of some messages and leading blanks. */
        while (cut && (line[cut - 1] == '\r' || line[cut - 1] == ' '))
            line[--cut] = '\0';
        const char *text = line;
        while (*text == ' ' || *text == '\t')
            text++;
        if (*text) {
            if (line_is_error(text)) {
                snprintf(out, size, "%s", text);
                return;
            }
            last = p;
            last_len = len;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (last) {
        size_t cut = last_len < size - 1 ? last_len : size - 1;
        memcpy(out, last, cut);
        out[cut] = '\0';
    } else {
        snprintf(out, size, "no message");
    }
}

/* Reads at most size - 1 bytes of path into buf (NUL terminated). */
static void read_log(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void log_warnings(const char *log)
{
    for (const char *p = log; *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        if (len > 0)
            rm_warn("gnuplot: %.*s", len, p);
        if (!nl)
            break;
        p = nl + 1;
    }
}

static void exec_child(const char *gnuplot, int log_fd, const char *vars_path,
                       const char *script_path)
{
    /* Only async-signal-safe calls between fork and exec. */
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
        dup2(log_fd, STDERR_FILENO) < 0)
        _exit(126);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    char *const argv[] = {(char *)"gnuplot", (char *)vars_path, (char *)script_path, NULL};
    execv(gnuplot, argv);
    _exit(127);
}

int rm_gnuplot_run(const char *gnuplot, const char *tmpdir, const char *vars_path,
                   const char *script_path, const char *what)
{
    char log_path[4096];
    snprintf(log_path, sizeof(log_path), "%s/gnuplot.log", tmpdir);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0)
        return rm_fail(RM_EIO, "%s: %s", log_path, strerror(errno));

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(log_fd);
        return rm_fail(RM_EEXTERNAL, "cannot start gnuplot: %s", strerror(errno));
    }
    if (pid == 0)
        exec_child(gnuplot, log_fd, vars_path, script_path);
    close(log_fd);

    rm_plot_signals_set_child(pid);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            rm_plot_signals_set_child(0);
            return rm_fail(RM_EEXTERNAL, "waiting for gnuplot: %s", strerror(errno));
        }
    }
    rm_plot_signals_set_child(0);
    if (rm_plot_interrupted())
        return rm_fail(RM_EINTR, "interrupted");

    char log[8192];
    read_log(log_path, log, sizeof(log));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log_warnings(log);
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return rm_fail(RM_EEXTERNAL, "%s: cannot run %s", what, gnuplot);
    char line[512];
    rm_gnuplot_error_line(log, line, sizeof(line));
    if (WIFSIGNALED(status))
        return rm_fail(RM_EEXTERNAL, "%s: gnuplot killed by signal %d: %s", what, WTERMSIG(status),
                       line);
    return rm_fail(RM_EEXTERNAL, "%s: gnuplot failed: %s", what, line);
}

int rm_gnuplot_draw(const char *gnuplot, const char *tmpdir, const char *script,
                    const char *vars_path, const char *partial, const char *final, const char *what)
{
    char script_path[4096];
    int rc = rm_plot_script_path(script, tmpdir, script_path, sizeof(script_path));
    if (rc)
        return rc;
    rc = rm_gnuplot_run(gnuplot, tmpdir, vars_path, script_path, what);
    if (rc)
        return rc;
    if (rename(partial, final) != 0)
        return rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    rm_info("wrote %s", final);
    return 0;
}
