/* sendq: a socket's bounded queue of outbound frames.
 *
 * A ring of frame references, bounded in payload bytes: frames shared by
 * many sockets count fully against each queue, since each socket may hold
 * them for as long as it is slow. The owner embeds the struct; zero-filled
 * is an empty queue. */
#ifndef LINLI_SENDQ_H
#define LINLI_SENDQ_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct sendq {
	struct frame **ring;    /* frame references; NULL until first push */
	uint32_t head;          /* index of the oldest frame */
	uint32_t len;           /* frames queued */
	uint32_t cap;           /* ring slots */
	size_t bytes;           /* payload bytes queued */
};

/* Queues f (taking a reference) unless the queue would then hold more
 * than limit bytes: 0, or -ENOBUFS and nothing changes. */
int sendq_push(struct sendq *q, struct frame *f, size_t limit);
/* The oldest frame, still queued; NULL when empty. */
static inline struct frame *sendq_peek(const struct sendq *q)
{
	return q->len ? q->ring[q->head] : NULL;
}
/* Drops the oldest frame (releasing the queue's reference). */
void sendq_pop(struct sendq *q);
/* Empties the queue; frees a ring grown past shrink_above slots. */
void sendq_trim(struct sendq *q, uint32_t shrink_above);
/* Drops everything and frees the ring. */
void sendq_clear(struct sendq *q);

#endif
