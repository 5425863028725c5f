/* mkdir -p. Generic. */
#include "fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int fsMkdirAll(const char *dir, mode_t mode, char *failed)
{
    char tmp[PATH_MAX];
    char *p;
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) {
        return -ENAMETOOLONG;
    }
    for (p = tmp + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
            int e = errno;
            if (failed != NULL) {
                snprintf(failed, PATH_MAX, "%s", tmp);
            }
            return -e;
        }
        *p = '/';
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
        int e = errno;
        if (failed != NULL) {
            snprintf(failed, PATH_MAX, "%s", tmp);
        }
        return -e;
    }
    return 0;
}
