/* UTC timestamps as the recordings carry them: ISO 8601 with seconds and
 * a Z, `2026-11-23T07:15:02Z` (recording-format.md, `created_utc`). */
#ifndef RM_UTC_H
#define RM_UTC_H

#include <stddef.h>
#include <stdint.h>

/* Parses exactly YYYY-MM-DDTHH:MM:SSZ (a real calendar date and time of
 * day, years 1970-9999) into seconds since the Unix epoch. 0, or RM_EFORMAT
 * without a message for anything else. */
int rm_utc_parse(const char *s, int64_t *epoch_s);

/* Formats epoch seconds as YYYY-MM-DDTHH:MM:SSZ (size >= 21). */
void rm_utc_format(int64_t epoch_s, char *buf, size_t size);

#endif
