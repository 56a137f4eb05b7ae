/* publicity: 公示 — a published outcome with a publicity period
 * (publicity_until, set with POST /v1/threads/{tid}/outcome's
 * publicity_days), objections members raise during it, and the answers
 * staff give, all public to the community's members and evented on the
 * thread (objection.created, objection.answered). */
#include "routes.h"
#include "access.h"
#include "forums.h"
#include "notify.h"
#include "review.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBJECTION_MAX 1000

static json_t *objection_json(struct store *st, int64_t id)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT o.thread_id, o.community_id, o.user_id, coalesce(u.display_name, ''), o.reason, "
		"o.created_at, o.answer, o.answered_by, coalesce(a.display_name, ''), o.answered_at "
		"FROM objections o LEFT JOIN users u ON u.id = o.user_id "
		"LEFT JOIN users a ON a.id = o.answered_by WHERE o.id = ?");
	store_bind_int(s, 1, id);
	json_t *j = NULL;
	if (store_step(s) == STORE_ROW) {
		j = json_pack("{s:I, s:I, s:I, s:{s:I, s:s}, s:s, s:I}",
			"id", (json_int_t)id, "thread_id", (json_int_t)store_col_int(s, 0),
			"community_id", (json_int_t)store_col_int(s, 1),
			"user", "id", (json_int_t)store_col_int(s, 2), "display_name", store_col_text(s, 3),
			"reason", store_col_text(s, 4), "created_at", (json_int_t)store_col_int(s, 5));
		if (store_col_null(s, 6)) {
			json_object_set_new(j, "answer", json_null());
		} else {
			json_object_set_new(j, "answer", json_string(store_col_text(s, 6)));
			json_object_set_new(j, "answered_by", json_pack("{s:I, s:s}",
				"id", (json_int_t)store_col_int(s, 7), "display_name", store_col_text(s, 8)));
			json_object_set_new(j, "answered_at", json_integer(store_col_int(s, 9)));
		}
	}
	store_done(s);
	return j;
}

/* The thread's publicity period's end (0: none, or its outcome is held). */
static int64_t publicity_until(struct store *st, int64_t tid)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT coalesce(publicity_until, 0) FROM threads WHERE id = ? AND outcome IS NOT NULL "
		"AND outcome_hold_reason IS NULL");
	store_bind_int(s, 1, tid);
	int64_t until = store_step(s) == STORE_ROW ? store_col_int(s, 0) : 0;
	store_done(s);
	return until;
}

/* Emits type with the objection on kind:{at} (thread:{tid}, mod:{cid});
 * 0 or -EIO. */
static int emit_objection(struct req *req, const char *kind, int64_t at, int64_t cid,
			  const char *type, int64_t id)
{
	json_t *j = objection_json(req->st, id);
	char ch[40];
	snprintf(ch, sizeof ch, "%s:%" PRId64, kind, at);
	int rc = j && api_emit(req, ch, type, j, cid) == 0 ? 0 : -EIO;
	json_decref(j);
	return rc;
}

