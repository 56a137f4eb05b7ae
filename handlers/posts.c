/* posts: replies in threads, reports and the review queue, and the staff
 * actions on them (hide, restore, lock, pin, mute), each logged with its
 * reason for the moderation log (居務公開). */
#include "access.h"
#include "forums.h"
#include "routes.h"
#include "notify.h"
#include "users.h"
#include "review.h"
#include "wordfilter.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX 5000
#define REASON_MAX 500

/* The post object (the same for every viewer: the author as id and name). */
static json_t *post_json(struct store *st, int64_t pid)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT p.thread_id, p.author_id, p.body, p.reply_to, p.status, p.created_at, p.edited_at, "
		"p.hold_reason, u.display_name, p.ip_region FROM posts p JOIN users u ON u.id = p.author_id "
		"WHERE p.id = ?");
	store_bind_int(s, 1, pid);
	json_t *p = NULL;
	if (store_step(s) == STORE_ROW) {
		p = json_pack("{s:I, s:I, s:{s:I, s:s}, s:s, s:s, s:I}",
			"id", (json_int_t)pid, "thread_id", (json_int_t)store_col_int(s, 0),
			"author", "id", (json_int_t)store_col_int(s, 1), "display_name", store_col_text(s, 8),
			"body", store_col_text(s, 2),
			"status", store_col_text(s, 4),
			"created_at", (json_int_t)store_col_int(s, 5));
		json_object_set_new(p, "reply_to", store_col_null(s, 3) ? json_null() :
				    json_integer(store_col_int(s, 3)));
		if (!store_col_null(s, 6))
			json_object_set_new(p, "edited_at", json_integer(store_col_int(s, 6)));
		if (!store_col_null(s, 7))
			json_object_set_new(p, "hold_reason", json_string(store_col_text(s, 7)));
		json_object_set_new(p, "ip_region", store_col_null(s, 9) ? json_null() :
				    json_string(store_col_text(s, 9)));
	}
	store_done(s);
	if (p)
		json_object_set_new(p, "attachments", uploads_of(st, "post", pid));
	if (p && !strcmp(json_string_value(json_object_get(p, "status")), "hidden")) {
		/* The decision its author may appeal (only staff and the author
		 * read a hidden post; its events carry none of this). */
		s = store_prepare(st, "SELECT id FROM moderation_log WHERE target_kind = 'post' "
				  "AND target_id = ? AND action = 'post.hide' ORDER BY id DESC LIMIT 1");
		store_bind_int(s, 1, pid);
		int64_t aid = 0;
		if (store_run_int(s, &aid) == 0 && aid)
			json_object_set_new(p, "hide_action_id", json_integer(aid));
	}
	return p;
}

struct post_row {
	int64_t id, thread_id, community_id, author_id;
	char status[16];
};

static int post_load(struct store *st, int64_t pid, struct post_row *p)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT thread_id, community_id, author_id, status FROM posts WHERE id = ?");
	store_bind_int(s, 1, pid);
	int found = store_step(s) == STORE_ROW;
	if (found) {
		p->id = pid;
		p->thread_id = store_col_int(s, 0);
		p->community_id = store_col_int(s, 1);
		p->author_id = store_col_int(s, 2);
		snprintf(p->status, sizeof p->status, "%s", store_col_text(s, 3));
	}
	store_done(s);
	return found ? 0 : -ENOENT;
}

static int post_access(struct req *req, struct resp *resp, struct post_row *p, int staff)
{
	int64_t pid;
	if (api_id_param(req, "pid", &pid, resp) || api_require_user(req, resp))
		return -EPERM;
	if (post_load(req->st, pid, p)) {
		api_error(resp, 404, "not_found", "no such post", NULL);
		return -ENOENT;
	}
	return staff ? access_require_staff(req, p->community_id, resp)
		     : access_require_member(req, p->community_id, resp);
}

static void chan(char *out, size_t n, const char *kind, int64_t id)
{
	snprintf(out, n, "%s:%" PRId64, kind, id);
}

/* For its author, until when the post may be edited (PATCH): the
 * page offers 编辑 only meanwhile. pj is the post's JSON; returns it. */
static json_t *with_edit_window(const struct req *req, json_t *pj)
{
	json_t *a = json_object_get(json_object_get(pj, "author"), "id");
	if (a && json_integer_value(a) == req->who.uid)
		json_object_set_new(pj, "editable_until", json_integer(
			json_integer_value(json_object_get(pj, "created_at")) + req->cfg->post_edit_window_s * 1000));
	return pj;
}

/* Emits the post's current state: to the thread when visible (or when it
 * stops being visible, so pages drop it), to staff on mod:{cid}. *state,
 * when not NULL, gets that state for the answer (the caller's reference). */
static int emit_post(struct req *req, struct post_row *p, const char *type, int to_thread,
		     const char *mod_type, json_t **state)
{
	json_t *pj = post_json(req->st, p->id);
	if (!pj)
		return -EIO;
	char ch[48];
	int rc = 0;
	if (to_thread) {
		/* Every member hears it; a post not visible is one a REST read by
		 * most of them would not show at all: only that it is gone (not
		 * its text, author or why it is held). Staff have mod:{cid}, the
		 * author the answer and REST. */
		json_t *pub = json_deep_copy(pj);
		if (strcmp(json_string_value(json_object_get(pub, "status")), "visible")) {
			json_decref(pub);
			pub = json_pack("{s:O, s:O, s:O, s:s, s:O, s:O}", "id", json_object_get(pj, "id"),
				"thread_id", json_object_get(pj, "thread_id"),
				"status", json_object_get(pj, "status"), "body", "",
				"reply_to", json_object_get(pj, "reply_to"),
				"created_at", json_object_get(pj, "created_at"));
		}
		chan(ch, sizeof ch, "thread", p->thread_id);
		rc |= api_emit(req, ch, type, pub, p->community_id);
		json_decref(pub);
	}
	if (mod_type) {
		chan(ch, sizeof ch, "mod", p->community_id);
		rc |= api_emit(req, ch, mod_type, pj, p->community_id);
	}
	if (state)
		*state = pj;
	else
		json_decref(pj);
	return rc;
}

