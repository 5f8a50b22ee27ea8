/* The worker-process pool of rm_pool.h: fork per item, a pipe per child for
 * its result, poll() for whichever finishes first or runs out of time. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_pool.h"

/* How long the parent waits for a killed child to be reaped before leaving
 * it (a process stuck in the kernel on a dead network mount cannot die
 * until the kernel lets go; the batch must not wait for that). */
#define REAP_WAIT_S 2.0

struct slot {
    pid_t pid; /* 0: free */
    size_t item;
    int fd;          /* read end of the child's stderr */
    double deadline; /* monotonic s; 0: none */
    size_t len;      /* bytes of text kept */
    char text[4 * RM_POOL_MSG_LEN];
};

/* In the child: run the item with stderr going to the parent, say what
 * went wrong in the one line every command prints, and leave with the
 * command's exit code, without running the parent's exit handlers or
 * flushing its stdio a second time. Code that ends the process on its own
 * (the HDF5 watchdog: its line, exit 3) speaks the same way. */
static _Noreturn void child(const struct rm_pool_opts *o, size_t item, int fd)
{
    if (fd != STDERR_FILENO) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    rm_clear_error();
    int rc = o->work(item, o->arg);
    if (rc != 0)
        rm_log_error_line(rm_last_error(rc));
    fflush(stderr);
    _exit(rm_exit_code(rc));
}

