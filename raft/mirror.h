/* A mirror's stream from above (etcfsd --mirror-of): in place of Raft, the
 * node applies the commands a member or another mirror streams from its
 * feed (feed.h), with the same FSM, so the store is the cluster's. The
 * upstreams are peer addresses, tried in order: on a refused connection, a
 * failed one or FEED_SILENCE_MS without a frame (a stopped upstream) the
 * mirror moves to the next, with back-off, and resumes after the index its
 * store applied; a snapshot replaces the store when the upstream's ring no
 * longer holds that index (the mount is told what changed). Private to
 * raft/ (node.c). Loop thread only. */
#ifndef ETCFS_MIRROR_H
#define ETCFS_MIRROR_H

#include <stdbool.h>
#include <stdint.h>

#include "feed.h"

struct mirror;
struct node;
struct tls_ctx;

#define MIRROR_MAX_UPSTREAMS 8

int mirrorInit(struct mirror **out, struct node *n,
               const char (*upstreams)[300], unsigned n_upstreams,
               char *errmsg);
void mirrorSetTls(struct mirror *m, struct tls_ctx *tls);
void mirrorStart(struct mirror *m);
/* Stops; cb(data) once every handle is closed (m is freed then). */
void mirrorClose(struct mirror *m, void (*cb)(void *data), void *data);

/* Every command up to this index is applied here. */
uint64_t mirrorThrough(const struct mirror *m);
/* The upstream's last marker (leader, term, configuration), or NULL when
 * none arrived on the current connection or it went silent. */
const struct feed_marker *mirrorMarker(const struct mirror *m);
/* The upstream streaming now ("host:port"), "" when none. */
const char *mirrorUpstream(const struct mirror *m);

#endif /* ETCFS_MIRROR_H */
