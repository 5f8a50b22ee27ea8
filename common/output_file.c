/* Output files are claimed before anything is written (see rm_output.h). */
#include "rm_output.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rm_error.h"

static int refuse_existing(const char *path, bool force)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return rm_fail(RM_EIO, "%s: is a symbolic link; not writing through it", path);
    if (!force)
        return rm_fail(RM_EIO, "%s: exists; --force replaces it", path);
    return rm_fail(RM_EIO, "%s: not a regular file", path);
}

int rm_output_claim(const char *path, bool force, bool *created)
{
    *created = false;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) {
        close(fd);
        *created = true;
        return 0;
    }
    if (errno != EEXIST)
        return rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    if (!force)
        return refuse_existing(path, false);
    /* O_NOFOLLOW fails on a link; fstat then proves a regular file, so the
     * writer's truncation cannot reach a device or a FIFO. */
    fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ELOOP ? refuse_existing(path, true)
                              : rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    return regular ? 0 : refuse_existing(path, true);
}
