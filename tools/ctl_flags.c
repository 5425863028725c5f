/* etcfsctl flags: the global and command-local flag tables, cobra/pflag
 * compatible parsing of a command line against one command's flag set (flags
 * before or after the command, --flag=value and --flag value, shorthand
 * -w json / -wjson, "--"), pflag's error texts, environment defaults
 * (ETCFSCTL_* then ETCDCTL_*), the flag part of the help, and etcdctl's
 * argify for lines of txn and watch -i. Which command a word names is
 * etcfsctl.c's business. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_flags.h"
#include "ctl.h"
#include "ctl_go.h"
#include "ctl_util.h"

enum ctl_flag_type
{
    CTL_F_BOOL,
    CTL_F_STRING,
    CTL_F_INT64,
    CTL_F_DURATION,
    CTL_F_SLICE,
    CTL_F_IGNORED_BOOL,
    CTL_F_IGNORED_DURATION
};

struct ctl_flag
{
    const char *name;
    char shorthand;
    enum ctl_flag_type type;
    size_t offset;
    const char *defval; /* shown in help */
    const char *usage;
    /* the name commands list it by when two flags share a name (user
     * add's --interactive is not txn's); NULL: the name */
    const char *id;
};

static const char *ctlFlagId(const struct ctl_flag *f)
{
    return f->id != NULL ? f->id : f->name;
}

#define CTL_OFF(f) offsetof(struct ctl_options, f)

static const struct ctl_flag ctlGlobalFlags[] = {
    {"endpoints", 0, CTL_F_SLICE, CTL_OFF(endpoints), "[127.0.0.1:2379]", "gRPC endpoints"},
    {"write-out", 'w', CTL_F_STRING, CTL_OFF(write_out), "\"simple\"",
     "set the output format (fields, json, protobuf, simple, table)"},
    {"hex", 0, CTL_F_BOOL, CTL_OFF(hex), "false", "print byte strings as hex encoded strings"},
    {"dial-timeout", 0, CTL_F_DURATION, CTL_OFF(dial_timeout_ms), "2s",
     "dial timeout for client connections"},
    {"command-timeout", 0, CTL_F_DURATION, CTL_OFF(command_timeout_ms), "5s",
     "timeout for short running command (excluding dial timeout)"},
    {"help", 'h', CTL_F_BOOL, CTL_OFF(help), "false", "help for etcfsctl"},
    {"version", 0, CTL_F_BOOL, CTL_OFF(version), "false", "print the version and exit"},
    {"debug", 0, CTL_F_IGNORED_BOOL, 0, "false", "enable client-side debug logging (no-op)"},
    {"cacert", 0, CTL_F_STRING, CTL_OFF(cacert), "\"\"",
     "verify certificates of TLS-enabled secure servers using this CA bundle"},
    {"cert", 0, CTL_F_STRING, CTL_OFF(cert), "\"\"",
     "identify secure client using this TLS certificate file"},
    {"key", 0, CTL_F_STRING, CTL_OFF(key), "\"\"",
     "identify secure client using this TLS key file"},
    {"insecure-skip-tls-verify", 0, CTL_F_BOOL, CTL_OFF(insecure_skip_tls_verify),
     "false",
     "skip server certificate verification (CAUTION: this option should be "
     "enabled only for testing purposes)"},
    {"insecure-transport", 0, CTL_F_IGNORED_BOOL, 0, "true",
     "disable transport security for client connections"},
    {"keepalive-time", 0, CTL_F_IGNORED_DURATION, 0, "2s",
     "keepalive time for client connections (no-op)"},
    {"keepalive-timeout", 0, CTL_F_IGNORED_DURATION, 0, "6s",
     "keepalive timeout for client connections (no-op)"},
    {"user", 0, CTL_F_STRING, CTL_OFF(user), "\"\"",
     "username[:password] for authentication (prompt if password is not supplied)"},
    {"password", 0, CTL_F_STRING, CTL_OFF(password), "\"\"",
     "password for authentication (if this option is used, --user option shouldn't include "
     "password)"},
};

