/* The apply context (one command, one LevelDB batch that also records the
 * applied position) and the writes of put and delete-range: versions,
 * lease attachments, change events, the txn overlay; entry points
 * storeApplyPut, storeApplyDeleteRange and storeApplyNoop. Loop thread only
 * (the FSM); writes nothing but the batch, written once per command by
 * storeApplyFinish. */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "txn.h"

/* ---- apply context: one command, one batch ---- */

void storeApplyBegin(struct store_apply *a, struct store *s,
                     struct store_events *events, char *errmsg)
{
    memset(a, 0, sizeof *a);
    a->s = s;
    a->batch = s->batch;
    leveldb_writebatch_clear(a->batch);
    storeStateGet(s, &a->st);
    a->begin_rev = a->st.revision;
    storeReaderInit(&a->rd, s, s->ro, a->begin_rev);
    a->events = events;
    a->events_mark = events != NULL ? events->n_events : 0;
    a->errmsg = errmsg;
}

void storeApplyEnd(struct store_apply *a)
{
    size_t i;
    for (i = 0; i < a->n_ov; i++) {
        storeKvClear(&a->ov[i].kv);
    }
    free(a->ov);
    storeReaderClose(&a->rd);
    bufFree(&a->k);
    bufFree(&a->v);
}

/* Writes the batch with the applied position (even after a request-level
 * error, which drops the command's writes) and publishes the new state.
 * Returns rv, or the write's error. */
int storeApplyFinish(struct store_apply *a, uint64_t index, uint64_t term,
                     int rv)
{
    struct store *s = a->s;
    int wrv;
    if (rv != 0) {
        /* Drop the command's writes and state changes, keep the position. */
        leveldb_writebatch_clear(a->batch);
        if (a->events != NULL) {
            storeEventsTruncate(a->events, a->events_mark);
        }
        storeStateGet(s, &a->st);
        a->sub = 0;
        a->key_delta = 0;
        if (storeIsIoError(rv)) {
            return rv; /* nothing written */
        }
    }
    a->st.applied_index = index;
    a->st.applied_term = term;
    if (a->sub > 0) {
        a->st.revision = a->begin_rev + 1;
    }
    a->st.key_count += a->key_delta;
    storeStatePut(a->batch, &a->st);
    wrv = storeWrite(s, a->batch, a->errmsg, "write batch");
    if (wrv != 0) {
        if (a->events != NULL) {
            storeEventsTruncate(a->events, a->events_mark);
        }
        return wrv;
    }
    atomic_store(&s->applied_index, a->st.applied_index);
    atomic_store(&s->applied_term, a->st.applied_term);
    atomic_store(&s->key_count, a->st.key_count);
    atomic_store(&s->compact_rev, a->st.compact_rev);
    /* Last: a reader that sees the new revision finds its data. */
    atomic_store(&s->revision, a->st.revision);
    return rv;
}

static int64_t applyNewRev(const struct store_apply *a)
{
    return a->begin_rev + 1;
}

static struct store_overlay *applyOverlayFind(struct store_apply *a,
                                              const char *key, size_t len)
{
    size_t i = a->n_ov;
    while (i-- > 0) {
        if (mvccKeyCompare(a->ov[i].kv.key, a->ov[i].kv.key_len, key, len) ==
            0) {
            return &a->ov[i];
        }
    }
    return NULL;
}

static int applyOverlayPush(struct store_apply *a, const struct store_kv *kv,
                            bool tombstone)
{
    struct store_overlay *o;
    if (a->n_ov == a->cap_ov) {
        size_t cap = a->cap_ov == 0 ? 8 : 2 * a->cap_ov;
        struct store_overlay *p = realloc(a->ov, cap * sizeof *p);
        if (p == NULL) {
            return ETCFS_NOMEM;
        }
        a->ov = p;
        a->cap_ov = cap;
    }
    o = &a->ov[a->n_ov];
    if (storeKvCopy(&o->kv, kv) != 0) {
        return ETCFS_NOMEM;
    }
    o->tombstone = tombstone;
    a->n_ov++;
    return 0;
}

