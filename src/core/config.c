/* etcfsd configuration: etcd's flag names (DESIGN.md "etcfsd flags"), the
 * same names as ETCFS_* environment variables and as KEY=value lines of a
 * --config-file, merged with precedence defaults < config file <
 * environment < command line, then validated the way etcd validates them.
 * What the flags are, and how each value is parsed, is the flag table's
 * (config_table.c, config_apply.c); this file reads the three sources and
 * applies the rules that tie flags together. Pure: reads the config file
 * and nothing else, opens no socket, touches no data dir; no getenv (envp
 * is a parameter), no exit(), no mutable statics of its own.
 *
 * The command line goes through getopt_long_only ("-flag" and "--flag",
 * "=value" or a separate value, booleans as optional arguments), kept to
 * Go's flag package the way etcd parses: no abbreviated names, no flag
 * given twice, no flag taken as the value of the one before it, no
 * positional arguments, errors into errmsg rather than stderr. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_apply.h"
#include "config_file.h"
#include "config_table.h"
#include "config_url.h"
#include "error.h"

#define CONFIG__LABEL_SIZE 160
#define CONFIG__OPT_VAL 0x100 /* getopt's value of flag id: this + id */

/* One value from the command line or the environment. */
struct config_raw
{
    const char *text; /* borrowed from argv or envp; NULL: not given */
    const char *name; /* environment: the variable's name (static) */
};

/* Raw values per source, merged only once all are read. */
struct config_parse
{
    struct config_raw argv[CONFIG_N_FLAGS];
    struct config_raw env[CONFIG_N_FLAGS];
    struct config_file_value file[CONFIG_N_FLAGS];
    const char *file_path; /* borrowed from argv or envp */
    char *file_buf;        /* owned: freed by configParse */
};

/* ---- the command line ---- */

/* An argument that is a flag rather than the value of the one before it
 * ("--x", "-name"; not "-5" nor "-"). */
static bool configLooksLikeFlag(const char *arg)
{
    return arg[0] == '-' && (arg[1] == '-' || isalpha((unsigned char)arg[1]));
}

/* The flag id an option argument ("-name", "--name=x") names exactly, or
 * -1 with errmsg set: getopt_long also takes unambiguous abbreviations,
 * which etcd's flag package refuses. */
static int configArgFlag(const char *arg, char *errmsg)
{
    const char *name = arg[1] == '-' ? arg + 2 : arg + 1;
    size_t len;
    int id;
    if (*name == '-' || *name == '=' || *name == '\0') {
        etcfsErrmsgf(errmsg, "bad flag syntax: %.100s", arg);
        return -1;
    }
    len = strcspn(name, "=");
    id = configFlagByArg(name, len);
    if (id < 0) {
        etcfsErrmsgf(errmsg, "unknown flag: %.*s",
                     (int)((size_t)(name - arg) + (len > 100 ? 100 : len)),
                     arg);
    }
    return id;
}

/* getopt_long's options from the table: a boolean's value is optional and
 * must be attached ("--help=false"), the others' required. */
static void configLongOptions(struct option *opts)
{
    int n = 0;
    int id;
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        const struct config_flag *fl = &configFlags[id];
        int has_arg = fl->type == CONFIG_TYPE_BOOL ? optional_argument
                                                   : required_argument;
        opts[n++] =
            (struct option){fl->flag, has_arg, NULL, CONFIG__OPT_VAL + id};
        if (fl->alias != NULL) {
            opts[n++] =
                (struct option){fl->alias, has_arg, NULL, CONFIG__OPT_VAL + id};
        }
    }
    opts[n] = (struct option){NULL, 0, NULL, 0};
}

/* argv[1..] into p->argv. getopt's state (optind, opterr, optarg) is
 * libc's global: reset here, so configParse may be called again, but not
 * from two threads at once. */
