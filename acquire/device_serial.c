/* The serial backend: a mat behind a USB-serial bridge or a CDC-ACM port
 * (shared/spec/wire-protocol.md, "Serial transport"), opened and configured
 * through libserialport (8N1, no flow control, the spec's 1,000,000 baud by
 * default). The frame stream is the USB one byte for byte, so decoding,
 * counters and the clock mapping are the session's, as for every backend.
 *
 * One reader thread owns the port while streaming, as the usb backend's
 * event thread owns its handle: it reads, notices the mat leaving (the port
 * hung up, a read error, the device node gone, or a mat that fell silent,
 * e.g. a board that reset), waits for the node to come back (polled: a
 * USB-serial adapter's /dev/ttyACMn or its udev symlink reappears), repeats
 * the handshake, checks it is the same mat and goes on with a reconnect
 * event. The thread that calls stop only raises a flag and joins.
 *
 * libserialport (0.1.1, Debian 12) refuses pseudo-terminals: it looks every
 * port up in /sys/class/tty, where /dev/pts/N has no entry. A pty is what a
 * simulator (simavr's uart_pty) or a test's fake mat offers, so a pty is
 * configured with termios directly (raw, same speed); everything after
 * opening is the same code for both. */
#define LOG_PREFIX "serial"

#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "device_backend.h"
#include "rm_bytes.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"
#include "serial_proto.h"

/* The handshake: after X, whatever still arrives is discarded until the
 * line has been quiet this long (bounded by DRAIN_MAX_MS). */
#define DRAIN_QUIET_MS 30
#define DRAIN_MAX_MS   500
/* Info requests: an Arduino resets when the port opens (DTR) and its
 * bootloader listens for up to ~2 s before the firmware answers. */
#define INFO_ATTEMPTS    8
#define INFO_TIMEOUT_MS  500
#define WRITE_TIMEOUT_MS 1000
/* While the mat is away, how often to look for its device node. */
#define RECONNECT_POLL_MS 500
/* A streaming mat that sends nothing for this long (and for ten frame
 * periods) has reset or hung: treated as gone and reconnected. */
#define SILENCE_MS       2000
#define READ_SLICE_MS    100
#define STOP_DRAIN_MS    50
#define READ_BUFFER_SIZE 4096
/* Linux's Unix98 pty slaves (/dev/pts/N): majors 136..143. */
#define PTY_SLAVE_MAJOR_FIRST 136
#define PTY_SLAVE_MAJOR_LAST  143

enum link_state {
    LINK_IDLE,      /* open, not streaming */
    LINK_STREAMING, /* S sent, the thread reads */
    LINK_AWAY,      /* closed; waiting for the device node */
    LINK_FAILED,    /* unrecoverable; fail_msg says why */
};

struct serial_mat {
    char path[PATH_MAX];
    int baud;
    char name[PATH_MAX + 16]; /* "serial:PATH", for messages */
    struct rm_mat_info info;  /* the session's mat */

    struct sp_port *port; /* NULL for a pty, or while away */
    int fd;               /* -1 while away */

    /* Touched only by the caller before start and by the reader thread
     * between start and stop. */
    enum link_state link;
    bool reconnect_warned;
    char fail_msg[256];

    struct rm_device_callbacks cb;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop_requested;
};

/* ---- opening the port ---------------------------------------------------- */

static speed_t termios_speed(int baud)
{
    static const struct {
        int baud;
        speed_t speed;
    } speeds[] = {
        {9600, B9600},     {19200, B19200},     {38400, B38400},     {57600, B57600},
        {115200, B115200}, {230400, B230400},   {460800, B460800},   {500000, B500000},
        {921600, B921600}, {1000000, B1000000}, {2000000, B2000000},
    };
    for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++)
        if (speeds[i].baud == baud)
            return speeds[i].speed;
    return B0;
}

static bool is_pty(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISCHR(st.st_mode))
        return false;
    unsigned maj = major(st.st_rdev);
    return maj >= PTY_SLAVE_MAJOR_FIRST && maj <= PTY_SLAVE_MAJOR_LAST;
}

/* A pseudo-terminal: raw, 8N1, the baud rate (which a pty ignores, but
 * says what the other end should expect), reads that never block. */
