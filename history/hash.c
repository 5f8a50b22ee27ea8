/* A recording's identity: SHA-256 over its content as the validating
 * reader returns it, not over the file's bytes, so that a copy, or the
 * same session re-chunked or re-compressed (h5repack), is the same
 * session. Numbers are hashed in little-endian byte order whatever the
 * host, strings with their length: no two contents feed the same bytes. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hi_internal.h"
#include "rm_error.h"

static void put_u64(EVP_MD_CTX *ctx, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    EVP_DigestUpdate(ctx, b, sizeof(b));
}

static void put_f64(EVP_MD_CTX *ctx, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    put_u64(ctx, bits);
}

static void put_str(EVP_MD_CTX *ctx, const char *s)
{
    size_t n = strlen(s);
    put_u64(ctx, n);
    EVP_DigestUpdate(ctx, s, n);
}

static void put_meta(EVP_MD_CTX *ctx, const struct rm_rec_meta *m)
{
    EVP_DigestUpdate(ctx, "rollmat-recording-v1", 20);
    put_str(ctx, m->created_utc);
    put_str(ctx, m->device_model);
    put_str(ctx, m->device_serial);
    put_str(ctx, m->device_firmware);
    put_u64(ctx, (uint64_t)m->rows);
    put_u64(ctx, (uint64_t)m->cols);
    put_f64(ctx, m->pitch_row_mm);
    put_f64(ctx, m->pitch_col_mm);
    put_u64(ctx, (uint64_t)m->adc_bits);
    put_f64(ctx, m->rate_hz);
}

/* Frames, /t and /seq, a chunk at a time. */
static int put_frames(EVP_MD_CTX *ctx, struct rm_rec_reader *r)
{
    const struct rm_rec_meta *m = rm_rec_meta(r);
    int64_t n = rm_rec_frames(r), block = rm_rec_chunk_frames(r);
    size_t fsz = (size_t)m->rows * (size_t)m->cols;
    uint16_t *frames = malloc((size_t)block * fsz * sizeof(*frames));
    double *t = malloc((size_t)block * sizeof(*t));
    uint64_t *seq = malloc((size_t)block * sizeof(*seq));
    unsigned char *le = malloc((size_t)block * fsz * 2);
    int rc = frames && t && seq && le ? 0 : RM_ENOMEM;
    put_u64(ctx, (uint64_t)n);
    for (int64_t at = 0; !rc && at < n; at += block) {
        int64_t count = n - at < block ? n - at : block;
        rc = rm_rec_read_frames(r, at, count, frames);
        rc = rc ? rc : rm_rec_read_t(r, at, count, t);
        rc = rc ? rc : rm_rec_read_seq(r, at, count, seq);
        if (rc)
            break;
        size_t nv = (size_t)count * fsz;
        for (size_t i = 0; i < nv; i++) {
            le[2 * i] = (unsigned char)(frames[i] & 0xff);
            le[2 * i + 1] = (unsigned char)(frames[i] >> 8);
        }
        EVP_DigestUpdate(ctx, le, 2 * nv);
        for (int64_t i = 0; i < count; i++) {
            put_f64(ctx, t[i]);
            put_u64(ctx, seq[i]);
        }
    }
    free(frames);
    free(t);
    free(seq);
    free(le);
    return rc;
}

int hi_content_hash(const char *path, char hex[65], struct rm_rec_meta *meta, bool *complete)
{
    struct rm_rec_reader *r = NULL;
    int rc = rm_rec_reader_open(&r, path);
    if (rc)
        return rc;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        rm_rec_reader_close(r);
        return RM_ENOMEM;
    }
    *meta = *rm_rec_meta(r);
    *complete = rm_rec_complete(r);
    put_meta(ctx, meta);
    const struct rm_event *ev = rm_rec_events(r);
    size_t nev = rm_rec_nevents(r);
    put_u64(ctx, nev);
    for (size_t i = 0; i < nev; i++) {
        put_f64(ctx, ev[i].t);
        put_str(ctx, ev[i].kind);
        put_str(ctx, ev[i].label);
    }
    rc = put_frames(ctx, r);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!rc && EVP_DigestFinal_ex(ctx, digest, &len) != 1)
        rc = RM_ENOMEM;
    for (unsigned int i = 0; !rc && i < len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    EVP_MD_CTX_free(ctx);
    rm_rec_reader_close(r);
    return rc;
}
