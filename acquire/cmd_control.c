/* `rollmat start [LABEL] | stop | muscle LABEL | mark TEXT | status [--json]`:
 * one command line to rollmatd's socket, one answer back (rm_control.h). */
#define LOG_PREFIX "control"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rm_cli.h"
#include "rm_control.h"
#include "rm_error.h"
#include "rm_log.h"

/* The daemon answers at once; a stop that closes a large file takes a
 * moment more. */
#define REPLY_TIMEOUT_MS 15000
#define REPLY_MAX        8192

struct command {
    const char *name;
    const char *args; /* for usage */
    const char *summary;
    int min_args, max_args; /* max -1: any number, joined with spaces */
};

static const struct command commands[] = {
    {"start", "[LABEL]", "start a session (and a segment LABEL, e.g. calf-left)", 0, 1},
    {"stop", "", "end the segment and the session", 0, 0},
    {"muscle", "LABEL", "end the current segment and start one named LABEL", 1, 1},
    {"mark", "TEXT", "add a mark event with TEXT (at most 64 bytes)", 1, -1},
    {"status", "[--json]", "print the daemon's state", 0, 0},
};

static void usage(FILE *out, const struct command *c)
{
    fprintf(out,
            "usage: rollmat %s %s [--socket PATH]\n"
            "\n"
            "%c%s, through rollmatd's control socket.\n"
            "\n"
            "  -s, --socket PATH  rollmatd's socket (default $ROLLMAT_SOCKET, else\n"
            "                     $XDG_RUNTIME_DIR/rollmat/rollmat.sock, else\n"
            "                     ${TMPDIR:-/tmp}/rollmat-UID/rollmat.sock)\n",
            c->name, c->args, c->summary[0] - 'a' + 'A', c->summary + 1);
    if (strcmp(c->name, "status") == 0)
        fprintf(out, "  -j, --json         the daemon's JSON document as is\n");
    fprintf(out, "  -h, --help         this text\n");
}

/* Sends line and reads the one-line answer into reply. */
static int exchange(const struct rm_socket_path *sp, const char *line, char *reply, size_t size)
{
    const char *path = sp->path;
    int rc = rm_control_socket_dir(sp, false);
    if (rc < 0)
        return rc;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return rm_fail(RM_EIO, "socket: %s", strerror(errno));
    if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;
        close(fd);
        return rm_fail(RM_ENOTFOUND,
                       "no rollmatd listening on %s (%s, %s); is it running? A daemon "
                       "elsewhere: --socket PATH or ROLLMAT_SOCKET=PATH",
                       path, rm_control_socket_origin(sp), strerror(err));
    }
    size_t len = strlen(line), sent = 0;
    int send_err = 0;
    while (sent < len && !send_err) {
        ssize_t n = send(fd, line + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR)
            send_err = errno;
        else if (n > 0)
            sent += (size_t)n;
    }
    /* A daemon that refuses the connection says why before closing it;
     * its line is worth more than our EPIPE. */
    size_t got = 0;
    reply[0] = '\0';
    while (got + 1 < size && !memchr(reply, '\n', got)) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, REPLY_TIMEOUT_MS);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0) {
            close(fd);
            return rm_fail(RM_ETIMEOUT, "%s: rollmatd did not answer within %d s", path,
                           REPLY_TIMEOUT_MS / 1000);
        }
        ssize_t n = recv(fd, reply + got, size - 1 - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        reply[got] = '\0';
    }
    close(fd);
    char *nl = memchr(reply, '\n', got);
    if (!nl && send_err)
        return rm_fail(RM_EIO, "%s: sending: %s", path, strerror(send_err));
    if (!nl)
        return rm_fail(RM_EIO, "%s: rollmatd closed the connection without an answer", path);
    *nl = '\0';
    return 0;
}

