/* The Raft member's set-up and close: bootstrap as canonical/raft
 * example/server.c (transport, io, FSM, raft_init, bootstrap on a new dir,
 * raft_start), the handles of struct node and their close, derived ids
 * and the tick (leadership watch driving the periodic work of the other
 * files). The accessors and the status answer are node_status.c's. Loop thread only; the set-up's disk work (mkdir, raft's
 * probe) happens before the loop runs, and nothing here blocks it after.
 * Proposals live in propose.c, member records in publish.c, the commit
 * notice in notice.c, the peer transport in transport.c, linearizable reads
 * in read.c, membership in membership.c, the state machine in fsm.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../src/lib/fs.h"
#include "../src/lib/log.h"
#include "mirror.h"
#include "node_internal.h"
#include "notice.h"
#include "propose.h"
#include "publish.h"

#define NODE__TICK_MS 20
/* A mirror's tick only times out reads waiting for its stream: a fleet
 * of idle mirrors must not wake 50 times a second each. */
#define NODE__MIRROR_TICK_MS 250
#define NODE__MAX_IDS 64

uint64_t nodeNowMs(struct node *n)
{
    return uv_now(n->loop);
}

/* FNV-1a 64: stable member ids from the peer URL and the token. */
static uint64_t fnv1a(uint64_t h, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t nodeMemberIdFor(const char *peer_url, const char *token)
{
    uint64_t h = 14695981039346656037ULL;
    h = fnv1a(h, peer_url, strlen(peer_url));
    h = fnv1a(h, "\n", 1);
    h = fnv1a(h, token, strlen(token));
    return h != 0 ? h : 1;
}

static int cmpId(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* etcd 3.4 membership/cluster.go genID: the first 8 bytes of the SHA-1 of
 * the sorted member ids, each 8 bytes big-endian. */
uint64_t nodeClusterIdFor(const uint64_t *member_ids, unsigned n)
{
    uint64_t sorted[NODE__MAX_IDS];
    unsigned char bytes[NODE__MAX_IDS * 8];
    unsigned char md[EVP_MAX_MD_SIZE];
    uint64_t h = 0;
    unsigned i;
    unsigned j;
    if (n > NODE__MAX_IDS) {
        n = NODE__MAX_IDS;
    }
    memcpy(sorted, member_ids, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmpId);
    for (i = 0; i < n; i++) {
        for (j = 0; j < 8; j++) {
            bytes[i * 8 + j] = (unsigned char)(sorted[i] >> (56 - 8 * j));
        }
    }
    /* EVP_Digest fails only out of memory: the id is then 1 (pure, no
     * error path), as for a hash of zeros */
    if (EVP_Digest(bytes, n * 8, md, NULL, EVP_sha1(), NULL) == 1) {
        for (j = 0; j < 8; j++) {
            h = h << 8 | md[j];
        }
    }
    return h != 0 ? h : 1;
}

/* ---- Leadership watch and periodic work. ---- */

static void tickCb(uv_timer_t *timer)
{
    struct node *n = timer->data;
    raft_id leader = 0;
    const char *address = NULL;
    bool is_leader;
    if (n->closing) {
        return;
    }
    if (n->mirror != NULL) {
        readTick(n, nodeNowMs(n)); /* reads waiting for the stream */
        return;
    }
    raft_leader(&n->raft, &leader, &address);
    is_leader = raft_state(&n->raft) == RAFT_LEADER;
    if (leader != n->known_leader) {
        infof("leader is now %016llx (term %llu)", (unsigned long long)leader,
              (unsigned long long)n->raft.current_term);
        n->known_leader = leader;
        if (leader != 0 && n->start_election_ms != 0) {
            n->start_election_ms = 0; /* read again at the next timer reset */
            raft_set_election_timeout(&n->raft, n->cfg.election_ms);
        }
        publishLeaderChanged(n);
    }
    if (is_leader != n->was_leader) {
        n->was_leader = is_leader;
        readOnLeadership(n);
        if (n->hooks.leadership != NULL) {
            n->hooks.leadership(n->hooks.data, is_leader);
        }
    }
    nodeContactTick(n, is_leader);
    if (is_leader) {
        noticeMaybe(n); /* a commit no append carried (e.g. behind a read) */
    }
    publishTick(n);
    membershipTick(n);
    readTick(n, nodeNowMs(n));
}

/* ---- Init, start, close. ---- */

static int mkdirP(const char *dir, char *errmsg)
{
    char failed[PATH_MAX] = "";
    int rv = fsMkdirAll(dir, 0700, failed);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "mkdir %s: %s", failed, strerror(-rv));
        return ETCFS_IO;
    }
    return 0;
}

