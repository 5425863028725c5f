/* etcd's YAML config file (config_yaml.h), with libyaml's event parser. */
#include "config_yaml.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "error.h"

bool configYamlDetect(const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *colon;
        const char *eq;
        while (len > 0 && (*p == ' ' || *p == '\t' || *p == '\r')) {
            p++;
            len--;
        }
        if (len > 0 && *p != '#') {
            if (len >= 3 && strncmp(p, "---", 3) == 0) {
                return true;
            }
            colon = memchr(p, ':', len);
            eq = memchr(p, '=', len);
            return colon != NULL && (eq == NULL || colon < eq);
        }
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return false;
}

/* The flag a key names: section "" for top-level keys, "client" or
 * "peer" inside the transport-security mappings. */
static int yamlFlag(const char *section, const char *key)
{
    char name[160];
    if (strcmp(section, "peer") == 0) {
        if (strcmp(key, "allowed-cn") == 0) {
            return configFlagByArg("peer-cert-allowed-cn", 20);
        }
        snprintf(name, sizeof name, "peer-%s", key);
    } else {
        snprintf(name, sizeof name, "%s", key);
    }
    if (strcmp(name, "config-file") == 0) {
        return -1;
    }
    return configFlagByName(name, strlen(name), true, NULL);
}

struct yaml_walk
{
    const char *path;
    char *buf; /* every value, NUL-terminated, back to back */
    size_t len;
    size_t cap;
    size_t offset[CONFIG_N_FLAGS]; /* into buf, +1 (0: unset) */
    unsigned line[CONFIG_N_FLAGS];
    char *ignored;
    size_t ignored_size;
    char *errmsg;
};

static int yamlKeep(struct yaml_walk *w, int id, const char *value,
                    unsigned line)
{
    size_t n = strlen(value) + 1;
    if (w->offset[id] != 0) {
        etcfsErrmsgf(w->errmsg, "%.80s:%u: %s given twice (first on line %u)",
                     w->path, line, configFlags[id].flag, w->line[id]);
        return ETCFS_INVALID;
    }
    if (w->len + n > w->cap) {
        size_t cap = (w->cap == 0 ? 1024 : w->cap * 2) + n;
        char *p = realloc(w->buf, cap);
        if (p == NULL) {
            return ETCFS_NOMEM;
        }
        w->buf = p;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, value, n);
    w->offset[id] = w->len + 1;
    w->line[id] = line;
    w->len += n;
    return 0;
}

static void yamlIgnore(struct yaml_walk *w, const char *section,
                       const char *key)
{
    size_t used = strlen(w->ignored);
    snprintf(w->ignored + used, w->ignored_size - used, "%s%s%s%s",
             used > 0 ? ", " : "", section[0] != '\0' ? section : "",
             section[0] != '\0' ? "." : "", key);
}

static int yamlError(struct yaml_walk *w, const yaml_parser_t *p)
{
    etcfsErrmsgf(w->errmsg, "%.80s:%lu: %s", w->path,
                 (unsigned long)p->problem_mark.line + 1,
                 p->problem != NULL ? p->problem : "not YAML");
    return ETCFS_INVALID;
}

/* Reads the next event into e (the caller deletes it). */
static int yamlNext(struct yaml_walk *w, yaml_parser_t *p, yaml_event_t *e)
{
    if (!yaml_parser_parse(p, e)) {
        return yamlError(w, p);
    }
    return 0;
}

/* After a key: its value, a scalar or a sequence of scalars (joined with
 * commas) into value. */
static int yamlValue(struct yaml_walk *w, yaml_parser_t *p, yaml_event_t *e,
                     char *value, size_t size)
{
    value[0] = '\0';
    if (e->type == YAML_SCALAR_EVENT) {
        const char *v = (const char *)e->data.scalar.value;
        bool null = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                    (v[0] == '\0' || strcmp(v, "~") == 0 ||
                     strcmp(v, "null") == 0);
        if (!null) {
            snprintf(value, size, "%s", v);
        }
        return 0;
    }
    if (e->type == YAML_SEQUENCE_START_EVENT) {
        for (;;) {
            yaml_event_t item;
            int rv = yamlNext(w, p, &item);
            if (rv != 0) {
                return rv;
            }
            if (item.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&item);
                return 0;
            }
            if (item.type != YAML_SCALAR_EVENT) {
                yaml_event_delete(&item);
                etcfsErrmsgf(w->errmsg, "%.80s:%lu: a list of plain values "
                                        "expected",
                             w->path, (unsigned long)e->start_mark.line + 1);
                return ETCFS_INVALID;
            }
            snprintf(value + strlen(value), size - strlen(value), "%s%s",
                     value[0] != '\0' ? "," : "",
                     (const char *)item.data.scalar.value);
            yaml_event_delete(&item);
        }
    }
    etcfsErrmsgf(w->errmsg, "%.80s:%lu: a value expected", w->path,
                 (unsigned long)e->start_mark.line + 1);
    return ETCFS_INVALID;
}

