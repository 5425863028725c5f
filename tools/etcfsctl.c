/* etcfsctl: the control tool of etcfs, an etcdctl v3 (etcd 3.4) look-alike
 * talking to the etcd v3 JSON gateway. This file holds main(), the command
 * tree (each command's words, usage, flag names and entry point), finding
 * the command words among the arguments (cobra's prefix matching), and the
 * help output; the flags themselves are ctl_flags.c's. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "etcfsctl.h"
#include "ctl.h"
#include "ctl_auth.h"
#include "ctl_cluster.h"
#include "ctl_flags.h"
#include "ctl_kv.h"
#include "ctl_lease.h"
#include "ctl_request.h"
#include "ctl_role.h"
#include "ctl_snapshot.h"
#include "ctl_txn.h"
#include "ctl_user.h"
#include "ctl_util.h"
#include "ctl_watch.h"

static const char *const ctlFlagsGet[] = {"consistency", "order", "sort-by", "limit", "prefix",
                                          "from-key", "rev", "keys-only", "count-only",
                                          "print-value-only", NULL};
static const char *const ctlFlagsPut[] = {"lease", "prev-kv", "ignore-value", "ignore-lease",
                                          NULL};
static const char *const ctlFlagsDel[] = {"prefix", "prev-kv", "from-key", NULL};
static const char *const ctlFlagsTxn[] = {"interactive", NULL};
static const char *const ctlFlagsCompaction[] = {"physical", NULL};
static const char *const ctlFlagsWatch[] = {"interactive", "prefix", "rev", "prev-kv", NULL};
static const char *const ctlFlagsTtl[] = {"keys", NULL};
static const char *const ctlFlagsKeepAlive[] = {"once", NULL};
static const char *const ctlFlagsMemberAdd[] = {"peer-urls", "learner", NULL};
static const char *const ctlFlagsMemberUpdate[] = {"peer-urls", NULL};
static const char *const ctlFlagsEndpoint[] = {"cluster", NULL};
static const char *const ctlFlagsHashKV[] = {"cluster", "rev", NULL};
static const char *const ctlFlagsRestore[] = {"data-dir", "wal-dir", "name", "initial-cluster",
                                              "initial-cluster-token",
                                              "initial-advertise-peer-urls", "skip-hash-check",
                                              NULL};
static const char *const ctlFlagsUserAdd[] = {"interactive/user-add", "new-user-password",
                                              "no-password", NULL};
static const char *const ctlFlagsUserGet[] = {"detail", NULL};
static const char *const ctlFlagsUserPasswd[] = {"interactive/passwd", NULL};
static const char *const ctlFlagsRolePerm[] = {"prefix", "from-key", NULL};

static int ctlCmdVersion(struct ctl_options *o)
{
    (void)o;
    printf("%s version: %s\nAPI version: %s\n", CTL_NAME, CTL_VERSION, CTL_API_VERSION);
    return 0;
}

static const struct ctl_command ctlCommands[] = {
    {"get", NULL, "get [options] <key> [range_end]", "Gets the key or a range of keys",
     ctlFlagsGet, NULL, &ctlKvGet},
    {"put", NULL, "put [options] <key> <value> (<value> can also be given from stdin)",
     "Puts the given key into the store", ctlFlagsPut, NULL, &ctlKvPut},
    {"del", NULL, "del [options] <key> [range_end]",
     "Removes the specified key or range of keys [key, range_end)", ctlFlagsDel, NULL, &ctlKvDel},
    {"txn", NULL, "txn [options]", "Txn processes all the requests in one transaction",
     ctlFlagsTxn, NULL, &ctlTxn},
    {"compaction", NULL, "compaction [options] <revision>", "Compacts the event history in etcd",
     ctlFlagsCompaction, NULL, &ctlKvCompaction},
    {"endpoint", NULL, "endpoint <subcommand>", "Endpoint related commands", ctlFlagsEndpoint,
     NULL},
    {"health", "endpoint", "health",
     "Checks the healthiness of endpoints specified in `--endpoints` flag", ctlFlagsEndpoint,
     ctlCmdEndpointHealth},
    {"status", "endpoint", "status",
     "Prints out the status of endpoints specified in `--endpoints` flag", ctlFlagsEndpoint,
     ctlCmdEndpointStatus},
    {"hashkv", "endpoint", "hashkv",
     "Prints the KV history hash for each endpoint in --endpoints", ctlFlagsHashKV,
     ctlCmdEndpointHashKV},
    {"move-leader", NULL, "move-leader <transferee-member-id>",
     "Transfers leadership to another etcd cluster member.", NULL, ctlCmdMoveLeader},
    {"watch", NULL, "watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]",
     "Watches events stream on keys or prefixes", ctlFlagsWatch, ctlCmdWatch},
    {"version", NULL, "version", "Prints the version of etcfsctl", NULL, ctlCmdVersion},
    {"lease", NULL, "lease <subcommand>", "Lease related commands", NULL, NULL},
    {"grant", "lease", "grant <ttl>", "Creates leases", NULL, NULL, &ctlLeaseGrant},
    {"revoke", "lease", "revoke <leaseID>", "Revokes leases", NULL, NULL, &ctlLeaseRevoke},
    {"timetolive", "lease", "timetolive <leaseID> [options]", "Get lease information",
     ctlFlagsTtl, NULL, &ctlLeaseTimeToLive},
    {"list", "lease", "list", "List all active leases", NULL, NULL, &ctlLeaseList},
    {"keep-alive", "lease", "keep-alive [options] <leaseID>", "Keeps leases alive (renew)",
     ctlFlagsKeepAlive, ctlCmdLeaseKeepAlive},
    {"member", NULL, "member <subcommand>", "Membership related commands", NULL, NULL},
    {"add", "member", "add <memberName> [options]", "Adds a member into the cluster",
     ctlFlagsMemberAdd, NULL, &ctlMemberAdd},
    {"remove", "member", "remove <memberID>", "Removes a member from the cluster", NULL,
     NULL, &ctlMemberRemove},
    {"update", "member", "update <memberID> [options]", "Updates a member in the cluster",
     ctlFlagsMemberUpdate, NULL, &ctlMemberUpdate},
    {"list", "member", "list", "Lists all members in the cluster", NULL, NULL, &ctlMemberList},
    {"promote", "member", "promote <memberID>", "Promotes a non-voting member in the cluster",
     NULL, NULL, &ctlMemberPromote},
    {"snapshot", NULL, "snapshot <subcommand>", "Manages etcfs node snapshots", NULL, NULL},
    {"save", "snapshot", "save <filename>", "Stores an etcfs node snapshot to a given file", NULL,
     ctlCmdSnapshotSave},
    {"restore", "snapshot", "restore <filename> [options]",
     "Prepares a data directory that imports a snapshot at first start", ctlFlagsRestore,
     ctlCmdSnapshotRestore},
    {"status", "snapshot", "status <filename>", "Gets snapshot status of a given file", NULL,
     ctlCmdSnapshotStatus},
    {"auth", NULL, "auth <enable or disable>", "Enable or disable authentication", NULL, NULL},
    {"enable", "auth", "enable", "Enables authentication", NULL, ctlCmdAuthEnable},
    {"disable", "auth", "disable", "Disables authentication", NULL, NULL, &ctlAuthDisable},
    {"status", "auth", "status", "Returns authentication status", NULL, NULL, &ctlAuthStatus},
    {"user", NULL, "user <subcommand>", "User related commands", NULL, NULL},
    {"add", "user", "add <user name or user:password> [options]", "Adds a new user",
     ctlFlagsUserAdd, NULL, &ctlUserAdd},
    {"delete", "user", "delete <user name>", "Deletes a user", NULL, NULL, &ctlUserDelete},
    {"get", "user", "get <user name> [options]", "Gets detailed information of a user",
     ctlFlagsUserGet, ctlCmdUserGet},
    {"list", "user", "list", "Lists all users", NULL, NULL, &ctlUserList},
    {"passwd", "user", "passwd <user name> [options]", "Changes password of user",
     ctlFlagsUserPasswd, NULL, &ctlUserPasswd},
    {"grant-role", "user", "grant-role <user name> <role name>", "Grants a role to a user", NULL,
     NULL, &ctlUserGrantRole},
    {"revoke-role", "user", "revoke-role <user name> <role name>", "Revokes a role from a user",
     NULL, NULL, &ctlUserRevokeRole},
    {"role", NULL, "role <subcommand>", "Role related commands", NULL, NULL},
    {"add", "role", "add <role name>", "Adds a new role", NULL, NULL, &ctlRoleAdd},
    {"delete", "role", "delete <role name>", "Deletes a role", NULL, NULL, &ctlRoleDelete},
    {"get", "role", "get <role name>", "Gets detailed information of a role", NULL, NULL,
     &ctlRoleGet},
    {"list", "role", "list", "Lists all roles", NULL, NULL, &ctlRoleList},
    {"grant-permission", "role",
     "grant-permission [options] <role name> <permission type> <key> [endkey]",
     "Grants a key to a role", ctlFlagsRolePerm, NULL, &ctlRoleGrantPermission},
    {"revoke-permission", "role", "revoke-permission <role name> <key> [endkey]",
     "Revokes a key from a role", ctlFlagsRolePerm, NULL, &ctlRoleRevokePermission},
};

#define CTL_COMMAND_COUNT (sizeof(ctlCommands) / sizeof(ctlCommands[0]))

/* ---- command tree ---- */

