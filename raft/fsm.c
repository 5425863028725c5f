/* The replicated state machine over the store (as dqlite src/fsm.c): apply
 * decodes a command and writes it with the entry's index in one LevelDB
 * batch; snapshots are version 3 stubs (snapshot_async syncs LevelDB on
 * the pool and writes the index: raft/snapshot.h; the full store is
 * encoded only when a follower needs it); restore replaces the store with
 * a full snapshot unless it already holds that state, and checks a stub
 * against the store.
 *
 * Restart without replay: raft_start restores the last snapshot and then
 * re-applies the entries after it. The store knows the last index it
 * applied, so both are skipped when the store is already past them: a
 * restart costs the log tail since the store's last batch, not the history.
 *
 * Loop thread, except fsmSnapshotAsync (the libuv pool). Apply is deterministic:
 * no clock, no randomness, no local flags. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../src/lib/log.h"
#include "../src/core/metrics.h"
#include "fsm_auth.h"
#include "node_internal.h"
#include "notice.h"
#include "propose.h"

/* The index of the entry being applied: libraft bumps last_applied after
 * apply returns (src/replication.c applyCommand). */
static uint64_t fsmCurrentIndex(struct node *n)
{
    return raft_last_applied(&n->raft) + 1;
}

/* The term of the entry being applied. libraft hands apply a pointer to
 * the buffer inside the log entry (src/replication.c: applyCommand(r, index,
 * &entry->buf)), so the entry is around it. (index, term) names one entry
 * (Raft's log matching): a proposal is answered only by its own entry, not
 * by another leader's entry at the same index. */
static uint64_t fsmEntryTerm(const struct raft_buffer *buf)
{
    const struct raft_entry *e = (const struct raft_entry *)(const void *)(
        (const char *)buf - offsetof(struct raft_entry, buf));
    return e->term;
}

static int fsmApplyCommand(struct node *n, uint64_t index, uint64_t term,
                           const struct command *cmd,
                           struct command_result *res,
                           struct store_events *events, char *errmsg)
{
    struct store *s = n->store;
    int rv;
    res->type = cmd->type;
    rv = fsmAuthorize(s, cmd);
    if (rv != 0) {
        /* refused: the entry still counts as applied, nothing changes */
        res->revision = storeRevision(s);
        if (rv == ETCFS_IO || rv == ETCFS_NOMEM) {
            return rv;
        }
        return storeApplyNoop(s, index, term, errmsg) != 0 ? ETCFS_IO : rv;
    }
    switch (cmd->type) {
        case COMMAND_PUT:
            rv = storeApplyPut(s, index, term, &cmd->put, &res->put, events,
                               &res->revision, errmsg);
            break;
        case COMMAND_DELETE_RANGE:
            rv = storeApplyDeleteRange(s, index, term, &cmd->delete_range,
                                       &res->delete_range, events,
                                       &res->revision, errmsg);
            break;
        case COMMAND_TXN:
            rv = storeApplyTxn(s, index, term, &cmd->txn, &res->txn, events,
                               &res->revision, errmsg);
            break;
        case COMMAND_COMPACT:
            rv = storeApplyCompact(s, index, term, cmd->compact_revision,
                                   errmsg);
            break;
        case COMMAND_LEASE_GRANT:
            rv = storeApplyLeaseGrant(s, index, term, cmd->lease_grant.id,
                                      cmd->lease_grant.ttl, errmsg);
            break;
        case COMMAND_LEASE_REVOKE:
            rv = storeApplyLeaseRevoke(s, index, term, cmd->lease_revoke_id,
                                       events, &res->revision, errmsg);
            break;
        case COMMAND_META:
            rv = storeApplyMeta(s, index, term, cmd->meta.name,
                                cmd->meta.name_len, cmd->meta.value,
                                cmd->meta.value_len, errmsg);
            break;
        case COMMAND_AUTH:
            rv = storeApplyAuth(s, index, term, &cmd->auth, errmsg);
            break;
        default:
            rv = storeApplyNoop(s, index, term, errmsg);
            break;
    }
    if (res->revision == 0) {
        res->revision = storeRevision(s);
    }
    return rv;
}

#define FSM__SLOW_APPLY_MS 100 /* etcd's warning threshold */