/* Why a post's text is held for staff, into hold (empty when it is not):
 * a listed word (checked first: cheap), or the content check's review.
 * The content check answers first (API_WAIT: the handler returns and is
 * run again; API_REJECT: the 400 is set). */
static enum api_verdict post_hold(struct req *req, struct resp *resp, const char *kind,
				  const char *text, int64_t cid, char hold[200])
{
	char listed[128];
	const char *word = wordfilter_match_current(text, listed, sizeof listed) ? listed : NULL;
	const char *label = NULL;
	enum api_verdict v = api_content(req, resp, kind, "body", text, cid, &label);
	hold[0] = '\0';
	if (v == API_WAIT || v == API_REJECT)
		return v;
	if (word)
		snprintf(hold, 200, "contains a sensitive word (%s); waiting for staff review", word);
	else if (v == API_REVIEW)
		snprintf(hold, 200, "held by the content check (%s); waiting for staff review", label);
	return v;
}

/* --- posting -------------------------------------------------------------------- */

void posts_create(struct req *req, struct resp *resp)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 0))
		return;
	int64_t tid = t.id;
	if (forums_not_locked(&t, resp))
		return;
	if (t.muted && forums_not_muted(req, t.community_id, resp))
		return; /* the full answer (until when, why) only for the muted */
	struct store_stmt *s;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *text = api_str(body, "body", 1, BODY_MAX, 1, resp);
	int64_t reply_to = 0;
	if (!text || api_int(body, "reply_to", 1, INT64_MAX, 0, 0, &reply_to, resp))
		goto out;
	if (reply_to) {
		struct post_row r;
		if (post_load(req->st, reply_to, &r) || r.thread_id != tid) {
			api_error(resp, 400, "bad_request", "reply_to must be a post of this thread", "reply_to");
			goto out;
		}
	}
	/* A listed word, or the content check's review, holds the post instead
	 * of refusing it: the author sees it, with the reason; staff decide. */
	char hold[200];
	enum api_verdict v = post_hold(req, resp, "post", text, t.community_id, hold);
	if (v == API_REJECT)
		goto out;
	const char *held = hold[0] ? hold : NULL;
	struct uploads_pick photos; /* checked alongside the text */
	if (uploads_parse(req, body, t.community_id, &photos, resp) || v == API_WAIT || api_begin(req, resp))
		goto out;
	s = store_prepare(req->st,
		"INSERT INTO posts (thread_id, community_id, author_id, body, reply_to, created_at, "
		"status, hold_reason, ip_region) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, tid);
	store_bind_int(s, 2, t.community_id);
	store_bind_int(s, 3, req->who.uid);
	store_bind_text(s, 4, text);
	if (reply_to)
		store_bind_int(s, 5, reply_to);
	else
		store_bind_null(s, 5);
	store_bind_int(s, 6, util_now_ms());
	store_bind_text(s, 7, held ? "pending" : "visible");
	if (held)
		store_bind_text(s, 8, hold);
	else
		store_bind_null(s, 8);
	store_bind_text(s, 9, api_ip_region(req));
	struct post_row p = { .thread_id = tid, .community_id = t.community_id,
			      .author_id = req->who.uid };
	int ok = store_run_int(s, &p.id) == 0 && uploads_attach(req, &photos, "post", p.id) == 0;
	json_t *pj = NULL;
	if (ok && held) {
		ok = emit_post(req, &p, "post.created", 0, "post.pending", &pj) == 0;
	} else if (ok) {
		ok = forums_index(req, t.community_id, tid, p.id, text) == 0 &&
		     emit_post(req, &p, "post.created", 1, NULL, &pj) == 0;
	}
	if (api_commit_or_fail(req, resp, ok, "could not post")) {
		json_decref(pj);
		goto out;
	}
	api_json(resp, 201, json_pack("{s:o}", "post", with_edit_window(req, pj)));
out:
	json_decref(body);
}

void posts_list(struct req *req, struct resp *resp)
{
	int64_t cursor;
	int limit;
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 0) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	int64_t tid = t.id;
	int staff = req->who.is_admin ||
		    t.role == ROLE_STAFF;
	/* Residents see visible posts and their own held or hidden ones (the
	 * author may appeal a hide); staff all. */
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM posts WHERE thread_id = ?1 AND id > ?2 AND "
		"(?3 = 1 OR status = 'visible' OR author_id = ?4) "
		"ORDER BY id LIMIT ?5");
	store_bind_int(s, 1, tid);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, staff);
	store_bind_int(s, 4, req->who.uid);
	store_bind_int(s, 5, limit);
	int64_t ids[200];
	int n = 0;
	while (store_step(s) == STORE_ROW && n < limit)
		ids[n++] = store_col_int(s, 0);
	store_done(s);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, with_edit_window(req, post_json(req->st, ids[i])));
	api_json(resp, 200, api_list(items, limit, n ? ids[n - 1] : 0));
}

/* PATCH /v1/posts/{pid} {body}: the author, within post_edit_window_s.
 * The earlier text goes to post_edits; the post is marked edited and
 * filtered again. */
