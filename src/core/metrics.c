/* Prometheus text rendering of struct metrics (metrics.h). Any thread. */
#include "metrics.h"

#include <inttypes.h>
#include <stdlib.h>

char *metricsFormat(struct metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return NULL;
    }
#define METRICS__PRINT(name, type, help)                                     \
    fprintf(f, "# HELP etcfs_" #name " " help "\n# TYPE etcfs_" #name        \
               " " type "\netcfs_" #name " %" PRId64 "\n",                   \
            (int64_t)atomic_load(&m->name));
    METRICS_LIST(METRICS__PRINT)
#undef METRICS__PRINT
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
