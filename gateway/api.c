#include "api.h"
#include "metrics.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_json(struct resp *r, int status, json_t *body)
{
	free(r->body);
	r->status = status;
	r->body = json_dumps(body, JSON_COMPACT);
	r->len = r->body ? strlen(r->body) : 0;
	r->content_type = "application/json";
	json_decref(body);
}

void api_error(struct resp *r, int status, const char *code, const char *message,
	       const char *field)
{
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);
	if (field)
		json_object_set_new(e, "field", json_string(field));
	api_json(r, status, json_pack("{s:o}", "error", e));
}

void api_error_reason(struct resp *r, int status, const char *code, const char *message,
		      const char *reason)
{
	api_json(r, status, json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code,
				      "message", message, "reason", reason));
}

void api_error_field_reason(struct resp *r, int status, const char *code, const char *message,
			    const char *field, const char *reason)
{
	api_json(r, status, json_pack("{s:{s:s, s:s, s:s, s:s}}", "error", "code", code,
				      "message", message, "field", field, "reason", reason));
}

const char *api_param(const struct req *req, const char *name)
{
	for (int i = 0; i < req->nparams; i++)
		if (!strcmp(req->params[i].name, name))
			return req->params[i].value;
	return NULL;
}

json_t *api_body_object(const struct req *req, struct resp *r)
{
	if (!req->body_len) {
		api_error(r, 400, "bad_request", "a JSON object body is required", NULL);
		return NULL;
	}
	if (!util_utf8_valid(req->body, req->body_len)) {
		api_error(r, 400, "bad_request", "body is not valid UTF-8", NULL);
		return NULL;
	}
	json_error_t jerr;
	json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		char msg[256];
		snprintf(msg, sizeof msg, "body is not valid JSON: %s (at byte %d)",
			 jerr.text, jerr.position);
		api_error(r, 400, "bad_request", msg, NULL);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		api_error(r, 400, "bad_request", "body must be a JSON object", NULL);
		return NULL;
	}
	return j;
}

int api_require_user(const struct req *req, struct resp *r)
{
	if (req->who.uid)
		return 0;
	api_error(r, 401, "unauthorized",
		  req->auth_error == -EKEYEXPIRED ? "access token expired" :
		  req->auth_error ? "invalid access token" :
		  "an access token is required (Authorization: Bearer ...)", NULL);
	return -EACCES;
}

int api_require_admin(const struct req *req, struct resp *r)
{
	if (api_require_user(req, r))
		return -EACCES;
	if (req->who.is_admin)
		return 0;
	api_error(r, 403, "forbidden", "admins only", NULL);
	return -EPERM;
}

int api_emit_raw(struct req *req, const char *ch, const char *type, char *data,
		 int64_t community_id)
{
	struct api_event *e = xcalloc(1, sizeof *e);
	e->ev.ch = xstrdup(ch);
	e->ev.type = xstrdup(type);
	e->ev.data = data;
	e->ev.data_len = strlen(data);
	e->ev.at = util_now_ms();
	e->community_id = community_id;
	if (req->pending)
		req->pending_last->next = e;
	else
		req->pending = e;
	req->pending_last = e;
	return 0;
}

int api_emit(struct req *req, const char *ch, const char *type, json_t *data,
	     int64_t community_id)
{
	char *d = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!d)
		return -EINVAL;
	return api_emit_raw(req, ch, type, d, community_id);
}

void api_events_free(struct api_event *list)
{
	while (list) {
		struct api_event *n = list->next;
		free((char *)list->ev.ch);
		free((char *)list->ev.type);
		free((char *)list->ev.data);
		free(list);
		list = n;
	}
}

struct ordered { struct api_event *e; size_t i; };

static int by_channel(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;
	int c = strcmp(x->e->ev.ch, y->e->ev.ch);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Appends the transaction's events to the log, sorted by channel (emit
 * order within a channel), and leaves them in req->pending in that order.
 * Every transaction takes channel heads in the same order, so two of them
 * writing the same channels wait for each other instead of deadlocking. */
static int append_events(struct req *req)
{
	size_t n = 0;
	for (struct api_event *e = req->pending; e; e = e->next)
		n++;
	if (!n)
		return 0;
	struct ordered *v = xmalloc(n * sizeof *v);
	n = 0;
	for (struct api_event *e = req->pending; e; e = e->next, n++)
		v[n] = (struct ordered){ e, n };
	qsort(v, n, sizeof *v, by_channel);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		v[i].e->next = i + 1 < n ? v[i + 1].e : NULL;
		if (!rc)
			rc = store_event_append(req->st, &v[i].e->ev, v[i].e->community_id);
	}
	req->pending = v[0].e;
	req->pending_last = v[n - 1].e;
	free(v);
	return rc;
}