static const struct ctl_flag ctlLocalFlags[] = {
    {"consistency", 0, CTL_F_STRING, CTL_OFF(consistency), "\"l\"",
     "Linearizable(l) or Serializable(s)"},
    {"order", 0, CTL_F_STRING, CTL_OFF(order), "\"\"",
     "Order of results; ASCEND or DESCEND (ASCEND by default)"},
    {"sort-by", 0, CTL_F_STRING, CTL_OFF(sort_by), "\"\"",
     "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION"},
    {"limit", 0, CTL_F_INT64, CTL_OFF(limit), "0", "Maximum number of results"},
    {"prefix", 0, CTL_F_BOOL, CTL_OFF(prefix), "false", "Operate on keys with matching prefix"},
    {"from-key", 0, CTL_F_BOOL, CTL_OFF(from_key), "false",
     "Keys that are greater than or equal to the given key using byte compare"},
    {"rev", 0, CTL_F_INT64, CTL_OFF(rev), "0", "Specify the kv revision"},
    {"keys-only", 0, CTL_F_BOOL, CTL_OFF(keys_only), "false", "Get only the keys"},
    {"count-only", 0, CTL_F_BOOL, CTL_OFF(count_only), "false", "Get only the count"},
    {"print-value-only", 0, CTL_F_BOOL, CTL_OFF(print_value_only), "false",
     "Only write values when using the \"simple\" output format"},
    {"lease", 0, CTL_F_STRING, CTL_OFF(lease), "\"0\"",
     "lease ID (in hexadecimal) to attach to the key"},
    {"prev-kv", 0, CTL_F_BOOL, CTL_OFF(prev_kv), "false",
     "return (or watch) the previous key-value pair"},
    {"ignore-value", 0, CTL_F_BOOL, CTL_OFF(ignore_value), "false",
     "updates the key using its current value"},
    {"ignore-lease", 0, CTL_F_BOOL, CTL_OFF(ignore_lease), "false",
     "updates the key using its current lease"},
    {"interactive", 'i', CTL_F_BOOL, CTL_OFF(interactive), "false", "Interactive mode"},
    {"physical", 0, CTL_F_BOOL, CTL_OFF(physical), "false",
     "'true' to wait for compaction to physically remove all old revisions"},
    {"keys", 0, CTL_F_BOOL, CTL_OFF(keys), "false", "Get keys attached to this lease"},
    {"once", 0, CTL_F_BOOL, CTL_OFF(once), "false",
     "Resets the keep-alive time to its original value and exits immediately"},
    {"cluster", 0, CTL_F_BOOL, CTL_OFF(cluster), "false",
     "use all endpoints from the cluster member list"},
    {"peer-urls", 0, CTL_F_STRING, CTL_OFF(peer_urls), "\"\"", "comma separated peer URLs"},
    {"learner", 0, CTL_F_BOOL, CTL_OFF(learner), "false",
     "indicates if the new member is raft learner"},
    {"data-dir", 0, CTL_F_STRING, CTL_OFF(data_dir), "\"\"", "Path to the data directory"},
    {"wal-dir", 0, CTL_F_STRING, CTL_OFF(wal_dir), "\"\"", "Unused by etcfs (accepted)"},
    {"name", 0, CTL_F_STRING, CTL_OFF(name), "\"default\"", "Human-readable name for this member"},
    {"initial-cluster", 0, CTL_F_STRING, CTL_OFF(initial_cluster),
     "\"default=http://localhost:2380\"", "Initial cluster configuration for restore bootstrap"},
    {"initial-cluster-token", 0, CTL_F_STRING, CTL_OFF(initial_cluster_token),
     "\"etcd-cluster\"", "Initial cluster token for the etcd cluster during restore bootstrap"},
    {"initial-advertise-peer-urls", 0, CTL_F_STRING, CTL_OFF(initial_advertise_peer_urls),
     "\"http://localhost:2380\"", "List of this member's peer URLs to advertise"},
    {"skip-hash-check", 0, CTL_F_BOOL, CTL_OFF(skip_hash_check), "false",
     "Ignore snapshot integrity hash value"},
    {"interactive", 0, CTL_F_BOOL, CTL_OFF(password_interactive), "true",
     "Read password from stdin instead of interactive terminal", "interactive/user-add"},
    {"interactive", 0, CTL_F_BOOL, CTL_OFF(password_interactive), "true",
     "If true, read password from stdin instead of interactive terminal", "interactive/passwd"},
    {"new-user-password", 0, CTL_F_STRING, CTL_OFF(new_user_password), "\"\"",
     "Supply password from the command line flag"},
    {"no-password", 0, CTL_F_BOOL, CTL_OFF(no_password), "false",
     "Create a user without password (CN based auth only)"},
    {"detail", 0, CTL_F_BOOL, CTL_OFF(detail), "false",
     "Show permissions of roles granted to the user"},
};