void posts_edit(struct req *req, struct resp *resp)
{
	struct post_row p;
	if (post_access(req, resp, &p, 0))
		return;
	if (p.author_id != req->who.uid) {
		api_error(resp, 403, "forbidden", "only the author may edit a post", NULL);
		return;
	}
	if (!strcmp(p.status, "hidden")) {
		api_error(resp, 409, "conflict", "a hidden post cannot be edited", NULL);
		return;
	}
	struct thread_row t;
	if (forums_thread_load(req->st, p.thread_id, req->who.uid, &t)) {
		api_error(resp, 404, "not_found", "no such post", "pid");
		return;
	}
	/* An edit is a post again: refused where posting is. */
	if (forums_not_locked(&t, resp))
		return;
	if (t.muted && forums_not_muted(req, t.community_id, resp))
		return;
	struct store_stmt *s = store_prepare(req->st, "SELECT body, created_at FROM posts WHERE id = ?");
	store_bind_int(s, 1, p.id);
	store_step(s);
	char *old = xstrdup(store_col_text(s, 0));
	int64_t created = store_col_int(s, 1);
	store_done(s);
	json_t *body = NULL;
	int64_t now = util_now_ms();
	if (now - created > req->cfg->post_edit_window_s * 1000) {
		api_error(resp, 409, "conflict", "the time to edit this post has passed", NULL);
		goto out;
	}
	body = api_body_object(req, resp);
	const char *text = body ? api_str(body, "body", 1, BODY_MAX, 1, resp) : NULL;
	if (!text)
		goto out;
	char hold[200];
	enum api_verdict v = post_hold(req, resp, "post_edit", text, p.community_id, hold);
	if (v == API_WAIT || v == API_REJECT)
		goto out;
	const char *held = hold[0] ? hold : NULL;
	const char *status = held ? "pending" : p.status;
	if (api_begin(req, resp))
		goto out;
	s = store_prepare(req->st, "INSERT INTO post_edits (post_id, body, edited_at) VALUES (?, ?, ?)");
	store_bind_int(s, 1, p.id);
	store_bind_text(s, 2, old);
	store_bind_int(s, 3, now);
	int ok = store_step(s) == STORE_DONE;
	store_done(s);
	s = store_prepare(req->st,
		"UPDATE posts SET body = ?, edited_at = ?, status = ?, "
		"hold_reason = CASE WHEN ? = '' THEN hold_reason ELSE ? END WHERE id = ?");
	store_bind_text(s, 1, text);
	store_bind_int(s, 2, now);
	store_bind_text(s, 3, status);
	store_bind_text(s, 4, hold);
	store_bind_text(s, 5, hold);
	store_bind_int(s, 6, p.id);
	ok = ok && store_step(s) == STORE_DONE;
	store_done(s);
	forums_unindex(req, p.id);
	if (!strcmp(status, "visible"))
		forums_index(req, p.community_id, p.thread_id, p.id, text);
	/* Was visible: the thread learns of the change (or that it is held). */
	int was_visible = !strcmp(p.status, "visible");
	json_t *pj = NULL;
	ok = ok && emit_post(req, &p, "post.updated", was_visible || !held,
			     held ? "post.pending" : NULL, &pj) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not edit the post")) {
		json_decref(pj);
		goto out;
	}
	api_json(resp, 200, json_pack("{s:o}", "post", with_edit_window(req, pj)));
out:
	free(old);
	json_decref(body);
}

/* --- reports --------------------------------------------------------------------- */

void posts_report(struct req *req, struct resp *resp)
{
	struct post_row p;
	if (post_access(req, resp, &p, 0))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *reason = api_str(body, "reason", 1, REASON_MAX, 1, resp);
	if (!reason || api_begin(req, resp))
		goto out;
	/* The post's row first, held until commit: reports of one post racing
	 * (on PostgreSQL, in parallel) count each other's, so the one that
	 * reaches report_hold_threshold sees it. SQLite's lock does it anyway. */
	struct store_stmt *s = store_prepare(req->st, "UPDATE posts SET status = status WHERE id = ?");
	store_bind_int(s, 1, p.id);
	store_run(s);
	s = store_prepare(req->st,
		"INSERT INTO reports (post_id, reporter_id, reason, at) VALUES (?, ?, ?, ?) "
		"ON CONFLICT (post_id, reporter_id) DO NOTHING");
	store_bind_int(s, 1, p.id);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, reason);
	store_bind_int(s, 4, util_now_ms());
	int64_t added = store_run(s);
	int ok = added >= 0, fresh = added == 1;
	s = store_prepare(req->st, "SELECT count(*) FROM reports WHERE post_id = ? AND resolved_at IS NULL");
	store_bind_int(s, 1, p.id);
	store_step(s);
	int64_t open_reports = store_col_int(s, 0);
	store_done(s);
	if (ok && fresh) {
		json_t *d = json_pack("{s:I, s:I, s:s, s:I}", "post_id", (json_int_t)p.id,
				      "thread_id", (json_int_t)p.thread_id, "reason", reason,
				      "reports", (json_int_t)open_reports);
		char ch[48];
		chan(ch, sizeof ch, "mod", p.community_id);
		ok = api_emit(req, ch, "report.created", d, p.community_id) == 0;
		json_decref(d);
		if (ok && open_reports >= req->cfg->report_hold_threshold) {
			/* Enough neighbours object: hold it until staff decide (if it
			 * is still visible: the status read before the lock is old). */
			s = store_prepare(req->st, "UPDATE posts SET status = 'pending', "
					  "hold_reason = 'reported' WHERE id = ? AND status = 'visible'");
			store_bind_int(s, 1, p.id);
			int64_t held = store_run(s);
			ok = held >= 0;
			if (held == 1)
				ok = forums_unindex(req, p.id) == 0 &&
				     emit_post(req, &p, "post.updated", 1, "post.pending", NULL) == 0;
		}
	}
	if (api_commit_or_fail(req, resp, ok, "could not report"))
		goto out;
	api_json(resp, 201, json_pack("{s:I, s:I}", "post_id", (json_int_t)p.id,
				      "reports", (json_int_t)open_reports));