/* The key's state as the command sees it now (its own writes included). */
static int applyLookup(struct store_apply *a, const char *key, size_t len,
                       struct store_kv *out, bool *found)
{
    struct store_overlay *o = applyOverlayFind(a, key, len);
    memset(out, 0, sizeof *out);
    if (o != NULL) {
        *found = !o->tombstone;
        if (*found && storeKvCopy(out, &o->kv) != 0) {
            return storeNomem(a->errmsg, "lookup");
        }
        return 0;
    }
    if (a->s->keys == NULL && !a->s->keys_off) {
        /* first apply since open or a restore */
        a->s->keys = keyFilterStart(a->s->db, MVCC_KEY_LATEST,
                                    atomic_load(&a->s->key_count));
        a->s->keys_off = a->s->keys == NULL;
    }
    if (a->s->keys != NULL && !keyFilterMaybe(a->s->keys, key, len)) {
        *found = false; /* never created: no LevelDB read (keyfilter.h) */
        return 0;
    }
    return storeReaderGet(&a->rd, key, len, a->begin_rev, true, out, found,
                          a->errmsg);
}

int storeApplyLeaseExists(struct store_apply *a, int64_t id, bool *exists)
{
    char *err = NULL;
    size_t vlen;
    char *v;
    if (mvccKeyLease(&a->k, id) != 0) {
        return storeNomem(a->errmsg, "lease");
    }
    v = leveldb_get(a->s->db, a->s->ro, a->k.data, a->k.len, &vlen, &err);
    if (err != NULL) {
        return storeDbError(err, a->errmsg, "read lease");
    }
    *exists = v != NULL;
    leveldb_free(v);
    return 0;
}

/* ---- writes: put and delete-range ---- */

/* Adds the index and revision entries of one write at the next
 * sub-revision. */
static int applyWriteVersion(struct store_apply *a, const char *key,
                             size_t len, const struct mvcc_record *rec)
{
    if (mvccKeyIndex(&a->k, key, len, applyNewRev(a), a->sub) != 0 ||
        mvccRecordEncode(&a->v, rec) != 0) {
        return storeNomem(a->errmsg, "write");
    }
    leveldb_writebatch_put(a->batch, a->k.data, a->k.len, a->v.data,
                           a->v.len);
    if (mvccKeyRev(&a->k, applyNewRev(a), a->sub) != 0) {
        return storeNomem(a->errmsg, "write");
    }
    leveldb_writebatch_put(a->batch, a->k.data, a->k.len, key, len);
    if (mvccKeyLatest(&a->k, key, len) != 0) {
        return storeNomem(a->errmsg, "write");
    }
    if (rec->tombstone) {
        leveldb_writebatch_delete(a->batch, a->k.data, a->k.len);
        storeTidyNote(a->s, a->k.data, a->k.len);
    } else {
        if (mvccLatestEncode(&a->v, applyNewRev(a), a->sub, rec) != 0) {
            return storeNomem(a->errmsg, "write");
        }
        leveldb_writebatch_put(a->batch, a->k.data, a->k.len, a->v.data,
                               a->v.len);
    }
    a->sub++;
    return 0;
}

int storeApplyAttach(struct store_apply *a, int64_t lease, const char *key,
                     size_t len, bool attach)
{
    if (mvccKeyAttach(&a->k, lease, key, len) != 0) {
        return storeNomem(a->errmsg, "lease attach");
    }
    if (attach) {
        leveldb_writebatch_put(a->batch, a->k.data, a->k.len, "", 0);
    } else {
        leveldb_writebatch_delete(a->batch, a->k.data, a->k.len);
    }
    return 0;
}

