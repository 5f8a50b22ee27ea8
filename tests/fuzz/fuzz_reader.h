/* What the recording fuzz targets share: handing a generated file to the
 * reader and holding it to its contract. */
#ifndef RM_FUZZ_READER_H
#define RM_FUZZ_READER_H

#include <hdf5.h>

#include "rm_recording.h"

/* Keeps the reader's results alive so that -O1 cannot drop the work. */
extern volatile int64_t rm_fuzz_sink;

/* Opens f (a core-driver file, now owned by the reader) as "fuzz.h5": an
 * accepted recording goes to consume(), a refusal must carry its
 * "fuzz.h5:..." message; anything else aborts, which libFuzzer reports. */
void rm_fuzz_read(hid_t f, void (*consume)(struct rm_rec_reader *));

/* Aborts, saying why, unless f is a valid recording: a target's base file
 * must be, or the fuzzer would only ever explore the first refusal. */
void rm_fuzz_require_valid(hid_t f);

/* A new file in memory only (HDF5's core driver, no backing store). The
 * same name every time is fine: each iteration closes its file. */
hid_t rm_fuzz_core_file(const char *name);

/* The root attributes of a recording (shared/spec/recording-format.md),
 * with the values a target varies as arguments. */
void rm_fuzz_write_root(hid_t f, int rows, int cols, double pitch_row_mm, double pitch_col_mm,
                        double rate_hz, int complete);

#endif
