/* POST /etcfs/v1/mirror {"from": INDEX, "name", "clientURLs", "peerURL"}
 * on the peer port: a mirror below this member (or mirror) streams the
 * applied log from the feed (raft/feed.h), as binary chunks of one chunked
 * response. Only translates between the feed's subscriber and the HTTP
 * stream. And the fleet view of a status answer: the mirrors streaming
 * from here, and on a mirror its upstream and lag. Loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../raft/feed.h"
#include "../core/error.h"
#include "api_internal.h"
#include "codec.h"

struct api_mirror
{
    struct feed_sub sub;
    struct api_req *req;
    /* who it is, as it said */
    char name[NODE_NAME_SIZE];
    char client_urls[NODE_URL_SIZE];
    char peer_url[NODE_URL_SIZE];
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

/* A string field of the request into out ("" when absent or too long). */
static void mirrorWho(json_t *body, const char *field, char *out,
                      size_t size)
{
    const char *v = "";
    size_t len = 0;
    if (codecString(body, field, &v, &len, NULL) != 0 || len >= size) {
        len = 0;
    }
    memcpy(out, v, len);
    out[len] = '\0';
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
    mirrorWho(req->body, "name", am->name, sizeof am->name);
    mirrorWho(req->body, "clientURLs", am->client_urls,
              sizeof am->client_urls);
    mirrorWho(req->body, "peerURL", am->peer_url, sizeof am->peer_url);
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

/* ---- the fleet view of a status answer ---- */

/* A mirror's committed entries not applied yet. */
static uint64_t mirrorLag(const struct node_status *st)
{
    return st->cluster_commit > st->applied_index
               ? st->cluster_commit - st->applied_index
               : 0;
}

static void listMirror(void *data, struct feed_sub *s)
{
    json_t *arr = data;
    struct api_mirror *am = s->data;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(am->name));
    json_object_set_new(o, "clientURLs", json_string(am->client_urls));
    json_object_set_new(o, "peerURL", json_string(am->peer_url));
    codecSetU64(o, "sentIndex", s->next > 0 ? s->next - 1 : 0);
    json_array_append_new(arr, o);
}

void apiStatusFleet(struct api_req *req, const struct node_status *st,
                    json_t *o)
{
    struct feed *f = nodeFeed(req->api->deps.node);
    if (st->is_mirror) {
        json_t *m = json_object();
        json_object_set_new(m, "upstream", json_string(st->upstream));
        codecSetU64(m, "appliedIndex", st->applied_index);
        codecSetU64(m, "clusterCommit", st->cluster_commit);
        codecSetU64(m, "lag", mirrorLag(st));
        json_object_set_new(o, "mirror", m);
    }
    if (feedSubscribers(f) > 0) {
        json_t *arr = json_array();
        feedEach(f, listMirror, arr);
        json_object_set_new(o, "mirrors", arr);
    }
}

/* ---- the fleet in /metrics ---- */

/* A Prometheus label value: \\, \" and \\n escaped. */
static void labelValue(FILE *f, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"') {
            fputc('\\', f);
            fputc(*v, f);
        } else if (*v == '\n') {
            fputs("\\n", f);
        } else {
            fputc(*v, f);
        }
    }
}

static void metricsMirror(void *data, struct feed_sub *s)
{
    FILE *f = data;
    struct api_mirror *am = s->data;
    fputs("etcfs_mirror_downstream_sent_index{name=\"", f);
    labelValue(f, am->name);
    fputs("\",peer_url=\"", f);
    labelValue(f, am->peer_url);
    fprintf(f, "\"} %llu\n",
            (unsigned long long)(s->next > 0 ? s->next - 1 : 0));
}

char *apiMetricsFleet(struct api_req *req, const struct node_status *st)
{
    struct feed *f = nodeFeed(req->api->deps.node);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    unsigned i;
    if (out == NULL) {
        return NULL;
    }
    fprintf(out,
            "# HELP etcfs_mirror_downstreams Mirrors streaming from this "
            "node.\n# TYPE etcfs_mirror_downstreams gauge\n"
            "etcfs_mirror_downstreams %u\n",
            feedSubscribers(f));
    if (feedSubscribers(f) > 0) {
        fputs("# HELP etcfs_mirror_downstream_sent_index The last index "
              "sent to each mirror streaming from this node.\n"
              "# TYPE etcfs_mirror_downstream_sent_index gauge\n",
              out);
        feedEach(f, metricsMirror, out);
    }
    if (st->is_mirror) {
        fputs("# HELP etcfs_mirror_upstream_info The node this mirror "
              "streams from.\n# TYPE etcfs_mirror_upstream_info gauge\n"
              "etcfs_mirror_upstream_info{upstream=\"",
              out);
        labelValue(out, st->upstream);
        fprintf(out,
                "\"} 1\n"
                "# HELP etcfs_mirror_applied_index The last index applied "
                "here.\n# TYPE etcfs_mirror_applied_index gauge\n"
                "etcfs_mirror_applied_index %llu\n"
                "# HELP etcfs_mirror_lag_entries Committed entries not yet "
                "applied here.\n# TYPE etcfs_mirror_lag_entries gauge\n"
                "etcfs_mirror_lag_entries %llu\n",
                (unsigned long long)st->applied_index,
                (unsigned long long)mirrorLag(st));
    }
    fprintf(out,
            "# HELP etcfs_peer_connects_backed_off_total Connections to "
            "unreachable peers not attempted (back-off).\n"
            "# TYPE etcfs_peer_connects_backed_off_total counter\n"
            "etcfs_peer_connects_backed_off_total %llu\n",
            (unsigned long long)st->connects_backed_off);
    if (st->n_down > 0) {
        fputs("# HELP etcfs_member_unreachable_seconds Members the leader "
              "has not heard from for --member-down-after.\n"
              "# TYPE etcfs_member_unreachable_seconds gauge\n",
              out);
    }
    for (i = 0; i < st->n_down; i++) {
        fprintf(out,
                "etcfs_member_unreachable_seconds{member=\"%016llx\","
                "role=\"%s\"} %llu\n",
                (unsigned long long)st->down[i].id,
                st->down[i].is_learner ? "learner" : "voter",
                (unsigned long long)(st->down[i].ms / 1000));
    }
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
