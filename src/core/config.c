/* etcfsd configuration: etcd's flag names (DESIGN.md "etcfsd flags"), the
 * same names as ETCFS_* environment variables and as KEY=value lines of a
 * --config-file, merged with precedence defaults < config file <
 * environment < command line, then validated the way etcd validates them.
 * Pure: reads the config file and nothing else, opens no socket, touches no
 * data dir; no getenv (envp is a parameter), no exit(), no mutable statics,
 * so it may be called any number of times (the unit tests do).
 *
 * Flags are parsed here rather than by getopt_long: getopt keeps its state
 * in globals (optind, opterr), prints to stderr, reads POSIXLY_CORRECT with
 * getenv and accepts abbreviated flag names, none of which etcd's Go flag
 * package does; a flag given twice must also be detected. */
#include "config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"

#define CONFIG__DEFAULT_CLIENT_URL "http://127.0.0.1:2379"
#define CONFIG__DEFAULT_PEER_URL "http://127.0.0.1:2380"
#define CONFIG__DEFAULT_PORT 2379
#define CONFIG__ENV_PREFIX "ETCFS_"
#define CONFIG__FILE_MAX (1u << 20) /* a config file is small */
#define CONFIG__ELECTION_MAX_MS 50000u /* etcd: "less than 50 seconds" */
#define CONFIG__QUOTA_DEFAULT 2147483648ull
#define CONFIG__LABEL_SIZE 160

/* Every flag, once: X(id, flag name, takes a value, also read from the
 * environment and the config file, usage group, default as usage shows it,
 * help text). The order is the usage order. */
#define CONFIG__OPTIONS(X)                                                     \
    X(NAME, "name", true, true, "Member", "'default'",                         \
      "Human-readable name for this member.")                                  \
    X(DATA_DIR, "data-dir", true, true, "Member", "'<name>.etcfs'",            \
      "Path to the data directory.")                                           \
    X(LISTEN_PEER_URLS, "listen-peer-urls", true, true, "Member",              \
      "'" CONFIG__DEFAULT_PEER_URL "'",                                        \
      "URL to listen on for peer traffic (of a list, the first is used).")     \
    X(LISTEN_CLIENT_URLS, "listen-client-urls", true, true, "Member",          \
      "'" CONFIG__DEFAULT_CLIENT_URL "'",                                      \
      "List of URLs to listen on for client traffic.")                         \
    X(HEARTBEAT_INTERVAL, "heartbeat-interval", true, true, "Member", "100",   \
      "Time (in milliseconds) of a heartbeat interval.")                       \
    X(ELECTION_TIMEOUT, "election-timeout", true, true, "Member", "1000",      \
      "Time (in milliseconds) for an election to timeout: at least 5 times\n"  \
      "    --heartbeat-interval, at most 50000.")                              \
    X(SNAPSHOT_COUNT, "snapshot-count", true, true, "Member", "100000",        \
      "Number of committed transactions to trigger a snapshot to disk.")       \
    X(MAX_REQUEST_BYTES, "max-request-bytes", true, true, "Member",            \
      "1572864",                                                               \
      "Maximum client request size in bytes the server will accept.")          \
    X(QUOTA_BACKEND_BYTES, "quota-backend-bytes", true, true, "Member",        \
      "2147483648",                                                            \
      "Raise alarms when backend size exceeds the given quota (0 means the\n"  \
      "    default).")                                                         \
    X(MAX_TXN_OPS, "max-txn-ops", true, true, "Member", "128",                 \
      "Maximum number of operations permitted in a transaction.")              \
    X(INITIAL_ADVERTISE_PEER_URLS, "initial-advertise-peer-urls", true, true,  \
      "Clustering", "'" CONFIG__DEFAULT_PEER_URL "'",                          \
      "This member's peer URL to advertise to the rest of the cluster.\n"      \
      "    Default: the first --listen-peer-urls URL when that flag is "       \
      "given.")                                                                \
    X(INITIAL_CLUSTER, "initial-cluster", true, true, "Clustering",            \
      "'<name>=<initial-advertise-peer-url>'",                                 \
      "Initial cluster configuration for bootstrapping: name=peerurl,...\n"    \
      "    It must hold this member's --name with its advertised peer URL.")   \
    X(INITIAL_CLUSTER_STATE, "initial-cluster-state", true, true,              \
      "Clustering", "'new'",                                                   \
      "Initial cluster state ('new' or 'existing').")                          \
    X(INITIAL_CLUSTER_TOKEN, "initial-cluster-token", true, true,              \
      "Clustering", "'etcd-cluster'",                                          \
      "Initial cluster token for the cluster during bootstrap.")               \
    X(ADVERTISE_CLIENT_URLS, "advertise-client-urls", true, true,              \
      "Clustering", "'" CONFIG__DEFAULT_CLIENT_URL "'",                        \
      "List of this member's client URLs to advertise to the public.\n"        \
      "    Default: the first --listen-client-urls URL when that flag is "     \
      "given.")                                                                \
    X(MOUNT, "mount", true, true, "Mount", "''",                               \
      "Mount the keyspace as a file system on this directory ('' = none).")    \
    X(MOUNT_PREFIX, "mount-prefix", true, true, "Mount", "'/'",                \
      "Key prefix shown at the mount root.")                                   \
    X(MOUNT_CONSISTENCY, "mount-consistency", true, true, "Mount",             \
      "'linearizable'",                                                        \
      "Reads through the mount: 'linearizable' or 'local' (this member's\n"    \
      "    state, possibly stale).")                                           \
    X(LOG_LEVEL, "log-level", true, true, "Logging", "'info'",                 \
      "Configures log level. Only supports debug, info, warn, error.")         \
    X(CONFIG_FILE, "config-file", true, true, "Other", "''",                   \
      "Path to a file of KEY=value lines (flag or ETCFS_* names, '#'\n"        \
      "    comments); the environment and the command line override it.")     \
    X(HELP, "help", false, false, "Other", "false",                            \
      "Show this help and exit (also -h).")                                    \
    X(VERSION, "version", false, false, "Other", "false",                      \
      "Print the version and exit.")

