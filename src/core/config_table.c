/* The table of etcfsd's flags (DESIGN.md "etcfsd flags"), lookups by
 * command-line, environment and config-file name, and --help written from
 * it. A flag is added by adding a row here and an id in config_table.h;
 * nothing else lists the flags. Pure: const data; configUsage writes only
 * to the stream it is given. */
#include "config_table.h"

#include <string.h>

#include "config.h"

#define CONFIG__DEFAULT_CLIENT_URL "http://127.0.0.1:2379"
#define CONFIG__DEFAULT_PEER_URL "http://127.0.0.1:2380"

/* The environment (and config-file) names of a flag, from its UPPER_SNAKE
 * spelling: etcfs's, then etcd's (an etcd.conf or a compose file's
 * ETCD_NAME works as written; ETCFS_NAME wins when both are set). */
#define CONFIG__ENV(snake) {"ETCFS_" snake, "ETCD_" snake}

/* The field of struct config a value goes to. */
#define CONFIG__FIELD(field)                                                   \
    .offset = offsetof(struct config, field),                                  \
    .size = sizeof(((struct config *)NULL)->field)

/* A list field and its count. */
#define CONFIG__LIST(field, count)                                             \
    CONFIG__FIELD(field), .count_offset = offsetof(struct config, count)

static const char *const configClusterStates[] = {
    [CONFIG_CLUSTER_NEW] = "new", [CONFIG_CLUSTER_EXISTING] = "existing", NULL};

static const char *const configConsistencies[] = {
    [CONFIG_CONSISTENCY_LINEARIZABLE] = "linearizable",
    [CONFIG_CONSISTENCY_LOCAL] = "local", NULL};

static const char *const configLogLevels[] = {"debug", "info", "warn",
                                              "error", NULL};

static const char *const configAuthTokens[] = {"simple", NULL};

static const char *const configCompactionModes[] = {"periodic", "revision",
                                                    NULL};

static const char *const configTlsVersions[] = {"", "TLS1.2", "TLS1.3",
                                                NULL};

/* A path flag of the Security group ("" = none). */
#define CONFIG__PATH(name, snake, field, text)                                 \
    {.flag = name, .names = CONFIG__ENV(snake), .type = CONFIG_TYPE_STRING,   \
     .def = "", .group = "Security", .help = text, CONFIG__FIELD(field),     \
     .check = CONFIG_CHECK_EMPTY_OK}
/* A switch of the Security group. */
#define CONFIG__SWITCH(name, snake, field, text)                               \
    {.flag = name, .names = CONFIG__ENV(snake), .type = CONFIG_TYPE_BOOL,     \
     .def = "false", .group = "Security", .help = text, CONFIG__FIELD(field)}

/* An etcd 3.4 flag without a meaning here: accepted (so an etcd
 * configuration starts as written), with one warning naming it. */
#define CONFIG__ETCD_BOOL(name, snake, deflt, why)                             \
    {.flag = name, .names = CONFIG__ENV(snake), .type = CONFIG_TYPE_BOOL,     \
     .def = deflt, .group = "etcd's, without effect here", .help = why,      \
     CONFIG__FIELD(etcd_only_bool), .check = CONFIG_CHECK_NO_EFFECT}
#define CONFIG__ETCD_STR(name, snake, deflt, why)                              \
    {.flag = name, .names = CONFIG__ENV(snake), .type = CONFIG_TYPE_STRING,   \
     .def = deflt, .group = "etcd's, without effect here", .help = why,      \
     CONFIG__FIELD(etcd_only_text),                                          \
     .check = CONFIG_CHECK_NO_EFFECT | CONFIG_CHECK_EMPTY_OK}