/* ---- flags ---- */

static const struct ctl_flag *ctlFindFlag(const struct ctl_command *cmd, const char *name,
                                          size_t len, char shorthand, bool localOnly)
{
    for (size_t i = 0; !localOnly && i < sizeof(ctlGlobalFlags) / sizeof(ctlGlobalFlags[0]); i++)
    {
        const struct ctl_flag *f = &ctlGlobalFlags[i];
        if (shorthand ? f->shorthand == shorthand
                      : (strlen(f->name) == len && strncmp(f->name, name, len) == 0))
        {
            return f;
        }
    }
    if (cmd == NULL || cmd->flags == NULL)
    {
        return NULL;
    }
    for (size_t k = 0; cmd->flags[k] != NULL; k++)
    {
        for (size_t i = 0; i < sizeof(ctlLocalFlags) / sizeof(ctlLocalFlags[0]); i++)
        {
            const struct ctl_flag *f = &ctlLocalFlags[i];
            if (strcmp(ctlFlagId(f), cmd->flags[k]) != 0)
            {
                continue;
            }
            if (shorthand ? f->shorthand == shorthand
                          : (strlen(f->name) == len && strncmp(f->name, name, len) == 0))
            {
                return f;
            }
        }
    }
    return NULL;
}

/* Any flag of any command (used to find the command words in pass 1). */
static const struct ctl_flag *ctlFindAnyFlag(const char *name, size_t len, char shorthand)
{
    const struct ctl_flag *f = ctlFindFlag(NULL, name, len, shorthand, false);
    if (f != NULL)
    {
        return f;
    }
    for (size_t i = 0; i < sizeof(ctlLocalFlags) / sizeof(ctlLocalFlags[0]); i++)
    {
        const struct ctl_flag *lf = &ctlLocalFlags[i];
        if (shorthand ? lf->shorthand == shorthand
                      : (strlen(lf->name) == len && strncmp(lf->name, name, len) == 0))
        {
            return lf;
        }
    }
    return NULL;
}

static bool ctlFlagIsBool(const struct ctl_flag *f)
{
    return f->type == CTL_F_BOOL || f->type == CTL_F_IGNORED_BOOL;
}

static int ctlFlagInvalid(const struct ctl_flag *f, const char *value, const char *why,
                          char *err, size_t errlen)
{
    if (f->shorthand)
    {
        snprintf(err, errlen, "invalid argument \"%s\" for \"-%c, --%s\" flag: %s", value,
                 f->shorthand, f->name, why);
    }
    else
    {
        snprintf(err, errlen, "invalid argument \"%s\" for \"--%s\" flag: %s", value, f->name,
                 why);
    }
    return -1;
}

/* Splits a comma separated list (pflag StringSlice, without CSV quoting). */
static void ctlSplitList(const char *value, char ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (value[0] == '\0')
    {
        return;
    }
    const char *start = value;
    for (const char *p = value;; p++)
    {
        if (*p == ',' || *p == '\0')
        {
            const char *a = start;
            const char *e = p;
            while (a < e && (*a == ' ' || *a == '\t'))
            {
                a++;
            }
            while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
            {
                e--;
            }
            *out = ctlRealloc(*out, (*count + 1) * sizeof(char *));
            (*out)[(*count)++] = ctlStrndup(a, (size_t)(e - a));
            start = p + 1;
            if (*p == '\0')
            {
                break;
            }
        }
    }
}

