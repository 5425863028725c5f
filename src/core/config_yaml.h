/* etcd's YAML --config-file (etcd.conf.yml): read with libyaml into the
 * same per-flag values as a KEY=value file. Top-level keys are flag names
 * (name, data-dir, listen-client-urls, initial-cluster, ...); the mappings
 * client-transport-security and peer-transport-security hold cert-file,
 * key-file, client-cert-auth, trusted-ca-file, auto-tls (and allowed-cn),
 * which become --cert-file ... and --peer-cert-file .... Booleans and
 * numbers are taken as written; an empty (null) value sets nothing; a
 * sequence is joined with commas. Keys etcfs does not know are listed in
 * *ignored (etcd's yaml.Unmarshal ignores them too). */
#ifndef ETCFS_CONFIG_YAML_H
#define ETCFS_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"

/* Whether the text looks like YAML rather than KEY=value lines: its first
 * line that is not blank or a comment has a ':' before any '='. */
bool configYamlDetect(const char *text);

/* Parses text (the file's, NUL-terminated); the values' texts point into
 * a new buffer *out (transferred, also on error). ignored: a
 * comma-separated list of unknown keys (size bytes, truncated). 0,
 * ETCFS_INVALID with "path:line: ..." or ETCFS_NOMEM. */
int configYamlParse(const char *path, const char *text, char **out,
                    struct config_file_value values[CONFIG_N_FLAGS],
                    char *ignored, size_t size, char *errmsg);

#endif /* ETCFS_CONFIG_YAML_H */
