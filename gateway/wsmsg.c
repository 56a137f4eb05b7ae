#include "wsmsg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

enum wsmsg_rx_result wsmsg_rx_feed(struct wsmsg_rx *rx, const void *in, size_t len,
				   int first, int last, int binary, size_t max)
{
	if (first && !rx->started) {
		rx->started = 1;
		rx->binary = binary;
	}
	/* The limits hold for binary messages too, though they are refused:
	 * a binary stream is no way around them. */
	size_t have = rx->binary ? rx->skipped : rx->text.len;
	if (len > max || have > max - len)
		return WSMSG_TOO_BIG;
	if (rx->binary)
		rx->skipped += len;
	else
		buf_append(&rx->text, in, len);
	if (!last)
		return WSMSG_MORE;
	if (rx->binary) {
		wsmsg_rx_reset(rx, (size_t)-1);
		return WSMSG_BINARY;
	}
	return WSMSG_TEXT;
}

void wsmsg_rx_reset(struct wsmsg_rx *rx, size_t keep)
{
	if (rx->text.cap > keep)
		buf_free(&rx->text);
	rx->text.len = 0;
	rx->skipped = 0;
	rx->binary = 0;
	rx->started = 0;
}

void wsmsg_rx_free(struct wsmsg_rx *rx)
{
	buf_free(&rx->text);
	memset(rx, 0, sizeof *rx);
}

static int fail(const char **err, const char *why)
{
	*err = why;
	return -EINVAL;
}

int wsmsg_parse(const char *text, size_t len, struct wsmsg *m, const char **err)
{
	memset(m, 0, sizeof *m);
	m->since = -1;
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	m->json = j;
	if (!j || !json_is_object(j))
		return fail(err, j ? "message must be a JSON object" : "message is not valid JSON");
	json_t *jref = json_object_get(j, "ref");
	if (jref) {
		char *ref = json_dumps(jref, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!ref || strlen(ref) > WSMSG_REF_MAX) {
			free(ref);
			return fail(err, "ref is too long (256 bytes at most)");
		}
		m->ref = ref;
	}
	const char *op = json_string_value(json_object_get(j, "op"));
	if (!op)
		return fail(err, "op is required and must be a string");
	if (!strcmp(op, "ping")) {
		m->op = WSMSG_PING;
	} else if (!strcmp(op, "auth")) {
		m->op = WSMSG_AUTH;
		m->token = json_string_value(json_object_get(j, "token"));
		if (!m->token)
			return fail(err, "token is required and must be a string");
	} else if (!strcmp(op, "sub") || !strcmp(op, "unsub")) {
		m->op = op[0] == 's' ? WSMSG_SUB : WSMSG_UNSUB;
		m->ch = json_string_value(json_object_get(j, "ch"));
		json_t *js = json_object_get(j, "since");
		if (m->op == WSMSG_SUB && js && !json_is_null(js)) {
			if (!json_is_integer(js) || json_integer_value(js) < 0)
				m->since_bad = 1;
			else
				m->since = json_integer_value(js);
		}
	} else {
		return fail(err, "unknown op");
	}
	return 0;
}

void wsmsg_free(struct wsmsg *m)
{
	free(m->ref);
	json_decref(m->json);
	memset(m, 0, sizeof *m);
}
