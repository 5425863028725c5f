/* Wiring and lifecycle of etcfsd. Creates the data dir and checks it
 * belongs to this member (daemon_datadir.c), builds the TLS contexts
 * (daemon_tls.c), opens the store, starts the Raft node, the lease table,
 * the watch hub, the forwarder and the API, tells systemd READY=1 once the
 * member serves (it knows a leader and caught up with the commit index it
 * saw at start) and the mount, if any, is up, and on SIGTERM/SIGINT closes
 * mount, api, node, forwarder, hub, lessor, request path, TLS contexts and
 * store in that order, each after the previous one drained. The one file
 * that knows every module. Loop thread. */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#include "../../fuse/mount.h"
#include "../../raft/forward.h"
#include "../../raft/node.h"
#include "../api/api.h"
#include "../grpc/grpc.h"
#include "../core/error.h"
#include "../server/lease.h"
#include "../server/authn.h"
#include "../server/server.h"
#include "../lib/log.h"
#include "../core/metrics.h"
#include "../store/store.h"
#include "../server/watch.h"
#include "daemon_datadir.h"
#include "daemon_handoff.h"
#include "daemon_join.h"
#include "daemon_tls.h"
#include "daemon_upkeep.h"

#define DAEMON__READY_POLL_MS 20

struct daemon
{
    uv_loop_t loop;
    const struct config *cfg;
    char store_dir[4200];
    char raft_dir[4200];
    struct store *store;
    struct node *node;
    struct node *closed_node;
    struct forward *fwd;
    struct lessor *lessor;
    struct watch_hub *hub;
    struct api *api;
    struct grpc *grpc;
    struct server *server; /* the request path */
    struct daemon_tls tls; /* client listeners, peer port (daemon_tls.c) */
    struct config *joined_cfg; /* --join: cfg with the cluster it joined */
    struct server_member leave; /* --leave: this member's removal */
    bool leaving;
    struct daemon_handoff handoff; /* a leader's, at stop */
    bool handing_off;
    bool part_closing; /* a part of the close chain is closing */
    struct mount *mount;
    struct mount_verify mount_verify; /* --mount-user's password check */
    bool mount_verifying;
    bool mount_verified;
    struct metrics metrics;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uv_timer_t ready_timer;
    struct daemon_upkeep upkeep; /* tidying, malloc_trim (daemon_upkeep.c) */
    bool ready;
    bool stopping;
    int exit_code;
};

/* ---- hooks from the node ---- */

static void closeStep(struct daemon *d);


/* A tidying ended during the close: go on with it. */
static void tidiedCb(void *data)
{
    closeStep(data);
}

static void appliedHook(void *data, const struct command *cmd,
                        const struct command_result *res,
                        const struct store_events *events)
{
    struct daemon *d = data;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    METRICS_INC(&d->metrics, proposals_applied_total);
    if (cmd != NULL && cmd->type == COMMAND_PUT) {
        METRICS_INC(&d->metrics, puts_applied_total);
    } else if (cmd != NULL && cmd->type == COMMAND_DELETE_RANGE) {
        METRICS_INC(&d->metrics, deletes_applied_total);
    } else if (cmd != NULL && cmd->type == COMMAND_TXN) {
        METRICS_INC(&d->metrics, txns_applied_total);
    }
    if (d->server != NULL) {
        authnApplied(d->server, cmd, res); /* this member's tokens */
    }
    if (cmd == NULL) {
        /* a snapshot replaced the whole state */
        METRICS_INC(&d->metrics, snapshots_restored_total);
        if (lessorLoad(d->lessor, errmsg) != 0) {
            errorf("reload leases after restore: %s", errmsg);
        }
        watchHubReset(d->hub);
        return;
    }
    if (res->status == 0) {
        switch (cmd->type) {
            case COMMAND_LEASE_GRANT:
                lessorGranted(d->lessor, cmd->lease_grant.id,
                              cmd->lease_grant.ttl);
                break;
            case COMMAND_LEASE_REVOKE:
                lessorRevoked(d->lessor, cmd->lease_revoke_id);
                break;
            default:
                break;
        }
    }
    if (events != NULL && events->n_events > 0) {
        watchHubNotify(d->hub, events, res->revision);
    }
    if (d->mount != NULL) {
        mountApplied(d->mount, cmd, res, events);
    }
    upkeepApplied(&d->upkeep);
}

