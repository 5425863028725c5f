/* Member records (publish.c): this member's name and client URLs in the
 * replicated "member/<id>" metadata, the cluster id in "cluster_id", and
 * reading what members published. nodePublishSelf and nodeLeaderClientUrls
 * (node.h) live there too. Loop thread only. */
#ifndef ETCFS_PUBLISH_H
#define ETCFS_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

struct node;

/* The node's tick: publishes this member until its record is current, and
 * records or learns the cluster id. */
void publishTick(struct node *n);

/* A different leader (or none) is known: publish again, at once. */
void publishLeaderChanged(struct node *n);

/* The name and comma-separated client URLs member id published, into the
 * caller's buffers ("" each when unknown or unreadable). */
void publishedAttrs(struct node *n, uint64_t id, char *name,
                    size_t name_size, char *urls, size_t urls_size);

/* The client URLs member id published ("" if unknown). */
void publishedClientUrls(struct node *n, uint64_t id, char *buf,
                         size_t size);

#endif /* ETCFS_PUBLISH_H */
