/* Turning one flag's text into its typed field of struct config, as its
 * row of the flag table (config_table.h) says: type, bounds, choices and
 * checks; the table's defaults applied the same way; and the small text
 * helpers the other config files share. Pure: no I/O. */
#ifndef ETCFS_CONFIG_APPLY_H
#define ETCFS_CONFIG_APPLY_H

#include <stddef.h>

#include "config.h"

/* Zeroes cfg and applies every row's default (fields without one stay
 * zero: configParse derives them). */
void configApplyDefaults(struct config *cfg);

/* Parses text (borrowed) as flag id's value into cfg. label names where
 * the text came from ("--name", "ETCFS_NAME", "f.conf:3: name") and leads
 * the message. Returns 0 or ETCFS_INVALID with errmsg set; cfg may then be
 * partly written. */
int configApply(struct config *cfg, int id, const char *text, const char *label,
                char *errmsg);

/* A member name of len bytes: non-empty, fits struct config_member, and
 * free of the characters --initial-cluster uses as separators. Returns 0
 * or ETCFS_INVALID. */
int configCheckName(const char *label, const char *name, size_t len,
                    char *errmsg);

/* Trims [*start, *start + *len) of surrounding white space. */
void configTrim(const char **start, size_t *len);

#endif /* ETCFS_CONFIG_APPLY_H */
