/* The recording writer's chunk pipeline (common/chunk_pipe.c) on its own:
 * with 0, 1 and 4 compression threads, chunks reach the sink one at a
 * time, in submission order, each one zlib (inflated here with libdeflate's
 * decompressor) of HDF5's byte shuffle of the chunk, zero-padded after a
 * partial flush; payloads reach the sink or the drop callback exactly once;
 * and a failing sink (fault injection) is reported by the next submit and
 * flush while the chunks after it are dropped, not written. */
#include <libdeflate.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rm_chunk_pipe.h"
#include "rm_error.h"
#include "rm_shuffle.h"

#define CHUNK_FRAMES 8
#define FRAME_ELEMS  300
#define NELEM        (CHUNK_FRAMES * FRAME_ELEMS)

struct sink_log {
    int64_t next_first; /* the first frame the next chunk must start at */
    int nsunk, fail_at; /* fail the fail_at-th chunk (0: never) */
    atomic_int in_sink; /* threads inside the sink right now */
    int payloads_sunk, payloads_dropped;
    int level;
};

static uint16_t value(int64_t frame, int i)
{
    return (uint16_t)((frame * 7919 + i * 31) % 4096);
}

static int check_sink(void *user, const struct rm_chunk_slot *c)
{
    struct sink_log *log = user;
    assert_int_equal(atomic_fetch_add(&log->in_sink, 1), 0); /* never two at once */
    if (c->payload) {
        assert_int_equal(*(int64_t *)c->payload, c->first); /* travels with its chunk */
        free(c->payload);
        log->payloads_sunk++;
    }
    uint16_t got[NELEM];
    if (log->level) {
        uint8_t plain[2 * NELEM];
        size_t n = 0;
        struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
        assert_non_null(d);
        assert_int_equal(
            libdeflate_zlib_decompress(d, c->stored, c->nstored, plain, sizeof(plain), &n),
            LIBDEFLATE_SUCCESS);
        libdeflate_free_decompressor(d);
        assert_int_equal(n, sizeof(plain));
        rm_unshuffle16(plain, got, NELEM);
    } else {
        assert_int_equal(c->nstored, 2 * NELEM);
        for (int i = 0; i < NELEM; i++)
            got[i] = (uint16_t)(c->stored[2 * i] | c->stored[2 * i + 1] << 8);
    }
    /* In order; a partial chunk is rewritten whole later, from the same frame. */
    assert_int_equal(c->first, log->next_first);
    for (int64_t f = 0; f < CHUNK_FRAMES; f++)
        for (int i = 0; i < FRAME_ELEMS; i++)
            assert_int_equal(got[f * FRAME_ELEMS + i], f < c->nframes ? value(c->first + f, i) : 0);
    log->next_first = c->first + (c->nframes == CHUNK_FRAMES ? CHUNK_FRAMES : 0);
    log->nsunk++;
    int rc = log->nsunk == log->fail_at ? rm_fail(RM_EIO, "disk full at chunk %d", log->nsunk) : 0;
    atomic_fetch_sub(&log->in_sink, 1);
    return rc;
}

static struct sink_log *drop_log;

static void count_drop(void *payload)
{
    free(payload);
    drop_log->payloads_dropped++;
}

static struct rm_chunk_pipe *new_pipe(struct sink_log *log, int level, int nworkers)
{
    memset(log, 0, sizeof(*log));
    log->level = level;
    drop_log = log;
    struct rm_chunk_pipe_cfg cfg = {CHUNK_FRAMES, FRAME_ELEMS, level, nworkers,
                                    check_sink,   count_drop,  log};
    struct rm_chunk_pipe *p;
    assert_int_equal(rm_chunk_pipe_new(&p, &cfg), 0);
    return p;
}

/* Appends frames [from, to) the way the writer does, each full chunk
 * submitted with a payload naming its first frame; returns the first
 * error. */
static int feed(struct rm_chunk_pipe *p, int64_t from, int64_t to)
{
    int rc = 0;
    for (int64_t k = from; k < to; k++) {
        struct rm_chunk_slot *c = rm_chunk_pipe_current(p);
        assert_int_equal(c->first + c->nframes, k);
        for (int i = 0; i < FRAME_ELEMS; i++)
            c->frames[c->nframes * FRAME_ELEMS + i] = value(k, i);
        c->t[c->nframes] = (double)k;
        c->seq[c->nframes] = (uint64_t)k;
        if (++c->nframes == CHUNK_FRAMES) {
            int64_t *tag = malloc(sizeof(*tag));
            assert_non_null(tag);
            *tag = c->first;
            c->payload = tag;
            int r = rm_chunk_pipe_submit(p);
            rc = rc ? rc : r;
        }
    }
    return rc;
}

static void in_order_and_exact(void **state)
{
    (void)state;
    const int workers[] = {0, 1, 4};
    for (int level = 0; level <= 6; level += 6) {
        for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
            struct sink_log log;
            struct rm_chunk_pipe *p = new_pipe(&log, level, workers[w]);
            assert_int_equal(feed(p, 0, 203), 0);        /* 25 chunks + 3 */
            assert_int_equal(rm_chunk_pipe_flush(p), 0); /* + 1 partial */
            assert_int_equal(feed(p, 203, 405), 0);      /* 50 chunks + 5 */
            assert_int_equal(rm_chunk_pipe_flush(p), 0); /* + 1 partial */
            assert_int_equal(rm_chunk_pipe_flush(p), 0); /* nothing new */
            assert_int_equal(log.nsunk, 25 + 1 + 25 + 1);
            assert_int_equal(log.payloads_sunk, 50);
            assert_int_equal(rm_chunk_pipe_current(p)->nwritten, 5);
            rm_chunk_pipe_free(p);
            assert_int_equal(log.payloads_dropped, 0);
        }
    }
}

static void failing_sink_stops_the_writes(void **state)
{
    (void)state;
    for (int workers = 0; workers <= 3; workers += 3) {
        struct sink_log log;
        struct rm_chunk_pipe *p = new_pipe(&log, 1, workers);
        log.fail_at = 5;
        rm_clear_error();
        int rc = feed(p, 0, 160); /* 20 chunks */
        int frc = rm_chunk_pipe_flush(p);
        /* The threads may still be compressing chunk 5 when the last submit
         * returns; the flush waits for it. */
        assert_true(rc == 0 || rc == RM_EIO);
        assert_int_equal(frc, RM_EIO);
        assert_non_null(strstr(rm_last_error(RM_EIO), "disk full at chunk 5"));
        assert_int_equal(log.nsunk, 5); /* nothing written after the failure */
        assert_int_equal(feed(p, 160, 168), RM_EIO);
        rm_chunk_pipe_free(p);
        /* Every payload once: 4 sunk before the failure and the failing one,
         * the other 16 dropped. */
        assert_int_equal(log.payloads_sunk + log.payloads_dropped, 21);
        assert_int_equal(log.payloads_sunk, 5);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order_and_exact),
        cmocka_unit_test(failing_sink_stops_the_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
