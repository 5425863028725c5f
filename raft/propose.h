/* Proposals and group commit (propose.c): the node's side of nodePropose
 * (node.h). Loop thread only. */
#ifndef ETCFS_PROPOSE_H
#define ETCFS_PROPOSE_H

#include <stdint.h>

struct node;
struct command_result;

/* Starts the check handle that hands each loop iteration's batch to raft
 * (nodeStart, once raft is started). */
void proposeStart(struct node *n);

/* Hands the pending batch to raft now, or fails its proposals when this
 * node is closing (ETCFS_CANCELED) or not the leader. Loop thread,
 * outside raft's callbacks. */
void proposeFlush(struct node *n);

/* fsm.c: the entry (index, term) was applied with res (transferred):
 * completes the proposal waiting for it, if this node made it, else frees
 * res. */
void proposeApplied(struct node *n, uint64_t index, uint64_t term,
                    struct command_result *res);

#endif /* ETCFS_PROPOSE_H */
