/* Log lines: "<time> <level> <name> file:line: message" on stderr, or
 * where --log-outputs says. The settings are written once by main before
 * threads start (the one piece of process-wide state besides the signal
 * flag). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char logName[64] = "etcfs";
static int logLevel = LOG_INFO;
#define LOG__MAX_OUTPUTS 4
static FILE *logOutputs[LOG__MAX_OUTPUTS];
static unsigned logNOutputs;

int logSetOutputs(const char *list, char *errmsg, size_t size)
{
    char copy[1024];
    char *save = NULL;
    char *item;
    logNOutputs = 0;
    snprintf(copy, sizeof copy, "%s", list);
    for (item = strtok_r(copy, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        FILE *f;
        if (logNOutputs == LOG__MAX_OUTPUTS) {
            snprintf(errmsg, size, "--log-outputs: at most %d outputs",
                     LOG__MAX_OUTPUTS);
            return -1;
        }
        if (strcmp(item, "default") == 0 || strcmp(item, "stderr") == 0) {
            f = stderr;
        } else if (strcmp(item, "stdout") == 0) {
            f = stdout;
        } else {
            f = fopen(item, "ae");
            if (f == NULL) {
                snprintf(errmsg, size, "--log-outputs: cannot open %.200s",
                         item);
                return -1;
            }
            setvbuf(f, NULL, _IOLBF, 0);
        }
        logOutputs[logNOutputs++] = f;
    }
    return 0;
}

void logSetup(const char *name, const char *level)
{
    const char *trace = getenv("ETCFS_TRACE");
    if (name != NULL) {
        snprintf(logName, sizeof logName, "%s", name);
    }
    if (level != NULL) {
        if (strcmp(level, "debug") == 0) {
            logLevel = LOG_DEBUG;
        } else if (strcmp(level, "warn") == 0) {
            logLevel = LOG_WARN;
        } else if (strcmp(level, "error") == 0) {
            logLevel = LOG_ERROR;
        } else {
            logLevel = LOG_INFO;
        }
    }
    if (trace != NULL && strcmp(trace, "1") == 0) {
        logLevel = LOG_TRACE;
    }
}

int logEnabled(int level)
{
    return level >= logLevel;
}

void logPrintf(int level, const char *file, int line, const char *fmt, ...)
{
    static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARN",
                                        "ERROR"};
    char msg[1024];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    unsigned i;
    const char *base = strrchr(file, '/');
    if (level < logLevel) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    for (i = 0; i < (logNOutputs > 0 ? logNOutputs : 1); i++) {
        FILE *out = logNOutputs > 0 ? logOutputs[i] : stderr;
        fprintf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s %s:%d: %s\n",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, names[level],
                logName, base != NULL ? base + 1 : file, line, msg);
        if (out == stdout) {
            fflush(out);
        }
    }
}
