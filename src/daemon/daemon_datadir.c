/* The data dir at start (daemon_datadir.h): its creation, the member
 * record that ties it to one member and cluster token, and the import of a
 * restored snapshot. Loop thread, before the node starts: plain blocking
 * stdio is fine, nothing else runs on the loop yet. */
#include "daemon_datadir.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/error.h"
#include "../lib/fs.h"
#include "../lib/log.h"

/* ---- the dir itself ---- */

int daemonDataDirCreate(const char *dir, char *errmsg)
{
    char failed[PATH_MAX] = "";
    int rv = fsMkdirAll(dir, 0700, failed);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "create %s: %s", failed, strerror(-rv));
        return ETCFS_IO;
    }
    return 0;
}

/* ---- one-line records (member, wal-dir) ---- */

/* The first line of path into line, without its newline: true, or false
 * when the file does not exist (or cannot be read). */
static bool recordRead(const char *path, char *line, size_t size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    if (fgets(line, (int)size, f) == NULL) {
        line[0] = '\0';
    }
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    return true;
}

/* Writes text and a newline to path, synced. 0 or ETCFS_IO with errmsg. */
static int recordWrite(const char *path, const char *text, char *errmsg)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fprintf(f, "%s\n", text) < 0 || fflush(f) != 0 ||
        fsync(fileno(f)) != 0) {
        etcfsErrmsgf(errmsg, "write %s: %s", path, strerror(errno));
        if (f != NULL) {
            fclose(f);
        }
        return ETCFS_IO;
    }
    fclose(f);
    return 0;
}

/* ---- identity ---- */

/* <data-dir>/member records which member and cluster token the dir belongs
 * to; a dir of another member or cluster is refused instead of silently
 * joining the wrong history. The id recorded there wins over the one
 * derived from the peer URL, so a member keeps its id across `member
 * update` (new peer URL). */
int daemonDataDirCheckIdentity(const struct config *cfg, uint64_t *id,
                               char *errmsg)
{
    char path[4200];
    char line[512];
    char want[512];
    char name[128];
    char token[300];
    unsigned long long file_id;
    snprintf(path, sizeof path, "%s/member", cfg->data_dir);
    snprintf(want, sizeof want, "%016llx %s %s", (unsigned long long)*id,
             cfg->name, cfg->initial_cluster_token);
    if (recordRead(path, line, sizeof line)) {
        if (sscanf(line, "%16llx %127s %299s", &file_id, name, token) != 3 ||
            strcmp(name, cfg->name) != 0 ||
            strcmp(token, cfg->initial_cluster_token) != 0) {
            etcfsErrmsgf(errmsg,
                         "data dir %s belongs to another member or cluster "
                         "(%s), not to member %s of cluster token %s: "
                         "use the right --data-dir, or a fresh one",
                         cfg->data_dir, line, cfg->name,
                         cfg->initial_cluster_token);
            return ETCFS_INVALID;
        }
        *id = (uint64_t)file_id;
        return 0;
    }
    return recordWrite(path, want, errmsg);
}

/* ---- snapshot restore import ----
 * `etcfsctl snapshot restore` leaves <data-dir>/restore.snap in a new data
 * dir. On the first start the store takes that state, forgets the old
 * cluster's membership and id, and sets its applied index to 0 so the new
 * Raft log (bootstrapped from --initial-cluster) applies from the start. */

struct daemon_names
{
    char names[64][128];
    unsigned n;
};

static void collectMetaCb(void *data, const char *name, size_t name_len,
                          const char *value, size_t value_len)
{
    struct daemon_names *c = data;
    (void)value;
    (void)value_len;
    if (c->n < 64 && name_len < sizeof c->names[0]) {
        memcpy(c->names[c->n], name, name_len);
        c->names[c->n][name_len] = '\0';
        c->n++;
    }
}

int daemonDataDirImportRestore(const struct config *cfg, struct store *store,
                               char *errmsg)
{
    char path[4300];
    char done[4400];
    static const char *const prefixes[] = {"member/", "learner/"};
    struct daemon_names names;
    FILE *f;
    long size;
    char *buf;
    unsigned i;
    unsigned j;
    int rv;
    snprintf(path, sizeof path, "%s/restore.snap", cfg->data_dir);
    f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }
    if (storeAppliedIndex(store) != 0) {
        fclose(f);
        etcfsErrmsgf(errmsg,
                     "%s: the data dir already holds a store; restore into "
                     "a new --data-dir",
                     path);
        return ETCFS_INVALID;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        etcfsErrmsgf(errmsg, "%s: unreadable", path);
        return ETCFS_IO;
    }
    buf = malloc((size_t)size);
    if (buf == NULL) {
        fclose(f);
        etcfsErrmsgf(errmsg, "%s: out of memory", path);
        return ETCFS_NOMEM;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        fclose(f);
        etcfsErrmsgf(errmsg, "%s: short read", path);
        return ETCFS_IO;
    }
    fclose(f);
    rv = storeRestore(store, buf, (size_t)size, errmsg);
    free(buf);
    if (rv != 0) {
        etcfsErrmsgWrapf(errmsg, "restore %s", path);
        return rv;
    }
    for (i = 0; i < 2; i++) {
        names.n = 0;
        rv = storeMetaScan(store, prefixes[i], strlen(prefixes[i]),
                           collectMetaCb, &names, errmsg);
        for (j = 0; rv == 0 && j < names.n; j++) {
            rv = storeApplyMeta(store, 0, 0, names.names[j],
                                strlen(names.names[j]), NULL, 0, errmsg);
        }
        if (rv != 0) {
            return rv;
        }
    }
    rv = storeApplyMeta(store, 0, 0, "cluster_id", 10, NULL, 0, errmsg);
    if (rv == 0) {
        rv = storeApplyNoop(store, 0, 0, errmsg);
    }
    if (rv != 0) {
        return rv;
    }
    snprintf(done, sizeof done, "%s.imported", path);
    if (rename(path, done) != 0) {
        etcfsErrmsgf(errmsg, "rename %s: %s", path, strerror(errno));
        return ETCFS_IO;
    }
    infof("restored the keyspace from %s: revision %lld, %lld keys",
          path, (long long)storeRevision(store),
          (long long)storeKeyCount(store));
    return 0;
}

/* ---- the Raft log's place (--wal-dir) ---- */

void daemonRaftDir(const struct config *cfg, char *buf, size_t size)
{
    if (cfg->wal_dir[0] != '\0') {
        snprintf(buf, size, "%s", cfg->wal_dir);
    } else {
        snprintf(buf, size, "%s/raft", cfg->data_dir);
    }
}

/* <data-dir>/wal-dir names the Raft log's directory the data dir was
 * started with: a start that would look elsewhere (a --wal-dir dropped or
 * changed) is refused rather than starting from an empty log. */
int daemonRaftDirCheck(const struct config *cfg, char *errmsg)
{
    char path[4200];
    char want[4200];
    char have[4200] = "";
    daemonRaftDir(cfg, want, sizeof want);
    snprintf(path, sizeof path, "%s/wal-dir", cfg->data_dir);
    if (recordRead(path, have, sizeof have)) {
        if (have[0] != '\0' && strcmp(have, want) != 0) {
            etcfsErrmsgf(errmsg,
                         "%s: its Raft log is in %s, not %s: start with "
                         "--wal-dir %s",
                         cfg->data_dir, have, want, have);
            return ETCFS_INVALID;
        }
        return 0;
    }
    return recordWrite(path, want, errmsg);
}
