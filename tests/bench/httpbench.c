/* HTTP-level workloads for tests/bench/run that wrk cannot do, against any
 * etcd v3 JSON gateway (etcd or etcfs), bounded in time or count:
 *   httpbench watch LEADER FOLLOWER N   put through LEADER until the event
 *                                       arrives on a watch opened on FOLLOWER
 *   httpbench load HOSTPORT N CONC      N distinct puts (100 B values) over
 *                                       CONC keep-alive connections
 *   httpbench rtt N                     loopback TCP round trip (floor)
 * HOSTPORT is 127.0.0.1:PORT. Output: one line of figures. Plain sockets:
 * no library beyond libc, so both systems see the same client. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

static int dial(const char *hostport)
{
    char host[64];
    const char *colon = strrchr(hostport, ':');
    struct sockaddr_in sa;
    int one = 1;
    int fd;
    if (colon == NULL || (size_t)(colon - hostport) >= sizeof host) {
        return -1;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    inet_pton(AF_INET, host, &sa.sin_addr);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64(const char *in, size_t len, char *out)
{
    size_t i;
    size_t o = 0;
    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16 |
                     (uint32_t)(unsigned char)in[i + 1] << 8 |
                     (unsigned char)in[i + 2];
        out[o++] = b64chars[v >> 18];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = b64chars[(v >> 6) & 63];
        out[o++] = b64chars[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        }
        out[o++] = b64chars[v >> 18];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
}

/* Sends one POST and reads one Content-Length response. 0 or -1. */
static int post(int fd, const char *path, const char *body, char *resp,
                size_t size)
{
    char req[4096];
    size_t got = 0;
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     path, strlen(body), body);
    if (write(fd, req, (size_t)n) != n) {
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, resp + got, size - 1 - got);
        char *hdr_end;
        if (r <= 0) {
            return -1;
        }
        got += (size_t)r;
        resp[got] = '\0';
        hdr_end = strstr(resp, "\r\n\r\n");
        if (hdr_end != NULL) {
            char *cl = strcasestr(resp, "Content-Length:");
            size_t want = cl != NULL ? (size_t)atol(cl + 15) : 0;
            if (got >= (size_t)(hdr_end + 4 - resp) + want) {
                return strncmp(resp, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
            }
        }
        if (got >= size - 1) {
            return -1;
        }
    }
}

static void percentiles(double *lat, size_t n, double *p50, double *p99)
{
    qsort(lat, n, sizeof *lat, cmpDouble);
    *p50 = n > 0 ? lat[n / 2] : 0;
    *p99 = n > 0 ? lat[(size_t)((double)n * 0.99)] : 0;
}

static int watchBench(const char *leader, const char *follower, int n)
{
    char key[64];
    char body[512];
    char resp[8192];
    char wbuf[65536];
    double *lat = calloc((size_t)n, sizeof *lat);
    size_t got = 0;
    int w = dial(follower);
    int p = dial(leader);
    double p50;
    double p99;
    if (w < 0 || p < 0) {
        fprintf(stderr, "httpbench: cannot connect\n");
        return 1;
    }
    b64("bench-watch", 11, key);
    snprintf(body, sizeof body, "{\"create_request\":{\"key\":\"%s\"}}", key);
    snprintf(wbuf, sizeof wbuf,
             "POST /v3/watch HTTP/1.1\r\nHost: x\r\nContent-Type: "
             "application/json\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    if (write(w, wbuf, strlen(wbuf)) < 0) {
        return 1;
    }
    usleep(300000);
    {
        /* drain the created response */
        struct pollfd pf = {.fd = w, .events = POLLIN};
        while (poll(&pf, 1, 100) > 0 && read(w, wbuf, sizeof wbuf) > 0) {
        }
    }
    for (int i = 0; i < n; i++) {
        char val[64];
        char vb64[128];
        double t0;
        double deadline;
        int seen = 0;
        snprintf(val, sizeof val, "v%d", i);
        b64(val, strlen(val), vb64);
        snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"%s\"}", key,
                 vb64);
        t0 = nowUs();
        if (post(p, "/v3/kv/put", body, resp, sizeof resp) != 0) {
            fprintf(stderr, "httpbench: put failed\n");
            return 1;
        }
        deadline = t0 + 2e6;
        while (!seen && nowUs() < deadline) {
            struct pollfd pf = {.fd = w, .events = POLLIN};
            if (poll(&pf, 1, 50) > 0) {
                ssize_t r = read(w, wbuf, sizeof wbuf - 1);
                if (r <= 0) {
                    break;
                }
                wbuf[r] = '\0';
                if (strstr(wbuf, vb64) != NULL) {
                    seen = 1;
                }
            }
        }
        if (seen) {
            lat[got++] = nowUs() - t0;
        }
        usleep(2000);
    }
    percentiles(lat, got, &p50, &p99);
    printf("watch events=%zu p50_us=%.0f p99_us=%.0f\n", got, p50, p99);
    return 0;
}