out:
	json_decref(body);
}

/* --- staff actions ----------------------------------------------------------------- */

/* The staff action's reason from the body: required for hide, lock and
 * mute; optional (may be left out, or no body at all) for restore, unlock,
 * pin and unpin, so the log can still say why. NULL with a 400 set on bad
 * input; *body is the parsed body to free. */
static const char *mod_reason(struct req *req, struct resp *resp, int required, json_t **body)
{
	*body = NULL;
	if (!required && !req->body_len)
		return "";
	if (!(*body = api_body_object(req, resp)))
		return NULL;
	const char *reason = api_str(*body, "reason", 1, REASON_MAX, required, resp);
	return reason ? reason : resp->status ? NULL : "";
}

/* Inside the caller's transaction: the post becomes status (hidden,
 * visible), logged as action by the caller with reason; reporters, the
 * author, staff and the thread are told. 0 or an error; *pj the post. */
static int post_set_status(struct req *req, struct post_row *pp, const char *status,
			   const char *action, const char *reason, json_t **pj_out)
{
	struct post_row p = *pp;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE posts SET status = ?, hold_reason = NULL WHERE id = ?");
	store_bind_text(s, 1, status);
	store_bind_int(s, 2, p.id);
	int ok = store_step(s) == STORE_DONE;
	store_done(s);
	/* Every member who reported it hears what came of it, once. */
	s = store_prepare(req->st, "UPDATE reports SET resolved_at = ? WHERE post_id = ? AND resolved_at IS NULL "
			  "RETURNING reporter_id");
	store_bind_int(s, 1, util_now_ms());
	store_bind_int(s, 2, p.id);
	int64_t *reporters;
	size_t nrep;
	ok = store_run_ids(s, &reporters, &nrep) == 0 && ok;
	json_t *outcome = json_pack("{s:I, s:I, s:s}", "post_id", (json_int_t)p.id,
				    "thread_id", (json_int_t)p.thread_id,
				    "outcome", strcmp(status, "visible") ? "hidden" : "kept");
	for (size_t i = 0; ok && i < nrep; i++)
		ok = notify(req, reporters[i], "report.resolved", outcome, p.community_id) == 0;
	json_decref(outcome);
	free(reporters);
	if (!strcmp(status, "visible")) {
		s = store_prepare(req->st, "SELECT body FROM posts WHERE id = ?");
		store_bind_int(s, 1, p.id);
		if (store_step(s) == STORE_ROW) {
			char *b = xstrdup(store_col_text(s, 0));
			store_done(s);
			forums_unindex(req, p.id);
			forums_index(req, p.community_id, p.thread_id, p.id, b);
			free(b);
		} else {
			store_done(s);
		}
	} else {
		forums_unindex(req, p.id);
	}
	int64_t action_id = forums_mod_log(req, p.community_id, action, "post", p.id, reason);
	ok = ok && action_id > 0;
	json_t *note = json_pack("{s:s, s:I, s:I, s:I, s:s}", "action", action,
				 "action_id", (json_int_t)action_id, "post_id", (json_int_t)p.id,
				 "thread_id", (json_int_t)p.thread_id, "reason", reason);
	char ch[48];
	ok = ok && notify(req, p.author_id, "moderation.action", note, p.community_id) == 0;
	chan(ch, sizeof ch, "mod", p.community_id);
	ok = ok && api_emit(req, ch, "moderation.action", note, p.community_id) == 0;
	json_decref(note);
	ok = ok && emit_post(req, &p, "post.updated", 1, NULL, pj_out) == 0;
	return ok ? 0 : -EIO;
}

/* hide / restore: status change, log, events, author notified by the
 * user:{author} channel. */
static void set_post_status(struct req *req, struct resp *resp, const char *status,
			    const char *action, int need_reason)
{
	struct post_row p;
	if (post_access(req, resp, &p, 1))
		return;
	json_t *body;
	const char *reason = mod_reason(req, resp, need_reason, &body);
	if (!reason || api_begin(req, resp))
		goto out;
	json_t *pj = NULL;
	int ok = post_set_status(req, &p, status, action, reason, &pj) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not change the post")) {
		json_decref(pj);
		goto out;
	}
	api_json(resp, 200, json_pack("{s:o}", "post", pj));
out:
	json_decref(body);
}

void posts_hide(struct req *req, struct resp *resp)
{
	set_post_status(req, resp, "hidden", "post.hide", 1);
}

void posts_restore(struct req *req, struct resp *resp)
{
	set_post_status(req, resp, "visible", "post.restore", 0);
}

/* lock / unlock / pin / unpin a thread. */
static void thread_flag(struct req *req, struct resp *resp, const char *sql, const char *action,
			int need_reason)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 1))
		return;
	int64_t tid = t.id;
	json_t *body;
	const char *reason = mod_reason(req, resp, need_reason, &body);
	if (!reason || api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st, sql);
	store_bind_int(s, 1, tid);
	store_bind_text(s, 2, reason);
	store_bind_int(s, 3, util_now_ms());
	int ok = store_step(s) == STORE_DONE;
	store_done(s);
	forums_mod_log(req, t.community_id, action, "thread", tid, reason);
	json_t *tj = forums_thread_json(req->st, NULL, tid);
	char ch[48];
	chan(ch, sizeof ch, "thread", tid);
	ok = ok && api_emit(req, ch, "thread.updated", tj, t.community_id) == 0;
	chan(ch, sizeof ch, "community", t.community_id);
	ok = ok && api_emit(req, ch, "thread.updated", tj, t.community_id) == 0;
	json_decref(tj);
	if (api_commit_or_fail(req, resp, ok, "could not change the thread"))
		goto out;
	api_json(resp, 200, json_pack("{s:o}", "thread", forums_thread_json(req->st, &req->who, tid)));