static int start(struct slot *s, size_t item, const struct rm_pool_opts *o)
{
    int p[2];
    if (pipe(p) != 0)
        return rm_fail(RM_EIO, "cannot create a pipe for a worker: %s", strerror(errno));
    /* Buffered output would otherwise be written once by each child too. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(p[0]);
        close(p[1]);
        return rm_fail(RM_EIO, "cannot start a worker process: %s", strerror(err));
    }
    if (pid == 0) {
        close(p[0]);
        child(o, item, p[1]);
    }
    close(p[1]);
    double limit = o->limit_s ? o->limit_s(item, o->arg) : 0;
    *s = (struct slot){
        .pid = pid,
        .item = item,
        .fd = p[0],
        .deadline = limit > 0 ? rm_clock_s() + limit : 0,
    };
    return 0;
}

static void reap_killed(pid_t pid)
{
    double give_up = rm_clock_s() + REAP_WAIT_S;
    while (waitpid(pid, NULL, WNOHANG) == 0 && rm_clock_s() < give_up) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* The error code of a child's exit code (cli.md): 3 bad input, 2 usage. */
static int code_error(int code)
{
    return code == 0 ? 0 : code == 3 ? RM_EFORMAT : code == 2 ? RM_EUSAGE : RM_EIO;
}

/* The last line of what the child wrote (its error; "rollmat: " taken
 * off), trailing newlines cut in place. */
static const char *last_line(char *text, size_t len)
{
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    text[len] = 0;
    char *nl = strrchr(text, '\n');
    const char *line = nl ? nl + 1 : text;
    if (strncmp(line, "rollmat: ", 9) == 0)
        line += 9;
    return line;
}

/* The child's pipe reached end of file: collect its status and report. */
static void finish(struct slot *s, const struct rm_pool_opts *o)
{
    int status = 0;
    pid_t r;
    while ((r = waitpid(s->pid, &status, 0)) < 0 && errno == EINTR) {
    }
    close(s->fd);
    s->text[s->len] = 0;
    char *nl = NULL;
    const char *line = "";
    if (s->len) {
        line = last_line(s->text, s->len);
        nl = line > s->text ? strrchr(s->text, '\n') : NULL;
    }
    int rc = 0;
    char msg[RM_POOL_MSG_LEN + 64];
    snprintf(msg, sizeof(msg), "%.*s", RM_POOL_MSG_LEN, line);
    if (r == s->pid && WIFSIGNALED(status)) {
        rc = RM_EEXTERNAL;
        snprintf(msg, sizeof(msg), "worker died of signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        nl = s->len ? s->text + s->len : NULL; /* every line was output */
    } else if (r == s->pid && WIFEXITED(status)) {
        rc = code_error(WEXITSTATUS(status));
        if (rc == 0)
            nl = s->len ? s->text + s->len : NULL; /* warnings only */
        else if (!msg[0])
            snprintf(msg, sizeof(msg), "worker exited with code %d and no message",
                     WEXITSTATUS(status));
    } else {
        rc = RM_EEXTERNAL;
        snprintf(msg, sizeof(msg), "worker lost");
    }
    /* What the child printed before its last line (warnings, a sanitizer's
     * report) goes to stderr as it was. */
    if (nl && o->output) {
        *nl = 0;
        if (s->text[0])
            o->output(s->text, o->arg);
    }
    s->pid = 0;
    o->done(s->item, rc, rc ? msg : "", o->arg);
}

static void time_out(struct slot *s, const struct rm_pool_opts *o, double limit)
{
    kill(s->pid, SIGKILL);
    reap_killed(s->pid);
    close(s->fd);
    s->pid = 0;
    rm_fail(RM_ETIMEOUT,
            "no result after %.0f s: stopped (the file may be damaged, or its disk "
            "not answering)",
            limit);
    o->done(s->item, RM_ETIMEOUT, rm_last_error(RM_ETIMEOUT), o->arg);
}

/* Waits up to a second (less when a deadline comes first) and handles
 * whatever happened: results arriving, children ending, time running out. */
static void wait_some(struct slot *slots, int jobs, const struct rm_pool_opts *o)
{
    struct pollfd pfd[jobs];
    int idx[jobs], n = 0;
    double now = rm_clock_s(), wait = 1.0;
    for (int j = 0; j < jobs; j++) {
        if (!slots[j].pid)
            continue;
        if (slots[j].deadline > 0 && slots[j].deadline - now < wait)
            wait = slots[j].deadline - now;
        pfd[n] = (struct pollfd){.fd = slots[j].fd, .events = POLLIN};
        idx[n++] = j;
    }
    int timeout_ms = wait > 0 ? (int)(wait * 1000) + 1 : 0;
    if (poll(pfd, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
        return;
    for (int k = 0; k < n; k++) {
        struct slot *s = &slots[idx[k]];
        if (pfd[k].revents) {
            /* Past the buffer, the oldest half goes: the last line is the
             * error. */
            if (s->len >= sizeof(s->text) - 1) {
                size_t half = s->len / 2;
                memmove(s->text, s->text + half, s->len - half);
                s->len -= half;
            }
            ssize_t got = read(s->fd, s->text + s->len, sizeof(s->text) - 1 - s->len);
            if (got > 0) {
                s->len += (size_t)got;
                continue;
            }
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                finish(s, o);
                continue;
            }
        }
    }
    now = rm_clock_s();
    for (int j = 0; j < jobs; j++)
        if (slots[j].pid && slots[j].deadline > 0 && now >= slots[j].deadline)
            time_out(&slots[j], o, o->limit_s(slots[j].item, o->arg));
}

int rm_pool_run(size_t n, const size_t *order, const struct rm_pool_opts *o)
{
    int jobs = o->jobs < 1 ? 1 : o->jobs;
    if ((size_t)jobs > n)
        jobs = n ? (int)n : 1;
    struct slot *slots = calloc((size_t)jobs, sizeof(*slots));
    if (!slots)
        return RM_ENOMEM;
    size_t next = 0;
    int running = 0, rc = 0;
    char why[RM_POOL_MSG_LEN] = "";
    while (next < n || running > 0) {
        for (int j = 0; j < jobs && next < n && rc == 0; j++) {
            if (slots[j].pid)
                continue;
            size_t item = order ? order[next] : next;
            if ((rc = start(&slots[j], item, o)) != 0) {
                snprintf(why, sizeof(why), "%s", rm_last_error(rc));
                break;
            }
            next++;
        }
        wait_some(slots, jobs, o);
        running = 0;
        for (int j = 0; j < jobs; j++)
            running += slots[j].pid != 0;
        if (o->tick)
            o->tick(o->arg);
        if (rc != 0 && running == 0)
            break;
    }
    /* The pool could not go on: every item not started fails with it. */
    for (; next < n; next++)
        o->done(order ? order[next] : next, rc, why, o->arg);
    free(slots);
    return rc;
}
