#define LOG_PREFIX "control"

#include "control_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rm_clock.h"
#include "rm_control.h"
#include "rm_error.h"
#include "rm_log.h"

/* The reply to the longest command (status) stays well under this. */
#define REPLY_MAX 4096

struct client {
    int fd; /* -1: free slot */
    char buf[RM_CONTROL_LINE_MAX + 2];
    size_t len;
    time_t last_active;
};

struct rm_control_server {
    int listen_fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    dev_t dev; /* of the socket file we created, so close removes only it */
    ino_t ino;
    struct client clients[RM_CONTROL_MAX_CLIENTS];
};

static int fill_addr(struct sockaddr_un *addr, const char *path)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path))
        return rm_fail(RM_ERANGE, "%s: path too long for a UNIX socket", path);
    strcpy(addr->sun_path, path);
    return 0;
}

/* Removes a socket left behind by a daemon that is gone; refuses to touch
 * a live one or a file that is not a socket. */
static int clear_stale(const char *path, const struct sockaddr_un *addr)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISSOCK(st.st_mode))
        return rm_fail(RM_EIO, "%s: exists and is not a socket; not replacing it", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return rm_fail(RM_EIO, "socket: %s", strerror(errno));
    int rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
    int err = errno;
    close(fd);
    if (rc == 0)
        return rm_fail(RM_EIO, "%s: another rollmatd is listening there", path);
    if (err != ECONNREFUSED)
        return rm_fail(RM_EIO, "%s: %s", path, strerror(err));
    if (unlink(path) < 0)
        return rm_fail(RM_EIO, "%s: removing the stale socket: %s", path, strerror(errno));
    rm_info("removed the stale socket %s", path);
    return 0;
}