static int open_pty(struct serial_mat *m, const char *real)
{
    speed_t speed = termios_speed(m->baud);
    if (speed == B0)
        return rm_fail(RM_EUSAGE, "%s: %d baud is not a standard rate for a pseudo-terminal",
                       m->name, m->baud);
    int fd = open(real, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return rm_fail(errno == ENOENT ? RM_ENOTFOUND : RM_EIO, "%s: %s", m->name, strerror(errno));
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        close(fd);
        return rm_fail(RM_EIO, "%s: not a terminal: %s", m->name, strerror(errno));
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, speed);
    cfsetospeed(&t, speed);
    if (tcsetattr(fd, TCSANOW, &t) != 0) {
        close(fd);
        return rm_fail(RM_EIO, "%s: configuring the terminal: %s", m->name, strerror(errno));
    }
    m->fd = fd;
    return 0;
}

static int sp_failed(struct serial_mat *m, const char *what)
{
    char *msg = sp_last_error_message(); /* freed below */
    int rc = rm_fail(RM_EIO, "%s: %s: %s", m->name, what, msg ? msg : "failed");
    sp_free_error_message(msg);
    return rc;
}

static int open_port(struct serial_mat *m)
{
    /* udev's stable symlinks (/dev/rollmat-mat) name the real node, which
     * is what libserialport looks up. */
    char real[PATH_MAX];
    if (!realpath(m->path, real)) {
        if (errno == ENOENT)
            return rm_fail(RM_ENOTFOUND, "%s: no such device (is the mat plugged in?)", m->name);
        return rm_fail(RM_EIO, "%s: %s", m->name, strerror(errno));
    }
    if (is_pty(real))
        return open_pty(m, real);
    struct sp_port *port = NULL;
    if (sp_get_port_by_name(real, &port) != SP_OK)
        return access(real, F_OK) != 0 ? rm_fail(RM_ENOTFOUND, "%s: no such device", m->name)
                                       : rm_fail(RM_EUSAGE, "%s: not a serial port", m->name);
    if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
        int rc = errno == EACCES ? rm_fail(RM_EIO,
                                           "%s: permission denied (install "
                                           "packaging/71-rollmat-serial.rules, or join group "
                                           "dialout, then replug the mat)",
                                           m->name)
                                 : sp_failed(m, "opening");
        sp_free_port(port);
        return rc;
    }
    int rc = 0;
    if (sp_set_baudrate(port, m->baud) != SP_OK || sp_set_bits(port, 8) != SP_OK ||
        sp_set_parity(port, SP_PARITY_NONE) != SP_OK || sp_set_stopbits(port, 1) != SP_OK ||
        sp_set_flowcontrol(port, SP_FLOWCONTROL_NONE) != SP_OK)
        rc = sp_failed(m, "configuring 8N1");
    else if (sp_get_port_handle(port, &m->fd) != SP_OK)
        rc = sp_failed(m, "getting its handle");
    if (rc < 0) {
        sp_close(port);
        sp_free_port(port);
        m->fd = -1;
        return rc;
    }
    m->port = port;
    return 0;
}

static void close_port(struct serial_mat *m)
{
    if (m->port) {
        sp_close(m->port);
        sp_free_port(m->port);
    } else if (m->fd >= 0) {
        close(m->fd);
    }
    m->port = NULL;
    m->fd = -1;
}

/* ---- bytes in and out ----------------------------------------------------- */

