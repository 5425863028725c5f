/* The request path every front end calls: the JSON gateway (src/api/), the
 * mount (fuse/) and, next, gRPC. Requests come in their protocol-free form
 * (raft/command.h commands, store requests, lease and member ids) and
 * results go out the same way; each front end only translates its wire
 * format. This module decides where a request runs:
 *   - writes (put, deleterange, txn, compaction, lease grant/revoke) are
 *     proposed on the leader, or forwarded to it as a binary command
 *     (POST /etcfs/v1/propose) whose binary result comes back, retried once
 *     across a leader change;
 *   - reads pass the linearizable read gate (raft/read.c) unless
 *     serializable, then read the local store;
 *   - what only the leader knows (lease deadlines) or does (membership
 *     changes, leadership transfer) runs there or is forwarded in the same
 *     protocol-free form (/etcfs/v1/keepalive, timetolive, member).
 * NOSPACE, the txn size limit, lease id and TTL rules and the write
 * timestamps are decided here, once for every front end.
 *
 * Loop thread only; never blocks. Requests are caller-owned structs
 * (STYLE.md 4): they live until their callback, which fires exactly once
 * when the starting call returned 0 (ETCFS_CANCELED when the server
 * closes first), never when it returned an error. */
#ifndef ETCFS_SERVER_H
#define ETCFS_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../../raft/command.h"
#include "../../raft/forward.h"
#include "../../raft/node.h"
#include "../core/config.h"
#include "../core/metrics.h"
#include "../lib/queue.h"
#include "lease.h"

struct server;

/* The etcd version every front end reports (status, /version). */
#define SERVER_ETCD_VERSION "3.4.0"

/* Everything the request path talks to; borrowed until serverClose. */
struct server_deps
{
    uv_loop_t *loop;
    struct store *store;
    struct node *node;
    struct forward *forward;
    struct lessor *lessor;
    struct metrics *metrics;
    const struct config *config;
};

int serverInit(struct server **out, const struct server_deps *deps,
               char *errmsg);
/* Fails every request still in flight with ETCFS_CANCELED and frees the
 * server. */
void serverClose(struct server *s);
/* Writes, lease and member requests started and not answered yet
 * (etcd_server_proposals_pending). */
unsigned serverPending(const struct server *s);

/* ---- writes ---- */
struct server_write;
/* status: 0 with res (transferred: commandResultFree) whose res->status is
 * the request-level outcome (ETCFS_LEASE_NOTFOUND, ETCFS_COMPACTED...), or
 * a transport error (ETCFS_NOLEADER, ETCFS_TIMEOUT, ETCFS_NOSPACE,
 * ETCFS_CANCELED...) with res NULL. */
typedef void (*server_write_cb)(struct server_write *w, int status,
                                struct command_result *res);
struct server_write
{
    void *data;
    server_write_cb cb;
    /* Came from another member's forward: never forward it again. */
    bool forwarded;
    /* Return only once this member has applied it too (the mount: a read
     * on this member right after close() sees the write). */
    bool local_apply;
    /* out, with status 0: the Raft index the command applied at */
    uint64_t index;
    /* private */
    struct server *s;
    struct node_propose propose;
    struct forward_req fwd;
    struct node_read wait;
    struct command_result *res;
    void *body; /* the encoded command (forwarding, auth retries) */
    size_t body_len;
    unsigned tries;
    bool auth_retried;
};
/* Proposes cmd (borrowed for the call only; its puts without a time are
 * stamped in place with this member's clock, its user's auth revision
 * with this member's, and a command refused at apply because the auth
 * state changed since is proposed once more at the new revision). Returns 0, or a request
 * error decided before the log (ETCFS_TOO_MANY_OPS, ETCFS_NOSPACE,
 * ETCFS_INVALID, ETCFS_NOMEM, ETCFS_NOTLEADER when forwarded). */
int serverWrite(struct server *s, struct server_write *w,
                struct command *cmd);

/* The lease grant command for (id, ttl) as etcd decides it: id 0 picks a
 * fresh one, an existing id is ETCFS_LEASE_EXISTS, a negative one
 * ETCFS_INVALID, ttl over the maximum ETCFS_LEASE_TTL_TOO_LARGE, below
 * the minimum raised to it. Fills cmd (no pointers into anything). */
