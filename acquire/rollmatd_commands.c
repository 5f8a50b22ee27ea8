/* rollmatd's answers on the control socket (shared/spec/cli.md): start,
 * stop, muscle, mark and status, each one line in and one line out. */
#define LOG_PREFIX "rollmatd"

#include "rollmatd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_tee.h"
#include "rm_device.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_live.h"
#include "rm_log.h"
#include "rm_text.h"

/* ---- commands ------------------------------------------------------------- */

static const char *state_name(const struct rm_daemon *d, const struct rm_device_tee_state *ts,
                              const struct rm_session_status *ss)
{
    if (d->session)
        return ss->state == RM_SESSION_DISCONNECTED ? "disconnected" : "recording";
    if (!d->tee)
        return d->device_done ? "ended" : "waiting";
    return ts->away ? "disconnected" : "idle";
}

static void status_json(struct rm_daemon *d, char *reply, size_t reply_size)
{
    struct rm_device_tee_state ts = {0};
    struct rm_session_status ss = {0};
    if (d->tee)
        rm_device_tee_state(d->tee, rm_clock_s(), &ts);
    if (d->session)
        rm_session_status(d->session, &ss);

    json_t *root = json_object();
    json_object_set_new(root, "state", json_string(state_name(d, &ts, &ss)));
    json_object_set_new(root, "device", rm_json_text(d->o.device));
    json_object_set_new(root, "dir", rm_json_text(d->o.dir));
    json_object_set_new(root, "auto", json_boolean(d->o.auto_mode));
    if (d->tee) {
        const struct rm_mat_info *info = rm_device_info(d->dev);
        json_t *mat = json_object();
        json_object_set_new(mat, "model", rm_json_text(info->model));
        json_object_set_new(mat, "serial", rm_json_text(info->serial));
        json_object_set_new(mat, "firmware", rm_json_text(info->firmware));
        json_object_set_new(mat, "rows", json_integer(info->rows));
        json_object_set_new(mat, "cols", json_integer(info->cols));
        json_object_set_new(mat, "rate_hz", json_integer(info->rate_hz));
        json_object_set_new(mat, "connected", json_boolean(!ts.away));
        json_object_set_new(mat, "loaded", json_boolean(ts.loaded));
        json_object_set_new(root, "mat", mat);
    } else {
        json_object_set_new(root, "mat", json_null());
    }
    if (d->session) {
        json_t *s = json_object();
        json_object_set_new(s, "file", rm_json_text(d->session_name));
        json_object_set_new(s, "segment", d->segment[0] ? rm_json_text(d->segment) : json_null());
        json_object_set_new(s, "frames", json_integer(ss.frames));
        json_object_set_new(s, "t", json_real(ss.t));
        json_object_set_new(s, "elapsed_s", json_real(ss.elapsed_s));
        json_object_set_new(s, "frames_dropped", json_integer(ss.counters.frames_dropped));
        json_object_set_new(s, "crc_errors", json_integer(ss.counters.crc_errors));
        json_object_set_new(s, "bytes_skipped", json_integer(ss.counters.bytes_skipped));
        json_object_set_new(s, "disconnects", json_integer(ss.counters.disconnects));
        json_object_set_new(s, "ring_overflows", json_integer(ss.ring_overflows));
        json_object_set_new(s, "drift_ppm", json_real(ss.drift_ppm));
        json_object_set_new(root, "session", s);
    } else {
        json_object_set_new(root, "session", json_null());
    }
    json_object_set_new(root, "last_session",
                        d->last_session[0] ? rm_json_text(d->last_session) : json_null());
    if (d->o.auto_mode)
        json_object_set_new(root, "next_segment",
                            d->next_segment[0] ? rm_json_text(d->next_segment) : json_null());
    json_object_set_new(root, "error",
                        d->last_error[0] ? rm_json_text(d->last_error) : json_null());
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9));
    json_decref(root);
    if (text && strlen(text) + 4 < reply_size)
        snprintf(reply, reply_size, "ok %s", text);
    else
        snprintf(reply, reply_size, "error status does not fit a reply");
    free(text);
}