static int write_all(struct serial_mat *m, const uint8_t *p, size_t n, const char *what)
{
    uint64_t deadline = rm_clock_ms() + WRITE_TIMEOUT_MS;
    while (n > 0) {
        ssize_t w = write(m->fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return rm_fail(RM_ENODEV, "%s: sending %s: %s", m->name, what, strerror(errno));
        if (rm_clock_ms() > deadline)
            return rm_fail(RM_ETIMEOUT, "%s: sending %s timed out", m->name, what);
        struct pollfd pfd = {.fd = m->fd, .events = POLLOUT};
        poll(&pfd, 1, 10);
    }
    return 0;
}

static int send_cmd(struct serial_mat *m, uint8_t cmd)
{
    char what[8] = {(char)cmd, '\0'};
    return write_all(m, &cmd, 1, what);
}

/* Waits up to ms for bytes. >0 bytes read, 0 none in time, RM_ENODEV when
 * the port hung up or failed (the mat went away). */
static long read_some(struct serial_mat *m, uint8_t *buf, size_t size, int ms)
{
    struct pollfd pfd = {.fd = m->fd, .events = POLLIN};
    int pr = poll(&pfd, 1, ms);
    if (pr < 0)
        return errno == EINTR ? 0 : rm_fail(RM_ENODEV, "%s: %s", m->name, strerror(errno));
    if (pr == 0)
        return 0;
    ssize_t n = read(m->fd, buf, size);
    if (n > 0)
        return (long)n;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    /* Readable but nothing to read, or an error: a hung-up tty (USB serial
     * unplugged) reads 0 with POLLHUP; a pty whose other end closed fails
     * with EIO. */
    if (n < 0 || (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
        return rm_fail(RM_ENODEV, "%s: the port hung up%s%s", m->name, n < 0 ? ": " : "",
                       n < 0 ? strerror(errno) : "");
    return 0;
}

/* After X: discards what is still on its way, until the line is quiet. */
static int drain_input(struct serial_mat *m)
{
    uint8_t buf[READ_BUFFER_SIZE];
    uint64_t until = rm_clock_ms() + DRAIN_MAX_MS;
    long n;
    while ((n = read_some(m, buf, sizeof(buf), DRAIN_QUIET_MS)) > 0 && rm_clock_ms() < until) {
    }
    if (n < 0)
        return (int)n;
    tcflush(m->fd, TCIFLUSH);
    return 0;
}

/* Sends I and scans the replies for the info block, retrying. */
static int request_info(struct serial_mat *m, struct rm_mat_info *info)
{
    uint8_t buf[2 * READ_BUFFER_SIZE];
    size_t have = 0;
    char where[PATH_MAX + 32];
    snprintf(where, sizeof(where), "%s:info", m->name);
    for (int attempt = 1; attempt <= INFO_ATTEMPTS; attempt++) {
        if (atomic_load(&m->stop_requested))
            return RM_EINTR;
        int rc = send_cmd(m, RM_SERIAL_CMD_INFO);
        if (rc < 0)
            return rc;
        uint64_t deadline = rm_clock_ms() + INFO_TIMEOUT_MS;
        while (rm_clock_ms() < deadline) {
            long n = read_some(m, buf + have, sizeof(buf) - have, READ_SLICE_MS);
            if (n < 0)
                return (int)n;
            have += (size_t)n;
            size_t consumed = 0;
            enum rm_serial_scan s = rm_serial_scan_info(buf, have, where, &consumed, info);
            memmove(buf, buf + consumed, have - consumed);
            have -= consumed;
            if (s == RM_SERIAL_SCAN_FOUND)
                return 0;
            if (s == RM_SERIAL_SCAN_BAD)
                return RM_EFORMAT;
            if (have == sizeof(buf)) /* only possible with a magic at the start */
                have = 0;
        }
        rm_dbg("%s: no info reply to attempt %d", m->name, attempt);
    }
    return rm_fail(RM_ETIMEOUT,
                   "%s: no answer to the info request (%d tries in %d ms): not a "
                   "rollmat mat, or the wrong baud rate (%d)?",
                   m->name, INFO_ATTEMPTS, INFO_ATTEMPTS * INFO_TIMEOUT_MS, m->baud);
}

static int set_rate(struct serial_mat *m, uint16_t rate_hz)
{
    uint8_t cmd[3] = {RM_SERIAL_CMD_RATE};
    rm_put_le16(cmd + 1, rate_hz);
    return write_all(m, cmd, sizeof(cmd), "R");
}

/* The spec's handshake on a freshly opened port: X, discard what is in
 * flight, I (retried), then R when a rate is wanted and differs. */
static int handshake(struct serial_mat *m, int rate_hz, struct rm_mat_info *info)
{
    int rc = send_cmd(m, RM_SERIAL_CMD_STOP);
    if (rc == 0)
        rc = drain_input(m);
    if (rc == 0)
        rc = request_info(m, info);
    if (rc < 0 || rate_hz == 0 || rate_hz == info->rate_hz)
        return rc;
    if (rate_hz < 1 || rate_hz > info->max_rate_hz)
        return rm_fail(RM_EUSAGE, "%s: rate %d Hz outside the mat's 1..%d Hz", m->name, rate_hz,
                       info->max_rate_hz);
    /* Asked again, so that a mat that ignored R is caught here. */
    if ((rc = set_rate(m, (uint16_t)rate_hz)) < 0 || (rc = request_info(m, info)) < 0)
        return rc;
    if (info->rate_hz != rate_hz)
        return rm_fail(RM_EFORMAT, "%s: the mat kept %d Hz after being asked for %d Hz", m->name,
                       info->rate_hz, rate_hz);
    return 0;
}

/* ---- the reader thread ---------------------------------------------------- */

static void fail_link(struct serial_mat *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_link(struct serial_mat *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->fail_msg, sizeof(m->fail_msg), fmt, ap);
    va_end(ap);
    rm_info("%s", m->fail_msg);
    m->link = LINK_FAILED;
}

static void emit(struct serial_mat *m, enum rm_device_event ev)
{
    if (ev == RM_DEVICE_FAILED)
        rm_fail(RM_EIO, "%s", m->fail_msg); /* read in the callback, on this thread */
    m->cb.event(m->cb.user, ev);
}

/* Opens the session's mat again: same serial (when it reported one) and
 * same grid, at the session's rate, streaming. */
static int reopen_and_start(struct serial_mat *m)
{
    int rc = open_port(m);
    if (rc < 0)
        return rc;
    struct rm_mat_info info;
    rc = handshake(m, m->info.rate_hz, &info);
    if (rc == 0 && m->info.serial[0] && strcmp(info.serial, m->info.serial) != 0)
        rc = rm_fail(RM_EUSAGE, "%s: another mat (serial %s, not %s) is on the port", m->name,
                     info.serial, m->info.serial);
    if (rc == 0 && (info.rows != m->info.rows || info.cols != m->info.cols)) {
        fail_link(m, "%s: the mat came back with a %dx%d grid instead of %dx%d", m->name, info.rows,
                  info.cols, m->info.rows, m->info.cols);
        rc = RM_EFORMAT;
    }
    if (rc == 0)
        rc = send_cmd(m, RM_SERIAL_CMD_START);
    if (rc < 0)
        close_port(m);
    return rc;
}

static void lose_link(struct serial_mat *m, const char *why)
{
    rm_warn("%s: the mat went away (%s)", m->name, why);
    close_port(m);
    m->link = LINK_AWAY;
    emit(m, RM_DEVICE_DISCONNECT);
}

static void wait_and_reconnect(struct serial_mat *m)
{
    uint64_t next_try = rm_clock_ms() + RECONNECT_POLL_MS;
    while (!atomic_load(&m->stop_requested) && rm_clock_ms() < next_try) {
        struct timespec slice = {0, 50 * 1000000L};
        nanosleep(&slice, NULL);
    }
    if (atomic_load(&m->stop_requested))
        return;
    rm_clear_error();
    int rc = reopen_and_start(m);
    if (rc == 0) {
        m->link = LINK_STREAMING;
        m->reconnect_warned = false;
        rm_warn("%s: the mat is back; streaming again", m->name);
        emit(m, RM_DEVICE_RECONNECT);
    } else if (rc != RM_ENOTFOUND && rc != RM_EINTR && m->link != LINK_FAILED) {
        /* There but not usable yet (permissions being applied, a board
         * still booting): say so once, then keep trying quietly. */
        if (!m->reconnect_warned)
            rm_warn("%s: the mat is back but cannot be used yet: %s", m->name, rm_last_error(rc));
        m->reconnect_warned = true;
    }
}

static void stream_some(struct serial_mat *m, uint8_t *buf, uint64_t *last_data)
{
    long n = read_some(m, buf, READ_BUFFER_SIZE, READ_SLICE_MS);
    if (n < 0) {
        lose_link(m, rm_last_error((int)n));
        return;
    }
    uint64_t now = rm_clock_ms();
    if (n > 0) {
        *last_data = now;
        m->cb.data(m->cb.user, buf, (size_t)n);
        return;
    }
    /* A USB-serial node can vanish without the tty hanging up at once;
     * a mat that reset stops streaming without a word. */
    uint64_t silence = SILENCE_MS;
    if (10000u / m->info.rate_hz > silence)
        silence = 10000u / m->info.rate_hz;
    if (access(m->path, F_OK) != 0)
        lose_link(m, "its device node is gone");
    else if (now - *last_data > silence)
        lose_link(m, "it sent nothing for 2 s");
}

static void *reader_thread(void *arg)
{
    struct serial_mat *m = arg;
    uint8_t *buf = malloc(READ_BUFFER_SIZE); /* owned by this thread */
    if (!buf) {
        fail_link(m, "%s: out of memory", m->name);
        emit(m, RM_DEVICE_FAILED);
        return NULL;
    }
    uint64_t last_data = rm_clock_ms();
    while (!atomic_load(&m->stop_requested)) {
        switch (m->link) {
        case LINK_STREAMING:
            stream_some(m, buf, &last_data);
            break;
        case LINK_AWAY:
            wait_and_reconnect(m);
            last_data = rm_clock_ms();
            break;
        case LINK_FAILED:
            close_port(m);
            emit(m, RM_DEVICE_FAILED);
            free(buf);
            return NULL;
        case LINK_IDLE: /* not while the thread runs; never spin on it */
            atomic_store(&m->stop_requested, true);
            break;
        }
    }
    if (m->link == LINK_STREAMING) {
        /* X, and the frames already on their way are still delivered. */
        m->link = LINK_IDLE;
        if (send_cmd(m, RM_SERIAL_CMD_STOP) < 0)
            rm_warn("%s", rm_last_error(RM_EIO));
        long n;
        while ((n = read_some(m, buf, READ_BUFFER_SIZE, STOP_DRAIN_MS)) > 0)
            m->cb.data(m->cb.user, buf, (size_t)n);
        if (n < 0)
            close_port(m);
    }
    free(buf);
    return NULL;
}

/* ---- the device layer's serial backend ----------------------------------- */

static int serial_start(void *impl, const struct rm_device_callbacks *cb)
{
    struct serial_mat *m = impl;
    if (m->thread_started)
        return rm_fail(RM_EUSAGE, "%s: already streaming", m->name);
    m->cb = *cb;
    atomic_store(&m->stop_requested, false);
    int rc;
    if (m->fd >= 0) {
        rc = send_cmd(m, RM_SERIAL_CMD_START);
        if (rc < 0) {
            /* Unplugged between sessions: open it afresh once. */
            close_port(m);
            rc = reopen_and_start(m);
        }
    } else {
        rc = reopen_and_start(m);
    }
    if (rc < 0)
        return rc == RM_ENOTFOUND ? rm_fail(RM_ENODEV, "%s: the mat is not plugged in", m->name)
                                  : rc;
    m->link = LINK_STREAMING;
    rc = pthread_create(&m->thread, NULL, reader_thread, m);
    if (rc != 0) {
        m->link = LINK_IDLE;
        send_cmd(m, RM_SERIAL_CMD_STOP);
        return rm_fail(RM_ENOMEM, "%s: cannot start the reader thread: %s", m->name, strerror(rc));
    }
    m->thread_started = true;
    return 0;
}

static int serial_stop(void *impl)
{
    struct serial_mat *m = impl;
    if (!m->thread_started)
        return 0;
    atomic_store(&m->stop_requested, true);
    pthread_join(m->thread, NULL);
    m->thread_started = false;
    if (m->link != LINK_FAILED)
        m->link = m->fd >= 0 ? LINK_IDLE : LINK_AWAY;
    return 0;
}

static void serial_close(void *impl)
{
    struct serial_mat *m = impl;
    if (!m)
        return;
    serial_stop(m);
    close_port(m);
    free(m);
}

static const struct rm_device_ops serial_ops = {"serial", serial_start, serial_stop, serial_close};

static int serial_open(struct rm_device **out, const char *spec, const char *args,
                       const struct rm_device_opts *opts)
{
    *out = NULL;
    struct serial_mat *m = calloc(1, sizeof(*m)); /* owned by the device once made */
    if (!m)
        return rm_fail(RM_ENOMEM, "serial: out of memory");
    m->fd = -1;
    m->link = LINK_IDLE;
    int rc = rm_serial_parse_spec(spec, args, m->path, sizeof(m->path), &m->baud);
    if (rc < 0) {
        free(m);
        return rc;
    }
    snprintf(m->name, sizeof(m->name), "serial:%s", m->path);
    rc = open_port(m);
    if (rc == 0)
        rc = handshake(m, opts ? opts->rate_hz : 0, &m->info);
    if (rc == 0)
        rc = rm_device_new(out, &serial_ops, m, &m->info, true);
    if (rc < 0) {
        if (rc == RM_ENOMEM)
            rm_fail(rc, "serial: out of memory");
        serial_close(m);
        return rc;
    }
    rm_info("%s: %s serial %s firmware %s, %dx%d @ %d Hz, %d baud", m->name, m->info.model,
            m->info.serial, m->info.firmware, m->info.rows, m->info.cols, m->info.rate_hz, m->baud);
    return 0;
}

const struct rm_device_backend rm_device_backend_serial = {
    .scheme = "serial",
    .syntax = "serial:PATH[@BAUD]",
    .help = "a mat on a serial port (default 1000000 baud), e.g. the firmware/ mat",
    .caps = RM_DEVICE_CAN_RECONNECT | RM_DEVICE_PACED,
    .open = serial_open,
};