/* Adds an event; kv and prev (may be NULL) are copied. */
static int applyEvent(struct store_apply *a, int type,
                      const struct store_kv *kv, const struct store_kv *prev)
{
    struct store_event *e;
    if (a->events == NULL) {
        return 0;
    }
    e = storeEventsPush(a->events);
    if (e == NULL) {
        return storeNomem(a->errmsg, "event");
    }
    e->type = type;
    if (storeKvCopy(&e->kv, kv) != 0) {
        a->events->n_events--;
        return storeNomem(a->errmsg, "event");
    }
    if (prev != NULL) {
        if (storeKvCopy(&e->prev_kv, prev) != 0) {
            storeKvClear(&e->kv);
            a->events->n_events--;
            return storeNomem(a->errmsg, "event");
        }
        e->has_prev = true;
    }
    return 0;
}

/* Checks a put against the state before the command (etcd checkPut). */
int storeApplyPutCheck(struct store_apply *a, const struct store_put_req *p)
{
    int rv = txnCheckPut(p);
    if (rv != 0) {
        return rv;
    }
    if (p->lease != 0) {
        bool exists;
        rv = storeApplyLeaseExists(a, p->lease, &exists);
        if (rv != 0) {
            return rv;
        }
        if (!exists) {
            return ETCFS_LEASE_NOTFOUND;
        }
    }
    if (p->ignore_value || p->ignore_lease) {
        struct store_kv kv;
        bool found;
        rv = storeReaderGet(&a->rd, p->key, p->key_len, a->begin_rev, false,
                            &kv, &found, a->errmsg);
        if (rv != 0) {
            return rv;
        }
        storeKvClear(&kv);
        if (!found) {
            /* etcd ErrKeyNotFound ("etcdserver: key not found"). */
            return ETCFS_KEY_NOTFOUND;
        }
    }
    return 0;
}

/* One put (checked by storeApplyPutCheck). resp may be NULL. */
int storeApplyPutOp(struct store_apply *a, const struct store_put_req *p,
                    struct store_put_resp *resp)
{
    struct store_kv prev;
    struct store_kv kv;
    struct mvcc_record rec;
    bool found;
    int rv;

    rv = applyLookup(a, p->key, p->key_len, &prev, &found);
    if (rv != 0) {
        return rv;
    }
    if ((p->ignore_value || p->ignore_lease) && !found) {
        storeKvClear(&prev);
        return ETCFS_KEY_NOTFOUND;
    }
    memset(&rec, 0, sizeof rec);
    rec.value = p->ignore_value ? prev.value : p->value;
    rec.value_len = p->ignore_value ? prev.value_len : p->value_len;
    if (rec.value == NULL) {
        rec.value = "";
    }
    rec.lease = p->ignore_lease ? prev.lease : p->lease;
    rec.create_revision = found ? prev.create_revision : applyNewRev(a);
    rec.version = found ? prev.version + 1 : 1;
    rec.attr = p->attr;
    if (p->attr.mode == 0 && found) {
        rec.attr.mode = prev.attr.mode;
        rec.attr.uid = prev.attr.uid;
        rec.attr.gid = prev.attr.gid;
    }
    if (p->attr.mtime_ns == 0 && found) {
        rec.attr.mtime_ns = prev.attr.mtime_ns;
    }
    if (p->attr.atime_ns == 0 && found) {
        rec.attr.atime_ns = prev.attr.atime_ns; /* only utimensat sets it */
    }

    kv.key = (char *)p->key;
    kv.key_len = p->key_len;
    kv.value = (char *)rec.value;
    kv.value_len = rec.value_len;
    kv.create_revision = rec.create_revision;
    kv.mod_revision = applyNewRev(a);
    kv.version = rec.version;
    kv.lease = rec.lease;
    kv.attr = rec.attr;