static int ctlFlagSet(struct ctl_options *o, struct ctl_parse_state *st,
                      const struct ctl_flag *f, const char *value, char *err, size_t errlen)
{
    char why[256];
    char *base = (char *)o;
    switch (f->type)
    {
    case CTL_F_BOOL:
    {
        bool v = false;
        if (ctlParseBool(value, &v) != 0)
        {
            snprintf(why, sizeof(why), "strconv.ParseBool: parsing \"%s\": invalid syntax", value);
            return ctlFlagInvalid(f, value, why, err, errlen);
        }
        *(bool *)(base + f->offset) = v;
        if (strcmp(f->name, "hex") == 0)
        {
            st->hex_set = true;
        }
        break;
    }
    case CTL_F_IGNORED_BOOL:
    {
        bool v = false;
        if (ctlParseBool(value, &v) != 0)
        {
            snprintf(why, sizeof(why), "strconv.ParseBool: parsing \"%s\": invalid syntax", value);
            return ctlFlagInvalid(f, value, why, err, errlen);
        }
        break;
    }
    case CTL_F_STRING:
    {
        char **slot = (char **)(base + f->offset);
        free(*slot);
        *slot = ctlStrdup(value);
        if (strcmp(f->name, "write-out") == 0)
        {
            st->write_out_set = true;
        }
        if (strcmp(f->name, "user") == 0)
        {
            st->user_set = true;
        }
        if (strcmp(f->name, "password") == 0)
        {
            st->password_set = true;
        }
        break;
    }
    case CTL_F_INT64:
    {
        int64_t v = 0;
        if (ctlParseInt64(value, 10, &v, why, sizeof(why)) != 0)
        {
            return ctlFlagInvalid(f, value, why, err, errlen);
        }
        *(int64_t *)(base + f->offset) = v;
        break;
    }
    case CTL_F_DURATION:
    case CTL_F_IGNORED_DURATION:
    {
        int64_t ms = 0;
        if (ctlParseDuration(value, &ms, why, sizeof(why)) != 0)
        {
            return ctlFlagInvalid(f, value, why, err, errlen);
        }
        if (f->type == CTL_F_DURATION)
        {
            *(int64_t *)(base + f->offset) = ms;
            if (strcmp(f->name, "command-timeout") == 0)
            {
                o->command_timeout_set = true;
            }
            if (strcmp(f->name, "dial-timeout") == 0)
            {
                st->dial_set = true;
            }
        }
        break;
    }
    case CTL_F_SLICE:
    {
        char **items = NULL;
        size_t count = 0;
        ctlSplitList(value, &items, &count);
        if (!st->endpoints_set)
        {
            for (size_t i = 0; i < o->endpoint_count; i++)
            {
                free(o->endpoints[i]);
            }
            free(o->endpoints);
            o->endpoints = NULL;
            o->endpoint_count = 0;
            st->endpoints_set = true;
        }
        o->endpoints = ctlRealloc(o->endpoints, (o->endpoint_count + count + 1) * sizeof(char *));
        for (size_t i = 0; i < count; i++)
        {
            o->endpoints[o->endpoint_count++] = items[i];
        }
        free(items);
        break;
    }
    }
    return 0;
}

static void ctlFlagsPrint(const struct ctl_flag *f, size_t n, const char *const *only)
{
    for (size_t i = 0; i < n; i++)
    {
        if (only != NULL)
        {
            bool found = false;
            for (size_t k = 0; only[k] != NULL; k++)
            {
                if (strcmp(only[k], ctlFlagId(&f[i])) == 0)
                {
                    found = true;
                }
            }
            if (!found)
            {
                continue;
            }
        }
        char left[96];
        if (f[i].shorthand)
        {
            snprintf(left, sizeof(left), "  -%c, --%s=%s", f[i].shorthand, f[i].name,
                     f[i].defval);
        }
        else
        {
            snprintf(left, sizeof(left), "      --%s=%s", f[i].name, f[i].defval);
        }
        printf("%-48s %s\n", left, f[i].usage);
    }
}

void ctlFlagsPrintLocal(const char *const *names)
{
    ctlFlagsPrint(ctlLocalFlags, sizeof(ctlLocalFlags) / sizeof(ctlLocalFlags[0]), names);
}

void ctlFlagsPrintGlobal(void)
{
    ctlFlagsPrint(ctlGlobalFlags, sizeof(ctlGlobalFlags) / sizeof(ctlGlobalFlags[0]), NULL);
}

bool ctlFlagTakesValue(const char *name, size_t len, char shorthand)
{
    const struct ctl_flag *f = ctlFindAnyFlag(name, len, shorthand);
    return f != NULL && !ctlFlagIsBool(f);
}

static const char *ctlEnv(const char *suffix)
{
    char name[96];
    snprintf(name, sizeof(name), "ETCFSCTL_%s", suffix);
    const char *v = getenv(name);
    if (v != NULL && v[0] != '\0')
    {
        return v;
    }
    snprintf(name, sizeof(name), "ETCDCTL_%s", suffix);
    v = getenv(name);
    if (v != NULL && v[0] != '\0')
    {
        return v;
    }
    return NULL;
}

