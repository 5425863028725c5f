/* Member records: each member publishes its name and client URLs into the
 * replicated metadata "member/<id>" once a leader exists (as etcd's
 * publish: the leader proposes it, a follower forwards it to the leader's
 * POST /etcfs/v1/publish), and the leader records the cluster id there once
 * ("cluster_id"). Reading them back serves the member list, the leader's
 * client URLs for forwarding and the voters' URLs for read checks. Loop
 * thread only; never blocks the loop (one small LevelDB read per record,
 * the leader's URLs cached until a record changes). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/log.h"
#include "node_internal.h"
#include "publish.h"

#define PUBLISH__RETRY_MS 1000

/* Parses the "member/<id>" metadata JSON: name and client URLs. */
void publishedAttrs(struct node *n, uint64_t id, char *name,
                    size_t name_size, char *urls, size_t urls_size)
{
    char meta[64];
    char *value = NULL;
    size_t len = 0;
    json_t *root;
    json_t *arr;
    size_t i;
    size_t off = 0;
    name[0] = '\0';
    urls[0] = '\0';
    snprintf(meta, sizeof meta, "member/%016llx", (unsigned long long)id);
    if (storeMetaGet(n->store, meta, strlen(meta), &value, &len, NULL) != 0) {
        return;
    }
    root = json_loadb(value, len, 0, NULL);
    free(value);
    if (root == NULL) {
        return;
    }
    if (json_is_string(json_object_get(root, "name"))) {
        snprintf(name, name_size, "%s",
                 json_string_value(json_object_get(root, "name")));
    }
    arr = json_object_get(root, "clientURLs");
    for (i = 0; json_is_array(arr) && i < json_array_size(arr); i++) {
        const char *u = json_string_value(json_array_get(arr, i));
        int w;
        if (u == NULL) {
            continue;
        }
        w = snprintf(urls + off, urls_size - off, "%s%s", off > 0 ? "," : "",
                     u);
        if (w < 0 || (size_t)w >= urls_size - off) {
            break;
        }
        off += (size_t)w;
    }
    json_decref(root);
}

void publishedClientUrls(struct node *n, uint64_t id, char *buf,
                         size_t size)
{
    char name[NODE_NAME_SIZE];
    publishedAttrs(n, id, name, sizeof name, buf, size);
}

int nodeLeaderPeerAddress(struct node *n, char *buf, size_t size)
{
    uint64_t leader = 0;
    const char *address = NULL;
    if (!n->started || n->closing) {
        return ETCFS_NOLEADER;
    }
    nodeLeader(n, &leader, &address);
    if (leader == 0 || address == NULL || strlen(address) >= size) {
        return ETCFS_NOLEADER;
    }
    memcpy(buf, address, strlen(address) + 1);
    return 0;
}

int nodeLeaderClientUrls(struct node *n, char *buf, size_t size)
{
    uint64_t leader = 0;
    const char *address = NULL;
    char name[NODE_NAME_SIZE];
    if (!n->started || n->closing) {
        return ETCFS_NOLEADER;
    }
    nodeLeader(n, &leader, &address);
    if (leader == 0) {
        return ETCFS_NOLEADER;
    }
    /* Every forwarded request asks: read the member record (LevelDB + JSON)
     * only when the leader or a member record changed. */
    if (leader != n->leader_urls_id || n->meta_gen != n->leader_urls_gen) {
        publishedAttrs(n, leader, name, sizeof name, n->leader_urls,
                       sizeof n->leader_urls);
        n->leader_urls_id = leader;
        n->leader_urls_gen = n->meta_gen;
    }
    if (n->leader_urls[0] == '\0' || strlen(n->leader_urls) >= size) {
        return ETCFS_NOLEADER;
    }
    memcpy(buf, n->leader_urls, strlen(n->leader_urls) + 1);
    return 0;
}

/* ---- Self publication: name and client URLs into "member/<id>". ---- */

