/* The control protocol between `rollmat start|stop|muscle|mark|status` and
 * rollmatd, over a UNIX stream socket (docs/acquisition.md). A client sends
 * one command per line; the daemon answers each with one line:
 *
 *     start [LABEL]    ok FILE.h5        begins a session (and segment LABEL)
 *     stop             ok FILE.h5        ends the segment and the session
 *     muscle LABEL     ok LABEL          ends the segment, begins LABEL
 *     mark TEXT        ok                a mark event
 *     status           ok {JSON}         the daemon's state, one line
 *     anything else    error MESSAGE
 *
 * Labels and texts are checked here, by the daemon, whatever the client. */
#ifndef RM_CONTROL_H
#define RM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

/* Longest command line, newline excluded. */
#define RM_CONTROL_LINE_MAX    256
#define RM_CONTROL_SOCKET_NAME "rollmat.sock"

/* Where the control socket is, by one rule for rollmatd and its clients:
 *
 *   1. --socket PATH (given, when not NULL),
 *   2. $ROLLMAT_SOCKET,
 *   3. $XDG_RUNTIME_DIR/rollmat/rollmat.sock,
 *   4. ${TMPDIR:-/tmp}/rollmat-UID/rollmat.sock (no XDG_RUNTIME_DIR: ssh,
 *      a container, cron).
 *
 * The directories of 3 and 4 are private to the user (0700, checked by
 * rm_control_socket_dir()). */
enum rm_socket_source {
    RM_SOCKET_OPTION,
    RM_SOCKET_ENV,
    RM_SOCKET_RUNTIME_DIR,
    RM_SOCKET_TMP,
};

struct rm_socket_path {
    char path[108]; /* fits sockaddr_un.sun_path */
    enum rm_socket_source source;
};

/* Resolves the rule. RM_ERANGE (with a message) for a path too long for a
 * socket address. */
int rm_control_socket_path(const char *given, struct rm_socket_path *out);

/* Where the path came from, for messages: "from ROLLMAT_SOCKET", ... */
const char *rm_control_socket_origin(const struct rm_socket_path *p);

/* For a default path (3 and 4): its directory is created 0700 when create
 * (the daemon), and must be a directory of this user with no access for
 * group or others (anyone who can write there could stand in for the
 * daemon). A client (create false) accepts a directory that does not exist:
 * connecting then says no daemon is there. 0, or RM_EIO with a message. */
int rm_control_socket_dir(const struct rm_socket_path *p, bool create);

/* The session directory when none is given:
 * ${XDG_DATA_HOME:-$HOME/.local/share}/rollmat/sessions. */
int rm_control_default_dir(char *out, size_t size);

/* A segment label (a muscle name such as calf-left): 1 to 64 characters of
 * letters, digits, '-', '_' and '.', beginning with a letter or a digit, no
 * "..". 0, or RM_EUSAGE with the reason in why. */
int rm_control_check_label(const char *label, char *why, size_t why_size);

/* A mark text: 1 to 64 bytes of printable ASCII or UTF-8, no control
 * characters. 0, or RM_EUSAGE with the reason in why. */
int rm_control_check_text(const char *text, char *why, size_t why_size);

/* `rollmat start|stop|muscle|mark|status`. */
int rm_cmd_start(int argc, char **argv);
int rm_cmd_stop(int argc, char **argv);
int rm_cmd_muscle(int argc, char **argv);
int rm_cmd_mark(int argc, char **argv);
int rm_cmd_status(int argc, char **argv);

#endif
