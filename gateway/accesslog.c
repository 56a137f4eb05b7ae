#include "accesslog.h"
#include "content.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *method_name(enum http_method m)
{
	static const char *const names[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER" };
	return (unsigned)m < sizeof names / sizeof *names ? names[m] : "OTHER";
}

int accesslog_applies(const struct req *req)
{
	return req->method != HTTP_GET && req->method != HTTP_OPTIONS && req->route;
}

/* The path parameters as {"tid": 42, "ch": "thread:42"}; NULL for none. */
static char *target_json(const struct req *req)
{
	if (!req->nparams)
		return NULL;
	json_t *o = json_object();
	for (int i = 0; i < req->nparams; i++) {
		int64_t v;
		const char *s = req->params[i].value;
		json_object_set_new(o, req->params[i].name,
				    !util_parse_i64(s, &v) ? json_integer(v) : json_string(s));
	}
	char *out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

/* Every user-written text of the request, by field. */
static char *texts_json(const struct req *req)
{
	if (!req->checks)
		return NULL;
	json_t *o = json_object();
	for (const struct api_check *c = req->checks; c; c = c->next)
		/* A photo is kept as the upload it is, not as text here. */
		json_object_set_new(o, c->field, json_string(c->image ? "(photo)" : c->text));
	char *out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

static int insert(struct req *req, int status, int64_t *id)
{
	char *target = target_json(req), *texts = texts_json(req);
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO access_log (at, user_id, session_id, ip, port, user_agent, method, route, "
		"target, status, request_id, texts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, util_now_ms());
	store_bind_int_or_null(s, 2, req->who.uid ? req->who.uid : req->signed_in_uid);
	store_bind_int_or_null(s, 3, req->who.uid ? req->who.sid : req->signed_in_sid);
	store_bind_text(s, 4, req->peer);
	store_bind_int_or_null(s, 5, req->peer_port);
	store_bind_text(s, 6, req->user_agent);
	store_bind_text(s, 7, method_name(req->method));
	store_bind_text(s, 8, req->route);
	store_bind_text(s, 9, target);
	store_bind_int_or_null(s, 10, status);
	store_bind_int(s, 11, (int64_t)req->id);
	store_bind_text(s, 12, texts);
	int rc = store_run_int(s, id);
	free(target);
	free(texts);
	return rc;
}

int accesslog_begin(struct req *req)
{
	if (req->log_id || !accesslog_applies(req))
		return 0;
	return insert(req, 0, &req->log_id);
}

void accesslog_end(struct req *req, int status)
{
	if (!accesslog_applies(req))
		return;
	int rc;
	if (req->log_committed) {
		/* A sign-in learns its user after the row was written. */
		struct store_stmt *s = store_prepare(req->st,
			"UPDATE access_log SET status = ?1, user_id = coalesce(user_id, ?2), "
			"session_id = coalesce(session_id, ?3) WHERE id = ?4");
		store_bind_int(s, 1, status);
		store_bind_int_or_null(s, 2, req->signed_in_uid);
		store_bind_int_or_null(s, 3, req->signed_in_sid);
		store_bind_int(s, 4, req->log_id);
		rc = store_run(s) == 1 ? 0 : -EIO;
	} else {
		int64_t id;
		rc = insert(req, status, &id);
	}
	if (rc)
		log_warn("req %" PRIu64 ": could not write its access-log entry", req->id);
}

void accesslog_ws_auth(struct store *st, int64_t uid, int64_t sid, const char *ip, int port,
		       const char *user_agent, int status, uint64_t conn_id)
{
	struct store_stmt *s = store_prepare(st,
		"INSERT INTO access_log (at, user_id, session_id, ip, port, user_agent, method, route, "
		"status, request_id) VALUES (?, ?, ?, ?, ?, ?, 'WS', 'auth /v1/ws', ?, ?)");
	store_bind_int(s, 1, util_now_ms());
	store_bind_int_or_null(s, 2, uid);
	store_bind_int_or_null(s, 3, sid);
	store_bind_text(s, 4, ip);
	store_bind_int_or_null(s, 5, port);
	store_bind_text(s, 6, user_agent);
	store_bind_int(s, 7, status);
	store_bind_int(s, 8, (int64_t)conn_id);
	if (store_run(s) != 1)
		log_warn("ws %" PRIu64 ": could not write its access-log entry", conn_id);
}

int accesslog_trim(struct store *st, int64_t now_ms, int64_t retention_days, int max_batches)
{
	int total = 0;
	for (int i = 0; i < max_batches; i++) {
		struct store_stmt *s = store_prepare(st,
			"DELETE FROM access_log WHERE id IN (SELECT id FROM access_log WHERE at < ? "
			"ORDER BY at LIMIT 1000)");
		store_bind_int(s, 1, now_ms - retention_days * 86400 * 1000);
		int64_t n = store_run(s);
		if (n < 0)
			return (int)n;
		total += (int)n;
		if (n < 1000)
			break;
	}
	return total;
}

static json_t *nullable_int(struct store_stmt *s, int col)
{
	return store_col_null(s, col) ? json_null() : json_integer(store_col_int(s, col));
}

static json_t *nullable_text(struct store_stmt *s, int col)
{
	return store_col_null(s, col) ? json_null() : json_string(store_col_text(s, col));
}

static json_t *nullable_json(struct store_stmt *s, int col)
{
	json_t *v = store_col_null(s, col) ? NULL : json_loads(store_col_text(s, col), 0, NULL);
	return v ? v : json_null();
}

json_t *accesslog_row_json(struct store_stmt *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(store_col_int(s, 0)));
	json_object_set_new(o, "at", json_integer(store_col_int(s, 1)));
	json_object_set_new(o, "user_id", nullable_int(s, 2));
	json_object_set_new(o, "session_id", nullable_int(s, 3));
	json_object_set_new(o, "ip", nullable_text(s, 4));
	json_object_set_new(o, "port", nullable_int(s, 5));
	json_object_set_new(o, "user_agent", nullable_text(s, 6));
	json_object_set_new(o, "method", nullable_text(s, 7));
	json_object_set_new(o, "route", nullable_text(s, 8));
	json_object_set_new(o, "status", nullable_int(s, 9));
	json_object_set_new(o, "request_id", nullable_int(s, 10));
	json_object_set_new(o, "target", nullable_json(s, 11));
	json_object_set_new(o, "texts", nullable_json(s, 12));
	return o;
}

int64_t accesslog_export(struct store *st, int64_t since, int64_t until, int64_t uid, FILE *out)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT " ACCESSLOG_COLUMNS " FROM access_log WHERE at >= ?1 AND at < ?2 "
		"AND (?3 = 0 OR user_id = ?3) ORDER BY at, id");
	store_bind_int(s, 1, since);
	store_bind_int(s, 2, until);
	store_bind_int(s, 3, uid);
	int64_t n = 0;
	int rc;
	while ((rc = store_step(s)) == STORE_ROW) {
		json_t *o = accesslog_row_json(s);
		char *line = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (line && fprintf(out, "%s\n", line) < 0)
			rc = -EIO;
		free(line);
		if (rc < 0)
			break;
		n++;
	}
	store_done(s);
	return rc < 0 ? rc : n;
}