static char *publishJson(struct node *n, bool with_id)
{
    json_t *root = json_object();
    json_t *urls = json_array();
    json_t *peers = json_array();
    char tmp[NODE_URL_SIZE];
    char *tok;
    char *save = NULL;
    char id[32];
    char *out;
    snprintf(tmp, sizeof tmp, "%s", n->cfg.client_urls);
    for (tok = strtok_r(tmp, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        json_array_append_new(urls, json_string(tok));
    }
    json_array_append_new(peers, json_string(n->cfg.peer_url));
    if (with_id) {
        snprintf(id, sizeof id, "%llu", (unsigned long long)n->cfg.id);
        json_object_set_new(root, "ID", json_string(id));
    }
    json_object_set_new(root, "name", json_string(n->cfg.name));
    json_object_set_new(root, "clientURLs", urls);
    json_object_set_new(root, "peerURLs", peers);
    out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return out;
}

/* True when the store already holds our current name and client URLs. */
static bool publishDone(struct node *n)
{
    char name[NODE_NAME_SIZE];
    char urls[NODE_URL_SIZE];
    publishedAttrs(n, n->cfg.id, name, sizeof name, urls, sizeof urls);
    return strcmp(name, n->cfg.name) == 0 &&
           strcmp(urls, n->cfg.client_urls) == 0;
}

static void publishProposeCb(struct node_propose *req, int status,
                             struct command_result *result)
{
    struct node *n = req->data;
    commandResultFree(result);
    n->publish_inflight = false;
    if (status != 0) {
        debugf("publish: %s", etcfsStrerror(status));
    }
    free(req);
}

static void publishForwardCb(struct forward_req *req, int status)
{
    struct node *n = req->data;
    n->publish_inflight = false;
    if (status != 0 || req->http_status != 200) {
        debugf("publish via leader: %s (http %d)", etcfsStrerror(status),
               req->http_status);
    }
    forwardReqClear(req);
}

static void proposeMeta(struct node *n, const char *name, const char *value)
{
    struct node_propose *req = calloc(1, sizeof *req);
    struct command cmd;
    if (req == NULL) {
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_META;
    cmd.meta.name = name;
    cmd.meta.name_len = strlen(name);
    cmd.meta.value = value;
    cmd.meta.value_len = value != NULL ? strlen(value) : 0;
    req->data = n;
    req->cb = publishProposeCb;
    if (nodePropose(n, req, &cmd) != 0) {
        free(req);
        return;
    }
    n->publish_inflight = true;
}

void nodePublishSelf(struct node *n)
{
    uint64_t now = nodeNowMs(n);
    char *json;
    char meta[64];
    if (n->publish_inflight || n->closing || !nodeHasLeader(n)) {
        return;
    }
    if (n->published_at != 0 && now - n->published_at < PUBLISH__RETRY_MS) {
        return;
    }
    if (publishDone(n)) {
        n->published = true;
        return;
    }
    n->published_at = now;
    if (nodeIsLeader(n)) {
        json = publishJson(n, false);
        if (json == NULL) {
            return;
        }
        snprintf(meta, sizeof meta, "member/%016llx",
                 (unsigned long long)n->cfg.id);
        proposeMeta(n, meta, json);
        free(json);
        return;
    }
    if (n->fwd == NULL) {
        return;
    }
    json = publishJson(n, true);
    if (json == NULL) {
        return;
    }
    snprintf(n->publish_body, sizeof n->publish_body, "%s", json);
    free(json);
    memset(&n->publish_req, 0, sizeof n->publish_req);
    n->publish_req.data = n;
    n->publish_req.cb = publishForwardCb;
    n->publish_req.path = "/etcfs/v1/publish";
    n->publish_req.body = n->publish_body;
    n->publish_req.body_len = strlen(n->publish_body);
    if (forwardSend(n->fwd, &n->publish_req) == 0) {
        n->publish_inflight = true;
    }
}

/* The leader records the cluster id in the replicated metadata once, so
 * members that join later learn it instead of computing their own. */
static void clusterIdTick(struct node *n)
{
    char *value = NULL;
    size_t len = 0;
    char buf[32];
    if (storeMetaGet(n->store, "cluster_id", 10, &value, &len, NULL) == 0) {
        if (len < sizeof buf) {
            memcpy(buf, value, len);
            buf[len] = '\0';
            n->cluster_id = strtoull(buf, NULL, 16);
        }
        free(value);
        return;
    }
    if (nodeIsLeader(n) && !n->publish_inflight) {
        snprintf(buf, sizeof buf, "%016llx",
                 (unsigned long long)n->cluster_id);
        proposeMeta(n, "cluster_id", buf);
    }
}

void publishLeaderChanged(struct node *n)
{
    n->published = false;
    n->published_at = 0;
}

void publishTick(struct node *n)
{
    if (!n->published) {
        nodePublishSelf(n);
    }
    clusterIdTick(n);
}