static void leadershipHook(void *data, bool leader)
{
    struct daemon *d = data;
    METRICS_INC(&d->metrics, leader_changes_seen_total);
    if (leader) {
        infof("became leader");
        lessorPromote(d->lessor);
    } else {
        lessorDemote(d->lessor);
    }
}

/* ---- lease expiry -> revoke proposal ---- */

static void revokeCb(struct node_propose *req, int status,
                     struct command_result *result)
{
    struct daemon *d = req->data;
    if (status == 0 && result != NULL && result->status == 0) {
        METRICS_INC(&d->metrics, leases_expired_total);
    }
    commandResultFree(result);
    free(req);
}

static void revokeLease(void *data, int64_t id)
{
    struct daemon *d = data;
    struct node_propose *req = calloc(1, sizeof *req);
    struct command cmd;
    if (req == NULL) {
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_LEASE_REVOKE;
    cmd.lease_revoke_id = id;
    cmd.internal = true; /* an expiry: no user asked, auth or not */
    req->data = d;
    req->cb = revokeCb;
    if (nodePropose(d->node, req, &cmd) != 0) {
        free(req); /* retried by the lessor after its retry delay */
    }
}

/* ---- readiness ---- */

static int startMount(struct daemon *d)
{
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    struct mount_deps md;
    memset(&md, 0, sizeof md);
    md.loop = &d->loop;
    md.store = d->store;
    md.node = d->node;
    md.server = d->server;
    md.metrics = &d->metrics;
    md.config = d->cfg;
    if (mountStart(&d->mount, &md, errmsg) != 0) {
        errorf("%s", errmsg);
        d->mount = NULL;
        d->exit_code = 1;
        d->stopping = true;
        closeStep(d);
        return -1;
    }
    return 0;
}

static void mountVerifiedCb(struct mount_verify *v, int status)
{
    struct daemon *d = v->data;
    d->mount_verifying = false;
    if (d->stopping) {
        closeStep(d); /* it waited for this check */
        return;
    }
    if (status != 0) {
        errorf("%s", v->errmsg);
        d->exit_code = 1;
        d->stopping = true;
        closeStep(d);
        return;
    }
    d->mount_verified = true;
    (void)startMount(d); /* a failure stops the daemon */
}

static void readyCb(uv_timer_t *t)
{
    struct daemon *d = t->data;
    struct node_status st;
    if (d->ready || d->stopping) {
        return;
    }
    nodeStatus(d->node, &st);
    if (d->mount == NULL && d->cfg->mount[0] != '\0' &&
        !d->mount_verifying &&
        (d->cfg->mount_consistency == CONFIG_CONSISTENCY_LOCAL ||
         (st.leader != 0 && st.applied_index >= st.commit_index))) {
        /* linearizable mounts wait until the member serves; a local one
         * shows the local state at once (no quorum needed to read). First
         * --mount-user's password, against the replicated auth state. */
        if (!d->mount_verified) {
            d->mount_verify.data = d;
            d->mount_verify.cb = mountVerifiedCb;
            if (mountVerify(&d->loop, d->store, d->cfg, &d->mount_verify) !=
                0) {
                errorf("mount: cannot queue the password check");
                d->exit_code = 1;
                d->stopping = true;
                closeStep(d);
                return;
            }
            d->mount_verifying = true;
            return;
        }
        if (startMount(d) != 0) {
            return;
        }
    }
    if (st.leader == 0 || st.applied_index < st.commit_index ||
        (d->cfg->mount[0] != '\0' && d->mount == NULL)) {
        return; /* ready once serving, and mounted when asked to */
    }
    d->ready = true;
    (void)uv_timer_stop(t); /* cannot fail */
    infof("ready to serve client requests (member %016llx, leader %016llx)",
          (unsigned long long)st.id, (unsigned long long)st.leader);
    /* sd_notify is a no-op (0) outside systemd */
    if (sd_notify(0, "READY=1\nSTATUS=serving") < 0) {
        warnf("sd_notify READY failed");
    }
}

/* ---- close chain: mount -> api -> node -> forward -> hub -> lessor ->
 * server -> store ---- */

static void apiClosedCb(struct api *a, void *data)
{
    struct daemon *d = data;
    (void)a;
    d->api = NULL;
    d->part_closing = false;
    closeStep(d);
}

static void grpcClosedCb(struct grpc *g, void *data)
{
    struct daemon *d = data;
    (void)g;
    d->grpc = NULL;
    d->part_closing = false;
    closeStep(d);
}

static void forwardClosedCb(struct forward *f, void *data)
{
    struct daemon *d = data;
    (void)f;
    d->fwd = NULL;
    d->part_closing = false;
    closeStep(d);
}

static void hubClosedCb(struct watch_hub *h, void *data)
{
    struct daemon *d = data;
    (void)h;
    d->hub = NULL;
    d->part_closing = false;
    closeStep(d);
}

static void lessorClosedCb(struct lessor *l, void *data)
{
    struct daemon *d = data;
    (void)l;
    d->lessor = NULL;
    d->part_closing = false;
    closeStep(d);
}

static void nodeClosedCb(struct node *n, void *data)
{
    struct daemon *d = data;
    d->closed_node = n; /* freed once the loop has drained (node.h) */
    d->node = NULL;
    d->part_closing = false;
    closeStep(d);
}

static void handleCloseCb(uv_handle_t *h)
{
    (void)h;
}

static void mountClosedCb(struct mount *m, void *data)
{
    struct daemon *d = data;
    (void)m;
    d->mount = NULL;
    d->part_closing = false;
    closeStep(d);
}

/* Closes the next part of the chain; called again by that part's close
 * callback, and by whatever the close waits for (a pool work, the handoff,
 * --leave), so it returns at once while a part is closing. */
static void closeStep(struct daemon *d)
{
    if (d->part_closing) {
        return; /* that part's close callback comes back here */
    }
    if (d->handing_off) {
        return; /* handoffDone comes back here */
    }
    if (d->leaving) {
        return; /* leaveCb comes back here */
    }
    if (d->mount_verifying) {
        return; /* mountVerifiedCb comes back here */
    }
    if (d->mount != NULL) {
        d->part_closing = true;
        mountClose(d->mount, mountClosedCb, d);
        return;
    }
    if (d->api != NULL) {
        /* members' requests on the peer port stop before their server */
        nodeSetPeerHttp(d->node, NULL, NULL);
        d->part_closing = true;
        apiClose(d->api, apiClosedCb, d);
        return;
    }
    if (d->grpc != NULL) {
        /* after the API: no connection is handed over any more */
        d->part_closing = true;
        grpcClose(d->grpc, grpcClosedCb, d);
        return;
    }
    if (d->node != NULL && d->fwd != NULL) {
        /* the node uses the forwarder until it is closed: close it first */
        d->part_closing = true;
        nodeClose(d->node, nodeClosedCb, d);
        return;
    }
    if (d->fwd != NULL) {
        d->part_closing = true;
        forwardClose(d->fwd, forwardClosedCb, d);
        return;
    }
    if (d->hub != NULL) {
        d->part_closing = true;
        watchHubClose(d->hub, hubClosedCb, d);
        return;
    }
    if (d->lessor != NULL) {
        d->part_closing = true;
        lessorClose(d->lessor, lessorClosedCb, d);
        return;
    }
    if (d->node != NULL) {
        d->part_closing = true;
        nodeClose(d->node, nodeClosedCb, d);
        return;
    }
    if (upkeepTidying(&d->upkeep)) {
        return; /* tidiedCb comes back here */
    }
    /* every front end, the node and the forwarder are closed: nothing can
     * call back into the request path any more */
    serverClose(d->server);
    d->server = NULL;
    daemonTlsFree(&d->tls);
    if (d->store != NULL) {
        storeClose(d->store);
        d->store = NULL;
    }
    uv_close((uv_handle_t *)&d->sigterm, handleCloseCb);
    uv_close((uv_handle_t *)&d->sigint, handleCloseCb);
    uv_close((uv_handle_t *)&d->ready_timer, handleCloseCb);
    upkeepClose(&d->upkeep);
    infof("stopped");
}

/* --leave: the removal answered; stop either way. */
static void leaveCb(struct server_member *m, int status)
{
    struct daemon *d = m->data;
    d->leaving = false;
    if (status == 0) {
        infof("removed this member from the cluster (--leave)");
        daemonLeft(d->cfg);
    } else {
        errorf("--leave: removing this member failed: %s; stopping as a "
               "member", etcfsStrerror(status));
    }
    closeStep(d);
}

static void stopLeave(struct daemon *d);
static void handoffDone(void *data);

static void signalCb(uv_signal_t *s, int signum)
{
    struct daemon *d = s->data;
    if (d->stopping) {
        return;
    }
    infof("received signal %d, shutting down", signum);
    d->stopping = true;
    if (sd_notify(0, "STOPPING=1") < 0) {
        warnf("sd_notify STOPPING failed");
    }
    d->handing_off = daemonHandoff(&d->handoff, d->node, handoffDone, d);
    if (!d->handing_off) {
        stopLeave(d);
    }
}

/* The leader handed over (or could not): leave if asked, then close. */
static void handoffDone(void *data)
{
    struct daemon *d = data;
    d->handing_off = false;
    stopLeave(d);
}

static void stopLeave(struct daemon *d)
{
    if (d->cfg->leave && d->server != NULL && d->node != NULL) {
        memset(&d->leave, 0, sizeof d->leave);
        d->leave.data = d;
        d->leave.cb = leaveCb;
        d->leave.op = SERVER_MEMBER_REMOVE;
        d->leave.id = nodeId(d->node);
        d->leaving = serverMember(d->server, &d->leave) == 0;
        if (d->leaving) {
            return; /* leaveCb closes */
        }
        errorf("--leave: could not ask for this member's removal");
    }
    closeStep(d);
}

/* ---- start ---- */

static void joinUrls(const struct config_url *urls, unsigned n, char *out,
                     size_t size)
{
    unsigned i;
    size_t off = 0;
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        int w = snprintf(out + off, size - off, "%s%s", i > 0 ? "," : "",
                         urls[i].text);
        if (w < 0 || (size_t)w >= size - off) {
            break;
        }
        off += (size_t)w;
    }
}

