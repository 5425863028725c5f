/* --join and --leave (daemon_join.h). Main thread, before the loop serves
 * (join) or after it stopped (leave): blocking libcurl and stdio are fine. */
#include "daemon_join.h"

#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_datadir.h"

#include "../core/error.h"
#include "../lib/buf.h"
#include "../lib/log.h"

#define JOIN__TIMEOUT_S 10L

struct join_http
{
    const struct config *cfg;
    char token[512]; /* etcd auth token once --join-user authenticated */
};

static size_t writeCb(char *p, size_t size, size_t n, void *data)
{
    struct buf *b = data;
    return bufAppend(b, p, size * n) == 0 ? size * n : 0;
}

/* POST url+path with a JSON body; *out the JSON answer of a 200. */
static int post(struct join_http *h, const char *url, const char *path,
                const char *body, json_t **out, char *errmsg)
{
    const struct config *cfg = h->cfg;
    struct curl_slist *hdr = NULL;
    struct buf resp = {0};
    char full[1200];
    char auth[600];
    long status = 0;
    CURLcode rc;
    CURL *c = curl_easy_init();
    int rv = 0;

    *out = NULL;
    if (c == NULL) {
        etcfsErrmsgf(errmsg, "join: out of memory");
        return ETCFS_NOMEM;
    }
    snprintf(full, sizeof full, "%s%s", url, path);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (h->token[0] != '\0') {
        snprintf(auth, sizeof auth, "Authorization: %s", h->token);
        hdr = curl_slist_append(hdr, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, JOIN__TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, writeCb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    if (cfg->trusted_ca_file[0] != '\0') {
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->trusted_ca_file);
    }
    if (cfg->cert_file[0] != '\0' && cfg->key_file[0] != '\0') {
        curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->cert_file);
        curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->key_file);
    }
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        etcfsErrmsgf(errmsg, "join %s: %s", full, curl_easy_strerror(rc));
        rv = ETCFS_UNHEALTHY;
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (bufAppendByte(&resp, '\0') != 0) {
        rv = ETCFS_NOMEM;
        etcfsErrmsgf(errmsg, "join: out of memory");
        goto out;
    }
    *out = json_loads(resp.data, 0, NULL);
    if (status != 200 || *out == NULL) {
        const char *msg = NULL;
        if (*out != NULL) {
            msg = json_string_value(json_object_get(*out, "error"));
        }
        etcfsErrmsgf(errmsg, "join %s: HTTP %ld: %s", full, status,
                     msg != NULL ? msg : resp.data);
        json_decref(*out);
        *out = NULL;
        rv = status == 401 || status == 403 ? ETCFS_PERMISSION_DENIED
                                            : ETCFS_INVALID;
    }
out:
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    bufFree(&resp);
    return rv;
}

/* --join-user "name:password": an etcd token for the member add. */
static int authenticate(struct join_http *h, const char *url, char *errmsg)
{
    const char *up = h->cfg->join_user;
    const char *colon = strchr(up, ':');
    json_t *req;
    json_t *resp = NULL;
    char *body;
    int rv;
    if (up[0] == '\0') {
        return 0;
    }
    if (colon == NULL) {
        etcfsErrmsgf(errmsg, "--join-user: want NAME:PASSWORD");
        return ETCFS_INVALID;
    }
    req = json_pack("{s:s%, s:s}", "name", up, (size_t)(colon - up),
                    "password", colon + 1);
    body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (body == NULL) {
        etcfsErrmsgf(errmsg, "join: out of memory");
        return ETCFS_NOMEM;
    }
    rv = post(h, url, "/v3/auth/authenticate", body, &resp, errmsg);
    free(body);
    if (rv == 0) {
        const char *t = json_string_value(json_object_get(resp, "token"));
        if (t == NULL || strlen(t) >= sizeof h->token) {
            etcfsErrmsgf(errmsg, "join: no token in the authenticate answer");
            rv = ETCFS_PROTO;
        } else {
            snprintf(h->token, sizeof h->token, "%s", t);
        }
    }
    json_decref(resp);
    return rv;
}

static uint64_t idOf(const json_t *member)
{
    const char *s = json_string_value(json_object_get(member, "ID"));
    return s != NULL ? strtoull(s, NULL, 10) : 0;
}

static const char *firstPeerUrl(const json_t *member)
{
    return json_string_value(
        json_array_get(json_object_get(member, "peerURLs"), 0));
}

/* The member whose first peer URL is ours in a list answer, or NULL. */
static const json_t *findSelf(const json_t *members, const char *peer)
{
    size_t i;
    const json_t *m;
    json_array_foreach (members, i, m) {
        const char *u = firstPeerUrl(m);
        if (u != NULL && strcmp(u, peer) == 0) {
            return m;
        }
    }
    return NULL;
}

/* cfg's initial cluster from the members answered (ours under our name;
 * members that never started have no name yet and are left out). A
 * joining member needs only itself in it (the cluster's configuration
 * comes from the leader), so beyond CONFIG_MAX_MEMBERS the others are
 * left out too. */
