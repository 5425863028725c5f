/* Prometheus text rendering of struct metrics (metrics.h). Any thread. */
#include "metrics.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

char *metricsFormat(struct metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return NULL;
    }
#define METRICS__PRINT(name, type, help)                                     \
    fprintf(f, "# HELP etcfs_" #name " " help "\n# TYPE etcfs_" #name        \
               " " type "\netcfs_" #name " %" PRId64 "\n",                   \
            (int64_t)atomic_load(&m->name));
    METRICS_LIST(METRICS__PRINT)
#undef METRICS__PRINT
    metricsFormatHistogram(f, "etcd_disk_backend_commit_duration_seconds",
                           "The latency distributions of commit called by "
                           "backend.",
                           &m->backend_commit);
    metricsFormatHistogram(f, "etcd_disk_wal_fsync_duration_seconds",
                           "The latency distributions of fsync called by "
                           "WAL.",
                           &m->wal_fsync);
    fprintf(f,
            "# HELP etcd_server_slow_apply_total The total number of slow "
            "apply requests (likely overloaded from slow disk).\n"
            "# TYPE etcd_server_slow_apply_total counter\n"
            "etcd_server_slow_apply_total %" PRId64 "\n"
            "# HELP etcd_server_heartbeat_send_failures_total The total "
            "number of leader heartbeat send failures (likely overloaded "
            "from slow disk).\n"
            "# TYPE etcd_server_heartbeat_send_failures_total counter\n"
            "etcd_server_heartbeat_send_failures_total %" PRId64 "\n"
            "# HELP etcd_network_client_grpc_received_bytes_total The total "
            "number of bytes received from grpc clients.\n"
            "# TYPE etcd_network_client_grpc_received_bytes_total counter\n"
            "etcd_network_client_grpc_received_bytes_total %" PRId64 "\n"
            "# HELP etcd_network_client_grpc_sent_bytes_total The total "
            "number of bytes sent to grpc clients.\n"
            "# TYPE etcd_network_client_grpc_sent_bytes_total counter\n"
            "etcd_network_client_grpc_sent_bytes_total %" PRId64 "\n",
            (int64_t)atomic_load(&m->slow_apply_total),
            (int64_t)atomic_load(&m->heartbeat_send_failures_total),
            (int64_t)atomic_load(&m->client_received_bytes_total),
            (int64_t)atomic_load(&m->client_sent_bytes_total));
    metricsFormatPeers(f, m);
    metricsFormatRpc(f, m);
    metricsFormatMount(f, m);
    metricsFormatProcess(f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

uint64_t metricsNowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* uv_hrtime's clock */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void metricsObserve(struct metrics_histogram *h, uint64_t ns)
{
    metricsObserveFrom(h, ns, 1000000);
}

void metricsObserveFrom(struct metrics_histogram *h, uint64_t ns,
                        uint64_t base_ns)
{
    unsigned i;
    for (i = 0; i < METRICS_BUCKETS; i++) {
        if (ns <= base_ns << i) {
            atomic_fetch_add(&h->buckets[i], 1);
            break;
        }
    }
    atomic_fetch_add(&h->count, 1);
    atomic_fetch_add(&h->sum_ns, ns);
}

void metricsFormatBuckets(FILE *f, const char *name, const char *labels,
                          const struct metrics_histogram *h, uint64_t base_ns)
{
    uint64_t cumulative = 0;
    const char *sep = labels[0] != '\0' ? "," : "";
    unsigned i;
    for (i = 0; i < METRICS_BUCKETS; i++) {
        cumulative += atomic_load(&h->buckets[i]);
        fprintf(f, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels,
                sep, (double)(base_ns << i) / 1e9, cumulative);
    }
    fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep,
            (uint64_t)atomic_load(&h->count));
    fprintf(f, "%s_sum%s%s%s %.9f\n%s_count%s%s%s %" PRIu64 "\n", name,
            labels[0] != '\0' ? "{" : "", labels, labels[0] != '\0' ? "}" : "",
            (double)atomic_load(&h->sum_ns) / 1e9, name,
            labels[0] != '\0' ? "{" : "", labels, labels[0] != '\0' ? "}" : "",
            (uint64_t)atomic_load(&h->count));
}

void metricsFormatHistogram(FILE *f, const char *name, const char *help,
                            const struct metrics_histogram *h)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    metricsFormatBuckets(f, name, "", h, 1000000);
}

void metricsFormatProcess(FILE *f)
{
    static long ticks;
    static long page;
    FILE *in;
    char buf[1024];
    unsigned long utime = 0;
    unsigned long stime = 0;
    unsigned long long start = 0;
    unsigned long vsize = 0;
    long rss = 0;
    double boot = 0;
    long fds = 0;
    struct rlimit lim;
    DIR *dir;
    if (ticks == 0) {
        ticks = sysconf(_SC_CLK_TCK);
        page = sysconf(_SC_PAGESIZE);
    }
    in = fopen("/proc/self/stat", "r");
    if (in != NULL) {
        if (fgets(buf, sizeof buf, in) != NULL) {
            /* after "pid (comm) ": fields 3.. ; comm may hold spaces */
            const char *p = strrchr(buf, ')');
            if (p != NULL &&
                sscanf(p + 2,
                       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
                       "%*d %*d %*d %*d %*d %*d %llu %lu %ld",
                       &utime, &stime, &start, &vsize, &rss) != 5) {
                utime = stime = 0;
            }
        }
        fclose(in);
    }
    in = fopen("/proc/stat", "r");
    if (in != NULL) {
        while (fgets(buf, sizeof buf, in) != NULL) {
            if (sscanf(buf, "btime %lf", &boot) == 1) {
                break;
            }
        }
        fclose(in);
    }
    dir = opendir("/proc/self/fd");
    if (dir != NULL) {
        while (readdir(dir) != NULL) {
            fds++;
        }
        closedir(dir);
        fds -= 3; /* ".", ".." and the directory's own fd */
    }
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        lim.rlim_cur = 0;
    }
    fprintf(f,
            "# HELP process_cpu_seconds_total Total user and system CPU time "
            "spent in seconds.\n# TYPE process_cpu_seconds_total counter\n"
            "process_cpu_seconds_total %.2f\n"
            "# HELP process_resident_memory_bytes Resident memory size in "
            "bytes.\n# TYPE process_resident_memory_bytes gauge\n"
            "process_resident_memory_bytes %ld\n"
            "# HELP process_virtual_memory_bytes Virtual memory size in "
            "bytes.\n# TYPE process_virtual_memory_bytes gauge\n"
            "process_virtual_memory_bytes %lu\n"
            "# HELP process_open_fds Number of open file descriptors.\n"
            "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n"
            "# HELP process_max_fds Maximum number of open file "
            "descriptors.\n# TYPE process_max_fds gauge\n"
            "process_max_fds %llu\n"
            "# HELP process_start_time_seconds Start time of the process "
            "since unix epoch in seconds.\n"
            "# TYPE process_start_time_seconds gauge\n"
            "process_start_time_seconds %.2f\n",
            (double)(utime + stime) / (double)ticks, rss * page, vsize,
            fds < 0 ? 0 : fds, (unsigned long long)lim.rlim_cur,
            boot + (double)start / (double)ticks);
}
