/* Dates and times as the vendors write them. Internal to rm_import. */
#ifndef RM_IMPORT_PARSE_H
#define RM_IMPORT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Tekscan's "12/2/2019 6:21:52.34PM" (month first, as the US Windows locale
 * writes it, unless the first number cannot be a month) -> ISO 8601 local
 * time "2019-12-02T18:21:52.34". 0 or -1 when not understood. */
int rm_import_us_datetime(const char *s, char *out, size_t out_size);

/* XSENSOR's "2022 Aug 16" (or "2022-08-16") -> days since 1970-01-01. */
int rm_import_date(const char *s, int *y, int *m, int *d, int64_t *days);

/* "08:21:17.982" -> seconds since midnight; the fraction's digits are kept
 * in frac (with its dot, "" when none) for the ISO text. 0 or -1. */
int rm_import_time_of_day(const char *s, double *seconds, char frac[16]);

#endif