static int configScanArgv(struct config_parse *p, int argc, char *const argv[],
                          char *errmsg)
{
    struct option opts[2 * CONFIG_N_FLAGS + 1];
    int n = 0;
    while (n < argc && argv[n] != NULL) {
        n++; /* argv may end early at a NULL */
    }
    if (n < 2) {
        return 0;
    }
    configLongOptions(opts);
    optind = 0; /* glibc: start afresh */
    opterr = 0; /* errors go to errmsg, not stderr */
    for (;;) {
        int at = optind > 0 ? optind : 1; /* the argument getopt reads */
        /* "+": stop at the first non-flag; ":": report a missing value */
        int c = getopt_long_only(n, argv, "+:", opts, NULL);
        int id;
        if (c == -1) {
            break;
        }
        id = configArgFlag(argv[at], errmsg);
        if (id < 0) {
            return ETCFS_INVALID;
        }
        if (c != ':' && c != CONFIG__OPT_VAL + id) {
            /* not reached: every exact name is a long option */
            etcfsErrmsgf(errmsg, "unknown flag: %.100s", argv[at]);
            return ETCFS_INVALID;
        }
        if (p->argv[id].text != NULL) {
            etcfsErrmsgf(errmsg, "flag --%s given twice", configFlags[id].flag);
            return ETCFS_INVALID;
        }
        if (c == ':' ||
            (optarg != NULL && at + 1 < n && optarg == argv[at + 1] &&
             configLooksLikeFlag(optarg))) {
            /* none, or getopt took the next flag as this one's value */
            etcfsErrmsgf(errmsg, "missing value for flag --%s",
                         configFlags[id].flag);
            return ETCFS_INVALID;
        }
        /* NULL: a boolean switch alone */
        p->argv[id].text = optarg != NULL ? optarg : "true";
    }
    /* after "--" or at a non-flag: etcd takes no positional arguments */
    if (optind < n) {
        etcfsErrmsgf(errmsg, "unexpected argument \"%.100s\"", argv[optind]);
        return ETCFS_INVALID;
    }
    return 0;
}

/* ---- the environment ---- */

void configWarn(struct config *cfg, const char *fmt, ...)
{
    va_list ap;
    if (cfg->n_warnings == CONFIG_MAX_WARNINGS) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(cfg->warnings[cfg->n_warnings++], CONFIG_WARNING_SIZE, fmt, ap);
    va_end(ap);
}

/* Flags' variables of envp; the first of duplicates wins, as getenv's,
 * and an ETCFS_ name wins over etcd's ETCD_ one (with a warning naming the
 * one not used). Unknown ETCFS_* names are typos and refused; unknown
 * ETCD_* ones are warned about, as etcd 3.4 does. */
static int configScanEnv(struct config *cfg, struct config_parse *p,
                         char *const envp[], char *errmsg)
{
    size_t plen = strlen(CONFIG_ENV_PREFIX);
    size_t elen = strlen(CONFIG_ETCD_ENV_PREFIX);
    char *const *e;
    if (envp == NULL) {
        return 0;
    }
    for (e = envp; *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        const char *name;
        size_t len;
        int id;
        if (eq == NULL) {
            continue; /* not NAME=value: not a variable */
        }
        len = (size_t)(eq - *e);
        id = configFlagByName(*e, len, false, &name);
        if (id < 0) {
            if (strncmp(*e, CONFIG_ENV_PREFIX, plen) == 0 &&
                !configFlagNameIgnored(*e, len)) {
                etcfsErrmsgf(errmsg, "unknown environment variable %.*s",
                             (int)(len > 100 ? 100 : len), *e);
                return ETCFS_INVALID;
            }
            if (strncmp(*e, CONFIG_ETCD_ENV_PREFIX, elen) == 0) {
                configWarn(cfg, "unrecognized environment variable %.*s",
                           (int)(len > 100 ? 100 : len), *e);
            }
            continue;
        }
        if (p->env[id].text == NULL) {
            p->env[id].text = eq + 1;
            p->env[id].name = name;
        } else if (strcmp(p->env[id].name, name) != 0) {
            bool ours = strncmp(name, CONFIG_ENV_PREFIX, plen) == 0;
            configWarn(cfg, "%s is set: %s is not used",
                       ours ? name : p->env[id].name,
                       ours ? p->env[id].name : name);
            if (ours) {
                p->env[id].text = eq + 1;
                p->env[id].name = name;
            }
        }
    }
    return 0;
}

/* ---- merging ---- */

/* The value of flag id with the highest precedence, and a label saying
 * where it came from: "--name", "ETCFS_NAME" or "etcfs.conf:3: name".
 * Returns NULL if no source gives it. */
