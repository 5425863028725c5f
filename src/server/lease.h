/* The lease table (etcd's lessor): granted TTLs as replicated, and, on the
 * leader, the deadline of each lease. Expiry is decided by the leader alone
 * and enters the log as a revoke proposed through a callback the daemon
 * wires to the node, so every member deletes the keys at the same revision.
 * A new leader restarts every deadline at now + TTL, as etcd 3.4 does.
 * Loop thread only; the expiry scan revokes a capped number per tick. */
#ifndef ETCFS_LEASE_H
#define ETCFS_LEASE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../store/store.h"

#define LEASE_MAX_TTL 9000000000LL /* etcd's MaxLeaseTTL */
#define LEASE_MIN_TTL_DEFAULT 3    /* etcd: minTTL = 3 * heartbeat... ; seconds */

struct lessor;

/* Asks for a revoke of 'id' to be proposed (leader). Fire and forget: the
 * table is updated when the revoke is applied. */
typedef void (*lessor_revoke_fn)(void *data, int64_t id);

/* store borrowed until close. min_ttl: granted TTLs below it are raised to
 * it (etcd: ceil(3 * election timeout / 2) seconds... we use election). */
int lessorInit(struct lessor **out, uv_loop_t *loop, struct store *store,
               int64_t min_ttl, lessor_revoke_fn revoke, void *data,
               char *errmsg);
/* Reloads every lease from the store (start, after a snapshot restore). */
int lessorLoad(struct lessor *l, char *errmsg);
/* Apply hooks (every member). */
void lessorGranted(struct lessor *l, int64_t id, int64_t ttl);
void lessorRevoked(struct lessor *l, int64_t id);
/* Leadership hooks: promote restarts every deadline at now + TTL and starts
 * the expiry timer; demote stops it. */
void lessorPromote(struct lessor *l);
void lessorDemote(struct lessor *l);
/* Leader: renews the lease; *ttl = its granted TTL. ETCFS_LEASE_NOTFOUND. */
int lessorKeepAlive(struct lessor *l, int64_t id, int64_t *ttl);
/* Remaining seconds (leader: from its deadline; follower: granted TTL, as
 * it has no deadline) and granted TTL. ETCFS_LEASE_NOTFOUND. */
int lessorTimeToLive(struct lessor *l, int64_t id, int64_t *remaining,
                     int64_t *granted);
bool lessorExists(struct lessor *l, int64_t id);
/* A fresh random positive id not in use (leader, before proposing a grant
 * with ID 0). */
int64_t lessorNewId(struct lessor *l);
/* Clamp a requested TTL to the minimum. */
int64_t lessorClampTtl(struct lessor *l, int64_t ttl);
/* ids of all leases, malloc'd array the caller frees. */
int lessorList(struct lessor *l, int64_t **ids, size_t *n);
/* Sorts leases (borrowed) as etcd 3.4's lessor.Leases lists them: by
 * expiry (leader: deadline; a follower, which has none: granted TTL),
 * then by id. */
void lessorSortByExpiry(struct lessor *l, struct store_lease *leases,
                        size_t n);

typedef void (*lessor_close_cb)(struct lessor *l, void *data);
void lessorClose(struct lessor *l, lessor_close_cb cb, void *data);

#endif /* ETCFS_LEASE_H */