const struct config_flag configFlags[CONFIG_N_FLAGS] = {
    [CONFIG_FLAG_NAME] = {
        .flag = "name", .names = CONFIG__ENV("NAME"),
        .type = CONFIG_TYPE_STRING, .def = "default", .group = "Member",
        .help = "Human-readable name for this member.",
        CONFIG__FIELD(name), .check = CONFIG_CHECK_MEMBER_NAME},
    [CONFIG_FLAG_DATA_DIR] = {
        .flag = "data-dir", .names = CONFIG__ENV("DATA_DIR"),
        .type = CONFIG_TYPE_STRING, .shown = "'<name>.etcfs'",
        .group = "Member", .help = "Path to the data directory.",
        CONFIG__FIELD(data_dir)},
    [CONFIG_FLAG_LISTEN_PEER_URLS] = {
        .flag = "listen-peer-urls", .names = CONFIG__ENV("LISTEN_PEER_URLS"),
        .type = CONFIG_TYPE_URL, .def = CONFIG__DEFAULT_PEER_URL,
        .group = "Member",
        .help = "URL to listen on for peer traffic (of a list, the first is "
                "used).",
        CONFIG__FIELD(listen_peer)},
    [CONFIG_FLAG_LISTEN_CLIENT_URLS] = {
        .flag = "listen-client-urls",
        .names = CONFIG__ENV("LISTEN_CLIENT_URLS"), .type = CONFIG_TYPE_URLS,
        .def = CONFIG__DEFAULT_CLIENT_URL, .group = "Member",
        .help = "List of URLs to listen on for client traffic.",
        CONFIG__LIST(listen_client, n_listen_client)},
    [CONFIG_FLAG_LISTEN_METRICS_URLS] = {
        .flag = "listen-metrics-urls",
        .names = CONFIG__ENV("LISTEN_METRICS_URLS"), .type = CONFIG_TYPE_URLS,
        .group = "Member", .shown = "''",
        .help = "List of URLs to listen on for the metrics and health "
                "endpoints (only\n    /metrics and /health are served "
                "there).",
        CONFIG__LIST(listen_metrics, n_listen_metrics)},
    [CONFIG_FLAG_HEARTBEAT_INTERVAL] = {
        .flag = "heartbeat-interval",
        .names = CONFIG__ENV("HEARTBEAT_INTERVAL"), .type = CONFIG_TYPE_UINT,
        .def = "100", .group = "Member",
        .help = "Time (in milliseconds) of a heartbeat interval.",
        CONFIG__FIELD(heartbeat_interval_ms), .min = 1,
        .max = CONFIG_ELECTION_MAX_MS},
    [CONFIG_FLAG_ELECTION_TIMEOUT] = {
        .flag = "election-timeout", .names = CONFIG__ENV("ELECTION_TIMEOUT"),
        .type = CONFIG_TYPE_UINT, .def = "1000", .group = "Member",
        .help = "Time (in milliseconds) for an election to timeout: at least "
                "5 times\n    --heartbeat-interval, at most 50000.",
        /* the upper bound is checked with etcd's message by configParse */
        CONFIG__FIELD(election_timeout_ms), .min = 1, .max = UINT32_MAX},
    [CONFIG_FLAG_SNAPSHOT_COUNT] = {
        .flag = "snapshot-count", .names = CONFIG__ENV("SNAPSHOT_COUNT"),
        .type = CONFIG_TYPE_UINT64, .def = "100000", /* etcd 3.4's */
        .group = "Member",
        .help = "Number of committed transactions to trigger a snapshot to "
                "disk.",
        /* libraft's snapshot threshold is an unsigned */
        CONFIG__FIELD(snapshot_count), .min = 1, .max = UINT32_MAX},
    [CONFIG_FLAG_MAX_REQUEST_BYTES] = {
        .flag = "max-request-bytes", .names = CONFIG__ENV("MAX_REQUEST_BYTES"),
        .type = CONFIG_TYPE_UINT64, .def = "1572864", .group = "Member",
        .help = "Maximum client request size in bytes the server will accept.",
        CONFIG__FIELD(max_request_bytes), .min = 1, .max = UINT32_MAX},
    [CONFIG_FLAG_AUTO_COMPACTION_MODE] = {
        .flag = "auto-compaction-mode",
        .names = CONFIG__ENV("AUTO_COMPACTION_MODE"),
        .type = CONFIG_TYPE_STRING, .def = "periodic", .group = "Member",
        .help = "Interpret 'auto-compaction-retention' one of: periodic|"
                "revision.\n    'periodic' for duration based retention, "
                "defaulting to hours if no\n    time unit is provided (e.g. "
                "'5m'). 'revision' for revision number\n    based retention.",
        CONFIG__FIELD(auto_compaction_mode), .choices = configCompactionModes},
    [CONFIG_FLAG_AUTO_COMPACTION_RETENTION] = {
        .flag = "auto-compaction-retention",
        .names = CONFIG__ENV("AUTO_COMPACTION_RETENTION"),
        .type = CONFIG_TYPE_STRING, .def = "0", .group = "Member",
        .help = "Auto compaction retention for mvcc key value store. 0 "
                "means disable\n    auto compaction.",
        CONFIG__FIELD(auto_compaction_retention)},
    [CONFIG_FLAG_AUTO_COMPACTION_INTERVAL] = {
        .flag = "auto-compaction-interval",
        .names = CONFIG__ENV("AUTO_COMPACTION_INTERVAL"),
        .type = CONFIG_TYPE_STRING, .def = "5m", .group = "Member",
        .help = "How often 'revision' mode compacts (etcd 3.4: a fixed 5 "
                "minutes);\n    a duration such as '30s'.",
        CONFIG__FIELD(auto_compaction_interval)},
    [CONFIG_FLAG_WAL_DIR] = {
        .flag = "wal-dir", .names = CONFIG__ENV("WAL_DIR"),
        .type = CONFIG_TYPE_STRING, .def = "", .group = "Member",
        .help = "Path to the dedicated wal directory (the Raft log and "
                "snapshots;\n    default: <data-dir>/raft).",
        CONFIG__FIELD(wal_dir), .check = CONFIG_CHECK_EMPTY_OK},
    [CONFIG_FLAG_QUOTA_BACKEND_BYTES] = {
        .flag = "quota-backend-bytes",
        .names = CONFIG__ENV("QUOTA_BACKEND_BYTES"),
        .type = CONFIG_TYPE_UINT64, .def = "2147483648", .group = "Member",
        .help = "Raise alarms when backend size exceeds the given quota (0 "
                "means the\n    default).",
        /* etcd: 0 means the default quota */
        CONFIG__FIELD(quota_backend_bytes), .min = 0, .max = INT64_MAX,
        .check = CONFIG_CHECK_ZERO_DEFAULT},
    [CONFIG_FLAG_MAX_TXN_OPS] = {
        .flag = "max-txn-ops", .names = CONFIG__ENV("MAX_TXN_OPS"),
        .type = CONFIG_TYPE_UINT, .def = "128", .group = "Member",
        .help = "Maximum number of operations permitted in a transaction.",
        CONFIG__FIELD(max_txn_ops), .min = 1, .max = UINT32_MAX},
    [CONFIG_FLAG_INITIAL_ADVERTISE_PEER_URLS] = {
        .flag = "initial-advertise-peer-urls",
        .names = CONFIG__ENV("INITIAL_ADVERTISE_PEER_URLS"),
        .type = CONFIG_TYPE_URL, .def = CONFIG__DEFAULT_PEER_URL,
        .group = "Clustering",
        .help = "This member's peer URL to advertise to the rest of the "
                "cluster.\n    Default: the first --listen-peer-urls URL when "
                "that flag is given.",
        CONFIG__FIELD(advertise_peer)},
    [CONFIG_FLAG_INITIAL_CLUSTER] = {
        .flag = "initial-cluster", .names = CONFIG__ENV("INITIAL_CLUSTER"),
        .type = CONFIG_TYPE_CLUSTER,
        .shown = "'<name>=<initial-advertise-peer-url>'",
        .group = "Clustering",
        .help = "Initial cluster configuration for bootstrapping: "
                "name=peerurl,...\n    It must hold this member's --name "
                "with its advertised peer URL.",
        CONFIG__LIST(initial_cluster, n_initial_cluster)},
    [CONFIG_FLAG_INITIAL_CLUSTER_STATE] = {
        .flag = "initial-cluster-state",
        .names = CONFIG__ENV("INITIAL_CLUSTER_STATE"),
        .type = CONFIG_TYPE_ENUM, .def = "new", .group = "Clustering",
        .help = "Initial cluster state ('new' or 'existing').",
        CONFIG__FIELD(initial_cluster_state), .choices = configClusterStates,
        .check = CONFIG_CHECK_QUOTE_CHOICES},
    [CONFIG_FLAG_INITIAL_CLUSTER_TOKEN] = {
        .flag = "initial-cluster-token",
        .names = CONFIG__ENV("INITIAL_CLUSTER_TOKEN"),
        .type = CONFIG_TYPE_STRING, .def = "etcd-cluster",
        .group = "Clustering",
        .help = "Initial cluster token for the cluster during bootstrap.",
        CONFIG__FIELD(initial_cluster_token)},
    [CONFIG_FLAG_FORCE_NEW_CLUSTER] = {
        .flag = "force-new-cluster", .names = CONFIG__ENV("FORCE_NEW_CLUSTER"),
        .type = CONFIG_TYPE_BOOL, .def = "false", .group = "Clustering",
        .help = "Force to create a new one member cluster (disaster "
                "recovery: this\n    member keeps its data, the others are "
                "dropped from the configuration).",
        CONFIG__FIELD(force_new_cluster)},
    [CONFIG_FLAG_JOIN] = {
        .flag = "join", .names = CONFIG__ENV("JOIN"),
        .type = CONFIG_TYPE_URLS, .group = "Clustering", .shown = "''",
        .help = "Client URLs of a running cluster: on a new data dir, add "
                "this member\n    to it as a learner and start as "
                "'existing' (a restart reuses the data dir).",
        CONFIG__LIST(join, n_join)},
    [CONFIG_FLAG_JOIN_USER] = {
        .flag = "join-user", .names = CONFIG__ENV("JOIN_USER"),
        .type = CONFIG_TYPE_STRING, .def = "", .group = "Clustering",
        .help = "NAME:PASSWORD of a root user for --join when the cluster "
                "has\n    authentication enabled.",
        CONFIG__FIELD(join_user), .check = CONFIG_CHECK_EMPTY_OK},
    [CONFIG_FLAG_LEAVE] = {
        .flag = "leave", .names = CONFIG__ENV("LEAVE"),
        .type = CONFIG_TYPE_BOOL, .def = "false", .group = "Clustering",
        .help = "At SIGTERM or SIGINT, remove this member from the cluster "
                "before\n    stopping (decommission).",
        CONFIG__FIELD(leave)},
    [CONFIG_FLAG_MAX_LEARNERS] = {
        .flag = "max-learners", .names = CONFIG__ENV("MAX_LEARNERS"),
        .type = CONFIG_TYPE_UINT, .def = "1", .group = "Clustering",
        .help = "Maximum number of learners in the cluster (etcd 3.4: 1), "
                "checked\n    by the leader at member add.",
        CONFIG__FIELD(max_learners), .min = 0, .max = 1000},
    [CONFIG_FLAG_MEMBER_DOWN_AFTER] = {
        .flag = "member-down-after", .names = CONFIG__ENV("MEMBER_DOWN_AFTER"),
        .type = CONFIG_TYPE_UINT, .def = "60", .group = "Clustering",
        .help = "Seconds after which the leader reports a member it has "
                "not heard\n    from in endpoint status (errors); 0: "
                "never.",
        CONFIG__FIELD(member_down_after), .min = 0, .max = 86400 * 365},
    [CONFIG_FLAG_MIRROR_OF] = {
        .flag = "mirror-of", .names = CONFIG__ENV("MIRROR_OF"),
        .type = CONFIG_TYPE_URLS, .group = "Clustering", .shown = "''",
        .help = "Run as a mirror: no Raft vote or membership, a replica of "
                "the\n    cluster fed by the first of these peer URLs (of "
                "members or of\n    other mirrors) that answers; writes go "
                "to the leader.",
        CONFIG__LIST(mirror_of, n_mirror_of)},
    [CONFIG_FLAG_MIRROR_FEED_BYTES] = {
        .flag = "mirror-feed-bytes", .names = CONFIG__ENV("MIRROR_FEED_BYTES"),
        .type = CONFIG_TYPE_UINT64, .def = "67108864", .group = "Clustering",
        .help = "Bytes of recently applied commands kept for the mirrors "
                "below this\n    member; a mirror further behind gets a "
                "snapshot first.",
        CONFIG__FIELD(mirror_feed_bytes), .min = 4096, .max = UINT32_MAX},
    [CONFIG_FLAG_ADVERTISE_CLIENT_URLS] = {
        .flag = "advertise-client-urls",
        .names = CONFIG__ENV("ADVERTISE_CLIENT_URLS"),
        .type = CONFIG_TYPE_URLS, .def = CONFIG__DEFAULT_CLIENT_URL,
        .group = "Clustering",
        .help = "List of this member's client URLs to advertise to the "
                "public.\n    Default: the first --listen-client-urls URL "
                "when that flag is given.",
        CONFIG__LIST(advertise_client, n_advertise_client)},
    [CONFIG_FLAG_MOUNT] = {
        .flag = "mount", .names = CONFIG__ENV("MOUNT"),
        .type = CONFIG_TYPE_STRING, .def = "", .group = "Mount",
        .help = "Mount the keyspace as a file system on this directory ('' = "
                "none).",
        CONFIG__FIELD(mount), .check = CONFIG_CHECK_EMPTY_OK},
    [CONFIG_FLAG_MOUNT_PREFIX] = {
        .flag = "mount-prefix", .names = CONFIG__ENV("MOUNT_PREFIX"),
        .type = CONFIG_TYPE_STRING, .def = "/", .group = "Mount",
        .help = "Key prefix shown at the mount root.",
        CONFIG__FIELD(mount_prefix)},
    [CONFIG_FLAG_MOUNT_CONSISTENCY] = {
        .flag = "mount-consistency", .names = CONFIG__ENV("MOUNT_CONSISTENCY"),
        .type = CONFIG_TYPE_ENUM, .def = "linearizable", .group = "Mount",
        .help = "Reads through the mount: 'linearizable' or 'local' (this "
                "member's\n    state, possibly stale).",
        CONFIG__FIELD(mount_consistency), .choices = configConsistencies,
        .check = CONFIG_CHECK_QUOTE_CHOICES},
    [CONFIG_FLAG_MOUNT_USER] = {
        .flag = "mount-user", .names = CONFIG__ENV("MOUNT_USER"),
        .type = CONFIG_TYPE_STRING, .def = "", .group = "Mount",
        .help = "With auth enabled, the mount acts as this user (its roles "
                "decide what\n    is shown and may change; '' = root). "
                "Its password is read from\n    --mount-password-file, or "
                "it is the common name of --cert-file.",
        CONFIG__FIELD(mount_user), .check = CONFIG_CHECK_EMPTY_OK},
    [CONFIG_FLAG_MOUNT_PASSWORD_FILE] = {
        .flag = "mount-password-file",
        .names = CONFIG__ENV("MOUNT_PASSWORD_FILE"),
        .type = CONFIG_TYPE_STRING, .def = "", .group = "Mount",
        .help = "File holding --mount-user's password (its first line).",
        CONFIG__FIELD(mount_password_file), .check = CONFIG_CHECK_EMPTY_OK},
    [CONFIG_FLAG_CERT_FILE] = CONFIG__PATH(
        "cert-file", "CERT_FILE", cert_file,
        "Path to the client server TLS cert file."),
    [CONFIG_FLAG_KEY_FILE] = CONFIG__PATH(
        "key-file", "KEY_FILE", key_file,
        "Path to the client server TLS key file."),
    [CONFIG_FLAG_TRUSTED_CA_FILE] = CONFIG__PATH(
        "trusted-ca-file", "TRUSTED_CA_FILE", trusted_ca_file,
        "Path to the client server TLS trusted CA cert file."),
    [CONFIG_FLAG_CLIENT_CERT_AUTH] = CONFIG__SWITCH(
        "client-cert-auth", "CLIENT_CERT_AUTH", client_cert_auth,
        "Enable client cert authentication."),
    [CONFIG_FLAG_AUTO_TLS] = CONFIG__SWITCH(
        "auto-tls", "AUTO_TLS", auto_tls,
        "Client TLS using generated certificates."),
    [CONFIG_FLAG_PEER_CERT_FILE] = CONFIG__PATH(
        "peer-cert-file", "PEER_CERT_FILE", peer_cert_file,
        "Path to the peer server TLS cert file."),
    [CONFIG_FLAG_PEER_KEY_FILE] = CONFIG__PATH(
        "peer-key-file", "PEER_KEY_FILE", peer_key_file,
        "Path to the peer server TLS key file."),
    [CONFIG_FLAG_PEER_TRUSTED_CA_FILE] = CONFIG__PATH(
        "peer-trusted-ca-file", "PEER_TRUSTED_CA_FILE", peer_trusted_ca_file,
        "Path to the peer server TLS trusted CA file."),
    [CONFIG_FLAG_PEER_CLIENT_CERT_AUTH] = CONFIG__SWITCH(
        "peer-client-cert-auth", "PEER_CLIENT_CERT_AUTH",
        peer_client_cert_auth, "Enable peer client cert authentication."),
    [CONFIG_FLAG_PEER_AUTO_TLS] = CONFIG__SWITCH(
        "peer-auto-tls", "PEER_AUTO_TLS", peer_auto_tls,
        "Peer TLS using generated certificates."),
    [CONFIG_FLAG_PEER_CERT_ALLOWED_CN] = CONFIG__PATH(
        "peer-cert-allowed-cn", "PEER_CERT_ALLOWED_CN", peer_cert_allowed_cn,
        "Allowed CN for inter peer authentication."),
    [CONFIG_FLAG_CIPHER_SUITES] = CONFIG__PATH(
        "cipher-suites", "CIPHER_SUITES", cipher_suites,
        "Comma-separated list of supported TLS cipher suites between client/"
        "server\n    and peers (empty will be auto-populated)."),
    [CONFIG_FLAG_TLS_MIN_VERSION] = {
        .flag = "tls-min-version", .names = CONFIG__ENV("TLS_MIN_VERSION"),
        .type = CONFIG_TYPE_STRING, .def = "", .shown = "'TLS1.2'",
        .group = "Security",
        .help = "Minimum TLS version supported: TLS1.2 or TLS1.3.",
        CONFIG__FIELD(tls_min_version), .choices = configTlsVersions,
        .check = CONFIG_CHECK_EMPTY_OK},
    [CONFIG_FLAG_TLS_MAX_VERSION] = {
        .flag = "tls-max-version", .names = CONFIG__ENV("TLS_MAX_VERSION"),
        .type = CONFIG_TYPE_STRING, .def = "", .shown = "''",
        .group = "Security",
        .help = "Maximum TLS version supported: TLS1.2 or TLS1.3 ('' = the "
                "newest).",
        CONFIG__FIELD(tls_max_version), .choices = configTlsVersions,
        .check = CONFIG_CHECK_EMPTY_OK},
    [CONFIG_FLAG_AUTH_TOKEN] = {
        .flag = "auth-token", .names = CONFIG__ENV("AUTH_TOKEN"),
        .type = CONFIG_TYPE_STRING, .def = "simple", .group = "Auth",
        .help = "Specify auth token specific options: 'simple' (etcd's jwt "
                "is not\n    supported).",
        CONFIG__FIELD(auth_token), .choices = configAuthTokens},
    [CONFIG_FLAG_AUTH_TOKEN_TTL] = {
        .flag = "auth-token-ttl", .names = CONFIG__ENV("AUTH_TOKEN_TTL"),
        .type = CONFIG_TYPE_UINT, .def = "300", .group = "Auth",
        .help = "The lifetime in seconds of the auth token (renewed by each "
                "use).",
        CONFIG__FIELD(auth_token_ttl), .min = 1, .max = UINT32_MAX},
    [CONFIG_FLAG_BCRYPT_COST] = {
        .flag = "bcrypt-cost", .names = CONFIG__ENV("BCRYPT_COST"),
        .type = CONFIG_TYPE_UINT, .def = "10", .group = "Auth",
        .help = "Specify bcrypt algorithm cost factor for auth password "
                "hashing.",
        CONFIG__FIELD(bcrypt_cost), .min = 4, .max = 31},
    [CONFIG_FLAG_ENABLE_V2] = {
        .flag = "enable-v2", .names = CONFIG__ENV("ENABLE_V2"),
        .type = CONFIG_TYPE_BOOL, .def = "false", .group = "Clustering",
        .help = "Accept etcd V2 client requests (/v2/keys, /v2/members), "
                "emulated on\n    the v3 keyspace under "
                "--experimental-enable-v2v3.",
        CONFIG__FIELD(enable_v2)},
    [CONFIG_FLAG_V2_PREFIX] = {
        .flag = "experimental-enable-v2v3",
        .names = CONFIG__ENV("EXPERIMENTAL_ENABLE_V2V3"),
        .type = CONFIG_TYPE_STRING, .def = "/v2", .group = "Clustering",
        .help = "The v3 key prefix v2 keys live under: v2 key /a/b is v3 "
                "key <prefix>/a/b\n    (a file of the mount); '' puts them "
                "at the root.",
        CONFIG__FIELD(v2_prefix), .check = CONFIG_CHECK_EMPTY_OK},
    [CONFIG_FLAG_LOG_LEVEL] = {
        .flag = "log-level", .names = CONFIG__ENV("LOG_LEVEL"),
        .type = CONFIG_TYPE_STRING, .def = "info", .group = "Logging",
        .help = "Configures log level. Only supports debug, info, warn, "
                "error.",
        CONFIG__FIELD(log_level), .choices = configLogLevels},
    [CONFIG_FLAG_LOG_OUTPUTS] = {
        .flag = "log-outputs", .names = CONFIG__ENV("LOG_OUTPUTS"),
        .type = CONFIG_TYPE_STRING, .def = "default", .group = "Logging",
        .help = "Specify 'stdout' or 'stderr' to skip journald logging even "
                "when running\n    under systemd, or list comma-separated "
                "output targets (file paths).",
        CONFIG__FIELD(log_outputs)},
    [CONFIG_FLAG_CONFIG_FILE] = {
        .flag = "config-file", .names = CONFIG__ENV("CONFIG_FILE"),
        .type = CONFIG_TYPE_FILE, .def = "", .group = "Other",
        .help = "Path to a file of KEY=value lines (flag or ETCFS_* names, "
                "'#'\n    comments); the environment and the command line "
                "override it."},
    [CONFIG_FLAG_HELP] = {
        .flag = "help", .alias = "h", .type = CONFIG_TYPE_BOOL,
        .def = "false", .group = "Other",
        .help = "Show this help and exit (also -h).", CONFIG__FIELD(help)},
    [CONFIG_FLAG_VERSION] = {
        .flag = "version", .type = CONFIG_TYPE_BOOL, .def = "false",
        .group = "Other", .help = "Print the version and exit.",
        CONFIG__FIELD(version)},
    [CONFIG_FLAG_ETCD_ENABLE_PPROF] =
        CONFIG__ETCD_BOOL("enable-pprof", "ENABLE_PPROF", "false",
                          "Go's pprof: etcfs has none (use perf)."),
    [CONFIG_FLAG_ETCD_STRICT_RECONFIG_CHECK] =
        CONFIG__ETCD_BOOL("strict-reconfig-check", "STRICT_RECONFIG_CHECK", "true",
                          "etcfs always refuses a member change that would lose quorum."),
    [CONFIG_FLAG_ETCD_PRE_VOTE] =
        CONFIG__ETCD_BOOL("pre-vote", "PRE_VOTE", "false",
                          "etcfs's Raft always runs the pre-vote."),
    [CONFIG_FLAG_ETCD_ENABLE_GRPC_GATEWAY] =
        CONFIG__ETCD_BOOL("enable-grpc-gateway", "ENABLE_GRPC_GATEWAY", "true",
                          "the JSON gateway is always served."),
    [CONFIG_FLAG_ETCD_INITIAL_ELECTION_TICK_ADVANCE] =
        CONFIG__ETCD_BOOL("initial-election-tick-advance", "INITIAL_ELECTION_TICK_ADVANCE", "true",
                          "the first election runs on a short timer until a leader is known."),
    [CONFIG_FLAG_ETCD_DEBUG] =
        CONFIG__ETCD_BOOL("debug", "DEBUG", "false",
                          "use --log-level debug."),
    [CONFIG_FLAG_ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK] =
        CONFIG__ETCD_BOOL("experimental-initial-corrupt-check", "EXPERIMENTAL_INITIAL_CORRUPT_CHECK", "false",
                          "etcd's bbolt check; LevelDB checks its blocks."),
    [CONFIG_FLAG_ETCD_EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT] =
        CONFIG__ETCD_BOOL("experimental-enable-lease-checkpoint", "EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT", "false",
                          "etcd's lease checkpoints."),
    [CONFIG_FLAG_ETCD_EXPERIMENTAL_PEER_SKIP_CLIENT_SAN_VERIFICATION] =
        CONFIG__ETCD_BOOL("experimental-peer-skip-client-san-verification", "EXPERIMENTAL_PEER_SKIP_CLIENT_SAN_VERIFICATION", "false",
                          "peers are checked by --peer-cert-allowed-cn."),
    [CONFIG_FLAG_ETCD_LOGGER] =
        CONFIG__ETCD_STR("logger", "LOGGER", "capnslog",
                         "etcfs has one log format (see --log-outputs)."),
    [CONFIG_FLAG_ETCD_LOG_PACKAGE_LEVELS] =
        CONFIG__ETCD_STR("log-package-levels", "LOG_PACKAGE_LEVELS", "",
                         "use --log-level."),
    [CONFIG_FLAG_ETCD_METRICS] =
        CONFIG__ETCD_STR("metrics", "METRICS", "basic",
                         "/metrics always has etcfs's full set."),
    [CONFIG_FLAG_ETCD_MAX_SNAPSHOTS] =
        CONFIG__ETCD_STR("max-snapshots", "MAX_SNAPSHOTS", "5",
                         "libraft keeps the last two snapshots."),
    [CONFIG_FLAG_ETCD_MAX_WALS] =
        CONFIG__ETCD_STR("max-wals", "MAX_WALS", "5",
                         "libraft removes the log segments a snapshot covers."),
    [CONFIG_FLAG_ETCD_CORS] =
        CONFIG__ETCD_STR("cors", "CORS", "",
                         "etcfs sends no CORS headers."),
    [CONFIG_FLAG_ETCD_HOST_WHITELIST] =
        CONFIG__ETCD_STR("host-whitelist", "HOST_WHITELIST", "*",
                         "every Host header is accepted."),
    [CONFIG_FLAG_ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME] =
        CONFIG__ETCD_STR("experimental-corrupt-check-time", "EXPERIMENTAL_CORRUPT_CHECK_TIME", "0s",
                         "etcd's periodic hash check; compare endpoint hashkv."),
    [CONFIG_FLAG_ETCD_EXPERIMENTAL_BACKEND_BBOLT_FREELIST_TYPE] =
        CONFIG__ETCD_STR("experimental-backend-bbolt-freelist-type", "EXPERIMENTAL_BACKEND_BBOLT_FREELIST_TYPE", "array",
                         "etcfs's store is LevelDB."),
    [CONFIG_FLAG_ETCD_EXPERIMENTAL_COMPACTION_BATCH_LIMIT] =
        CONFIG__ETCD_STR("experimental-compaction-batch-limit", "EXPERIMENTAL_COMPACTION_BATCH_LIMIT", "0",
                         "compaction deletes in batches of its own."),
    [CONFIG_FLAG_ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL] =
        CONFIG__ETCD_STR("experimental-watch-progress-notify-interval", "EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL", "10m",
                         "progress notifications are sent on request."),
};

