/* One flag's text into its field: the parser of each value type of the
 * flag table (strings, decimal numbers, Go booleans, choices, URL lists,
 * the initial cluster), with the bounds, choices and checks of its row,
 * written at the row's offset in struct config. Pure: no I/O. */
#include "config_apply.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config_table.h"
#include "config_url.h"
#include "error.h"

static bool configIsSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

void configTrim(const char **start, size_t *len)
{
    while (*len > 0 && configIsSpace(**start)) {
        (*start)++;
        (*len)--;
    }
    while (*len > 0 && configIsSpace((*start)[*len - 1])) {
        (*len)--;
    }
}

int configCheckName(const char *label, const char *name, size_t len,
                    char *errmsg)
{
    size_t max = sizeof((struct config *)NULL)->name - 1;
    size_t i;
    if (len == 0) {
        etcfsErrmsgf(errmsg, "%s: empty name", label);
        return ETCFS_INVALID;
    }
    if (len > max) {
        etcfsErrmsgf(errmsg, "%s: name too long (%zu bytes, at most %zu)",
                     label, len, max);
        return ETCFS_INVALID;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == ',' || c == '=' || c < 0x20 || c == 0x7f ||
            configIsSpace((char)c)) {
            etcfsErrmsgf(errmsg,
                         "%s: invalid name \"%.*s\" (no ',', '=', spaces or "
                         "control characters)",
                         label, (int)(len > 64 ? 64 : len), name);
            return ETCFS_INVALID;
        }
    }
    return 0;
}

static int configSetString(const char *label, const char *text, char *dst,
                           size_t size, bool allow_empty, char *errmsg)
{
    size_t len = strlen(text);
    if (len == 0 && !allow_empty) {
        etcfsErrmsgf(errmsg, "%s: empty value", label);
        return ETCFS_INVALID;
    }
    if (len >= size) {
        etcfsErrmsgf(errmsg, "%s: too long (%zu bytes, at most %zu)", label,
                     len, size - 1);
        return ETCFS_INVALID;
    }
    memcpy(dst, text, len + 1);
    return 0;
}

/* A whole decimal number in [min, max]; no sign, no spaces, no suffix. */
static int configParseNumber(const char *label, const char *text, uint64_t min,
                             uint64_t max, uint64_t *out, char *errmsg)
{
    uint64_t v = 0;
    const char *c;
    if (*text == '\0') {
        etcfsErrmsgf(errmsg, "%s: invalid value \"\"", label);
        return ETCFS_INVALID;
    }
    for (c = text; *c != '\0'; c++) {
        unsigned d;
        if (*c < '0' || *c > '9') {
            etcfsErrmsgf(errmsg, "%s: invalid value \"%.64s\"", label, text);
            return ETCFS_INVALID;
        }
        d = (unsigned)(*c - '0');
        if (v > (UINT64_MAX - d) / 10) {
            etcfsErrmsgf(errmsg, "%s: invalid value \"%.64s\": out of range",
                         label, text);
            return ETCFS_INVALID;
        }
        v = v * 10 + d;
    }
    if (v < min) {
        etcfsErrmsgf(errmsg,
                     "%s: invalid value \"%.64s\": must be at least %llu",
                     label, text, (unsigned long long)min);
        return ETCFS_INVALID;
    }
    if (v > max) {
        etcfsErrmsgf(errmsg,
                     "%s: invalid value \"%.64s\": must be at most %llu", label,
                     text, (unsigned long long)max);
        return ETCFS_INVALID;
    }
    *out = v;
    return 0;
}

/* Go's strconv.ParseBool, as a boolean flag's "=value" takes. */
static int configParseBool(const char *label, const char *text, bool *out,
                           char *errmsg)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    size_t i;
    for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    etcfsErrmsgf(errmsg, "%s: invalid value \"%.64s\" (want true or false)",
                 label, text);
    return ETCFS_INVALID;
}

/* The index of text in the row's choices, or ETCFS_INVALID with the
 * choices listed: "(want 'new' or 'existing')", "(want a, b or c)". */
