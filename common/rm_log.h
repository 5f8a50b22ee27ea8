/* One logger for the whole project, in the manner of libsigrok: every line
 * goes through rm_log_write() and comes out as "rollmat: <part>: <text>" on
 * stderr (the journal, under systemd). Each .c file that logs defines
 * LOG_PREFIX before using the macros:
 *
 *     #define LOG_PREFIX "usb"
 *     rm_warn("transfer failed: %s", libusb_error_name(rc));
 */
#ifndef RM_LOG_H
#define RM_LOG_H

enum rm_log_level {
    RM_LOG_NONE = 0,
    RM_LOG_ERR = 1,
    RM_LOG_WARN = 2,
    RM_LOG_INFO = 3,
    RM_LOG_DEBUG = 4,
};

/* Default RM_LOG_WARN, or ROLLMAT_LOG=err|warn|info|debug from the
 * environment at the first call. Thread-safe. */
void rm_log_set_level(enum rm_log_level level);
enum rm_log_level rm_log_get_level(void);

void rm_log_write(enum rm_log_level level, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The command line's final error line: "rollmat: <message>", always printed,
 * whatever the level. Here and in rm_log_write, control characters in the
 * message (quoted from a file) are printed as '?', so it stays one line. */
void rm_log_error_line(const char *message);

#define rm_err(...)  rm_log_write(RM_LOG_ERR, LOG_PREFIX, __VA_ARGS__)
#define rm_warn(...) rm_log_write(RM_LOG_WARN, LOG_PREFIX, __VA_ARGS__)
#define rm_info(...) rm_log_write(RM_LOG_INFO, LOG_PREFIX, __VA_ARGS__)
#define rm_dbg(...)  rm_log_write(RM_LOG_DEBUG, LOG_PREFIX, __VA_ARGS__)

#endif
