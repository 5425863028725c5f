/* gRPC load for tests/bench/run against any etcd v3 gRPC endpoint (etcd or
 * etcfs), closed loop and bounded in time:
 *   grpcbench put HOSTPORT [options]     /etcdserverpb.KV/Put
 *   grpcbench range HOSTPORT [options]   /etcdserverpb.KV/Range of one key
 * Each of --conns connections is one HTTP/2 connection (plain TCP) carrying
 * one call at a time, as etcd's `benchmark --conns=C --clients=C` does. The
 * connections are shared out over --threads threads, each running a poll()
 * loop over nghttp2 client sessions in memory mode; messages are the
 * protobuf-c code generated from etcd's .proto files at build time
 * (build/pb, libetcdpb.a). Output: one line of figures in httpbench's style,
 * e.g. "grpc put conns=64 calls=N errors=0 seconds=5.0 rate=R p50_us=X
 * p99_us=Y"; the first failed call is described on stderr. Exit status 0 when
 * at least one call succeeded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "etcd/etcdserver/etcdserverpb/rpc.pb-c.h"

#define GB_MAX_CONNS 1024
#define GB_MAX_RESP (1 << 20) /* a larger answer counts as an error */
#define GB_RETRY_US 10000     /* pause before redialing a lost connection */

enum gb_mode { GB_PUT, GB_RANGE };

/* What every thread reads (never written once the threads run). */
struct gb_opts
{
    enum gb_mode mode;
    const char *hostport;
    struct sockaddr_in addr;
    int conns;
    int threads;
    double seconds;
    long keys;         /* put: 0 = a new key per call, N = cycle over N */
    long pid;          /* in new keys: runs do not overwrite each other */
    size_t value_size; /* put */
    const char *value; /* value_size bytes of 'v' */
    const char *key;   /* range: the key read; put: one fixed key if set */
    int serializable;  /* range */
    long max_calls;    /* per thread, 0 = no limit (the setup put uses 1) */
    nghttp2_session_callbacks *callbacks; /* what every session calls */
};

struct gb_thread;

/* One HTTP/2 connection and its one outstanding call. */
struct gb_conn
{
    struct gb_thread *t;
    int fd;
    nghttp2_session *session;
    uint8_t *out; /* bytes nghttp2 produced that the socket did not take */
    size_t out_len;
    size_t out_cap;
    uint8_t *req; /* the framed request message of the current call */
    size_t req_len;
    size_t req_cap;
    size_t req_off;
    uint8_t *resp; /* the response body received so far */
    size_t resp_len;
    size_t resp_cap;
    int32_t stream_id; /* 0: no call outstanding */
    int http_status;
    int grpc_status; /* -1 until the trailers carry it */
    char grpc_message[128];
    double started_us;
    double retry_at_us; /* fd < 0: when to dial again */
};

/* One thread's connections and tallies (summed by main after the join). */
struct gb_thread
{
    const struct gb_opts *o;
    pthread_t tid;
    int index;
    struct gb_conn *conns;
    int n;
    double deadline_us;
    long counter; /* key sequence for puts */
    long ok;
    long errors;
    double *lat; /* microseconds per successful call */
    size_t lat_len;
    size_t lat_cap;
    char first_error[256];
};

