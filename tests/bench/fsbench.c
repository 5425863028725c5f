/* Filesystem workloads for tests/bench/run: the same syscalls on an etcfs
 * mount and on tmpfs (/dev/shm), bounded in time, one line of figures each.
 *   fsbench hotread DIR SECONDS        open+read+close of a hot 1 KiB file
 *   fsbench stat DIR SECONDS           stat of that file
 *   fsbench readdir DIR ENTRIES        create ENTRIES files once (if missing),
 *                                      then time opendir+readdir (best of 5)
 *   fsbench write DIR THREADS SECONDS  open(O_TRUNC)+write 100 B+close, each
 *                                      thread on its own file
 *   fsbench inotify SRCDIR DSTDIR N    write on SRCDIR/f until IN_CLOSE_WRITE
 *                                      of f arrives on DSTDIR (another mount)
 * Output: "<workload> ops=<n> rate=<ops/s> p50_us=<> p99_us=<>" or, for
 * readdir, "readdir entries=<n> ms=<best>". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 2000000

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

static void report(const char *name, double *lat, size_t n, double elapsed_us)
{
    double p50 = 0;
    double p99 = 0;
    if (n > 0) {
        qsort(lat, n, sizeof *lat, cmpDouble);
        p50 = lat[n / 2];
        p99 = lat[(size_t)((double)n * 0.99)];
    }
    printf("%s ops=%zu rate=%.0f p50_us=%.1f p99_us=%.1f\n", name, n,
           elapsed_us > 0 ? (double)n * 1e6 / elapsed_us : 0.0, p50, p99);
}

static void die(const char *what, const char *path)
{
    fprintf(stderr, "fsbench: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void writeFile(const char *path, size_t size)
{
    char buf[4096];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    memset(buf, 'x', sizeof buf);
    if (fd < 0 || write(fd, buf, size) != (ssize_t)size || close(fd) != 0) {
        die("write", path);
    }
}

static int hotread(const char *dir, double secs, int do_stat)
{
    char path[PATH_MAX];
    char buf[4096];
    double *lat = malloc(MAX_SAMPLES * sizeof *lat);
    size_t n = 0;
    double start;
    double end;
    snprintf(path, sizeof path, "%s/hot", dir);
    writeFile(path, 1024);
    /* warm up: the first read fills the page cache */
    for (int i = 0; i < 100; i++) {
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            (void)read(fd, buf, sizeof buf);
            close(fd);
        }
    }
    start = nowUs();
    end = start + secs * 1e6;
    while (n < MAX_SAMPLES) {
        double t0 = nowUs();
        if (t0 >= end) {
            break;
        }
        if (do_stat) {
            struct stat st;
            if (stat(path, &st) != 0) {
                die("stat", path);
            }
        } else {
            int fd = open(path, O_RDONLY);
            if (fd < 0 || read(fd, buf, sizeof buf) != 1024) {
                die("read", path);
            }
            close(fd);
        }
        lat[n++] = nowUs() - t0;
    }
    report(do_stat ? "stat" : "hotread", lat, n, nowUs() - start);
    free(lat);
    return 0;
}

static int readdirBench(const char *dir, int entries)
{
    char path[PATH_MAX];
    double best = -1;
    snprintf(path, sizeof path, "%s/many", dir);
    mkdir(path, 0755);
    for (int i = 0; i < entries; i++) {
        char f[PATH_MAX];
        struct stat st;
        snprintf(f, sizeof f, "%s/many/f%06d", dir, i);
        if (stat(f, &st) != 0) {
            writeFile(f, 8);
        }
    }
    for (int round = 0; round < 5; round++) {
        double t0 = nowUs();
        int count = 0;
        DIR *d = opendir(path);
        struct dirent *e;
        if (d == NULL) {
            die("opendir", path);
        }
        while ((e = readdir(d)) != NULL) {
            count++;
        }
        closedir(d);
        if (count < entries) {
            fprintf(stderr, "fsbench: readdir saw %d of %d\n", count, entries);
        }
        double ms = (nowUs() - t0) / 1000.0;
        if (best < 0 || ms < best) {
            best = ms;
        }
    }
    printf("readdir entries=%d ms=%.2f\n", entries, best);
    return 0;
}

