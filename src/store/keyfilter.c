/* The live-key filter (see keyfilter.h): segments of a Bloom filter, each
 * sized for twice the keys of the one before, the base one built on a
 * thread from a LevelDB snapshot. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/hash.h"
#include "../lib/log.h"
#include "keyfilter.h"

#define KF__BITS_PER_KEY 10 /* at least: sizes round up to a power of 2 */
#define KF__PROBES 6        /* ~1 % false "may" at 10 bits per key */
#define KF__FIRST_CAP ((size_t)16384)
#define KF__CANCEL_EVERY 4096 /* keys between checks of 'cancel' */

struct kf_seg
{
    uint64_t *w;
    uint64_t mask; /* bits - 1 (bits a power of two) */
    size_t cap;    /* keys it is sized for */
    size_t n;
    struct kf_seg *next; /* older (smaller) segments */
};

struct key_filter
{
    leveldb_t *db; /* borrowed */
    const leveldb_snapshot_t *snap;
    char prefix;
    size_t base_cap;
    struct kf_seg *live; /* apply thread: newest first */
    struct kf_seg *base; /* the builder's until 'built' */
    pthread_t thread;
    bool joined;
    bool merged; /* base is in 'live' */
    atomic_bool built;
    atomic_bool cancel;
};

static struct kf_seg *segNew(size_t cap, struct kf_seg *next)
{
    struct kf_seg *s = calloc(1, sizeof *s);
    uint64_t bits = 64;
    if (s == NULL) {
        return NULL;
    }
    while (bits < (uint64_t)cap * KF__BITS_PER_KEY) {
        bits <<= 1;
    }
    s->w = calloc(bits / 64, sizeof *s->w);
    if (s->w == NULL) {
        free(s);
        return NULL;
    }
    s->mask = bits - 1;
    s->cap = cap;
    s->next = next;
    return s;
}

static void segsFree(struct kf_seg *s)
{
    while (s != NULL) {
        struct kf_seg *next = s->next;
        free(s->w);
        free(s);
        s = next;
    }
}

/* Two independent-enough 64-bit hashes of the key (FNV-1a, then the
 * splitmix64 finalizer for well-spread low bits). */
static void keyHash(const char *key, size_t len, uint64_t *h1, uint64_t *h2)
{
    uint64_t h = hashBytes(key, len);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    *h1 = h;
    *h2 = ((h >> 32) | (h << 32)) | 1;
}

static void segSet(struct kf_seg *s, uint64_t h1, uint64_t h2)
{
    int i;
    for (i = 0; i < KF__PROBES; i++) {
        uint64_t b = (h1 + (uint64_t)i * h2) & s->mask;
        s->w[b >> 6] |= 1ULL << (b & 63);
    }
    s->n++;
}

static bool segTest(const struct kf_seg *s, uint64_t h1, uint64_t h2)
{
    int i;
    for (i = 0; i < KF__PROBES; i++) {
        uint64_t b = (h1 + (uint64_t)i * h2) & s->mask;
        if ((s->w[b >> 6] & (1ULL << (b & 63))) == 0) {
            return false;
        }
    }
    return true;
}

/* Adds to the newest segment of *head, adding a bigger one when it is
 * full. -1 when out of memory (the key is not in the filter). */
static int segsAdd(struct kf_seg **head, size_t first_cap, const char *key,
                   size_t len)
{
    uint64_t h1;
    uint64_t h2;
    if (*head == NULL || (*head)->n >= (*head)->cap) {
        struct kf_seg *s =
            segNew(*head == NULL ? first_cap : 2 * (*head)->cap, *head);
        if (s == NULL) {
            return -1;
        }
        *head = s;
    }
    keyHash(key, len, &h1, &h2);
    segSet(*head, h1, h2);
    return 0;
}

static void *buildMain(void *arg)
{
    struct key_filter *f = arg;
    leveldb_readoptions_t *ro = leveldb_readoptions_create();
    leveldb_iterator_t *it;
    char *err = NULL;
    size_t n = 0;
    bool ok = true;

    leveldb_readoptions_set_snapshot(ro, f->snap);
    leveldb_readoptions_set_fill_cache(ro, 0);
    it = leveldb_create_iterator(f->db, ro);
    for (leveldb_iter_seek(it, &f->prefix, 1); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        size_t klen;
        const char *k = leveldb_iter_key(it, &klen);
        if (klen == 0 || k[0] != f->prefix) {
            break;
        }
        if (segsAdd(&f->base, f->base_cap, k + 1, klen - 1) != 0) {
            ok = false;
            break;
        }
        if (++n % KF__CANCEL_EVERY == 0 && atomic_load(&f->cancel)) {
            ok = false;
            break;
        }
    }
    leveldb_iter_get_error(it, &err);
    if (err != NULL) {
        warnf("key filter: %s (every put reads its key)", err);
        leveldb_free(err);
        ok = false;
    }
    leveldb_iter_destroy(it);
    leveldb_readoptions_destroy(ro);
    leveldb_release_snapshot(f->db, f->snap);
    f->snap = NULL;
    if (ok) {
        atomic_store(&f->built, true);
    }
    return NULL;
}

struct key_filter *keyFilterStart(leveldb_t *db, char prefix, int64_t hint)
{
    struct key_filter *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return NULL;
    }
    f->db = db;
    f->prefix = prefix;
    f->base_cap = hint > 0 ? (size_t)hint + (size_t)hint / 4 : 0;
    if (f->base_cap < KF__FIRST_CAP) {
        f->base_cap = KF__FIRST_CAP;
    }
    atomic_init(&f->built, false);
    atomic_init(&f->cancel, false);
    f->snap = leveldb_create_snapshot(db);
    if (pthread_create(&f->thread, NULL, buildMain, f) != 0) {
        leveldb_release_snapshot(db, f->snap);
        free(f);
        return NULL;
    }
    return f;
}

bool keyFilterMaybe(struct key_filter *f, const char *key, size_t len)
{
    const struct kf_seg *s;
    struct kf_seg **tail;
    uint64_t h1;
    uint64_t h2;
    if (!f->merged) {
        if (!atomic_load(&f->built)) {
            return true;
        }
        /* the builder is done: take its segments behind the live ones */
        tail = &f->live;
        pthread_join(f->thread, NULL);
        f->joined = true;
        while (*tail != NULL) {
            tail = &(*tail)->next;
        }
        *tail = f->base;
        f->base = NULL;
        f->merged = true;
    }
    keyHash(key, len, &h1, &h2);
    for (s = f->live; s != NULL; s = s->next) {
        if (segTest(s, h1, h2)) {
            return true;
        }
    }
    return false;
}

void keyFilterAdd(struct key_filter *f, const char *key, size_t len)
{
    if (segsAdd(&f->live, KF__FIRST_CAP, key, len) != 0) {
        /* out of memory: no longer complete, so never answer "absent" */
        atomic_store(&f->built, false);
        f->merged = false;
    }
}

void keyFilterStop(struct key_filter *f)
{
    if (f == NULL) {
        return;
    }
    if (!f->joined) {
        atomic_store(&f->cancel, true);
        pthread_join(f->thread, NULL);
    }
    segsFree(f->live);
    segsFree(f->base);
    free(f);
}