void ctlEnvDefaults(struct ctl_options *o, struct ctl_parse_state *st)
{
    static const struct
    {
        const char *env;
        const char *flag;
    } vars[] = {{"ENDPOINTS", "endpoints"},       {"WRITE_OUT", "write-out"},
                {"HEX", "hex"},                   {"DIAL_TIMEOUT", "dial-timeout"},
                {"COMMAND_TIMEOUT", "command-timeout"}, {"USER", "user"},
                {"PASSWORD", "password"}};
    bool set[] = {st->endpoints_set, st->write_out_set, st->hex_set,    st->dial_set,
                  o->command_timeout_set, st->user_set, st->password_set};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
    {
        const char *v = set[i] ? NULL : ctlEnv(vars[i].env);
        const struct ctl_flag *f = ctlFindFlag(NULL, vars[i].flag, strlen(vars[i].flag), 0, false);
        char err[512];
        if (v != NULL && ctlFlagSet(o, st, f, v, err, sizeof(err)) != 0)
        {
            ctlFatal(CTL_EXIT_ERROR, "invalid value %s for ETCDCTL_%s: %s", v, vars[i].env, err);
        }
    }
    /* etcdctl's TLS variables: a flag left at its default takes them */
    static const struct
    {
        const char *env;
        const char *flag;
    } tls[] = {{"CACERT", "cacert"},
               {"CERT", "cert"},
               {"KEY", "key"},
               {"INSECURE_SKIP_TLS_VERIFY", "insecure-skip-tls-verify"}};
    const bool unset[] = {o->cacert == NULL || o->cacert[0] == '\0',
                          o->cert == NULL || o->cert[0] == '\0',
                          o->key == NULL || o->key[0] == '\0', !o->insecure_skip_tls_verify};
    for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++)
    {
        const char *v = unset[i] ? ctlEnv(tls[i].env) : NULL;
        const struct ctl_flag *f = ctlFindFlag(NULL, tls[i].flag, strlen(tls[i].flag), 0, false);
        char err[512];
        if (v != NULL && ctlFlagSet(o, st, f, v, err, sizeof(err)) != 0)
        {
            ctlFatal(CTL_EXIT_ERROR, "invalid value %s for ETCDCTL_%s: %s", v, tls[i].env, err);
        }
    }
}

void ctlOptionsInit(struct ctl_options *o)
{
    memset(o, 0, sizeof(*o));
    o->endpoints = ctlMalloc(sizeof(char *));
    o->endpoints[0] = ctlStrdup("127.0.0.1:2379");
    o->endpoint_count = 1;
    o->write_out = ctlStrdup("simple");
    o->dial_timeout_ms = 2000;
    o->command_timeout_ms = 5000;
    o->dashdash_index = SIZE_MAX;
    o->consistency = ctlStrdup("l");
    o->order = ctlStrdup("");
    o->sort_by = ctlStrdup("");
    o->lease = ctlStrdup("0");
    o->peer_urls = ctlStrdup("");
    o->data_dir = ctlStrdup("");
    o->wal_dir = ctlStrdup("");
    o->name = ctlStrdup("default");
    o->initial_cluster = ctlStrdup("default=http://localhost:2380");
    o->initial_cluster_token = ctlStrdup("etcd-cluster");
    o->initial_advertise_peer_urls = ctlStrdup("http://localhost:2380");
    o->user = ctlStrdup("");
    o->password = ctlStrdup("");
    o->password_interactive = true;
    o->new_user_password = ctlStrdup("");
    o->args = ctlMalloc(sizeof(char *));
    o->args[0] = NULL;
}

static void ctlAddArg(struct ctl_options *o, const char *a)
{
    o->args = ctlRealloc(o->args, (o->arg_count + 2) * sizeof(char *));
    o->args[o->arg_count++] = ctlStrdup(a);
    o->args[o->arg_count] = NULL;
}

/* Pass 2: parses every flag against the command's flag set; the first
 * 'depth' positional words are the command path. Returns 0 or -1 with the
 * error text (pflag's wording). */