static bool fsmIsIoError(int rv)
{
    return rv == ETCFS_IO || rv == ETCFS_NOSPACE || rv == ETCFS_CORRUPT ||
           rv == ETCFS_NOMEM;
}

int fsmApplyEntry(struct node *n, uint64_t index, uint64_t term,
                  const void *buf, size_t len, struct command_result **out)
{
    struct command_decoded dec;
    struct command_result *res;
    struct store_events events = {0};
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    uint64_t started;
    uint64_t took_ms;
    int rv;

    *out = NULL;
    if (index <= storeAppliedIndex(n->store)) {
        return 0; /* applied before a restart: the store already has it */
    }
    rv = commandDecode(buf, len, &dec);
    if (rv != 0) {
        /* Not ours or from a newer format: record the position so the log
         * stays in step, and say it loudly. */
        errorf("entry %llu: undecodable command (%zu bytes), skipped",
               (unsigned long long)index, len);
        rv = storeApplyNoop(n->store, index, term, errmsg);
        return rv == 0 ? 0 : RAFT_IOERR;
    }
    res = calloc(1, sizeof *res);
    if (res == NULL) {
        commandDecodedClear(&dec);
        return RAFT_NOMEM;
    }
    started = uv_hrtime();
    rv = fsmApplyCommand(n, index, term, &dec.cmd, res, &events, errmsg);
    if (fsmIsIoError(rv)) {
        /* Nothing was written: returning an error makes libraft retry this
         * entry later (last_applied does not advance). */
        errorf("apply entry %llu: %s", (unsigned long long)index, errmsg);
        storeEventsClear(&events);
        commandDecodedClear(&dec);
        commandResultFree(res);
        return RAFT_IOERR;
    }
    res->status = rv;
    if (dec.cmd.type == COMMAND_META) {
        n->meta_gen++; /* member records: node.c caches the leader's URLs */
    }
    if (n->hooks.applied != NULL) {
        n->hooks.applied(n->hooks.data, &dec.cmd, res, &events);
    }
    feedAppend(n->feed, index, term, buf, len); /* for the mirrors below */
    took_ms = (uv_hrtime() - started) / 1000000;
    if (took_ms >= FSM__SLOW_APPLY_MS) {
        /* etcd: "apply request took too long" (etcd_server_slow_apply_total);
         * the loop stood still */
        if (n->cfg.metrics != NULL) {
            METRICS_INC(n->cfg.metrics, slow_apply_total);
        }
        warnf("applying entry %llu (%zu events) took %llu ms",
              (unsigned long long)index, events.n_events,
              (unsigned long long)took_ms);
    }
    storeEventsClear(&events);
    commandDecodedClear(&dec);
    readOnApplied(n);
    *out = res;
    return 0;
}

static int fsmApply(struct raft_fsm *fsm, const struct raft_buffer *buf,
                    void **result)
{
    struct node *n = fsm->data;
    uint64_t index = fsmCurrentIndex(n);
    uint64_t term = fsmEntryTerm(buf);
    struct command_result *res;
    int rv;

    *result = NULL;
    /* the store records the term the member was in (as it always did) */
    rv = fsmApplyEntry(n, index, n->raft.current_term, buf->base, buf->len,
                       &res);
    if (rv != 0 || res == NULL) {
        return rv;
    }
    if (raft_state(&n->raft) == RAFT_LEADER) {
        noticeArm(n);
    }
    if (term == n->raft.current_term &&
        raft_state(&n->raft) == RAFT_LEADER) {
        /* the leader's commit index is current: read.c may confirm reads
         * by asking the voters instead of writing a barrier */
        n->read_ready_term = n->raft.current_term;
    }
    proposeApplied(n, index, term, res);
    return 0;
}

/* snapshot: nothing to pin: the snapshot is a stub (raft/snapshot.h), and
 * the store already holds everything up to the index raft gives it. */
