/* Tidying after deletes. A deleted key leaves a LevelDB tombstone on its
 * live copy ('k'), and every range over that span (a readdir, "is anything
 * left under this directory?", a prefix get) steps over each tombstone
 * until LevelDB's own compaction drops it, which for the memtable can be
 * never. After a deleterange of thousands of keys every such read walked
 * all of them. The apply thread notes the span deleted (storeTidyNote,
 * storeTidyTake); once it holds enough keys the daemon has a pool thread
 * compact just that span (storeTidyRun), never the loop. */
#include <string.h>

#include "store_internal.h"

void storeTidyNote(struct store *s, const char *k, size_t len)
{
    if (s->tidy_n == 0 ||
        mvccKeyCompare(k, len, s->tidy_lo.data, s->tidy_lo.len) < 0) {
        bufReset(&s->tidy_lo);
        if (bufAppend(&s->tidy_lo, k, len) != 0) {
            return; /* out of memory: left to LevelDB */
        }
    }
    if (s->tidy_n == 0 ||
        mvccKeyCompare(k, len, s->tidy_hi.data, s->tidy_hi.len) > 0) {
        bufReset(&s->tidy_hi);
        if (bufAppend(&s->tidy_hi, k, len) != 0) {
            return;
        }
    }
    s->tidy_n++;
}

bool storeTidyTake(struct store *s, struct store_tidy *t)
{
    if (s->tidy_n < STORE_TIDY_MIN) {
        return false;
    }
    t->lo = s->tidy_lo;
    t->hi = s->tidy_hi;
    t->n = s->tidy_n;
    memset(&s->tidy_lo, 0, sizeof s->tidy_lo);
    memset(&s->tidy_hi, 0, sizeof s->tidy_hi);
    s->tidy_n = 0;
    return true;
}

void storeTidyRun(struct store *s, struct store_tidy *t)
{
    leveldb_compact_range(s->db, t->lo.data, t->lo.len, t->hi.data,
                          t->hi.len);
    bufFree(&t->lo);
    bufFree(&t->hi);
}