enum {
#define CONFIG__ENUM(id, flag, value, env, group, def, help) CONFIG__OPT_##id,
    CONFIG__OPTIONS(CONFIG__ENUM)
#undef CONFIG__ENUM
        CONFIG__N_OPTS
};

struct config_option
{
    const char *flag; /* without dashes */
    bool value;       /* takes a value; false: a boolean switch */
    bool env;         /* also ETCFS_<FLAG> and a config-file key */
    const char *group;
    const char *def;
    const char *help;
};

static const struct config_option configOptions[CONFIG__N_OPTS] = {
#define CONFIG__ROW(id, flag, value, env, group, def, help)                    \
    {flag, value, env, group, def, help},
    CONFIG__OPTIONS(CONFIG__ROW)
#undef CONFIG__ROW
};

/* Environment variables of the ETCFS_ namespace that are not flags: read
 * elsewhere (src/log.c), so not typos. */
static const char *const configEnvIgnored[] = {"ETCFS_TRACE", "ETCFS_LOG"};

enum config_source { CONFIG__SRC_NONE = 0, CONFIG__SRC_FILE, CONFIG__SRC_ENV,
                     CONFIG__SRC_ARGV };

/* One raw value: text borrowed from argv, envp or the file buffer. */
struct config_value
{
    const char *text;
    int src;
    unsigned line; /* config file line */
};

/* Parse state: raw values per source, merged only once all are read. */
struct config_parse
{
    struct config_value argv[CONFIG__N_OPTS];
    struct config_value env[CONFIG__N_OPTS];
    struct config_value file[CONFIG__N_OPTS];
    const char *file_path; /* borrowed from argv or envp */
    char *file_buf;        /* owned: freed by configParse */
};

/* ---- small helpers ---- */

/* "data-dir" -> "ETCFS_DATA_DIR". */
static void configEnvName(const char *flag, char *out, size_t size)
{
    size_t n = strlen(CONFIG__ENV_PREFIX);
    size_t i;
    assert(n + strlen(flag) < size);
    memcpy(out, CONFIG__ENV_PREFIX, n);
    for (i = 0; flag[i] != '\0'; i++) {
        out[n + i] =
            flag[i] == '-' ? '_' : (char)toupper((unsigned char)flag[i]);
    }
    out[n + i] = '\0';
}

/* Option id of a flag name (no dashes, len bytes), or -1. */
static int configFindFlag(const char *name, size_t len)
{
    int id;
    if (len == 1 && name[0] == 'h') {
        return CONFIG__OPT_HELP;
    }
    for (id = 0; id < CONFIG__N_OPTS; id++) {
        const char *flag = configOptions[id].flag;
        if (strlen(flag) == len && memcmp(flag, name, len) == 0) {
            return id;
        }
    }
    return -1;
}

/* Option id of an environment name (len bytes) that options may use, or -1. */
static int configFindEnv(const char *name, size_t len)
{
    char env[64];
    int id;
    for (id = 0; id < CONFIG__N_OPTS; id++) {
        if (!configOptions[id].env) {
            continue;
        }
        configEnvName(configOptions[id].flag, env, sizeof env);
        if (strlen(env) == len && memcmp(env, name, len) == 0) {
            return id;
        }
    }
    return -1;
}

static bool configEnvIsIgnored(const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < sizeof configEnvIgnored / sizeof configEnvIgnored[0]; i++) {
        if (strlen(configEnvIgnored[i]) == len &&
            memcmp(configEnvIgnored[i], name, len) == 0) {
            return true;
        }
    }
    return false;
}

/* Where a value came from, for messages: "--name", "ETCFS_NAME" or
 * "etcfs.conf:3: name". */
static void configLabel(const struct config_parse *p, int id,
                        const struct config_value *v, char *out, size_t size)
{
    const char *flag = configOptions[id].flag;
    switch (v->src) {
        case CONFIG__SRC_ENV:
            configEnvName(flag, out, size);
            break;
        case CONFIG__SRC_FILE:
            snprintf(out, size, "%.80s:%u: %s", p->file_path, v->line, flag);
            break;
        default:
            snprintf(out, size, "--%s", flag);
            break;
    }
}

static bool configIsSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

/* Trims [*start, *start + *len) of surrounding white space. */
static void configTrim(const char **start, size_t *len)
{
    while (*len > 0 && configIsSpace(**start)) {
        (*start)++;
        (*len)--;
    }
    while (*len > 0 && configIsSpace((*start)[*len - 1])) {
        (*len)--;
    }
}

static int configSetString(const char *label, const char *text, char *dst,
                           size_t size, bool allow_empty, char *errmsg)
{
    size_t len = strlen(text);
    if (len == 0 && !allow_empty) {
        etcfsErrmsgf(errmsg, "%s: empty value", label);
        return ETCFS_INVALID;
    }
    if (len >= size) {
        etcfsErrmsgf(errmsg, "%s: too long (%zu bytes, at most %zu)", label,
                     len, size - 1);
        return ETCFS_INVALID;
    }
    memcpy(dst, text, len + 1);
    return 0;
}

/* A member name: non-empty, fits struct config_member, and free of the
 * characters --initial-cluster uses as separators. */
static int configCheckName(const char *label, const char *name, size_t len,
                           char *errmsg)
{
    size_t i;
    if (len == 0) {
        etcfsErrmsgf(errmsg, "%s: empty name", label);
        return ETCFS_INVALID;
    }
    if (len >= sizeof ((struct config *)NULL)->name) {
        etcfsErrmsgf(errmsg, "%s: name too long (%zu bytes, at most %zu)",
                     label, len, sizeof ((struct config *)NULL)->name - 1);
        return ETCFS_INVALID;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == ',' || c == '=' || c < 0x20 || c == 0x7f ||
            configIsSpace((char)c)) {
            etcfsErrmsgf(errmsg,
                         "%s: invalid name \"%.*s\" (no ',', '=', spaces or "
                         "control characters)",
                         label, (int)(len > 64 ? 64 : len), name);
            return ETCFS_INVALID;
        }
    }
    return 0;
}

