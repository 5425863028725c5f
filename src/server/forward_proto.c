/* What one member asks the leader, both sides: the follower's encoders
 * and answer decoders (used by server.c and leader.c) and the leader's
 * serverServe, which runs the request with forwarded = true (never sent
 * on again) and encodes the answer. A command travels as raft/command.h's
 * bytes and comes back as an envelope {u8 version, i64 status, u64 index}
 * followed by the encoded command_result; the small lease and member
 * requests are JSON objects whose answers carry "status" (an ETCFS code,
 * 0 for success), so the follower gets the leader's code, not an HTTP
 * status to guess from. Loop thread only. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../lib/buf.h"
#include "server_internal.h"

#define PROTO__VERSION 1
#define PROTO__HEAD 17 /* version + status + index */

/* ---- the follower's side ---- */

/* An answer that is not ours (an old member, an HTTP error page): a leader
 * without quorum answers 503. */
static int httpFailure(const struct forward_req *fr)
{
    return fr->http_status == 503 ? ETCFS_NOLEADER : ETCFS_PROTO;
}

int forwardProtoResult(const struct forward_req *fr, uint64_t *index,
                       struct command_result **res)
{
    const uint8_t *p = (const uint8_t *)fr->resp_body;
    int64_t status;
    if (fr->http_status != 200 || fr->resp_len < PROTO__HEAD ||
        p[0] != PROTO__VERSION) {
        return httpFailure(fr);
    }
    status = (int64_t)bufGetU64(p + 1);
    *index = bufGetU64(p + 9);
    if (status != 0) {
        return status > 0 && status < ETCFS__LAST_ ? (int)status
                                                   : ETCFS_PROTO;
    }
    return commandResultDecode(p + PROTO__HEAD, fr->resp_len - PROTO__HEAD,
                               res) == 0
               ? 0
               : ETCFS_PROTO;
}

static json_t *answer(const struct forward_req *fr, int *status)
{
    json_t *root;
    json_t *st;
    if (fr->http_status != 200) {
        *status = httpFailure(fr);
        return NULL;
    }
    root = json_loadb(fr->resp_body, fr->resp_len, 0, NULL);
    st = root != NULL ? json_object_get(root, "status") : NULL;
    if (!json_is_integer(st)) {
        json_decref(root);
        *status = ETCFS_PROTO;
        return NULL;
    }
    *status = (int)json_integer_value(st);
    return root;
}

static int64_t i64Field(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
                             : (int64_t)json_integer_value(v);
}

void forwardProtoLeaseBody(const struct server_lease *q, char *buf,
                           size_t size)
{
    snprintf(buf, size, "{\"ID\":\"%" PRId64 "\"}", q->id);
}

int forwardProtoLeaseAnswer(const struct forward_req *fr,
                            struct server_lease *q)
{
    int status;
    json_t *root = answer(fr, &status);
    if (root == NULL) {
        return status;
    }
    q->ttl = i64Field(root, "TTL");
    q->granted = i64Field(root, "grantedTTL");
    json_decref(root);
    return status;
}

char *forwardProtoMemberBody(const struct server_member *m)
{
    json_t *o = json_object();
    char id[24];
    char *text;
    snprintf(id, sizeof id, "%" PRIu64, m->id);
    json_object_set_new(o, "op", json_integer(m->op));
    json_object_set_new(o, "ID", json_string(id));
    json_object_set_new(o, "peerURL", json_string(m->peer_url));
    json_object_set_new(o, "learner", json_boolean(m->learner));
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

int forwardProtoMemberAnswer(const struct forward_req *fr,
                             struct server_member *m)
{
    int status;
    json_t *root = answer(fr, &status);
    if (root == NULL) {
        return status;
    }
    if (status == 0 && m->op == SERVER_MEMBER_ADD) {
        json_t *v = json_object_get(root, "ID");
        m->id = json_is_string(v) ? strtoull(json_string_value(v), NULL, 10)
                                  : 0;
    }
    json_decref(root);
    return status;
}

/* ---- the leader's side ---- */

static void replyJson(struct server_serve *r, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    r->cb(r, text != NULL ? 200 : 500, "application/json", text,
          text != NULL ? strlen(text) : 0);
}

static json_t *statusJson(int status)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_integer(status));
    return o;
}

