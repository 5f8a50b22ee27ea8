/* The HDF5 objects of a recording, for the writer (recording_writer.c):
 * how its datasets are created, its root attributes written, rows appended,
 * and the file marked complete. Internal to common/. */
#ifndef RM_REC_LAYOUT_H
#define RM_REC_LAYOUT_H

#include <hdf5.h>
#include <stdint.h>

#include "rm_recording.h"

/* One /events element in memory, NUL padded like the file's fields. */
struct rm_rec_event_row {
    double t;
    char kind[RM_EVENT_KIND_LEN];
    char label[RM_EVENT_LABEL_LEN];
};

/* An extendable 1-D or 3-D chunked dataset of `type` (tail: the fixed
 * dims after the first), with shuffle + deflate `level` when level > 0 and
 * no chunk cache. */
hid_t rm_rec_create_extendable(hid_t loc, const char *name, hid_t type, int rank,
                               const hsize_t *chunk, const hsize_t *tail, int level);

/* The memory type of struct rm_rec_event_row; *file_type gets the packed
 * file type. Both the caller's to close. */
hid_t rm_rec_make_event_type(hid_t *file_type);

/* Every root attribute of the spec, the counters and `complete` as 0. */
int rm_rec_write_root_attributes(hid_t f, const struct rm_rec_meta *m);

/* Writes rows [first, first + n) of an extendable dataset, extending it as
 * needed; -1 on an HDF5 error. */
int rm_rec_write_rows(hid_t d, int rank, int64_t first, int64_t n, const hsize_t *tail,
                      hid_t memtype, const void *data);

/* Gives the counters their final values and sets complete = 1 (see
 * recording_layout.c). 0 or RM_EHDF5. */
int rm_rec_finalize(const char *path, const struct rm_rec_counters *c);

#endif
