/* Unit tests of src/core/config*.c: defaults with no flags give a working
 * single-node member, every source (config file, ETCFS_* environment,
 * command line) overrides the one below it, both flag syntaxes work, and
 * each mistake is refused with ETCFS_INVALID and a message that names it.
 * Over 800 lines on purpose: one test file per module, independent tests
 * over one flag table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/core/config.h"
#include "../../src/core/config_table.h"
#include "../../src/core/error.h"

/* ---- fixture ---- */

#define MAX_FILES 4
#define MAX_ARGS 64

struct fixture
{
    struct config cfg;
    char errmsg[ETCFS_ERRMSG_SIZE];
    char files[MAX_FILES][64]; /* temp files, unlinked by tearDown */
    unsigned n_files;
};

static int setUp(void **state)
{
    struct fixture *f = test_calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    return 0;
}

static int tearDown(void **state)
{
    struct fixture *f = *state;
    unsigned i;
    for (i = 0; i < f->n_files; i++) {
        unlink(f->files[i]);
    }
    test_free(f);
    return 0;
}

/* ---- helpers ---- */

/* Writes text to a new temp file; returns its path (owned by f). */
static const char *writeFile(struct fixture *f, const char *text)
{
    char *path;
    size_t len = strlen(text);
    int fd;
    assert_true(f->n_files < MAX_FILES);
    path = f->files[f->n_files];
    snprintf(path, sizeof f->files[0], "/tmp/etcfs-test-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f->n_files++;
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* configParse with envp env (NULL for none) and the NULL-terminated
 * arguments after env as argv[1..]. */
static int parse(struct fixture *f, char *const *env, ...)
{
    char *argv[MAX_ARGS];
    int argc = 0;
    va_list ap;
    char *arg;
    argv[argc++] = "etcfsd";
    va_start(ap, env);
    while ((arg = va_arg(ap, char *)) != NULL) {
        assert_true(argc < MAX_ARGS - 1);
        argv[argc++] = arg;
    }
    va_end(ap);
    argv[argc] = NULL;
    f->errmsg[0] = '\0';
    return configParse(&f->cfg, argc, argv, env, f->errmsg);
}

#define PARSE(...) parse(f, NULL, __VA_ARGS__, (char *)NULL)
#define PARSE_ENV(env, ...) parse(f, env, __VA_ARGS__, (char *)NULL)

/* ---- assertions ---- */

#define ASSERT_OK(rv)                                                          \
    do {                                                                       \
        int rv_ = (rv);                                                        \
        if (rv_ != 0) {                                                        \
            fail_msg("expected success, got %d: %s", rv_, f->errmsg);          \
        }                                                                      \
    } while (0)

/* The call fails with ETCFS_INVALID and errmsg contains substr. */
#define ASSERT_INVALID(rv, substr)                                             \
    do {                                                                       \
        int rv_ = (rv);                                                        \
        if (rv_ != ETCFS_INVALID) {                                            \
            fail_msg("expected ETCFS_INVALID, got %d (errmsg \"%s\")", rv_,    \
                     f->errmsg);                                               \
        }                                                                      \
        if (strstr(f->errmsg, (substr)) == NULL) {                             \
            fail_msg("errmsg \"%s\" lacks \"%s\"", f->errmsg, (substr));       \
        }                                                                      \
    } while (0)

#define ASSERT_URL(url, host_, port_, text_)                                   \
    do {                                                                       \
        assert_string_equal((url).host, (host_));                              \
        assert_int_equal((url).port, (port_));                                 \
        assert_string_equal((url).text, (text_));                              \
    } while (0)

/* ---- defaults ---- */

/* No flags, no environment: a single-node member on localhost. */
static void testDefaults(void **state)
{
    struct fixture *f = *state;
    const struct config *c = &f->cfg;
    ASSERT_OK(parse(f, NULL, (char *)NULL));
    assert_string_equal(c->name, "default");
    assert_string_equal(c->data_dir, "default.etcfs");
    assert_int_equal(c->n_listen_client, 1);
    ASSERT_URL(c->listen_client[0], "127.0.0.1", 2379, "http://127.0.0.1:2379");
    assert_int_equal(c->n_advertise_client, 1);
    ASSERT_URL(c->advertise_client[0], "127.0.0.1", 2379,
               "http://127.0.0.1:2379");
    ASSERT_URL(c->listen_peer, "127.0.0.1", 2380, "http://127.0.0.1:2380");
    ASSERT_URL(c->advertise_peer, "127.0.0.1", 2380, "http://127.0.0.1:2380");
    assert_int_equal(c->n_initial_cluster, 1);
    assert_string_equal(c->initial_cluster[0].name, "default");
    assert_string_equal(c->initial_cluster[0].peer.text,
                        "http://127.0.0.1:2380");
    assert_int_equal(c->initial_cluster_state, CONFIG_CLUSTER_NEW);
    assert_string_equal(c->initial_cluster_token, "etcd-cluster");
    assert_int_equal(c->heartbeat_interval_ms, 100);
    assert_int_equal(c->election_timeout_ms, 1000);
    assert_int_equal(c->snapshot_count, 100000);
    assert_string_equal(c->mount, "");
    assert_string_equal(c->mount_prefix, "/");
    assert_int_equal(c->mount_consistency, CONFIG_CONSISTENCY_LINEARIZABLE);
    assert_int_equal(c->max_request_bytes, 1572864);
    assert_int_equal(c->quota_backend_bytes, 2147483648ull);
    assert_int_equal(c->max_txn_ops, 128);
    assert_string_equal(c->log_level, "info");
    assert_false(c->help);
    assert_false(c->version);
}

/* An environment without ETCFS_* or ETCD_* variables changes nothing. */
static void testForeignEnvironmentIgnored(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"PATH=/bin", "HOME=/root", "ETCDCTL_API=3", "ETCFS",
                   "ETCD", NULL};
    ASSERT_OK(parse(f, env, (char *)NULL));
    assert_string_equal(f->cfg.name, "default");
    assert_int_equal(f->cfg.n_warnings, 0);
}

/* etcd's ETCD_* names: read as etcfs's, ETCFS_* wins when both are set
 * (whatever their order), each shadowed one is warned about, and an
 * ETCD_* variable etcfs does not know is a warning, not an error. */
static void testEtcdEnvironment(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"ETCD_NAME=etcd0", "ETCD_DATA_DIR=/var/lib/etcd",
                   "ETCD_HEARTBEAT_INTERVAL=200", NULL};
    char *both[] = {"ETCD_NAME=etcd0", "ETCFS_NAME=n1",
                    "ETCFS_DATA_DIR=/a", "ETCD_DATA_DIR=/b", NULL};
    char *unknown[] = {"ETCD_NO_SUCH_THING=1", "ETCD_NAME=e", NULL};
    ASSERT_OK(parse(f, env, (char *)NULL));
    assert_string_equal(f->cfg.name, "etcd0");
    assert_string_equal(f->cfg.data_dir, "/var/lib/etcd");
    assert_int_equal(f->cfg.heartbeat_interval_ms, 200);
    assert_int_equal(f->cfg.n_warnings, 0);
    ASSERT_OK(parse(f, both, (char *)NULL));
    assert_string_equal(f->cfg.name, "n1");
    assert_string_equal(f->cfg.data_dir, "/a");
    assert_int_equal(f->cfg.n_warnings, 2);
    assert_string_equal(f->cfg.warnings[0],
                        "ETCFS_NAME is set: ETCD_NAME is not used");
    assert_string_equal(f->cfg.warnings[1],
                        "ETCFS_DATA_DIR is set: ETCD_DATA_DIR is not used");
    ASSERT_OK(parse(f, unknown, (char *)NULL));
    assert_string_equal(f->cfg.name, "e");
    assert_int_equal(f->cfg.n_warnings, 1);
    assert_string_equal(f->cfg.warnings[0],
                        "unrecognized environment variable "
                        "ETCD_NO_SUCH_THING");
}

/* etcd's YAML config file (etcd.conf.yml.sample's shape): flag-named
 * keys, transport-security mappings, lists, nulls, unknown keys warned. */