struct writer
{
    char path[PATH_MAX];
    double end;
    double *lat;
    size_t n;
    size_t cap;
};

static void *writerMain(void *arg)
{
    struct writer *w = arg;
    char buf[100];
    memset(buf, 'v', sizeof buf);
    while (w->n < w->cap) {
        double t0 = nowUs();
        int fd;
        if (t0 >= w->end) {
            break;
        }
        fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf ||
            close(fd) != 0) {
            die("write", w->path);
        }
        w->lat[w->n++] = nowUs() - t0;
    }
    return NULL;
}

static int writeBench(const char *dir, int threads, double secs)
{
    struct writer *w = calloc((size_t)threads, sizeof *w);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    double start = nowUs();
    double *all;
    size_t total = 0;
    char name[64];
    for (int i = 0; i < threads; i++) {
        snprintf(w[i].path, sizeof w[i].path, "%s/w%d", dir, i);
        w[i].end = start + secs * 1e6;
        w[i].cap = MAX_SAMPLES / (size_t)threads;
        w[i].lat = malloc(w[i].cap * sizeof(double));
        pthread_create(&th[i], NULL, writerMain, &w[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += w[i].n;
    }
    all = malloc((total + 1) * sizeof *all);
    total = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + total, w[i].lat, w[i].n * sizeof(double));
        total += w[i].n;
        free(w[i].lat);
    }
    snprintf(name, sizeof name, "write%d", threads);
    report(name, all, total, nowUs() - start);
    free(all);
    free(w);
    free(th);
    return 0;
}

static int inotifyBench(const char *src, const char *dst, int n)
{
    char spath[PATH_MAX];
    char evbuf[4096] __attribute__((aligned(8)));
    double *lat = malloc((size_t)n * sizeof *lat);
    size_t got = 0;
    int in = inotify_init1(IN_CLOEXEC);
    double start = nowUs();
    snprintf(spath, sizeof spath, "%s/ino", src);
    writeFile(spath, 10);
    usleep(200000);
    if (in < 0 || inotify_add_watch(in, dst, IN_CLOSE_WRITE) < 0) {
        die("inotify", dst);
    }
    for (int i = 0; i < n; i++) {
        double t0 = nowUs();
        double deadline = t0 + 2e6;
        int seen = 0;
        writeFile(spath, 10 + (size_t)(i % 50));
        while (!seen && nowUs() < deadline) {
            struct pollfd p = {.fd = in, .events = POLLIN};
            if (poll(&p, 1, 100) <= 0) {
                continue;
            }
            ssize_t len = read(in, evbuf, sizeof evbuf);
            for (ssize_t off = 0; off < len;) {
                struct inotify_event *ev = (struct inotify_event *)(evbuf + off);
                if (ev->len > 0 && strcmp(ev->name, "ino") == 0) {
                    seen = 1;
                }
                off += (ssize_t)sizeof *ev + ev->len;
            }
        }
        if (seen) {
            lat[got++] = nowUs() - t0;
        }
    }
    report("inotify", lat, got, nowUs() - start);
    if ((int)got < n) {
        fprintf(stderr, "fsbench: %d of %d events missed\n", n - (int)got, n);
    }
    free(lat);
    close(in);
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc >= 4 && strcmp(argv[1], "hotread") == 0) {
        return hotread(argv[2], atof(argv[3]), 0);
    }
    if (argc >= 4 && strcmp(argv[1], "stat") == 0) {
        return hotread(argv[2], atof(argv[3]), 1);
    }
    if (argc >= 4 && strcmp(argv[1], "readdir") == 0) {
        return readdirBench(argv[2], atoi(argv[3]));
    }
    if (argc >= 5 && strcmp(argv[1], "write") == 0) {
        return writeBench(argv[2], atoi(argv[3]), atof(argv[4]));
    }
    if (argc >= 5 && strcmp(argv[1], "inotify") == 0) {
        return inotifyBench(argv[2], argv[3], atoi(argv[4]));
    }
    fprintf(stderr, "usage: fsbench hotread|stat DIR SECS | readdir DIR N | "
                    "write DIR THREADS SECS | inotify SRC DST N\n");
    return 2;
}
