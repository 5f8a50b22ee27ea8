#include "hi_internal.h"
#include "rm_error.h"
int hi_report(struct rm_history *h, const char *out_dir)
{
    (void)h;
    (void)out_dir;
    return rm_fail(RM_EUSAGE, "not yet");
}
