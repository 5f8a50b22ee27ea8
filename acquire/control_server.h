/* rollmatd's end of the control socket (rm_control.h): a listening UNIX
 * socket created 0660, and a few clients read line by line, all driven by
 * the daemon's poll() loop. */
#ifndef RM_CONTROL_SERVER_H
#define RM_CONTROL_SERVER_H

#include <poll.h>
#include <stddef.h>

#define RM_CONTROL_MAX_CLIENTS 8
/* A client that sends nothing for this long is dropped, so that a stuck
 * one cannot hold a slot. */
#define RM_CONTROL_CLIENT_IDLE_S 10
/* Descriptors the daemon must poll: the listener and every client. */
#define RM_CONTROL_POLLFDS (1 + RM_CONTROL_MAX_CLIENTS)

/* Handles one command line (no newline) and writes the one-line answer
 * (no newline) into reply. */
typedef void (*rm_control_handler)(void *user, const char *line, char *reply, size_t reply_size);

struct rm_control_server;

/* Listens on path. A socket left by a daemon that died is replaced; a live
 * daemon on it, or anything that is not a socket, is an error. Owned by the
 * caller: rm_control_server_close() removes the socket. */
int rm_control_server_open(struct rm_control_server **out, const char *path);

/* Fills fds (RM_CONTROL_POLLFDS entries) and returns how many are used. */
int rm_control_server_pollfds(struct rm_control_server *s, struct pollfd *fds);

/* After poll(): accepts, reads, answers complete lines through handler,
 * drops clients that hung up, misbehaved or idled. */
void rm_control_server_dispatch(struct rm_control_server *s, const struct pollfd *fds, int nfds,
                                rm_control_handler handler, void *user);

void rm_control_server_close(struct rm_control_server *s);

#endif
