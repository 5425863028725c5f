/* Inside the request path: the server struct and the wire form of what a
 * member asks the leader (forward_proto.c), shared by server.c (writes,
 * reads) and leader.c (leases, membership). Loop thread only. */
#ifndef ETCFS_SERVER_INTERNAL_H
#define ETCFS_SERVER_INTERNAL_H

#include "authn.h"
#include "quota.h"
#include "server.h"

struct server
{
    struct server_deps deps;
    unsigned inflight; /* writes, lease and member requests started */
    struct authn_tokens *tokens; /* authn.c */
    uint64_t token_seq;
    struct quota quota; /* leaderChecks: the NOSPACE rule's disk check */
    struct compactor *compactor; /* --auto-compaction-*, or NULL */
};

#define FORWARD_PROTO_PROPOSE "/etcfs/v1/propose"
#define FORWARD_PROTO_KEEPALIVE "/etcfs/v1/keepalive"
#define FORWARD_PROTO_TTL "/etcfs/v1/timetolive"
#define FORWARD_PROTO_MEMBER "/etcfs/v1/member"

/* The leader's answer to a forwarded command: its status (0, or why it
 * was not applied), the Raft index it applied at and the result. 0 with
 * *res (the caller frees it), or the error. */
int forwardProtoResult(const struct forward_req *fr, uint64_t *index,
                       struct command_result **res);
/* Lease requests: body into buf (size 96); the answer into q. */
void forwardProtoLeaseBody(const struct server_lease *q, char *buf,
                           size_t size);
int forwardProtoLeaseAnswer(const struct forward_req *fr,
                            struct server_lease *q);
/* Member requests: a malloc'd body (NULL: out of memory); the answer into
 * m (its id for an add). */
char *forwardProtoMemberBody(const struct server_member *m);
int forwardProtoMemberAnswer(const struct forward_req *fr,
                             struct server_member *m);

#endif /* ETCFS_SERVER_INTERNAL_H */
