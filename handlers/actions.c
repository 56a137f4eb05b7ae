/* actions: 落实 — implementation items of a decided consultation. Staff
 * add items (title, owner, due date) and move them on (status, progress,
 * a note); each change is an action.updated event on the thread and a
 * notification to everyone who voted in or posted to it (offloaded: a
 * consultation of 2,000 participants writes 2,000 inbox rows). The
 * community's items are public to its members (居务公开), an item past its
 * due date and not done listed as overdue. */
#include "routes.h"
#include "access.h"
#include "forums.h"
#include "notify.h"
#include "review.h"
#include "users.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTION_TITLE_MAX 100
#define ACTION_NOTE_MAX 500

static const char *const statuses[] = { "planned", "in_progress", "done", "blocked" };

static json_t *action_json(struct store *st, int64_t id, int64_t now)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT a.thread_id, a.community_id, a.title, a.owner_id, coalesce(u.display_name, ''), "
		"a.due_at, a.status, a.progress, a.note, a.created_at, a.updated_at "
		"FROM actions a LEFT JOIN users u ON u.id = a.owner_id WHERE a.id = ?");
	store_bind_int(s, 1, id);
	json_t *j = NULL;
	if (store_step(s) == STORE_ROW) {
		const char *status = store_col_text(s, 6);
		int64_t due = store_col_null(s, 5) ? 0 : store_col_int(s, 5);
		j = json_pack("{s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:b}",
			"id", (json_int_t)id, "thread_id", (json_int_t)store_col_int(s, 0),
			"community_id", (json_int_t)store_col_int(s, 1), "title", store_col_text(s, 2),
			"status", status, "progress", (json_int_t)store_col_int(s, 7),
			"created_at", (json_int_t)store_col_int(s, 9), "updated_at", (json_int_t)store_col_int(s, 10),
			"overdue", due && due < now && strcmp(status, "done"));
		json_object_set_new(j, "owner", store_col_null(s, 3) ? json_null() :
			json_pack("{s:I, s:s}", "id", (json_int_t)store_col_int(s, 3), "display_name", store_col_text(s, 4)));
		json_object_set_new(j, "due_at", due ? json_integer(due) : json_null());
		json_object_set_new(j, "note", store_col_null(s, 8) ? json_null() : json_string(store_col_text(s, 8)));
	}
	store_done(s);
	return j;
}

/* The event on thread:{tid}, and a notification to everyone who voted in
 * or posted to the thread (but the staff member acting), inside the
 * caller's transaction: 0 or -EIO. */
static int action_changed(struct req *req, int64_t id)
{
	int64_t now = util_now_ms();
	json_t *a = action_json(req->st, id, now);
	if (!a)
		return -EIO;
	int64_t tid = json_integer_value(json_object_get(a, "thread_id"));
	int64_t cid = json_integer_value(json_object_get(a, "community_id"));
	char ch[40];
	snprintf(ch, sizeof ch, "thread:%" PRId64, tid);
	int rc = api_emit(req, ch, "action.updated", a, cid) ? -EIO : 0;
	json_t *d = forums_subject(req->st, tid);
	if (d) {
		json_object_set_new(d, "action_id", json_integer(id));
		json_object_set(d, "action_title", json_object_get(a, "title"));
		json_object_set(d, "status", json_object_get(a, "status"));
		json_object_set(d, "progress", json_object_get(a, "progress"));
	}
	json_decref(a);
	struct store_stmt *s = store_prepare(req->st,
		"SELECT user_id FROM votes WHERE thread_id = ?1 AND user_id <> ?2 UNION "
		"SELECT author_id FROM posts WHERE thread_id = ?1 AND status = 'visible' AND author_id <> ?2 "
		"ORDER BY 1");
	store_bind_int(s, 1, tid);
	store_bind_int(s, 2, req->who.uid);
	if (rc == 0)
		rc = notify_each(req, s, "action.updated", d, cid, NULL);
	else
		store_done(s);
	json_decref(d);
	return rc;
}

