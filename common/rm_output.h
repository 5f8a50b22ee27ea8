/* Claiming an output file before writing it (issue 12 item 5): a command
 * never overwrites an existing file unless the user said --force, and
 * never writes through a symbolic link onto whatever it points at. */
#ifndef RM_OUTPUT_H
#define RM_OUTPUT_H

#include <stdbool.h>

/* Creates path empty (O_CREAT | O_EXCL | O_NOFOLLOW) and sets *created; with
 * force, an existing regular file is accepted as it is (*created false) for
 * the writer to replace. A symbolic link, even a dangling one, is refused
 * either way. Fails with RM_EIO and "<path>: <what>" recorded. */
int rm_output_claim(const char *path, bool force, bool *created);

#endif
