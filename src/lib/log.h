/* Logging: levels, one line per message on stderr with the member name,
 * ETCFS_TRACE=1 turns on trace lines. Any thread (one fprintf per line). */
#ifndef ETCFS_LOG_H
#define ETCFS_LOG_H

#include <stddef.h>

enum log_level { LOG_TRACE = 0, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Process-wide settings, written once by main before any thread starts. */
void logSetup(const char *name, const char *level);
/* --log-outputs: a comma-separated list of default, stderr, stdout or file
 * paths (appended to). 0 or -1 with the reason in errmsg. */
int logSetOutputs(const char *list, char *errmsg, size_t size);
int logEnabled(int level);
void logPrintf(int level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define tracef(...)                                              \
    do {                                                         \
        if (logEnabled(LOG_TRACE))                               \
            logPrintf(LOG_TRACE, __FILE__, __LINE__, __VA_ARGS__); \
    } while (0)
#define debugf(...)                                              \
    do {                                                         \
        if (logEnabled(LOG_DEBUG))                               \
            logPrintf(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__); \
    } while (0)
#define infof(...) logPrintf(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define warnf(...) logPrintf(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define errorf(...) logPrintf(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif /* ETCFS_LOG_H */