struct loader
{
    const char *hostport;
    long first;
    long count;
    long done;
};

static void *loadMain(void *arg)
{
    struct loader *l = arg;
    char value[101];
    char vb64[200];
    char key[64];
    char kb64[128];
    char body[512];
    char resp[8192];
    int fd = dial(l->hostport);
    memset(value, 'v', 100);
    value[100] = '\0';
    b64(value, 100, vb64);
    for (long i = l->first; i < l->first + l->count; i++) {
        snprintf(key, sizeof key, "/bench/load/%010ld", i);
        b64(key, strlen(key), kb64);
        snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"%s\"}", kb64,
                 vb64);
        if (fd < 0 || post(fd, "/v3/kv/put", body, resp, sizeof resp) != 0) {
            if (fd >= 0) {
                close(fd);
            }
            usleep(10000);
            fd = dial(l->hostport);
            i--; /* retry this key */
            continue;
        }
        l->done++;
    }
    if (fd >= 0) {
        close(fd);
    }
    return NULL;
}

static int loadBench(const char *hostport, long n, int conc)
{
    pthread_t th[256];
    struct loader l[256];
    double t0 = nowUs();
    long done = 0;
    if (conc < 1 || conc > 256) {
        conc = 16;
    }
    for (int i = 0; i < conc; i++) {
        l[i].hostport = hostport;
        l[i].count = n / conc + (i < n % conc ? 1 : 0);
        l[i].first = i == 0 ? 0 : l[i - 1].first + l[i - 1].count;
        l[i].done = 0;
        pthread_create(&th[i], NULL, loadMain, &l[i]);
    }
    for (int i = 0; i < conc; i++) {
        pthread_join(th[i], NULL);
        done += l[i].done;
    }
    printf("load keys=%ld seconds=%.1f rate=%.0f\n", done,
           (nowUs() - t0) / 1e6, (double)done * 1e6 / (nowUs() - t0));
    return 0;
}

static void *echoMain(void *arg)
{
    int fd = *(int *)arg;
    char c;
    while (read(fd, &c, 1) == 1) {
        if (write(fd, &c, 1) != 1) {
            break;
        }
    }
    return NULL;
}

static int rttBench(int n)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    pthread_t th;
    int one = 1;
    int c;
    int s;
    double *lat = calloc((size_t)n, sizeof *lat);
    double p50;
    double p99;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(ls, (struct sockaddr *)&sa, sizeof sa);
    listen(ls, 1);
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&sa, sizeof sa);
    s = accept(ls, NULL, NULL);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_create(&th, NULL, echoMain, &s);
    for (int i = 0; i < n; i++) {
        char ch = 'x';
        double t0 = nowUs();
        if (write(c, &ch, 1) != 1 || read(c, &ch, 1) != 1) {
            break;
        }
        lat[i] = nowUs() - t0;
    }
    close(c);
    pthread_join(th, NULL);
    percentiles(lat, (size_t)n, &p50, &p99);
    printf("rtt p50_us=%.1f p99_us=%.1f\n", p50, p99);
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc >= 5 && strcmp(argv[1], "watch") == 0) {
        return watchBench(argv[2], argv[3], atoi(argv[4]));
    }
    if (argc >= 5 && strcmp(argv[1], "load") == 0) {
        return loadBench(argv[2], atol(argv[3]), atoi(argv[4]));
    }
    if (argc >= 3 && strcmp(argv[1], "rtt") == 0) {
        return rttBench(atoi(argv[2]));
    }
    fprintf(stderr, "usage: httpbench watch LEADER FOLLOWER N | load HOSTPORT "
                    "N CONC | rtt N\n");
    return 2;
}