struct action_new {
	int64_t tid, cid, owner, due;
	char *title;
	json_t *body;
};

static void create_txn(struct req *req, struct resp *resp, void *data)
{
	struct action_new *an = data;
	int64_t now = util_now_ms(), id = 0;
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO actions (thread_id, community_id, title, owner_id, due_at, created_by, "
		"created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id");
	store_bind_int(s, 1, an->tid);
	store_bind_int(s, 2, an->cid);
	store_bind_text(s, 3, an->title);
	if (an->owner)
		store_bind_int(s, 4, an->owner);
	else
		store_bind_null(s, 4);
	if (an->due)
		store_bind_int(s, 5, an->due);
	else
		store_bind_null(s, 5);
	store_bind_int(s, 6, req->who.uid);
	store_bind_int(s, 7, now);
	int ok = store_run_int(s, &id) == 0 && action_changed(req, id) == 0 &&
		 forums_mod_log(req, an->cid, "action.create", "thread", an->tid, an->title) > 0;
	if (api_commit_or_fail(req, resp, ok, "could not add the item"))
		goto out;
	api_json(resp, 201, json_pack("{s:o}", "action", action_json(req->st, id, util_now_ms())));
out:
	free(an->title);
	json_decref(an->body);
	free(an);
}

/* POST /v1/threads/{tid}/actions (staff) {title, owner_id?, due_at?} */
void actions_create(struct req *req, struct resp *resp)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 1))
		return;
	if (strcmp(t.kind, "consultation") || !t.closed_at) {
		api_error(resp, 409, "conflict", "items are added to a consultation once it is decided (closed)", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	int64_t owner = 0, due = 0;
	const char *title = api_str(body, "title", 1, ACTION_TITLE_MAX, 1, resp);
	if (!title || api_int(body, "owner_id", 1, INT64_MAX, 0, 0, &owner, resp) ||
	    api_int(body, "due_at", 1, INT64_MAX, 0, 0, &due, resp))
		goto out;
	if (owner && access_role(req->st, owner, t.community_id) == ROLE_NONE) {
		api_error(resp, 404, "not_found", "the owner must be a member of this community", "owner_id");
		goto out;
	}
	if (review_text(req, resp, "action", "title", title, t.community_id))
		goto out;
	struct action_new *an = xcalloc(1, sizeof *an);
	an->tid = t.id;
	an->cid = t.community_id;
	an->owner = owner;
	an->due = due;
	an->title = xstrdup(title);
	an->body = body;
	api_offload(req, resp, create_txn, an); /* takes an and body */
	return;
out:
	json_decref(body);
}

struct action_change {
	int64_t id, cid, progress;  /* progress -1: unchanged */
	const char *status;         /* NULL: unchanged (one of statuses: static) */
	char *note;                 /* NULL: unchanged */
	json_t *body;
};

static void update_txn(struct req *req, struct resp *resp, void *data)
{
	struct action_change *ac = data;
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE actions SET status = coalesce(?2, status), "
		"progress = CASE WHEN ?3 >= 0 THEN ?3 ELSE progress END, "
		"note = coalesce(?4, note), updated_at = ?5 WHERE id = ?1");
	store_bind_int(s, 1, ac->id);
	if (ac->status)
		store_bind_text(s, 2, ac->status);
	else
		store_bind_null(s, 2);
	store_bind_int(s, 3, ac->progress);
	if (ac->note)
		store_bind_text(s, 4, ac->note);
	else
		store_bind_null(s, 4);
	store_bind_int(s, 5, util_now_ms());
	int ok = store_run(s) == 1 && action_changed(req, ac->id) == 0 &&
		 forums_mod_log(req, ac->cid, "action.update", "thread",
				json_integer_value(json_object_get(ac->body, "thread_id")), ac->status ? ac->status : "") > 0;
	if (api_commit_or_fail(req, resp, ok, "could not update the item"))
		goto out;
	api_json(resp, 200, json_pack("{s:o}", "action", action_json(req->st, ac->id, util_now_ms())));
out:
	free(ac->note);
	json_decref(ac->body);
	free(ac);
}