int api_commit(struct req *req)
{
	int rc = append_events(req);
	rc = rc ? (store_rollback(req->st), rc) : store_commit(req->st);
	if (rc) {
		if (!req->log_committed)
			req->log_id = 0;
		api_events_free(req->pending);
		req->pending = req->pending_last = NULL;
		return rc;
	}
	if (req->log_id)
		req->log_committed = 1;
	struct api_event **tail = &req->committed;
	while (*tail)
		tail = &(*tail)->next;
	*tail = req->pending;
	req->pending = req->pending_last = NULL;
	return 0;
}

int api_commit_or_fail(struct req *req, struct resp *resp, int ok, const char *message)
{
	if (ok && api_commit(req) == 0)
		return 0;
	api_rollback(req);
	api_error(resp, 500, "internal", message, NULL);
	return -EIO;
}

void api_rollback(struct req *req)
{
	store_rollback(req->st);
	if (!req->log_committed)
		req->log_id = 0; /* its row went with the transaction */
	req->push_queued = 0;
	api_events_free(req->pending);
	req->pending = req->pending_last = NULL;
}

size_t api_chars(const char *s)
{
	return util_utf8_chars(s);
}

static int bad_field(struct resp *r, const char *field, const char *what)
{
	char msg[160];
	snprintf(msg, sizeof msg, "%s %s", field, what);
	api_error(r, 400, "bad_request", msg, field);
	return -EINVAL;
}

const char *api_str(json_t *body, const char *field, size_t min, size_t max,
		    int required, struct resp *r)
{
	json_t *v = json_object_get(body, field);
	if (!v || json_is_null(v)) {
		if (required)
			bad_field(r, field, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		bad_field(r, field, "must be a string");
		return NULL;
	}
	const char *s = json_string_value(v);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\n') {
			bad_field(r, field, "must not contain control characters");
			return NULL;
		}
	size_t n = api_chars(s);
	if (n < min || n > max) {
		char what[96];
		snprintf(what, sizeof what, "must be %zu to %zu characters long", min, max);
		bad_field(r, field, what);
		return NULL;
	}
	return s;
}

int api_int(json_t *body, const char *field, int64_t min, int64_t max,
	    int required, int64_t def, int64_t *out, struct resp *r)
{
	json_t *v = json_object_get(body, field);
	if (!v || json_is_null(v)) {
		if (required)
			return bad_field(r, field, "is required");
		*out = def;
		return 0;
	}
	if (!json_is_integer(v))
		return bad_field(r, field, "must be an integer");
	int64_t x = json_integer_value(v);
	if (x < min || x > max) {
		char what[96];
		snprintf(what, sizeof what, "must be between %lld and %lld",
			 (long long)min, (long long)max);
		return bad_field(r, field, what);
	}
	*out = x;
	return 0;
}

int api_id_param(const struct req *req, const char *name, int64_t *out, struct resp *r)
{
	const char *v = api_param(req, name);
	if (!v || util_parse_i64(v, out) || *out <= 0) {
		api_error(r, 404, "not_found", "no such resource", name);
		return -ENOENT;
	}
	return 0;
}

int api_query(const struct req *req, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = req->query; p && *p;) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		if ((size_t)(end - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			size_t o = 0;
			for (const char *c = p + nl + 1; c < end && o + 1 < cap; c++) {
				if (*c == '%' && end - c > 2 && util_hexval(c[1]) >= 0 && util_hexval(c[2]) >= 0) {
					out[o++] = (char)(util_hexval(c[1]) * 16 + util_hexval(c[2]));
					c += 2;
				} else {
					out[o++] = *c == '+' ? ' ' : *c;
				}
			}
			out[o] = '\0';
			return (int)o;
		}
		p = amp ? amp + 1 : end;
	}
	return -1;
}

int api_limit(const struct req *req, int def, int max, int *limit, struct resp *r)
{
	char v[32];
	int64_t x;
	*limit = def;
	if (api_query(req, "limit", v, sizeof v) >= 0) {
		if (util_parse_i64(v, &x) || x < 1 || x > max) {
			char msg[64];
			snprintf(msg, sizeof msg, "limit must be between 1 and %d", max);
			api_error(r, 400, "bad_request", msg, "limit");
			return -EINVAL;
		}
		*limit = (int)x;
	}
	return 0;
}

int api_page(const struct req *req, int def, int max, int *limit, int64_t *cursor,
	     struct resp *r)
{
	char v[32];
	*cursor = 0;
	if (api_limit(req, def, max, limit, r))
		return -EINVAL;
	if (api_query(req, "cursor", v, sizeof v) >= 0 && v[0]) {
		if (util_parse_i64(v, cursor) || *cursor < 0) {
			api_error(r, 400, "bad_request", "cursor is not one this server gave", "cursor");
			return -EINVAL;
		}
	}
	return 0;
}

json_t *api_list(json_t *items, int limit, int64_t last_id)
{
	json_t *next = json_null();
	if ((int)json_array_size(items) == limit && last_id > 0) {
		char c[24];
		snprintf(c, sizeof c, "%lld", (long long)last_id);
		next = json_string(c);
	}
	return json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
}
