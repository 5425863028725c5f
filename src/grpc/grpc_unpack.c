/* Request messages from their bytes for every handler: protobuf-c's unpack,
 * and a call failed as grpc-go fails it under etcd (INTERNAL, "grpc: error
 * unmarshalling request: ...", here with the message's name) when the
 * bytes are not one (truncated, a wrong wire type, a bad length). Loop
 * thread only. */
#include <stdio.h>

#include "grpc_internal.h"

void *grpcUnpack(struct grpc_call *call, const ProtobufCMessageDescriptor *d,
                 const uint8_t *m, size_t n)
{
    ProtobufCMessage *msg = protobuf_c_message_unpack(d, NULL, n, m);
    if (msg == NULL) {
        char text[160];
        snprintf(text, sizeof text,
                 "grpc: error unmarshalling request: not a valid %s", d->name);
        grpcFailStatus(call, GRPC_STATUS_INTERNAL, text);
    }
    return msg;
}