    rv = applyWriteVersion(a, p->key, p->key_len, &rec);
    if (rv == 0 && found && prev.lease != 0 && prev.lease != rec.lease) {
        rv = storeApplyAttach(a, prev.lease, p->key, p->key_len, false);
    }
    if (rv == 0 && rec.lease != 0 && (!found || prev.lease != rec.lease)) {
        rv = storeApplyAttach(a, rec.lease, p->key, p->key_len, true);
    }
    if (rv == 0) {
        rv = applyEvent(a, STORE_EVENT_PUT, &kv, found ? &prev : NULL);
    }
    if (rv == 0 && a->in_txn && applyOverlayPush(a, &kv, false) != 0) {
        rv = storeNomem(a->errmsg, "put");
    }
    if (rv != 0) {
        storeKvClear(&prev);
        return rv;
    }
    if (!found) {
        a->key_delta++;
        if (a->s->keys != NULL) {
            keyFilterAdd(a->s->keys, p->key, p->key_len);
        }
    }
    if (resp != NULL && p->prev_kv && found) {
        resp->has_prev = true;
        resp->prev_kv = prev; /* transferred */
    } else {
        storeKvClear(&prev);
    }
    return 0;
}

/* Sorts by key, then overlay entries after index entries in push order. */
struct store_merge
{
    struct store_kv *kv;
    bool tombstone;
    size_t order;
};

static int storeMergeCmp(const void *pa, const void *pb)
{
    const struct store_merge *x = pa;
    const struct store_merge *y = pb;
    int c = mvccKeyCompare(x->kv->key, x->kv->key_len, y->kv->key,
                           y->kv->key_len);
    if (c != 0) {
        return c;
    }
    return x->order < y->order ? -1 : (x->order > y->order);
}

/* Every live key of the range as the command sees it now, with values, in
 * key order (index state merged with the txn's own writes). */
int storeApplyRangeAll(struct store_apply *a, const char *key, size_t key_len,
                       const char *end, size_t end_len, struct store_kvs *out)
{
    struct store_collect c;
    struct store_kvs base = {0};
    struct store_merge *m = NULL;
    size_t n = 0;
    size_t i;
    int64_t count;
    int rv;

    memset(&c, 0, sizeof c);
    c.rev = a->begin_rev;
    c.want_value = true;
    rv = storeReaderCollect(&a->rd, key, key_len, end, end_len, &c, &base,
                            &count, a->errmsg);
    if (rv != 0) {
        goto out;
    }
    if (a->n_ov == 0) {
        *out = base;
        memset(&base, 0, sizeof base);
        goto out;
    }
    m = malloc((base.n + a->n_ov) * sizeof *m + 1);
    if (m == NULL) {
        rv = storeNomem(a->errmsg, "range");
        goto out;
    }
    for (i = 0; i < base.n; i++) {
        m[n].kv = &base.v[i];
        m[n].tombstone = false;
        m[n].order = n;
        n++;
    }
    for (i = 0; i < a->n_ov; i++) {
        const struct store_kv *okv = &a->ov[i].kv;
        if (mvccKeyInRange(key, key_len, end, end_len, okv->key,
                           okv->key_len)) {
            m[n].kv = &a->ov[i].kv;
            m[n].tombstone = a->ov[i].tombstone;
            m[n].order = n;
            n++;
        }
    }
    qsort(m, n, sizeof *m, storeMergeCmp);
    for (i = 0; i < n; i++) {
        struct store_kv *slot;
        if (i + 1 < n && mvccKeyCompare(m[i].kv->key, m[i].kv->key_len,
                                        m[i + 1].kv->key,
                                        m[i + 1].kv->key_len) == 0) {
            continue; /* a later write of the same key wins */
        }
        if (m[i].tombstone) {
            continue;
        }
        slot = storeKvsPush(out);
        if (slot == NULL || storeKvCopy(slot, m[i].kv) != 0) {
            if (slot != NULL) {
                out->n--;
            }
            rv = storeNomem(a->errmsg, "range");
            goto out;
        }
    }
out:
    free(m);
    storeKvsFree(&base);
    return rv;
}