/* "host:port", with brackets around an IPv6 literal. */
static void hostPort(char *buf, size_t size, const char *host, unsigned port)
{
    if (strchr(host, ':') != NULL) {
        snprintf(buf, size, "[%s]:%u", host, port);
    } else {
        snprintf(buf, size, "%s:%u", host, port);
    }
}

static void peerHttpCb(void *data, struct stream *s, const char *initial,
                       size_t len)
{
    struct daemon *d = data;
    apiAdoptPeer(d->api, s, initial, len);
}

/* An HTTP/2 client connection on a client port goes to gRPC. */
static void grpcAdoptHook(void *arg, struct stream *s, const char *initial,
                          size_t len)
{
    grpcAdopt(arg, s, initial, len);
}

/* --join (daemon_join.c): cfg as the cluster answered. */
static int daemonJoinIfAsked(struct daemon *d, uint64_t *id, char *errmsg)
{
    int rv;
    d->joined_cfg = malloc(sizeof *d->joined_cfg);
    if (d->joined_cfg == NULL) {
        etcfsErrmsgf(errmsg, "join: out of memory");
        return ETCFS_NOMEM;
    }
    *d->joined_cfg = *d->cfg;
    rv = daemonJoin(d->joined_cfg, id, errmsg);
    if (rv == 0) {
        d->cfg = d->joined_cfg;
    }
    return rv;
}