/* Where this node's log stands, for the mirrors below it (feed.h). */
static void nodeFeedMarker(void *data, struct feed_marker *m)
{
    struct node *n = data;
    const struct raft_configuration *c = nodeConfiguration(n);
    const char *address = NULL;
    unsigned i;
    memset(m, 0, sizeof *m);
    m->through = nodeAppliedThrough(n);
    if (m->through < storeAppliedIndex(n->store)) {
        m->through = storeAppliedIndex(n->store);
    }
    m->term = nodeTerm(n);
    m->commit = nodeClusterCommit(n);
    if (m->commit < m->through) {
        m->commit = m->through;
    }
    m->cluster_id = n->cluster_id;
    nodeLeader(n, &m->leader, &address);
    if (address != NULL) {
        snprintf(m->leader_address, sizeof m->leader_address, "%s", address);
    }
    for (i = 0; i < c->n && i < FEED_MAX_SERVERS; i++) {
        m->servers[i].id = c->servers[i].id;
        m->servers[i].role = (uint8_t)c->servers[i].role;
        snprintf(m->servers[i].address, sizeof m->servers[i].address, "%s",
                 c->servers[i].address);
    }
    m->n_servers = i;
}

/* Raft on raft_uv over the transport: a member's log, FSM and bootstrap.
 * On error nothing of it is left to close. */
static int nodeRaftInit(struct node *n, const struct node_config *cfg,
                        char *errmsg)
{
    struct raft_configuration conf;
    unsigned trailing;
    unsigned i;
    int rv;

    rv = raft_uv_init(&n->io, n->loop, cfg->dir, &n->transport.uv);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "raft_uv_init(%s): %s", cfg->dir,
                     n->io.errmsg[0] != '\0' ? n->io.errmsg
                                             : raft_strerror(rv));
        rv = ETCFS_IO;
        return rv;
    }
    /* Debian's libraft 0.15 raft_uv implements async_work (src/uv_work.c)
     * but still reports io version 1, and raft_init refuses a version-3 FSM
     * (snapshot_async) on such an io: without it the whole store would be
     * serialized on the loop every --snapshot-count entries, a pause that
     * grows with the store. Declare what the io does implement. */
    if (n->io.version < 2 && n->io.async_work != NULL) {
        n->io.version = 2;
    }
    transportWrapSend(&n->transport, &n->io);
    ioMetricsWrap(&n->iom, &n->io, cfg->metrics);
    snapshotLazyWrap(&n->snapshots, n);
    /* The snapshot is the whole store, and raft_uv keeps two and reads the
     * last one back at every start: LZ4 (compressed on the pool when
     * taken) makes them several times smaller, so the data dir stays small
     * and a restart reads far less from disk (decompressing is faster). */
    (void)raft_uv_set_snapshot_compression(&n->io, true);
    fsmInit(&n->fsm, n);
    rv = raft_init(&n->raft, &n->io, &n->fsm, cfg->id, cfg->address);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "raft_init(): %s", raft_errmsg(&n->raft));
        rv = ETCFS_IO;
        goto err_io;
    }
    n->raft.data = n;
    n->raft_inited = true;
    raft_set_heartbeat_timeout(&n->raft, cfg->heartbeat_ms);
    /* Until a leader is known, elections run on a short timer, as etcd
     * advances its election ticks at start: after a restart of the whole
     * cluster the first read waits a fraction of the election timeout, not
     * all of it. Pre-vote keeps a restarted member from disrupting a leader
     * it has not heard from yet; tickCb restores the configured timeout as
     * soon as any leader is known. */
    n->start_election_ms = 2 * cfg->heartbeat_ms;
    if (n->start_election_ms > cfg->election_ms) {
        n->start_election_ms = cfg->election_ms;
    }
    raft_set_election_timeout(&n->raft, n->start_election_ms);
    raft_set_pre_vote(&n->raft, true);
    raft_set_snapshot_threshold(&n->raft, (unsigned)cfg->snapshot_count);
    trailing = (unsigned)(cfg->snapshot_count / 2);
    if (trailing > 5000) {
        trailing = 5000;
    }
    if (trailing < 8) {
        trailing = 8;
    }
    raft_set_snapshot_trailing(&n->raft, trailing);

    if (!cfg->join && cfg->n_initial > 0) {
        raft_configuration_init(&conf);
        for (i = 0; i < cfg->n_initial; i++) {
            rv = raft_configuration_add(&conf, cfg->initial[i].id,
                                        cfg->initial[i].address, RAFT_VOTER);
            if (rv != 0) {
                raft_configuration_close(&conf);
                etcfsErrmsgf(errmsg, "initial cluster member %s: %s",
                             cfg->initial[i].address, raft_strerror(rv));
                rv = ETCFS_INVALID;
                goto err_raft;
            }
        }
        rv = raft_bootstrap(&n->raft, &conf);
        raft_configuration_close(&conf);
        if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
            etcfsErrmsgf(errmsg, "raft_bootstrap(): %s", raft_strerror(rv));
            rv = ETCFS_IO;
            goto err_raft;
        }
    }
    if (cfg->force_new_cluster) {
        /* etcd's --force-new-cluster: this member alone, with its log and
         * store (a configuration entry appended to the log on disk) */
        raft_configuration_init(&conf);
        rv = raft_configuration_add(&conf, cfg->id, cfg->address, RAFT_VOTER);
        if (rv == 0) {
            rv = raft_recover(&n->raft, &conf);
        }
        raft_configuration_close(&conf);
        if (rv != 0) {
            etcfsErrmsgf(errmsg, "--force-new-cluster: raft_recover(): %s",
                         raft_strerror(rv));
            rv = ETCFS_IO;
            goto err_raft;
        }
        warnf("--force-new-cluster: a one-member cluster of %016llx, "
              "keeping its data; the other members are dropped",
              (unsigned long long)cfg->id);
    }

    return 0;

