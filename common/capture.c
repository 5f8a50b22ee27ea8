/* Wire capture files (.rmw). The writer works on a temporary file in the
 * same directory and renames it into place at close, so a capture that
 * exists under its name is complete. */
#include "rm_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rm_error.h"

struct rm_capture_reader {
    FILE *f;
    char *path;
    struct rm_mat_info info;
};

struct rm_capture_writer {
    FILE *f;
    char *path;
    char *tmp_path;
    int err; /* first error met while writing */
};

static int open_error(const char *path)
{
    int e = errno;
    return rm_fail(e == ENOENT ? RM_ENOTFOUND : RM_EIO, "%s: %s", path, strerror(e));
}

int rm_capture_reader_open(struct rm_capture_reader **out, const char *path)
{
    *out = NULL;
    /* Owned by the caller until rm_capture_reader_close(). */
    struct rm_capture_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return RM_ENOMEM;
    r->path = strdup(path);
    if (!r->path) {
        free(r);
        return RM_ENOMEM;
    }
    r->f = fopen(path, "rb");
    if (!r->f) {
        int rc = open_error(path);
        rm_capture_reader_close(r);
        return rc;
    }
    uint8_t header[RM_CAPTURE_HEADER_SIZE];
    size_t got = fread(header, 1, sizeof(header), r->f);
    int rc = 0;
    if (got < sizeof(header) && ferror(r->f)) {
        rc = rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    } else if (got < 8 || memcmp(header, RM_CAPTURE_MAGIC, 8) != 0) {
        rc = rm_fail(RM_EFORMAT, "%s:header: not a wire capture (no %s magic)", path,
                     RM_CAPTURE_MAGIC);
    } else if (got < sizeof(header)) {
        rc = rm_fail(RM_EFORMAT, "%s:header: truncated info block (%zu of %d bytes)", path, got - 8,
                     RM_INFO_BLOCK_SIZE);
    } else {
        char where[4096];
        snprintf(where, sizeof(where), "%s:header", path);
        rc = rm_mat_info_parse(header + 8, where, &r->info);
    }
    if (rc < 0) {
        rm_capture_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

const struct rm_mat_info *rm_capture_reader_info(const struct rm_capture_reader *r)
{
    return &r->info;
}

long rm_capture_reader_read(struct rm_capture_reader *r, uint8_t *buf, size_t len)
{
    size_t got = fread(buf, 1, len, r->f);
    if (got == 0 && ferror(r->f))
        return rm_fail(RM_EIO, "%s: %s", r->path, strerror(errno));
    return (long)got;
}

void rm_capture_reader_close(struct rm_capture_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->path);
    free(r);
}

static void free_writer(struct rm_capture_writer *w)
{
    free(w->path);
    free(w->tmp_path);
    free(w);
}

int rm_capture_writer_open(struct rm_capture_writer **out, const char *path,
                           const struct rm_mat_info *info)
{
    *out = NULL;
    /* Owned by the caller until rm_capture_writer_close() or _discard(). */
    struct rm_capture_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return RM_ENOMEM;
    /* A name unique to this process and call; O_EXCL keeps it from
     * clobbering anything, and open() applies the umask as for any file. */
    static atomic_uint counter;
    size_t cap = strlen(path) + 40;
    w->path = strdup(path);
    w->tmp_path = malloc(cap);
    if (!w->path || !w->tmp_path) {
        free_writer(w);
        return RM_ENOMEM;
    }
    snprintf(w->tmp_path, cap, "%s.tmp.%ld.%u", path, (long)getpid(),
             atomic_fetch_add(&counter, 1));
    int fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
        int rc = open_error(path);
        if (fd >= 0) {
            close(fd);
            unlink(w->tmp_path);
        }
        free_writer(w);
        return rc;
    }
    uint8_t header[RM_CAPTURE_HEADER_SIZE];
    memcpy(header, RM_CAPTURE_MAGIC, 8);
    rm_mat_info_encode(info, header + 8);
    int rc = rm_capture_writer_write(w, header, sizeof(header));
    if (rc < 0) {
        rm_capture_writer_discard(w);
        return rc;
    }
    *out = w;
    return 0;
}

int rm_capture_writer_write(struct rm_capture_writer *w, const uint8_t *data, size_t len)
{
    if (w->err)
        return w->err;
    if (fwrite(data, 1, len, w->f) != len)
        w->err = rm_fail(RM_EIO, "%s: %s", w->path, strerror(errno));
    return w->err;
}

int rm_capture_writer_close(struct rm_capture_writer *w)
{
    if (!w)
        return 0;
    int rc = w->err;
    if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0) {
        if (!rc)
            rc = rm_fail(RM_EIO, "%s: %s", w->path, strerror(errno));
    }
    if (fclose(w->f) != 0 && !rc)
        rc = rm_fail(RM_EIO, "%s: %s", w->path, strerror(errno));
    if (!rc && rename(w->tmp_path, w->path) != 0)
        rc = rm_fail(RM_EIO, "%s: %s", w->path, strerror(errno));
    if (rc)
        unlink(w->tmp_path);
    free_writer(w);
    return rc;
}

void rm_capture_writer_discard(struct rm_capture_writer *w)
{
    if (!w)
        return;
    fclose(w->f);
    unlink(w->tmp_path);
    free_writer(w);
}