static const char *configPick(const struct config_parse *p, int id, char *label,
                              size_t size)
{
    const char *flag = configFlags[id].flag;
    if (p->argv[id].text != NULL) {
        snprintf(label, size, "--%s", flag);
        return p->argv[id].text;
    }
    if (p->env[id].text != NULL) {
        snprintf(label, size, "%s", p->env[id].name);
        return p->env[id].text;
    }
    if (p->file[id].text != NULL) {
        snprintf(label, size, "%.80s:%u: %s", p->file_path, p->file[id].line,
                 flag);
        return p->file[id].text;
    }
    return NULL;
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

/* Advertised URLs default to what is listened on, but 0.0.0.0 is no
 * address to give others (etcd always requires the advertise flags once
 * the listen ones are set): when flag listen is given and advertise is
 * not, the advertised list (*url, its count *n_url unless NULL) becomes
 * the first reachable one of urls[0..n). */
static int configAdvertiseDefault(const bool given[], int listen, int advertise,
                                  const struct config_url *urls, unsigned n,
                                  struct config_url *url, unsigned *n_url,
                                  char *errmsg)
{
    const struct config_url *u;
    if (!given[listen] || given[advertise]) {
        return 0;
    }
    u = configFirstReachable(urls, n);
    if (u == NULL) {
        etcfsErrmsgf(errmsg, "--%s is required when --%s is set to %s",
                     configFlags[advertise].flag, configFlags[listen].flag,
                     urls[0].text);
        return ETCFS_INVALID;
    }
    *url = *u;
    if (n_url != NULL) {
        *n_url = 1;
    }
    return 0;
}

/* Refuses an advertised URL of flag id that who cannot connect to. */
static int configCheckReachable(int id, const struct config_url *urls,
                                unsigned n, const char *who, char *errmsg)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        if (configUrlIsUnspecified(&urls[i])) {
            etcfsErrmsgf(errmsg, "--%s: %s is not an address %s can reach",
                         configFlags[id].flag, urls[i].text, who);
            return ETCFS_INVALID;
        }
    }
    return 0;
}

/* Defaults that follow other flags' final values: the data dir from the
 * name, the initial cluster from the name and advertised peer URL. */
static void configDerive(struct config *cfg, const bool given[])
{
    if (!given[CONFIG_FLAG_DATA_DIR]) {
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s.etcfs", cfg->name);
    }
    if (!given[CONFIG_FLAG_INITIAL_CLUSTER]) {
        memcpy(cfg->initial_cluster[0].name, cfg->name, sizeof cfg->name);
        cfg->initial_cluster[0].peer = cfg->advertise_peer;
        cfg->n_initial_cluster = 1;
    }
}

/* This member in --initial-cluster, under its advertised peer URL. etcd
 * (config.go hasLocalMember, advertiseMatchesCluster) checks both for a
 * new cluster and for joining an existing one. */
static int configCheckCluster(const struct config *cfg, char *errmsg)
{
    const struct config_member *self = NULL;
    unsigned i;
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
    return 0;
}

/* etcd embed/config.go Validate: election >= 5 heartbeats, < 50 s. */
/* A Go duration ("1h30m", "30s", "500ms", "1.5h") in ms: 0 or -1. */
int configParseDuration(const char *text, uint64_t *ms)
{
    static const struct
    {
        const char *unit;
        double ms;
    } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3},
                 {"ms", 1},    {"s", 1e3},   {"m", 60e3},
                 {"h", 3600e3}};
    const char *p = text;
    double total = 0;
    if (*p == '\0') {
        return -1;
    }
    while (*p != '\0') {
        char *end;
        double v;
        size_t i;
        size_t best = 0;
        size_t best_len = 0;
        if (!isdigit((unsigned char)*p) && *p != '.') {
            return -1;
        }
        v = strtod(p, &end);
        if (end == p) {
            return -1;
        }
        p = end;
        for (i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, n) == 0 && n > best_len) {
                best = i;
                best_len = n;
            }
        }
        if (best_len == 0) {
            return -1; /* a number without its unit */
        }
        total += v * units[best].ms;
        p += best_len;
    }
    if (total > 1e15) {
        return -1;
    }
    *ms = (uint64_t)total;
    return 0;
}

/* etcd 3.4's reading of --auto-compaction-retention: revision mode takes
 * a count; periodic mode a duration, or a bare number of hours. */