err_raft:
    /* raft_init allocated only memory and io state; raft_close needs the
     * loop to run, so the caller gets an error and the process exits. */
    n->raft_inited = false;
err_io:
    raft_uv_close(&n->io);
    return rv;
}

int nodeInit(struct node **out, uv_loop_t *loop, struct store *store,
             const struct node_config *cfg, const struct node_hooks *hooks,
             char *errmsg)
{
    struct node *n;
    int rv;

    n = calloc(1, sizeof *n);
    if (n == NULL) {
        etcfsErrmsgf(errmsg, "out of memory");
        return ETCFS_NOMEM;
    }
    n->loop = loop;
    n->store = store;
    n->cfg = *cfg;
    n->cfg.initial = NULL;
    n->cfg.n_initial = 0;
    n->hooks = *hooks;
    n->cluster_id = cfg->cluster_id;
    QUEUE_INIT(&n->proposals);
    QUEUE_INIT(&n->batch_reqs);
    QUEUE_INIT(&n->reads_pending);
    QUEUE_INIT(&n->reads_inflight);
    QUEUE_INIT(&n->reads_waiting);
    QUEUE_INIT(&n->changes);

    rv = mkdirP(cfg->dir, errmsg);
    if (rv != 0) {
        goto err_after_alloc;
    }
    rv = transportInit(&n->transport, loop, cfg->address, cfg->bind_address,
                       errmsg);
    if (rv != 0) {
        goto err_after_alloc;
    }
    if (cfg->n_mirror_of > 0) {
        raft_configuration_init(&n->mirror_conf);
        rv = mirrorInit(&n->mirror, n, cfg->mirror_of, cfg->n_mirror_of,
                        errmsg);
    } else {
        rv = nodeRaftInit(n, cfg, errmsg);
    }
    if (rv != 0) {
        goto err_after_transport_init;
    }
    rv = feedInit(&n->feed, loop, store,
                  cfg->feed_bytes != 0 ? cfg->feed_bytes : (64u << 20),
                  nodeFeedMarker, n, errmsg);
    if (rv != 0) {
        goto err_after_raft_init;
    }

    rv = uv_timer_init(loop, &n->tick);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "uv_timer_init(): %s", uv_strerror(rv));
        rv = ETCFS_IO;
        goto err_after_raft_init;
    }
    n->tick.data = n;
    (void)uv_timer_init(loop, &n->notice_timer); /* cannot fail after tick */
    n->notice_timer.data = n;
    (void)uv_timer_init(loop, &n->notice_again);
    n->notice_again.data = n;
    (void)uv_check_init(loop, &n->batch_check);
    n->batch_check.data = n;
    *out = n;
    return 0;