int rm_control_server_open(struct rm_control_server **out, const char *path)
{
    struct sockaddr_un addr;
    *out = NULL;
    int rc = fill_addr(&addr, path);
    if (rc < 0)
        return rc;
    if ((rc = clear_stale(path, &addr)) < 0)
        return rc;

    struct rm_control_server *s = calloc(1, sizeof(*s)); /* owned by the caller */
    if (!s)
        return rm_fail(RM_ENOMEM, "out of memory");
    for (int i = 0; i < RM_CONTROL_MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    strcpy(s->path, addr.sun_path);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->listen_fd < 0) {
        free(s);
        return rm_fail(RM_EIO, "socket: %s", strerror(errno));
    }
    /* Created 0660 from the start (not chmod'ed after bind, which would
     * leave a moment with wider permissions). The daemon has no other
     * thread yet, so the umask change races with nothing. */
    mode_t old = umask(0117);
    rc = bind(s->listen_fd, (const struct sockaddr *)&addr, sizeof(addr));
    int err = errno;
    umask(old);
    struct stat st;
    if (rc < 0 || chmod(path, 0660) < 0 || stat(path, &st) < 0 || listen(s->listen_fd, 8) < 0) {
        if (rc == 0)
            err = errno;
        close(s->listen_fd);
        if (rc == 0)
            unlink(path);
        free(s);
        return rm_fail(RM_EIO, "%s: cannot listen: %s", path, strerror(err));
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    rm_info("listening on %s", path);
    *out = s;
    return 0;
}

int rm_control_server_pollfds(struct rm_control_server *s, struct pollfd *fds)
{
    int n = 0;
    fds[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    for (int i = 0; i < RM_CONTROL_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            fds[n++] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
    return n;
}

static void drop(struct client *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void accept_clients(struct rm_control_server *s)
{
    for (;;) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                rm_warn("accept: %s", strerror(errno));
            return;
        }
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
            rm_warn("client socket: %s", strerror(errno));
            close(fd);
            continue;
        }
        struct client *slot = NULL, *idlest = NULL;
        for (int i = 0; i < RM_CONTROL_MAX_CLIENTS && !slot; i++) {
            struct client *c = &s->clients[i];
            if (c->fd < 0)
                slot = c;
            else if (!idlest || c->last_active < idlest->last_active)
                idlest = c;
        }
        if (!slot) {
            /* Every slot is held by a client that has not finished a line
             * (answers are immediate, so a held slot is an idle one). The
             * longest idle makes room: connections that say nothing must not
             * lock out the user's commands until they time out. */
            static const char gone[] = "error too many clients; dropped as the longest idle\n";
            if (send(idlest->fd, gone, sizeof(gone) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                rm_dbg("dropping an idle client: %s", strerror(errno));
            drop(idlest);
            slot = idlest;
        }
        slot->fd = fd;
        slot->len = 0;
        slot->last_active = rm_clock_now().tv_sec;
    }
}

static bool send_line(struct client *c, const char *reply)
{
    char out[REPLY_MAX + 2];
    int n = snprintf(out, sizeof(out), "%s\n", reply);
    if (n < 0 || (size_t)n >= sizeof(out))
        n = snprintf(out, sizeof(out), "error reply too long\n");
    /* Replies are small and the client waits for them: a client whose
     * buffer is full is not reading, and is dropped. */
    ssize_t sent = send(c->fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    return sent == n;
}

/* Answers every complete line in the client's buffer; false to drop it. */
static bool serve_lines(struct client *c, rm_control_handler handler, void *user, bool at_eof)
{
    char reply[REPLY_MAX];
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (!nl && at_eof && c->len > 0)
            nl = c->buf + c->len; /* a last line without newline */
        if (!nl)
            break;
        size_t line_len = (size_t)(nl - c->buf);
        if (line_len > RM_CONTROL_LINE_MAX) {
            send_line(c, "error command line longer than 256 bytes");
            return false;
        }
        if (memchr(c->buf, '\0', line_len)) {
            send_line(c, "error NUL byte in command");
            return false;
        }
        char line[RM_CONTROL_LINE_MAX + 1];
        memcpy(line, c->buf, line_len);
        line[line_len] = '\0';
        if (line_len > 0 && line[line_len - 1] == '\r')
            line[line_len - 1] = '\0';
        size_t used = line_len < c->len ? line_len + 1 : line_len;
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;

        reply[0] = '\0';
        handler(user, line, reply, sizeof(reply));
        if (!send_line(c, reply))
            return false;
    }
    if (c->len > RM_CONTROL_LINE_MAX) {
        send_line(c, "error command line longer than 256 bytes");
        return false;
    }
    return true;
}

static void read_client(struct client *c, rm_control_handler handler, void *user)
{
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        serve_lines(c, handler, user, true);
        drop(c);
        return;
    }
    c->len += (size_t)n;
    c->last_active = rm_clock_now().tv_sec;
    if (!serve_lines(c, handler, user, false))
        drop(c);
}

void rm_control_server_dispatch(struct rm_control_server *s, const struct pollfd *fds, int nfds,
                                rm_control_handler handler, void *user)
{
    for (int k = 0; k < nfds; k++) {
        if (!fds[k].revents)
            continue;
        if (fds[k].fd == s->listen_fd) {
            accept_clients(s);
            continue;
        }
        for (int i = 0; i < RM_CONTROL_MAX_CLIENTS; i++)
            if (s->clients[i].fd == fds[k].fd)
                read_client(&s->clients[i], handler, user);
    }
    time_t now = rm_clock_now().tv_sec;
    for (int i = 0; i < RM_CONTROL_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && now - s->clients[i].last_active > RM_CONTROL_CLIENT_IDLE_S)
            drop(&s->clients[i]);
}

void rm_control_server_close(struct rm_control_server *s)
{
    if (!s)
        return;
    for (int i = 0; i < RM_CONTROL_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            drop(&s->clients[i]);
    close(s->listen_fd);
    struct stat st;
    if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
        unlink(s->path);
    free(s);
}
