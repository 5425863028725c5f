/* POST /etcfs/v1/mirror {"from": INDEX} on the peer port: a mirror below
 * this member (or mirror) streams the applied log from the feed
 * (raft/feed.h), as binary chunks of one chunked response. Only translates
 * between the feed's subscriber and the HTTP stream. Loop thread. */
#include <stdlib.h>

#include "../../raft/feed.h"
#include "../core/error.h"
#include "api_internal.h"
#include "codec.h"

struct api_mirror
{
    struct feed_sub sub;
    struct api_req *req;
};

static int mirrorSend(struct feed_sub *s, char *bytes, size_t len)
{
    struct api_mirror *am = s->data;
    return apiStreamBytes(am->req, 200, bytes, len);
}

static size_t mirrorQueued(struct feed_sub *s)
{
    struct api_mirror *am = s->data;
    return apiStreamQueued(am->req);
}

/* The feed gave up on it (fell behind, closing): end the response; the
 * mirror reconnects. */
static void mirrorEnd(struct feed_sub *s, int status)
{
    struct api_mirror *am = s->data;
    (void)status;
    apiStreamEnd(am->req); /* mirrorStreamEnd frees am */
}

/* The stream ended (the mirror went, or mirrorEnd). */
static void mirrorStreamEnd(struct api_req *req)
{
    struct api_mirror *am = req->ctx;
    req->ctx = NULL;
    if (am != NULL) {
        feedUnsubscribe(&am->sub);
        free(am);
    }
}

void apiInternalMirror(struct api_req *req)
{
    struct feed *f = nodeFeed(req->api->deps.node);
    struct api_mirror *am;
    uint64_t from = 0;
    int rv;
    if (codecUint64(req->body, "from", &from, NULL) != 0) {
        apiReplyError(req, ETCFS_BADJSON, "mirror: from required");
        return;
    }
    if (f == NULL) {
        apiReplyError(req, ETCFS_SHUTDOWN, NULL);
        return;
    }
    am = calloc(1, sizeof *am);
    if (am == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    am->req = req;
    am->sub.data = am;
    am->sub.send = mirrorSend;
    am->sub.queued = mirrorQueued;
    am->sub.end = mirrorEnd;
    req->ctx = am;
    apiStreamBegin(req, mirrorStreamEnd);
    rv = feedSubscribe(f, &am->sub, from);
    if (rv != 0) {
        apiStreamEnd(req);
    }
}
