/* frame: reference-counted outbound WebSocket payloads.
 *
 * A frame is serialised once and shared by every connection it is queued
 * on (the fan-out path). The payload is preceded by FRAME_PRE bytes of room
 * for the WebSocket header: the constructors write a text frame's header
 * there once, and sockets send header and payload in one piece
 * (frame_wire); every server-to-client text frame of the same length has
 * the same header, so sharing the buffer is safe. */
#ifndef LINLI_FRAME_H
#define LINLI_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "wsframe.h"

#define FRAME_PRE 16 /* room for a server frame's header (at most 10 bytes) */

struct frame {
	uint32_t refs;          /* owners: the creator, then one per queue slot */
	uint32_t len;           /* payload bytes */
	unsigned char buf[];    /* FRAME_PRE bytes of room, payload, NUL */
};

static inline unsigned char *frame_payload(struct frame *f)
{
	return f->buf + FRAME_PRE;
}

/* The whole text frame as it goes on the wire: header, then payload. */
static inline const unsigned char *frame_wire(struct frame *f, size_t *n)
{
	size_t hl = wsframe_head_len(f->len);
	*n = hl + f->len;
	return frame_payload(f) - hl;
}

/* A frame holding a copy of len bytes; refs = 1 (the caller's). */
struct frame *frame_new(const void *payload, size_t len);
/* Takes ownership of a malloc'd buffer from struct buf-style building:
 * see frame_event and frame_build for the usual constructors. */
static inline struct frame *frame_ref(struct frame *f)
{
	f->refs++;
	return f;
}
void frame_unref(struct frame *f);

/* {"op":"event","ch":...,"seq":...,"type":...,"data":...,"at":...} */
struct frame *frame_event(const struct event *ev);

/* Number of frames alive, for tests and metrics. Frames are made on any
 * thread (replay pages are built on database workers) and then belong to
 * the loop: refs is the loop's. */
extern _Atomic int64_t frame_live;
/* Heap bytes those frames take (each counted once, however many queues
 * share it): what ws_memory_budget bounds. */
extern _Atomic int64_t frame_bytes;

#endif
