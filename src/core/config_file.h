/* --config-file: a file of KEY=value lines, KEY a flag name ("data-dir") or
 * one of its environment names ("ETCFS_DATA_DIR"), read into one raw text
 * per flag of the table (config_table.h). The only config code that does
 * I/O: it reads the one file it is given. */
#ifndef ETCFS_CONFIG_FILE_H
#define ETCFS_CONFIG_FILE_H

#include <stddef.h>

#include "config_table.h"

/* One flag set by the file: text NULL if the file does not set it. */
struct config_file_value
{
    const char *text; /* points into the file's buffer */
    unsigned line;
};

/* Reads path (borrowed) into *buf (transferred: the caller frees it, also
 * on error) and its lines into values, indexed by flag id, whose texts
 * point into *buf. Returns 0, ETCFS_INVALID (unreadable file, bad line,
 * unknown or repeated key, with "path:line: ..." in errmsg) or
 * ETCFS_NOMEM. */
/* A YAML file (etcd's format, config_yaml.h) is read as such; the keys it
 * has that etcfs does not know go to ignored (size bytes). */
int configFileLoad(const char *path, char **buf,
                   struct config_file_value values[CONFIG_N_FLAGS],
                   char *ignored, size_t size, char *errmsg);

#endif /* ETCFS_CONFIG_FILE_H */