/* Environment variables of the ETCFS_ namespace that are not flags: read
 * elsewhere (src/lib/log.c), so not typos. */
static const char *const configIgnoredNames[] = {"ETCFS_TRACE", "ETCFS_LOG"};

static bool configSpanIs(const char *name, size_t len, const char *s)
{
    return s != NULL && strlen(s) == len && memcmp(s, name, len) == 0;
}

int configFlagByArg(const char *name, size_t len)
{
    int id;
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        if (configSpanIs(name, len, configFlags[id].flag) ||
            configSpanIs(name, len, configFlags[id].alias)) {
            return id;
        }
    }
    return -1;
}

int configFlagByName(const char *name, size_t len, bool flag_names,
                     const char **name_out)
{
    int id;
    unsigned i;
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        const struct config_flag *fl = &configFlags[id];
        if (fl->names[0] == NULL) {
            continue; /* command line only */
        }
        if (flag_names && configSpanIs(name, len, fl->flag)) {
            if (name_out != NULL) {
                *name_out = NULL;
            }
            return id;
        }
        for (i = 0; i < CONFIG_MAX_NAMES && fl->names[i] != NULL; i++) {
            if (configSpanIs(name, len, fl->names[i])) {
                if (name_out != NULL) {
                    *name_out = fl->names[i];
                }
                return id;
            }
        }
    }
    return -1;
}