int ctlParseArgs(struct ctl_options *o, struct ctl_parse_state *st, int argc,
                        char **argv, const struct ctl_command *cmd, size_t depth,
                        bool localOnly, char *err, size_t errlen)
{
    size_t words = 0;
    for (int i = 1; i < argc; i++)
    {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
        {
            o->dashdash_index = o->arg_count;
            for (i++; i < argc; i++)
            {
                ctlAddArg(o, argv[i]);
            }
            break;
        }
        if (a[0] == '-' && a[1] == '-')
        {
            const char *name = a + 2;
            if (name[0] == '-' || name[0] == '=')
            {
                snprintf(err, errlen, "bad flag syntax: %s", a);
                return -1;
            }
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const struct ctl_flag *f = ctlFindFlag(cmd, name, len, 0, localOnly);
            int rc = 0;
            if (f == NULL)
            {
                snprintf(err, errlen, "unknown flag: --%.*s", (int)len, name);
                return -1;
            }
            if (eq != NULL)
            {
                rc = ctlFlagSet(o, st, f, eq + 1, err, errlen);
            }
            else if (ctlFlagIsBool(f))
            {
                rc = ctlFlagSet(o, st, f, "true", err, errlen);
            }
            else if (i + 1 < argc)
            {
                rc = ctlFlagSet(o, st, f, argv[++i], err, errlen);
            }
            else
            {
                snprintf(err, errlen, "flag needs an argument: --%s", f->name);
                return -1;
            }
            if (rc != 0)
            {
                return -1;
            }
            continue;
        }
        if (a[0] == '-' && a[1] != '\0')
        {
            size_t n = strlen(a);
            for (size_t k = 1; k < n; k++)
            {
                const struct ctl_flag *f = ctlFindFlag(cmd, NULL, 0, a[k], localOnly);
                int rc = 0;
                if (f == NULL)
                {
                    snprintf(err, errlen, "unknown shorthand flag: '%c' in %s", a[k], a);
                    return -1;
                }
                if (k + 1 < n && a[k + 1] == '=')
                {
                    if (ctlFlagSet(o, st, f, a + k + 2, err, errlen) != 0)
                    {
                        return -1;
                    }
                    break;
                }
                if (ctlFlagIsBool(f))
                {
                    if (ctlFlagSet(o, st, f, "true", err, errlen) != 0)
                    {
                        return -1;
                    }
                    continue;
                }
                if (k + 1 < n)
                {
                    rc = ctlFlagSet(o, st, f, a + k + 1, err, errlen);
                }
                else if (i + 1 < argc)
                {
                    rc = ctlFlagSet(o, st, f, argv[++i], err, errlen);
                }
                else
                {
                    snprintf(err, errlen, "flag needs an argument: '%c' in -%c", a[k], a[k]);
                    return -1;
                }
                if (rc != 0)
                {
                    return -1;
                }
                break;
            }
            continue;
        }
        if (words < depth)
        {
            words++;
            continue;
        }
        ctlAddArg(o, a);
    }
    return 0;
}

/* etcdctl's argify: the regexp "(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?
 * applied leftmost-first, then quotes removed. */
char **ctlArgify(const char *s, size_t *count)
{
    char **args = ctlMalloc(sizeof(char *));
    args[0] = NULL;
    *count = 0;
    size_t i = 0;
    size_t n = strlen(s);
    while (i < n)
    {
        size_t start = i;
        size_t end = 0;
        int kind = 0;
        if (s[i] == '"')
        {
            size_t j = i + 1;
            while (j < n && s[j] != '"')
            {
                if (s[j] == '\\')
                {
                    if (j + 1 >= n || s[j + 1] == '\n')
                    {
                        break;
                    }
                    j++;
                }
                j++;
            }
            if (j < n && s[j] == '"')
            {
                end = j + 1;
                kind = 1;
            }
        }
        if (kind == 0 && s[i] == '\'')
        {
            const char *q = strchr(s + i + 1, '\'');
            if (q != NULL)
            {
                end = (size_t)(q - s) + 1;
                kind = 2;
            }
        }
        if (kind == 0 && s[i] != '\'' && s[i] != '"' && s[i] != ' ' && s[i] != '\t' &&
            s[i] != '\n' && s[i] != '\r' && s[i] != '\v' && s[i] != '\f')
        {
            size_t j = i + 1;
            while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' &&
                   s[j] != '\v' && s[j] != '\f')
            {
                j++;
            }
            end = j;
            kind = 3;
        }
        if (kind == 0)
        {
            i++;
            continue;
        }
        char *arg;
        if (kind == 1)
        {
            struct ctl_buf tmp = {0};
            if (ctlGoUnquote(s + start, end - start, &tmp) != 0)
            {
                ctlFatal(CTL_EXIT_INVALID_INPUT, "invalid syntax");
            }
            arg = tmp.data;
        }
        else if (kind == 2)
        {
            arg = ctlStrndup(s + start + 1, end - start - 2);
        }
        else
        {
            arg = ctlStrndup(s + start, end - start);
        }
        args = ctlRealloc(args, (*count + 2) * sizeof(char *));
        args[(*count)++] = arg;
        args[*count] = NULL;
        i = end;
    }
    return args;
}