out:
	json_decref(body);
}

void posts_lock(struct req *req, struct resp *resp)
{
	thread_flag(req, resp, "UPDATE threads SET locked = 1, lock_reason = ?2, updated_at = ?3 "
		    "WHERE id = ?1", "thread.lock", 1);
}

void posts_unlock(struct req *req, struct resp *resp)
{
	thread_flag(req, resp, "UPDATE threads SET locked = 0, lock_reason = NULL, updated_at = ?3 "
		    "WHERE id = ?1 AND ?2 IS NOT NULL",
		    "thread.unlock", 0);
}

void posts_pin(struct req *req, struct resp *resp)
{
	thread_flag(req, resp, "UPDATE threads SET pinned = 1, updated_at = ?3 WHERE id = ?1 AND ?2 IS NOT NULL",
		    "thread.pin", 0);
}

void posts_unpin(struct req *req, struct resp *resp)
{
	thread_flag(req, resp, "UPDATE threads SET pinned = 0, updated_at = ?3 WHERE id = ?1 AND ?2 IS NOT NULL",
		    "thread.unpin", 0);
}

/* POST /v1/communities/{cid}/mutes {user_id, minutes, reason} (staff). */
void posts_mute(struct req *req, struct resp *resp)
{
	int64_t cid, uid, minutes;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *reason = NULL;
	if (api_int(body, "user_id", 1, INT64_MAX, 1, 0, &uid, resp) ||
	    api_int(body, "minutes", 1, 365LL * 24 * 60, 1, 0, &minutes, resp) ||
	    !(reason = api_str(body, "reason", 1, REASON_MAX, 1, resp)))
		goto out;
	if (access_role(req->st, uid, cid) == ROLE_NONE) {
		api_error(resp, 404, "not_found", "not a member of this community", "user_id");
		goto out;
	}
	int64_t until = util_now_ms() + minutes * 60000;
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO mutes (community_id, user_id, until, reason) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (community_id, user_id) DO UPDATE SET until = ?3, reason = ?4");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, uid);
	store_bind_int(s, 3, until);
	store_bind_text(s, 4, reason);
	int ok = store_step(s) == STORE_DONE;
	store_done(s);
	int64_t action_id = forums_mod_log(req, cid, "member.mute", "user", uid, reason);
	ok = ok && action_id > 0;
	json_t *note = json_pack("{s:s, s:I, s:I, s:I, s:s}", "action", "member.mute",
				 "action_id", (json_int_t)action_id, "community_id", (json_int_t)cid,
				 "muted_until", (json_int_t)until, "reason", reason);
	ok = ok && notify(req, uid, "member.mute", note, cid) == 0;
	json_decref(note);
	if (api_commit_or_fail(req, resp, ok, "could not mute"))
		goto out;
	api_json(resp, 200, json_pack("{s:I, s:I, s:s}", "user_id", (json_int_t)uid,
				      "muted_until", (json_int_t)until, "reason", reason));
out:
	json_decref(body);
}

/* POST /v1/communities/{cid}/warnings (staff) {user_id, reason}: the
 * member is told; the moderation log keeps it; an appeal may withdraw it. */
void posts_warn(struct req *req, struct resp *resp)
{
	int64_t cid, uid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *reason = NULL;
	if (api_int(body, "user_id", 1, INT64_MAX, 1, 0, &uid, resp) ||
	    !(reason = api_str(body, "reason", 1, REASON_MAX, 1, resp)))
		goto out;
	if (access_role(req->st, uid, cid) == ROLE_NONE) {
		api_error(resp, 404, "not_found", "not a member of this community", "user_id");
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	int64_t now = util_now_ms(), wid = 0;
	int64_t action_id = forums_mod_log(req, cid, "member.warn", "user", uid, reason);
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO warnings (community_id, user_id, actor_id, reason, at, action_id) "
		"VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, uid);
	store_bind_int(s, 3, req->who.uid);
	store_bind_text(s, 4, reason);
	store_bind_int(s, 5, now);
	store_bind_int(s, 6, action_id);
	int ok = action_id > 0 && store_run_int(s, &wid) == 0;
	json_t *w = json_pack("{s:I, s:I, s:I, s:I, s:s, s:I}", "id", (json_int_t)wid,
			      "action_id", (json_int_t)action_id, "community_id", (json_int_t)cid,
			      "user_id", (json_int_t)uid, "reason", reason, "at", (json_int_t)now);
	ok = ok && notify(req, uid, "member.warning", w, cid) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not warn")) {
		json_decref(w);
		goto out;
	}
	api_json(resp, 201, json_pack("{s:o}", "warning", w));
out:
	json_decref(body);
}

/* DELETE /v1/communities/{cid}/mutes/{uid} (staff): ends a mute now; the
 * member is told. 404 when the member is not muted. */
