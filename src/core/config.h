/* etcfsd configuration: etcd's flag names, the same names from ETCFS_*
 * environment variables and from --config-file KEY=value lines, all listed
 * once in the flag table (config_table.c). Pure: parses and validates,
 * opens no socket and touches no data dir.
 *
 * Precedence (lowest first): built-in defaults, --config-file, environment,
 * command-line flags. A value given twice on the command line is an error
 * (conflicting flags), as are unknown flags, unknown config-file keys and
 * malformed numbers or URLs. */
#ifndef ETCFS_CONFIG_H
#define ETCFS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_URLS 8
#define CONFIG_MAX_MEMBERS 16
#define CONFIG_MAX_WARNINGS 16
#define CONFIG_WARNING_SIZE 200

/* A parsed http://host:port URL. host is a numeric or DNS name, copied. */
struct config_url
{
    char host[256];
    unsigned port;
    bool tls;       /* https:// */
    char text[300]; /* normalized "http[s]://host:port" */
};

/* One --initial-cluster entry: name=peerurl. */
struct config_member
{
    char name[64];
    struct config_url peer;
};

enum config_cluster_state { CONFIG_CLUSTER_NEW = 0, CONFIG_CLUSTER_EXISTING = 1 };
enum config_consistency { CONFIG_CONSISTENCY_LINEARIZABLE = 0, CONFIG_CONSISTENCY_LOCAL = 1 };