/* What a client sent, fit to be quoted in a reply or a log line. */
static void sanitize(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; *in && n + 4 < size && n < 32; in++)
        out[n++] = (*in >= 0x20 && *in < 0x7f && *in != '\'') ? *in : '?';
    if (*in && n + 4 < size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static void cmd_muscle(struct rm_daemon *d, const char *label, char *reply, size_t reply_size)
{
    if (!d->session) {
        if (d->o.auto_mode) {
            snprintf(d->next_segment, sizeof(d->next_segment), "%s", label);
            snprintf(reply, reply_size, "ok %s (for the next session)", label);
        } else {
            snprintf(reply, reply_size, "error not recording (rollmat start first)");
        }
        return;
    }
    rm_clear_error();
    int rc = 0;
    if (d->segment[0])
        rc = rm_session_event(d->session, "segment_end", d->segment);
    if (rc == 0)
        rc = rm_session_event(d->session, "segment_start", label);
    if (rc < 0) {
        snprintf(reply, reply_size, "error %s", rm_last_error(rc));
        return;
    }
    snprintf(d->segment, sizeof(d->segment), "%s", label);
    rm_live_set_muscle(d->live, label);
    rm_info("segment %s", label);
    snprintf(reply, reply_size, "ok %s", label);
}

void rm_daemon_handle_command(void *user, const char *raw, char *reply, size_t reply_size)
{
    struct rm_daemon *d = user;
    char why[128], shown[48];
    /* Spaces around the command and its argument mean nothing. */
    char buf[RM_CONTROL_LINE_MAX + 1];
    snprintf(buf, sizeof(buf), "%s", raw);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = '\0';
    const char *line = buf;
    while (*line == ' ')
        line++;
    size_t verb_len = strcspn(line, " ");
    const char *arg = line + verb_len;
    while (*arg == ' ')
        arg++;
    char verb[16];
    if (verb_len == 0 || verb_len >= sizeof(verb)) {
        sanitize(line, shown, sizeof(shown));
        snprintf(reply, reply_size,
                 "error unknown command '%s' (start, stop, muscle, mark, status)", shown);
        return;
    }
    memcpy(verb, line, verb_len);
    verb[verb_len] = '\0';
    /* Someone is working with the session --auto just began: keep it. */
    if (d->tentative &&
        (strcmp(verb, "stop") == 0 || strcmp(verb, "muscle") == 0 || strcmp(verb, "mark") == 0)) {
        d->tentative = false;
        rm_device_tee_restart_load(d->tee, rm_clock_s());
    }

    if (strcmp(verb, "start") == 0) {
        if (*arg && rm_control_check_label(arg, why, sizeof(why)) < 0) {
            snprintf(reply, reply_size, "error bad label: %s", why);
            return;
        }
        /* Without a label, the one `muscle` named for the next session. */
        char label[RM_EVENT_LABEL_LEN + 1];
        snprintf(label, sizeof(label), "%s", *arg ? arg : d->next_segment);
        if (d->session && d->tentative) {
            /* --auto just began one: that is the session asked for. */
            d->tentative = false;
            rm_device_tee_restart_load(d->tee, rm_clock_s());
            if (*arg)
                cmd_muscle(d, arg, reply, reply_size);
            if (!*arg || strncmp(reply, "ok", 2) == 0)
                snprintf(reply, reply_size, "ok %s", d->session_name);
        } else {
            rm_daemon_begin_session(d, label, false, reply, reply_size);
        }
    } else if (strcmp(verb, "stop") == 0) {
        if (*arg) {
            snprintf(reply, reply_size, "error stop takes no argument");
        } else if (!d->session) {
            snprintf(reply, reply_size, "error not recording");
        } else {
            char name[64];
            snprintf(name, sizeof(name), "%s", d->session_name);
            int rc = rm_daemon_end_session(d, "stop command");
            d->wait_for_unload = true;
            if (rc)
                snprintf(reply, reply_size, "error %s: %s", name, rm_last_error(rc));
            else
                snprintf(reply, reply_size, "ok %s", name);
        }
    } else if (strcmp(verb, "muscle") == 0) {
        if (rm_control_check_label(arg, why, sizeof(why)) < 0)
            snprintf(reply, reply_size, "error bad label: %s", why);
        else
            cmd_muscle(d, arg, reply, reply_size);
    } else if (strcmp(verb, "mark") == 0) {
        rm_clear_error();
        if (rm_control_check_text(arg, why, sizeof(why)) < 0)
            snprintf(reply, reply_size, "error bad text: %s", why);
        else if (!d->session)
            snprintf(reply, reply_size, "error not recording");
        else if (rm_session_event(d->session, "mark", arg) < 0)
            snprintf(reply, reply_size, "error %s", rm_last_error(RM_EUSAGE));
        else
            snprintf(reply, reply_size, "ok");
    } else if (strcmp(verb, "status") == 0) {
        if (*arg)
            snprintf(reply, reply_size, "error status takes no argument");
        else
            status_json(d, reply, reply_size);
    } else {
        sanitize(verb, shown, sizeof(shown));
        snprintf(reply, reply_size,
                 "error unknown command '%s' (start, stop, muscle, mark, status)", shown);
    }
    if (strcmp(verb, "status") != 0) {
        sanitize(line, shown, sizeof(shown));
        rm_info("command '%s': %s", shown, reply);
    }
}