/* PATCH /v1/actions/{id} (staff) {status?, progress?, note?} */
void actions_update(struct req *req, struct resp *resp)
{
	int64_t id;
	if (api_id_param(req, "id", &id, resp) || api_require_user(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st, "SELECT community_id, thread_id FROM actions WHERE id = ?");
	store_bind_int(s, 1, id);
	int found = store_step(s) == STORE_ROW;
	int64_t cid = found ? store_col_int(s, 0) : 0, tid = found ? store_col_int(s, 1) : 0;
	store_done(s);
	enum role role = found ? access_role(req->st, req->who.uid, cid) : ROLE_NONE;
	if (!found || (role == ROLE_NONE && !req->who.is_admin)) {
		api_error(resp, 404, "not_found", "no such item", NULL);
		return;
	}
	if (role != ROLE_STAFF && !req->who.is_admin) {
		api_error(resp, 403, "forbidden", "staff of this community move items on", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	int64_t progress = -1;
	const char *status_in = api_str(body, "status", 1, 16, 0, resp), *status = NULL;
	if (!status_in && resp->status)
		goto out;
	for (size_t i = 0; status_in && i < sizeof statuses / sizeof statuses[0]; i++)
		if (!strcmp(status_in, statuses[i]))
			status = statuses[i];
	if (status_in && !status) {
		api_error(resp, 400, "bad_request", "status must be planned, in_progress, done or blocked", "status");
		goto out;
	}
	if (api_int(body, "progress", 0, 100, 0, -1, &progress, resp))
		goto out;
	const char *note = api_str(body, "note", 1, ACTION_NOTE_MAX, 0, resp);
	if (!note && resp->status)
		goto out;
	if (!status && progress < 0 && !note) {
		api_error(resp, 400, "bad_request", "give status, progress or note", NULL);
		goto out;
	}
	if (note && review_text(req, resp, "action", "note", note, cid))
		goto out;
	struct action_change *ac = xcalloc(1, sizeof *ac);
	ac->id = id;
	ac->cid = cid;
	ac->status = status;
	ac->progress = progress;
	ac->note = note ? xstrdup(note) : NULL;
	json_object_set_new(body, "thread_id", json_integer(tid)); /* for the log */
	ac->body = body;
	api_offload(req, resp, update_txn, ac); /* takes ac and body */
	return;
out:
	json_decref(body);
}

/* GET /v1/communities/{cid}/actions ?status=&thread_id=&limit=&cursor= (members) */
void actions_list(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	char status[16] = "", arg[24] = "";
	api_query(req, "status", status, sizeof status);
	int64_t tid = 0; /* ?thread_id=: one consultation's items (its page) */
	if (api_query(req, "thread_id", arg, sizeof arg) >= 0 && (util_parse_i64(arg, &tid) || tid < 1)) {
		api_error(resp, 400, "bad_request", "thread_id must be a thread id", "thread_id");
		return;
	}
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM actions WHERE community_id = ?1 AND (?2 = 0 OR id < ?2) "
		"AND (?3 = '' OR status = ?3) AND (?5 = 0 OR thread_id = ?5) ORDER BY id DESC LIMIT ?4");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_text(s, 3, status);
	store_bind_int(s, 4, limit);
	store_bind_int(s, 5, tid);
	int64_t *ids = NULL;
	size_t n = 0;
	if (store_run_ids(s, &ids, &n)) {
		api_error(resp, 500, "internal", "could not list the items", NULL);
		return;
	}
	json_t *items = json_array();
	int64_t now = util_now_ms();
	for (size_t i = 0; i < n; i++) {
		json_t *a = action_json(req->st, ids[i], now);
		if (a)
			json_array_append_new(items, a);
	}
	int64_t last = n ? ids[n - 1] : 0;
	free(ids);
	api_json(resp, 200, api_list(items, limit, last));
}