static void print_status(const char *doc)
{
    json_error_t err;
    json_t *root = json_loads(doc, 0, &err);
    if (!root) {
        printf("%s\n", doc);
        return;
    }
    printf("state: %s\n", json_string_value(json_object_get(root, "state")));
    json_t *mat = json_object_get(root, "mat");
    if (json_is_object(mat))
        printf("mat: %s serial %s, %lldx%lld at %lld Hz, %s%s\n",
               json_string_value(json_object_get(mat, "model")),
               json_string_value(json_object_get(mat, "serial")),
               json_integer_value(json_object_get(mat, "rows")),
               json_integer_value(json_object_get(mat, "cols")),
               json_integer_value(json_object_get(mat, "rate_hz")),
               json_is_true(json_object_get(mat, "connected")) ? "connected" : "unplugged",
               json_is_true(json_object_get(mat, "loaded")) ? ", roller loaded" : "");
    else
        printf("mat: none (device %s)\n", json_string_value(json_object_get(root, "device")));
    json_t *s = json_object_get(root, "session");
    if (json_is_object(s)) {
        const char *seg = json_string_value(json_object_get(s, "segment"));
        printf("session: %s/%s, %.1f s, %lld frames%s%s\n",
               json_string_value(json_object_get(root, "dir")),
               json_string_value(json_object_get(s, "file")),
               json_real_value(json_object_get(s, "t")),
               json_integer_value(json_object_get(s, "frames")), seg ? ", segment " : "",
               seg ? seg : "");
        printf("losses: %lld frames dropped, %lld CRC errors, %lld bytes skipped, "
               "%lld disconnects\n",
               json_integer_value(json_object_get(s, "frames_dropped")),
               json_integer_value(json_object_get(s, "crc_errors")),
               json_integer_value(json_object_get(s, "bytes_skipped")),
               json_integer_value(json_object_get(s, "disconnects")));
    } else {
        const char *last = json_string_value(json_object_get(root, "last_session"));
        if (last)
            printf("session: none (last: %s)\n", last);
        else
            printf("session: none\n");
    }
    const char *next = json_string_value(json_object_get(root, "next_segment"));
    if (next)
        printf("next segment: %s\n", next);
    const char *error = json_string_value(json_object_get(root, "error"));
    if (error)
        printf("last error: %s\n", error);
    json_decref(root);
}

static int run(const struct command *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sock = NULL;
    bool json = false, is_status = strcmp(c->name, "status") == 0;
    rm_cli_getopt_start();
    int opt;
    /* Options anywhere; a mark text beginning with '-' follows "--". */
    while ((opt = getopt_long(argc, argv, ":s:jh", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            sock = optarg;
            break;
        case 'j':
            if (!is_status)
                return rm_cli_usage_error(c->name, "unknown option '%s'", argv[optind - 1]);
            json = true;
            break;
        case 'h':
            usage(stdout, c);
            return 0;
        default:
            return rm_cli_bad_option(c->name, opt, argv);
        }
    }
    if (rm_cli_operands(c->name, argc, argv, c->min_args, c->max_args, c->args))
        return RM_CLI_USAGE;

    char line[RM_CONTROL_LINE_MAX + 2];
    size_t len = (size_t)snprintf(line, sizeof(line), "%s", c->name);
    for (int i = optind; i < argc; i++) {
        /* A newline would smuggle in a second command. */
        for (const char *p = argv[i]; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return rm_cli_usage_error(c->name,
                                          "control characters are not allowed in arguments");
        len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", argv[i]);
        if (len >= RM_CONTROL_LINE_MAX)
            return rm_cli_usage_error(c->name, "arguments too long");
    }
    snprintf(line + len, sizeof(line) - len, "\n");

    struct rm_socket_path path;
    rm_clear_error();
    int rc = rm_control_socket_path(sock, &path);
    char reply[REPLY_MAX];
    if (rc == 0)
        rc = exchange(&path, line, reply, sizeof(reply));
    if (rc < 0) {
        rm_log_error_line(rm_last_error(rc));
        return 1;
    }
    if (strncmp(reply, "error", 5) == 0) {
        const char *msg = reply[5] == ' ' ? reply + 6 : "rollmatd refused the command";
        char full[REPLY_MAX + 32];
        snprintf(full, sizeof(full), "%s: %s", c->name, msg);
        rm_log_error_line(full);
        return 1;
    }
    if (strncmp(reply, "ok", 2) != 0 || (reply[2] != '\0' && reply[2] != ' ')) {
        rm_log_error_line("rollmatd sent an answer this rollmat does not understand");
        return 1;
    }
    const char *payload = reply[2] ? reply + 3 : "";
    if (is_status && !json)
        print_status(payload);
    else if (*payload)
        printf("%s\n", payload);
    return 0;
}

static int dispatch(const char *name, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return run(&commands[i], argc, argv);
    return 2;
}

int rm_cmd_start(int argc, char **argv)
{
    return dispatch("start", argc, argv);
}

int rm_cmd_stop(int argc, char **argv)
{
    return dispatch("stop", argc, argv);
}

int rm_cmd_muscle(int argc, char **argv)
{
    return dispatch("muscle", argc, argv);
}

int rm_cmd_mark(int argc, char **argv)
{
    return dispatch("mark", argc, argv);
}

int rm_cmd_status(int argc, char **argv)
{
    return dispatch("status", argc, argv);
}
