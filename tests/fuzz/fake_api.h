/* The world fuzz_http.c runs the client API in (and fuzz_grpc.c the gRPC
 * server): a stream that keeps what
 * the API writes (and checks it is well-formed HTTP), and stand-ins for
 * the request path (server*), the node, the store and the watch hub.
 * Answers are given now, later (queued: fakeRun is one turn of a loop)
 * or refused, as the input's mode says, so the API meets every order of
 * events a real loop can produce. Test code only; one thread. */
#ifndef ETCFS_FUZZ_FAKE_API_H
#define ETCFS_FUZZ_FAKE_API_H

#include <stdbool.h>
#include <stddef.h>

struct stream;

/* How the stand-ins answer (bits of the input's first bytes). */
#define FAKE_ASYNC 1u    /* write/read/lease/member answer later */
#define FAKE_FAIL 2u     /* ... with an error instead of a result */
#define FAKE_REFUSE 4u   /* the starting call returns an error */
#define FAKE_FOLLOWER 8u /* nodeIsLeader false, nodeHasLeader false */
#define FAKE_SLOW 16u    /* streamQueued reports a slow client */
void fakeSetMode(unsigned mode);

/* A new stream, adopted by the API, which closes it with streamClose;
 * the harness frees it (fakeStreamFree) once its close callback ran. */
struct stream *fakeStreamNew(void);
void fakeStreamFree(struct stream *s);
/* True once streamClose was called on s. */
bool fakeStreamClosing(const struct stream *s);
/* True once the close callback ran (at the turn after streamClose). */
bool fakeStreamClosed(const struct stream *s);
/* s carries HTTP/2 (fuzz_grpc.c): what is written is checked as a
 * server's frames instead of HTTP/1.1 responses. */
void fakeStreamH2(struct stream *s);
/* True when everything written to s so far parses as HTTP responses. */
bool fakeStreamWellFormed(const struct stream *s);

/* One turn: runs what was queued (callbacks may queue more: run at the
 * next turn) and tells each watcher one event. False when nothing ran. */
bool fakeRun(void);
/* Watchers still registered with the hub. */
size_t fakeWatchers(void);

#endif /* ETCFS_FUZZ_FAKE_API_H */
