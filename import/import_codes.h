/* Exact pressures in 16-bit counts. A recording stores uint16 counts and
 * turns them into kPa through its calibration; an export in pressure units
 * is stored as codes: 0 for 0, and 1..K for its K distinct non-zero values in
 * increasing order, with a table curve through (code, kPa of the value), so
 * that the calibration gives back exactly the exported value (to the float
 * the analysis computes in). Internal to rm_import. */
#ifndef RM_IMPORT_CODES_H
#define RM_IMPORT_CODES_H

#include <stddef.h>
#include <stdint.h>

#include "rm_calibration.h"

#define RM_CODES_MAX 65535

struct rm_codes;

/* Owned by the caller; free with rm_codes_free(). */
int rm_codes_new(struct rm_codes **out);
void rm_codes_free(struct rm_codes *c);

/* Adds a value (> 0, finite). RM_ERANGE once there would be more than
 * RM_CODES_MAX distinct values. */
int rm_codes_add(struct rm_codes *c, double v);
size_t rm_codes_count(const struct rm_codes *c);

/* Sorts the values; after this, only rm_codes_code() and _table(). */
int rm_codes_seal(struct rm_codes *c);

/* The code of v: 0 for 0, else its rank; RM_ERANGE if v was never added. */
int rm_codes_code(const struct rm_codes *c, double v, uint16_t *code);

/* Puts the table curve into cal: (0, 0), (i, value_i * to_kpa) for every
 * code, and one more point continuing the last slope so that the last value,
 * like every other, is met at a node rather than at a segment's end. */
int rm_codes_table(const struct rm_codes *c, double to_kpa, struct rm_calibration *cal);

#endif