static bool ctlIsGroup(const struct ctl_command *c)
{
    return c->run == NULL && c->unary == NULL;
}

static bool ctlIsChild(const struct ctl_command *c, const struct ctl_command *parent)
{
    if (parent == NULL)
    {
        return c->parent == NULL;
    }
    return c->parent != NULL && parent->parent == NULL && strcmp(c->parent, parent->name) == 0;
}

static bool ctlHasChildren(const struct ctl_command *parent)
{
    for (size_t i = 0; i < CTL_COMMAND_COUNT; i++)
    {
        if (ctlIsChild(&ctlCommands[i], parent))
        {
            return true;
        }
    }
    return false;
}

/* Exact name, else a unique prefix (cobra.EnablePrefixMatching). */
static const struct ctl_command *ctlFindChild(const struct ctl_command *parent, const char *name)
{
    const struct ctl_command *match = NULL;
    size_t matches = 0;
    for (size_t i = 0; i < CTL_COMMAND_COUNT; i++)
    {
        const struct ctl_command *c = &ctlCommands[i];
        if (!ctlIsChild(c, parent))
        {
            continue;
        }
        if (strcmp(c->name, name) == 0)
        {
            return c;
        }
        if (name[0] != '\0' && strncmp(c->name, name, strlen(name)) == 0)
        {
            match = c;
            matches++;
        }
    }
    return matches == 1 ? match : NULL;
}