static void testYamlConfigFile(void **state)
{
    struct fixture *f = *state;
    const char *path = writeFile(
        f, "# This is the configuration file for the etcd server.\n"
           "name: 'infra1'\n"
           "data-dir: /var/lib/infra1\n"
           "wal-dir:\n"
           "snapshot-count: 10000\n"
           "heartbeat-interval: 100\n"
           "election-timeout: 1000\n"
           "listen-client-urls: http://127.0.0.1:2379,http://10.0.0.1:2379\n"
           "initial-advertise-peer-urls:\n"
           "  - http://10.0.0.1:2380\n"
           "initial-cluster: infra1=http://10.0.0.1:2380\n"
           "initial-cluster-state: 'new'\n"
           "auto-compaction-mode: revision\n"
           "auto-compaction-retention: \"1000\"\n"
           "enable-v2: true\n"
           "proxy: 'off'\n"
           "client-transport-security:\n"
           "  cert-file: /c.crt\n"
           "  key-file: /c.key\n"
           "  client-cert-auth: true\n"
           "  trusted-ca-file: /ca.crt\n"
           "  auto-tls: false\n"
           "peer-transport-security:\n"
           "  cert-file: /p.crt\n"
           "  key-file: /p.key\n"
           "  client-cert-auth: true\n"
           "  trusted-ca-file: /pca.crt\n"
           "  allowed-cn: infra\n");
    const char *bad = NULL;
    ASSERT_OK(PARSE("--config-file", (char *)path));
    assert_string_equal(f->cfg.name, "infra1");
    assert_string_equal(f->cfg.data_dir, "/var/lib/infra1");
    assert_string_equal(f->cfg.wal_dir, ""); /* null: the default */
    assert_int_equal(f->cfg.snapshot_count, 10000);
    assert_int_equal(f->cfg.n_listen_client, 2);
    assert_string_equal(f->cfg.advertise_peer.text, "http://10.0.0.1:2380");
    assert_true(f->cfg.auto_compaction_revision);
    assert_int_equal(f->cfg.auto_compaction_keep, 1000);
    assert_string_equal(f->cfg.cert_file, "/c.crt");
    assert_true(f->cfg.client_cert_auth);
    assert_string_equal(f->cfg.trusted_ca_file, "/ca.crt");
    assert_string_equal(f->cfg.peer_cert_file, "/p.crt");
    assert_string_equal(f->cfg.peer_key_file, "/p.key");
    assert_true(f->cfg.peer_client_cert_auth);
    assert_string_equal(f->cfg.peer_trusted_ca_file, "/pca.crt");
    assert_string_equal(f->cfg.peer_cert_allowed_cn, "infra");
    assert_int_equal(f->cfg.n_warnings, 1);
    assert_non_null(strstr(f->cfg.warnings[0], "ignored: proxy"));
    assert_true(f->cfg.enable_v2);
    /* the command line still wins over the file */
    ASSERT_OK(PARSE("--config-file", (char *)path, "--snapshot-count", "7"));
    assert_int_equal(f->cfg.snapshot_count, 7);
    bad = writeFile(f, "name: [a: b\n");
    ASSERT_INVALID(PARSE("--config-file", (char *)bad), ":1:");
    bad = writeFile(f, "name: a\nname: b\n");
    ASSERT_INVALID(PARSE("--config-file", (char *)bad),
                   ":2: name given twice (first on line 1)");
    bad = writeFile(f, "heartbeat-interval: soon\n");
    ASSERT_INVALID(PARSE("--config-file", (char *)bad), "invalid value");
}

