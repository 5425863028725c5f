/* The store's values in memory: kv copies, the growable kv and event
 * arrays, and freeing responses and events (store*RespClear,
 * storeEventsClear). Any thread; touches no LevelDB and takes no lock:
 * every array belongs to one caller. */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* ---- kv helpers ---- */

void storeKvClear(struct store_kv *kv)
{
    if (kv == NULL) {
        return;
    }
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof *kv);
}

/* malloc'd copy with a NUL after the bytes (handy for string users). */
char *storeDup(const char *p, size_t len)
{
    char *q = malloc(len + 1);
    if (q == NULL) {
        return NULL;
    }
    if (len > 0) {
        memcpy(q, p, len);
    }
    q[len] = '\0';
    return q;
}

int storeKvCopy(struct store_kv *dst, const struct store_kv *src)
{
    *dst = *src;
    dst->key = NULL;
    dst->value = NULL;
    if (src->key != NULL) {
        dst->key = storeDup(src->key, src->key_len);
        if (dst->key == NULL) {
            return ETCFS_NOMEM;
        }
    }
    if (src->value != NULL) {
        dst->value = storeDup(src->value, src->value_len);
        if (dst->value == NULL) {
            free(dst->key);
            dst->key = NULL;
            return ETCFS_NOMEM;
        }
    }
    return 0;
}

/* Fills kv from a decoded record; key and value are copied. */
int storeKvFill(struct store_kv *kv, const char *key, size_t key_len,
                int64_t mod_revision, const struct mvcc_record *rec,
                bool want_value)
{
    memset(kv, 0, sizeof *kv);
    kv->key = storeDup(key, key_len);
    if (kv->key == NULL) {
        return ETCFS_NOMEM;
    }
    kv->key_len = key_len;
    if (want_value) {
        kv->value = storeDup(rec->value, rec->value_len);
        if (kv->value == NULL) {
            storeKvClear(kv);
            return ETCFS_NOMEM;
        }
        kv->value_len = rec->value_len;
    }
    kv->create_revision = rec->create_revision;
    kv->mod_revision = mod_revision;
    kv->version = rec->version;
    kv->lease = rec->lease;
    kv->attr = rec->attr;
    return 0;
}

struct store_kv *storeKvsPush(struct store_kvs *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap == 0 ? 16 : 2 * a->cap;
        struct store_kv *p = realloc(a->v, cap * sizeof *p);
        if (p == NULL) {
            return NULL;
        }
        a->v = p;
        a->cap = cap;
    }
    memset(&a->v[a->n], 0, sizeof a->v[a->n]);
    return &a->v[a->n++];
}

/* Clears the n kvs of v and frees v (which may be NULL when n is 0). */
static void storeKvArrayFree(struct store_kv *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        storeKvClear(&v[i]);
    }
    free(v);
}

int storeKvsPushKey(struct store_kvs *a, const char *key, size_t len)
{
    struct store_kv *slot = storeKvsPush(a);
    if (slot == NULL || (slot->key = storeDup(key, len)) == NULL) {
        if (slot != NULL) {
            a->n--;
        }
        return ETCFS_NOMEM;
    }
    slot->key_len = len;
    return 0;
}

int storeKvsPushFill(struct store_kvs *a, const char *key, size_t key_len,
                     int64_t mod_revision, const struct mvcc_record *rec,
                     bool want_value)
{
    struct store_kv *slot = storeKvsPush(a);
    if (slot == NULL ||
        storeKvFill(slot, key, key_len, mod_revision, rec, want_value) != 0) {
        if (slot != NULL) {
            a->n--;
        }
        return ETCFS_NOMEM;
    }
    return 0;
}

void storeKvsFree(struct store_kvs *a)
{
    storeKvArrayFree(a->v, a->n);
    memset(a, 0, sizeof *a);
}

/* ---- response and event cleanup ---- */

void storeRangeRespClear(struct store_range_resp *r)
{
    if (r == NULL) {
        return;
    }
    storeKvArrayFree(r->kvs, r->n_kvs);
    memset(r, 0, sizeof *r);
}

void storePutRespClear(struct store_put_resp *r)
{
    if (r == NULL) {
        return;
    }
    storeKvClear(&r->prev_kv);
    memset(r, 0, sizeof *r);
}

void storeDeleteRespClear(struct store_delete_resp *r)
{
    if (r == NULL) {
        return;
    }
    storeKvArrayFree(r->prev_kvs, r->n_prev_kvs);
    memset(r, 0, sizeof *r);
}

static void storeOpRespClear(struct store_op_resp *r)
{
    switch (r->type) {
        case STORE_OP_RANGE:
            storeRangeRespClear(&r->range);
            break;
        case STORE_OP_PUT:
            storePutRespClear(&r->put);
            break;
        case STORE_OP_DELETE:
            storeDeleteRespClear(&r->delete_range);
            break;
        case STORE_OP_TXN:
            if (r->txn != NULL) {
                storeTxnRespClear(r->txn);
                free(r->txn);
            }
            break;
        default:
            break;
    }
    memset(r, 0, sizeof *r);
}

void storeTxnRespClear(struct store_txn_resp *r)
{
    size_t i;
    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->n_responses; i++) {
        storeOpRespClear(&r->responses[i]);
    }
    free(r->responses);
    memset(r, 0, sizeof *r);
}

/* Frees the events after 'mark' (a rolled back command's). */
void storeEventsTruncate(struct store_events *ev, size_t mark)
{
    size_t i;
    for (i = mark; i < ev->n_events; i++) {
        storeKvClear(&ev->events[i].kv);
        storeKvClear(&ev->events[i].prev_kv);
    }
    ev->n_events = mark;
}

void storeEventsClear(struct store_events *ev)
{
    if (ev == NULL) {
        return;
    }
    storeEventsTruncate(ev, 0);
    free(ev->events);
    memset(ev, 0, sizeof *ev);
}

struct store_event *storeEventsPush(struct store_events *ev)
{
    if (ev->n_events == ev->cap) {
        size_t cap = ev->cap == 0 ? 8 : 2 * ev->cap;
        struct store_event *p = realloc(ev->events, cap * sizeof *p);
        if (p == NULL) {
            return NULL;
        }
        ev->events = p;
        ev->cap = cap;
    }
    memset(&ev->events[ev->n_events], 0, sizeof ev->events[0]);
    return &ev->events[ev->n_events++];
}
