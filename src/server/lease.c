/* The lease table: an open-addressing hash of id -> {granted TTL, deadline}.
 * Every member keeps the granted TTLs (applied grants and revokes); only the
 * leader keeps deadlines and runs the expiry timer. An expired lease is
 * revoked through the log (the revoke callback proposes it), at most
 * LEASE__MAX_REVOKES_PER_TICK per tick as Redis's activeExpireCycle caps
 * its work, and is not proposed again before LEASE__RETRY_MS in case the
 * proposal was lost. Loop thread only. */
#include "lease.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../core/error.h"
#include "../lib/log.h"

#define LEASE__TICK_MS 250
#define LEASE__MAX_REVOKES_PER_TICK 500
#define LEASE__RETRY_MS 3000

struct lease_slot
{
    int64_t id; /* 0 = empty, -1 = deleted */
    int64_t ttl;
    uint64_t deadline_ms; /* leader only */
    uint64_t revoke_sent_ms;
};

struct lessor
{
    uv_loop_t *loop;
    struct store *store;
    int64_t min_ttl;
    lessor_revoke_fn revoke;
    void *revoke_data;
    struct lease_slot *slots;
    size_t cap;  /* power of two */
    size_t used; /* live + deleted */
    size_t live;
    bool leader;
    uv_timer_t timer;
    lessor_close_cb close_cb;
    void *close_data;
};

static size_t slotHash(int64_t id, size_t cap)
{
    uint64_t x = (uint64_t)id;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)(x & (cap - 1));
}

static struct lease_slot *slotFind(struct lessor *l, int64_t id)
{
    size_t i;
    size_t probes;
    if (l->cap == 0 || id <= 0) {
        return NULL;
    }
    i = slotHash(id, l->cap);
    for (probes = 0; probes < l->cap; probes++) {
        struct lease_slot *s = &l->slots[i];
        if (s->id == 0) {
            return NULL;
        }
        if (s->id == id) {
            return s;
        }
        i = (i + 1) & (l->cap - 1);
    }
    return NULL;
}

static int slotsGrow(struct lessor *l)
{
    size_t cap = l->cap == 0 ? 64 : l->cap * 2;
    struct lease_slot *old = l->slots;
    size_t old_cap = l->cap;
    size_t i;
    l->slots = calloc(cap, sizeof *l->slots);
    if (l->slots == NULL) {
        l->slots = old;
        return ETCFS_NOMEM;
    }
    l->cap = cap;
    l->used = 0;
    l->live = 0;
    for (i = 0; i < old_cap; i++) {
        if (old[i].id > 0) {
            size_t j = slotHash(old[i].id, cap);
            while (l->slots[j].id != 0) {
                j = (j + 1) & (cap - 1);
            }
            l->slots[j] = old[i];
            l->used++;
            l->live++;
        }
    }
    free(old);
    return 0;
}

static struct lease_slot *slotInsert(struct lessor *l, int64_t id)
{
    size_t i;
    struct lease_slot *s = slotFind(l, id);
    if (s != NULL) {
        return s;
    }
    if ((l->used + 1) * 2 > l->cap && slotsGrow(l) != 0) {
        return NULL;
    }
    i = slotHash(id, l->cap);
    while (l->slots[i].id > 0) {
        i = (i + 1) & (l->cap - 1);
    }
    if (l->slots[i].id == 0) {
        l->used++;
    }
    s = &l->slots[i];
    memset(s, 0, sizeof *s);
    s->id = id;
    l->live++;
    return s;
}

int lessorInit(struct lessor **out, uv_loop_t *loop, struct store *store,
               int64_t min_ttl, lessor_revoke_fn revoke, void *data,
               char *errmsg)
{
    struct lessor *l = calloc(1, sizeof *l);
    int rv;
    if (l == NULL) {
        etcfsErrmsgf(errmsg, "out of memory");
        return ETCFS_NOMEM;
    }
    l->loop = loop;
    l->store = store;
    l->min_ttl = min_ttl > 0 ? min_ttl : 1;
    l->revoke = revoke;
    l->revoke_data = data;
    rv = lessorLoad(l, errmsg);
    if (rv != 0) {
        free(l->slots);
        free(l);
        return rv;
    }
    rv = uv_timer_init(loop, &l->timer);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "uv_timer_init(): %s", uv_strerror(rv));
        free(l->slots);
        free(l);
        return ETCFS_IO;
    }
    l->timer.data = l;
    *out = l;
    return 0;
}

int lessorLoad(struct lessor *l, char *errmsg)
{
    struct store_lease *leases = NULL;
    size_t n = 0;
    size_t i;
    int rv = storeLeaseList(l->store, &leases, &n, errmsg);
    uint64_t now = uv_now(l->loop);
    if (rv != 0) {
        return rv;
    }
    free(l->slots);
    l->slots = NULL;
    l->cap = 0;
    l->used = 0;
    l->live = 0;
    for (i = 0; i < n; i++) {
        struct lease_slot *s = slotInsert(l, leases[i].id);
        if (s == NULL) {
            free(leases);
            return ETCFS_NOMEM;
        }
        s->ttl = leases[i].ttl;
        s->deadline_ms = now + (uint64_t)s->ttl * 1000;
    }
    free(leases);
    return 0;
}

void lessorGranted(struct lessor *l, int64_t id, int64_t ttl)
{
    struct lease_slot *s = slotInsert(l, id);
    if (s == NULL) {
        errorf("lease %llx: out of memory", (unsigned long long)id);
        return;
    }
    s->ttl = ttl;
    s->deadline_ms = uv_now(l->loop) + (uint64_t)ttl * 1000;
}