/* etcd 3.4's reading of the auto-compaction retention. */
static void testAutoCompaction(void **state)
{
    struct fixture *f = *state;
    uint64_t ms = 0;
    ASSERT_OK(PARSE("--auto-compaction-retention", "1"));
    assert_false(f->cfg.auto_compaction_revision);
    assert_int_equal(f->cfg.auto_compaction_period_ms, 3600000);
    ASSERT_OK(PARSE("--auto-compaction-retention", "30m"));
    assert_int_equal(f->cfg.auto_compaction_period_ms, 1800000);
    ASSERT_OK(PARSE("--auto-compaction-retention", "1h30m"));
    assert_int_equal(f->cfg.auto_compaction_period_ms, 5400000);
    ASSERT_OK(PARSE("--auto-compaction-mode", "revision",
                    "--auto-compaction-retention", "1000"));
    assert_true(f->cfg.auto_compaction_revision);
    assert_int_equal(f->cfg.auto_compaction_keep, 1000);
    assert_int_equal(f->cfg.auto_compaction_interval_ms, 300000);
    ASSERT_OK(parse(f, NULL, (char *)NULL));
    assert_int_equal(f->cfg.auto_compaction_period_ms, 0); /* off */
    ASSERT_INVALID(PARSE("--auto-compaction-mode", "revision",
                         "--auto-compaction-retention", "1h"),
                   "--auto-compaction-retention: invalid value \"1h\"");
    ASSERT_INVALID(PARSE("--auto-compaction-retention", "5 minutes"),
                   "--auto-compaction-retention: invalid value");
    ASSERT_INVALID(PARSE("--auto-compaction-interval", "0s"),
                   "--auto-compaction-interval: invalid value \"0s\"");
    ASSERT_INVALID(PARSE("--auto-compaction-mode", "daily"),
                   "--auto-compaction-mode");
    assert_int_equal(configParseDuration("1.5s", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(configParseDuration("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(configParseDuration("10", &ms), -1);
    assert_int_equal(configParseDuration("", &ms), -1);
    assert_int_equal(configParseDuration("1x", &ms), -1);
}

/* An etcd.conf as Debian and the tutorials write it: quoted values,
 * comments, ETCD_ keys. */
static void testEtcdConfigFile(void **state)
{
    struct fixture *f = *state;
    const char *path =
        writeFile(f, "# etcd.conf\nETCD_NAME=\"etcd0\"\n"
                     "ETCD_DATA_DIR=\"/var/lib/etcd/default\"\n"
                     "ETCD_LISTEN_CLIENT_URLS=\"http://127.0.0.1:2379\"\n"
                     "ETCD_ELECTION_TIMEOUT='2000'\n");
    ASSERT_OK(PARSE("--config-file", (char *)path));
    assert_string_equal(f->cfg.name, "etcd0");
    assert_string_equal(f->cfg.data_dir, "/var/lib/etcd/default");
    assert_int_equal(f->cfg.election_timeout_ms, 2000);
}

/* --name alone moves the data dir and the default initial cluster. */
static void testNameDerivesDefaults(void **state)
{
    struct fixture *f = *state;
    ASSERT_OK(PARSE("--name", "n1"));
    assert_string_equal(f->cfg.name, "n1");
    assert_string_equal(f->cfg.data_dir, "n1.etcfs");
    assert_int_equal(f->cfg.n_initial_cluster, 1);
    assert_string_equal(f->cfg.initial_cluster[0].name, "n1");
    assert_string_equal(f->cfg.initial_cluster[0].peer.text,
                        "http://127.0.0.1:2380");
}

/* The data dir default uses the final name, whichever source set it. */
static void testDataDirFollowsFinalName(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"ETCFS_NAME=from-env", NULL};
    const char *path = writeFile(f, "name=from-file\n");
    ASSERT_OK(PARSE_ENV(env, "--config-file", (char *)path));
    assert_string_equal(f->cfg.data_dir, "from-env.etcfs");
    ASSERT_OK(PARSE_ENV(env, "--config-file", (char *)path, "--name=cli"));
    assert_string_equal(f->cfg.data_dir, "cli.etcfs");
    ASSERT_OK(PARSE_ENV(env, "--data-dir", "/var/lib/x"));
    assert_string_equal(f->cfg.data_dir, "/var/lib/x");
}

/* ---- flag syntax ---- */

/* --flag value, --flag=value, -flag value and -flag=value are one flag. */
static void testFlagSyntaxes(void **state)
{
    struct fixture *f = *state;
    ASSERT_OK(PARSE("--name", "a"));
    assert_string_equal(f->cfg.name, "a");
    ASSERT_OK(PARSE("--name=b"));
    assert_string_equal(f->cfg.name, "b");
    ASSERT_OK(PARSE("-name", "c"));
    assert_string_equal(f->cfg.name, "c");
    ASSERT_OK(PARSE("-name=d"));
    assert_string_equal(f->cfg.name, "d");
    /* '=' inside the value is kept */
    ASSERT_OK(PARSE("--initial-cluster-token=a=b"));
    assert_string_equal(f->cfg.initial_cluster_token, "a=b");
    /* "--" ends the flags */
    ASSERT_OK(PARSE("--name", "e", "--"));
    assert_string_equal(f->cfg.name, "e");
}

/* Every flag is read into its field. */
static void testAllFlags(void **state)
{
    struct fixture *f = *state;
    const struct config *c = &f->cfg;
    ASSERT_OK(PARSE(
        "--name", "n2", "--data-dir", "/data/n2",
        "--listen-client-urls", "http://10.0.0.2:2379,http://127.0.0.1:2379",
        "--advertise-client-urls", "http://10.0.0.2:2379",
        "--listen-peer-urls", "http://0.0.0.0:2380",
        "--initial-advertise-peer-urls", "http://10.0.0.2:2380",
        "--initial-cluster",
        "n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,"
        "n3=http://10.0.0.3:2380",
        "--initial-cluster-state", "existing",
        "--initial-cluster-token", "tok", "--heartbeat-interval", "200",
        "--election-timeout", "2000", "--snapshot-count", "500", "--mount",
        "/mnt/etc", "--mount-prefix", "/etc/", "--mount-consistency", "local",
        "--max-request-bytes", "1000", "--quota-backend-bytes", "4096",
        "--max-txn-ops", "7", "--log-level", "debug"));
    assert_string_equal(c->name, "n2");
    assert_string_equal(c->data_dir, "/data/n2");
    assert_int_equal(c->n_listen_client, 2);
    ASSERT_URL(c->listen_client[0], "10.0.0.2", 2379, "http://10.0.0.2:2379");
    ASSERT_URL(c->listen_client[1], "127.0.0.1", 2379,
               "http://127.0.0.1:2379");
    assert_int_equal(c->n_advertise_client, 1);
    ASSERT_URL(c->advertise_client[0], "10.0.0.2", 2379,
               "http://10.0.0.2:2379");
    ASSERT_URL(c->listen_peer, "0.0.0.0", 2380, "http://0.0.0.0:2380");
    ASSERT_URL(c->advertise_peer, "10.0.0.2", 2380, "http://10.0.0.2:2380");
    assert_int_equal(c->n_initial_cluster, 3);
    assert_string_equal(c->initial_cluster[0].name, "n1");
    assert_string_equal(c->initial_cluster[2].name, "n3");
    ASSERT_URL(c->initial_cluster[2].peer, "10.0.0.3", 2380,
               "http://10.0.0.3:2380");
    assert_int_equal(c->initial_cluster_state, CONFIG_CLUSTER_EXISTING);
    assert_string_equal(c->initial_cluster_token, "tok");
    assert_int_equal(c->heartbeat_interval_ms, 200);
    assert_int_equal(c->election_timeout_ms, 2000);
    assert_int_equal(c->snapshot_count, 500);
    assert_string_equal(c->mount, "/mnt/etc");
    assert_string_equal(c->mount_prefix, "/etc/");
    assert_int_equal(c->mount_consistency, CONFIG_CONSISTENCY_LOCAL);
    assert_int_equal(c->max_request_bytes, 1000);
    assert_int_equal(c->quota_backend_bytes, 4096);
    assert_int_equal(c->max_txn_ops, 7);
    assert_string_equal(c->log_level, "debug");
}

/* --help, -h and --version set their switches; a broken environment does
 * not stop them. */
static void testHelpAndVersion(void **state)
{
    struct fixture *f = *state;
    char *bad_env[] = {"ETCFS_BOGUS=1", "ETCFS_HEARTBEAT_INTERVAL=x", NULL};
    ASSERT_OK(PARSE("--help"));
    assert_true(f->cfg.help);
    ASSERT_OK(PARSE("-h"));
    assert_true(f->cfg.help);
    ASSERT_OK(PARSE("-help"));
    assert_true(f->cfg.help);
    ASSERT_OK(PARSE("--version"));
    assert_true(f->cfg.version);
    assert_false(f->cfg.help);
    ASSERT_OK(PARSE_ENV(bad_env, "--version"));
    assert_true(f->cfg.version);
    ASSERT_OK(PARSE("--version=false"));
    assert_false(f->cfg.version);
    ASSERT_INVALID(PARSE("--version=maybe"), "--version: invalid value");
    /* a switch takes no separate value */
    ASSERT_INVALID(PARSE("--help", "true"), "unexpected argument \"true\"");
}

/* ---- precedence ---- */

/* Defaults < config file < environment < command line, per flag. */
static void testPrecedence(void **state)
{
    struct fixture *f = *state;
    const char *path = writeFile(f, "name=file\n"
                                    "initial-cluster-token=file-token\n"
                                    "heartbeat-interval=150\n"
                                    "log-level=warn\n");
    char cfgfile[128];
    char *env[] = {cfgfile, "ETCFS_NAME=env", "ETCFS_LOG_LEVEL=error", NULL};
    snprintf(cfgfile, sizeof cfgfile, "ETCFS_CONFIG_FILE=%s", path);

    /* file only */
    ASSERT_OK(PARSE("--config-file", (char *)path));
    assert_string_equal(f->cfg.name, "file");
    assert_string_equal(f->cfg.initial_cluster_token, "file-token");
    assert_int_equal(f->cfg.heartbeat_interval_ms, 150);
    assert_string_equal(f->cfg.log_level, "warn");
    assert_int_equal(f->cfg.election_timeout_ms, 1000); /* default */

    /* environment over file */
    ASSERT_OK(parse(f, env, (char *)NULL));
    assert_string_equal(f->cfg.name, "env");
    assert_string_equal(f->cfg.log_level, "error");
    assert_string_equal(f->cfg.initial_cluster_token, "file-token");

    /* command line over both */
    ASSERT_OK(PARSE_ENV(env, "--name", "cli", "--heartbeat-interval=120"));
    assert_string_equal(f->cfg.name, "cli");
    assert_int_equal(f->cfg.heartbeat_interval_ms, 120);
    assert_string_equal(f->cfg.log_level, "error");
    assert_string_equal(f->cfg.initial_cluster_token, "file-token");
}

/* --config-file on the command line beats ETCFS_CONFIG_FILE; an empty one
 * means no file. */
static void testConfigFileChoice(void **state)
{
    struct fixture *f = *state;
    const char *a = writeFile(f, "name=a\n");
    const char *b = writeFile(f, "name=b\n");
    char cfgfile[128];
    char *env[] = {cfgfile, NULL};
    snprintf(cfgfile, sizeof cfgfile, "ETCFS_CONFIG_FILE=%s", a);
    ASSERT_OK(parse(f, env, (char *)NULL));
    assert_string_equal(f->cfg.name, "a");
    ASSERT_OK(PARSE_ENV(env, "--config-file", (char *)b));
    assert_string_equal(f->cfg.name, "b");
    ASSERT_OK(PARSE_ENV(env, "--config-file="));
    assert_string_equal(f->cfg.name, "default");
}

/* Each ETCFS_<UPPER_SNAKE> variable sets its flag; ETCFS_TRACE and
 * ETCFS_LOG belong to the logger and are let through. */
static void testEnvironment(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"ETCFS_NAME=n1",
                   "ETCFS_DATA_DIR=/d",
                   "ETCFS_INITIAL_CLUSTER=n1=http://127.0.0.1:2380",
                   "ETCFS_INITIAL_CLUSTER_STATE=existing",
                   "ETCFS_MOUNT=/mnt",
                   "ETCFS_MOUNT_CONSISTENCY=local",
                   "ETCFS_MAX_TXN_OPS=9",
                   "ETCFS_TRACE=1",
                   "ETCFS_LOG=x",
                   "ETCFS_NAME=second-ignored",
                   NULL};
    ASSERT_OK(parse(f, env, (char *)NULL));
    assert_string_equal(f->cfg.name, "n1");
    assert_string_equal(f->cfg.data_dir, "/d");
    assert_int_equal(f->cfg.initial_cluster_state, CONFIG_CLUSTER_EXISTING);
    assert_string_equal(f->cfg.mount, "/mnt");
    assert_int_equal(f->cfg.mount_consistency, CONFIG_CONSISTENCY_LOCAL);
    assert_int_equal(f->cfg.max_txn_ops, 9);
}

/* ---- config file ---- */

/* Comments, blank lines, spaces, quotes, CRLF and both key spellings. */
static void testConfigFileSyntax(void **state)
{
    struct fixture *f = *state;
    const char *path = writeFile(
        f, "# etcfs member\n"
           "\n"
           "   \t\n"
           "  name = n1  \n"
           "ETCFS_DATA_DIR=\"/var/lib/etcfs data\"\n"
           "initial-cluster-token='tok en'\r\n"
           "   # indented comment\n"
           "ETCFS_INITIAL_CLUSTER=n1=http://127.0.0.1:2380,"
           "n2=http://127.0.0.2:2380\n"
           "mount=\n"
           "mount-prefix=\"/\n" /* unmatched quote: kept */
           "ETCFS_TRACE=1\n"
           "log-level=debug"); /* no final newline */
    ASSERT_OK(PARSE("--config-file", (char *)path));
    assert_string_equal(f->cfg.name, "n1");
    assert_string_equal(f->cfg.data_dir, "/var/lib/etcfs data");
    assert_string_equal(f->cfg.initial_cluster_token, "tok en");
    assert_int_equal(f->cfg.n_initial_cluster, 2);
    assert_string_equal(f->cfg.mount, "");
    assert_string_equal(f->cfg.mount_prefix, "\"/");
    assert_string_equal(f->cfg.log_level, "debug");
}

/* An empty config file sets nothing. */
static void testConfigFileEmpty(void **state)
{
    struct fixture *f = *state;
    const char *path = writeFile(f, "");
    ASSERT_OK(PARSE("--config-file", (char *)path));
    assert_string_equal(f->cfg.name, "default");
}

/* A missing or unreadable file, a line without '=', an unknown or repeated
 * key, and config-file inside a config file are refused with file:line. */
static void testConfigFileErrors(void **state)
{
    struct fixture *f = *state;
    const char *p;
    char want[128];
    ASSERT_INVALID(PARSE("--config-file", "/nonexistent/etcfs.conf"),
                   "config file /nonexistent/etcfs.conf: No such file or "
                   "directory");
    ASSERT_INVALID(PARSE("--config-file", "/tmp"), "config file /tmp: ");

    p = writeFile(f, "name=a\n\n# c\njust words\n");
    snprintf(want, sizeof want, "%s:4: expected KEY=value", p);
    ASSERT_INVALID(PARSE("--config-file", (char *)p), want);

    p = writeFile(f, "=value\n");
    snprintf(want, sizeof want, "%s:1: expected KEY=value", p);
    ASSERT_INVALID(PARSE("--config-file", (char *)p), want);

    p = writeFile(f, "name=a\nnmae=b\n");
    snprintf(want, sizeof want, "%s:2: unknown key \"nmae\"", p);
    ASSERT_INVALID(PARSE("--config-file", (char *)p), want);

    p = writeFile(f, "name=a\nETCFS_NAME=b\nhelp=true\nconfig-file=x\n");
    snprintf(want, sizeof want, "%s:2: name given twice (first on line 1)", p);
    ASSERT_INVALID(PARSE("--config-file", (char *)p), want);
}

/* More config file mistakes: switches, recursion, bad values with place. */
static void testConfigFileErrors2(void **state)
{
    struct fixture *f = *state;
    const char *p;
    char want[128];
    p = writeFile(f, "help=true\n");
    snprintf(want, sizeof want, "%s:1: unknown key \"help\"", p);
    ASSERT_INVALID(PARSE("--config-file", (char *)p), want);

    p = writeFile(f, "config-file=/etc/x\n");
    snprintf(want, sizeof want, "%s:1: config-file cannot be set", p);
    ASSERT_INVALID(PARSE("--config-file", (char *)p), want);

    p = writeFile(f, "# x\nheartbeat-interval=fast\n");
    snprintf(want, sizeof want,
             "%s:2: heartbeat-interval: invalid value \"fast\"", p);
    ASSERT_INVALID(PARSE("--config-file", (char *)p), want);

    /* overridden by the command line: the file's bad value is never used */
    ASSERT_OK(PARSE("--config-file", (char *)p, "--heartbeat-interval=100"));
}

/* ---- command-line errors ---- */

/* Unknown flags, repeated flags, missing values, positional arguments. */
static void testFlagErrors(void **state)
{
    struct fixture *f = *state;
    ASSERT_INVALID(PARSE("--foo"), "unknown flag: --foo");
    ASSERT_INVALID(PARSE("-foo=1"), "unknown flag: -foo");
    ASSERT_INVALID(PARSE("--na", "x"), "unknown flag: --na"); /* no prefixes */
    ASSERT_INVALID(PARSE("--name", "a", "--name", "b"),
                   "flag --name given twice");
    ASSERT_INVALID(PARSE("-name=a", "--name=b"), "flag --name given twice");
    ASSERT_INVALID(PARSE("--help", "-h"), "flag --help given twice");
    ASSERT_INVALID(PARSE("--name"), "missing value for flag --name");
    ASSERT_INVALID(PARSE("--name", "--data-dir", "x"),
                   "missing value for flag --name");
    ASSERT_INVALID(PARSE("--data-dir", "-name"),
                   "missing value for flag --data-dir");
    ASSERT_INVALID(PARSE("x"), "unexpected argument \"x\"");
    ASSERT_INVALID(PARSE("--name", "a", "b"), "unexpected argument \"b\"");
    ASSERT_INVALID(PARSE("--", "x"), "unexpected argument \"x\"");
    ASSERT_INVALID(PARSE("-"), "unexpected argument \"-\"");
    ASSERT_INVALID(PARSE("---name=x"), "bad flag syntax: ---name=x");
    ASSERT_INVALID(PARSE("--=x"), "bad flag syntax: --=x");
}

/* Numbers: not a number, negative, zero, overflow, out of range. */
static void testNumberErrors(void **state)
{
    struct fixture *f = *state;
    ASSERT_INVALID(PARSE("--heartbeat-interval", "x"),
                   "--heartbeat-interval: invalid value \"x\"");
    ASSERT_INVALID(PARSE("--heartbeat-interval="),
                   "--heartbeat-interval: invalid value \"\"");
    ASSERT_INVALID(PARSE("--heartbeat-interval", "-5"),
                   "--heartbeat-interval: invalid value \"-5\"");
    ASSERT_INVALID(PARSE("--heartbeat-interval", "10ms"),
                   "--heartbeat-interval: invalid value \"10ms\"");
    ASSERT_INVALID(PARSE("--heartbeat-interval", " 10"),
                   "--heartbeat-interval: invalid value \" 10\"");
    ASSERT_INVALID(PARSE("--heartbeat-interval", "0"),
                   "--heartbeat-interval: invalid value \"0\": must be at "
                   "least 1");
    ASSERT_INVALID(PARSE("--election-timeout", "0"),
                   "--election-timeout: invalid value \"0\"");
    ASSERT_INVALID(PARSE("--snapshot-count", "0"),
                   "--snapshot-count: invalid value \"0\"");
    ASSERT_INVALID(PARSE("--snapshot-count", "4294967296"),
                   "must be at most 4294967295");
    ASSERT_INVALID(PARSE("--max-txn-ops", "0"),
                   "--max-txn-ops: invalid value \"0\"");
    ASSERT_INVALID(PARSE("--max-request-bytes", "0"),
                   "--max-request-bytes: invalid value \"0\"");
    ASSERT_INVALID(PARSE("--quota-backend-bytes", "99999999999999999999"),
                   "out of range");
    ASSERT_INVALID(PARSE("--quota-backend-bytes", "-1"),
                   "--quota-backend-bytes: invalid value \"-1\"");
}

/* etcd's quota rule: 0 means the default quota. */
static void testQuotaZeroIsDefault(void **state)
{
    struct fixture *f = *state;
    ASSERT_OK(PARSE("--quota-backend-bytes", "0"));
    assert_int_equal(f->cfg.quota_backend_bytes, 2147483648ull);
}

/* etcd's timing rules: election >= 5 heartbeats, at most 50 s. */
static void testTimingRules(void **state)
{
    struct fixture *f = *state;
    ASSERT_INVALID(PARSE("--heartbeat-interval", "300"),
                   "--election-timeout[1000ms] should be at least as 5 times "
                   "as --heartbeat-interval[300ms]");
    ASSERT_INVALID(PARSE("--election-timeout", "499"),
                   "--election-timeout[499ms] should be at least as 5 times "
                   "as --heartbeat-interval[100ms]");
    ASSERT_OK(PARSE("--election-timeout", "500"));
    ASSERT_OK(PARSE("--heartbeat-interval", "200"));
    ASSERT_INVALID(PARSE("--election-timeout", "50001"),
                   "--election-timeout[50001ms] is too long");
    ASSERT_OK(PARSE("--election-timeout", "50000"));
}

/* Choices: cluster state, mount consistency, log level. */
static void testChoiceErrors(void **state)
{
    struct fixture *f = *state;
    ASSERT_INVALID(PARSE("--initial-cluster-state", "old"),
                   "--initial-cluster-state: invalid value \"old\"");
    ASSERT_INVALID(PARSE("--mount-consistency", "serializable"),
                   "--mount-consistency: invalid value \"serializable\"");
    ASSERT_INVALID(PARSE("--log-level", "verbose"),
                   "--log-level: invalid value \"verbose\"");
    ASSERT_INVALID(PARSE("--initial-cluster-token="),
                   "--initial-cluster-token: empty value");
    ASSERT_INVALID(PARSE("--mount-prefix="), "--mount-prefix: empty value");
}

/* Names and paths longer than their fields, and bad member names. */
static void testLengthErrors(void **state)
{
    struct fixture *f = *state;
    char name[80];
    char path[5000];
    char arg[5100];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    ASSERT_INVALID(PARSE("--name", name), "--name: name too long");
    name[63] = '\0';
    ASSERT_OK(PARSE("--name", name));
    assert_string_equal(f->cfg.data_dir + 63, ".etcfs");
    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    ASSERT_INVALID(PARSE("--data-dir", path), "--data-dir: too long");
    snprintf(arg, sizeof arg, "--mount=%s", path);
    ASSERT_INVALID(PARSE(arg), "--mount: too long");
    path[1024] = '\0';
    ASSERT_INVALID(PARSE("--mount-prefix", path),
                   "--mount-prefix: too long (1024 bytes, at most 1023)");
    path[1023] = '\0';
    ASSERT_OK(PARSE("--mount-prefix", path));
    ASSERT_INVALID(PARSE("--name="), "--name: empty name");
    ASSERT_INVALID(PARSE("--name", "a,b"), "--name: invalid name \"a,b\"");
    ASSERT_INVALID(PARSE("--name", "a=b"), "--name: invalid name");
    ASSERT_INVALID(PARSE("--data-dir="), "--data-dir: empty value");
}

/* ---- environment errors ---- */

/* A misspelt ETCFS_ variable is an error, and a bad value names the
 * variable it came from. */
static void testEnvironmentErrors(void **state)
{
    struct fixture *f = *state;
    char *typo[] = {"ETCFS_NAEM=x", NULL};
    char *bad[] = {"ETCFS_ELECTION_TIMEOUT=soon", NULL};
    char *help[] = {"ETCFS_HELP=1", NULL};
    char *missing[] = {"ETCFS_CONFIG_FILE=/nonexistent/x.conf", NULL};
    ASSERT_INVALID(parse(f, typo, (char *)NULL),
                   "unknown environment variable ETCFS_NAEM");
    ASSERT_INVALID(parse(f, help, (char *)NULL),
                   "unknown environment variable ETCFS_HELP");
    ASSERT_INVALID(parse(f, bad, (char *)NULL),
                   "ETCFS_ELECTION_TIMEOUT: invalid value \"soon\"");
    /* the command line overrides a bad environment value */
    ASSERT_OK(PARSE_ENV(bad, "--election-timeout", "1000"));
    ASSERT_INVALID(parse(f, missing, (char *)NULL),
                   "config file /nonexistent/x.conf: No such file");
}

/* ---- URLs ---- */

/* Accepted spellings and their normalized text. */
static void testParseUrl(void **state)
{
    struct fixture *f = *state;
    struct config_url u;
    ASSERT_OK(configParseUrl("http://10.1.2.3:2380", &u, f->errmsg));
    ASSERT_URL(u, "10.1.2.3", 2380, "http://10.1.2.3:2380");
    ASSERT_OK(configParseUrl("node1.example.com:1", &u, f->errmsg));
    ASSERT_URL(u, "node1.example.com", 1, "http://node1.example.com:1");
    ASSERT_OK(configParseUrl("HTTP://Node1:65535/", &u, f->errmsg));
    ASSERT_URL(u, "node1", 65535, "http://node1:65535");
    ASSERT_OK(configParseUrl("localhost", &u, f->errmsg));
    ASSERT_URL(u, "localhost", 2379, "http://localhost:2379");
    ASSERT_OK(configParseUrl("http://localhost", &u, f->errmsg));
    ASSERT_URL(u, "localhost", 2379, "http://localhost:2379");
    ASSERT_OK(configParseUrl("[::1]:2379", &u, f->errmsg));
    ASSERT_URL(u, "::1", 2379, "http://[::1]:2379");
    ASSERT_OK(configParseUrl("http://[FE80::A:1]:80/", &u, f->errmsg));
    ASSERT_URL(u, "fe80::a:1", 80, "http://[fe80::a:1]:80");
    ASSERT_OK(configParseUrl("http://[::]", &u, f->errmsg));
    ASSERT_URL(u, "::", 2379, "http://[::]:2379");
    ASSERT_OK(configParseUrl("[::ffff:10.0.0.1]:7", &u, f->errmsg));
    ASSERT_URL(u, "::ffff:10.0.0.1", 7, "http://[::ffff:10.0.0.1]:7");
}

/* Refused URLs, each with its reason. */
static void testParseUrlErrors(void **state)
{
    struct fixture *f = *state;
    struct config_url u;
    static const struct
    {
        const char *text;
        const char *msg;
    } cases[] = {
        {"", "empty"},
        {"unix://sock", "unsupported scheme \"unix\""},
        {"http://:2379", "missing host"},
        {"http://", "missing host"},
        {"a:0", "port 0 out of range"},
        {"a:65536", "port 65536 out of range"},
        {"a:123456", "invalid port"},
        {"a:", "invalid port"},
        {"a:x", "invalid port"},
        {"a:-1", "invalid port"},
        {"http://a:1/v3", "unexpected path \"/v3\""},
        {"http://a:1/?x=1", "unexpected path"},
        {"http://a:1?x", "unexpected path"},
        {"http://a:1#f", "unexpected path"},
        {"http://u@a:1", "user info"},
        {"::1:2379", "IPv6 address must be in brackets"},
        {"[::1", "missing ']'"},
        {"[::1]x", "expected ':' after ']'"},
        {"[zz::1]:1", "invalid IPv6 address"},
        {"[]:1", "missing host"},
        {"999.1.1.1:1", "invalid IPv4 address"},
        {"a b:1", "space or control character"},
        {"a/b:1", "unexpected path"},
        {"a!b:1", "invalid character '!'"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f->errmsg[0] = '\0';
        int rv = configParseUrl(cases[i].text, &u, f->errmsg);
        if (rv != ETCFS_INVALID || strstr(f->errmsg, cases[i].msg) == NULL) {
            fail_msg("\"%s\": rv %d, errmsg \"%s\", want \"%s\"",
                     cases[i].text, rv, f->errmsg, cases[i].msg);
        }
    }
    /* NULL errmsg is allowed */
    assert_int_equal(configParseUrl("ftp://a", &u, NULL), ETCFS_INVALID);
    /* https: TLS, normalized as such */
    assert_int_equal(configParseUrl("HTTPS://A:2379", &u, NULL), 0);
    assert_true(u.tls);
    assert_string_equal(u.text, "https://a:2379");
}

/* URL flags: lists, bad entries named by flag, list limits, IPv6. */
static void testUrlFlags(void **state)
{
    struct fixture *f = *state;
    char list[1024];
    size_t off = 0;
    unsigned i;
    ASSERT_OK(PARSE("--listen-client-urls",
                    " http://127.0.0.1:2379 , [::1]:2379 ",
                    "--advertise-client-urls", "http://127.0.0.1:2379"));
    assert_int_equal(f->cfg.n_listen_client, 2);
    assert_string_equal(f->cfg.listen_client[1].text, "http://[::1]:2379");
    ASSERT_INVALID(PARSE("--listen-client-urls", "https://127.0.0.1:2379"),
                   "https client URLs need --cert-file and --key-file (or "
                   "--auto-tls)");
    ASSERT_OK(PARSE("--listen-client-urls", "https://127.0.0.1:2379",
                    "--cert-file", "/c", "--key-file", "/k"));
    assert_true(f->cfg.listen_client[0].tls);
    assert_true(f->cfg.advertise_client[0].tls);
    ASSERT_OK(PARSE("--listen-peer-urls", "https://127.0.0.1:2380",
                    "--peer-auto-tls"));
    assert_true(f->cfg.advertise_peer.tls);
    assert_true(f->cfg.initial_cluster[0].peer.tls);
    ASSERT_INVALID(PARSE("--listen-peer-urls", "https://127.0.0.1:2380"),
                   "https peer URLs need --peer-cert-file and "
                   "--peer-key-file (or --peer-auto-tls)");
    ASSERT_INVALID(PARSE("--listen-peer-urls", "https://127.0.0.1:2380",
                         "--peer-auto-tls", "--initial-cluster",
                         "default=https://127.0.0.1:2380,b=http://10.0.0.2:2380"),
                   "--initial-cluster: member b: peer URLs must all be "
                   "https://");
    ASSERT_INVALID(PARSE("--advertise-client-urls", "http://a:1,,http://b:1"),
                   "--advertise-client-urls: empty URL");
    ASSERT_INVALID(PARSE("--listen-peer-urls", ""),
                   "--listen-peer-urls: empty URL");
    ASSERT_INVALID(PARSE("--initial-advertise-peer-urls", "http://a:1/x"),
                   "--initial-advertise-peer-urls: invalid URL");
    for (i = 0; i <= CONFIG_MAX_URLS; i++) {
        off += (size_t)snprintf(list + off, sizeof list - off,
                                "%shttp://127.0.0.%u:2379", i ? "," : "",
                                i + 1);
    }
    ASSERT_INVALID(PARSE("--listen-client-urls", list),
                   "--listen-client-urls: too many URLs (at most 8)");
    list[strrchr(list, ',') - list] = '\0';
    ASSERT_OK(PARSE("--listen-client-urls", list));
    assert_int_equal(f->cfg.n_listen_client, CONFIG_MAX_URLS);
}

/* An IPv6 member: peer URLs and the initial cluster in brackets. */
static void testIpv6Member(void **state)
{
    struct fixture *f = *state;
    ASSERT_OK(PARSE("--name", "v6", "--listen-peer-urls", "http://[::1]:2380",
                    "--listen-client-urls", "http://[::1]:2379",
                    "--initial-cluster",
                    "v6=http://[::1]:2380,other=http://[fd00::2]:2380"));
    ASSERT_URL(f->cfg.listen_peer, "::1", 2380, "http://[::1]:2380");
    ASSERT_URL(f->cfg.advertise_peer, "::1", 2380, "http://[::1]:2380");
    ASSERT_URL(f->cfg.advertise_client[0], "::1", 2379, "http://[::1]:2379");
    assert_int_equal(f->cfg.n_initial_cluster, 2);
    ASSERT_URL(f->cfg.initial_cluster[1].peer, "fd00::2", 2380,
               "http://[fd00::2]:2380");
}

/* Advertised URLs default to the first reachable listen URL; 0.0.0.0 is
 * never advertised. */
static void testAdvertiseDefaults(void **state)
{
    struct fixture *f = *state;
    ASSERT_OK(PARSE("--listen-client-urls", "http://10.0.0.1:2379,"
                                            "http://10.0.0.2:2379",
                    "--listen-peer-urls", "http://10.0.0.1:2380",
                    "--initial-cluster", "default=http://10.0.0.1:2380"));
    assert_int_equal(f->cfg.n_advertise_client, 1);
    assert_string_equal(f->cfg.advertise_client[0].text,
                        "http://10.0.0.1:2379");
    assert_string_equal(f->cfg.advertise_peer.text, "http://10.0.0.1:2380");
    /* the default initial cluster follows the advertised peer URL */
    ASSERT_OK(PARSE("--listen-peer-urls", "http://10.0.0.1:2380"));
    assert_string_equal(f->cfg.initial_cluster[0].peer.text,
                        "http://10.0.0.1:2380");
    ASSERT_OK(PARSE("--listen-client-urls",
                    "http://0.0.0.0:2379,http://10.0.0.9:2379"));
    assert_string_equal(f->cfg.advertise_client[0].text,
                        "http://10.0.0.9:2379");
    ASSERT_INVALID(PARSE("--listen-client-urls", "http://0.0.0.0:2379"),
                   "--advertise-client-urls is required when "
                   "--listen-client-urls is set to http://0.0.0.0:2379");
    ASSERT_INVALID(PARSE("--listen-peer-urls", "http://[::]:2380"),
                   "--initial-advertise-peer-urls is required when "
                   "--listen-peer-urls is set to http://[::]:2380");
    ASSERT_INVALID(PARSE("--advertise-client-urls", "http://0.0.0.0:2379"),
                   "--advertise-client-urls: http://0.0.0.0:2379 is not an "
                   "address clients can reach");
    ASSERT_INVALID(PARSE("--initial-advertise-peer-urls", "0.0.0.0:2380"),
                   "is not an address peers can reach");
    ASSERT_OK(PARSE("--listen-client-urls", "http://0.0.0.0:2379",
                    "--advertise-client-urls", "http://10.0.0.1:2379"));
}

/* ---- initial cluster ---- */

/* Malformed entries, duplicates, limits, and the local member rule. */
static void testInitialClusterErrors(void **state)
{
    struct fixture *f = *state;
    char list[2048];
    size_t off = 0;
    unsigned i;
    ASSERT_INVALID(PARSE("--initial-cluster", "default"),
                   "--initial-cluster: entry \"default\" is not name=peerurl");
    ASSERT_INVALID(PARSE("--initial-cluster", "default=http://127.0.0.1:2380,"),
                   "--initial-cluster: entry \"\" is not name=peerurl");
    ASSERT_INVALID(PARSE("--initial-cluster", "=http://127.0.0.1:2380"),
                   "--initial-cluster: empty name");
    ASSERT_INVALID(PARSE("--initial-cluster",
                         "default=http://127.0.0.1:2380,"
                         "default=http://127.0.0.2:2380"),
                   "--initial-cluster: duplicate name \"default\"");
    ASSERT_INVALID(PARSE("--initial-cluster",
                         "default=http://127.0.0.1:2380,"
                         "b=127.0.0.1:2380"),
                   "--initial-cluster: duplicate peer URL "
                   "http://127.0.0.1:2380");
    ASSERT_INVALID(PARSE("--initial-cluster", "default=https://127.0.0.1:2380"),
                   "missing from --initial-advertise-peer-urls");
    ASSERT_INVALID(PARSE("--initial-cluster", "b=http://0.0.0.0:2380"),
                   "--initial-cluster: b=http://0.0.0.0:2380 is not an "
                   "address peers can reach");
    ASSERT_INVALID(PARSE("--name", "x", "--initial-cluster",
                         "a=http://127.0.0.1:2380"),
                   "couldn't find local name \"x\" in the initial cluster "
                   "configuration");
    ASSERT_INVALID(PARSE("--name", "x", "--initial-cluster-state", "existing",
                         "--initial-cluster", "a=http://127.0.0.2:2380"),
                   "couldn't find local name \"x\"");
    ASSERT_INVALID(PARSE("--initial-cluster", "default=http://127.0.0.9:2380"),
                   "--initial-cluster has default=http://127.0.0.9:2380 but "
                   "missing from --initial-advertise-peer-urls="
                   "http://127.0.0.1:2380");
    for (i = 0; i <= CONFIG_MAX_MEMBERS; i++) {
        off += (size_t)snprintf(list + off, sizeof list - off,
                                "%sm%u=http://127.0.1.%u:2380", i ? "," : "",
                                i, i + 1);
    }
    ASSERT_INVALID(PARSE("--name", "m0", "--initial-advertise-peer-urls",
                         "http://127.0.1.1:2380", "--initial-cluster", list),
                   "--initial-cluster: too many members (at most 16)");
    list[strrchr(list, ',') - list] = '\0';
    ASSERT_OK(PARSE("--name", "m0", "--initial-advertise-peer-urls",
                    "http://127.0.1.1:2380", "--initial-cluster", list));
    assert_int_equal(f->cfg.n_initial_cluster, CONFIG_MAX_MEMBERS);
}

/* Peer URLs match after normalization (scheme, case, trailing '/'). */
static void testInitialClusterNormalized(void **state)
{
    struct fixture *f = *state;
    ASSERT_OK(PARSE("--name", "n1", "--initial-advertise-peer-urls",
                    "HTTP://Host-1:2380/", "--initial-cluster",
                    " n1 = host-1:2380 , n2=http://host-2:2380"));
    assert_string_equal(f->cfg.initial_cluster[0].name, "n1");
    assert_string_equal(f->cfg.initial_cluster[0].peer.text,
                        "http://host-1:2380");
    assert_string_equal(f->cfg.advertise_peer.text, "http://host-1:2380");
}

/* ---- usage ---- */

/* Usage names every flag, its environment variable and its default. */
static void testUsage(void **state)
{
    static const char *const want[] = {
        "--name 'default'", "ETCFS_NAME", "--data-dir '<name>.etcfs'",
        "ETCFS_DATA_DIR", "--listen-client-urls 'http://127.0.0.1:2379'",
        "ETCFS_LISTEN_CLIENT_URLS", "--advertise-client-urls",
        "ETCFS_ADVERTISE_CLIENT_URLS",
        "--listen-peer-urls 'http://127.0.0.1:2380'", "ETCFS_LISTEN_PEER_URLS",
        "--initial-advertise-peer-urls", "ETCFS_INITIAL_ADVERTISE_PEER_URLS",
        "--initial-cluster ", "ETCFS_INITIAL_CLUSTER, ETCD_INITIAL_CLUSTER\n",
        "--initial-cluster-state 'new'", "ETCFS_INITIAL_CLUSTER_STATE",
        "--initial-cluster-token 'etcd-cluster'", "ETCFS_INITIAL_CLUSTER_TOKEN",
        "--heartbeat-interval 100", "ETCFS_HEARTBEAT_INTERVAL",
        "--election-timeout 1000", "ETCFS_ELECTION_TIMEOUT",
        "--snapshot-count 100000", "ETCFS_SNAPSHOT_COUNT", "--mount ''",
        "ETCFS_MOUNT, ETCD_MOUNT\n", "--mount-prefix '/'", "ETCFS_MOUNT_PREFIX",
        "--mount-consistency 'linearizable'", "ETCFS_MOUNT_CONSISTENCY",
        "--max-request-bytes 1572864", "ETCFS_MAX_REQUEST_BYTES",
        "--quota-backend-bytes 2147483648", "ETCFS_QUOTA_BACKEND_BYTES",
        "--max-txn-ops 128", "ETCFS_MAX_TXN_OPS", "--log-level 'info'",
        "ETCFS_LOG_LEVEL", "--config-file", "ETCFS_CONFIG_FILE", "--help",
        "--version"};
    struct fixture *f = *state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    size_t i;
    (void)f;
    assert_non_null(out);
    configUsage(out);
    assert_int_equal(fclose(out), 0);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (strstr(text, want[i]) == NULL) {
            fail_msg("usage lacks \"%s\"", want[i]);
        }
    }
    free(text);
}

/* ---- the flag table ---- */

/* Every row is complete: name, help, group, a default to show, and a field
 * inside struct config of the size its type writes. */
static void testTableRows(void **state)
{
    int id;
    (void)state;
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        const struct config_flag *fl = &configFlags[id];
        assert_non_null(fl->flag);
        assert_non_null(fl->group);
        assert_non_null(fl->help);
        assert_true(fl->def != NULL || fl->shown != NULL);
        assert_true(fl->offset + fl->size <= sizeof(struct config));
        switch (fl->type) {
            case CONFIG_TYPE_UINT:
                assert_int_equal(fl->size, sizeof(unsigned));
                assert_true(fl->min <= fl->max);
                break;
            case CONFIG_TYPE_UINT64:
                assert_int_equal(fl->size, sizeof(uint64_t));
                assert_true(fl->min <= fl->max);
                break;
            case CONFIG_TYPE_BOOL:
                assert_int_equal(fl->size, sizeof(bool));
                break;
            case CONFIG_TYPE_ENUM:
                assert_int_equal(fl->size, sizeof(int));
                assert_non_null(fl->choices);
                break;
            case CONFIG_TYPE_URL:
                assert_int_equal(fl->size, sizeof(struct config_url));
                break;
            case CONFIG_TYPE_URLS:
            case CONFIG_TYPE_CLUSTER:
                assert_true(fl->count_offset + sizeof(unsigned) <=
                            sizeof(struct config));
                break;
            default:
                break;
        }
    }
}

/* Each flag's first environment name is ETCFS_<UPPER_SNAKE of the flag>,
 * and the lookups find every name of the table. */
static void testTableNames(void **state)
{
    int id;
    (void)state;
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        const struct config_flag *fl = &configFlags[id];
        char want[64];
        const char *name;
        size_t i;
        unsigned k;
        assert_int_equal(configFlagByArg(fl->flag, strlen(fl->flag)), id);
        if (fl->alias != NULL) {
            assert_int_equal(configFlagByArg(fl->alias, strlen(fl->alias)),
                             id);
        }
        if (fl->names[0] == NULL) {
            /* command line only: no environment, no config-file key */
            assert_int_equal(
                configFlagByName(fl->flag, strlen(fl->flag), true, NULL), -1);
            continue;
        }
        snprintf(want, sizeof want, "ETCFS_%s", fl->flag);
        for (i = 6; want[i] != '\0'; i++) {
            want[i] = want[i] == '-'                        ? '_'
                      : want[i] >= 'a' && want[i] <= 'z' ? (char)(want[i] - 'a' + 'A')
                                                         : want[i];
        }
        assert_string_equal(fl->names[0], want);
        for (k = 0; k < CONFIG_MAX_NAMES && fl->names[k] != NULL; k++) {
            assert_int_equal(configFlagByName(fl->names[k],
                                              strlen(fl->names[k]), false,
                                              &name),
                             id);
            assert_ptr_equal(name, fl->names[k]);
        }
        assert_int_equal(
            configFlagByName(fl->flag, strlen(fl->flag), false, NULL), -1);
        assert_int_equal(
            configFlagByName(fl->flag, strlen(fl->flag), true, &name), id);
        assert_null(name);
    }
}

