/* The bbolt file format (contract in bolt.h): the two-pass writer and the
 * reader. Layouts follow bbolt 1.3's page.go:
 *   page header (16): id u64, flags u16, count u16, overflow u32
 *   branch element (16): pos u32, ksize u32, pgid u64
 *   leaf element (16): flags u32, pos u32, ksize u32, vsize u32
 *   (pos counts from the element itself; the key follows, then the value)
 *   meta (64, after a page header): magic u32, version u32, page size u32,
 *   flags u32, root bucket {root u64, sequence u64}, freelist u64, high
 *   water mark u64, txid u64, checksum u64 (FNV-1a 64 of what precedes)
 *   bucket value: {root u64, sequence u64}, then the page itself when
 *   root is 0 (inline). */
#include <string.h>
#include <stdlib.h>

#include "bolt.h"

#define BOLT__MAGIC 0xED0CDAEDu
#define BOLT__VERSION 2u
#define BOLT__BRANCH 0x01
#define BOLT__LEAF 0x02
#define BOLT__META 0x04
#define BOLT__FREELIST 0x10
#define BOLT__BUCKET_LEAF 0x01
#define BOLT__HEADER 16
#define BOLT__ELEM 16
#define BOLT__META_LEN 64
#define BOLT__FREELIST_PGID 2
#define BOLT__MAX_DEPTH 64

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t fnv64a(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint32_t pagesFor(size_t bytes)
{
    return (uint32_t)((bytes + BOLT_PAGE_SIZE - 1) / BOLT_PAGE_SIZE);
}

/* Appends a zeroed page (pages long) with its header to b; returns its
 * start in b->data or (size_t)-1. */
static size_t pageAppend(struct buf *b, uint64_t id, uint16_t flags,
                         uint16_t count, uint32_t pages)
{
    size_t at = b->len;
    size_t n = (size_t)pages * BOLT_PAGE_SIZE;
    if (bufReserve(b, n) != 0) {
        return (size_t)-1;
    }
    memset(b->data + at, 0, n);
    b->len += n;
    put64((unsigned char *)b->data + at, id);
    put16((unsigned char *)b->data + at + 8, flags);
    put16((unsigned char *)b->data + at + 10, count);
    put32((unsigned char *)b->data + at + 12, pages - 1);
    return at;
}

/* ---- writer, pass 1 ---- */

void boltWriterInit(struct bolt_writer *w)
{
    memset(w, 0, sizeof *w);
    w->next_pgid = 3; /* meta 0, meta 1, freelist */
}

void boltWriterFree(struct bolt_writer *w)
{
    for (size_t i = 0; i < w->n_buckets; i++) {
        free(w->b[i].leaves);
        bufFree(&w->b[i].branch);
        bufFree(&w->b[i].first);
    }
    bufFree(&w->head);
    bufFree(&w->rootp);
    bufFree(&w->page);
    memset(w, 0, sizeof *w);
}

/* One level of branch pages over children (u32 len, key, u64 pgid)*:
 * rendered into out, the level above written to up. */
static int branchLevel(struct bolt_writer *w, const struct buf *children,
                       struct buf *out, struct buf *up, size_t *n_up)
{
    size_t off = 0;
    *n_up = 0;
    bufReset(up);
    while (off < children->len) {
        /* which children fit in one page (at least one) */
        size_t end = off;
        size_t bytes = BOLT__HEADER;
        size_t count = 0;
        while (end < children->len && count < 0xFFFF) {
            uint32_t kl = bufGetU32(children->data + end);
            size_t elem = BOLT__ELEM + kl;
            if (count > 0 && bytes + elem > BOLT_PAGE_SIZE) {
                break;
            }
            bytes += elem;
            count++;
            end += 4 + kl + 8;
        }
        uint64_t id = w->next_pgid;
        uint32_t pages = pagesFor(bytes);
        size_t at = pageAppend(out, id, BOLT__BRANCH, (uint16_t)count, pages);
        if (at == (size_t)-1) {
            return -1;
        }
        unsigned char *pg = (unsigned char *)out->data + at;
        size_t data = BOLT__HEADER + count * BOLT__ELEM;
        size_t c = off;
        for (size_t i = 0; i < count; i++) {
            uint32_t kl = bufGetU32(children->data + c);
            unsigned char *e = pg + BOLT__HEADER + i * BOLT__ELEM;
            put32(e, (uint32_t)(data - (BOLT__HEADER + i * BOLT__ELEM)));
            put32(e + 4, kl);
            put64(e + 8, bufGetU64(children->data + c + 4 + kl));
            memcpy(pg + data, children->data + c + 4, kl);
            data += kl;
            c += 4 + kl + 8;
        }
        /* the page's own key is its first child's */
        uint32_t kl0 = bufGetU32(children->data + off);
        if (bufAppendU32(up, kl0) != 0 ||
            bufAppend(up, children->data + off + 4, kl0) != 0 ||
            bufAppendU64(up, id) != 0) {
            return -1;
        }
        w->next_pgid += pages;
        (*n_up)++;
        off = end;
    }
    return 0;
}

/* Closes the open leaf of b: pages counted, ids advance. */
static void leafClose(struct bolt_writer *w, struct bolt_bucket *b)
{
    struct bolt_leaf *l = &b->leaves[b->n_leaves - 1];
    l->pages = pagesFor(b->fill);
    w->next_pgid += l->pages;
    b->fill = 0;
}

/* Ends pass 1 of the last bucket: its branch levels and root. */
static int bucketLayoutEnd(struct bolt_writer *w)
{
    struct bolt_bucket *b;
    struct buf level = {0};
    struct buf up = {0};
    uint64_t pgid;
    size_t n;
    size_t off = 0;
    int rv = 0;
    if (w->n_buckets == 0) {
        return 0;
    }
    b = &w->b[w->n_buckets - 1];
    if (b->n_leaves == 0) {
        b->root = 0;
        return 0;
    }
    leafClose(w, b);
    /* level 0: (first key, pgid) of each leaf */
    pgid = w->next_pgid;
    for (size_t i = 0; i < b->n_leaves; i++) {
        pgid -= b->leaves[i].pages;
    }
    for (size_t i = 0; i < b->n_leaves && rv == 0; i++) {
        uint32_t kl = bufGetU32(b->first.data + off);
        if (bufAppendU32(&level, kl) != 0 ||
            bufAppend(&level, b->first.data + off + 4, kl) != 0 ||
            bufAppendU64(&level, pgid) != 0) {
            rv = -1;
        }
        pgid += b->leaves[i].pages;
        off += 4 + kl;
    }
    n = b->n_leaves;
    while (rv == 0 && n > 1) {
        struct buf t;
        rv = branchLevel(w, &level, &b->branch, &up, &n);
        t = level;
        level = up;
        up = t;
    }
    if (rv == 0) {
        uint32_t kl = bufGetU32(level.data);
        b->root = bufGetU64(level.data + 4 + kl);
    }
    bufFree(&level);
    bufFree(&up);
    bufFree(&b->first);
    return rv;
}

int boltLayoutBucket(struct bolt_writer *w, const char *name, size_t len)
{
    struct bolt_bucket *b;
    int rv = bucketLayoutEnd(w);
    if (rv != 0) {
        return rv;
    }
    if (w->n_buckets == BOLT_MAX_BUCKETS || len >= sizeof b->name) {
        return -2;
    }
    b = &w->b[w->n_buckets++];
    memcpy(b->name, name, len);
    b->name_len = len;
    return 0;
}

int boltLayoutAdd(struct bolt_writer *w, const void *key, size_t klen,
                  size_t vlen)
{
    struct bolt_bucket *b;
    size_t elem = BOLT__ELEM + klen + vlen;
    if (w->n_buckets == 0 || klen == 0 || klen > BOLT_MAX_KEY ||
        vlen > UINT32_MAX - BOLT__HEADER - BOLT__ELEM - BOLT_MAX_KEY) {
        return -2;
    }
    b = &w->b[w->n_buckets - 1];
    if (b->n_leaves == 0 ||
        (b->fill + elem > BOLT_PAGE_SIZE && b->leaves[b->n_leaves - 1].n > 0) ||
        b->leaves[b->n_leaves - 1].n == 0xFFFF) {
        if (b->n_leaves > 0) {
            leafClose(w, b);
        }
        if (b->n_leaves == b->cap_leaves) {
            size_t cap = b->cap_leaves ? 2 * b->cap_leaves : 64;
            struct bolt_leaf *l = realloc(b->leaves, cap * sizeof *l);
            if (l == NULL) {
                return -1;
            }
            b->leaves = l;
            b->cap_leaves = cap;
        }
        b->leaves[b->n_leaves].n = 0;
        b->leaves[b->n_leaves].pages = 0;
        b->n_leaves++;
        b->fill = BOLT__HEADER;
        if (bufAppendU32(&b->first, (uint32_t)klen) != 0 ||
            bufAppend(&b->first, key, klen) != 0) {
            return -1;
        }
    }
    b->leaves[b->n_leaves - 1].n++;
    b->fill += elem;
    b->n++;
    return 0;
}

static void metaRender(unsigned char *pg, uint64_t id, uint64_t root,
                       uint64_t pages, uint64_t txid)
{
    unsigned char *m = pg + BOLT__HEADER;
    put64(pg, id);
    put16(pg + 8, BOLT__META);
    put32(m, BOLT__MAGIC);
    put32(m + 4, BOLT__VERSION);
    put32(m + 8, BOLT_PAGE_SIZE);
    put32(m + 12, 0);
    put64(m + 16, root);
    put64(m + 24, 0);
    put64(m + 32, BOLT__FREELIST_PGID);
    put64(m + 40, pages);
    put64(m + 48, txid);
    put64(m + 56, fnv64a(m, 56));
}

int boltLayoutEnd(struct bolt_writer *w, uint64_t txid, uint64_t *size)
{
    size_t bytes = BOLT__HEADER;
    size_t at;
    unsigned char *pg;
    size_t data;
    uint64_t root_id;
    int rv = bucketLayoutEnd(w);
    if (rv != 0) {
        return rv;
    }
    /* the root bucket: one leaf naming every bucket */
    for (size_t i = 0; i < w->n_buckets; i++) {
        bytes += BOLT__ELEM + w->b[i].name_len + 16 +
                 (w->b[i].root == 0 ? BOLT__HEADER : 0);
    }
    root_id = w->next_pgid;
    at = pageAppend(&w->rootp, root_id, BOLT__LEAF, (uint16_t)w->n_buckets,
                    pagesFor(bytes));
    if (at == (size_t)-1) {
        return -1;
    }
    pg = (unsigned char *)w->rootp.data;
    data = BOLT__HEADER + w->n_buckets * BOLT__ELEM;
    for (size_t i = 0; i < w->n_buckets; i++) {
        struct bolt_bucket *b = &w->b[i];
        unsigned char *e = pg + BOLT__HEADER + i * BOLT__ELEM;
        size_t vlen = 16 + (b->root == 0 ? BOLT__HEADER : 0);
        put32(e, BOLT__BUCKET_LEAF);
        put32(e + 4, (uint32_t)(data - (BOLT__HEADER + i * BOLT__ELEM)));
        put32(e + 8, (uint32_t)b->name_len);
        put32(e + 12, (uint32_t)vlen);
        memcpy(pg + data, b->name, b->name_len);
        data += b->name_len;
        put64(pg + data, b->root); /* sequence 0 */
        if (b->root == 0) {
            put16(pg + data + 16 + 8, BOLT__LEAF); /* empty inline page */
        }
        data += vlen;
    }
    w->next_pgid += pagesFor(bytes);
    /* meta 0 and 1 (the newer one is read), an empty freelist */
    bufReset(&w->head);
    if (bufReserve(&w->head, 3 * BOLT_PAGE_SIZE) != 0) {
        return -1;
    }
    memset(w->head.data, 0, 3 * BOLT_PAGE_SIZE);
    w->head.len = 3 * BOLT_PAGE_SIZE;
    pg = (unsigned char *)w->head.data;
    metaRender(pg, 0, root_id, w->next_pgid, txid);
    metaRender(pg + BOLT_PAGE_SIZE, 1, root_id, w->next_pgid, txid + 1);
    put64(pg + 2 * BOLT_PAGE_SIZE, BOLT__FREELIST_PGID);
    put16(pg + 2 * BOLT_PAGE_SIZE + 8, BOLT__FREELIST);
    w->laid_out = true;
    *size = w->next_pgid * BOLT_PAGE_SIZE;
    return 0;
}

/* ---- writer, pass 2 ---- */

int boltEmitBegin(struct bolt_writer *w, bolt_sink_fn sink, void *data)
{
    if (!w->laid_out) {
        return -2;
    }
    w->sink = sink;
    w->sink_data = data;
    w->cur = (size_t)-1;
    w->next_pgid = 3;
    return sink(data, w->head.data, w->head.len);
}

int boltEmitBucket(struct bolt_writer *w)
{
    w->cur++;
    if (w->cur >= w->n_buckets) {
        return -2;
    }
    w->leaf = 0;
    w->in_leaf = 0;
    return 0;
}

int boltEmitPut(struct bolt_writer *w, const void *key, size_t klen,
                const void *val, size_t vlen)
{
    struct bolt_bucket *b = &w->b[w->cur];
    struct bolt_leaf *l;
    unsigned char *pg;
    unsigned char *e;
    size_t elem_at;
    if (w->leaf >= b->n_leaves) {
        return -2;
    }
    l = &b->leaves[w->leaf];
    if (w->in_leaf == 0) {
        bufReset(&w->page);
        if (pageAppend(&w->page, w->next_pgid, BOLT__LEAF, (uint16_t)l->n,
                       l->pages) == (size_t)-1) {
            return -1;
        }
        w->data_off = BOLT__HEADER + (size_t)l->n * BOLT__ELEM;
    }
    if (w->data_off + klen + vlen > w->page.len) {
        return -2;
    }
    pg = (unsigned char *)w->page.data;
    elem_at = BOLT__HEADER + (size_t)w->in_leaf * BOLT__ELEM;
    e = pg + elem_at;
    put32(e, 0);
    put32(e + 4, (uint32_t)(w->data_off - elem_at));
    put32(e + 8, (uint32_t)klen);
    put32(e + 12, (uint32_t)vlen);
    memcpy(pg + w->data_off, key, klen);
    if (vlen > 0) {
        memcpy(pg + w->data_off + klen, val, vlen);
    }
    w->data_off += klen + vlen;
    if (++w->in_leaf == l->n) {
        int rv = w->sink(w->sink_data, w->page.data, w->page.len);
        if (rv != 0) {
            return rv;
        }
        w->next_pgid += l->pages;
        w->leaf++;
        w->in_leaf = 0;
    }
    return 0;
}

int boltEmitBucketEnd(struct bolt_writer *w)
{
    struct bolt_bucket *b = &w->b[w->cur];
    if (w->leaf != b->n_leaves || w->in_leaf != 0) {
        return -2;
    }
    w->next_pgid += b->branch.len / BOLT_PAGE_SIZE;
    if (b->branch.len == 0) {
        return 0;
    }
    return w->sink(w->sink_data, b->branch.data, b->branch.len);
}

int boltEmitEnd(struct bolt_writer *w)
{
    if (w->cur + 1 != w->n_buckets) {
        return -2;
    }
    return w->sink(w->sink_data, w->rootp.data, w->rootp.len);
}

/* ---- reader ---- */

bool boltIsBolt(const void *p, size_t len)
{
    return len >= BOLT__HEADER + BOLT__META_LEN &&
           get32((const unsigned char *)p + BOLT__HEADER) == BOLT__MAGIC;
}

/* Meta at page offset 'at' with the page size to use for later pages. */
static int metaCheck(const unsigned char *p, size_t len, size_t at,
                     struct bolt_file *f)
{
    const unsigned char *m = p + at + BOLT__HEADER;
    uint32_t psize;
    if (at + BOLT__HEADER + BOLT__META_LEN > len ||
        get32(m) != BOLT__MAGIC || get32(m + 4) != BOLT__VERSION ||
        get64(m + 56) != fnv64a(m, 56)) {
        return -2;
    }
    psize = get32(m + 8);
    if (psize < 512 || psize > 65536 || (psize & (psize - 1)) != 0) {
        return -2;
    }
    f->page_size = psize;
    f->root = get64(m + 16);
    f->pages = get64(m + 40);
    f->txid = get64(m + 48);
    return 0;
}

int boltOpen(struct bolt_file *f, const void *p, size_t len)
{
    struct bolt_file a = {0};
    struct bolt_file b = {0};
    int ra = metaCheck(p, len, 0, &a);
    int rb = ra == 0 ? metaCheck(p, len, a.page_size, &b)
                     : metaCheck(p, len, BOLT_PAGE_SIZE, &b);
    if (ra != 0 && rb != 0) {
        return -2;
    }
    if (ra != 0 || (rb == 0 && b.txid > a.txid)) {
        a = b;
    }
    a.p = p;
    a.len = len;
    if (a.root >= a.pages || a.pages > len / a.page_size) {
        return -2;
    }
    *f = a;
    return 0;
}

/* The page (header and all its overflow inside the file) or NULL. */
static const unsigned char *pageAt(const struct bolt_file *f, uint64_t id,
                                   size_t *size)
{
    const unsigned char *pg;
    uint64_t n;
    if (id < 2 || id >= f->pages) {
        return NULL;
    }
    pg = f->p + id * f->page_size;
    n = ((uint64_t)get32(pg + 12) + 1) * f->page_size;
    if (get64(pg) != id || id * f->page_size + n > f->len) {
        return NULL;
    }
    *size = (size_t)n;
    return pg;
}

static int walkPage(const struct bolt_file *f, const unsigned char *pg,
                    size_t size, int depth, bolt_each_fn fn, void *data)
{
    uint16_t flags = get16(pg + 8);
    size_t count = get16(pg + 10);
    if (depth > BOLT__MAX_DEPTH ||
        BOLT__HEADER + count * BOLT__ELEM > size) {
        return -2;
    }
    for (size_t i = 0; i < count; i++) {
        const unsigned char *e = pg + BOLT__HEADER + i * BOLT__ELEM;
        size_t eoff = BOLT__HEADER + i * BOLT__ELEM;
        int rv;
        if (flags & BOLT__BRANCH) {
            const unsigned char *child;
            size_t csize;
            child = pageAt(f, get64(e + 8), &csize);
            if (child == NULL) {
                return -2;
            }
            rv = walkPage(f, child, csize, depth + 1, fn, data);
        } else if (flags & BOLT__LEAF) {
            size_t pos = get32(e + 4);
            size_t kl = get32(e + 8);
            size_t vl = get32(e + 12);
            if (eoff + pos > size || size - eoff - pos < kl ||
                size - eoff - pos - kl < vl) {
                return -2;
            }
            rv = fn(data, e + pos, kl, e + pos + kl, vl,
                    (get32(e) & BOLT__BUCKET_LEAF) != 0);
        } else {
            return -2;
        }
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}

int boltForEach(const struct bolt_file *f, const unsigned char *bucket,
                size_t blen, bolt_each_fn fn, void *data)
{
    const unsigned char *pg;
    size_t size;
    uint64_t root = f->root;
    if (bucket != NULL) {
        if (blen < 16) {
            return -2;
        }
        root = get64(bucket);
        if (root == 0) { /* inline: the page follows the header */
            if (blen < 16 + BOLT__HEADER) {
                return -2;
            }
            return walkPage(f, bucket + 16, blen - 16, 0, fn, data);
        }
    }
    pg = pageAt(f, root, &size);
    if (pg == NULL) {
        return -2;
    }
    return walkPage(f, pg, size, 0, fn, data);
}

struct bolt__find
{
    const char *name;
    size_t len;
    const unsigned char *v;
    size_t vlen;
};

static int findCb(void *data, const unsigned char *k, size_t klen,
                  const unsigned char *v, size_t vlen, bool is_bucket)
{
    struct bolt__find *q = data;
    if (is_bucket && klen == q->len && memcmp(k, q->name, klen) == 0) {
        q->v = v;
        q->vlen = vlen;
        return 1;
    }
    return 0;
}

int boltBucket(const struct bolt_file *f, const char *name, size_t len,
               const unsigned char **v, size_t *vlen)
{
    struct bolt__find q = {name, len, NULL, 0};
    int rv = boltForEach(f, NULL, 0, findCb, &q);
    if (rv < 0) {
        return rv;
    }
    if (q.v == NULL) {
        return -3;
    }
    *v = q.v;
    *vlen = q.vlen;
    return 0;
}