err_after_raft_init:
    if (n->mirror != NULL) {
        mirrorClose(n->mirror, NULL, NULL);
        n->mirror = NULL;
    } else {
        n->raft_inited = false;
        raft_uv_close(&n->io);
    }
err_after_transport_init:
    transportClose(&n->transport);
err_after_alloc:
    free(n);
    return rv;
}

void nodeSetPeerTls(struct node *n, struct tls_ctx *server,
                    struct tls_ctx *client, const char *allowed_cn)
{
    transportSetTls(&n->transport, server, client, allowed_cn);
    if (n->mirror != NULL) {
        mirrorSetTls(n->mirror, client);
    }
}

void nodeSetPeerHttp(struct node *n,
                     void (*fn)(void *data, struct stream *s,
                                const char *initial, size_t len),
                     void *data)
{
    transportSetHttp(&n->transport, fn, data);
}

void nodeSetForward(struct node *n, struct forward *fwd)
{
    n->fwd = fwd;
}

/* Why the peer address cannot be listened on, as an errno (0 if it can):
 * raft_start reports only "I/O error" then. */
static int peerBindErrno(const char *address)
{
    char host[NODE_URL_SIZE];
    struct sockaddr_storage sa;
    const char *colon = strrchr(address, ':');
    int fd;
    int one = 1;
    int rv = 0;
    size_t hlen;
    if (colon == NULL || (hlen = (size_t)(colon - address)) >= sizeof host) {
        return 0;
    }
    memcpy(host, address, hlen);
    host[hlen] = '\0';
    memset(&sa, 0, sizeof sa);
    if (uv_ip4_addr(host, atoi(colon + 1), (struct sockaddr_in *)&sa) != 0 &&
        uv_ip6_addr(host, atoi(colon + 1), (struct sockaddr_in6 *)&sa) != 0) {
        return 0;
    }
    fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return 0;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa,
             sa.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                     : sizeof(struct sockaddr_in6)) != 0 ||
        listen(fd, 1) != 0) {
        rv = errno;
    }
    close(fd);
    return rv;
}

/* A mirror's peer port: other mirrors' feeds (HTTP); Raft has no
 * business with a mirror, so a Raft connection is closed. */
static void mirrorRaftClosedCb(uv_handle_t *h)
{
    free(h);
}

static void mirrorRaftAcceptCb(struct raft_uv_transport *t, raft_id id,
                               const char *address, struct uv_stream_s *s)
{
    (void)t;
    warnf("a member (%016llx at %s) opened a Raft connection to this "
          "mirror: closed",
          (unsigned long long)id, address);
    uv_close((uv_handle_t *)s, mirrorRaftClosedCb);
}

static int nodeMirrorStart(struct node *n, char *errmsg)
{
    int rv = n->transport.uv.listen(&n->transport.uv, mirrorRaftAcceptCb);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "listen on the peer address: %s",
                     n->transport.uv.errmsg);
        return ETCFS_IO;
    }
    n->started = true;
    mirrorStart(n->mirror);
    (void)uv_timer_start(&n->tick, tickCb, NODE__MIRROR_TICK_MS,
                         NODE__MIRROR_TICK_MS);
    return 0;
}

