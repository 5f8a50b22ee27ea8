#include "rm_error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];

const char *rm_strerror(int err)
{
    switch (err) {
    case RM_OK:
        return "success";
    case RM_ENOMEM:
        return "out of memory";
    case RM_EIO:
        return "input/output error";
    case RM_EFORMAT:
        return "bad input";
    case RM_EUSAGE:
        return "invalid argument";
    case RM_EHDF5:
        return "HDF5 library error";
    case RM_EUSB:
        return "USB error";
    case RM_ENODEV:
        return "device went away";
    case RM_ETIMEOUT:
        return "timed out";
    case RM_EINTR:
        return "interrupted";
    case RM_ENOTFOUND:
        return "not found";
    case RM_ERANGE:
        return "value out of range";
    case RM_EEXTERNAL:
        return "outside program failed";
    case RM_EEOF:
        return "end of stream";
    default:
        return "unknown error";
    }
}

int rm_exit_code(int err)
{
    if (err == RM_OK)
        return 0;
    if (err == RM_EUSAGE)
        return 2;
    if (err == RM_EFORMAT)
        return 3;
    return 1;
}

int rm_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof(last_message), fmt, ap);
    va_end(ap);
    return err;
}

const char *rm_last_error(int err)
{
    return last_message[0] ? last_message : rm_strerror(err);
}

void rm_clear_error(void)
{
    last_message[0] = '\0';
}