void lessorRevoked(struct lessor *l, int64_t id)
{
    struct lease_slot *s = slotFind(l, id);
    if (s == NULL) {
        return;
    }
    s->id = -1; /* tombstone keeps probe chains intact */
    l->live--;
}

static void timerCb(uv_timer_t *t)
{
    struct lessor *l = t->data;
    uint64_t now = uv_now(l->loop);
    unsigned revoked = 0;
    size_t i;
    if (!l->leader) {
        return;
    }
    for (i = 0; i < l->cap && revoked < LEASE__MAX_REVOKES_PER_TICK; i++) {
        struct lease_slot *s = &l->slots[i];
        if (s->id <= 0 || s->deadline_ms > now) {
            continue;
        }
        if (s->revoke_sent_ms != 0 &&
            now - s->revoke_sent_ms < LEASE__RETRY_MS) {
            continue;
        }
        s->revoke_sent_ms = now;
        revoked++;
        debugf("lease %llx expired", (unsigned long long)s->id);
        l->revoke(l->revoke_data, s->id);
    }
}

void lessorPromote(struct lessor *l)
{
    uint64_t now = uv_now(l->loop);
    size_t i;
    l->leader = true;
    /* etcd 3.4 lessor.Promote: every lease restarts its full TTL on a new
     * leader (no checkpoints), so no lease expires early across a leader
     * change. */
    for (i = 0; i < l->cap; i++) {
        if (l->slots[i].id > 0) {
            l->slots[i].deadline_ms = now + (uint64_t)l->slots[i].ttl * 1000;
            l->slots[i].revoke_sent_ms = 0;
        }
    }
    if (uv_timer_start(&l->timer, timerCb, LEASE__TICK_MS, LEASE__TICK_MS) !=
        0) {
        errorf("lease expiry timer did not start");
    }
}

void lessorDemote(struct lessor *l)
{
    l->leader = false;
    (void)uv_timer_stop(&l->timer); /* cannot fail on an initialized timer */
}

int lessorKeepAlive(struct lessor *l, int64_t id, int64_t *ttl)
{
    struct lease_slot *s = slotFind(l, id);
    if (s == NULL) {
        return ETCFS_LEASE_NOTFOUND;
    }
    s->deadline_ms = uv_now(l->loop) + (uint64_t)s->ttl * 1000;
    s->revoke_sent_ms = 0;
    *ttl = s->ttl;
    return 0;
}

int lessorTimeToLive(struct lessor *l, int64_t id, int64_t *remaining,
                     int64_t *granted)
{
    struct lease_slot *s = slotFind(l, id);
    uint64_t now = uv_now(l->loop);
    if (s == NULL) {
        return ETCFS_LEASE_NOTFOUND;
    }
    *granted = s->ttl;
    if (!l->leader) {
        *remaining = s->ttl;
    } else if (s->deadline_ms <= now) {
        *remaining = 0; /* expired, revoke on its way (etcd returns -1
                           only once gone) */
    } else {
        /* etcd rounds the remaining time down to whole seconds */
        *remaining = (int64_t)((s->deadline_ms - now) / 1000);
    }
    return 0;
}

bool lessorExists(struct lessor *l, int64_t id)
{
    return slotFind(l, id) != NULL;
}

int64_t lessorNewId(struct lessor *l)
{
    for (;;) {
        uint64_t r = 0;
        int64_t id;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
            r = uv_hrtime() * 6364136223846793005ULL + 1442695040888963407ULL;
        }
        id = (int64_t)(r & 0x7fffffffffffffffULL);
        if (id != 0 && slotFind(l, id) == NULL) {
            return id;
        }
    }
}

int64_t lessorClampTtl(struct lessor *l, int64_t ttl)
{
    return ttl < l->min_ttl ? l->min_ttl : ttl;
}

int lessorList(struct lessor *l, int64_t **ids, size_t *n)
{
    size_t i;
    size_t k = 0;
    *ids = malloc((l->live > 0 ? l->live : 1) * sizeof **ids);
    if (*ids == NULL) {
        return ETCFS_NOMEM;
    }
    for (i = 0; i < l->cap; i++) {
        if (l->slots[i].id > 0) {
            (*ids)[k++] = l->slots[i].id;
        }
    }
    *n = k;
    return 0;
}

static uint64_t expiryOf(struct lessor *l, int64_t id)
{
    struct lease_slot *s = slotFind(l, id);
    if (s == NULL) {
        return UINT64_MAX; /* revoked since the store was read: last */
    }
    return l->leader ? s->deadline_ms : (uint64_t)s->ttl * 1000;
}

static int expiryCmp(const void *a, const void *b, void *data)
{
    const struct store_lease *x = a;
    const struct store_lease *y = b;
    uint64_t ex = expiryOf(data, x->id);
    uint64_t ey = expiryOf(data, y->id);
    if (ex != ey) {
        return ex < ey ? -1 : 1;
    }
    return x->id < y->id ? -1 : x->id > y->id;
}

void lessorSortByExpiry(struct lessor *l, struct store_lease *leases,
                        size_t n)
{
    if (n > 1) {
        qsort_r(leases, n, sizeof *leases, expiryCmp, l);
    }
}

static void timerCloseCb(uv_handle_t *h)
{
    struct lessor *l = h->data;
    if (l->close_cb != NULL) {
        l->close_cb(l, l->close_data);
    }
    free(l->slots);
    free(l);
}

void lessorClose(struct lessor *l, lessor_close_cb cb, void *data)
{
    l->close_cb = cb;
    l->close_data = data;
    l->leader = false;
    uv_close((uv_handle_t *)&l->timer, timerCloseCb);
}