static double nowUs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmpDouble(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void percentiles(double *lat, size_t n, double *p50, double *p99)
{
    qsort(lat, n, sizeof *lat, cmpDouble);
    *p50 = n > 0 ? lat[n / 2] : 0;
    *p99 = n > 0 ? lat[(size_t)((double)n * 0.99)] : 0;
}

/* Grows *buf (capacity *cap) to hold need bytes. 0 or -1 (out of memory). */
static int gbReserve(uint8_t **buf, size_t *cap, size_t need)
{
    size_t c = *cap > 0 ? *cap : 256;
    uint8_t *p;
    if (need <= *cap) {
        return 0;
    }
    while (c < need) {
        c *= 2;
    }
    p = realloc(*buf, c);
    if (p == NULL) {
        return -1;
    }
    *buf = p;
    *cap = c;
    return 0;
}

/* Counts a failed call; the first one's description is kept. */
__attribute__((format(printf, 2, 3))) static void gbError(
    struct gb_thread *t, const char *fmt, ...)
{
    va_list ap;
    t->errors++;
    if (t->first_error[0] == '\0') {
        va_start(ap, fmt);
        vsnprintf(t->first_error, sizeof t->first_error, fmt, ap);
        va_end(ap);
    }
}

/* Packs the next call's message behind gRPC's 5-byte prefix (flag 0 = not
 * compressed, then the length big-endian) into c->req. 0 or -1. */
static int gbFrameRequest(struct gb_conn *c)
{
    const struct gb_opts *o = c->t->o;
    Etcdserverpb__PutRequest put = ETCDSERVERPB__PUT_REQUEST__INIT;
    Etcdserverpb__RangeRequest range = ETCDSERVERPB__RANGE_REQUEST__INIT;
    ProtobufCMessage *m = &range.base;
    char key[128];
    size_t len;
    if (o->mode == GB_PUT) {
        long seq = c->t->counter++;
        if (o->key != NULL) {
            snprintf(key, sizeof key, "%s", o->key);
        } else if (o->keys > 0) {
            snprintf(key, sizeof key, "/bench/gput/%010ld",
                     (seq * o->threads + c->t->index) % o->keys);
        } else {
            snprintf(key, sizeof key, "/bench/gput/%ld-%d/%ld",
                     o->pid, c->t->index, seq);
        }
        put.key.data = (uint8_t *)key;
        put.key.len = strlen(key);
        put.value.data = (uint8_t *)o->value;
        put.value.len = o->value_size;
        m = &put.base;
    } else {
        range.key.data = (uint8_t *)o->key;
        range.key.len = strlen(o->key);
        range.serializable = o->serializable;
    }
    len = protobuf_c_message_get_packed_size(m);
    if (gbReserve(&c->req, &c->req_cap, len + 5) != 0) {
        return -1;
    }
    protobuf_c_message_pack(m, c->req + 5);
    c->req[0] = 0;
    c->req[1] = (uint8_t)(len >> 24);
    c->req[2] = (uint8_t)(len >> 16);
    c->req[3] = (uint8_t)(len >> 8);
    c->req[4] = (uint8_t)len;
    c->req_len = len + 5;
    c->req_off = 0;
    return 0;
}

/* nghttp2 data provider: hands out the framed request, then ends the
 * stream (a unary call is one message). */
static ssize_t gbReadRequestCb(nghttp2_session *session, int32_t stream_id,
                               uint8_t *buf, size_t length,
                               uint32_t *data_flags,
                               nghttp2_data_source *source, void *user_data)
{
    struct gb_conn *c = source->ptr;
    size_t n = c->req_len - c->req_off;
    (void)session;
    (void)stream_id;
    (void)user_data;
    if (n > length) {
        n = length;
    }
    memcpy(buf, c->req + c->req_off, n);
    c->req_off += n;
    if (c->req_off == c->req_len) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return (ssize_t)n;
}

#define GB_NV(n, v)                                                      \
    {                                                                    \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),        \
            NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE \
    }

/* Starts the connection's next call. 0 or -1. */
static int gbSubmit(struct gb_conn *c)
{
    const struct gb_opts *o = c->t->o;
    const char *path = o->mode == GB_PUT ? "/etcdserverpb.KV/Put"
                                         : "/etcdserverpb.KV/Range";
    nghttp2_nv nva[] = {
        GB_NV(":method", "POST"),
        GB_NV(":scheme", "http"),
        GB_NV(":path", path),
        GB_NV(":authority", o->hostport),
        GB_NV("content-type", "application/grpc"),
        GB_NV("te", "trailers"),
    };
    nghttp2_data_provider prd;
    int32_t id;
    if (gbFrameRequest(c) != 0) {
        return -1;
    }
    prd.source.ptr = c;
    prd.read_callback = gbReadRequestCb;
    c->resp_len = 0;
    c->http_status = 0;
    c->grpc_status = -1;
    c->grpc_message[0] = '\0';
    c->started_us = nowUs();
    id = nghttp2_submit_request(c->session, NULL, nva,
                                sizeof nva / sizeof nva[0], &prd, c);
    if (id < 0) {
        return -1;
    }
    c->stream_id = id;
    return 0;
}