static int fillCluster(struct config *cfg, const json_t *members,
                       uint64_t self, char *errmsg)
{
    size_t i;
    const json_t *m;
    cfg->n_initial_cluster = 0;
    json_array_foreach (members, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *peer = firstPeerUrl(m);
        struct config_member *cm;
        if (idOf(m) == self) {
            name = cfg->name;
        }
        if (name == NULL || name[0] == '\0' || peer == NULL) {
            continue;
        }
        if (cfg->n_initial_cluster == CONFIG_MAX_MEMBERS - 1 &&
            idOf(m) != self) {
            continue; /* the last place is kept for this member */
        }
        cm = &cfg->initial_cluster[cfg->n_initial_cluster];
        snprintf(cm->name, sizeof cm->name, "%s", name);
        if (configParseUrl(peer, &cm->peer, errmsg) != 0) {
            etcfsErrmsgWrapf(errmsg, "join: member %s", name);
            return ETCFS_INVALID;
        }
        cfg->n_initial_cluster++;
    }
    return 0;
}

/* Adds this member as a learner through url; on success fills cfg and id. */
static int joinVia(struct join_http *h, struct config *cfg, const char *url,
                   uint64_t *id, char *errmsg)
{
    const char *peer = cfg->advertise_peer.text;
    json_t *resp = NULL;
    json_t *req;
    char *body;
    int rv = authenticate(h, url, errmsg);
    if (rv != 0) {
        return rv;
    }
    req = json_pack("{s:[s], s:b}", "peerURLs", peer, "isLearner", 1);
    body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (body == NULL) {
        etcfsErrmsgf(errmsg, "join: out of memory");
        return ETCFS_NOMEM;
    }
    rv = post(h, url, "/v3/cluster/member/add", body, &resp, errmsg);
    free(body);
    if (rv == ETCFS_INVALID) {
        /* added before (a join that stopped before its data dir was
         * written): take that member if it never started */
        char why[ETCFS_ERRMSG_SIZE];
        const json_t *m;
        snprintf(why, sizeof why, "%s", errmsg);
        if (post(h, url, "/v3/cluster/member/list", "{}", &resp, errmsg) !=
            0) {
            snprintf(errmsg, ETCFS_ERRMSG_SIZE, "%s", why);
            return rv;
        }
        m = findSelf(json_object_get(resp, "members"), peer);
        if (m == NULL || json_string_length(json_object_get(m, "name")) > 0) {
            snprintf(errmsg, ETCFS_ERRMSG_SIZE, "%s", why);
            json_decref(resp);
            return rv;
        }
        *id = idOf(m);
        rv = 0;
    } else if (rv == 0) {
        *id = idOf(json_object_get(resp, "member"));
    }
    if (rv == 0 && *id == 0) {
        etcfsErrmsgf(errmsg, "join %s: no member id in the answer", url);
        rv = ETCFS_PROTO;
    }
    if (rv == 0) {
        rv = fillCluster(cfg, json_object_get(resp, "members"), *id, errmsg);
    }
    json_decref(resp);
    return rv;
}

static int rmEntry(const char *path, const struct stat *st, int flag,
                   struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

int daemonJoin(struct config *cfg, uint64_t *id, char *errmsg)
{
    struct join_http h;
    char member[4200];
    char left[4200];
    char sub[4200];
    unsigned i;
    int rv = ETCFS_UNHEALTHY;

    snprintf(member, sizeof member, "%s/member", cfg->data_dir);
    snprintf(left, sizeof left, "%s/member.left", cfg->data_dir);
    if (exists(member)) {
        return 0; /* a member's data dir: restart as it is */
    }
    if (exists(left)) {
        if (cfg->n_join == 0) {
            etcfsErrmsgf(errmsg,
                         "%s: this member left its cluster (--leave); start "
                         "with --join to join again, or use a new data dir",
                         cfg->data_dir);
            return ETCFS_INVALID;
        }
        /* the old Raft log and store belong to the member that left */
        daemonRaftDir(cfg, sub, sizeof sub);
        (void)nftw(sub, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
        snprintf(sub, sizeof sub, "%s/store", cfg->data_dir);
        (void)nftw(sub, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
        (void)unlink(left);
        infof("%s: the data of the member that left was removed",
              cfg->data_dir);
    }
    if (cfg->n_join == 0) {
        return 0;
    }
    memset(&h, 0, sizeof h);
    h.cfg = cfg;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (i = 0; i < cfg->n_join; i++) {
        rv = joinVia(&h, cfg, cfg->join[i].text, id, errmsg);
        if (rv == 0) {
            break;
        }
        warnf("%s", errmsg);
        if (rv == ETCFS_PERMISSION_DENIED) {
            break; /* the next member would say the same */
        }
    }
    curl_global_cleanup();
    if (rv != 0) {
        return rv;
    }
    cfg->initial_cluster_state = CONFIG_CLUSTER_EXISTING;
    infof("joined as learner %016llx (%u members known)",
          (unsigned long long)*id, cfg->n_initial_cluster);
    return 0;
}

void daemonLeft(const struct config *cfg)
{
    char member[4200];
    char left[4200];
    snprintf(member, sizeof member, "%s/member", cfg->data_dir);
    snprintf(left, sizeof left, "%s/member.left", cfg->data_dir);
    if (rename(member, left) != 0) {
        warnf("mark %s as left: %s", cfg->data_dir, strerror(errno));
    }
}
