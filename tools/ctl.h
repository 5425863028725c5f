/* etcfsctl's shared types: the options parsed from argv and the
 * environment, etcdctl's exit codes and output formats, and a node of the
 * command tree. etcfsctl is an etcdctl v3 (3.4) work-alike talking to the
 * etcd v3 JSON gateway over HTTP/1.1; each module declares its functions in
 * its own header. Types only. */
#ifndef ETCFS_TOOLS_CTL_H
#define ETCFS_TOOLS_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_VERSION "0.1.0"
#define CTL_API_VERSION "3.4"
#define CTL_NAME "etcfsctl"

/* etcdctl's exit codes (etcdctl/ctlv3/command/error.go). */
#define CTL_EXIT_SUCCESS 0
#define CTL_EXIT_ERROR 1
#define CTL_EXIT_BAD_CONNECTION 2
#define CTL_EXIT_INVALID_INPUT 3
#define CTL_EXIT_BAD_FEATURE 4
#define CTL_EXIT_INTERRUPTED 5
#define CTL_EXIT_IO 6
#define CTL_EXIT_BAD_ARGS 128

enum ctl_output
{
    CTL_OUT_SIMPLE,
    CTL_OUT_JSON,
    CTL_OUT_TABLE,
    CTL_OUT_FIELDS,
    CTL_OUT_PROTOBUF,
    CTL_OUT_INVALID
};

struct ctl_command;

/* The session with the cluster: the credentials --user and --password give
 * (ctlCredentials, ctl_request.c) and the token they bought (ctlLogin,
 * ctl_http.c). The one state that changes while a command runs, reached
 * through a pointer so that commands keep the options const. main() owns
 * it; its strings are malloc'd and live until exit. */
struct ctl_session
{
    bool resolved;  /* name and password are set (from the flags, or asked) */
    char *name;     /* NULL: no --user */
    char *password; /* clientv3 authenticates only with a name and a password */
    bool connected; /* ctlConnect ran: credentials, output check, login */
    char *token;    /* sent as the "Authorization" header; NULL: none */
};

/* Everything parsed from argv and the environment (ctl_flags.c), built in
 * main() and passed down: the program's only state. Its strings and arrays
 * are malloc'd, owned by it and live until exit; commands only read it. */
struct ctl_options
{
    /* global flags */
    char **endpoints;
    size_t endpoint_count;
    char *write_out;
    enum ctl_output output;
    bool hex;
    bool help;
    bool version;
    int64_t dial_timeout_ms;
    int64_t command_timeout_ms;
    bool command_timeout_set;
    /* TLS, as etcdctl's: a CA bundle, a client certificate and key */
    char *cacert;
    char *cert;
    char *key;
    bool insecure_skip_tls_verify;
    /* authentication: --user name[:password], --password */
    char *user;
    char *password;
    struct ctl_session *session; /* NULL in the options of a txn line */

    /* the command and its positional arguments (after the command words) */
    const struct ctl_command *command;
    char **args;
    size_t arg_count;
    /* positional arguments after a literal "--" (watch exec command) */
    size_t dashdash_index; /* index in args where "--" was, or SIZE_MAX */

    /* command-local flags (each command accepts a subset) */
    bool prefix;
    bool from_key;
    bool prev_kv;
    bool keys_only;
    bool count_only;
    bool print_value_only;
    bool ignore_value;
    bool ignore_lease;
    bool physical;
    bool interactive;
    bool keys;
    bool once;
    bool cluster;
    bool learner;
    bool skip_hash_check;
    int64_t limit;
    int64_t rev;
    char *lease;
    char *sort_by;
    char *order;
    char *consistency;
    char *peer_urls;
    char *data_dir;
    char *wal_dir;
    char *name;
    char *initial_cluster;
    char *initial_cluster_token;
    char *initial_advertise_peer_urls;
    /* user add, user passwd, user get */
    bool password_interactive; /* --interactive of user add and passwd (true) */
    bool no_password;
    char *new_user_password;
    bool detail;
};

typedef int (*ctl_run_fn)(struct ctl_options *o);

struct ctl_unary;

/* One node of the command tree. A command either is one request and the
 * print of its answer (unary, run by ctlRunUnary) or has its own code
 * (run); a group (lease, member, ...) has neither. */
struct ctl_command
{
    const char *name;
    const char *parent; /* NULL for top-level commands */
    const char *use;    /* usage line after the program name */
    const char *short_help;
    const char *const *flags; /* local flag names, NULL-terminated */
    ctl_run_fn run;
    const struct ctl_unary *unary;
};

#endif /* ETCFS_TOOLS_CTL_H */
