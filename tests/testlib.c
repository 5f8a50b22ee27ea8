#include "testlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[512];
static pid_t tmpdir_owner;

static void remove_tmpdir(void)
{
    char cmd[600];
    /* A forked child inherits this handler: only the process that made the
     * directory removes it, or a child's exit() would pull it from under
     * its parent. */
    if (!tmpdir[0] || getpid() != tmpdir_owner)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "testlib: could not remove %s\n", tmpdir);
}

const char *rm_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof(tmpdir), "%s/rollmat-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(1);
        }
        tmpdir_owner = getpid();
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *rm_test_path(const char *name)
{
    static char buffers[8][1024];
    static int next;
    char *b = buffers[next++ % 8];
    snprintf(b, sizeof(buffers[0]), "%s/%s", rm_test_tmpdir(), name);
    return b;
}

int rm_test_run(char *out, size_t out_size, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t used = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
        if (out && used + 1 < out_size) {
            size_t take = n < out_size - 1 - used ? n : out_size - 1 - used;
            memcpy(out + used, buf, take);
            used += take;
        }
    }
    if (out && out_size)
        out[used] = '\0';
    int status = pclose(p);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}
