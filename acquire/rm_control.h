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

#include <stddef.h>

/* Longest command line, newline excluded. */
#define RM_CONTROL_LINE_MAX    256
#define RM_CONTROL_SOCKET_NAME "rollmat.sock"

/* The socket path when none is given: $XDG_RUNTIME_DIR/rollmat.sock, or
 * DIR/rollmat.sock without XDG_RUNTIME_DIR. RM_ERANGE if it does not fit a
 * socket address. */
int rm_control_default_socket(char *out, size_t size, const char *dir);

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