int nodeStart(struct node *n, char *errmsg)
{
    int rv;
    if (n->mirror != NULL) {
        return nodeMirrorStart(n, errmsg);
    }
    rv = raft_start(&n->raft);
    if (rv != 0) {
        /* raft only says "I/O error" when the peer address cannot be
         * listened on (e.g. in use): the transport knows why */
        const char *why = n->transport.uv.errmsg[0] != '\0'
                              ? n->transport.uv.errmsg
                          : n->io.errmsg[0] != '\0' ? n->io.errmsg
                          : raft_errmsg(&n->raft)[0] != '\0'
                              ? raft_errmsg(&n->raft)
                              : raft_strerror(rv);
        const char *listen_on = n->cfg.bind_address[0] != '\0'
                                    ? n->cfg.bind_address
                                    : n->cfg.address;
        int e = peerBindErrno(listen_on);
        if (e != 0) {
            why = strerror(e);
        }
        etcfsErrmsgf(errmsg, "raft_start() on peer address %s: %s",
                     listen_on, why);
        return rv == RAFT_CORRUPT ? ETCFS_CORRUPT : ETCFS_IO;
    }
    n->started = true;
    proposeStart(n);
    rv = uv_timer_start(&n->tick, tickCb, NODE__TICK_MS, NODE__TICK_MS);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "uv_timer_start(): %s", uv_strerror(rv));
        return ETCFS_IO;
    }
    return 0;
}

static void nodeMaybeFireCloseCb(struct node *n)
{
    if (n->close_pending > 0 || n->close_fired) {
        return;
    }
    n->close_fired = true;
    if (n->close_cb != NULL) {
        n->close_cb(n, n->close_data);
    }
    /* freed by nodeDestroy once the loop has drained (see raftCloseCb) */
}

void nodeDestroy(struct node *n)
{
    if (n == NULL) {
        return;
    }
    if (n->mirror == NULL && n->raft_inited) {
        raft_uv_close(&n->io);
    }
    raft_configuration_close(&n->mirror_conf);
    transportClose(&n->transport);
    ioMetricsClear(&n->iom);
    snapshotLazyClear(&n->snapshots);
    free(n->batch_bufs);
    free(n);
}

/* libraft 0.15 can fire its io close callback twice: uvMaybeFireCloseCb
 * runs again when the open segment's writer finishes closing after the
 * rest (uv_append.c uvAliveSegmentWriterCloseCb), and ioCloseCb then frees
 * the address, log and configuration a second time and calls us again. So
 * the first call disarms what the second would free again, and the node,
 * its raft_uv and its transport stay allocated until the loop has drained
 * (nodeDestroy). Seen as a SIGSEGV at shutdown after large entries. */
static void raftCloseCb(struct raft *r)
{
    struct node *n = r->data;
    r->close_cb = NULL;
    r->address = NULL;
    memset(&r->log, 0, sizeof r->log);
    r->configuration.servers = NULL;
    r->configuration.n = 0;
    if (n->raft_closed) {
        return;
    }
    n->raft_closed = true;
    n->close_pending--;
    nodeMaybeFireCloseCb(n);
}

static void tickCloseCb(uv_handle_t *h)
{
    struct node *n = h->data;
    n->close_pending--;
    nodeMaybeFireCloseCb(n);
}

void nodeClosePartDone(struct node *n)
{
    n->close_pending--;
    nodeMaybeFireCloseCb(n);
}

static void partClosedCb(void *data)
{
    nodeClosePartDone(data);
}

static void mirrorTransportClosedCb(struct raft_uv_transport *t)
{
    struct node *n = t->data;
    n->close_pending--;
    nodeMaybeFireCloseCb(n);
}

void nodeClose(struct node *n, node_close_cb cb, void *data)
{
    n->closing = true;
    n->close_cb = cb;
    n->close_data = data;
    readCancelAll(n, ETCFS_CANCELED);
    membershipCancelAll(n);
    proposeFlush(n); /* fails what raft has not seen: closing */
    n->close_pending = 6 + n->snapshots.encoding; /* see snapshot.c */
    uv_close((uv_handle_t *)&n->tick, tickCloseCb);
    uv_close((uv_handle_t *)&n->notice_timer, tickCloseCb);
    uv_close((uv_handle_t *)&n->notice_again, tickCloseCb);
    uv_close((uv_handle_t *)&n->batch_check, tickCloseCb);
    feedClose(n->feed, partClosedCb, n);
    n->feed = NULL;
    if (n->mirror != NULL) {
        n->close_pending++;
        mirrorClose(n->mirror, partClosedCb, n);
        n->transport.uv.data = n;
        n->transport.uv.close(&n->transport.uv, mirrorTransportClosedCb);
        return;
    }
    /* raft_close fails pending applies and barriers (their callbacks map
     * to ETCFS_CANCELED), closes io and transport, then calls back. */
    raft_close(&n->raft, raftCloseCb);
}