/* A value the flag accepts that is not its default, and passes the rules
 * between flags with every other flag at its default. */
static const char *sampleValue(int id)
{
    const struct config_flag *fl = &configFlags[id];
    int n;
    switch (fl->type) {
        case CONFIG_TYPE_STRING:
        case CONFIG_TYPE_ENUM:
            if (fl->choices != NULL) {
                for (n = 0; fl->choices[n + 1] != NULL; n++) {
                }
                if (n == 0 && fl->def != NULL &&
                    strcmp(fl->choices[0], fl->def) == 0) {
                    return NULL; /* one choice, the default (auth-token) */
                }
                return fl->choices[n]; /* the last: never a default here */
            }
            if (id == CONFIG_FLAG_AUTO_COMPACTION_RETENTION) {
                return "3"; /* hours, or revisions */
            }
            if (id == CONFIG_FLAG_AUTO_COMPACTION_INTERVAL) {
                return "30s";
            }
            return fl->check & CONFIG_CHECK_MEMBER_NAME ? "n1" : "/s";
        case CONFIG_TYPE_UINT:
        case CONFIG_TYPE_UINT64:
            /* at most a fifth of the default election timeout */
            if (id == CONFIG_FLAG_BCRYPT_COST) {
                return "12";
            }
            if (id == CONFIG_FLAG_HEARTBEAT_INTERVAL) {
                return "150";
            }
            /* within the flag's bounds (--max-learners: at most 1000,
             * --mirror-feed-bytes: at least 4096) */
            if (fl->max != 0 && fl->max < 2000) {
                return "7";
            }
            if (fl->min > 2000) {
                static char buf[32];
                snprintf(buf, sizeof buf, "%llu",
                         (unsigned long long)fl->min * 2);
                return buf;
            }
            return "2000";
        case CONFIG_TYPE_URLS:
            return "http://10.0.0.9:2379";
        case CONFIG_TYPE_URL:
            return "http://10.0.0.9:2380";
        case CONFIG_TYPE_CLUSTER:
            return "default=http://127.0.0.1:2380,b=http://10.0.0.8:2380";
        default:
            return NULL;
    }
}

