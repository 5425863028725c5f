/* etcd's messages that several commands print, as field lists per output
 * format: the response header, mvccpb.KeyValue, etcdserverpb.Member and
 * StatusResponse. JSON lists follow the .proto field order and names (Go's
 * encoding/json of the protobuf structs); fields lists follow etcdctl's
 * fieldsPrinter. Data only. */
#ifndef ETCFS_TOOLS_CTL_SCHEMA_H
#define ETCFS_TOOLS_CTL_SCHEMA_H

#include "ctl_view.h"

/* The "header" of an answer: a message in protobuf json, its fields inline
 * in a clientv3 struct's json (Go's embedded *ResponseHeader), its four
 * lines first in fields. */
#define CTL_HEADER_JSON                                                                       \
    {.label = "header", .from = "header", .kind = CTL_K_MSG, .sub = ctlHeaderJson}
#define CTL_HEADER_FLAT                                                                       \
    {.label = "header", .from = "header", .kind = CTL_K_MSG, .sub = ctlHeaderJson,            \
     .flags = CTL_F_FLAT}
#define CTL_HEADER_FIELDS                                                                     \
    {.label = "", .from = "header", .kind = CTL_K_MSG, .sub = ctlHeaderFields,                \
     .flags = CTL_F_ALWAYS}

extern const struct ctl_field ctlHeaderJson[];   /* etcdserverpb.ResponseHeader */
extern const struct ctl_field ctlHeaderFields[]; /* etcdctl's printHeader */
extern const struct ctl_field ctlHeaderOnlyJson[];   /* {"header": ...} */
extern const struct ctl_field ctlHeaderOnlyFields[]; /* the header's fields */
extern const struct ctl_field ctlKvJson[];       /* mvccpb.KeyValue */
extern const struct ctl_field ctlKvFields[];     /* etcdctl's printKV of fields */
extern const struct ctl_field ctlKvSimple[];     /* etcdctl's printKV */
extern const struct ctl_field ctlMemberJson[];   /* etcdserverpb.Member */
extern const struct ctl_field ctlStatusJson[];   /* etcdserverpb.StatusResponse */

#endif /* ETCFS_TOOLS_CTL_SCHEMA_H */
