/* The one table of etcfsd's flags: for each, its command-line name, its
 * environment and config-file names, the type of its value, its default,
 * its --help text, how its value is checked and where it goes in struct
 * config. The command line (config.c), the environment (config.c), the
 * config file (config_file.c), defaults and values (config_apply.c) and
 * --help (configUsage, config_table.c) are all driven from it. Pure: const
 * data and lookups. */
#ifndef ETCFS_CONFIG_TABLE_H
#define ETCFS_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Row ids, in table order: the order of --help and the order in which
 * values are applied (so the first bad one is the one reported). */
enum config_flag_id {
    CONFIG_FLAG_NAME,
    CONFIG_FLAG_DATA_DIR,
    CONFIG_FLAG_LISTEN_PEER_URLS,
    CONFIG_FLAG_LISTEN_CLIENT_URLS,
    CONFIG_FLAG_LISTEN_METRICS_URLS,
    CONFIG_FLAG_HEARTBEAT_INTERVAL,
    CONFIG_FLAG_ELECTION_TIMEOUT,
    CONFIG_FLAG_SNAPSHOT_COUNT,
    CONFIG_FLAG_WAL_DIR,
    CONFIG_FLAG_MAX_REQUEST_BYTES,
    CONFIG_FLAG_QUOTA_BACKEND_BYTES,
    CONFIG_FLAG_AUTO_COMPACTION_MODE,
    CONFIG_FLAG_AUTO_COMPACTION_RETENTION,
    CONFIG_FLAG_AUTO_COMPACTION_INTERVAL,
    CONFIG_FLAG_MAX_TXN_OPS,
    CONFIG_FLAG_INITIAL_ADVERTISE_PEER_URLS,
    CONFIG_FLAG_INITIAL_CLUSTER,
    CONFIG_FLAG_INITIAL_CLUSTER_STATE,
    CONFIG_FLAG_INITIAL_CLUSTER_TOKEN,
    CONFIG_FLAG_FORCE_NEW_CLUSTER,
    CONFIG_FLAG_JOIN,
    CONFIG_FLAG_JOIN_USER,
    CONFIG_FLAG_LEAVE,
    CONFIG_FLAG_MAX_LEARNERS,
    CONFIG_FLAG_MEMBER_DOWN_AFTER,
    CONFIG_FLAG_MIRROR_OF,
    CONFIG_FLAG_MIRROR_FEED_BYTES,
    CONFIG_FLAG_ADVERTISE_CLIENT_URLS,
    CONFIG_FLAG_MOUNT,
    CONFIG_FLAG_MOUNT_PREFIX,
    CONFIG_FLAG_MOUNT_CONSISTENCY,
    CONFIG_FLAG_MOUNT_USER,
    CONFIG_FLAG_MOUNT_PASSWORD_FILE,
    CONFIG_FLAG_CERT_FILE,
    CONFIG_FLAG_KEY_FILE,
    CONFIG_FLAG_TRUSTED_CA_FILE,
    CONFIG_FLAG_CLIENT_CERT_AUTH,
    CONFIG_FLAG_AUTO_TLS,
    CONFIG_FLAG_PEER_CERT_FILE,
    CONFIG_FLAG_PEER_KEY_FILE,
    CONFIG_FLAG_PEER_TRUSTED_CA_FILE,
    CONFIG_FLAG_PEER_CLIENT_CERT_AUTH,
    CONFIG_FLAG_PEER_AUTO_TLS,
    CONFIG_FLAG_PEER_CERT_ALLOWED_CN,
    CONFIG_FLAG_CIPHER_SUITES,
    CONFIG_FLAG_TLS_MIN_VERSION,
    CONFIG_FLAG_TLS_MAX_VERSION,
    CONFIG_FLAG_AUTH_TOKEN,
    CONFIG_FLAG_AUTH_TOKEN_TTL,
    CONFIG_FLAG_BCRYPT_COST,
    CONFIG_FLAG_ENABLE_V2,
    CONFIG_FLAG_V2_PREFIX,
    CONFIG_FLAG_LOG_LEVEL,
    CONFIG_FLAG_LOG_OUTPUTS,
    CONFIG_FLAG_CONFIG_FILE,
    CONFIG_FLAG_HELP,
    CONFIG_FLAG_VERSION,
    /* etcd 3.4 flags accepted with a warning: no effect here */
    CONFIG_FLAG_ETCD_ENABLE_PPROF,
    CONFIG_FLAG_ETCD_STRICT_RECONFIG_CHECK,
    CONFIG_FLAG_ETCD_PRE_VOTE,
    CONFIG_FLAG_ETCD_ENABLE_GRPC_GATEWAY,
    CONFIG_FLAG_ETCD_INITIAL_ELECTION_TICK_ADVANCE,
    CONFIG_FLAG_ETCD_DEBUG,
    CONFIG_FLAG_ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK,
    CONFIG_FLAG_ETCD_EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT,
    CONFIG_FLAG_ETCD_EXPERIMENTAL_PEER_SKIP_CLIENT_SAN_VERIFICATION,
    CONFIG_FLAG_ETCD_LOGGER,
    CONFIG_FLAG_ETCD_LOG_PACKAGE_LEVELS,
    CONFIG_FLAG_ETCD_METRICS,
    CONFIG_FLAG_ETCD_MAX_SNAPSHOTS,
    CONFIG_FLAG_ETCD_MAX_WALS,
    CONFIG_FLAG_ETCD_CORS,
    CONFIG_FLAG_ETCD_HOST_WHITELIST,
    CONFIG_FLAG_ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME,
    CONFIG_FLAG_ETCD_EXPERIMENTAL_BACKEND_BBOLT_FREELIST_TYPE,
    CONFIG_FLAG_ETCD_EXPERIMENTAL_COMPACTION_BATCH_LIMIT,
    CONFIG_FLAG_ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL,
    CONFIG_N_FLAGS
};