/* Overwrites the file at path with text. */
static void rewriteFile(const char *path, const char *text)
{
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    assert_int_equal(fputs(text, out) >= 0, 1);
    assert_int_equal(fclose(out), 0);
}

/* --flag=v, each environment name NAME=v, and config-file lines flag=v and
 * NAME=v all write the same bytes into the flag's field, which differ from
 * its default. */
static void testTableSourcesAgree(void **state)
{
    struct fixture *f = *state;
    const char *path = writeFile(f, "");
    static struct config defaults;
    static struct config want;
    char arg[256];
    char line[256];
    char cfgfile[128];
    int id;
    snprintf(cfgfile, sizeof cfgfile, "--config-file=%s", path);
    ASSERT_OK(parse(f, NULL, (char *)NULL));
    defaults = f->cfg;
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        const struct config_flag *fl = &configFlags[id];
        const char *value = sampleValue(id);
        unsigned k;
        if (value == NULL || fl->names[0] == NULL) {
            continue; /* the config file itself, switches */
        }
        snprintf(arg, sizeof arg, "--%s=%s", fl->flag, value);
        ASSERT_OK(PARSE(arg));
        want = f->cfg;
        if (memcmp((char *)&want + fl->offset, (char *)&defaults + fl->offset,
                   fl->size) == 0) {
            fail_msg("--%s=%s left the default", fl->flag, value);
        }

        snprintf(line, sizeof line, "%s=%s\n", fl->flag, value);
        rewriteFile(path, line);
        ASSERT_OK(PARSE(cfgfile));
        assert_memory_equal((char *)&f->cfg + fl->offset,
                            (char *)&want + fl->offset, fl->size);

        for (k = 0; k < CONFIG_MAX_NAMES && fl->names[k] != NULL; k++) {
            char *env[] = {line, NULL};
            snprintf(line, sizeof line, "%s=%s", fl->names[k], value);
            ASSERT_OK(parse(f, env, (char *)NULL));
            assert_memory_equal((char *)&f->cfg + fl->offset,
                                (char *)&want + fl->offset, fl->size);
            strcat(line, "\n");
            rewriteFile(path, line);
            ASSERT_OK(PARSE(cfgfile));
            assert_memory_equal((char *)&f->cfg + fl->offset,
                                (char *)&want + fl->offset, fl->size);
        }
    }
}

