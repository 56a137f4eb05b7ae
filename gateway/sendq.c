#include "sendq.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>

int sendq_push(struct sendq *q, struct frame *f, size_t limit)
{
	if (q->bytes + f->len > limit)
		return -ENOBUFS;
	if (q->len == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 4;
		struct frame **ring = xmalloc(cap * sizeof *ring);
		for (uint32_t i = 0; i < q->len; i++)
			ring[i] = q->ring[(q->head + i) % q->cap];
		free(q->ring);
		q->ring = ring;
		q->cap = cap;
		q->head = 0;
	}
	q->ring[(q->head + q->len) % q->cap] = frame_ref(f);
	q->len++;
	q->bytes += f->len;
	return 0;
}

void sendq_pop(struct sendq *q)
{
	if (!q->len)
		return;
	struct frame *f = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	q->bytes -= f->len;
	frame_unref(f);
}

void sendq_trim(struct sendq *q, uint32_t shrink_above)
{
	if (q->len == 0 && q->cap > shrink_above) {
		free(q->ring);
		q->ring = NULL;
		q->cap = q->head = 0;
	}
}

void sendq_clear(struct sendq *q)
{
	while (q->len)
		sendq_pop(q);
	free(q->ring);
	q->ring = NULL;
	q->cap = q->head = 0;
}