int serverLeaseGrantCommand(struct server *s, int64_t id, int64_t ttl,
                            struct command *cmd);
/* Orders a lease list (borrowed) as etcd lists leases: by expiry, as this
 * member knows it (lessorSortByExpiry). */
void serverLeaseSort(struct server *s, struct store_lease *leases, size_t n);
/* Seconds lease id has left as this member knows it (the leader: from its
 * deadline; another member: the granted TTL), without asking the leader:
 * 0 or ETCFS_LEASE_NOTFOUND. */
int serverLeaseRemaining(struct server *s, int64_t id, int64_t *remaining);

/* ---- reads ---- */
struct server_read;
typedef void (*server_read_cb)(struct server_read *r, int status);
struct server_read
{
    void *data;
    server_read_cb cb;
    /* private */
    struct node_read read;
};
/* cb(0) once the local store may serve a read: when serializable at once,
 * before serverRead returns; else after the read gate. */
int serverRead(struct server *s, struct server_read *r, bool serializable);

/* ---- leases: deadlines live on the leader ---- */
enum { SERVER_LEASE_KEEPALIVE = 1, SERVER_LEASE_TTL };
struct server_lease;
/* status 0: ttl/granted filled (an unknown lease: ETCFS_LEASE_NOTFOUND).
 * On the leader a keep-alive is answered before serverLease returns. */
typedef void (*server_lease_cb)(struct server_lease *q, int status);
struct server_lease
{
    void *data;
    server_lease_cb cb;
    int op; /* SERVER_LEASE_* */
    int64_t id;
    bool forwarded;
    /* out */
    int64_t ttl;     /* keep-alive: granted TTL; TTL: remaining seconds */
    int64_t granted; /* TTL: granted TTL */
    /* private */
    struct server *s;
    struct node_read read;
    struct forward_req fwd;
    char body[96];
};
int serverLease(struct server *s, struct server_lease *q);

/* ---- membership and leadership (on the leader) ---- */
enum {
    SERVER_MEMBER_ADD = 1,
    SERVER_MEMBER_REMOVE,
    SERVER_MEMBER_PROMOTE,
    SERVER_MEMBER_UPDATE,
    SERVER_MOVE_LEADER
};
struct server_member;
typedef void (*server_member_cb)(struct server_member *m, int status);
struct server_member
{
    void *data;
    server_member_cb cb;
    int op;                       /* SERVER_MEMBER_* */
    uint64_t id;                  /* member (in: all but add; out: add) */
    char peer_url[NODE_URL_SIZE]; /* add, update */
    bool learner;                 /* add */
    bool forwarded;
    /* private */
    struct server *s;
    struct node_change change;
    struct forward_req fwd;
    char *body;
};
int serverMember(struct server *s, struct server_member *m);
/* After a membership change by this member's serverMember succeeded:
 * true when r's callback will fire once this member's member list shows
 * the change (whatever its status: the change is done, answer the list
 * anyway); false when the list may be read at once (this member leads, or
 * no read gate could start). r as for serverRead. */
bool serverMemberSettle(struct server *s, struct server_read *r);

/* ---- the leader's side of forwarding ----
 * A member's request to the leader (POST /etcfs/v1/<route>: "propose",
 * "keepalive", "timetolive", "member"), served here: body in, reply body
 * out (transferred to cb: free it). The API's HTTP server carries both. */
struct server_serve;
typedef void (*server_serve_cb)(struct server_serve *r, int http_status,
                                const char *content_type, char *body,
                                size_t len);
struct server_serve
{
    void *data;
    server_serve_cb cb;
    /* private */
    struct server *s;
    union {
        struct server_write write;
        struct server_lease lease;
        struct server_member member;
    };
};
/* Returns 0 (cb fires once) or ETCFS_BAD_PATH / ETCFS_BADJSON when the
 * route or body is not one (then nothing was started). */
int serverServe(struct server *s, struct server_serve *r, const char *route,
                const char *body, size_t len);

#endif /* ETCFS_SERVER_H */
