/* Wire capture files (.rmw): "RMWIRE01", the 64-byte info block, then the
 * bulk-IN byte stream exactly as received. */
#ifndef RM_CAPTURE_H
#define RM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "rm_mat.h"

#define RM_CAPTURE_MAGIC       "RMWIRE01"
#define RM_CAPTURE_HEADER_SIZE 72

struct rm_capture_reader;
struct rm_capture_writer;

/* Opens a capture and parses its header. RM_EFORMAT with
 * "<path>:header: <what>" for a file that is not a capture. */
int rm_capture_reader_open(struct rm_capture_reader **out, const char *path);
const struct rm_mat_info *rm_capture_reader_info(const struct rm_capture_reader *r);
/* Reads up to len stream bytes. Returns bytes read (0 at end) or RM_EIO. */
long rm_capture_reader_read(struct rm_capture_reader *r, uint8_t *buf, size_t len);
void rm_capture_reader_close(struct rm_capture_reader *r);

/* Creates a capture and writes its header. The data go to a temporary file
 * beside path, renamed to path by a successful rm_capture_writer_close(), so
 * a file under path is always a complete capture. */
int rm_capture_writer_open(struct rm_capture_writer **out, const char *path,
                           const struct rm_mat_info *info);
int rm_capture_writer_write(struct rm_capture_writer *w, const uint8_t *data, size_t len);
/* Flushes and closes; returns RM_EIO if anything failed to reach the disk. */
int rm_capture_writer_close(struct rm_capture_writer *w);
/* Closes and removes the temporary file: nothing appears under path. */
void rm_capture_writer_discard(struct rm_capture_writer *w);

#endif
