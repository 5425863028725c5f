/* The field lists of etcd messages several commands print (see
 * ctl_schema.h): JSON in rpc.proto / kv.proto order, fields as etcdctl's
 * fieldsPrinter names them. */
#include "ctl_schema.h"

const struct ctl_field ctlHeaderJson[] = {
    {.label = "cluster_id", .from = "cluster_id", .kind = CTL_K_U64},
    {.label = "member_id", .from = "member_id", .kind = CTL_K_U64},
    {.label = "revision", .from = "revision", .kind = CTL_K_I64},
    {.label = "raft_term", .from = "raft_term", .kind = CTL_K_U64},
    CTL_FIELDS_END,
};

const struct ctl_field ctlHeaderFields[] = {
    {.label = "ClusterID", .from = "cluster_id", .kind = CTL_K_U64},
    {.label = "MemberID", .from = "member_id", .kind = CTL_K_U64},
    {.label = "Revision", .from = "revision", .kind = CTL_K_I64},
    {.label = "RaftTerm", .from = "raft_term", .kind = CTL_K_U64},
    CTL_FIELDS_END,
};

/* answers that are only a header (lease revoke, move-leader) */
const struct ctl_field ctlHeaderOnlyJson[] = {
    CTL_HEADER_JSON,
    CTL_FIELDS_END,
};

const struct ctl_field ctlHeaderOnlyFields[] = {
    CTL_HEADER_FIELDS,
    CTL_FIELDS_END,
};

const struct ctl_field ctlKvJson[] = {
    {.label = "key", .from = "key", .kind = CTL_K_BYTES},
    {.label = "create_revision", .from = "create_revision", .kind = CTL_K_I64},
    {.label = "mod_revision", .from = "mod_revision", .kind = CTL_K_I64},
    {.label = "version", .from = "version", .kind = CTL_K_I64},
    {.label = "value", .from = "value", .kind = CTL_K_BYTES},
    {.label = "lease", .from = "lease", .kind = CTL_K_I64},
    CTL_FIELDS_END,
};

/* under the prefix of the field holding it: "Key", "PrevKey" */
const struct ctl_field ctlKvFields[] = {
    {.label = "Key", .from = "key", .kind = CTL_K_BYTES},
    {.label = "CreateRevision", .from = "create_revision", .kind = CTL_K_I64},
    {.label = "ModRevision", .from = "mod_revision", .kind = CTL_K_I64},
    {.label = "Version", .from = "version", .kind = CTL_K_I64},
    {.label = "Value", .from = "value", .kind = CTL_K_BYTES},
    {.label = "Lease", .from = "lease", .kind = CTL_K_I64},
    CTL_FIELDS_END,
};

const struct ctl_field ctlKvSimple[] = {
    {.kind = CTL_K_KV},
    CTL_FIELDS_END,
};

const struct ctl_field ctlMemberJson[] = {
    {.label = "ID", .from = "ID", .kind = CTL_K_U64},
    {.label = "name", .from = "name", .kind = CTL_K_STR},
    {.label = "peerURLs", .from = "peerURLs", .kind = CTL_K_STRS},
    {.label = "clientURLs", .from = "clientURLs", .kind = CTL_K_STRS},
    {.label = "isLearner", .from = "isLearner", .kind = CTL_K_BOOL},
    CTL_FIELDS_END,
};

/* etcfs's own: a mirror's place in the fleet (absent on members) */
static const struct ctl_field ctlStatusMirrorJson[] = {
    {.label = "upstream", .from = "upstream", .kind = CTL_K_STR},
    {.label = "appliedIndex", .from = "appliedIndex", .kind = CTL_K_U64},
    {.label = "clusterCommit", .from = "clusterCommit", .kind = CTL_K_U64},
    {.label = "lag", .from = "lag", .kind = CTL_K_U64, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

const struct ctl_field ctlStatusJson[] = {
    CTL_HEADER_JSON,
    {.label = "version", .from = "version", .kind = CTL_K_STR},
    {.label = "dbSize", .from = "dbSize", .kind = CTL_K_I64},
    {.label = "leader", .from = "leader", .kind = CTL_K_U64},
    {.label = "raftIndex", .from = "raftIndex", .kind = CTL_K_U64},
    {.label = "raftTerm", .from = "raftTerm", .kind = CTL_K_U64},
    {.label = "raftAppliedIndex", .from = "raftAppliedIndex", .kind = CTL_K_U64},
    {.label = "errors", .from = "errors", .kind = CTL_K_STRS},
    {.label = "dbSizeInUse", .from = "dbSizeInUse", .kind = CTL_K_I64},
    {.label = "isLearner", .from = "isLearner", .kind = CTL_K_BOOL},
    {.label = "mirror", .from = "mirror", .kind = CTL_K_MSG, .sub = ctlStatusMirrorJson},
    CTL_FIELDS_END,
};