/* A whole decimal number in [min, max]; no sign, no spaces, no suffix. */
static int configParseNumber(const char *label, const char *text,
                             uint64_t min, uint64_t max, uint64_t *out,
                             char *errmsg)
{
    uint64_t v = 0;
    const char *c;
    if (*text == '\0') {
        etcfsErrmsgf(errmsg, "%s: invalid value \"\"", label);
        return ETCFS_INVALID;
    }
    for (c = text; *c != '\0'; c++) {
        unsigned d;
        if (*c < '0' || *c > '9') {
            etcfsErrmsgf(errmsg, "%s: invalid value \"%.64s\"", label, text);
            return ETCFS_INVALID;
        }
        d = (unsigned)(*c - '0');
        if (v > (UINT64_MAX - d) / 10) {
            etcfsErrmsgf(errmsg, "%s: invalid value \"%.64s\": out of range",
                         label, text);
            return ETCFS_INVALID;
        }
        v = v * 10 + d;
    }
    if (v < min) {
        etcfsErrmsgf(errmsg,
                     "%s: invalid value \"%.64s\": must be at least %llu",
                     label, text, (unsigned long long)min);
        return ETCFS_INVALID;
    }
    if (v > max) {
        etcfsErrmsgf(errmsg,
                     "%s: invalid value \"%.64s\": must be at most %llu",
                     label, text, (unsigned long long)max);
        return ETCFS_INVALID;
    }
    *out = v;
    return 0;
}

static int configParseUnsigned(const char *label, const char *text,
                               unsigned min, unsigned max, unsigned *out,
                               char *errmsg)
{
    uint64_t v;
    int rv = configParseNumber(label, text, min, max, &v, errmsg);
    if (rv == 0) {
        *out = (unsigned)v;
    }
    return rv;
}

/* Go's strconv.ParseBool, as a boolean flag's "=value" takes. */
static int configParseBool(const char *label, const char *text, bool *out,
                           char *errmsg)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    size_t i;
    for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    etcfsErrmsgf(errmsg, "%s: invalid value \"%.64s\" (want true or false)",
                 label, text);
    return ETCFS_INVALID;
}

/* ---- URLs ---- */

/* 0.0.0.0 or [::]: fine to listen on, useless to advertise. */
static bool configUrlIsUnspecified(const struct config_url *url)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, url->host, &a4) == 1) {
        return a4.s_addr == 0;
    }
    if (inet_pton(AF_INET6, url->host, &a6) == 1) {
        return IN6_IS_ADDR_UNSPECIFIED(&a6);
    }
    return false;
}

int configParseUrl(const char *text, struct config_url *url, char *errmsg)
{
    const char *p;
    const char *sep;
    const char *auth_end;
    const char *host;
    const char *host_end;
    const char *port = NULL;
    size_t host_len;
    size_t i;
    bool v6 = false;
    unsigned port_num = CONFIG__DEFAULT_PORT;

    memset(url, 0, sizeof *url);
    if (text == NULL || *text == '\0') {
        etcfsErrmsgf(errmsg, "invalid URL \"\": empty");
        return ETCFS_INVALID;
    }
    for (p = text; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f) {
            etcfsErrmsgf(errmsg,
                         "invalid URL \"%.100s\": space or control character",
                         text);
            return ETCFS_INVALID;
        }
    }

    p = text;
    sep = strstr(text, "://");
    if (sep != NULL) {
        size_t scheme_len = (size_t)(sep - text);
        if (scheme_len == 5 && strncasecmp(text, "https", 5) == 0) {
            etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": https is not "
                                 "supported yet",
                         text);
            return ETCFS_INVALID;
        }
        if (scheme_len != 4 || strncasecmp(text, "http", 4) != 0) {
            etcfsErrmsgf(errmsg,
                         "invalid URL \"%.100s\": unsupported scheme \"%.*s\" "
                         "(only http:// is supported)",
                         text, (int)(scheme_len > 16 ? 16 : scheme_len), text);
            return ETCFS_INVALID;
        }
        p = sep + 3;
    }

    /* Authority, then nothing but an optional "/". */
    auth_end = p + strcspn(p, "/?#");
    if (*auth_end == '?' || *auth_end == '#' ||
        (*auth_end == '/' && auth_end[1] != '\0')) {
        etcfsErrmsgf(errmsg,
                     "invalid URL \"%.100s\": unexpected path \"%.40s\" "
                     "(only \"\" or \"/\" is allowed)",
                     text, auth_end);
        return ETCFS_INVALID;
    }
    if (memchr(p, '@', (size_t)(auth_end - p)) != NULL) {
        etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": user info is not "
                             "supported",
                     text);
        return ETCFS_INVALID;
    }

    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(auth_end - p));
        if (close == NULL) {
            etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": missing ']'", text);
            return ETCFS_INVALID;
        }
        v6 = true;
        host = p + 1;
        host_end = close;
        if (close + 1 < auth_end) {
            if (close[1] != ':') {
                etcfsErrmsgf(errmsg,
                             "invalid URL \"%.100s\": expected ':' after ']'",
                             text);
                return ETCFS_INVALID;
            }
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        host = p;
        host_end = auth_end;
        if (colon != NULL) {
            if (memchr(colon + 1, ':', (size_t)(auth_end - colon - 1)) !=
                NULL) {
                etcfsErrmsgf(errmsg,
                             "invalid URL \"%.100s\": an IPv6 address must be "
                             "in brackets, as [::1]:2379",
                             text);
                return ETCFS_INVALID;
            }
            host_end = colon;
            port = colon + 1;
        }
    }

    host_len = (size_t)(host_end - host);
    if (host_len == 0) {
        etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": missing host", text);
        return ETCFS_INVALID;
    }
    if (host_len >= sizeof url->host || (!v6 && host_len > 253)) {
        etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": host too long", text);
        return ETCFS_INVALID;
    }
    for (i = 0; i < host_len; i++) {
        url->host[i] = (char)tolower((unsigned char)host[i]);
    }
    url->host[host_len] = '\0';

    if (v6) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, url->host, &a6) != 1) {
            etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": invalid IPv6 address",
                         text);
            return ETCFS_INVALID;
        }
    } else {
        bool numeric = true;
        for (i = 0; i < host_len; i++) {
            char c = url->host[i];
            if (!isalnum((unsigned char)c) && c != '-' && c != '.' &&
                c != '_') {
                etcfsErrmsgf(errmsg,
                             "invalid URL \"%.100s\": invalid character '%c' "
                             "in host",
                             text, c);
                return ETCFS_INVALID;
            }
            if (!isdigit((unsigned char)c) && c != '.') {
                numeric = false;
            }
        }
        if (numeric) {
            struct in_addr a4;
            if (inet_pton(AF_INET, url->host, &a4) != 1) {
                etcfsErrmsgf(errmsg,
                             "invalid URL \"%.100s\": invalid IPv4 address",
                             text);
                return ETCFS_INVALID;
            }
        }
    }

    if (port != NULL) {
        size_t port_len = (size_t)(auth_end - port);
        port_num = 0;
        if (port_len == 0 || port_len > 5) {
            etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": invalid port", text);
            return ETCFS_INVALID;
        }
        for (i = 0; i < port_len; i++) {
            if (!isdigit((unsigned char)port[i])) {
                etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": invalid port",
                             text);
                return ETCFS_INVALID;
            }
            port_num = port_num * 10 + (unsigned)(port[i] - '0');
        }
        if (port_num < 1 || port_num > 65535) {
            etcfsErrmsgf(errmsg,
                         "invalid URL \"%.100s\": port %u out of range "
                         "(1-65535)",
                         text, port_num);
            return ETCFS_INVALID;
        }
    }
    url->port = port_num;
    snprintf(url->text, sizeof url->text, "http://%s%s%s:%u", v6 ? "[" : "",
             url->host, v6 ? "]" : "", url->port);
    return 0;
}