/* No abbreviation of a flag is taken for it (getopt_long would). */
static void testTableNoAbbreviations(void **state)
{
    struct fixture *f = *state;
    char arg[128];
    char want[160];
    int id;
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        const char *flag = configFlags[id].flag;
        size_t len = strlen(flag) - 1;
        if (configFlagByArg(flag, len) >= 0) {
            continue; /* the shorter name is a flag of its own */
        }
        snprintf(arg, sizeof arg, "--%.*s=1", (int)len, flag);
        snprintf(want, sizeof want, "unknown flag: --%.*s", (int)len, flag);
        ASSERT_INVALID(PARSE(arg), want);
        snprintf(arg, sizeof arg, "-%.*s", (int)len, flag);
        snprintf(want, sizeof want, "unknown flag: -%.*s", (int)len, flag);
        ASSERT_INVALID(PARSE(arg, "1"), want);
    }
}

/* A parse that fails half-way through argv leaves nothing behind for the
 * next one (getopt's state is reset). */
static void testArgvStateReset(void **state)
{
    struct fixture *f = *state;
    ASSERT_INVALID(PARSE("--name", "a", "-+", "x"), "unknown flag: -+");
    ASSERT_OK(PARSE("--name", "b"));
    assert_string_equal(f->cfg.name, "b");
    ASSERT_INVALID(PARSE("--name", "a", "stray", "--data-dir", "/d"),
                   "unexpected argument \"stray\"");
    ASSERT_OK(PARSE("--data-dir", "/d"));
    assert_string_equal(f->cfg.name, "default");
    assert_string_equal(f->cfg.data_dir, "/d");
}