static int fsmSnapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                       unsigned *n_bufs)
{
    struct node *n = fsm->data;
    /* raft snapshots at its last applied entry; the pool must not read
     * the raft struct */
    n->stub_index = raft_last_applied(&n->raft);
    n->stub_term = n->raft.current_term;
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

/* snapshot_async, on the pool: make the store durable up to now (the
 * applied entries raft may drop from its log once the snapshot is
 * written), then the stub. */
static int fsmSnapshotAsync(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                            unsigned *n_bufs)
{
    struct node *n = fsm->data;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = storeSync(n->store, errmsg);
    if (rv != 0) {
        errorf("snapshot: %s", errmsg);
        return RAFT_IOERR;
    }
    *bufs = raft_calloc(1, sizeof **bufs);
    if (*bufs == NULL) {
        return RAFT_NOMEM;
    }
    (*bufs)[0].base = raft_malloc(SNAPSHOT_STUB_SIZE);
    if ((*bufs)[0].base == NULL) {
        raft_free(*bufs);
        *bufs = NULL;
        return RAFT_NOMEM;
    }
    snapshotStubEncode((*bufs)[0].base, n->stub_index, n->stub_term);
    (*bufs)[0].len = SNAPSHOT_STUB_SIZE;
    *n_bufs = 1;
    return 0;
}

static int fsmSnapshotFinalize(struct raft_fsm *fsm,
                               struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct node *n = fsm->data;
    unsigned i;
    if (*bufs != NULL) {
        for (i = 0; i < *n_bufs; i++) {
            raft_free((*bufs)[i].base);
        }
        raft_free(*bufs);
    }
    *bufs = NULL;
    *n_bufs = 0;
    infof("raft snapshot taken at index %llu",
          (unsigned long long)n->stub_index);
    if (n->cfg.metrics != NULL) {
        METRICS_INC(n->cfg.metrics, snapshots_taken_total);
    }
    return 0;
}

/* restore owns buf->base when it succeeds (libraft hands it over;
 * shared/notes/libraft.md); on failure libraft frees it itself (raft_start:
 * snapshotDestroy; an InstallSnapshot: its error path). */
static int fsmRestore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    struct node *n = fsm->data;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    uint64_t index = 0;
    uint64_t term = 0;
    int64_t revision = 0;
    int64_t keys = 0;
    int rv;

    if (snapshotStubDecode(buf->base, buf->len, &index)) {
        /* this member's own stub (a follower gets the full store): the
         * store was made durable up to it when it was taken */
        if (index > storeAppliedIndex(n->store)) {
            errorf("snapshot restore: the store is at index %llu, behind "
                   "its own snapshot at %llu (its data was lost): remove "
                   "the member and add it again to copy the cluster's state",
                   (unsigned long long)storeAppliedIndex(n->store),
                   (unsigned long long)index);
            return RAFT_CORRUPT; /* libraft frees buf on failure */
        }
        raft_free(buf->base);
        return 0;
    }
    /* header only: a restart with the store past the snapshot must not
     * pay a checksum pass over the whole store (storeRestore checks it) */
    rv = storeSnapshotPeek(buf->base, buf->len, &index, &term, &revision,
                           &keys, errmsg);
    if (rv != 0) {
        errorf("snapshot restore: %s", errmsg);
        return RAFT_CORRUPT; /* libraft frees buf on failure */
    }
    if (index <= storeAppliedIndex(n->store)) {
        infof("snapshot at index %llu: store already at %llu, kept",
              (unsigned long long)index,
              (unsigned long long)storeAppliedIndex(n->store));
        raft_free(buf->base);
        return 0;
    }
    rv = storeRestore(n->store, buf->base, buf->len, errmsg);
    if (rv != 0) {
        errorf("snapshot restore: %s", errmsg);
        return RAFT_IOERR; /* libraft frees buf on failure */
    }
    raft_free(buf->base);
    n->meta_gen++;
    infof("restored snapshot: index %llu, revision %lld, %lld keys",
          (unsigned long long)index, (long long)revision, (long long)keys);
    if (n->hooks.applied != NULL) {
        n->hooks.applied(n->hooks.data, NULL, NULL, NULL);
    }
    readOnApplied(n);
    return 0;
}

void fsmInit(struct raft_fsm *fsm, struct node *n)
{
    memset(fsm, 0, sizeof *fsm);
    fsm->version = 3;
    fsm->data = n;
    fsm->apply = fsmApply;
    fsm->snapshot = fsmSnapshot;
    fsm->restore = fsmRestore;
    fsm->snapshot_finalize = fsmSnapshotFinalize;
    fsm->snapshot_async = fsmSnapshotAsync;
}