/* Comma-separated URLs into urls[0..max); *n their count. */
static int configParseUrlList(const char *label, const char *text,
                              struct config_url *urls, unsigned max,
                              unsigned *n, char *errmsg)
{
    const char *p = text;
    unsigned count = 0;
    for (;;) {
        const char *end = strchr(p, ',');
        const char *start = p;
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char item[512];
        int rv;
        configTrim(&start, &len);
        if (len == 0) {
            etcfsErrmsgf(errmsg, "%s: empty URL in \"%.100s\"", label, text);
            return ETCFS_INVALID;
        }
        if (count == max) {
            etcfsErrmsgf(errmsg, "%s: too many URLs (at most %u)", label, max);
            return ETCFS_INVALID;
        }
        if (len >= sizeof item) {
            etcfsErrmsgf(errmsg, "%s: URL too long (%zu bytes)", label, len);
            return ETCFS_INVALID;
        }
        memcpy(item, start, len);
        item[len] = '\0';
        rv = configParseUrl(item, &urls[count], errmsg);
        if (rv != 0) {
            etcfsErrmsgWrapf(errmsg, "%s", label);
            return rv;
        }
        count++;
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    *n = count;
    return 0;
}

/* A URL list of which only the first URL is kept. */
static int configParseFirstUrl(const char *label, const char *text,
                               struct config_url *url, char *errmsg)
{
    struct config_url urls[CONFIG_MAX_URLS];
    unsigned n;
    int rv = configParseUrlList(label, text, urls, CONFIG_MAX_URLS, &n, errmsg);
    if (rv != 0) {
        return rv;
    }
    *url = urls[0];
    return 0;
}

/* --initial-cluster name=peerurl,...: names and peer URLs each unique. */
static int configParseCluster(const char *label, const char *text,
                              struct config *cfg, char *errmsg)
{
    const char *p = text;
    unsigned count = 0;
    unsigned i;
    for (;;) {
        const char *end = strchr(p, ',');
        const char *start = p;
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *eq;
        const char *url_start;
        size_t name_len;
        size_t url_len;
        struct config_member *m;
        char item[512];
        int rv;

        configTrim(&start, &len);
        eq = memchr(start, '=', len);
        if (eq == NULL) {
            etcfsErrmsgf(errmsg, "%s: entry \"%.*s\" is not name=peerurl",
                         label, (int)(len > 100 ? 100 : len), start);
            return ETCFS_INVALID;
        }
        if (count == CONFIG_MAX_MEMBERS) {
            etcfsErrmsgf(errmsg, "%s: too many members (at most %u)", label,
                         (unsigned)CONFIG_MAX_MEMBERS);
            return ETCFS_INVALID;
        }
        m = &cfg->initial_cluster[count];
        name_len = (size_t)(eq - start);
        configTrim(&start, &name_len);
        rv = configCheckName(label, start, name_len, errmsg);
        if (rv != 0) {
            return rv;
        }
        memcpy(m->name, start, name_len);
        m->name[name_len] = '\0';

        url_start = eq + 1;
        url_len = len - (size_t)(url_start - start);
        configTrim(&url_start, &url_len);
        if (url_len >= sizeof item) {
            etcfsErrmsgf(errmsg, "%s: URL too long (%zu bytes)", label,
                         url_len);
            return ETCFS_INVALID;
        }
        memcpy(item, url_start, url_len);
        item[url_len] = '\0';
        rv = configParseUrl(item, &m->peer, errmsg);
        if (rv != 0) {
            etcfsErrmsgWrapf(errmsg, "%s: member %s", label, m->name);
            return rv;
        }

        for (i = 0; i < count; i++) {
            if (strcmp(cfg->initial_cluster[i].name, m->name) == 0) {
                etcfsErrmsgf(errmsg, "%s: duplicate name \"%s\"", label,
                             m->name);
                return ETCFS_INVALID;
            }
            if (strcmp(cfg->initial_cluster[i].peer.text, m->peer.text) == 0) {
                etcfsErrmsgf(errmsg, "%s: duplicate peer URL %s (%s and %s)",
                             label, m->peer.text, cfg->initial_cluster[i].name,
                             m->name);
                return ETCFS_INVALID;
            }
        }
        count++;
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    cfg->n_initial_cluster = count;
    return 0;
}

/* ---- applying one value ---- */

static int configApply(struct config *cfg, int id, const char *text,
                       const char *label, char *errmsg)
{
    uint64_t u64;
    int rv;
    switch (id) {
        case CONFIG__OPT_NAME:
            rv = configCheckName(label, text, strlen(text), errmsg);
            if (rv != 0) {
                return rv;
            }
            return configSetString(label, text, cfg->name, sizeof cfg->name,
                                   false, errmsg);
        case CONFIG__OPT_DATA_DIR:
            return configSetString(label, text, cfg->data_dir,
                                   sizeof cfg->data_dir, false, errmsg);
        case CONFIG__OPT_LISTEN_CLIENT_URLS:
            return configParseUrlList(label, text, cfg->listen_client,
                                      CONFIG_MAX_URLS, &cfg->n_listen_client,
                                      errmsg);
        case CONFIG__OPT_ADVERTISE_CLIENT_URLS:
            return configParseUrlList(label, text, cfg->advertise_client,
                                      CONFIG_MAX_URLS,
                                      &cfg->n_advertise_client, errmsg);
        case CONFIG__OPT_LISTEN_PEER_URLS:
            return configParseFirstUrl(label, text, &cfg->listen_peer, errmsg);
        case CONFIG__OPT_INITIAL_ADVERTISE_PEER_URLS:
            return configParseFirstUrl(label, text, &cfg->advertise_peer,
                                       errmsg);
        case CONFIG__OPT_INITIAL_CLUSTER:
            return configParseCluster(label, text, cfg, errmsg);
        case CONFIG__OPT_INITIAL_CLUSTER_STATE:
            if (strcmp(text, "new") == 0) {
                cfg->initial_cluster_state = CONFIG_CLUSTER_NEW;
            } else if (strcmp(text, "existing") == 0) {
                cfg->initial_cluster_state = CONFIG_CLUSTER_EXISTING;
            } else {
                etcfsErrmsgf(errmsg,
                             "%s: invalid value \"%.64s\" (want 'new' or "
                             "'existing')",
                             label, text);
                return ETCFS_INVALID;
            }
            return 0;
        case CONFIG__OPT_INITIAL_CLUSTER_TOKEN:
            return configSetString(label, text, cfg->initial_cluster_token,
                                   sizeof cfg->initial_cluster_token, false,
                                   errmsg);
        case CONFIG__OPT_HEARTBEAT_INTERVAL:
            return configParseUnsigned(label, text, 1, CONFIG__ELECTION_MAX_MS,
                                       &cfg->heartbeat_interval_ms, errmsg);
        case CONFIG__OPT_ELECTION_TIMEOUT:
            /* the upper bound is checked with etcd's message later */
            return configParseUnsigned(label, text, 1, UINT32_MAX,
                                       &cfg->election_timeout_ms, errmsg);
        case CONFIG__OPT_SNAPSHOT_COUNT:
            /* libraft's snapshot threshold is an unsigned */
            return configParseNumber(label, text, 1, UINT32_MAX,
                                     &cfg->snapshot_count, errmsg);
        case CONFIG__OPT_MOUNT:
            return configSetString(label, text, cfg->mount, sizeof cfg->mount,
                                   true, errmsg);
        case CONFIG__OPT_MOUNT_PREFIX:
            return configSetString(label, text, cfg->mount_prefix,
                                   sizeof cfg->mount_prefix, false, errmsg);
        case CONFIG__OPT_MOUNT_CONSISTENCY:
            if (strcmp(text, "linearizable") == 0) {
                cfg->mount_consistency = CONFIG_CONSISTENCY_LINEARIZABLE;
            } else if (strcmp(text, "local") == 0) {
                cfg->mount_consistency = CONFIG_CONSISTENCY_LOCAL;
            } else {
                etcfsErrmsgf(errmsg,
                             "%s: invalid value \"%.64s\" (want "
                             "'linearizable' or 'local')",
                             label, text);
                return ETCFS_INVALID;
            }
            return 0;
        case CONFIG__OPT_MAX_REQUEST_BYTES:
            return configParseNumber(label, text, 1, UINT32_MAX,
                                     &cfg->max_request_bytes, errmsg);
        case CONFIG__OPT_QUOTA_BACKEND_BYTES:
            /* etcd: 0 means the default quota */
            rv = configParseNumber(label, text, 0, INT64_MAX, &u64, errmsg);
            if (rv == 0) {
                cfg->quota_backend_bytes = u64 == 0 ? CONFIG__QUOTA_DEFAULT
                                                    : u64;
            }
            return rv;
        case CONFIG__OPT_MAX_TXN_OPS:
            return configParseUnsigned(label, text, 1, UINT32_MAX,
                                       &cfg->max_txn_ops, errmsg);
        case CONFIG__OPT_LOG_LEVEL:
            if (strcmp(text, "debug") != 0 && strcmp(text, "info") != 0 &&
                strcmp(text, "warn") != 0 && strcmp(text, "error") != 0) {
                etcfsErrmsgf(errmsg,
                             "%s: invalid value \"%.64s\" (want debug, info, "
                             "warn or error)",
                             label, text);
                return ETCFS_INVALID;
            }
            return configSetString(label, text, cfg->log_level,
                                   sizeof cfg->log_level, false, errmsg);
        case CONFIG__OPT_HELP:
            return configParseBool(label, text, &cfg->help, errmsg);
        case CONFIG__OPT_VERSION:
            return configParseBool(label, text, &cfg->version, errmsg);
        default: /* CONFIG__OPT_CONFIG_FILE: read before anything is applied */
            return 0;
    }
}

/* ---- sources ---- */

static void configDefaults(struct config *cfg)
{
    int rv;
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->name, sizeof cfg->name, "default");
    rv = configParseUrl(CONFIG__DEFAULT_CLIENT_URL, &cfg->listen_client[0],
                        NULL);
    assert(rv == 0);
    cfg->n_listen_client = 1;
    cfg->advertise_client[0] = cfg->listen_client[0];
    cfg->n_advertise_client = 1;
    rv = configParseUrl(CONFIG__DEFAULT_PEER_URL, &cfg->listen_peer, NULL);
    assert(rv == 0);
    (void)rv; /* only asserted: the defaults are constants */
    cfg->advertise_peer = cfg->listen_peer;
    cfg->initial_cluster_state = CONFIG_CLUSTER_NEW;
    snprintf(cfg->initial_cluster_token, sizeof cfg->initial_cluster_token,
             "etcd-cluster");
    cfg->heartbeat_interval_ms = 100;
    cfg->election_timeout_ms = 1000;
    cfg->snapshot_count = 100000; /* etcd 3.4's default */
    snprintf(cfg->mount_prefix, sizeof cfg->mount_prefix, "/");
    cfg->mount_consistency = CONFIG_CONSISTENCY_LINEARIZABLE;
    cfg->max_request_bytes = 1572864;
    cfg->quota_backend_bytes = CONFIG__QUOTA_DEFAULT;
    cfg->max_txn_ops = 128;
    snprintf(cfg->log_level, sizeof cfg->log_level, "info");
}

/* An argument that is a flag rather than the value of the one before it
 * ("--x", "-name"; not "-5" nor "-"). */
static bool configLooksLikeFlag(const char *arg)
{
    return arg[0] == '-' &&
           (arg[1] == '-' || isalpha((unsigned char)arg[1]));
}

/* Go flag syntax: -flag, --flag, -flag=value, --flag=value, -flag value,
 * --flag value; booleans take no separate value; "--" ends the flags and
 * nothing may follow it, as etcd takes no positional arguments. */
static int configScanArgv(struct config_parse *p, int argc,
                          char *const argv[], char *errmsg)
{
    int i;
    for (i = 1; i < argc && argv[i] != NULL; i++) {
        const char *arg = argv[i];
        const char *name;
        const char *eq;
        size_t len;
        int id;
        if (strcmp(arg, "--") == 0) {
            if (i + 1 < argc && argv[i + 1] != NULL) {
                etcfsErrmsgf(errmsg, "unexpected argument \"%.100s\"",
                             argv[i + 1]);
                return ETCFS_INVALID;
            }
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
            etcfsErrmsgf(errmsg, "unexpected argument \"%.100s\"", arg);
            return ETCFS_INVALID;
        }
        name = arg[1] == '-' ? arg + 2 : arg + 1;
        if (*name == '-' || *name == '=' || *name == '\0') {
            etcfsErrmsgf(errmsg, "bad flag syntax: %.100s", arg);
            return ETCFS_INVALID;
        }
        eq = strchr(name, '=');
        len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        id = configFindFlag(name, len);
        if (id < 0) {
            etcfsErrmsgf(errmsg, "unknown flag: %.*s",
                         (int)((size_t)(name - arg) + (len > 100 ? 100 : len)),
                         arg);
            return ETCFS_INVALID;
        }
        if (p->argv[id].src != CONFIG__SRC_NONE) {
            etcfsErrmsgf(errmsg, "flag --%s given twice",
                         configOptions[id].flag);
            return ETCFS_INVALID;
        }
        if (eq != NULL) {
            p->argv[id].text = eq + 1;
        } else if (!configOptions[id].value) {
            p->argv[id].text = "true";
        } else if (i + 1 < argc && argv[i + 1] != NULL &&
                   !configLooksLikeFlag(argv[i + 1])) {
            p->argv[id].text = argv[++i];
        } else {
            etcfsErrmsgf(errmsg, "missing value for flag --%s",
                         configOptions[id].flag);
            return ETCFS_INVALID;
        }
        p->argv[id].src = CONFIG__SRC_ARGV;
    }
    return 0;
}

/* ETCFS_<FLAG>=value entries of envp; the first of duplicates wins, as
 * getenv's. Unknown ETCFS_* names are typos and refused. */
static int configScanEnv(struct config_parse *p, char *const envp[],
                         char *errmsg)
{
    size_t plen = strlen(CONFIG__ENV_PREFIX);
    char *const *e;
    if (envp == NULL) {
        return 0;
    }
    for (e = envp; *e != NULL; e++) {
        const char *eq;
        size_t len;
        int id;
        if (strncmp(*e, CONFIG__ENV_PREFIX, plen) != 0) {
            continue;
        }
        eq = strchr(*e, '=');
        if (eq == NULL) {
            continue; /* not NAME=value: not a variable */
        }
        len = (size_t)(eq - *e);
        id = configFindEnv(*e, len);
        if (id < 0) {
            if (configEnvIsIgnored(*e, len)) {
                continue;
            }
            etcfsErrmsgf(errmsg, "unknown environment variable %.*s",
                         (int)(len > 100 ? 100 : len), *e);
            return ETCFS_INVALID;
        }
        if (p->env[id].src == CONFIG__SRC_NONE) {
            p->env[id].text = eq + 1;
            p->env[id].src = CONFIG__SRC_ENV;
        }
    }
    return 0;
}

/* Reads the whole file into a NUL-terminated buffer the caller frees. */
static int configReadFile(const char *path, char **out, char *errmsg)
{
    FILE *f;
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    int rv = 0;

    f = fopen(path, "r");
    if (f == NULL) {
        etcfsErrmsgf(errmsg, "config file %s: %s", path, strerror(errno));
        return ETCFS_INVALID;
    }
    for (;;) {
        size_t n;
        if (cap - len < 2) {
            size_t new_cap = cap == 0 ? 4096 : cap * 2;
            char *p = realloc(buf, new_cap);
            if (p == NULL) {
                etcfsErrmsgf(errmsg, "config file %s: out of memory", path);
                rv = ETCFS_NOMEM;
                goto err;
            }
            buf = p;
            cap = new_cap;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len > CONFIG__FILE_MAX) {
            etcfsErrmsgf(errmsg, "config file %s: larger than %u bytes", path,
                         CONFIG__FILE_MAX);
            rv = ETCFS_INVALID;
            goto err;
        }
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        etcfsErrmsgf(errmsg, "config file %s: %s", path, strerror(errno));
        rv = ETCFS_INVALID;
        goto err;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {
        etcfsErrmsgf(errmsg, "config file %s: contains a NUL byte", path);
        rv = ETCFS_INVALID;
        goto err;
    }
    fclose(f);
    *out = buf;
    return 0;

err:
    free(buf);
    fclose(f);
    return rv;
}

/* KEY=value lines: KEY a flag name ("data-dir") or its environment name
 * ("ETCFS_DATA_DIR"); '#' comments, blank lines, white space around key and
 * value and one pair of matching quotes around the value are dropped, so a
 * systemd EnvironmentFile is also a config file. Values point into the
 * buffer, terminated in place. */
static int configParseFile(struct config_parse *p, char *errmsg)
{
    char *line = p->file_buf;
    unsigned lineno = 0;
    while (line != NULL && *line != '\0') {
        char *next = strchr(line, '\n');
        const char *key;
        const char *value;
        size_t len;
        size_t key_len;
        size_t value_len;
        char *eq;
        int id;

        lineno++;
        if (next != NULL) {
            *next++ = '\0';
        }
        key = line;
        len = strlen(line);
        line = next;
        configTrim(&key, &len);
        if (len == 0 || key[0] == '#') {
            continue;
        }
        eq = memchr(key, '=', len);
        key_len = eq != NULL ? (size_t)(eq - key) : 0;
        configTrim(&key, &key_len);
        if (eq == NULL || key_len == 0) {
            etcfsErrmsgf(errmsg, "%.80s:%u: expected KEY=value", p->file_path,
                         lineno);
            return ETCFS_INVALID;
        }
        value = eq + 1;
        value_len = len - (size_t)(value - key);
        configTrim(&value, &value_len);
        if (value_len >= 2 && (value[0] == '"' || value[0] == '\'') &&
            value[value_len - 1] == value[0]) {
            value++;
            value_len -= 2;
        }
        ((char *)value)[value_len] = '\0'; /* value points into file_buf */

        id = configFindFlag(key, key_len);
        if (id < 0) {
            id = configFindEnv(key, key_len);
        } else if (!configOptions[id].env) {
            id = -1;
        }
        if (id < 0) {
            if (configEnvIsIgnored(key, key_len)) {
                continue;
            }
            etcfsErrmsgf(errmsg, "%.80s:%u: unknown key \"%.*s\"",
                         p->file_path, lineno,
                         (int)(key_len > 64 ? 64 : key_len), key);
            return ETCFS_INVALID;
        }
        if (id == CONFIG__OPT_CONFIG_FILE) {
            etcfsErrmsgf(errmsg,
                         "%.80s:%u: config-file cannot be set in a config "
                         "file",
                         p->file_path, lineno);
            return ETCFS_INVALID;
        }
        if (p->file[id].src != CONFIG__SRC_NONE) {
            etcfsErrmsgf(errmsg, "%.80s:%u: %s given twice (first on line %u)",
                         p->file_path, lineno, configOptions[id].flag,
                         p->file[id].line);
            return ETCFS_INVALID;
        }
        p->file[id].text = value;
        p->file[id].src = CONFIG__SRC_FILE;
        p->file[id].line = lineno;
    }
    return 0;
}

/* ---- after all values: derived defaults and cross-flag rules ---- */

/* The first URL of list that others can connect to, or NULL. */
static const struct config_url *configFirstReachable(
    const struct config_url *urls, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        if (!configUrlIsUnspecified(&urls[i])) {
            return &urls[i];
        }
    }
    return NULL;
}

static int configFinish(struct config *cfg, const bool given[], char *errmsg)
{
    const struct config_member *self = NULL;
    unsigned i;

    /* Advertised URLs default to what is listened on, but 0.0.0.0 is no
     * address to give others (etcd always requires the advertise flags once
     * the listen ones are set). */
    if (given[CONFIG__OPT_LISTEN_CLIENT_URLS] &&
        !given[CONFIG__OPT_ADVERTISE_CLIENT_URLS]) {
        const struct config_url *u =
            configFirstReachable(cfg->listen_client, cfg->n_listen_client);
        if (u == NULL) {
            etcfsErrmsgf(errmsg,
                         "--advertise-client-urls is required when "
                         "--listen-client-urls is set to %s",
                         cfg->listen_client[0].text);
            return ETCFS_INVALID;
        }
        cfg->advertise_client[0] = *u;
        cfg->n_advertise_client = 1;
    }
    if (given[CONFIG__OPT_LISTEN_PEER_URLS] &&
        !given[CONFIG__OPT_INITIAL_ADVERTISE_PEER_URLS]) {
        if (configUrlIsUnspecified(&cfg->listen_peer)) {
            etcfsErrmsgf(errmsg,
                         "--initial-advertise-peer-urls is required when "
                         "--listen-peer-urls is set to %s",
                         cfg->listen_peer.text);
            return ETCFS_INVALID;
        }
        cfg->advertise_peer = cfg->listen_peer;
    }
    for (i = 0; i < cfg->n_advertise_client; i++) {
        if (configUrlIsUnspecified(&cfg->advertise_client[i])) {
            etcfsErrmsgf(errmsg,
                         "--advertise-client-urls: %s is not an address "
                         "clients can reach",
                         cfg->advertise_client[i].text);
            return ETCFS_INVALID;
        }
    }
    if (configUrlIsUnspecified(&cfg->advertise_peer)) {
        etcfsErrmsgf(errmsg,
                     "--initial-advertise-peer-urls: %s is not an address "
                     "peers can reach",
                     cfg->advertise_peer.text);
        return ETCFS_INVALID;
    }

    if (!given[CONFIG__OPT_INITIAL_CLUSTER]) {
        memcpy(cfg->initial_cluster[0].name, cfg->name, sizeof cfg->name);
        cfg->initial_cluster[0].peer = cfg->advertise_peer;
        cfg->n_initial_cluster = 1;
    }
    for (i = 0; i < cfg->n_initial_cluster; i++) {
        const struct config_member *m = &cfg->initial_cluster[i];
        if (configUrlIsUnspecified(&m->peer)) {
            etcfsErrmsgf(errmsg,
                         "--initial-cluster: %s=%s is not an address peers "
                         "can reach",
                         m->name, m->peer.text);
            return ETCFS_INVALID;
        }
        if (strcmp(m->name, cfg->name) == 0) {
            self = m;
        }
    }
    /* etcd (config.go hasLocalMember, advertiseMatchesCluster) checks both
     * for a new cluster and for joining an existing one. */
    if (self == NULL) {
        etcfsErrmsgf(errmsg,
                     "couldn't find local name \"%s\" in the initial cluster "
                     "configuration",
                     cfg->name);
        return ETCFS_INVALID;
    }
    if (strcmp(self->peer.text, cfg->advertise_peer.text) != 0) {
        etcfsErrmsgf(errmsg,
                     "--initial-cluster has %s=%s but missing from "
                     "--initial-advertise-peer-urls=%s",
                     self->name, self->peer.text, cfg->advertise_peer.text);
        return ETCFS_INVALID;
    }

    /* etcd embed/config.go Validate */
    if ((uint64_t)cfg->election_timeout_ms <
        5 * (uint64_t)cfg->heartbeat_interval_ms) {
        etcfsErrmsgf(errmsg,
                     "--election-timeout[%ums] should be at least as 5 times "
                     "as --heartbeat-interval[%ums]",
                     cfg->election_timeout_ms, cfg->heartbeat_interval_ms);
        return ETCFS_INVALID;
    }
    if (cfg->election_timeout_ms > CONFIG__ELECTION_MAX_MS) {
        etcfsErrmsgf(errmsg,
                     "--election-timeout[%ums] is too long, and should be set "
                     "less than %u seconds",
                     cfg->election_timeout_ms, CONFIG__ELECTION_MAX_MS / 1000);
        return ETCFS_INVALID;
    }

    if (!given[CONFIG__OPT_DATA_DIR]) {
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s.etcfs", cfg->name);
    }
    return 0;
}

/* ---- entry points ---- */

int configParse(struct config *cfg, int argc, char *const argv[],
                char *const envp[], char *errmsg)
{
    struct config_parse *p;
    bool given[CONFIG__N_OPTS];
    int id;
    int rv;

    configDefaults(cfg);
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        etcfsErrmsgf(errmsg, "out of memory");
        return ETCFS_NOMEM;
    }
    rv = configScanArgv(p, argc, argv, errmsg);
    if (rv != 0) {
        goto out;
    }
    /* --help and --version must work whatever the rest says. */
    if (p->argv[CONFIG__OPT_HELP].src != CONFIG__SRC_NONE ||
        p->argv[CONFIG__OPT_VERSION].src != CONFIG__SRC_NONE) {
        char label[CONFIG__LABEL_SIZE];
        for (id = CONFIG__OPT_HELP; id <= CONFIG__OPT_VERSION; id++) {
            if (p->argv[id].src != CONFIG__SRC_NONE) {
                configLabel(p, id, &p->argv[id], label, sizeof label);
                rv = configApply(cfg, id, p->argv[id].text, label, errmsg);
                if (rv != 0) {
                    goto out;
                }
            }
        }
        if (cfg->help || cfg->version) {
            snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s.etcfs",
                     cfg->name);
            memcpy(cfg->initial_cluster[0].name, cfg->name, sizeof cfg->name);
            cfg->initial_cluster[0].peer = cfg->advertise_peer;
            cfg->n_initial_cluster = 1;
            goto out;
        }
    }
    rv = configScanEnv(p, envp, errmsg);
    if (rv != 0) {
        goto out;
    }
    if (p->argv[CONFIG__OPT_CONFIG_FILE].src != CONFIG__SRC_NONE) {
        p->file_path = p->argv[CONFIG__OPT_CONFIG_FILE].text;
    } else if (p->env[CONFIG__OPT_CONFIG_FILE].src != CONFIG__SRC_NONE) {
        p->file_path = p->env[CONFIG__OPT_CONFIG_FILE].text;
    }
    if (p->file_path != NULL && p->file_path[0] != '\0') {
        rv = configReadFile(p->file_path, &p->file_buf, errmsg);
        if (rv != 0) {
            goto out;
        }
        rv = configParseFile(p, errmsg);
        if (rv != 0) {
            goto out;
        }
    }

    for (id = 0; id < CONFIG__N_OPTS; id++) {
        const struct config_value *v = &p->argv[id];
        char label[CONFIG__LABEL_SIZE];
        if (v->src == CONFIG__SRC_NONE) {
            v = &p->env[id];
        }
        if (v->src == CONFIG__SRC_NONE) {
            v = &p->file[id];
        }
        given[id] = v->src != CONFIG__SRC_NONE;
        if (!given[id]) {
            continue;
        }
        configLabel(p, id, v, label, sizeof label);
        rv = configApply(cfg, id, v->text, label, errmsg);
        if (rv != 0) {
            goto out;
        }
    }
    rv = configFinish(cfg, given, errmsg);

out:
    free(p->file_buf);
    free(p);
    return rv;
}

void configUsage(FILE *f)
{
    const char *group = NULL;
    char env[64];
    int id;
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
    for (id = 0; id < CONFIG__N_OPTS; id++) {
        const struct config_option *o = &configOptions[id];
        if (group == NULL || strcmp(group, o->group) != 0) {
            group = o->group;
            fprintf(f, "\n%s:\n\n", group);
        }
        if (o->value) {
            fprintf(f, "  --%s %s\n", o->flag, o->def);
        } else {
            fprintf(f, "  --%s\n", o->flag);
        }
        fprintf(f, "    %s\n", o->help);
        if (o->env) {
            configEnvName(o->flag, env, sizeof env);
            fprintf(f, "    env %s\n", env);
        } else {
            fprintf(f, "    command line only\n");
        }
    }
}