static int gbHeaderCb(nghttp2_session *session, const nghttp2_frame *frame,
                      const uint8_t *name, size_t namelen,
                      const uint8_t *value, size_t valuelen, uint8_t flags,
                      void *user_data)
{
    struct gb_conn *c = user_data;
    char v[32];
    (void)session;
    (void)flags;
    if (frame->hd.type != NGHTTP2_HEADERS ||
        frame->hd.stream_id != c->stream_id) {
        return 0;
    }
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        snprintf(v, sizeof v, "%.*s", (int)valuelen, (const char *)value);
        c->http_status = atoi(v);
    } else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0) {
        snprintf(v, sizeof v, "%.*s", (int)valuelen, (const char *)value);
        c->grpc_status = atoi(v);
    } else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0) {
        snprintf(c->grpc_message, sizeof c->grpc_message, "%.*s",
                 (int)valuelen, (const char *)value);
    }
    return 0;
}

static int gbDataChunkCb(nghttp2_session *session, uint8_t flags,
                         int32_t stream_id, const uint8_t *data, size_t len,
                         void *user_data)
{
    struct gb_conn *c = user_data;
    (void)session;
    (void)flags;
    if (stream_id != c->stream_id || c->resp_len + len > GB_MAX_RESP) {
        return 0; /* an oversized body fails the framing check below */
    }
    if (gbReserve(&c->resp, &c->resp_cap, c->resp_len + len) != 0) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    memcpy(c->resp + c->resp_len, data, len);
    c->resp_len += len;
    return 0;
}

/* The answer is one uncompressed message that unpacks as the call's
 * response type. */
static int gbResponseOk(const struct gb_conn *c)
{
    ProtobufCMessage *m;
    size_t len;
    if (c->resp_len < 5 || c->resp[0] != 0) {
        return 0;
    }
    len = (size_t)c->resp[1] << 24 | (size_t)c->resp[2] << 16 |
          (size_t)c->resp[3] << 8 | c->resp[4];
    if (len + 5 != c->resp_len) {
        return 0;
    }
    m = protobuf_c_message_unpack(
        c->t->o->mode == GB_PUT ? &etcdserverpb__put_response__descriptor
                                : &etcdserverpb__range_response__descriptor,
        NULL, len, c->resp + 5);
    if (m == NULL) {
        return 0;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 1;
}

/* The call ends with its stream: tally it; the loop starts the next one. */
static int gbStreamCloseCb(nghttp2_session *session, int32_t stream_id,
                           uint32_t error_code, void *user_data)
{
    struct gb_conn *c = user_data;
    struct gb_thread *t = c->t;
    (void)session;
    if (stream_id != c->stream_id) {
        return 0;
    }
    c->stream_id = 0;
    if (error_code != NGHTTP2_NO_ERROR) {
        gbError(t, "stream reset: %s (%d)", nghttp2_http2_strerror(error_code),
                (int)error_code);
    } else if (c->http_status != 200) {
        gbError(t, "HTTP status %d", c->http_status);
    } else if (c->grpc_status != 0) {
        gbError(t, "grpc-message \"%s\", grpc-status %d", c->grpc_message,
                c->grpc_status);
    } else if (!gbResponseOk(c)) {
        gbError(t, "%s", "response is not one gRPC message");
    } else {
        if (t->lat_len == t->lat_cap) {
            size_t cap = t->lat_cap > 0 ? t->lat_cap * 2 : 4096;
            double *p = realloc(t->lat, cap * sizeof *p);
            if (p == NULL) {
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            }
            t->lat = p;
            t->lat_cap = cap;
        }
        t->lat[t->lat_len++] = nowUs() - c->started_us;
        t->ok++;
    }
    return 0;
}

static void gbDisconnect(struct gb_conn *c)
{
    if (c->session != NULL) {
        nghttp2_session_del(c->session);
        c->session = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->out_len = 0;
    c->stream_id = 0;
    c->retry_at_us = nowUs() + GB_RETRY_US;
}

/* Dials and opens the HTTP/2 session (the client preface and SETTINGS go
 * out with the first flush). 0 or -1. */
static int gbConnect(struct gb_conn *c)
{
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
    int one = 1;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)&c->t->o->addr,
                             sizeof c->t->o->addr) != 0) {
        gbError(c->t, "connect %s: %s", c->t->o->hostport, strerror(errno));
        gbDisconnect(c);
        return -1;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    if (nghttp2_session_client_new(&c->session, c->t->o->callbacks, c) != 0 ||
        nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 1) != 0) {
        gbError(c->t, "%s", "nghttp2 session: out of memory");
        gbDisconnect(c);
        return -1;
    }
    return 0;
}