/* The pairs of a mapping whose start was read; section as yamlFlag's. */
static int yamlMapping(struct yaml_walk *w, yaml_parser_t *p,
                       const char *section)
{
    for (;;) {
        yaml_event_t key;
        yaml_event_t val;
        char name[128];
        char value[4096];
        unsigned line;
        int id;
        int rv = yamlNext(w, p, &key);
        if (rv != 0) {
            return rv;
        }
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            return 0;
        }
        if (key.type != YAML_SCALAR_EVENT) {
            yaml_event_delete(&key);
            etcfsErrmsgf(w->errmsg, "%.80s: a key expected", w->path);
            return ETCFS_INVALID;
        }
        snprintf(name, sizeof name, "%s", (const char *)key.data.scalar.value);
        line = (unsigned)key.start_mark.line + 1;
        yaml_event_delete(&key);
        rv = yamlNext(w, p, &val);
        if (rv != 0) {
            return rv;
        }
        if (val.type == YAML_MAPPING_START_EVENT && section[0] == '\0' &&
            (strcmp(name, "client-transport-security") == 0 ||
             strcmp(name, "peer-transport-security") == 0)) {
            yaml_event_delete(&val);
            rv = yamlMapping(w, p, name[0] == 'c' ? "client" : "peer");
            if (rv != 0) {
                return rv;
            }
            continue;
        }
        rv = yamlValue(w, p, &val, value, sizeof value);
        yaml_event_delete(&val);
        if (rv != 0) {
            return rv;
        }
        id = yamlFlag(section, name);
        if (id < 0) {
            yamlIgnore(w, section, name);
            continue;
        }
        if (value[0] == '\0') {
            continue; /* null: etcd's default */
        }
        rv = yamlKeep(w, id, value, line);
        if (rv != 0) {
            return rv;
        }
    }
}

int configYamlParse(const char *path, const char *text, char **out,
                    struct config_file_value values[CONFIG_N_FLAGS],
                    char *ignored, size_t size, char *errmsg)
{
    struct yaml_walk w;
    yaml_parser_t p;
    bool in_doc = false;
    int rv = 0;
    int id;
    memset(&w, 0, sizeof w);
    w.path = path;
    w.ignored = ignored;
    w.ignored_size = size;
    w.errmsg = errmsg;
    ignored[0] = '\0';
    *out = NULL;
    if (!yaml_parser_initialize(&p)) {
        return ETCFS_NOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text,
                                 strlen(text));
    for (;;) {
        yaml_event_t e;
        rv = yamlNext(&w, &p, &e);
        if (rv != 0) {
            break;
        }
        if (e.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&e);
            break;
        }
        if (e.type == YAML_DOCUMENT_START_EVENT) {
            in_doc = true;
        } else if (e.type == YAML_MAPPING_START_EVENT && in_doc) {
            yaml_event_delete(&e);
            rv = yamlMapping(&w, &p, "");
            if (rv != 0) {
                break;
            }
            continue;
        } else if (e.type == YAML_SCALAR_EVENT ||
                   e.type == YAML_SEQUENCE_START_EVENT) {
            etcfsErrmsgf(errmsg, "%.80s:%lu: a mapping of keys expected",
                         path, (unsigned long)e.start_mark.line + 1);
            yaml_event_delete(&e);
            rv = ETCFS_INVALID;
            break;
        }
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    *out = w.buf;
    if (rv != 0) {
        return rv;
    }
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        if (w.offset[id] != 0) {
            values[id].text = w.buf + w.offset[id] - 1;
            values[id].line = w.line[id];
        }
    }
    return 0;
}
