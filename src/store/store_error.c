/* LevelDB's errors, converted once at the edge (STYLE.md 3): its malloc'd
 * error strings become ETCFS_* codes with the text in the caller's errmsg;
 * also the store's out-of-memory and malformed-entry messages. Any thread;
 * never keeps LevelDB's string (freed here). */
#include <string.h>

#include "store_internal.h"

/* Converts a LevelDB error string (freed here) into an ETCFS code. */
int storeDbError(char *err, char *errmsg, const char *what)
{
    int rv = ETCFS_IO;
    if (strstr(err, "Corruption") != NULL) {
        rv = ETCFS_CORRUPT;
    } else if (strstr(err, "No space") != NULL) {
        rv = ETCFS_NOSPACE;
    }
    etcfsErrmsgf(errmsg, "%s: %s", what, err);
    leveldb_free(err);
    return rv;
}

int storeIterError(leveldb_iterator_t *it, char *errmsg, const char *what)
{
    char *err = NULL;
    leveldb_iter_get_error(it, &err);
    if (err != NULL) {
        return storeDbError(err, errmsg, what);
    }
    return 0;
}

int storeNomem(char *errmsg, const char *what)
{
    etcfsErrmsgf(errmsg, "%s: out of memory", what);
    return ETCFS_NOMEM;
}

int storeCorrupt(char *errmsg, const char *what)
{
    etcfsErrmsgf(errmsg, "%s: malformed entry on disk", what);
    return ETCFS_CORRUPT;
}

bool storeIsIoError(int rv)
{
    return rv == ETCFS_IO || rv == ETCFS_NOSPACE || rv == ETCFS_CORRUPT ||
           rv == ETCFS_NOMEM;
}