struct config
{
    char name[64];         /* --name, default "default" */
    char data_dir[4096];   /* --data-dir, default "<name>.etcfs" */
    struct config_url listen_client[CONFIG_MAX_URLS]; /* --listen-client-urls */
    unsigned n_listen_client;
    struct config_url listen_metrics[CONFIG_MAX_URLS]; /* --listen-metrics-urls */
    unsigned n_listen_metrics;
    struct config_url advertise_client[CONFIG_MAX_URLS]; /* --advertise-client-urls */
    unsigned n_advertise_client;
    struct config_url listen_peer;    /* --listen-peer-urls (first URL used) */
    struct config_url advertise_peer; /* --initial-advertise-peer-urls */
    struct config_member initial_cluster[CONFIG_MAX_MEMBERS]; /* --initial-cluster */
    unsigned n_initial_cluster; /* default: name=advertise_peer */
    int initial_cluster_state;  /* --initial-cluster-state new|existing */
    char initial_cluster_token[256]; /* --initial-cluster-token, default "etcd-cluster" */
    struct config_url join[CONFIG_MAX_URLS]; /* --join: client URLs */
    unsigned n_join;
    char join_user[512];             /* --join-user NAME:PASSWORD */
    bool leave;                      /* --leave: remove itself at SIGTERM */
    bool force_new_cluster;          /* --force-new-cluster */
    unsigned max_learners;           /* --max-learners, default 1 (etcd 3.4) */
    unsigned member_down_after;      /* --member-down-after seconds, 60 */
    struct config_url mirror_of[CONFIG_MAX_URLS]; /* --mirror-of: peer URLs */
    unsigned n_mirror_of;
    uint64_t mirror_feed_bytes;      /* --mirror-feed-bytes, 64 MiB */
    unsigned heartbeat_interval_ms;  /* --heartbeat-interval, default 100 */
    unsigned election_timeout_ms;    /* --election-timeout, default 1000 */
    char wal_dir[4096];              /* --wal-dir, "" = <data-dir>/raft */
    uint64_t snapshot_count;         /* --snapshot-count, default 100000 (etcd) */
    char mount[4096];                /* --mount, "" = no mount */
    char mount_prefix[1024];         /* --mount-prefix, default "/" */
    int mount_consistency;           /* --mount-consistency */
    char mount_user[256];            /* --mount-user, "" = root */
    char mount_password_file[4096];  /* --mount-password-file */
    uint64_t max_request_bytes;      /* --max-request-bytes, default 1572864 */
    uint64_t quota_backend_bytes;    /* --quota-backend-bytes, default 2 GiB */
    /* etcd's auto-compaction; derived from the text at parse time */
    char auto_compaction_mode[16];   /* --auto-compaction-mode periodic|revision */
    char auto_compaction_retention[32]; /* --auto-compaction-retention, "0" */
    char auto_compaction_interval[32];  /* --auto-compaction-interval, "5m" */
    bool auto_compaction_revision;   /* mode revision (else periodic) */
    uint64_t auto_compaction_keep;   /* revision mode: revisions kept; 0 off */
    uint64_t auto_compaction_period_ms; /* periodic mode: history kept; 0 off */
    uint64_t auto_compaction_interval_ms; /* revision mode: check interval */
    unsigned max_txn_ops;            /* --max-txn-ops, default 128 */
    bool enable_v2;                  /* --enable-v2: the v2 API */
    char v2_prefix[256];             /* --experimental-enable-v2v3: where
                                      * v2 keys live in the v3 keyspace */
    char log_outputs[1024];          /* --log-outputs default|stderr|stdout|FILE,... */
    char log_level[16];              /* --log-level debug|info|warn|error */
    /* client TLS (etcd's names) */
    char cert_file[4096];            /* --cert-file */
    char key_file[4096];             /* --key-file */
    char trusted_ca_file[4096];      /* --trusted-ca-file */
    bool client_cert_auth;           /* --client-cert-auth */
    bool auto_tls;                   /* --auto-tls */
    /* peer TLS */
    char peer_cert_file[4096];       /* --peer-cert-file */
    char peer_key_file[4096];        /* --peer-key-file */
    char peer_trusted_ca_file[4096]; /* --peer-trusted-ca-file */
    bool peer_client_cert_auth;      /* --peer-client-cert-auth */
    bool peer_auto_tls;              /* --peer-auto-tls */
    char peer_cert_allowed_cn[256];  /* --peer-cert-allowed-cn */
    /* both */
    char cipher_suites[1024];        /* --cipher-suites, IANA names */
    char tls_min_version[16];        /* --tls-min-version TLS1.2|TLS1.3 */
    char tls_max_version[16];        /* --tls-max-version */
    /* authentication (etcd's names) */
    char auth_token[64];             /* --auth-token, "simple" */
    unsigned auth_token_ttl;         /* --auth-token-ttl, seconds, 300 */
    unsigned bcrypt_cost;            /* --bcrypt-cost, 10 */
    char etcd_only_text[128];        /* etcd's flags without effect here */
    bool etcd_only_bool;
    bool help;                       /* --help was given */
    bool version;                    /* --version was given */
    /* What the parse accepted but the daemon logs as a warning (a shadowed
     * ETCD_ variable, an etcd variable with no meaning here). */
    char warnings[CONFIG_MAX_WARNINGS][CONFIG_WARNING_SIZE];
    unsigned n_warnings;
};

/* Fills cfg from defaults, then the config file named by --config-file or
 * ETCFS_CONFIG_FILE (if any), then ETCFS_* variables of envp, then argv.
 * argv/envp are borrowed. Returns 0 or ETCFS_INVALID with a message such as
 * "unknown flag: --foo" or "--heartbeat-interval: invalid value \"x\"" in
 * errmsg (ETCFS_ERRMSG_SIZE). argv is read with getopt_long_only, whose
 * state is libc's globals (reset on each call): not from two threads at
 * once. */
int configParse(struct config *cfg, int argc, char *const argv[],
                char *const envp[], char *errmsg);

/* A Go duration ("1h30m", "30s", "500ms") into ms. 0 or -1. */
int configParseDuration(const char *text, uint64_t *ms);

/* Adds a warning to cfg (dropped past CONFIG_MAX_WARNINGS). */
void configWarn(struct config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses "http://host:port" (scheme optional, default port 2379 for bare
 * "host") into url. Returns 0 or ETCFS_INVALID. */
int configParseUrl(const char *text, struct config_url *url, char *errmsg);

/* Writes the usage text (every flag, its env name and default). */
void configUsage(FILE *f);

#endif /* ETCFS_CONFIG_H */
