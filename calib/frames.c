/* Recordings read into memory for the calibration steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "calib"
#include "calib_internal.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_recording.h"

int rm_calib_frames_new(struct rm_calib_frames **out, const char *name, int rows, int cols,
                        size_t nframes)
{
    *out = NULL;
    if (rows <= 0 || cols <= 0)
        return RM_EUSAGE;
    /* Owned by the caller until rm_calib_frames_free(). */
    struct rm_calib_frames *fr = calloc(1, sizeof(*fr));
    if (!fr)
        return RM_ENOMEM;
    snprintf(fr->name, sizeof(fr->name), "%s", name);
    fr->rows = rows;
    fr->cols = cols;
    fr->adc_bits = 12;
    fr->pitch_row_mm = 10.0;
    fr->pitch_col_mm = 10.0;
    fr->nframes = nframes;
    fr->data = calloc(nframes ? nframes * (size_t)rows * (size_t)cols : 1, sizeof(uint16_t));
    if (!fr->data) {
        free(fr);
        return RM_ENOMEM;
    }
    *out = fr;
    return 0;
}

void rm_calib_frames_free(struct rm_calib_frames *fr)
{
    if (!fr)
        return;
    rm_calibration_free(fr->calibration);
    free(fr->data);
    free(fr);
}

/* Copies the frames of [start, start + count) that the even spacing of
 * `keep` out of `total` selects into fr, advancing *next_keep. */
static void take_selected(struct rm_calib_frames *fr, const uint16_t *block, int64_t start,
                          int64_t count, int64_t total, size_t *next_keep)
{
    size_t n = (size_t)fr->rows * (size_t)fr->cols;
    while (*next_keep < fr->nframes) {
        int64_t want = (int64_t)((double)*next_keep * (double)total / (double)fr->nframes);
        if (want >= start + count)
            return;
        memcpy(fr->data + *next_keep * n, block + (size_t)(want - start) * n, n * sizeof(uint16_t));
        (*next_keep)++;
    }
}

int rm_calib_frames_read(const char *path, size_t max_frames, struct rm_calib_frames **out)
{
    *out = NULL;
    struct rm_rec_reader *r;
    rm_clear_error();
    int rc = rm_rec_reader_open(&r, path);
    if (rc)
        return rc;
    const struct rm_rec_meta *meta = rm_rec_meta(r);
    int64_t total = rm_rec_frames(r);
    if (total <= 0) {
        rm_rec_reader_close(r);
        return rm_fail(RM_EFORMAT, "%s: empty recording (0 frames)", path);
    }
    size_t keep = (size_t)total < max_frames ? (size_t)total : max_frames;
    /* Kept frames live in memory: bounded, not total x frame size (27 GB
     * for a 4096 x 4096 mat). Fewer frames, evenly spaced, serve as well,
     * down to the fewest a step can work with. */
    size_t frame_bytes = (size_t)meta->rows * (size_t)meta->cols * sizeof(uint16_t);
    size_t fit = CALIB_MEMORY_BYTES / frame_bytes;
    if (keep > fit) {
        size_t least = (size_t)total < CALIB_MIN_FRAMES ? (size_t)total : CALIB_MIN_FRAMES;
        if (fit < least) {
            rc = rm_fail(RM_ENOMEM,
                         "%s: a %d x %d mat needs %zu MiB for the %zu frames a calibration step "
                         "needs; calibration works within %zu MiB",
                         path, meta->rows, meta->cols, (least * frame_bytes) >> 20, least,
                         (size_t)CALIB_MEMORY_BYTES >> 20);
            rm_rec_reader_close(r); /* meta is the reader's: after the message */
            return rc;
        }
        keep = fit;
    }
    struct rm_calib_frames *fr;
    rc = rm_calib_frames_new(&fr, path, meta->rows, meta->cols, keep);
    if (rc) {
        if (rc == RM_ENOMEM)
            rm_fail(rc, "%s: out of memory for %zu frames of %d x %d", path, keep, meta->rows,
                    meta->cols);
        rm_rec_reader_close(r);
        return rc;
    }
    fr->adc_bits = meta->adc_bits;
    fr->pitch_row_mm = meta->pitch_row_mm;
    fr->pitch_col_mm = meta->pitch_col_mm;
    snprintf(fr->serial, sizeof(fr->serial), "%s", meta->device_serial);
    if (rm_rec_calibration(r))
        rc = rm_calibration_clone(rm_rec_calibration(r), &fr->calibration);

    int64_t block_frames = rm_rec_chunk_frames(r);
    if (block_frames <= 0 || block_frames > 4096)
        block_frames = 256;
    size_t n = (size_t)meta->rows * (size_t)meta->cols;
    /* One chunk at a time: the file is compressed per chunk. Freed below. */
    uint16_t *block = rc ? NULL : malloc((size_t)block_frames * n * sizeof(uint16_t));
    if (!rc && !block)
        rc = rm_fail(RM_ENOMEM, "%s: out of memory for a block of %lld frames", path,
                     (long long)block_frames);
    size_t next_keep = 0;
    for (int64_t start = 0; !rc && start < total && next_keep < keep; start += block_frames) {
        int64_t count = total - start < block_frames ? total - start : block_frames;
        int64_t next_want = (int64_t)((double)next_keep * (double)total / (double)keep);
        if (next_want >= start + count)
            continue; /* nothing wanted in this chunk */
        rc = rm_rec_read_frames(r, start, count, block);
        if (!rc)
            take_selected(fr, block, start, count, total, &next_keep);
    }
    free(block);
    rm_rec_reader_close(r);
    if (rc) {
        rm_calib_frames_free(fr);
        return rc;
    }
    rm_dbg("%s: %zu of %lld frames", path, keep, (long long)total);
    *out = fr;
    return 0;
}

int rm_calib_frames_match(const struct rm_calib_frames *fr, const struct rm_calibration *cal,
                          const char *cal_name)
{
    if (fr->rows != cal->rows || fr->cols != cal->cols)
        return rm_fail(RM_EFORMAT, "%s: grid %d x %d does not match the calibration %s (%d x %d)",
                       fr->name, fr->rows, fr->cols, cal_name, cal->rows, cal->cols);
    if (cal->device_serial[0] && fr->serial[0] && strcmp(cal->device_serial, fr->serial) != 0)
        rm_warn("%s: mat serial %s, but the calibration %s was made on %s", fr->name, fr->serial,
                cal_name, cal->device_serial);
    return 0;
}
