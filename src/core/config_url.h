/* URLs in etcfsd's flags: one http://host:port (configParseUrl, declared
 * in config.h), comma-separated lists of them, and --initial-cluster's
 * name=peerurl list. Pure: parses text, resolves no name. */
#ifndef ETCFS_CONFIG_URL_H
#define ETCFS_CONFIG_URL_H

#include <stdbool.h>

#include "config.h"

/* Comma-separated URLs of text (borrowed) into urls[0..max) (written in
 * place), *n their count. Returns 0 or ETCFS_INVALID with a message led by
 * label. */
int configUrlList(const char *label, const char *text, struct config_url *urls,
                  unsigned max, unsigned *n, char *errmsg);

/* name=peerurl,... into members[0..max), *n their count; names and peer
 * URLs each unique. Returns 0 or ETCFS_INVALID with a message led by
 * label. */
int configUrlCluster(const char *label, const char *text,
                     struct config_member *members, unsigned max, unsigned *n,
                     char *errmsg);

/* 0.0.0.0 or [::]: fine to listen on, useless to advertise. */
bool configUrlIsUnspecified(const struct config_url *url);

#endif /* ETCFS_CONFIG_URL_H */