static int configParseChoice(const struct config_flag *fl, const char *label,
                             const char *text, int *out, char *errmsg)
{
    const char *quote = fl->check & CONFIG_CHECK_QUOTE_CHOICES ? "'" : "";
    char want[128];
    size_t used = 0;
    int i;
    for (i = 0; fl->choices[i] != NULL; i++) {
        if (strcmp(text, fl->choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    want[0] = '\0';
    for (i = 0; fl->choices[i] != NULL && used < sizeof want; i++) {
        const char *sep = i == 0                       ? ""
                          : fl->choices[i + 1] == NULL ? " or "
                                                       : ", ";
        int n = snprintf(want + used, sizeof want - used, "%s%s%s%s", sep,
                         quote, fl->choices[i], quote);
        used += n > 0 ? (size_t)n : 0;
    }
    etcfsErrmsgf(errmsg, "%s: invalid value \"%.64s\" (want %s)", label, text,
                 want);
    return ETCFS_INVALID;
}

int configApply(struct config *cfg, int id, const char *text, const char *label,
                char *errmsg)
{
    const struct config_flag *fl = &configFlags[id];
    char *field = (char *)cfg + fl->offset;
    unsigned *count = (unsigned *)(void *)((char *)cfg + fl->count_offset);
    struct config_url urls[CONFIG_MAX_URLS];
    /* count is meaningful for URLS and CLUSTER rows only */
    uint64_t u64;
    int choice;
    int rv;

    switch (fl->type) {
        case CONFIG_TYPE_STRING:
            if (fl->check & CONFIG_CHECK_MEMBER_NAME) {
                rv = configCheckName(label, text, strlen(text), errmsg);
                if (rv != 0) {
                    return rv;
                }
            }
            if (fl->choices != NULL) {
                rv = configParseChoice(fl, label, text, &choice, errmsg);
                if (rv != 0) {
                    return rv;
                }
            }
            return configSetString(label, text, field, fl->size,
                                   fl->check & CONFIG_CHECK_EMPTY_OK, errmsg);
        case CONFIG_TYPE_UINT:
        case CONFIG_TYPE_UINT64:
            rv = configParseNumber(label, text, fl->min, fl->max, &u64, errmsg);
            if (rv != 0) {
                return rv;
            }
            if (u64 == 0 && fl->check & CONFIG_CHECK_ZERO_DEFAULT) {
                rv = configParseNumber(label, fl->def, fl->min, fl->max, &u64,
                                       errmsg);
                assert(rv == 0); /* the table's defaults are valid */
            }
            if (fl->type == CONFIG_TYPE_UINT) {
                assert(fl->size == sizeof(unsigned));
                *(unsigned *)(void *)field = (unsigned)u64;
            } else {
                assert(fl->size == sizeof(uint64_t));
                *(uint64_t *)(void *)field = u64;
            }
            return 0;
        case CONFIG_TYPE_BOOL:
            assert(fl->size == sizeof(bool));
            return configParseBool(label, text, (bool *)(void *)field, errmsg);
        case CONFIG_TYPE_ENUM:
            assert(fl->size == sizeof(int));
            return configParseChoice(fl, label, text, (int *)(void *)field,
                                     errmsg);
        case CONFIG_TYPE_URLS:
            return configUrlList(label, text, (struct config_url *)field,
                                 (unsigned)(fl->size / sizeof urls[0]), count,
                                 errmsg);
        case CONFIG_TYPE_URL: {
            /* a list, of which only the first URL is kept */
            unsigned n;
            assert(fl->size == sizeof urls[0]);
            rv = configUrlList(label, text, urls, CONFIG_MAX_URLS, &n, errmsg);
            if (rv == 0) {
                memcpy(field, &urls[0], sizeof urls[0]);
            }
            return rv;
        }
        case CONFIG_TYPE_CLUSTER:
            return configUrlCluster(
                label, text, (struct config_member *)(void *)field,
                (unsigned)(fl->size / sizeof(struct config_member)), count,
                errmsg);
        case CONFIG_TYPE_FILE: /* read by configParse before anything else */
            return 0;
    }
    assert(false); /* every type is handled above */
    return ETCFS_INVALID;
}

void configApplyDefaults(struct config *cfg)
{
    int id;
    memset(cfg, 0, sizeof *cfg);
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        int rv;
        if (configFlags[id].def == NULL) {
            continue;
        }
        rv = configApply(cfg, id, configFlags[id].def, configFlags[id].flag,
                         NULL);
        assert(rv == 0); /* the table's defaults are valid */
        (void)rv;        /* only asserted: the defaults are constants */
    }
}
