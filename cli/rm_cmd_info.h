/* `rollmat info [--json] FILE.h5`: a recording's summary after validating
 * it (shared/spec/cli.md). */
#ifndef RM_CMD_INFO_H
#define RM_CMD_INFO_H

int rm_cmd_info(int argc, char **argv);

#endif
