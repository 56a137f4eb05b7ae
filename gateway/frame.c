#include "frame.h"
#include "util.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Atomic int64_t frame_live;
_Atomic int64_t frame_bytes;

/* What a frame of len payload bytes costs the heap (malloc's own header
 * and rounding included, roughly). */
static int64_t frame_cost(size_t len)
{
	return (int64_t)((sizeof(struct frame) + FRAME_PRE + len + 1 + 16 + 15) & ~(size_t)15);
}

static struct frame *frame_alloc(size_t len)
{
	struct frame *f = xmalloc(sizeof *f + FRAME_PRE + len + 1);
	f->refs = 1;
	f->len = (uint32_t)len;
	f->buf[FRAME_PRE + len] = '\0';
	atomic_fetch_add_explicit(&frame_live, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&frame_bytes, frame_cost(len), memory_order_relaxed);
	return f;
}

struct frame *frame_new(const void *payload, size_t len)
{
	struct frame *f = frame_alloc(len);
	memcpy(frame_payload(f), payload, len);
	wsframe_head(frame_payload(f), WSFRAME_TEXT, len);
	return f;
}

void frame_unref(struct frame *f)
{
	if (--f->refs == 0) {
		atomic_fetch_sub_explicit(&frame_live, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&frame_bytes, frame_cost(f->len), memory_order_relaxed);
		free(f);
	}
}

/* Appends s as a JSON string; channel and type names are validated to a
 * plain charset before they reach here, but escape anyway. */
static size_t put_json_str(char *o, const char *s)
{
	char *start = o;
	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20) {
			o += sprintf(o, "\\u%04x", c);
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	return (size_t)(o - start);
}

struct frame *frame_event(const struct event *ev)
{
	/* Worst case: every name byte escaped as \u00XX (6x), two int64s. */
	size_t cap = 64 + 6 * (strlen(ev->ch) + strlen(ev->type)) + ev->data_len + 48;
	struct frame *f = frame_alloc(cap);
	char *o = (char *)frame_payload(f), *start = o;
	memcpy(o, "{\"op\":\"event\",\"ch\":", 19);
	o += 19;
	o += put_json_str(o, ev->ch);
	o += sprintf(o, ",\"seq\":%" PRId64 ",\"type\":", ev->seq);
	o += put_json_str(o, ev->type);
	memcpy(o, ",\"data\":", 8);
	o += 8;
	memcpy(o, ev->data, ev->data_len);
	o += ev->data_len;
	o += sprintf(o, ",\"at\":%" PRId64 "}", ev->at);
	f->len = (uint32_t)(o - start);
	*o = '\0';
	wsframe_head(frame_payload(f), WSFRAME_TEXT, f->len);
	return f;
}