/* POST /v1/threads/{tid}/objections {reason} (members, during 公示) */
void publicity_object(struct req *req, struct resp *resp)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 0))
		return;
	int64_t until = publicity_until(req->st, t.id), now = util_now_ms();
	if (!until || now >= until) {
		api_error(resp, 409, "conflict", until ? "the publicity period is over"
			  : "this thread has no publicity period", NULL);
		return;
	}
	if (t.muted && forums_not_muted(req, t.community_id, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *reason = api_str(body, "reason", 1, OBJECTION_MAX, 1, resp);
	/* An objection has no held state: the content check's review refuses
	 * it like a reject, with the reason, so it can be rephrased. */
	if (!reason || review_text(req, resp, "objection", "reason", reason, t.community_id) ||
	    api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO objections (thread_id, community_id, user_id, reason, created_at) "
		"VALUES (?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, t.id);
	store_bind_int(s, 2, t.community_id);
	store_bind_int(s, 3, req->who.uid);
	store_bind_text(s, 4, reason);
	store_bind_int(s, 5, now);
	int64_t id = 0;
	/* On the thread, and for staff where they work. */
	int ok = store_run_int(s, &id) == 0 &&
		 emit_objection(req, "thread", t.id, t.community_id, "objection.created", id) == 0 &&
		 emit_objection(req, "mod", t.community_id, t.community_id, "objection.created", id) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not record the objection"))
		goto out;
	api_json(resp, 201, json_pack("{s:o}", "objection", objection_json(req->st, id)));
out:
	json_decref(body);
}

/* GET /v1/threads/{tid}/objections ?limit=&cursor= (members): oldest first. */
void publicity_objections(struct req *req, struct resp *resp)
{
	struct thread_row t;
	int64_t cursor;
	int limit;
	if (forums_thread_access(req, resp, &t, 0) || api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM objections WHERE thread_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
	store_bind_int(s, 1, t.id);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, limit);
	int64_t *ids = NULL;
	size_t n = 0;
	if (store_run_ids(s, &ids, &n)) {
		api_error(resp, 500, "internal", "could not list the objections", NULL);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = objection_json(req->st, ids[i]);
		if (j)
			json_array_append_new(items, j);
	}
	int64_t last = n ? ids[n - 1] : 0;
	free(ids);
	json_t *list = api_list(items, limit, last);
	int64_t until = publicity_until(req->st, t.id);
	json_object_set_new(list, "publicity_until", until ? json_integer(until) : json_null());
	api_json(resp, 200, list);
}

/* POST /v1/objections/{id}/answer {answer} (staff of its community): once. */
void publicity_answer(struct req *req, struct resp *resp)
{
	int64_t id;
	if (api_id_param(req, "id", &id, resp) || api_require_user(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT thread_id, community_id, user_id, answer IS NOT NULL FROM objections WHERE id = ?");
	store_bind_int(s, 1, id);
	int found = store_step(s) == STORE_ROW;
	int64_t tid = found ? store_col_int(s, 0) : 0, cid = found ? store_col_int(s, 1) : 0;
	int64_t objector = found ? store_col_int(s, 2) : 0;
	int answered = found && store_col_int(s, 3);
	store_done(s);
	enum role role = found ? access_role(req->st, req->who.uid, cid) : ROLE_NONE;
	if (!found || (role == ROLE_NONE && !req->who.is_admin)) {
		api_error(resp, 404, "not_found", "no such objection", NULL);
		return;
	}
	if (role != ROLE_STAFF && !req->who.is_admin) {
		api_error(resp, 403, "forbidden", "staff of this community answer objections", NULL);
		return;
	}
	if (answered) {
		api_error(resp, 409, "conflict", "this objection has been answered", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *answer = api_str(body, "answer", 1, OBJECTION_MAX, 1, resp);
	if (!answer || review_text(req, resp, "objection_answer", "answer", answer, cid) ||
	    api_begin(req, resp))
		goto out;
	int64_t now = util_now_ms();
	s = store_prepare(req->st,
		"UPDATE objections SET answer = ?, answered_by = ?, answered_at = ? "
		"WHERE id = ? AND answer IS NULL");
	store_bind_text(s, 1, answer);
	store_bind_int(s, 2, req->who.uid);
	store_bind_int(s, 3, now);
	store_bind_int(s, 4, id);
	int64_t won = store_run(s);
	if (won == 0) {
		api_rollback(req);
		api_error(resp, 409, "conflict", "this objection has been answered", NULL);
		goto out;
	}
	int ok = won == 1 && emit_objection(req, "thread", tid, cid, "objection.answered", id) == 0 &&
		 forums_mod_log(req, cid, "objection.answer", "thread", tid, "") > 0;
	if (ok) {
		json_t *d = forums_subject(req->st, tid);
		if (d)
			json_object_set_new(d, "objection_id", json_integer(id));
		ok = d && notify(req, objector, "objection.answered", d, cid) == 0;
		json_decref(d);
	}
	if (api_commit_or_fail(req, resp, ok, "could not answer the objection"))
		goto out;
	api_json(resp, 200, json_pack("{s:o}", "objection", objection_json(req->st, id)));
out:
	json_decref(body);
}
