/* The tables of a batch folder (shared/spec/cli.md, `rollmat summary`):
 * DIR/summary.csv, one row per segment of every recording analysed and one
 * per recording that failed, built from the result files of the folder
 * (an_batch.h), so that one run, several runs into the same folder, and the
 * shards of a job array merged afterwards all give the same bytes. Rows
 * come in the order of the result files' names. */
#ifndef AN_SUMMARY_H
#define AN_SUMMARY_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Builds DIR/<csv_name> from every result file in DIR. */
int an_summary_build(const char *dir, const char *csv_name);

/* Writes DIR/<csv_name> from the result files records[0..n), in that order,
 * through a temporary file renamed into place. */
int an_summary_write(const char *dir, const char *csv_name, char **records, size_t n);

/* The human summary of one document (cmd_analyze.c). */
void an_print_summary(FILE *out, json_t *doc);

#endif
