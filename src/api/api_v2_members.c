/* /v2/members as etcd 3.4 serves it: the list (confirmed with the leader
 * first, as the v3 list), the leader, add (201 with the new member), update
 * and remove (204), etcd's {"message"} errors (404 No such member, 409
 * peerURL exists, 415 for a body that is not JSON), through the request
 * path's membership calls as the v3 gateway's. Loop thread only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>

#include "api_v2.h"
#include "../core/error.h"

/* A /v2/members answer (o stolen): its head names only the cluster. */
static void replyMembers(struct api_req *req, int status, json_t *o)
{
    v2ClusterHeader(req);
    v2ReplyJson(req, status, o, -1);
}

/* {"message": text} with status, as etcd's v2 members handlers answer. */
static void replyMessage(struct api_req *req, int status, const char *text)
{
    json_t *o = json_object();
    json_object_set_new(o, "message", json_string(text));
    replyMembers(req, status, o);
}

/* etcd's httptypes.Member */
static json_t *memberV2(const struct node_member *m)
{
    json_t *o = json_object();
    char id[24];
    snprintf(id, sizeof id, "%" PRIx64, m->id);
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "name", json_string(m->name));
    json_object_set_new(o, "peerURLs", codecUrlList(m->peer_url));
    json_object_set_new(o, "clientURLs", codecUrlList(m->client_urls));
    return o;
}

static void membersList(struct api_req *req)
{
    struct node_member *members = NULL;
    size_t n = 0;
    size_t i;
    json_t *arr;
    json_t *o;
    if (nodeMembers(req->api->deps.node, &members, &n) != 0) {
        replyMessage(req, 500, "Internal Server Error");
        return;
    }
    if (strcmp(req->route, "leader") == 0) {
        struct node_status st;
        nodeStatus(req->api->deps.node, &st);
        for (i = 0; i < n && members[i].id != st.leader; i++) {
        }
        if (st.leader == 0 || i == n) {
            free(members);
            replyMessage(req, 503, "During leader election");
            return;
        }
        o = memberV2(&members[i]);
        free(members);
        replyMembers(req, 200, o);
        return;
    }
    arr = json_array();
    for (i = 0; i < n; i++) {
        json_array_append_new(arr, memberV2(&members[i]));
    }
    free(members);
    o = json_object();
    json_object_set_new(o, "members", arr);
    replyMembers(req, 200, o);
}

/* The member list is confirmed with the leader first, as the v3 one. */
static void membersListGate(struct server_read *r, int status)
{
    struct api_req *req = r->data;
    if (status != 0) {
        replyMessage(req, etcfsHttpStatus(status), etcfsStrerror(status));
        return;
    }
    membersList(req);
}

/* etcd's 404 for the member the path names (req->route). */
static void replyNoMember(struct api_req *req)
{
    char text[96];
    snprintf(text, sizeof text, "No such member: %s", req->route);
    replyMessage(req, 404, text);
}

static void memberDone(struct server_member *m, int status)
{
    struct api_req *req = m->data;
    char text[96];
    json_t *o;
    json_t *urls;
    if (status == ETCFS_MEMBER_NOTFOUND) {
        replyNoMember(req);
        return;
    }
    if (status == ETCFS_PEERURL_EXISTS || status == ETCFS_MEMBER_EXISTS) {
        replyMessage(req, 409, "membership: peerURL exists");
        return;
    }
    if (status != 0) {
        replyMessage(req, etcfsHttpStatus(status), etcfsStrerror(status));
        return;
    }
    if (m->op != SERVER_MEMBER_ADD) {
        v2ClusterHeader(req);
        apiReplyRaw(req, 204, "application/json", "", 0);
        return;
    }
    o = json_object();
    snprintf(text, sizeof text, "%" PRIx64, m->id);
    json_object_set_new(o, "id", json_string(text));
    json_object_set_new(o, "name", json_string(""));
    urls = json_object_get(req->body, "peerURLs");
    json_object_set(o, "peerURLs", urls);
    json_object_set_new(o, "clientURLs", json_array());
    replyMembers(req, 201, o);
}