static int configCheckCompaction(struct config *cfg, char *errmsg)
{
    const char *r = cfg->auto_compaction_retention;
    char *end;
    unsigned long long n;
    cfg->auto_compaction_revision =
        strcmp(cfg->auto_compaction_mode, "revision") == 0;
    if (configParseDuration(cfg->auto_compaction_interval,
                            &cfg->auto_compaction_interval_ms) != 0 ||
        cfg->auto_compaction_interval_ms == 0) {
        etcfsErrmsgf(errmsg, "--auto-compaction-interval: invalid value "
                             "\"%s\" (want a duration such as 5m)",
                     cfg->auto_compaction_interval);
        return ETCFS_INVALID;
    }
    errno = 0;
    n = strtoull(r, &end, 10);
    if (end != r && *end == '\0' && errno == 0) {
        if (cfg->auto_compaction_revision) {
            cfg->auto_compaction_keep = n;
        } else if (n > 100000) {
            goto bad;
        } else {
            cfg->auto_compaction_period_ms = n * 3600000ull;
        }
        return 0;
    }
    if (!cfg->auto_compaction_revision &&
        configParseDuration(r, &cfg->auto_compaction_period_ms) == 0) {
        return 0;
    }
bad:
    etcfsErrmsgf(errmsg, "--auto-compaction-retention: invalid value \"%s\" "
                         "(want %s)",
                 r, cfg->auto_compaction_revision
                        ? "a number of revisions"
                        : "a number of hours or a duration such as 30m");
    return ETCFS_INVALID;
}

static int configCheckTiming(const struct config *cfg, char *errmsg)
{
    if ((uint64_t)cfg->election_timeout_ms <
        5 * (uint64_t)cfg->heartbeat_interval_ms) {
        etcfsErrmsgf(errmsg,
                     "--election-timeout[%ums] should be at least as 5 times "
                     "as --heartbeat-interval[%ums]",
                     cfg->election_timeout_ms, cfg->heartbeat_interval_ms);
        return ETCFS_INVALID;
    }
    if (cfg->election_timeout_ms > CONFIG_ELECTION_MAX_MS) {
        etcfsErrmsgf(errmsg,
                     "--election-timeout[%ums] is too long, and should be set "
                     "less than %u seconds",
                     cfg->election_timeout_ms, CONFIG_ELECTION_MAX_MS / 1000);
        return ETCFS_INVALID;
    }
    return 0;
}

/* TLS: https URLs need a certificate (or --auto-tls), a key goes with a
 * certificate, and the version bounds are in order. */
static int configCheckTls(const struct config *cfg, char *errmsg)
{
    bool client_https = false;
    unsigned i;
    for (i = 0; i < cfg->n_listen_client; i++) {
        client_https = client_https || cfg->listen_client[i].tls;
    }
    if (client_https && !cfg->auto_tls &&
        (cfg->cert_file[0] != '\0') != (cfg->key_file[0] != '\0')) {
        etcfsErrmsgf(errmsg, "--cert-file and --key-file go together");
        return ETCFS_INVALID;
    }
    if (cfg->listen_peer.tls && !cfg->peer_auto_tls &&
        (cfg->peer_cert_file[0] != '\0') != (cfg->peer_key_file[0] != '\0')) {
        etcfsErrmsgf(errmsg, "--peer-cert-file and --peer-key-file go "
                             "together");
        return ETCFS_INVALID;
    }
    if (client_https && cfg->cert_file[0] == '\0' && !cfg->auto_tls) {
        etcfsErrmsgf(errmsg, "https client URLs need --cert-file and "
                             "--key-file (or --auto-tls)");
        return ETCFS_INVALID;
    }
    if (cfg->listen_peer.tls != cfg->advertise_peer.tls) {
        etcfsErrmsgf(errmsg, "--listen-peer-urls and "
                             "--initial-advertise-peer-urls must both be "
                             "http:// or both https://");
        return ETCFS_INVALID;
    }
    if (cfg->listen_peer.tls && cfg->peer_cert_file[0] == '\0' &&
        !cfg->peer_auto_tls) {
        etcfsErrmsgf(errmsg, "https peer URLs need --peer-cert-file and "
                             "--peer-key-file (or --peer-auto-tls)");
        return ETCFS_INVALID;
    }
    for (i = 0; i < cfg->n_initial_cluster; i++) {
        if (cfg->initial_cluster[i].peer.tls != cfg->listen_peer.tls) {
            etcfsErrmsgf(errmsg, "--initial-cluster: member %s: peer URLs "
                                 "must all be %s",
                         cfg->initial_cluster[i].name,
                         cfg->listen_peer.tls ? "https://" : "http://");
            return ETCFS_INVALID;
        }
    }
    if (cfg->tls_min_version[0] != '\0' && cfg->tls_max_version[0] != '\0' &&
        strcmp(cfg->tls_min_version, cfg->tls_max_version) > 0) {
        etcfsErrmsgf(errmsg, "--tls-min-version %s is above --tls-max-version "
                             "%s",
                     cfg->tls_min_version, cfg->tls_max_version);
        return ETCFS_INVALID;
    }
    return 0;
}