/* What a value is and what its field in struct config holds. */
enum config_type {
    CONFIG_TYPE_STRING,  /* char[size] */
    CONFIG_TYPE_UINT,    /* unsigned, decimal in [min, max] */
    CONFIG_TYPE_UINT64,  /* uint64_t, decimal in [min, max] */
    CONFIG_TYPE_BOOL,    /* bool, Go's strconv.ParseBool; a command-line
                          * switch: "--flag" alone means true */
    CONFIG_TYPE_ENUM,    /* int: the index of the value in choices */
    CONFIG_TYPE_URLS,    /* struct config_url[], its count at count_offset */
    CONFIG_TYPE_URL,     /* struct config_url: the first URL of a list */
    CONFIG_TYPE_CLUSTER, /* struct config_member[] (name=peerurl,...), its
                          * count at count_offset */
    CONFIG_TYPE_FILE     /* --config-file: read before the others, no field */
};

/* Checks besides the type's own (bits of config_flag.check). */
#define CONFIG_CHECK_EMPTY_OK (1u << 0)      /* a string may be "" */
#define CONFIG_CHECK_MEMBER_NAME (1u << 1)   /* a string is a member name */
#define CONFIG_CHECK_ZERO_DEFAULT (1u << 2)  /* number 0 means the default */
#define CONFIG_CHECK_QUOTE_CHOICES (1u << 3) /* messages quote choices */
#define CONFIG_CHECK_NO_EFFECT (1u << 4)     /* etcd's, accepted with a warning */

/* How many environment/config-file names a flag may have. */
#define CONFIG_MAX_NAMES 2

/* One flag. */
struct config_flag
{
    const char *flag;  /* command-line name, without dashes */
    const char *alias; /* another command-line name ("h"), or NULL */
    /* Environment variable names, also accepted as config-file keys (as is
     * the flag name); none: command line only. NULL-terminated unless
     * full. */
    const char *names[CONFIG_MAX_NAMES];
    enum config_type type;
    const char *def;     /* default value, parsed as a value is; NULL: none
                          * here (derived by configParse) */
    const char *shown;   /* default as --help shows it, when not def */
    const char *group;   /* --help heading */
    const char *help;    /* --help text; "\n    " continues a line */
    size_t offset;       /* of the field in struct config */
    size_t size;         /* of the field */
    size_t count_offset; /* URLS, CLUSTER: of the unsigned count */
    uint64_t min, max;   /* UINT, UINT64 */
    const char *const *choices; /* ENUM, STRING: the allowed values, NULL-
                                 * terminated; NULL: any */
    unsigned check;             /* CONFIG_CHECK_* */
};

/* The table, indexed by enum config_flag_id. */
extern const struct config_flag configFlags[CONFIG_N_FLAGS];

/* Id of the flag called name (len bytes, no dashes) on the command line,
 * its alias included, or -1. */
int configFlagByArg(const char *name, size_t len);

/* Id of the flag that an environment variable or config-file key of len
 * bytes names, or -1. If name_out is not NULL it gets the table's spelling
 * of the environment name matched (static), or NULL for a flag name.
 * flag_names: also accept flag names ("data-dir"), as a config file does;
 * flags without environment names are never found. */
int configFlagByName(const char *name, size_t len, bool flag_names,
                     const char **name_out);

/* Whether an environment variable or config-file key (len bytes) is one of
 * the ETCFS_ names that are not flags (read elsewhere, so not a typo). */
bool configFlagNameIgnored(const char *name, size_t len);

/* The prefix of environment names whose unknown members are typos. */
#define CONFIG_ENV_PREFIX "ETCFS_"
#define CONFIG_ETCD_ENV_PREFIX "ETCD_"

/* etcd's bound on --election-timeout ("less than 50 seconds"), also the
 * bound on --heartbeat-interval. */
#define CONFIG_ELECTION_MAX_MS 50000u

#endif /* ETCFS_CONFIG_TABLE_H */
