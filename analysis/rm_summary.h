/* `rollmat summary DIR` (shared/spec/cli.md): DIR/summary.csv and
 * DIR/holds.csv from the results of batch runs into DIR, e.g. after the
 * shards of a cluster job array (docs/batch.md). */
#ifndef RM_SUMMARY_H
#define RM_SUMMARY_H

int rm_cmd_summary(int argc, char **argv);

#endif