void posts_unmute(struct req *req, struct resp *resp)
{
	int64_t cid, uid;
	if (api_id_param(req, "cid", &cid, resp) || api_id_param(req, "uid", &uid, resp) ||
	    access_require_staff(req, cid, resp) || api_begin(req, resp))
		return;
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st,
		"DELETE FROM mutes WHERE community_id = ? AND user_id = ? AND until > ?");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, uid);
	store_bind_int(s, 3, now);
	int64_t gone = store_run(s);
	if (gone == 0) {
		api_rollback(req);
		api_error(resp, 404, "not_found", "this member is not muted", "uid");
		return;
	}
	int64_t action_id = gone > 0 ? forums_mod_log(req, cid, "member.unmute", "user", uid, "") : -1;
	json_t *note = json_pack("{s:s, s:I, s:I}", "action", "member.unmute",
				 "action_id", (json_int_t)action_id, "community_id", (json_int_t)cid);
	int ok = action_id > 0 && notify(req, uid, "member.unmute", note, cid) == 0;
	json_decref(note);
	if (api_commit_or_fail(req, resp, ok, "could not end the mute"))
		return;
	api_json(resp, 200, json_pack("{s:I, s:I, s:n}", "community_id", (json_int_t)cid,
				      "user_id", (json_int_t)uid, "muted_until"));
}

/* --- appeals (申诉) ------------------------------------------------------------------ */

struct action_row {
	int64_t id, community_id, actor_id, target_id, at;
	char action[32], kind[16];
};

static int action_load(struct store *st, int64_t id, struct action_row *a)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT community_id, actor_id, target_id, at, action, target_kind FROM moderation_log "
		"WHERE id = ?");
	store_bind_int(s, 1, id);
	int found = store_step(s) == STORE_ROW;
	if (found) {
		a->id = id;
		a->community_id = store_col_int(s, 0);
		a->actor_id = store_col_int(s, 1);
		a->target_id = store_col_int(s, 2);
		a->at = store_col_int(s, 3);
		snprintf(a->action, sizeof a->action, "%s", store_col_text(s, 4));
		snprintf(a->kind, sizeof a->kind, "%s", store_col_text(s, 5));
	}
	store_done(s);
	return found ? 0 : -ENOENT;
}

/* The member an action targeted: the hidden post's author, the muted or
 * warned member; 0 for actions nobody may appeal. */
static int64_t action_target_user(struct store *st, const struct action_row *a)
{
	if (!strcmp(a->action, "member.mute") || !strcmp(a->action, "member.warn"))
		return a->target_id;
	if (strcmp(a->action, "post.hide"))
		return 0;
	struct post_row p;
	return post_load(st, a->target_id, &p) ? 0 : p.author_id;
}

static json_t *appeal_json(struct store *st, int64_t id)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT a.action_id, a.community_id, a.appellant_id, a.reason, a.status, a.decided_by, "
		"a.decision_reason, a.created_at, a.decided_at, l.action, l.target_kind, l.target_id, "
		"l.reason, l.actor_id, l.at FROM appeals a JOIN moderation_log l ON l.id = a.action_id "
		"WHERE a.id = ?");
	store_bind_int(s, 1, id);
	json_t *j = NULL;
	if (store_step(s) == STORE_ROW) {
		j = json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:{s:I, s:s, s:s, s:I, s:s, s:I, s:I}}",
			"id", (json_int_t)id, "action_id", (json_int_t)store_col_int(s, 0),
			"community_id", (json_int_t)store_col_int(s, 1),
			"appellant_id", (json_int_t)store_col_int(s, 2),
			"reason", store_col_text(s, 3), "status", store_col_text(s, 4),
			"created_at", (json_int_t)store_col_int(s, 7),
			"action", "id", (json_int_t)store_col_int(s, 0), "action", store_col_text(s, 9),
			"target_kind", store_col_text(s, 10), "target_id", (json_int_t)store_col_int(s, 11),
			"reason", store_col_text(s, 12), "actor_id", (json_int_t)store_col_int(s, 13),
			"at", (json_int_t)store_col_int(s, 14));
		json_object_set_new(j, "decided_by", store_col_null(s, 5) ? json_null() :
				    json_integer(store_col_int(s, 5)));
		json_object_set_new(j, "decision_reason", store_col_null(s, 6) ? json_null() :
				    json_string(store_col_text(s, 6)));
		json_object_set_new(j, "decided_at", store_col_null(s, 8) ? json_null() :
				    json_integer(store_col_int(s, 8)));
	}
	store_done(s);
	return j;
}

/* The end of an appeal's transaction: staff hear of it on mod:{cid}
 * (type), then commit, and the appeal is the answer (status). */
static void appeal_commit(struct req *req, struct resp *resp, int ok, int64_t id, const char *type,
			  int64_t cid, int status, const char *fail)
{
	json_t *j = ok ? appeal_json(req->st, id) : NULL;
	char ch[48];
	chan(ch, sizeof ch, "mod", cid);
	ok = j && api_emit(req, ch, type, j, cid) == 0;
	if (api_commit_or_fail(req, resp, ok, fail)) {
		json_decref(j);
		return;
	}
	api_json(resp, status, json_pack("{s:o}", "appeal", j));
}

/* POST /v1/moderation/actions/{id}/appeal {reason}: the member the action
 * targeted, once, within appeal_window_days. */
