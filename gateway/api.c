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

int api_emit(struct req *req, const char *ch, const char *type, json_t *data,
	     int64_t community_id)
{
	struct api_event *e = xcalloc(1, sizeof *e);
	char *d = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!d) {
		free(e);
		return -EINVAL;
	}
	e->ev.ch = xstrdup(ch);
	e->ev.type = xstrdup(type);
	e->ev.data = d;
	e->ev.data_len = strlen(d);
	e->ev.at = util_now_ms();
	e->next = req->pending;
	req->pending = e;
	int rc = store_event_append(req->st, &e->ev, community_id);
	if (rc == 0)
		metrics.events_stored++;
	return rc;
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

int api_commit(struct req *req)
{
	int rc = store_commit(req->st);
	if (rc) {
		api_events_free(req->pending);
		req->pending = NULL;
		return rc;
	}
	/* pending is newest-first: reverse it into log order, then append. */
	struct api_event *ordered = NULL;
	while (req->pending) {
		struct api_event *e = req->pending;
		req->pending = e->next;
		e->next = ordered;
		ordered = e;
	}
	struct api_event **tail = &req->committed;
	while (*tail)
		tail = &(*tail)->next;
	*tail = ordered;
	return 0;
}

void api_rollback(struct req *req)
{
	store_rollback(req->st);
	api_events_free(req->pending);
	req->pending = NULL;
}