static int daemonStart(struct daemon *d, char *errmsg)
{
    const struct config *cfg;
    struct node_config nc;
    struct node_peer peers[CONFIG_MAX_MEMBERS];
    uint64_t member_ids[CONFIG_MAX_MEMBERS];
    struct node_hooks hooks;
    struct store_options sopts;
    struct api_deps deps;
    struct grpc_deps gdeps;
    struct server_deps sdeps;
    uint64_t joined_id = 0;
    unsigned i;
    int rv;

    rv = daemonJoinIfAsked(d, &joined_id, errmsg);
    if (rv != 0) {
        return rv;
    }
    cfg = d->cfg;
    memset(&nc, 0, sizeof nc);
    nc.id = joined_id != 0 ? joined_id
                           : nodeMemberIdFor(cfg->advertise_peer.text,
                                             cfg->initial_cluster_token);
    for (i = 0; i < cfg->n_initial_cluster; i++) {
        const struct config_member *m = &cfg->initial_cluster[i];
        peers[i].id = nodeMemberIdFor(m->peer.text, cfg->initial_cluster_token);
        hostPort(peers[i].address, sizeof peers[i].address, m->peer.host,
                 m->peer.port);
        member_ids[i] = peers[i].id;
    }
    nc.cluster_id = nodeClusterIdFor(member_ids, cfg->n_initial_cluster);
    snprintf(nc.name, sizeof nc.name, "%s", cfg->name);
    hostPort(nc.address, sizeof nc.address, cfg->advertise_peer.host,
             cfg->advertise_peer.port);
    hostPort(nc.bind_address, sizeof nc.bind_address, cfg->listen_peer.host,
             cfg->listen_peer.port);
    snprintf(nc.peer_url, sizeof nc.peer_url, "%s", cfg->advertise_peer.text);
    joinUrls(cfg->advertise_client, cfg->n_advertise_client, nc.client_urls,
             sizeof nc.client_urls);
    snprintf(nc.token, sizeof nc.token, "%s", cfg->initial_cluster_token);
    nc.initial = peers;
    nc.n_initial = cfg->n_initial_cluster;
    nc.join = cfg->initial_cluster_state == CONFIG_CLUSTER_EXISTING;
    nc.max_learners = cfg->max_learners;
    nc.force_new_cluster = cfg->force_new_cluster;
    nc.down_after_ms = cfg->member_down_after * 1000u;
    for (i = 0; i < cfg->n_mirror_of && i < 8; i++) {
        hostPort(nc.mirror_of[i], sizeof nc.mirror_of[i],
                 cfg->mirror_of[i].host, cfg->mirror_of[i].port);
    }
    nc.n_mirror_of = i;
    nc.feed_bytes = (size_t)cfg->mirror_feed_bytes;
    nc.heartbeat_ms = cfg->heartbeat_interval_ms;
    nc.election_ms = cfg->election_timeout_ms;
    nc.snapshot_count = cfg->snapshot_count;
    nc.metrics = &d->metrics;

    if (cfg->mount[0] != '\0') {
        rv = mountCheck(cfg->mount, errmsg);
        if (rv == 0) {
            rv = mountUserCheck(cfg, errmsg);
        }
        if (rv != 0) {
            return rv;
        }
    }
    rv = daemonDataDirCreate(cfg->data_dir, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = daemonTlsSetUp(cfg, &d->tls, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = daemonDataDirCheckIdentity(cfg, &nc.id, errmsg);
    if (rv != 0) {
        return rv;
    }
    snprintf(d->store_dir, sizeof d->store_dir, "%s/store", cfg->data_dir);
    rv = daemonRaftDirCheck(cfg, errmsg);
    if (rv != 0) {
        return rv;
    }
    daemonRaftDir(cfg, d->raft_dir, sizeof d->raft_dir);
    snprintf(nc.dir, sizeof nc.dir, "%.4000s", d->raft_dir);

    memset(&sopts, 0, sizeof sopts);
    sopts.max_txn_ops = cfg->max_txn_ops;
    sopts.commit_hist = &d->metrics.backend_commit;
    rv = storeOpen(d->store_dir, &sopts, &d->store, errmsg);
    if (rv != 0) {
        etcfsErrmsgWrapf(errmsg, "open store %s", d->store_dir);
        return rv;
    }
    /* before the node: applying its log at start may tidy */
    upkeepStart(&d->upkeep, &d->loop, d->store, &d->stopping, tidiedCb, d);
    rv = daemonDataDirImportRestore(cfg, d->store, errmsg);
    if (rv != 0) {
        return rv;
    }
    /* etcd's minimum lease TTL: 3/2 election timeout, rounded up */
    rv = lessorInit(&d->lessor, &d->loop, d->store,
                    (int64_t)((cfg->election_timeout_ms * 3 / 2 + 999) / 1000),
                    revokeLease, d, errmsg);
    if (rv != 0) {
        etcfsErrmsgWrapf(errmsg, "load leases");
        return rv;
    }
    rv = watchHubInit(&d->hub, &d->loop, d->store, errmsg);
    if (rv != 0) {
        return rv;
    }
    hooks.data = d;
    hooks.applied = appliedHook;
    hooks.leadership = leadershipHook;
    rv = nodeInit(&d->node, &d->loop, d->store, &nc, &hooks, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = forwardInit(&d->fwd, &d->loop, d->node, errmsg);
    if (rv != 0) {
        return rv;
    }
    nodeSetForward(d->node, d->fwd);
    forwardSetTls(d->fwd, d->tls.peer_client);
    nodeSetPeerTls(d->node, d->tls.peer_server, d->tls.peer_client,
                   cfg->peer_cert_allowed_cn);
    rv = nodeStart(d->node, errmsg);
    if (rv != 0) {
        return rv;
    }
    memset(&sdeps, 0, sizeof sdeps);
    sdeps.loop = &d->loop;
    sdeps.store = d->store;
    sdeps.node = d->node;
    sdeps.forward = d->fwd;
    sdeps.lessor = d->lessor;
    sdeps.metrics = &d->metrics;
    sdeps.config = cfg;
    rv = serverInit(&d->server, &sdeps, errmsg);
    if (rv != 0) {
        return rv;
    }
    memset(&gdeps, 0, sizeof gdeps);
    gdeps.loop = &d->loop;
    gdeps.store = d->store;
    gdeps.node = d->node;
    gdeps.hub = d->hub;
    gdeps.metrics = &d->metrics;
    gdeps.config = cfg;
    gdeps.server = d->server;
    rv = grpcInit(&d->grpc, &gdeps, errmsg);
    if (rv != 0) {
        return rv;
    }
    memset(&deps, 0, sizeof deps);
    deps.h2_adopt = grpcAdoptHook;
    deps.h2_arg = d->grpc;
    deps.loop = &d->loop;
    deps.store = d->store;
    deps.node = d->node;
    deps.hub = d->hub;
    deps.metrics = &d->metrics;
    deps.config = cfg;
    deps.server = d->server;
    deps.tls = d->tls.client;
    rv = apiInit(&d->api, &deps, errmsg);
    if (rv != 0) {
        return rv;
    }
    nodeSetPeerHttp(d->node, peerHttpCb, d);
    /* etcd's start-up summary */
    infof("member %016llx (%s) of cluster %016llx started: data dir %s, "
          "advertised peer %s, client %s, heartbeat %u ms, election %u ms, "
          "snapshot count %llu",
          (unsigned long long)nc.id, cfg->name,
          (unsigned long long)nodeClusterId(d->node), cfg->data_dir,
          nc.peer_url, nc.client_urls, cfg->heartbeat_interval_ms,
          cfg->election_timeout_ms,
          (unsigned long long)cfg->snapshot_count);
    return 0;
}

int daemonRun(const struct config *cfg, char *errmsg)
{
    static struct daemon d; /* one per process; reached only through &d */
    int rv;

    memset(&d, 0, sizeof d);
    d.cfg = cfg;
    rv = uv_loop_init(&d.loop);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "uv_loop_init(): %s", uv_strerror(rv));
        return 1;
    }
    uv_signal_init(&d.loop, &d.sigterm);
    uv_signal_init(&d.loop, &d.sigint);
    uv_timer_init(&d.loop, &d.ready_timer);
    d.sigterm.data = &d;
    d.sigint.data = &d;
    d.ready_timer.data = &d;
    uv_signal_start(&d.sigterm, signalCb, SIGTERM);
    uv_signal_start(&d.sigint, signalCb, SIGINT);

    rv = daemonStart(&d, errmsg);
    if (rv != 0) {
        /* Nothing was served yet: exit without the orderly close (the
         * store is closed so LevelDB releases its lock cleanly). */
        if (d.store != NULL && d.node == NULL) {
            storeClose(d.store);
        }
        free(d.joined_cfg);
        return 1;
    }
    uv_timer_start(&d.ready_timer, readyCb, DAEMON__READY_POLL_MS,
                   DAEMON__READY_POLL_MS);
    uv_run(&d.loop, UV_RUN_DEFAULT);
    nodeDestroy(d.closed_node);
    free(d.joined_cfg);
    rv = uv_loop_close(&d.loop);
    if (rv != 0) {
        warnf("loop closed with handles still open: %s", uv_strerror(rv));
    }
    return d.exit_code;
}
