/* etcfsctl snapshot commands: save (streams /v3/maintenance/snapshot into
 * <file>.part, fsyncs, renames), status (etcd's figures for a bbolt file,
 * etcd 3.4's format, which etcfsd sends; for etcfs's older own format HASH
 * = crc32 of the file, REVISION and TOTAL KEYS from its header; TOTAL SIZE
 * = file size) and restore (prepares a data directory holding restore.snap
 * and restore.conf, which etcfsd imports at its first start, whichever of
 * the two formats it is). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "ctl_snapshot.h"
#include "ctl.h"
#include "ctl_go.h"
#include "ctl_http.h"
#include "ctl_json.h"
#include "ctl_request.h"
#include "ctl_util.h"
#include "ctl_view.h"
#include "snapinfo.h"

/* Go's syscall error text: strerror with a lower-case first letter. */
static void ctlErrnoText(char *out, size_t len, const char *op, const char *path, int err)
{
    const char *s = strerror(err);
    snprintf(out, len, "%s %s: %c%s", op, path,
             (s[0] >= 'A' && s[0] <= 'Z') ? (char)(s[0] - 'A' + 'a') : s[0], s + 1);
}

static int ctlWriteAll(int fd, const char *p, size_t n)
{
    while (n > 0)
    {
        ssize_t w = write(fd, p, n);
        if (w < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- save ---- */

struct ctl_snap_save
{
    int fd;
    uint64_t size;
    char error[512];
};

static int ctlSnapLine(void *ud, const char *line, size_t len)
{
    struct ctl_snap_save *sv = ud;
    json_t *j = ctlJsonParse(line, len);
    if (j == NULL)
    {
        snprintf(sv->error, sizeof(sv->error), "invalid response from server (malformed JSON)");
        return 1;
    }
    json_t *err = json_object_get(j, "error");
    if (err != NULL && json_is_object(err))
    {
        snprintf(sv->error, sizeof(sv->error), "%s", ctlJStr(err, "message"));
        json_decref(j);
        return 1;
    }
    json_t *res = json_object_get(j, "result");
    if (res == NULL || !json_is_object(res))
    {
        json_decref(j);
        return 0;
    }
    json_t *blob = json_object_get(res, "blob");
    if (blob != NULL && !json_is_null(blob))
    {
        char *data = NULL;
        size_t n = 0;
        if (!json_is_string(blob) ||
            ctlBase64Decode(json_string_value(blob), json_string_length(blob), &data, &n) != 0)
        {
            snprintf(sv->error, sizeof(sv->error), "invalid response from server (field \"blob\")");
            json_decref(j);
            return 1;
        }
        if (ctlWriteAll(sv->fd, data, n) != 0)
        {
            snprintf(sv->error, sizeof(sv->error), "write: %s", strerror(errno));
            free(data);
            json_decref(j);
            return 1;
        }
        sv->size += n;
        free(data);
    }
    json_decref(j);
    return 0;
}

int ctlCmdSnapshotSave(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "snapshot save expects one argument");
    }
    /* etcdctl reads its client's configuration here and makes the client
     * (logs in) past the endpoint check: a failed login exits 5, as any
     * failure of the save */
    ctlCredentials(o);
    ctlCheckOutput(o);
    char err[1024];
    if (o->endpoint_count != 1)
    {
        struct ctl_buf l = {0};
        ctlBufPutc(&l, '[');
        for (size_t i = 0; i < o->endpoint_count; i++)
        {
            ctlBufPrintf(&l, "%s%s", i > 0 ? " " : "", o->endpoints[i]);
        }
        ctlBufPutc(&l, ']');
        ctlFatal(CTL_EXIT_INTERRUPTED,
                 "snapshot must be requested to one selected node, not multiple %s", l.data);
    }
    if (ctlLogin(o, NULL, 0, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_INTERRUPTED, "%s", err);
    }
    const char *path = o->args[0];
    struct ctl_buf part = {0};
    ctlBufPrintf(&part, "%s.part", path);
    int fd = open(part.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
    {
        char why[900];
        ctlErrnoText(why, sizeof(why), "open", part.data, errno);
        ctlFatal(CTL_EXIT_INTERRUPTED, "could not open %s (%s)", part.data, why);
    }
    struct ctl_snap_save sv;
    memset(&sv, 0, sizeof(sv));
    sv.fd = fd;
    struct ctl_stream s;
    memset(&s, 0, sizeof(s));
    s.o = o;
    s.path = "/v3/maintenance/snapshot";
    s.body = "{}";
    s.on_line = ctlSnapLine;
    s.ud = &sv;
    s.timeout_ms = o->command_timeout_set ? o->command_timeout_ms : 0;
    int rc = ctlStreamRun(&s);
    ctlBufFree(&s.line);
    ctlBufFree(&s.errbody);
    const char *failure = NULL;
    if (sv.error[0] != '\0')
    {
        failure = sv.error;
    }
    else if (rc != 0)
    {
        failure = s.error;
    }
    else if (sv.size == 0)
    {
        failure = "empty snapshot received";
    }
    if (failure == NULL && fsync(fd) != 0)
    {
        snprintf(err, sizeof(err), "fsync %s: %s", part.data, strerror(errno));
        failure = err;
    }
    if (close(fd) != 0 && failure == NULL)
    {
        snprintf(err, sizeof(err), "close %s: %s", part.data, strerror(errno));
        failure = err;
    }
    if (failure == NULL && rename(part.data, path) != 0)
    {
        char why[900];
        ctlErrnoText(why, sizeof(why), "rename", part.data, errno);
        snprintf(err, sizeof(err), "could not rename %s to %s (%s)", part.data, path, why);
        failure = err;
    }
    if (failure != NULL)
    {
        unlink(part.data);
        ctlFatal(CTL_EXIT_INTERRUPTED, "%s", failure);
    }
    ctlBufFree(&part);
    printf("Snapshot saved at %s\n", path);
    return 0;
}

/* ---- status ---- */

/* etcd's status of the file: a bbolt file (etcd 3.4's snapshot, what
 * etcfsd sends) as etcd's `snapshot status` computes it (HASH = CRC-32C of
 * bucket names, keys and values), or etcfs's own format (HASH = CRC-32 of
 * the file, REVISION and TOTAL KEYS from its header). Returns or exits. */
static void ctlSnapInspect(const char *path, uint32_t *hash, int64_t *rev, int64_t *keys,
                          uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
    {
        char why[900];
        ctlErrnoText(why, sizeof(why), "open", path, errno);
        ctlFatal(CTL_EXIT_ERROR, "%s", why);
    }
    size_t len = (size_t)st.st_size;
    void *p = NULL;
    if (len > 0)
    {
        p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
        {
            char why[900];
            ctlErrnoText(why, sizeof(why), "read", path, errno);
            ctlFatal(CTL_EXIT_ERROR, "%s", why);
        }
    }
    close(fd);
    if (ctlSnapshotIsBolt(p, len))
    {
        if (ctlSnapshotBoltStatus(p, len, hash, rev, keys) != 0)
        {
            ctlFatal(CTL_EXIT_ERROR, "snapshot file integrity check failed");
        }
    }
    else
    {
        if (ctlSnapshotHeader(p, len, rev, keys) != 0)
        {
            ctlFatal(CTL_EXIT_ERROR, "snapshot file has an unknown format");
        }
        *hash = ctlCrc32(0, p, len);
    }
    *size = (uint64_t)len;
    if (p != NULL)
    {
        munmap(p, len);
    }
}

/* The file as a document: {"hash", "revision", "totalKey", "totalSize"} */
static const struct ctl_field ctlSnapStatusColumns[] = {
    {.label = "hash", .from = "hash", .kind = CTL_K_HEX},
    {.label = "revision", .from = "revision", .kind = CTL_K_I64},
    {.label = "total keys", .from = "totalKey", .kind = CTL_K_I64},
    {.label = "total size", .from = "totalSize", .kind = CTL_K_SIZE},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlSnapStatusJson[] = {
    {.label = "hash", .from = "hash", .kind = CTL_K_U64, .flags = CTL_F_ALWAYS},
    {.label = "revision", .from = "revision", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    {.label = "totalKey", .from = "totalKey", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    {.label = "totalSize", .from = "totalSize", .kind = CTL_K_U64, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlSnapStatusFields[] = {
    {.label = "Hash", .from = "hash", .kind = CTL_K_U64},
    {.label = "Revision", .from = "revision", .kind = CTL_K_I64},
    {.label = "Keys", .from = "totalKey", .kind = CTL_K_I64},
    {.label = "Size", .from = "totalSize", .kind = CTL_K_U64},
    CTL_FIELDS_END,
};

static const struct ctl_view ctlSnapStatusView = {
    .json = ctlSnapStatusJson,
    .fields = ctlSnapStatusFields,
    .table = ctlSnapStatusColumns,
    .flags = CTL_VIEW_ROWS,
};

int ctlCmdSnapshotStatus(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "snapshot status requires exactly one argument");
    }
    ctlCheckOutput(o);
    uint32_t hash = 0;
    int64_t rev = 0;
    int64_t keys = 0;
    uint64_t size = 0;
    ctlSnapInspect(o->args[0], &hash, &rev, &keys, &size);
    json_t *doc = ctlJNewObj();
    ctlJSetU64(doc, "hash", hash);
    ctlJSetI64(doc, "revision", rev);
    ctlJSetI64(doc, "totalKey", keys);
    ctlJSetU64(doc, "totalSize", size);
    ctlPrint(o, &ctlSnapStatusView, NULL, doc);
    json_decref(doc);
    return 0;
}

/* ---- restore ---- */

/* Checks --initial-cluster (name=url,...) names this member with exactly
 * the advertised peer URLs (etcd's VerifyBootstrap, simplified). */
static void ctlRestoreVerifyCluster(const struct ctl_options *o)
{
    struct ctl_buf mine = {0};
    ctlBufAppend(&mine, "", 0);
    const char *p = o->initial_cluster;
    size_t found = 0;
    while (*p)
    {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq == NULL || eq == p || eq == p + len - 1)
        {
            ctlFatal(CTL_EXIT_ERROR, "invalid --initial-cluster entry %.*s (want name=url)",
                     (int)len, p);
        }
        size_t nameLen = (size_t)(eq - p);
        if (nameLen == strlen(o->name) && strncmp(p, o->name, nameLen) == 0)
        {
            ctlBufPrintf(&mine, "%s%.*s", found ? "," : "", (int)(len - nameLen - 1), eq + 1);
            found++;
        }
        p += len;
        if (*p == ',')
        {
            p++;
        }
    }
    if (found == 0)
    {
        ctlFatal(CTL_EXIT_ERROR,
                 "couldn't find local name \"%s\" in the initial cluster configuration", o->name);
    }
    /* same set of URLs, in any order */
    const char *adv = o->initial_advertise_peer_urls;
    size_t advCount = 1;
    for (const char *q = adv; *q; q++)
    {
        if (*q == ',')
        {
            advCount++;
        }
    }
    bool same = advCount == found;
    const char *u = adv;
    while (same && *u)
    {
        const char *end = strchr(u, ',');
        size_t len = end ? (size_t)(end - u) : strlen(u);
        bool hit = false;
        const char *m = mine.data;
        while (*m)
        {
            const char *mend = strchr(m, ',');
            size_t mlen = mend ? (size_t)(mend - m) : strlen(m);
            if (mlen == len && strncmp(m, u, len) == 0)
            {
                hit = true;
            }
            m += mlen;
            if (*m == ',')
            {
                m++;
            }
        }
        same = hit;
        u += len;
        if (*u == ',')
        {
            u++;
        }
    }
    if (!same)
    {
        ctlFatal(CTL_EXIT_ERROR,
                 "--initial-cluster has %s=%s but missing from --initial-advertise-peer-urls=%s",
                 o->name, mine.data, adv);
    }
    ctlBufFree(&mine);
}

static bool ctlDirNonEmpty(const char *path, bool *exists)
{
    struct stat st;
    *exists = stat(path, &st) == 0;
    if (!*exists)
    {
        return false;
    }
    if (!S_ISDIR(st.st_mode))
    {
        return true;
    }
    DIR *d = opendir(path);
    if (d == NULL)
    {
        return true;
    }
    struct dirent *e;
    bool nonEmpty = false;
    while ((e = readdir(d)) != NULL)
    {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        {
            nonEmpty = true;
            break;
        }
    }
    closedir(d);
    return nonEmpty;
}

static void ctlMkdirAll(const char *path)
{
    char *tmp = ctlStrdup(path);
    for (char *p = tmp + 1; *p; p++)
    {
        if (*p == '/')
        {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            {
                char why[900];
                ctlErrnoText(why, sizeof(why), "mkdir", tmp, errno);
                ctlFatal(CTL_EXIT_ERROR, "%s", why);
            }
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
    {
        char why[900];
        ctlErrnoText(why, sizeof(why), "mkdir", tmp, errno);
        ctlFatal(CTL_EXIT_ERROR, "%s", why);
    }
    free(tmp);
}

/* Writes data to dir/name via a temporary file, fsync and rename. */
static void ctlWriteFileAtomic(const char *dir, const char *name, const char *data, size_t len)
{
    struct ctl_buf path = {0};
    struct ctl_buf tmp = {0};
    ctlBufPrintf(&path, "%s/%s", dir, name);
    ctlBufPrintf(&tmp, "%s/.%s.tmp", dir, name);
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ctlWriteAll(fd, data, len) != 0 || fsync(fd) != 0)
    {
        char why[900];
        ctlErrnoText(why, sizeof(why), "write", tmp.data, errno);
        if (fd >= 0)
        {
            close(fd);
            unlink(tmp.data);
        }
        ctlFatal(CTL_EXIT_ERROR, "%s", why);
    }
    if (close(fd) != 0 || rename(tmp.data, path.data) != 0)
    {
        char why[900];
        ctlErrnoText(why, sizeof(why), "rename", tmp.data, errno);
        unlink(tmp.data);
        ctlFatal(CTL_EXIT_ERROR, "%s", why);
    }
    ctlBufFree(&path);
    ctlBufFree(&tmp);
}

int ctlCmdSnapshotRestore(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "snapshot restore requires exactly one argument");
    }
    ctlCheckOutput(o);
    ctlRestoreVerifyCluster(o);
    struct ctl_buf dataDir = {0};
    if (o->data_dir[0] != '\0')
    {
        ctlBufPuts(&dataDir, o->data_dir);
    }
    else
    {
        ctlBufPrintf(&dataDir, "%s.etcd", o->name);
    }

    /* the snapshot: whole file in memory, header checked */
    const char *src = o->args[0];
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
    {
        char why[900];
        ctlErrnoText(why, sizeof(why), "open", src, errno);
        ctlFatal(CTL_EXIT_ERROR, "%s", why);
    }
    struct ctl_buf snap = {0};
    char *chunk = ctlMalloc(1 << 16);
    for (;;)
    {
        ssize_t n = read(fd, chunk, 1 << 16);
        if (n < 0 && errno == EINTR)
        {
            continue;
        }
        if (n < 0)
        {
            char why[900];
            ctlErrnoText(why, sizeof(why), "read", src, errno);
            ctlFatal(CTL_EXIT_ERROR, "%s", why);
        }
        if (n == 0)
        {
            break;
        }
        ctlBufAppend(&snap, chunk, (size_t)n);
    }
    free(chunk);
    close(fd);
    int64_t rev = 0;
    int64_t keys = 0;
    if (!ctlSnapshotIsBolt(snap.data, snap.len) &&
        ctlSnapshotHeader(snap.data, snap.len, &rev, &keys) != 0)
    {
        ctlFatal(CTL_EXIT_ERROR, "snapshot file has an unknown format");
    }

    bool exists = false;
    if (ctlDirNonEmpty(dataDir.data, &exists))
    {
        ctlFatal(CTL_EXIT_ERROR, "data-dir \"%s\" exists", dataDir.data);
    }
    ctlMkdirAll(dataDir.data);
    ctlWriteFileAtomic(dataDir.data, "restore.snap", snap.data, snap.len);
    struct ctl_buf conf = {0};
    ctlBufPrintf(&conf, "name=%s\ninitial-cluster=%s\ninitial-cluster-token=%s\n"
                        "initial-advertise-peer-urls=%s\n",
                 o->name, o->initial_cluster, o->initial_cluster_token,
                 o->initial_advertise_peer_urls);
    ctlWriteFileAtomic(dataDir.data, "restore.conf", conf.data, conf.len);
    int dfd = open(dataDir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
    {
        fsync(dfd);
        close(dfd);
    }
    ctlBufFree(&conf);
    ctlBufFree(&snap);
    ctlBufFree(&dataDir);
    return 0;
}
