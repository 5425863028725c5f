/* Member -> member HTTP requests: a forwarded write, a read index, a leader
 * check, a publication, sent to the current leader's (or one member's)
 * peer port over a small pool of keep-alive connections on the loop, plain
 * or under peer TLS, and the status and body handed back untouched. Loop
 * thread only; never blocks. */
#ifndef ETCFS_FORWARD_H
#define ETCFS_FORWARD_H

#include <stddef.h>
#include <sys/socket.h>
#include <uv.h>

#include "../src/lib/queue.h"

struct forward;
struct node;
struct tls_ctx;

struct forward_req;
/* status: 0 (http_status/body valid), ETCFS_NOLEADER (no leader or its
 * URL unknown), ETCFS_TIMEOUT, ETCFS_PROTO (bad response), ETCFS_CANCELED. */
typedef void (*forward_cb)(struct forward_req *req, int status);
struct forward_req
{
    void *data;
    forward_cb cb;
    const char *path;  /* borrowed until cb, e.g. "/v3/kv/put" */
    const char *body;  /* borrowed until cb */
    size_t body_len;
    unsigned timeout_ms; /* 0 = 5000 */
    /* out, valid in cb when status == 0; body owned by the request and
     * freed by forwardReqClear() */
    int http_status;
    char *resp_body;
    size_t resp_len;
    /* private */
    queue link;
    void *conn;
};
void forwardReqClear(struct forward_req *req);

/* node is borrowed (used to find the leader's client URL). */
int forwardInit(struct forward **out, uv_loop_t *loop, struct node *node,
                char *errmsg);
/* Returns 0 (cb fires exactly once) or ETCFS_NOLEADER / ETCFS_NOMEM. */
int forwardSend(struct forward *f, struct forward_req *req);
/* The same to another member, by its peer address ("host:port"). */
int forwardSendTo(struct forward *f, const char *to, struct forward_req *req);
/* Peer TLS: the client context (borrowed until close), or NULL. */
void forwardSetTls(struct forward *f, struct tls_ctx *tls);
typedef void (*forward_close_cb)(struct forward *f, void *data);
void forwardClose(struct forward *f, forward_close_cb cb, void *data);

#endif /* ETCFS_FORWARD_H */