bool configFlagNameIgnored(const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < sizeof configIgnoredNames / sizeof configIgnoredNames[0];
         i++) {
        if (configSpanIs(name, len, configIgnoredNames[i])) {
            return true;
        }
    }
    return false;
}

/* The default as --help shows it: numbers bare, text quoted. */
static void configUsageDefault(FILE *f, const struct config_flag *fl)
{
    if (fl->shown != NULL) {
        fprintf(f, " %s", fl->shown);
    } else if (fl->type == CONFIG_TYPE_UINT || fl->type == CONFIG_TYPE_UINT64) {
        fprintf(f, " %s", fl->def);
    } else {
        fprintf(f, " '%s'", fl->def);
    }
}

void configUsage(FILE *f)
{
    const char *group = NULL;
    int id;
    unsigned i;
    fprintf(f,
            "Usage:\n"
            "\n"
            "  etcfsd [flags]\n"
            "    Start an etcfs member: an etcd v3 compatible store that can\n"
            "    also mount its keyspace as a file system.\n"
            "\n"
            "  etcfsd --version\n"
            "    Show the version of etcfsd.\n"
            "\n"
            "  etcfsd -h | --help\n"
            "    Show the help information about etcfsd.\n"
            "\n"
            "Flags are written --flag value, --flag=value, -flag value or\n"
            "-flag=value. Lists are comma-separated; URLs are\n"
            "http://host:port (IPv6 as http://[::1]:2379). Every flag but\n"
            "--help and --version can also be set by the environment\n"
            "variable shown, or by a KEY=value line of --config-file (KEY\n"
            "the flag name or the variable name). Precedence: defaults <\n"
            "config file < environment < command line.\n");
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        const struct config_flag *fl = &configFlags[id];
        if (group == NULL || strcmp(group, fl->group) != 0) {
            group = fl->group;
            fprintf(f, "\n%s:\n\n", group);
        }
        fprintf(f, "  --%s", fl->flag);
        if (fl->type != CONFIG_TYPE_BOOL) {
            configUsageDefault(f, fl);
        }
        fprintf(f, "\n    %s\n", fl->help);
        if (fl->names[0] == NULL) {
            fprintf(f, "    command line only\n");
            continue;
        }
        fprintf(f, "    env");
        for (i = 0; i < CONFIG_MAX_NAMES && fl->names[i] != NULL; i++) {
            fprintf(f, "%s %s", i > 0 ? "," : "", fl->names[i]);
        }
        fprintf(f, "\n");
    }
}
