/* etcfsctl key-value commands (ctl_kv.c): put, get, del and compaction, one
 * request each; and what txn and watch borrow from them: the --prefix /
 * --from-key range rules, the request builders of put, get and del (txn's
 * operations), and the field lists of their answers (txn prints them inside
 * its own). */
#ifndef ETCFS_TOOLS_CTL_KV_H
#define ETCFS_TOOLS_CTL_KV_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_request.h"
#include "ctl_view.h"

extern const struct ctl_unary ctlKvPut;
extern const struct ctl_unary ctlKvGet;
extern const struct ctl_unary ctlKvDel;
extern const struct ctl_unary ctlKvCompaction;

/* clientv3's prefix end of key[0..len) (getPrefix): malloc'd, *endLen
 * bytes. */
char *ctlPrefixEnd(const char *key, size_t len, size_t *endLen);
/* Applies etcdctl's --prefix / --from-key rules to key[0..keyLen): *outKey
 * is a malloc'd copy (maybe changed); *end (malloc'd, or NULL, owned by the
 * caller on both sides) may be replaced. */
void ctlKvRange(const char *key, size_t keyLen, bool prefix, bool fromKey, char **outKey,
                size_t *outKeyLen, char **end, size_t *endLen);

/* etcdctl's getPutOp / getGetOp / getDelOp: check o's arguments (exit on
 * bad ones) and return the request (transferred to the caller). Put reads
 * the value from stdin when allowStdin and no value argument is given. */
json_t *ctlKvPutRequest(const struct ctl_options *o, bool allowStdin);
json_t *ctlKvGetRequest(const struct ctl_options *o);
json_t *ctlKvDelRequest(const struct ctl_options *o);

/* The answers of range, put and deleterange, per output format. */
extern const struct ctl_field ctlRangeSimple[];
extern const struct ctl_field ctlRangeJson[];
extern const struct ctl_field ctlRangeFields[];
extern const struct ctl_field ctlPutSimple[];
extern const struct ctl_field ctlPutJson[];
extern const struct ctl_field ctlPutFields[];
extern const struct ctl_field ctlDeleteSimple[];
extern const struct ctl_field ctlDeleteJson[];
extern const struct ctl_field ctlDeleteFields[];

#endif /* ETCFS_TOOLS_CTL_KV_H */