/* --help shows every row: its flag, its default, its help text and its
 * environment names (or that it is command line only). */
static void testUsageFromTable(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    char want[512];
    int id;
    (void)state;
    assert_non_null(out);
    configUsage(out);
    assert_int_equal(fclose(out), 0);
    for (id = 0; id < CONFIG_N_FLAGS; id++) {
        const struct config_flag *fl = &configFlags[id];
        unsigned k;
        if (fl->type == CONFIG_TYPE_BOOL) {
            snprintf(want, sizeof want, "\n  --%s\n    %s\n", fl->flag,
                     fl->help);
        } else if (fl->shown != NULL) {
            snprintf(want, sizeof want, "\n  --%s %s\n    %s\n", fl->flag,
                     fl->shown, fl->help);
        } else if (fl->type == CONFIG_TYPE_UINT ||
                   fl->type == CONFIG_TYPE_UINT64) {
            snprintf(want, sizeof want, "\n  --%s %s\n    %s\n", fl->flag,
                     fl->def, fl->help);
        } else {
            snprintf(want, sizeof want, "\n  --%s '%s'\n    %s\n", fl->flag,
                     fl->def, fl->help);
        }
        if (strstr(text, want) == NULL) {
            fail_msg("usage lacks \"%s\"", want);
        }
        if (fl->names[0] == NULL) {
            snprintf(want, sizeof want, "%s\n    command line only\n",
                     fl->help);
            assert_non_null(strstr(text, want));
        }
        for (k = 0; k < CONFIG_MAX_NAMES && fl->names[k] != NULL; k++) {
            snprintf(want, sizeof want, " %s%s", fl->names[k],
                     k + 1 < CONFIG_MAX_NAMES && fl->names[k + 1] != NULL
                         ? ","
                         : "\n");
            assert_non_null(strstr(text, want));
        }
    }
    free(text);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setUp, tearDown)
    const struct CMUnitTest tests[] = {
        T(testDefaults),
        T(testForeignEnvironmentIgnored),
        T(testEtcdEnvironment),
        T(testEtcdConfigFile),
        T(testAutoCompaction),
        T(testYamlConfigFile),
        T(testNameDerivesDefaults),
        T(testDataDirFollowsFinalName),
        T(testFlagSyntaxes),
        T(testAllFlags),
        T(testHelpAndVersion),
        T(testPrecedence),
        T(testConfigFileChoice),
        T(testEnvironment),
        T(testConfigFileSyntax),
        T(testConfigFileEmpty),
        T(testConfigFileErrors),
        T(testConfigFileErrors2),
        T(testFlagErrors),
        T(testNumberErrors),
        T(testQuotaZeroIsDefault),
        T(testTimingRules),
        T(testChoiceErrors),
        T(testLengthErrors),
        T(testEnvironmentErrors),
        T(testParseUrl),
        T(testParseUrlErrors),
        T(testUrlFlags),
        T(testIpv6Member),
        T(testAdvertiseDefaults),
        T(testInitialClusterErrors),
        T(testInitialClusterNormalized),
        T(testUsage),
        T(testTableRows),
        T(testTableNames),
        T(testTableSourcesAgree),
        T(testTableNoAbbreviations),
        T(testArgvStateReset),
        T(testUsageFromTable),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