/* Pass 1: finds the command words (flags and their values skipped). */
static const struct ctl_command *ctlFindCommand(int argc, char **argv, size_t *depth,
                                                bool *groupHelp)
{
    const struct ctl_command *node = NULL;
    *depth = 0;
    *groupHelp = false;
    for (int i = 1; i < argc; i++)
    {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
        {
            break;
        }
        if (a[0] == '-' && a[1] == '-')
        {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            if (eq == NULL)
            {
                if (ctlFlagTakesValue(name, strlen(name), 0))
                {
                    i++;
                }
            }
            continue;
        }
        if (a[0] == '-' && a[1] != '\0')
        {
            size_t n = strlen(a);
            for (size_t k = 1; k < n; k++)
            {
                if (ctlFlagTakesValue(NULL, 0, a[k]))
                {
                    if (k == n - 1)
                    {
                        i++;
                    }
                    break;
                }
            }
            continue;
        }
        if (node != NULL && !ctlHasChildren(node))
        {
            break; /* a leaf: the rest are its arguments */
        }
        const struct ctl_command *child = ctlFindChild(node, a);
        if (child == NULL)
        {
            if (node == NULL)
            {
                ctlFatal(CTL_EXIT_ERROR, "unknown command \"%s\" for \"%s\"", a, CTL_NAME);
            }
            *groupHelp = true;
            break;
        }
        node = child;
        (*depth)++;
    }
    return node;
}

static void ctlHelp(const struct ctl_command *cmd)
{
    if (cmd == NULL)
    {
        printf("NAME:\n\t%s - A simple command line client for etcfs (etcd v3 API).\n\n", CTL_NAME);
        printf("VERSION:\n\t%s\n\nAPI VERSION:\n\t%s\n\n", CTL_VERSION, CTL_API_VERSION);
        printf("USAGE:\n\t%s [flags] <command> [options]\n\nCOMMANDS:\n", CTL_NAME);
    }
    else
    {
        printf("NAME:\n\t%s - %s\n\n", cmd->name, cmd->short_help);
        printf("USAGE:\n\t%s %s%s%s [flags]\n\n", CTL_NAME, cmd->parent ? cmd->parent : "",
               cmd->parent ? " " : "", cmd->use);
        if (ctlHasChildren(cmd))
        {
            printf("COMMANDS:\n");
        }
    }
    for (size_t i = 0; i < CTL_COMMAND_COUNT; i++)
    {
        const struct ctl_command *c = &ctlCommands[i];
        if (!ctlIsChild(c, cmd))
        {
            continue;
        }
        if (cmd == NULL && ctlIsGroup(c))
        {
            for (size_t k = 0; k < CTL_COMMAND_COUNT; k++)
            {
                const struct ctl_command *s = &ctlCommands[k];
                if (ctlIsChild(s, c))
                {
                    char name[64];
                    snprintf(name, sizeof(name), "%s %s", c->name, s->name);
                    printf("\t%-24s %s\n", name, s->short_help);
                }
            }
            continue;
        }
        printf("\t%-24s %s\n", c->name, c->short_help);
    }
    if (cmd == NULL || ctlHasChildren(cmd))
    {
        printf("\n");
    }
    if (cmd != NULL && cmd->flags != NULL)
    {
        printf("OPTIONS:\n");
        ctlFlagsPrintLocal(cmd->flags);
        printf("\n");
    }
    printf("%s:\n", cmd == NULL ? "OPTIONS" : "GLOBAL OPTIONS");
    ctlFlagsPrintGlobal();
}

