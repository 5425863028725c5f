/* The commit notice (notice.c): an idle leader sends its followers at once
 * the empty AppendEntries libraft would send at its next heartbeat, so they
 * learn the new commit index without waiting for it. Loop thread only. */
#ifndef ETCFS_NOTICE_H
#define ETCFS_NOTICE_H

struct node;

/* fsm.c: a command was applied on the leader. Sends the notice after this
 * loop iteration if the leader is then idle at a commit not yet noticed;
 * safe from inside raft's callbacks. */
void noticeArm(struct node *n);

/* The node's tick, on the leader: sends the notice now if the leader is
 * idle at a commit not yet noticed (one no append carried). Not from inside
 * raft's callbacks. */
void noticeMaybe(struct node *n);

#endif /* ETCFS_NOTICE_H */
