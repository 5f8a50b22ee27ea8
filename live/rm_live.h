/* Live coaching (shared/spec/live.md): `rollmatd --http [ADDR:]PORT`
 * serves a page, a Server-Sent Events stream of the online analysis
 * (analysis/rm_online.h) and the latest frame, with libmicrohttpd.
 *
 *     struct rm_live *l;
 *     rm_live_new(&l, "127.0.0.1:0", cal, &pf);   // listens, prints the URL
 *     rm_live_session_begin(l, "2026-12-03_071502", &info);
 *     session opts: .on_frame = rm_live_on_frame, .on_frame_user = l
 *     rm_live_set_muscle(l, "calf-left");
 *     rm_live_session_end(l);
 *     rm_live_free(l);
 *
 * The session functions do nothing on a NULL live (no --http).
 *
 * The recording never waits for the page: frames reach the analysis
 * thread through a bounded queue (a full queue drops the frame for the
 * page only, counted), and a client that falls behind the event stream is
 * dropped (counted and logged). */
#ifndef RM_LIVE_H
#define RM_LIVE_H

#include <stddef.h>

#include "rm_analysis.h"
#include "rm_calibration.h"
#include "rm_mat.h"
#include "rm_wire.h"

struct rm_live;

/* Checks --http's argument: 0, or -1 with a one-line reason in why. */
int rm_live_check_listen(const char *spec, char *why, size_t why_size);

/* Listens on spec ("[ADDR:]PORT"; 127.0.0.1 when no ADDR; PORT 0 picks a
 * free port), starts the server and the analysis thread, and prints the
 * page's URL on stdout (with the token when ADDR is not 127.0.0.1, and a
 * QR code of it when stdout is a terminal). cal (borrowed, may be NULL)
 * gives kPa; profile (copied) the guidance coached by. Free with
 * rm_live_free(). */
int rm_live_new(struct rm_live **out, const char *spec, const struct rm_calibration *cal,
                const struct rm_profile *profile);

/* A session begins (name: the recording's file name) on a mat; the
 * analysis starts afresh. */
int rm_live_session_begin(struct rm_live *l, const char *name, const struct rm_mat_info *info);

/* The session's frames: an rm_session_frame_cb (device thread; never
 * blocks). */
void rm_live_on_frame(void *user, const struct rm_frame *frame, double t);

/* The muscle now rolled ("" or NULL: none). */
void rm_live_set_muscle(struct rm_live *l, const char *label);

/* The session ended: the page goes back to idle. */
void rm_live_session_end(struct rm_live *l);

/* Stops the server and the thread; logs the counters. NULL: no-op. */
void rm_live_free(struct rm_live *l);

#endif