/* Moves what nghttp2 wants to send into c->out and writes as much as the
 * socket takes. 0 or -1 (connection lost). */
static int gbFlush(struct gb_conn *c)
{
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->session, &data);
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;
        }
        if (gbReserve(&c->out, &c->out_cap, c->out_len + (size_t)n) != 0) {
            return -1;
        }
        memcpy(c->out + c->out_len, data, (size_t)n);
        c->out_len += (size_t)n;
    }
    while (c->out_len > 0) {
        ssize_t w = write(c->fd, c->out, c->out_len);
        if (w < 0) {
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        }
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (size_t)w;
    }
    return 0;
}

/* Feeds what the socket has to nghttp2 (a short read means it had no
 * more: poll() says when the rest comes). 0 or -1 (connection lost). */
static int gbReceive(struct gb_conn *c)
{
    uint8_t buf[16384];
    for (;;) {
        ssize_t r = read(c->fd, buf, sizeof buf);
        if (r == 0) {
            return -1;
        }
        if (r < 0) {
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        }
        if (nghttp2_session_mem_recv(c->session, buf, (size_t)r) != r) {
            return -1;
        }
        if ((size_t)r < sizeof buf) {
            return 0;
        }
    }
}

static int gbMoreCalls(const struct gb_thread *t)
{
    return nowUs() < t->deadline_us &&
           (t->o->max_calls == 0 || t->ok + t->errors < t->o->max_calls);
}

/* Reads what arrived (if readable), starts the next call when the last
 * one ended, writes what is due. A lost connection fails its call and is
 * dialed again after GB_RETRY_US. */
static void gbService(struct gb_conn *c, int readable)
{
    if (c->fd < 0) {
        if (nowUs() >= c->retry_at_us && gbConnect(c) == 0) {
            gbService(c, 0);
        }
        return;
    }
    if ((readable && gbReceive(c) != 0) ||
        (c->stream_id == 0 && gbMoreCalls(c->t) && gbSubmit(c) != 0) ||
        gbFlush(c) != 0 ||
        (!nghttp2_session_want_read(c->session) &&
         !nghttp2_session_want_write(c->session))) {
        /* the last case: GOAWAY received and every stream closed */
        if (c->stream_id != 0) {
            gbError(c->t, "connection to %s lost during a call",
                    c->t->o->hostport);
        }
        gbDisconnect(c);
    }
}

/* One thread: keeps one call outstanding on each of its connections until
 * the deadline; calls still outstanding then are not counted. */