static int configFinish(struct config *cfg, const bool given[], char *errmsg)
{
    int rv;
    rv = configAdvertiseDefault(given, CONFIG_FLAG_LISTEN_CLIENT_URLS,
                                CONFIG_FLAG_ADVERTISE_CLIENT_URLS,
                                cfg->listen_client, cfg->n_listen_client,
                                cfg->advertise_client, &cfg->n_advertise_client,
                                errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = configAdvertiseDefault(given, CONFIG_FLAG_LISTEN_PEER_URLS,
                                CONFIG_FLAG_INITIAL_ADVERTISE_PEER_URLS,
                                &cfg->listen_peer, 1, &cfg->advertise_peer,
                                NULL, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = configCheckReachable(CONFIG_FLAG_ADVERTISE_CLIENT_URLS,
                              cfg->advertise_client, cfg->n_advertise_client,
                              "clients", errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = configCheckReachable(CONFIG_FLAG_INITIAL_ADVERTISE_PEER_URLS,
                              &cfg->advertise_peer, 1, "peers", errmsg);
    if (rv != 0) {
        return rv;
    }
    configDerive(cfg, given);
    rv = configCheckCluster(cfg, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = configCheckTls(cfg, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = configCheckCompaction(cfg, errmsg);
    if (rv != 0) {
        return rv;
    }
    return configCheckTiming(cfg, errmsg);
}

/* ---- entry point ---- */

/* --help and --version must work whatever the rest says: if the command
 * line sets either, applies those two and sets *done. */
static int configHelpOrVersion(struct config *cfg, const struct config_parse *p,
                               bool *done, char *errmsg)
{
    static const int ids[] = {CONFIG_FLAG_HELP, CONFIG_FLAG_VERSION};
    const bool given[CONFIG_N_FLAGS] = {false};
    size_t i;
    *done = false;
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char label[CONFIG__LABEL_SIZE];
        const char *text = p->argv[ids[i]].text;
        int rv;
        if (text == NULL) {
            continue;
        }
        snprintf(label, sizeof label, "--%s", configFlags[ids[i]].flag);
        rv = configApply(cfg, ids[i], text, label, errmsg);
        if (rv != 0) {
            return rv;
        }
    }
    if (cfg->help || cfg->version) {
        configDerive(cfg, given);
        *done = true;
    }
    return 0;
}

int configParse(struct config *cfg, int argc, char *const argv[],
                char *const envp[], char *errmsg)
{
    struct config_parse p;
    bool given[CONFIG_N_FLAGS];
    bool done;
    int id;
    int rv;

    memset(&p, 0, sizeof p);
    configApplyDefaults(cfg);
    rv = configScanArgv(&p, argc, argv, errmsg);
    if (rv != 0) {
        goto out;
    }
    rv = configHelpOrVersion(cfg, &p, &done, errmsg);
    if (rv != 0 || done) {
        goto out;
    }
    rv = configScanEnv(cfg, &p, envp, errmsg);
    if (rv != 0) {
        goto out;
    }
    p.file_path = p.argv[CONFIG_FLAG_CONFIG_FILE].text;
    if (p.file_path == NULL) {
        p.file_path = p.env[CONFIG_FLAG_CONFIG_FILE].text;
    }
    if (p.file_path != NULL && p.file_path[0] != '\0') {
        char ignored[CONFIG_WARNING_SIZE - 64];
        rv = configFileLoad(p.file_path, &p.file_buf, p.file, ignored,
                            sizeof ignored, errmsg);
        if (rv != 0) {
            goto out;
        }
        if (ignored[0] != '\0') {
            configWarn(cfg, "%.80s: keys without meaning here ignored: %s",
                       p.file_path, ignored);
        }
    }

    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        char label[CONFIG__LABEL_SIZE];
        const char *text = configPick(&p, id, label, sizeof label);
        given[id] = text != NULL;
        if (!given[id]) {
            continue;
        }
        rv = configApply(cfg, id, text, label, errmsg);
        if (rv != 0) {
            goto out;
        }
        if (configFlags[id].check & CONFIG_CHECK_NO_EFFECT) {
            configWarn(cfg, "%s=%s is etcd's and has no effect here: %s",
                       label, text, configFlags[id].help);
        }
    }
    rv = configFinish(cfg, given, errmsg);

out:
    free(p.file_buf);
    return rv;
}
