/* Strict numbers from text: profiles, imports and command-line options
 * take the same grammar, so "0x10", "inf" or "3<NUL>junk" are refused
 * everywhere (issue 12 item 8). */
#ifndef RM_NUMBER_H
#define RM_NUMBER_H

#include <stdbool.h>

/* Strict decimal number: [+-]digits[.digits][e[+-]digits] and nothing else
 * (no hex, inf, nan, spaces or trailing text), finite. */
bool rm_text_number(const char *s, double *out);

#endif