/* One delete-range. resp may be NULL. */
int storeApplyDeleteOp(struct store_apply *a, const struct store_delete_req *d,
                       struct store_delete_resp *resp)
{
    struct store_kvs kvs = {0};
    struct mvcc_record tomb;
    size_t i;
    int rv;

    if (d->key_len == 0) {
        return ETCFS_KEY_EMPTY;
    }
    rv = storeApplyRangeAll(a, d->key, d->key_len, d->range_end,
                            d->range_end_len, &kvs);
    if (rv != 0) {
        goto out;
    }
    memset(&tomb, 0, sizeof tomb);
    tomb.tombstone = true;
    tomb.value = "";
    for (i = 0; i < kvs.n; i++) {
        const struct store_kv *prev = &kvs.v[i];
        struct store_kv kv;
        memset(&kv, 0, sizeof kv);
        kv.key = prev->key;
        kv.key_len = prev->key_len;
        kv.mod_revision = applyNewRev(a);
        rv = applyWriteVersion(a, prev->key, prev->key_len, &tomb);
        if (rv == 0 && prev->lease != 0) {
            rv = storeApplyAttach(a, prev->lease, prev->key, prev->key_len,
                                  false);
        }
        if (rv == 0) {
            rv = applyEvent(a, STORE_EVENT_DELETE, &kv, prev);
        }
        if (rv == 0 && a->in_txn && applyOverlayPush(a, &kv, true) != 0) {
            rv = storeNomem(a->errmsg, "delete");
        }
        if (rv != 0) {
            goto out;
        }
        a->key_delta--;
    }
    if (resp != NULL) {
        resp->deleted = (int64_t)kvs.n;
        if (d->prev_kv && kvs.n > 0) {
            resp->prev_kvs = kvs.v; /* transferred */
            resp->n_prev_kvs = kvs.n;
            memset(&kvs, 0, sizeof kvs);
        }
    }
out:
    storeKvsFree(&kvs);
    return rv;
}

/* ---- apply entry points ---- */

int storeApplyPut(struct store *s, uint64_t index, uint64_t term,
                  const struct store_put_req *req,
                  struct store_put_resp *resp,
                  struct store_events *events, int64_t *revision,
                  char *errmsg)
{
    struct store_apply a;
    int rv;
    if (resp != NULL) {
        memset(resp, 0, sizeof *resp);
    }
    storeApplyBegin(&a, s, events, errmsg);
    rv = storeApplyPutCheck(&a, req);
    if (rv == 0) {
        rv = storeApplyPutOp(&a, req, resp);
    }
    if (rv != 0) {
        storePutRespClear(resp);
    }
    rv = storeApplyFinish(&a, index, term, rv);
    if (rv != 0) {
        storePutRespClear(resp);
    }
    storeApplyEnd(&a);
    if (revision != NULL) {
        *revision = storeRevision(s);
    }
    return rv;
}

int storeApplyDeleteRange(struct store *s, uint64_t index, uint64_t term,
                          const struct store_delete_req *req,
                          struct store_delete_resp *resp,
                          struct store_events *events, int64_t *revision,
                          char *errmsg)
{
    struct store_apply a;
    int rv;
    if (resp != NULL) {
        memset(resp, 0, sizeof *resp);
    }
    storeApplyBegin(&a, s, events, errmsg);
    rv = storeApplyDeleteOp(&a, req, resp);
    if (rv != 0) {
        storeDeleteRespClear(resp);
    }
    rv = storeApplyFinish(&a, index, term, rv);
    if (rv != 0) {
        storeDeleteRespClear(resp);
    }
    storeApplyEnd(&a);
    if (revision != NULL) {
        *revision = storeRevision(s);
    }
    return rv;
}

int storeApplyNoop(struct store *s, uint64_t index, uint64_t term,
                   char *errmsg)
{
    struct store_apply a;
    int rv;
    storeApplyBegin(&a, s, NULL, errmsg);
    rv = storeApplyFinish(&a, index, term, 0);
    storeApplyEnd(&a);
    return rv;
}