static void serveWriteCb(struct server_write *w, int status,
                         struct command_result *res)
{
    struct server_serve *r = w->data;
    void *enc = NULL;
    size_t enc_len = 0;
    char *body;
    if (status == 0 && commandResultEncode(res, &enc, &enc_len) != 0) {
        status = ETCFS_NOMEM;
    }
    commandResultFree(res);
    body = malloc(PROTO__HEAD + enc_len);
    if (body == NULL) {
        free(enc);
        r->cb(r, 500, "application/octet-stream", NULL, 0);
        return;
    }
    body[0] = PROTO__VERSION;
    bufPutU64(body + 1, (uint64_t)(int64_t)status);
    bufPutU64(body + 9, w->index);
    if (enc_len > 0) {
        memcpy(body + PROTO__HEAD, enc, enc_len);
    }
    free(enc);
    r->cb(r, 200, "application/octet-stream", body, PROTO__HEAD + enc_len);
}

static void serveLeaseCb(struct server_lease *q, int status)
{
    struct server_serve *r = q->data;
    json_t *o = statusJson(status);
    char v[24];
    snprintf(v, sizeof v, "%" PRId64, q->ttl);
    json_object_set_new(o, "TTL", json_string(v));
    snprintf(v, sizeof v, "%" PRId64, q->granted);
    json_object_set_new(o, "grantedTTL", json_string(v));
    replyJson(r, o);
}

static void serveMemberCb(struct server_member *m, int status)
{
    struct server_serve *r = m->data;
    json_t *o = statusJson(status);
    char v[24];
    snprintf(v, sizeof v, "%" PRIu64, m->id);
    json_object_set_new(o, "ID", json_string(v));
    replyJson(r, o);
}

static int serveWrite(struct server_serve *r, const char *body, size_t len)
{
    struct command_decoded dec;
    int rv;
    if (commandDecode(body, len, &dec) != 0) {
        return ETCFS_BADJSON;
    }
    memset(&r->write, 0, sizeof r->write);
    r->write.data = r;
    r->write.cb = serveWriteCb;
    r->write.forwarded = true;
    rv = serverWrite(r->s, &r->write, &dec.cmd);
    commandDecodedClear(&dec);
    if (rv != 0) {
        /* refused before the log: that is the answer */
        r->write.index = 0;
        serveWriteCb(&r->write, rv, NULL);
    }
    return 0;
}

static int serveLease(struct server_serve *r, int op, json_t *o)
{
    int rv;
    memset(&r->lease, 0, sizeof r->lease);
    r->lease.data = r;
    r->lease.cb = serveLeaseCb;
    r->lease.op = op;
    r->lease.id = i64Field(o, "ID");
    r->lease.forwarded = true;
    rv = serverLease(r->s, &r->lease);
    if (rv != 0) {
        serveLeaseCb(&r->lease, rv);
    }
    return 0;
}

static int serveMember(struct server_serve *r, json_t *o)
{
    json_t *url = json_object_get(o, "peerURL");
    json_t *id = json_object_get(o, "ID");
    int rv;
    memset(&r->member, 0, sizeof r->member);
    r->member.data = r;
    r->member.cb = serveMemberCb;
    r->member.op = (int)json_integer_value(json_object_get(o, "op"));
    r->member.id =
        json_is_string(id) ? strtoull(json_string_value(id), NULL, 10) : 0;
    r->member.learner = json_is_true(json_object_get(o, "learner"));
    r->member.forwarded = true;
    if (json_is_string(url)) {
        snprintf(r->member.peer_url, sizeof r->member.peer_url, "%s",
                 json_string_value(url));
    }
    rv = serverMember(r->s, &r->member);
    if (rv != 0) {
        serveMemberCb(&r->member, rv);
    }
    return 0;
}

int serverServe(struct server *s, struct server_serve *r, const char *route,
                const char *body, size_t len)
{
    json_t *o;
    int rv;
    r->s = s;
    if (strcmp(route, "propose") == 0) {
        return serveWrite(r, body, len);
    }
    if (strcmp(route, "keepalive") != 0 && strcmp(route, "timetolive") != 0 &&
        strcmp(route, "member") != 0) {
        return ETCFS_BAD_PATH;
    }
    o = json_loadb(body != NULL ? body : "", len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return ETCFS_BADJSON;
    }
    if (strcmp(route, "member") == 0) {
        rv = serveMember(r, o);
    } else {
        rv = serveLease(r, route[0] == 'k' ? SERVER_LEASE_KEEPALIVE
                                           : SERVER_LEASE_TTL,
                        o);
    }
    json_decref(o);
    return rv;
}