/* The peerURLs of a member request's JSON body, checked as etcd's
 * httptypes.MemberCreateRequest; the first is the one used (etcfs's
 * members have one peer URL). NULL after replying the error. */
static const char *memberPeerUrl(struct api_req *req)
{
    json_error_t jerr;
    json_t *urls;
    const char *first = NULL;
    size_t i;
    char text[ETCFS_ERRMSG_SIZE];
    if (strncasecmp(req->content_type, "application/json", 16) != 0) {
        snprintf(text, sizeof text,
                 "Bad Content-Type %s, accept application/json",
                 req->content_type);
        replyMessage(req, 415, text);
        return NULL;
    }
    json_decref(req->body);
    req->body = json_loadb(req->raw != NULL ? req->raw : "", req->raw_len, 0,
                           &jerr);
    if (req->body == NULL || !json_is_object(req->body)) {
        snprintf(text, sizeof text, "%s",
                 req->body == NULL ? jerr.text : "expected a JSON object");
        json_decref(req->body);
        req->body = json_object();
        replyMessage(req, 400, text);
        return NULL;
    }
    urls = json_object_get(req->body, "peerURLs");
    for (i = 0; json_is_array(urls) && i < json_array_size(urls); i++) {
        const char *u = json_string_value(json_array_get(urls, i));
        if (u == NULL || (strncmp(u, "http://", 7) != 0 &&
                          strncmp(u, "https://", 8) != 0 &&
                          strncmp(u, "unix://", 7) != 0 &&
                          strncmp(u, "unixs://", 8) != 0)) {
            snprintf(text, sizeof text,
                     "URL scheme must be http, https, unix, or unixs: %s",
                     u != NULL ? u : "");
            replyMessage(req, 400, text);
            return NULL;
        }
        if (first == NULL) {
            first = u;
        }
    }
    if (first == NULL) {
        replyMessage(req, 400, "no valid URLs given");
    }
    return first;
}

static void memberChange(struct api_req *req, int op)
{
    const char *url = NULL;
    uint64_t id = 0;
    char *end = NULL;
    int rv;
    if (op != SERVER_MEMBER_REMOVE) {
        url = memberPeerUrl(req);
        if (url == NULL) {
            return;
        }
    }
    if (op != SERVER_MEMBER_ADD) {
        errno = 0;
        id = strtoull(req->route, &end, 16);
        if (req->route[0] == '\0' || errno != 0 || *end != '\0' || id == 0) {
            replyNoMember(req);
            return;
        }
    }
    rv = apiMember(req, op, id, url, false, memberDone);
    if (rv != 0) {
        memberDone(&req->member, rv);
    }
}

void v2Members(struct api_req *req, const char *rest)
{
    int m = req->http_method;
    int rv;
    req->route = rest;
    if (m == HTTP_GET || m == HTTP_HEAD) {
        if (rest[0] != '\0' && strcmp(rest, "leader") != 0) {
            apiReplyRaw(req, 405, "text/plain; charset=utf-8",
                        "Method Not Allowed\n", 19);
            return;
        }
        memset(&req->read, 0, sizeof req->read);
        req->read.data = req;
        req->read.cb = membersListGate;
        rv = serverRead(req->api->deps.server, &req->read, false);
        if (rv != 0) {
            membersListGate(&req->read, rv);
        }
        return;
    }
    if (m == HTTP_POST && rest[0] == '\0') {
        memberChange(req, SERVER_MEMBER_ADD);
    } else if (m == HTTP_DELETE && rest[0] != '\0') {
        memberChange(req, SERVER_MEMBER_REMOVE);
    } else if (m == HTTP_PUT && rest[0] != '\0') {
        memberChange(req, SERVER_MEMBER_UPDATE);
    } else if (m == HTTP_GET || m == HTTP_POST || m == HTTP_DELETE ||
               m == HTTP_PUT) {
        apiReplyRaw(req, 405, "text/plain; charset=utf-8",
                    "Method Not Allowed\n", 19);
    } else {
        v2ReplyMethodNotAllowed(req, "GET,POST,DELETE,PUT");
    }
}