void posts_appeal(struct req *req, struct resp *resp)
{
	int64_t id;
	struct action_row a;
	if (api_require_user(req, resp) || api_id_param(req, "id", &id, resp))
		return;
	if (action_load(req->st, id, &a) || action_target_user(req->st, &a) != req->who.uid) {
		/* Someone else's action is none of the caller's business. */
		api_error(resp, 404, "not_found", "no moderation action of yours with this id", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *reason = api_str(body, "reason", 1, REASON_MAX, 1, resp);
	int64_t now = util_now_ms();
	/* Only staff read an appeal, and they decide it: a reason the check
	 * wants reviewed is stored as it is (a rejected one is refused). */
	enum api_verdict v = reason ? api_content(req, resp, "appeal", "reason", reason,
						  a.community_id, NULL) : API_REJECT;
	if (v == API_WAIT || v == API_REJECT)
		goto out;
	if (now > a.at + req->cfg->appeal_window_days * 86400 * 1000) {
		api_error(resp, 409, "conflict", "the time to appeal this decision has passed", NULL);
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO appeals (action_id, community_id, appellant_id, reason, created_at) "
		"VALUES (?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, a.id);
	store_bind_int(s, 2, a.community_id);
	store_bind_int(s, 3, req->who.uid);
	store_bind_text(s, 4, reason);
	store_bind_int(s, 5, now);
	int64_t aid = 0;
	int rc = store_run_int(s, &aid);
	if (rc == -EEXIST) {
		api_rollback(req);
		api_error(resp, 409, "conflict", "this decision has been appealed already", NULL);
		goto out;
	}
	appeal_commit(req, resp, rc == 0, aid, "appeal.created", a.community_id, 201,
		      "could not store the appeal");
out:
	json_decref(body);
}

/* GET /v1/communities/{cid}/appeals?status=open|decided (staff) */
void posts_appeals(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	char status[16] = "open";
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	if (api_query(req, "status", status, sizeof status) >= 0 && strcmp(status, "open") &&
	    strcmp(status, "decided")) {
		api_error(resp, 400, "bad_request", "status must be open or decided", "status");
		return;
	}
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM appeals WHERE community_id = ?1 AND (?2 = 1) = (status = 'open') "
		"AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, !strcmp(status, "open"));
	store_bind_int(s, 3, cursor);
	store_bind_int(s, 4, limit);
	int64_t *ids;
	size_t n;
	store_run_ids(s, &ids, &n);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, appeal_json(req->st, ids[i]));
	api_json(resp, 200, api_list(items, limit, n ? ids[n - 1] : 0));
	free(ids);
}

/* Inside the caller's transaction: undoes action a (an overturned appeal). */
static int undo_action(struct req *req, const struct action_row *a, const char *reason)
{
	if (!strcmp(a->action, "post.hide")) {
		struct post_row p;
		json_t *pj = NULL;
		int rc = post_load(req->st, a->target_id, &p) ? -ENOENT :
			 post_set_status(req, &p, "visible", "post.restore", reason, &pj);
		json_decref(pj);
		return rc;
	}
	struct store_stmt *s = store_prepare(req->st, !strcmp(a->action, "member.mute") ?
		"DELETE FROM mutes WHERE community_id = ?1 AND user_id = ?2 AND ?3 > 0" :
		"UPDATE warnings SET withdrawn_at = ?3 WHERE action_id = ?4 AND community_id = ?1 "
		"AND user_id = ?2");
	store_bind_int(s, 1, a->community_id);
	store_bind_int(s, 2, a->target_id);
	store_bind_int(s, 3, util_now_ms());
	if (strcmp(a->action, "member.mute"))
		store_bind_int(s, 4, a->id);
	return store_run(s) < 0 ? -EIO : 0;
}

/* POST /v1/appeals/{id}/decide {decision: upheld|overturned, reason}: staff
 * of the community other than who took the action; an admin always. */
void posts_appeal_decide(struct req *req, struct resp *resp)
{
	int64_t id;
	if (api_require_user(req, resp) || api_id_param(req, "id", &id, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT action_id, community_id, appellant_id, status FROM appeals WHERE id = ?");
	store_bind_int(s, 1, id);
	int64_t action_id = 0, cid = 0, appellant = 0;
	char status[16] = "";
	if (store_step(s) == STORE_ROW) {
		action_id = store_col_int(s, 0);
		cid = store_col_int(s, 1);
		appellant = store_col_int(s, 2);
		snprintf(status, sizeof status, "%s", store_col_text(s, 3));
	}
	store_done(s);
	if (!action_id) {
		api_error(resp, 404, "not_found", "no such appeal", NULL);
		return;
	}
	if (access_require_staff(req, cid, resp))
		return;
	struct action_row a;
	if (action_load(req->st, action_id, &a)) {
		api_error(resp, 404, "not_found", "the appealed action is gone", NULL);
		return;
	}
	if (a.actor_id == req->who.uid && !req->who.is_admin) {
		api_error(resp, 403, "forbidden", "another staff member decides an appeal against your own "
			  "decision", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *decision = api_str(body, "decision", 1, 16, 1, resp), *reason = NULL;
	if (!decision)
		goto out;
	if (strcmp(decision, "upheld") && strcmp(decision, "overturned")) {
		api_error(resp, 400, "bad_request", "decision must be upheld or overturned", "decision");
		goto out;
	}
	if (!(reason = api_str(body, "reason", 1, REASON_MAX, 1, resp)))
		goto out;
	if (strcmp(status, "open")) {
		api_error(resp, 409, "conflict", "this appeal has been decided already", NULL);
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	s = store_prepare(req->st,
		"UPDATE appeals SET status = ?, decided_by = ?, decision_reason = ?, decided_at = ? "
		"WHERE id = ? AND status = 'open'");
	store_bind_text(s, 1, decision);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, reason);
	store_bind_int(s, 4, util_now_ms());
	store_bind_int(s, 5, id);
	int64_t won = store_run(s);
	if (won == 0) {
		api_rollback(req);
		api_error(resp, 409, "conflict", "this appeal has been decided already", NULL);
		goto out;
	}
	int overturned = !strcmp(decision, "overturned");
	int ok = won == 1 && (!overturned || undo_action(req, &a, reason) == 0) &&
		 forums_mod_log(req, cid, overturned ? "appeal.overturned" : "appeal.upheld", "appeal",
				id, reason) > 0;
	if (ok) {
		json_t *j = appeal_json(req->st, id);
		ok = j && notify(req, appellant, "appeal.decided", j, cid) == 0;
		json_decref(j);
	}
	appeal_commit(req, resp, ok, id, "appeal.decided", cid, 200, "could not decide the appeal");
out:
	json_decref(body);
}

/* GET /v1/communities/{cid}/moderation/log (staff). */
void posts_mod_log(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	json_t *items = json_array();
	int64_t last = 0;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT l.id, l.action, l.actor_id, l.target_kind, l.target_id, l.reason, l.at, "
		"coalesce(u.display_name, ''), CASE l.target_kind "
		"WHEN 'post' THEN (SELECT substr(body, 1, 60) FROM posts WHERE id = l.target_id) "
		"WHEN 'thread' THEN (SELECT title FROM threads WHERE id = l.target_id) "
		"WHEN 'user' THEN (SELECT display_name FROM users WHERE id = l.target_id) "
		"WHEN 'announcement' THEN (SELECT title FROM announcements WHERE id = l.target_id) "
		"WHEN 'meeting' THEN (SELECT title FROM meetings WHERE id = l.target_id) END "
		"FROM moderation_log l LEFT JOIN users u ON u.id = l.actor_id "
		"WHERE l.community_id = ?1 AND (?2 = 0 OR l.id < ?2) ORDER BY l.id DESC LIMIT ?3");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, limit);
	while (store_step(s) == STORE_ROW) {
		last = store_col_int(s, 0);
		/* The actor by name too: staff reading the log should not need
		 * the member list to tell who did what. */
		json_array_append_new(items, json_pack("{s:I, s:s, s:I, s:{s:I, s:s}, s:{s:s, s:I}, s:s, s:I}",
			"id", (json_int_t)last, "action", store_col_text(s, 1),
			"actor_id", (json_int_t)store_col_int(s, 2),
			"actor", "id", (json_int_t)store_col_int(s, 2),
			"display_name", store_col_text(s, 7),
			"target", "kind", store_col_text(s, 3),
			"id", (json_int_t)store_col_int(s, 4),
			"reason", store_col_text(s, 5),
			"at", (json_int_t)store_col_int(s, 6)));
		/* What was acted on, in a few words: staff should not need to
		 * open each item to read the log. */
		if (!store_col_null(s, 8))
			json_object_set_new(json_object_get(json_array_get(items, json_array_size(items) - 1),
							     "target"), "excerpt", json_string(store_col_text(s, 8)));
	}
	store_done(s);
	api_json(resp, 200, api_list(items, limit, last));
}

/* GET /v1/communities/{cid}/moderation/summary (members): 居務公開 — how
 * many of each staff action per month, with no personal data. */
void posts_mod_summary(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp))
		return;
	json_t *items = json_array();
	struct store_stmt *s = store_prepare(req->st,
		"SELECT linli_month_cn(at) AS month, action, count(*) "
		"FROM moderation_log WHERE community_id = ?1 GROUP BY 1, 2 "
		"UNION ALL SELECT linli_month_cn(created_at), 'appeal.filed', count(*) "
		"FROM appeals WHERE community_id = ?1 GROUP BY 1 "
		"ORDER BY 1 DESC, 2 LIMIT 600");
	store_bind_int(s, 1, cid);
	while (store_step(s) == STORE_ROW)
		json_array_append_new(items, json_pack("{s:s, s:s, s:I}",
			"month", store_col_text(s, 0),
			"action", store_col_text(s, 1),
			"count", (json_int_t)store_col_int(s, 2)));
	store_done(s);
	api_json(resp, 200, json_pack("{s:I, s:s, s:o}", "community_id", (json_int_t)cid,
				      "timezone", "Asia/Shanghai", "items", items));
}

/* GET /v1/communities/{cid}/moderation/queue (staff): posts waiting for a
 * decision — held (pending) ones and visible ones with open reports —
 * oldest first, each with its reports. */
void posts_mod_queue(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT p.id FROM posts p WHERE p.community_id = ?1 AND p.id > ?2 AND "
		"(p.status = 'pending' OR (p.status = 'visible' AND EXISTS (SELECT 1 FROM reports r "
		" WHERE r.post_id = p.id AND r.resolved_at IS NULL))) ORDER BY p.id LIMIT ?3");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, limit);
	int64_t ids[200];
	int n = 0;
	while (store_step(s) == STORE_ROW && n < limit)
		ids[n++] = store_col_int(s, 0);
	store_done(s);
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *p = post_json(req->st, ids[i]), *reports = json_array();
		s = store_prepare(req->st,
			"SELECT reporter_id, reason, at FROM reports WHERE post_id = ? AND resolved_at IS NULL "
			"ORDER BY at");
		store_bind_int(s, 1, ids[i]);
		while (store_step(s) == STORE_ROW)
			json_array_append_new(reports, json_pack("{s:I, s:s, s:I}",
				"reporter_id", (json_int_t)store_col_int(s, 0),
				"reason", store_col_text(s, 1),
				"at", (json_int_t)store_col_int(s, 2)));
		store_done(s);
		json_object_set_new(p, "reports", reports);
		json_array_append_new(items, p);
	}
	/* Threads and help requests the content check holds, beside the posts. */
	json_t *out = api_list(items, limit, n ? ids[n - 1] : 0);
	json_object_set_new(out, "threads", forums_held(req->st, &req->who, cid));
	json_object_set_new(out, "help_requests", help_held(req->st, cid));
	json_object_set_new(out, "outcomes", forums_held_outcomes(req->st, &req->who, cid));
	json_object_set_new(out, "announcements", channels_held(req->st, cid));
	json_object_set_new(out, "notices", announcements_held(req, cid));
	api_json(resp, 200, out);
}