int ctlParseCommandLine(const char *cmdName, char **argv, size_t argc, struct ctl_options *o,
                        char *err, size_t errlen)
{
    ctlOptionsInit(o);
    const struct ctl_command *cmd = ctlFindChild(NULL, cmdName);
    if (cmd == NULL)
    {
        snprintf(err, errlen, "unknown command \"%s\"", cmdName);
        return -1;
    }
    /* argv[0] is the command word: parse the line as if it were argv */
    struct ctl_parse_state st;
    memset(&st, 0, sizeof(st));
    char **full = ctlMalloc((argc + 2) * sizeof(char *));
    full[0] = (char *)CTL_NAME;
    for (size_t i = 0; i < argc; i++)
    {
        full[i + 1] = argv[i];
    }
    full[argc + 1] = NULL;
    /* only the command's own flags (no global flags) are accepted */
    int rc = ctlParseArgs(o, &st, (int)argc + 1, full, cmd, 1, true, err, errlen);
    free(full);
    return rc;
}

int ctlParseOpLine(char **argv, size_t argc, struct ctl_options *o, const char **name,
                   char *err, size_t errlen)
{
    if (argc == 0)
    {
        snprintf(err, errlen, "no command");
        return -1;
    }
    static const char *const ops[] = {"put", "get", "del"};
    const char *found = NULL;
    size_t matches = 0;
    for (size_t i = 0; i < 3; i++)
    {
        if (strcmp(argv[0], ops[i]) == 0)
        {
            found = ops[i];
            matches = 1;
            break;
        }
        if (argv[0][0] != '\0' && strncmp(ops[i], argv[0], strlen(argv[0])) == 0)
        {
            found = ops[i];
            matches++;
        }
    }
    if (found == NULL || matches != 1)
    {
        snprintf(err, errlen, "unknown command \"%s\"", argv[0]);
        return -1;
    }
    *name = found;
    return ctlParseCommandLine(found, argv, argc, o, err, errlen);
}

int main(int argc, char **argv)
{
    struct ctl_options opts;
    struct ctl_parse_state st;
    struct ctl_session session;
    char err[1024];
    memset(&st, 0, sizeof(st));
    memset(&session, 0, sizeof(session));
    ctlOptionsInit(&opts);
    opts.session = &session;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    {
        ctlFatal(CTL_EXIT_ERROR, "cannot initialize libcurl");
    }

    size_t depth = 0;
    bool groupHelp = false;
    const struct ctl_command *cmd = ctlFindCommand(argc, argv, &depth, &groupHelp);
    if (ctlParseArgs(&opts, &st, argc, argv, cmd, depth, false, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_ERROR, "%s", err);
    }
    opts.command = cmd;

    if (opts.help)
    {
        ctlHelp(cmd);
        return 0;
    }
    if (opts.version)
    {
        return ctlCmdVersion(&opts);
    }
    if (cmd == NULL || ctlIsGroup(cmd) || groupHelp)
    {
        ctlHelp(cmd);
        return 0;
    }
    ctlEnvDefaults(&opts, &st);

    static const struct
    {
        const char *name;
        enum ctl_output out;
    } formats[] = {{"simple", CTL_OUT_SIMPLE},
                   {"json", CTL_OUT_JSON},
                   {"table", CTL_OUT_TABLE},
                   {"fields", CTL_OUT_FIELDS},
                   {"protobuf", CTL_OUT_PROTOBUF}};
    opts.output = CTL_OUT_INVALID;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
    {
        if (strcmp(opts.write_out, formats[i].name) == 0)
        {
            opts.output = formats[i].out;
        }
    }
    bool offline = strcmp(cmd->name, "version") == 0 ||
                   (cmd->parent != NULL && strcmp(cmd->parent, "snapshot") == 0 &&
                    strcmp(cmd->name, "save") != 0);
    if (opts.endpoint_count == 0 && !offline)
    {
        ctlFatal(CTL_EXIT_BAD_CONNECTION, "etcdclient: no available endpoints");
    }
    int rc = cmd->unary != NULL ? ctlRunUnary(&opts, cmd->unary) : cmd->run(&opts);
    fflush(stdout);
    return rc;
}
