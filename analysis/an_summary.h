/* The tables of a batch folder (shared/spec/cli.md, `rollmat summary`):
 * DIR/summary.csv, one row per segment of every recording analysed and one
 * per recording that failed, built from the result files of the folder
 * (an_batch.h), so that one run, several runs into the same folder, and the
 * shards of a job array merged afterwards all give the same bytes. Rows
 * come in the order of the result files' names. */
#ifndef AN_SUMMARY_H
#define AN_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

/* Builds DIR/summary.csv and DIR/holds.csv from every result file in DIR. */
int an_summary_build(const char *dir);

/* Writes DIR/<summary_name> and DIR/<holds_name> from the result files
 * records[0..n), in that order, each through a temporary file renamed into
 * place. */
int an_summary_write(const char *dir, const char *summary_name, const char *holds_name,
                     char **records, size_t n);

/* Reads a batch error record (an_batch.h): its recording and error. */
int an_error_record_load(const char *path, char *recording, size_t rlen, char *error, size_t elen);

#endif
