/* Replays a recording through the online analysis (analysis/rm_online.h)
 * frame by frame, updating every 5th frame as rollmatd does at 100 Hz, and
 * prints one JSON line per update ("u") and, at the end, one per finished
 * pause ("p"): how the tests hold the online mode against `rollmat
 * analyze` of the same file without a browser or a clock.
 *
 *     online_replay REC.h5 [PROFILE]   */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rm_error.h"
#include "rm_online.h"
#include "rm_recording.h"

static void num(const char *key, double x)
{
    if (isfinite(x))
        printf(",\"%s\":%.4f", key, x);
    else
        printf(",\"%s\":null", key);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: online_replay REC.h5 [PROFILE]\n");
        return 2;
    }
    struct rm_profile pf;
    struct rm_rec_reader *r = NULL;
    struct rm_online *o = NULL;
    int rc = rm_profile_load(argc == 3 ? argv[2] : "default", &pf);
    if (rc == 0)
        rc = rm_rec_reader_open(&r, argv[1]);
    if (rc == 0)
        rc = rm_online_new(&o, rm_rec_meta(r), rm_rec_calibration(r), &pf);
    const struct rm_rec_meta *meta = r ? rm_rec_meta(r) : NULL;
    size_t n = meta ? (size_t)meta->rows * (size_t)meta->cols : 0;
    uint16_t *frame = malloc(n ? n * sizeof(*frame) : 1);
    int64_t nf = r ? rm_rec_frames(r) : 0;
    static const char *const states[] = {"off", "rolling", "paused", "hold"};
    static const char *const zones[] = {"null", "\"slow\"", "\"brisk\"", "\"too_fast\""};
    for (int64_t i = 0; rc == 0 && i < nf; i++) {
        double t;
        rc = rm_rec_read_frames(r, i, 1, frame);
        if (rc == 0)
            rc = rm_rec_read_t(r, i, 1, &t);
        if (rc == 0)
            rc = rm_online_push(o, t, frame);
        struct rm_online_figures f;
        if (rc == 0 && i % 5 == 4 && (rc = rm_online_update(o, &f)) == 0) {
            printf("{\"k\":\"u\",\"t\":%.4f,\"state\":\"%s\",\"speed_zone\":%s", f.t,
                   states[f.state], zones[f.zone]);
            num("speed_mm_s", f.speed_mm_s);
            num("hold_s", f.hold_s);
            printf("}\n");
        }
    }
    if (rc == 0) {
        const struct rm_pause *p;
        const char *const *labels;
        size_t np = rm_online_pauses(o, &p, &labels);
        for (size_t i = 0; i < np; i++)
            printf("{\"k\":\"p\",\"label\":\"%s\",\"t_start\":%.4f,\"t_end\":%.4f,\"hold\":%s}\n",
                   labels[i], p[i].t_start, p[i].t_end, p[i].hold ? "true" : "false");
    }
    if (rc != 0)
        fprintf(stderr, "online_replay: %s\n", rm_last_error(rc));
    free(frame);
    rm_online_free(o);
    rm_rec_reader_close(r);
    return rc ? 1 : 0;
}