static void *gbThreadMain(void *arg)
{
    struct gb_thread *t = arg;
    struct pollfd *pf = calloc((size_t)t->n, sizeof *pf);
    if (pf == NULL) {
        gbError(t, "%s", "out of memory");
        return NULL;
    }
    for (int i = 0; i < t->n; i++) {
        if (gbConnect(&t->conns[i]) == 0) {
            gbService(&t->conns[i], 0);
        }
    }
    while (gbMoreCalls(t)) {
        double now = nowUs();
        int timeout = (int)((t->deadline_us - now) / 1000) + 1;
        for (int i = 0; i < t->n; i++) {
            struct gb_conn *c = &t->conns[i];
            pf[i].fd = c->fd;
            pf[i].events = (short)(POLLIN | (c->out_len > 0 ? POLLOUT : 0));
            pf[i].revents = 0;
            if (c->fd < 0) {
                int wait = (int)((c->retry_at_us - now) / 1000) + 1;
                timeout = wait < timeout ? wait : timeout;
            }
        }
        if (poll(pf, (nfds_t)t->n, timeout) < 0 && errno != EINTR) {
            gbError(t, "poll: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < t->n; i++) {
            struct gb_conn *c = &t->conns[i];
            if (c->fd < 0 || pf[i].revents != 0) {
                gbService(c, (pf[i].revents & (POLLIN | POLLERR | POLLHUP)));
            }
        }
    }
    for (int i = 0; i < t->n; i++) {
        gbDisconnect(&t->conns[i]);
    }
    free(pf);
    return NULL;
}

/* What one run measured. */
struct gb_result
{
    long ok;
    long errors;
    double seconds;
    double p50_us;
    double p99_us;
    char first_error[256];
};

/* Runs o's load over o->conns connections for o->seconds into *r. 0 or -1
 * (out of memory). */
static int gbRun(const struct gb_opts *o, struct gb_result *r)
{
    struct gb_thread *ts = calloc((size_t)o->threads, sizeof *ts);
    struct gb_conn *cs = calloc((size_t)o->conns, sizeof *cs);
    double *lat = NULL;
    size_t n = 0;
    double t0 = nowUs();
    int rv = ts != NULL && cs != NULL ? 0 : -1;
    memset(r, 0, sizeof *r);
    for (int i = 0, k = 0; rv == 0 && i < o->threads; i++) {
        struct gb_thread *t = &ts[i];
        t->o = o;
        t->index = i;
        t->conns = &cs[k];
        t->n = o->conns / o->threads + (i < o->conns % o->threads ? 1 : 0);
        t->deadline_us = t0 + o->seconds * 1e6;
        for (int j = 0; j < t->n; j++, k++) {
            cs[k].t = t;
            cs[k].fd = -1;
        }
        if (pthread_create(&t->tid, NULL, gbThreadMain, t) != 0) {
            fprintf(stderr, "grpcbench: cannot start a thread\n");
            exit(1);
        }
    }
    for (int i = 0; rv == 0 && i < o->threads; i++) {
        pthread_join(ts[i].tid, NULL);
        r->ok += ts[i].ok;
        r->errors += ts[i].errors;
        if (r->first_error[0] == '\0') {
            memcpy(r->first_error, ts[i].first_error, sizeof r->first_error);
        }
    }
    r->seconds = (nowUs() - t0) / 1e6;
    lat = rv == 0 ? malloc(((size_t)r->ok + 1) * sizeof *lat) : NULL;
    rv = lat != NULL ? 0 : -1;
    for (int i = 0; ts != NULL && i < o->threads; i++) {
        if (lat != NULL && ts[i].lat_len > 0 &&
            n + ts[i].lat_len <= (size_t)r->ok) {
            memcpy(lat + n, ts[i].lat, ts[i].lat_len * sizeof *lat);
            n += ts[i].lat_len;
        }
        free(ts[i].lat);
    }
    for (int i = 0; cs != NULL && i < o->conns; i++) {
        free(cs[i].out);
        free(cs[i].req);
        free(cs[i].resp);
    }
    if (lat != NULL) {
        percentiles(lat, n, &r->p50_us, &r->p99_us);
    }
    free(lat);
    free(cs);
    free(ts);
    return rv;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: grpcbench put|range HOSTPORT [-c CONNS] [-d SECONDS] "
            "[-t THREADS] [--keys N]\n"
            "                 [--value-size BYTES] [--key KEY] "
            "[--serializable]\n"
            "  put: a new key per call (--keys N: cycle over N, --key: one "
            "key), 100 B values\n"
            "  range: linearizable (unless --serializable) of --key, default "
            "/bench/range/key,\n"
            "         which is put once first\n");
    return 2;
}

