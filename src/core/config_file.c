/* --config-file: the whole file read into one buffer (at most 1 MiB), then
 * split into KEY=value lines in place. '#' comments, blank lines, white
 * space around key and value and one pair of matching quotes around the
 * value are dropped, so a systemd EnvironmentFile is also a config file.
 * Keys are looked up in the flag table; values are not parsed here. A
 * file in etcd's YAML format goes to config_yaml.c instead. Reads the one
 * file it is given and nothing else. */
#include "config_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_apply.h"
#include "config_yaml.h"
#include "error.h"

#define CONFIG__FILE_MAX (1u << 20) /* a config file is small */

/* Reads the whole file into a NUL-terminated buffer the caller frees. */
static int configFileRead(const char *path, char **out, char *errmsg)
{
    FILE *f;
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    int rv = 0;

    f = fopen(path, "r");
    if (f == NULL) {
        etcfsErrmsgf(errmsg, "config file %s: %s", path, strerror(errno));
        return ETCFS_INVALID;
    }
    for (;;) {
        size_t n;
        if (cap - len < 2) {
            size_t new_cap = cap == 0 ? 4096 : cap * 2;
            char *p = realloc(buf, new_cap);
            if (p == NULL) {
                etcfsErrmsgf(errmsg, "config file %s: out of memory", path);
                rv = ETCFS_NOMEM;
                goto err;
            }
            buf = p;
            cap = new_cap;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len > CONFIG__FILE_MAX) {
            etcfsErrmsgf(errmsg, "config file %s: larger than %u bytes", path,
                         CONFIG__FILE_MAX);
            rv = ETCFS_INVALID;
            goto err;
        }
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        etcfsErrmsgf(errmsg, "config file %s: %s", path, strerror(errno));
        rv = ETCFS_INVALID;
        goto err;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {
        etcfsErrmsgf(errmsg, "config file %s: contains a NUL byte", path);
        rv = ETCFS_INVALID;
        goto err;
    }
    fclose(f);
    *out = buf;
    return 0;

err:
    free(buf);
    fclose(f);
    return rv;
}

/* The lines of buf into values; values point into buf, terminated in
 * place. */
static int configFileParse(const char *path, char *buf,
                           struct config_file_value values[CONFIG_N_FLAGS],
                           char *errmsg)
{
    char *line = buf;
    unsigned lineno = 0;
    while (line != NULL && *line != '\0') {
        char *next = strchr(line, '\n');
        const char *key;
        const char *value;
        size_t len;
        size_t key_len;
        size_t value_len;
        char *eq;
        int id;

        lineno++;
        if (next != NULL) {
            *next++ = '\0';
        }
        key = line;
        len = strlen(line);
        line = next;
        configTrim(&key, &len);
        if (len == 0 || key[0] == '#') {
            continue;
        }
        eq = memchr(key, '=', len);
        key_len = eq != NULL ? (size_t)(eq - key) : 0;
        configTrim(&key, &key_len);
        if (eq == NULL || key_len == 0) {
            etcfsErrmsgf(errmsg, "%.80s:%u: expected KEY=value", path, lineno);
            return ETCFS_INVALID;
        }
        value = eq + 1;
        value_len = len - (size_t)(value - key);
        configTrim(&value, &value_len);
        if (value_len >= 2 && (value[0] == '"' || value[0] == '\'') &&
            value[value_len - 1] == value[0]) {
            value++;
            value_len -= 2;
        }
        ((char *)value)[value_len] = '\0'; /* value points into buf */

        id = configFlagByName(key, key_len, true, NULL);
        if (id < 0) {
            if (configFlagNameIgnored(key, key_len)) {
                continue;
            }
            etcfsErrmsgf(errmsg, "%.80s:%u: unknown key \"%.*s\"", path, lineno,
                         (int)(key_len > 64 ? 64 : key_len), key);
            return ETCFS_INVALID;
        }
        if (id == CONFIG_FLAG_CONFIG_FILE) {
            etcfsErrmsgf(errmsg,
                         "%.80s:%u: config-file cannot be set in a config "
                         "file",
                         path, lineno);
            return ETCFS_INVALID;
        }
        if (values[id].text != NULL) {
            etcfsErrmsgf(errmsg, "%.80s:%u: %s given twice (first on line %u)",
                         path, lineno, configFlags[id].flag, values[id].line);
            return ETCFS_INVALID;
        }
        values[id].text = value;
        values[id].line = lineno;
    }
    return 0;
}

int configFileLoad(const char *path, char **buf,
                   struct config_file_value values[CONFIG_N_FLAGS],
                   char *ignored, size_t size, char *errmsg)
{
    char *yaml = NULL;
    int rv = configFileRead(path, buf, errmsg);
    ignored[0] = '\0';
    if (rv != 0) {
        return rv;
    }
    if (!configYamlDetect(*buf)) {
        return configFileParse(path, *buf, values, errmsg);
    }
    /* etcd's own format: the values live in a buffer of their own */
    rv = configYamlParse(path, *buf, &yaml, values, ignored, size, errmsg);
    free(*buf);
    *buf = yaml;
    return rv;
}
