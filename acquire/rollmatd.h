/* rollmatd's parts, for its own files: rollmatd.c (the loop, the mat and
 * its sessions), rollmatd_options.c (the command line) and
 * rollmatd_commands.c (what the control socket asks). */
#ifndef RM_ROLLMATD_H
#define RM_ROLLMATD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "rm_control.h"
#include "rm_session.h"

struct rm_daemon_options {
    const char *device;
    char dir[PATH_MAX];
    struct rm_socket_path socket;
    bool auto_mode;
    double auto_idle_s;
    bool realtime;
    const char *calibration;
    int compression;
    char history[PATH_MAX]; /* the history finished sessions go to; "" none */
    const char *http;       /* --http [ADDR:]PORT, NULL: no live page */
    const char *profile;    /* --profile for the live page, NULL: default */
};

struct rm_daemon {
    struct rm_daemon_options o;
    bool can_reconnect; /* the device comes and goes: keep looking for it */

    struct rm_calibration *cal;
    struct rm_history_queue *history; /* adds finished sessions, off the recording path */
    struct rm_live *live;             /* --http */
    struct rm_device *dev;
    struct rm_device_tee *tee;
    double next_open;
    bool device_done; /* a file or sim device that ended: nothing more to open */
    bool waiting_logged;

    struct rm_device *session_dev;
    struct rm_session *session;
    char session_name[64];
    char segment[RM_EVENT_LABEL_LEN + 1];      /* the open segment, "" if none */
    char next_segment[RM_EVENT_LABEL_LEN + 1]; /* --auto: for the next session */
    char session_path[PATH_MAX + 64];
    /* --auto: started at the first loaded frame, kept once the load has
     * lasted AUTO_START_S (rollmatd.c), deleted if it did not (a foot brushing the mat). */
    bool tentative;
    /* --auto after `rollmat stop` with the roller still loaded, or after
     * failing to start a session for it: the next session waits for that
     * load to end (or stop would not stop). */
    bool wait_for_unload;
    char last_session[64];
    char last_error[256];
    bool quit;
};

/* Parses rollmatd's command line into *o: 0, RM_CLI_USAGE (2) after a usage
 * error (said), -1 after --help or --version (printed). */
int rm_daemon_parse_args(int argc, char **argv, struct rm_daemon_options *o);

/* Begins a session into a new file of --dir, opening the mat first when it
 * can come back; label, when not empty, opens its first segment. tentative:
 * --auto's, deleted again unless the load lasts. Writes "ok NAME" or
 * "error WHY" into reply; 0 or the negative error. */
int rm_daemon_begin_session(struct rm_daemon *d, const char *label, bool tentative, char *reply,
                            size_t reply_size);

/* Ends the session if there is one, for the reason why (logged): a kept one
 * goes to the history, a tentative one is deleted. 0 or the session's error. */
int rm_daemon_end_session(struct rm_daemon *d, const char *why);

/* One line from the control socket (start, stop, muscle, mark, status): the
 * reply written into reply. user is the struct rm_daemon. */
void rm_daemon_handle_command(void *user, const char *raw, char *reply, size_t reply_size);

#endif