int main(int argc, char *argv[])
{
    static const struct option longopts[] = {
        {"conns", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 't'},
        {"keys", required_argument, NULL, 'k'},
        {"value-size", required_argument, NULL, 'v'},
        {"key", required_argument, NULL, 'K'},
        {"serializable", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    struct gb_opts o = {.conns = 1, .seconds = 5, .value_size = 100};
    struct gb_result r;
    char host[64];
    char *value;
    const char *colon;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:d:t:", longopts, NULL)) != -1) {
        switch (opt) {
            case 'c': o.conns = atoi(optarg); break;
            case 'd': o.seconds = atof(optarg); break;
            case 't': o.threads = atoi(optarg); break;
            case 'k': o.keys = atol(optarg); break;
            case 'v': o.value_size = (size_t)atol(optarg); break;
            case 'K': o.key = optarg; break;
            case 's': o.serializable = 1; break;
            default: return usage();
        }
    }
    if (argc - optind != 2 || o.conns < 1 || o.conns > GB_MAX_CONNS ||
        o.seconds <= 0 || o.value_size > (1 << 24)) {
        return usage();
    }
    if (strcmp(argv[optind], "put") == 0) {
        o.mode = GB_PUT;
    } else if (strcmp(argv[optind], "range") == 0) {
        o.mode = GB_RANGE;
    } else {
        return usage();
    }
    o.hostport = argv[optind + 1];
    colon = strrchr(o.hostport, ':');
    if (colon == NULL || (size_t)(colon - o.hostport) >= sizeof host) {
        return usage();
    }
    memcpy(host, o.hostport, (size_t)(colon - o.hostport));
    host[colon - o.hostport] = '\0';
    o.addr.sin_family = AF_INET;
    o.addr.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &o.addr.sin_addr) != 1) {
        fprintf(stderr, "grpcbench: %s is not IPv4ADDR:PORT\n", o.hostport);
        return 2;
    }
    value = malloc(o.value_size + 1);
    if (value == NULL) {
        fprintf(stderr, "grpcbench: out of memory\n");
        return 1;
    }
    memset(value, 'v', o.value_size);
    o.value = value;
    o.pid = (long)getpid();
    if (nghttp2_session_callbacks_new(&o.callbacks) != 0) {
        fprintf(stderr, "grpcbench: out of memory\n");
        return 1;
    }
    nghttp2_session_callbacks_set_on_header_callback(o.callbacks, gbHeaderCb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(o.callbacks,
                                                              gbDataChunkCb);
    nghttp2_session_callbacks_set_on_stream_close_callback(o.callbacks,
                                                           gbStreamCloseCb);
    if (o.threads < 1) {
        o.threads = o.conns > 1 ? 2 : 1;
    }
    o.threads = o.threads > o.conns ? o.conns : o.threads;
    if (o.mode == GB_RANGE) {
        /* the key read exists: one put of it, on one connection */
        struct gb_opts setup = o;
        o.key = o.key != NULL ? o.key : "/bench/range/key";
        setup.mode = GB_PUT;
        setup.key = o.key;
        setup.conns = setup.threads = 1;
        setup.seconds = 5;
        setup.value_size = 5;
        setup.max_calls = 1;
        if (gbRun(&setup, &r) != 0 || r.ok != 1) {
            fprintf(stderr, "grpcbench: put of %s before the range: %s\n",
                    o.key, r.first_error[0] ? r.first_error : "no answer");
        }
    }
    if (gbRun(&o, &r) != 0) {
        fprintf(stderr, "grpcbench: out of memory\n");
        return 1;
    }
    if (r.first_error[0] != '\0') {
        fprintf(stderr, "grpcbench: %ld errors, the first: %s\n", r.errors,
                r.first_error);
    }
    printf("grpc %s conns=%d calls=%ld errors=%ld seconds=%.1f rate=%.0f "
           "p50_us=%.0f p99_us=%.0f\n",
           o.mode == GB_PUT ? "put" : "range", o.conns, r.ok, r.errors,
           r.seconds, (double)r.ok / r.seconds, r.p50_us, r.p99_us);
    nghttp2_session_callbacks_del(o.callbacks);
    free(value);
    return r.ok > 0 ? 0 : 1;
}
