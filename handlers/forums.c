/* forums: 議事協商 — discussion threads and consultations (options, a
 * deadline, one changeable vote per member, a tally hidden until close, an
 * outcome staff publish with the minority's reasons on the record). */
#include "access.h"
#include "forums.h"
#include "notify.h"
#include "review.h"
#include "routes.h"
#include "users.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TITLE_MAX 100
#define BODY_MAX 5000
#define OPTION_MAX 100
#define OPTIONS_MIN 2
#define OPTIONS_MAX 10
#define REASON_MAX 500

/* --- reading ---------------------------------------------------------------- */

int forums_thread_load(struct store *st, int64_t tid, int64_t uid, struct thread_row *t)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT community_id, author_id, coalesce(closes_at, 0), coalesce(closed_at, 0), "
		"created_at, coalesce(outcome_at, 0), pinned, live_tally, kind, status, locked, "
		"(SELECT role FROM memberships m WHERE m.community_id = threads.community_id "
		" AND m.user_id = ?2), "
		"EXISTS (SELECT 1 FROM mutes u WHERE u.community_id = threads.community_id "
		" AND u.user_id = ?2 AND u.until > ?3), hold_reason IS NOT NULL FROM threads WHERE id = ?1");
	store_bind_int(s, 1, tid);
	store_bind_int(s, 2, uid);
	store_bind_int(s, 3, util_now_ms());
	int found = store_step(s) == STORE_ROW;
	if (found) {
		t->id = tid;
		t->community_id = store_col_int(s, 0);
		t->author_id = store_col_int(s, 1);
		t->closes_at = store_col_int(s, 2);
		t->closed_at = store_col_int(s, 3);
		t->created_at = store_col_int(s, 4);
		t->outcome_at = store_col_int(s, 5);
		t->pinned = (int)store_col_int(s, 6);
		t->live_tally = (int)store_col_int(s, 7);
		snprintf(t->kind, sizeof t->kind, "%s", store_col_text(s, 8));
		snprintf(t->status, sizeof t->status, "%s", store_col_text(s, 9));
		t->locked = store_col_int(s, 10) != 0;
		t->role = access_role_parse(store_col_text(s, 11));
		t->muted = (int)store_col_int(s, 12);
		t->held = (int)store_col_int(s, 13);
	}
	store_done(s);
	return found ? 0 : -ENOENT;
}

/* Votes per option, in option order. */
static json_t *tally(struct store *st, int64_t tid, int noptions)
{
	json_t *a = json_array();
	int64_t counts[OPTIONS_MAX] = { 0 };
	struct store_stmt *s = store_prepare(st,
		"SELECT option_idx, count(*) FROM votes WHERE thread_id = ? GROUP BY option_idx");
	store_bind_int(s, 1, tid);
	while (store_step(s) == STORE_ROW) {
		int i = (int)store_col_int(s, 0);
		if (i >= 0 && i < OPTIONS_MAX)
			counts[i] = store_col_int(s, 1);
	}
	store_done(s);
	for (int i = 0; i < noptions; i++)
		json_array_append_new(a, json_integer(counts[i]));
	return a;
}

/* Reasons given for the options that did not win (the minority's view). */
/* Reasons given with votes, by option: every one, or (minority) those of
 * options with fewer votes than the most voted. */
static json_t *vote_reasons(struct store *st, int64_t tid, json_t *counts, int minority)
{
	int64_t best = 0;
	size_t i;
	json_t *v;
	json_array_foreach(counts, i, v)
		if (json_integer_value(v) > best)
			best = json_integer_value(v);
	json_t *out = json_array();
	struct store_stmt *s = store_prepare(st,
		"SELECT option_idx, reason FROM votes WHERE thread_id = ? AND reason IS NOT NULL "
		"AND reason != '' ORDER BY option_idx, updated_at");
	store_bind_int(s, 1, tid);
	while (store_step(s) == STORE_ROW) {
		int idx = (int)store_col_int(s, 0);
		if (!minority || json_integer_value(json_array_get(counts, (size_t)idx)) < best)
			json_array_append_new(out, json_pack("{s:i, s:s}", "option", idx,
				"reason", store_col_text(s, 1)));
	}
	store_done(s);
	return out;
}

/* Whether two or more options share the most votes (none of them is the
 * minority then: every side's reasons are shown alike). */
static int tied(json_t *counts)
{
	int64_t best = 0;
	int n = 0;
	size_t i;
	json_t *v;
	json_array_foreach(counts, i, v) {
		int64_t c = json_integer_value(v);
		if (c > best) {
			best = c;
			n = 1;
		} else if (c == best && c > 0) {
			n++;
		}
	}
	return n > 1;
}

json_t *forums_subject(struct store *st, int64_t tid)
{
	struct store_stmt *s = store_prepare(st, "SELECT community_id, title FROM threads WHERE id = ?");
	store_bind_int(s, 1, tid);
	json_t *d = store_step(s) == STORE_ROW ?
		json_pack("{s:I, s:I, s:s}", "thread_id", (json_int_t)tid,
			  "community_id", (json_int_t)store_col_int(s, 0), "title", store_col_text(s, 1)) : NULL;
	store_done(s);
	return d;
}

json_t *forums_thread_json(struct store *st, const struct principal *viewer, int64_t tid)
{
	struct thread_row t;
	if (forums_thread_load(st, tid, viewer ? viewer->uid : 0, &t))
		return NULL;
	struct store_stmt *s = store_prepare(st,
		"SELECT title, body, outcome, lock_reason, updated_at, ip_region, hold_reason, "
		"outcome_hold_reason, publicity_until FROM threads WHERE id = ?");
	store_bind_int(s, 1, tid);
	store_step(s);
	json_t *author = users_json(st, viewer, t.author_id);
	/* status: closed once closed; otherwise locked or open, as before
	 * locking became a fact of its own (locked says it in any state). */
	const char *status = !strcmp(t.status, "closed") ? "closed" : t.locked ? "locked" : "open";
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:{s:I, s:O}, s:s, s:b, s:b, s:I, s:I}",
		"id", (json_int_t)tid, "community_id", (json_int_t)t.community_id,
		"kind", t.kind, "title", store_col_text(s, 0),
		"body", store_col_text(s, 1),
		"author", "id", (json_int_t)t.author_id,
		"display_name", json_object_get(author, "display_name"),
		"status", status, "locked", t.locked, "pinned", t.pinned,
		"created_at", (json_int_t)t.created_at,
		"updated_at", (json_int_t)store_col_int(s, 4));
	if (!store_col_null(s, 3))
		json_object_set_new(j, "lock_reason", json_string(store_col_text(s, 3)));
	json_object_set_new(j, "ip_region", store_col_null(s, 5) ? json_null() :
			    json_string(store_col_text(s, 5)));
	json_object_set_new(j, "attachments", uploads_of(st, "thread", tid));
	if (!store_col_null(s, 6)) {
		json_object_set_new(j, "held", json_true());
		json_object_set_new(j, "hold_reason", json_string(store_col_text(s, 6)));
	}
	/* A held outcome is staff's only (events, viewer NULL, never carry it). */
	int outcome_held = !store_col_null(s, 7);
	int has_outcome = !store_col_null(s, 2) &&
			  (!outcome_held || (viewer && (viewer->is_admin || t.role == ROLE_STAFF)));
	if (has_outcome) {
		json_t *o = json_pack("{s:s, s:I}", "summary", store_col_text(s, 2),
				      "published_at", (json_int_t)t.outcome_at);
		if (outcome_held) {
			json_object_set_new(o, "held", json_true());
			json_object_set_new(o, "hold_reason", json_string(store_col_text(s, 7)));
		}
		json_object_set_new(j, "outcome", o);
		if (!store_col_null(s, 8))
			json_object_set_new(j, "publicity_until", json_integer(store_col_int(s, 8)));
	}
	store_done(s);
	json_decref(author);
	/* For the thread list: how much was said, and when last. */
	s = store_prepare(st,
		"SELECT count(*), coalesce(max(created_at), 0) FROM posts WHERE thread_id = ? AND status = 'visible'");
	store_bind_int(s, 1, tid);
	if (store_step(s) == STORE_ROW) {
		int64_t last = store_col_int(s, 1);
		json_object_set_new(j, "reply_count", json_integer(store_col_int(s, 0)));
		json_object_set_new(j, "last_activity_at", json_integer(last > t.created_at ? last : t.created_at));
	}
	store_done(s);
	if (strcmp(t.kind, "consultation"))
		return j;
	json_t *opts = json_array();
	s = store_prepare(st, "SELECT label FROM thread_options WHERE thread_id = ? ORDER BY idx");
	store_bind_int(s, 1, tid);
	while (store_step(s) == STORE_ROW)
		json_array_append_new(opts, json_string(store_col_text(s, 0)));
	store_done(s);
	int n = (int)json_array_size(opts);
	json_object_set_new(j, "options", opts);
	json_object_set_new(j, "closes_at", json_integer(t.closes_at));
	json_object_set_new(j, "live_tally", json_boolean(t.live_tally));
	if (t.closed_at)
		json_object_set_new(j, "closed_at", json_integer(t.closed_at));
	if (t.closed_at || t.live_tally) {
		json_t *counts = tally(st, tid, n);
		if (t.closed_at) {
			json_object_set_new(j, "minority_reasons", vote_reasons(st, tid, counts, 1));
			json_object_set_new(j, "reasons", vote_reasons(st, tid, counts, 0));
			json_object_set_new(j, "tie", json_boolean(tied(counts)));
		}
		json_object_set_new(j, "tally", counts);
	}
	s = store_prepare(st, "SELECT count(*), coalesce(sum(CASE WHEN source = 'offline' THEN 1 ELSE 0 END), 0) "
			  "FROM votes WHERE thread_id = ?");
	store_bind_int(s, 1, tid);
	store_step(s);
	json_object_set_new(j, "votes", json_integer(store_col_int(s, 0)));
	json_object_set_new(j, "offline_votes", json_integer(store_col_int(s, 1)));
	store_done(s);
	if (viewer && viewer->uid) {
		s = store_prepare(st, "SELECT option_idx, reason, source FROM votes WHERE thread_id = ? AND user_id = ?");
		store_bind_int(s, 1, tid);
		store_bind_int(s, 2, viewer->uid);
		/* source only for a vote staff entered from a meeting: an
		 * online vote reads as it always has. */
		if (store_step(s) == STORE_ROW)
			json_object_set_new(j, "my_vote", json_pack("{s:i, s:s?, s:s*}",
				"option", (int)store_col_int(s, 0), "reason", store_col_text(s, 1),
				"source", strcmp(store_col_text(s, 2), "offline") ? NULL : "offline"));
		store_done(s);
	}
	return j;
}

int forums_thread_access(struct req *req, struct resp *resp, struct thread_row *t, int staff)
{
	int64_t tid;
	if (api_id_param(req, "tid", &tid, resp) || api_require_user(req, resp))
		return -EPERM;
	if (forums_thread_load(req->st, tid, req->who.uid, t)) {
		api_error(resp, 404, "not_found", "no such thread", NULL);
		return -ENOENT;
	}
	/* The community exists (the thread's foreign key); the role came along. */
	if (access_require_role(req, t->role, staff ? ROLE_STAFF : ROLE_RESIDENT, resp))
		return -EPERM;
	/* A held thread is its author's and staff's only. */
	if (t->held && t->author_id != req->who.uid && t->role != ROLE_STAFF && !req->who.is_admin) {
		api_error(resp, 404, "not_found", "no such thread", NULL);
		return -ENOENT;
	}
	return 0;
}

int forums_not_muted(struct req *req, int64_t cid, struct resp *resp)
{
	struct store_stmt *s = store_prepare(req->st,
		"SELECT until, reason FROM mutes WHERE community_id = ? AND user_id = ? AND until > ?");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, req->who.uid);
	store_bind_int(s, 3, util_now_ms());
	int muted = store_step(s) == STORE_ROW;
	if (muted) {
		/* reason: the contract's word; mute_reason: what staff wrote. */
		json_t *e = json_pack("{s:{s:s, s:s, s:s, s:I, s:s}}", "error", "code", "forbidden",
			"message", "you are muted in this community", "reason", "muted",
			"muted_until", (json_int_t)store_col_int(s, 0), "mute_reason",
			store_col_text(s, 1));
		api_json(resp, 403, e);
	}
	store_done(s);
	return muted ? -EPERM : 0;
}

int forums_not_locked(const struct thread_row *t, struct resp *resp)
{
	if (!t->locked)
		return 0;
	api_error_reason(resp, 409, "conflict", "this thread is locked", "locked");
	return -EPERM;
}

static void emit_thread(struct req *req, int64_t tid, int64_t cid, const char *type)
{
	json_t *t = forums_thread_json(req->st, NULL, tid);
	char ch[48];
	snprintf(ch, sizeof ch, "thread:%" PRId64, tid);
	api_emit(req, ch, type, t, cid);
	snprintf(ch, sizeof ch, "community:%" PRId64, cid);
	api_emit(req, ch, type, t, cid);
	json_decref(t);
}

/* --- threads ------------------------------------------------------------------ */

/* Inside the caller's transaction: the thread is searchable and announced
 * on community:{cid} (type thread.created); or, held, told to staff only
 * (thread.pending on mod:{cid}). */
static int thread_announce(struct req *req, int64_t cid, int64_t tid, const char *type)
{
	int held = !strcmp(type, "thread.pending");
	struct store_stmt *s = store_prepare(req->st, "SELECT title, body FROM threads WHERE id = ?");
	store_bind_int(s, 1, tid);
	int ok = store_step(s) == STORE_ROW;
	char *doc = NULL;
	if (ok) {
		doc = xmalloc(store_col_bytes(s, 0) + store_col_bytes(s, 1) + 2);
		sprintf(doc, "%s\n%s", store_col_text(s, 0), store_col_text(s, 1));
	}
	store_done(s);
	if (ok && !held)
		ok = forums_index(req, cid, tid, 0, doc) == 0;
	free(doc);
	json_t *t = ok ? forums_thread_json(req->st, NULL, tid) : NULL;
	char ch[48];
	snprintf(ch, sizeof ch, "%s:%" PRId64, held ? "mod" : "community", cid);
	ok = t && api_emit(req, ch, type, t, cid) == 0;
	json_decref(t);
	return ok ? 0 : -EIO;
}

/* POST /v1/threads/{tid}/release (staff): a held thread is published now. */
void forums_release(struct req *req, struct resp *resp)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 1))
		return;
	if (!t.held) {
		api_error(resp, 409, "conflict", "this thread is not held", NULL);
		return;
	}
	if (api_begin(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE threads SET hold_reason = NULL WHERE id = ? AND hold_reason IS NOT NULL");
	store_bind_int(s, 1, t.id);
	int ok = store_run(s) == 1 && thread_announce(req, t.community_id, t.id, "thread.created") == 0 &&
		 forums_mod_log(req, t.community_id, "thread.release", "thread", t.id, "") > 0;
	if (api_commit_or_fail(req, resp, ok, "could not release the thread"))
		return;
	api_json(resp, 200, json_pack("{s:o}", "thread", forums_thread_json(req->st, &req->who, t.id)));
}

void forums_thread_create(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp) ||
	    forums_not_muted(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *title = api_str(body, "title", 1, TITLE_MAX, 1, resp);
	const char *text = title ? api_str(body, "body", 1, BODY_MAX, 1, resp) : NULL;
	const char *kind = text ? api_str(body, "kind", 1, 16, 0, resp) : NULL;
	if (!text || (!kind && resp->status))
		goto out;
	int consultation = kind && !strcmp(kind, "consultation");
	if (kind && !consultation && strcmp(kind, "discussion")) {
		api_error(resp, 400, "bad_request", "kind must be \"discussion\" or \"consultation\"", "kind");
		goto out;
	}
	json_t *opts = json_object_get(body, "options"), *o;
	int64_t closes_at = 0, now = util_now_ms();
	int live = 0;
	size_t i;
	if (consultation) {
		if (!json_is_array(opts) || json_array_size(opts) < OPTIONS_MIN ||
		    json_array_size(opts) > OPTIONS_MAX) {
			api_error(resp, 400, "bad_request", "options must be a list of 2 to 10 choices", "options");
			goto out;
		}
		json_array_foreach(opts, i, o) {
			const char *l = json_string_value(o);
			if (!l || api_chars(l) < 1 || api_chars(l) > OPTION_MAX) {
				api_error(resp, 400, "bad_request",
					  "each option must be 1 to 100 characters", "options");
				goto out;
			}
		}
		if (api_int(body, "closes_at", now + 1000, now + 366LL * 86400 * 1000, 1, 0,
			    &closes_at, resp))
			goto out;
		json_t *lt = json_object_get(body, "live_tally");
		if (lt && !json_is_boolean(lt)) {
			api_error(resp, 400, "bad_request", "live_tally must be true or false", "live_tally");
			goto out;
		}
		live = lt && json_is_true(lt);
		if (live && access_role(req->st, req->who.uid, cid) < ROLE_STAFF && !req->who.is_admin) {
			api_error(resp, 403, "forbidden", "only staff may show a live tally", "live_tally");
			goto out;
		}
	}
	char hold[200] = "";
	enum api_verdict vt = held_text(req, resp, "thread_title", "title", title, cid, hold);
	enum api_verdict vb = vt == API_REJECT ? API_REJECT :
			      held_text(req, resp, "thread_body", "body", text, cid, hold);
	/* The photos are checked alongside the texts (one round of checks). */
	struct uploads_pick photos;
	if (vt == API_REJECT || vb == API_REJECT || uploads_parse(req, body, cid, &photos, resp) ||
	    vt == API_WAIT || vb == API_WAIT || api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO threads (community_id, kind, title, body, author_id, live_tally, closes_at, "
		"created_at, updated_at, ip_region, hold_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
		"RETURNING id");
	store_bind_int(s, 1, cid);
	store_bind_text(s, 2, consultation ? "consultation" : "discussion");
	store_bind_text(s, 3, title);
	store_bind_text(s, 4, text);
	store_bind_int(s, 5, req->who.uid);
	store_bind_int(s, 6, live);
	if (consultation)
		store_bind_int(s, 7, closes_at);
	else
		store_bind_null(s, 7);
	store_bind_int(s, 8, now);
	store_bind_int(s, 9, now);
	store_bind_text(s, 10, api_ip_region(req));
	store_bind_text(s, 11, hold[0] ? hold : NULL);
	int64_t tid = 0;
	int ok = store_run_int(s, &tid) == 0;
	if (consultation)
		json_array_foreach(opts, i, o) {
			s = store_prepare(req->st, "INSERT INTO thread_options (thread_id, idx, label) VALUES (?, ?, ?)");
			store_bind_int(s, 1, tid);
			store_bind_int(s, 2, (int64_t)i);
			store_bind_text(s, 3, json_string_value(o));
			ok = ok && store_step(s) == STORE_DONE;
			store_done(s);
		}
	ok = ok && uploads_attach(req, &photos, "thread", tid) == 0;
	/* A held thread is indexed and announced when staff release it. */
	ok = ok && thread_announce(req, cid, tid, hold[0] ? "thread.pending" : "thread.created") == 0;
	if (api_commit_or_fail(req, resp, ok, "could not create the thread"))
		goto out;
	api_json(resp, 201, json_pack("{s:o}", "thread", forums_thread_json(req->st, &req->who, tid)));
out:
	json_decref(body);
}

void forums_thread_get(struct req *req, struct resp *resp)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 0))
		return;
	api_json(resp, 200, json_pack("{s:o}", "thread", forums_thread_json(req->st, &req->who, t.id)));
}

int forums_index(struct req *req, int64_t cid, int64_t tid, int64_t pid, const char *text)
{
	return store_search_add(req->st, cid, tid, pid, text);
}

int forums_unindex(struct req *req, int64_t pid)
{
	return store_search_remove(req->st, pid);
}

void forums_thread_list(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp) ||
	    api_page(req, 20, 100, &limit, &cursor, resp))
		return;
	char q[256];
	int64_t ids[100];
	int n = 0;
	json_t *items = json_array();
	if (api_query(req, "q", q, sizeof q) > 0) {
		n = store_search(req->st, cid, q, cursor, limit, ids);
		if (n < 0) {
			json_decref(items);
			api_error(resp, 503, "unavailable", "search is unavailable; retry", NULL);
			resp->retry_after = 1;
			return;
		}
	} else {
		/* Pinned threads head the first page; pages then run by id. */
		struct store_stmt *s = store_prepare(req->st,
			"SELECT id FROM threads WHERE community_id = ?1 AND "
			"((?2 = 0 AND pinned = 1) OR (pinned = 0 AND (?2 = 0 OR id < ?2))) "
			"AND (hold_reason IS NULL OR author_id = ?4 OR ?5 = 1) "
			"ORDER BY pinned DESC, id DESC LIMIT ?3");
		store_bind_int(s, 1, cid);
		store_bind_int(s, 2, cursor);
		store_bind_int(s, 3, limit);
		store_bind_int(s, 4, req->who.uid);
		store_bind_int(s, 5, req->who.is_admin ||
				     access_role(req->st, req->who.uid, cid) == ROLE_STAFF);
		while (store_step(s) == STORE_ROW && n < limit)
			ids[n++] = store_col_int(s, 0);
		store_done(s);
	}
	int64_t last = 0;
	for (int i = 0; i < n; i++) {
		json_array_append_new(items, forums_thread_json(req->st, &req->who, ids[i]));
		last = ids[i];
	}
	api_json(resp, 200, api_list(items, limit, last));
}

/* --- consultations ---------------------------------------------------------------- */

int forums_emit_tally(struct req *req, const struct thread_row *t)
{
	/* Counts per option only when the tally is live; otherwise just how
	 * many have voted, so the hidden tally stays hidden. */
	json_t *tj = forums_thread_json(req->st, NULL, t->id);
	if (!tj)
		return -EIO;
	json_t *data = json_pack("{s:I, s:O}", "thread_id", (json_int_t)t->id,
				 "votes", json_object_get(tj, "votes"));
	if (t->live_tally)
		json_object_set(data, "tally", json_object_get(tj, "tally"));
	char ch[48];
	snprintf(ch, sizeof ch, "thread:%" PRId64, t->id);
	int rc = api_emit(req, ch, "vote.tally", data, t->community_id) ? -EIO : 0;
	json_decref(data);
	json_decref(tj);
	return rc;
}

int forums_voting_open(const struct req *req, const struct thread_row *t, struct resp *resp, int64_t *noptions)
{
	if (strcmp(t->kind, "consultation")) {
		api_error(resp, 409, "conflict", "only consultations take votes", NULL);
		return -EPERM;
	}
	if (t->closed_at || t->closes_at <= util_now_ms()) {
		api_error(resp, 409, "conflict", "voting has closed", NULL);
		return -EPERM;
	}
	if (forums_not_locked(t, resp))
		return -EPERM;
	struct store_stmt *s = store_prepare(req->st, "SELECT count(*) FROM thread_options WHERE thread_id = ?");
	store_bind_int(s, 1, t->id);
	*noptions = store_step(s) == STORE_ROW ? store_col_int(s, 0) : 0;
	store_done(s);
	return 0;
}

void forums_vote(struct req *req, struct resp *resp)
{
	struct thread_row t;
	int64_t nopt;
	if (forums_thread_access(req, resp, &t, 0) || forums_voting_open(req, &t, resp, &nopt))
		return;
	if (t.role == ROLE_NONE) {
		api_error(resp, 403, "forbidden", "only members of this community vote", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	int64_t opt;
	const char *reason = NULL;
	struct store_stmt *s;
	if (api_int(body, "option", 0, nopt - 1, 1, 0, &opt, resp))
		goto out;
	reason = api_str(body, "reason", 0, REASON_MAX, 0, resp);
	if (!reason && resp->status)
		goto out;
	if (api_begin(req, resp))
		goto out;
	s = store_prepare(req->st,
		"INSERT INTO votes (thread_id, user_id, option_idx, reason, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (thread_id, user_id) DO UPDATE SET option_idx = ?3, reason = ?4, updated_at = ?5, "
		"source = 'online', entered_by = NULL"); /* an online vote wins over an offline one */
	store_bind_int(s, 1, t.id);
	store_bind_int(s, 2, req->who.uid);
	store_bind_int(s, 3, opt);
	if (reason)
		store_bind_text(s, 4, reason);
	else
		store_bind_null(s, 4);
	store_bind_int(s, 5, util_now_ms());
	int ok = store_step(s) == STORE_DONE;
	store_done(s);
	ok = ok && forums_emit_tally(req, &t) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not record the vote"))
		goto out;
	api_json(resp, 200, json_pack("{s:{s:I, s:I, s:s?}}", "vote", "thread_id", (json_int_t)t.id,
				      "option", (json_int_t)opt, "reason", reason));
out:
	json_decref(body);
}

/* Everyone who voted in tid hears of it (type: consultation.closed,
 * consultation.outcome), inside the caller's transaction: 0 or -EIO. */
static int notify_voters(struct req *req, int64_t tid, int64_t cid, const char *type)
{
	json_t *d = forums_subject(req->st, tid);
	struct store_stmt *s = store_prepare(req->st,
		"SELECT user_id FROM votes WHERE thread_id = ? ORDER BY user_id");
	store_bind_int(s, 1, tid);
	int rc = notify_each(req, s, type, d, cid, NULL);
	json_decref(d);
	return rc;
}

/* Closes consultation tid inside the caller's transaction, emits
 * thread.updated with the tally and tells the voters. 0, -EALREADY when
 * it was closed already, or a store error. */
static int close_consultation(struct req *req, int64_t tid, int64_t cid)
{
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE threads SET status = 'closed', closed_at = ?1, updated_at = ?1 "
		"WHERE id = ?2 AND closed_at IS NULL");
	store_bind_int(s, 1, util_now_ms());
	store_bind_int(s, 2, tid);
	int64_t n = store_run(s);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -EALREADY;
	emit_thread(req, tid, cid, "thread.updated");
	return notify_voters(req, tid, cid, "consultation.closed");
}

void forums_close(struct req *req, struct resp *resp)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 1))
		return;
	if (strcmp(t.kind, "consultation") || t.closed_at) {
		api_error(resp, 409, "conflict", t.closed_at ? "already closed" :
			  "only consultations are closed", NULL);
		return;
	}
	if (api_begin(req, resp))
		return;
	int rc = close_consultation(req, t.id, t.community_id);
	if (rc == -EALREADY) {
		api_rollback(req);
		api_error(resp, 409, "conflict", "already closed", NULL);
		return;
	}
	forums_mod_log(req, t.community_id, "consultation.close", "thread", t.id, "");
	if (api_commit_or_fail(req, resp, rc == 0, "could not close the consultation"))
		return;
	api_json(resp, 200, json_pack("{s:o}", "thread", forums_thread_json(req->st, &req->who, t.id)));
}

/* Inside the caller's transaction: a published outcome is told to the
 * thread and logged. */
static int outcome_announce(struct req *req, const struct thread_row *t)
{
	emit_thread(req, t->id, t->community_id, "thread.updated");
	return forums_mod_log(req, t->community_id, "consultation.outcome", "thread", t->id, "") > 0 &&
	       notify_voters(req, t->id, t->community_id, "consultation.outcome") == 0 ? 0 : -EIO;
}

/* A held thread's state for staff on mod:{cid} (type). */
static int announce_held(struct req *req, int64_t cid, const char *type, int64_t tid)
{
	json_t *j = forums_thread_json(req->st, &req->who, tid);
	char ch[48];
	snprintf(ch, sizeof ch, "mod:%" PRId64, cid);
	int rc = j && api_emit(req, ch, type, j, cid) == 0 ? 0 : -EIO;
	json_decref(j);
	return rc;
}

/* POST /v1/threads/{tid}/outcome/release (staff): a held outcome is
 * published now. */
void forums_outcome_release(struct req *req, struct resp *resp)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 1) || api_begin(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE threads SET outcome_hold_reason = NULL, updated_at = ?2 "
		"WHERE id = ?1 AND outcome_hold_reason IS NOT NULL");
	store_bind_int(s, 1, t.id);
	store_bind_int(s, 2, util_now_ms());
	int64_t n = store_run(s);
	if (n == 0) {
		api_rollback(req);
		api_error(resp, 409, "conflict", "this thread has no held outcome", NULL);
		return;
	}
	if (api_commit_or_fail(req, resp, n == 1 && outcome_announce(req, &t) == 0,
			       "could not release the outcome"))
		return;
	api_json(resp, 200, json_pack("{s:o}", "thread", forums_thread_json(req->st, &req->who, t.id)));
}

void forums_outcome(struct req *req, struct resp *resp)
{
	struct thread_row t;
	if (forums_thread_access(req, resp, &t, 1))
		return;
	if (strcmp(t.kind, "consultation") || !t.closed_at) {
		api_error(resp, 409, "conflict", "publish the outcome after the consultation closes", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *summary = api_str(body, "summary", 1, BODY_MAX, 1, resp);
	int64_t days = 0;
	/* 公示期: members may object until then (publicity.c). */
	if (summary && api_int(body, "publicity_days", 1, PUBLICITY_DAYS_MAX, 0, 0, &days, resp))
		goto out;
	char hold[200] = "";
	enum api_verdict v = summary ?
		held_text(req, resp, "outcome", "summary", summary, t.community_id, hold) : API_REJECT;
	if (v == API_WAIT || v == API_REJECT || api_begin(req, resp))
		goto out;
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE threads SET outcome = ?1, outcome_at = ?2, updated_at = ?2, "
		"outcome_hold_reason = ?4, publicity_until = CASE WHEN ?5 > 0 THEN ?5 ELSE publicity_until END "
		"WHERE id = ?3");
	store_bind_text(s, 1, summary);
	store_bind_int(s, 2, now);
	store_bind_int(s, 3, t.id);
	store_bind_text(s, 4, hold[0] ? hold : NULL);
	store_bind_int(s, 5, days ? now + days * 86400000 : 0);
	int ok = store_run(s) >= 0;
	/* Held: staff only, until one of them releases it. */
	ok = ok && (hold[0] ? announce_held(req, t.community_id, "outcome.pending", t.id)
			    : outcome_announce(req, &t)) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not publish the outcome"))
		goto out;
	api_json(resp, 200, json_pack("{s:o}", "thread", forums_thread_json(req->st, &req->who, t.id)));
out:
	json_decref(body);
}

/* Once a second: consultations whose deadline passed are closed. The
 * deadline lives in the database, so this survives restarts. */
void forums_tick(struct req *req)
{
	int64_t ids[64], cids[64];
	int n = 0;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id, community_id FROM threads WHERE kind = 'consultation' "
		"AND closed_at IS NULL AND closes_at <= ? ORDER BY closes_at LIMIT 64");
	store_bind_int(s, 1, util_now_ms());
	while (store_step(s) == STORE_ROW && n < 64) {
		ids[n] = store_col_int(s, 0);
		cids[n++] = store_col_int(s, 1);
	}
	store_done(s);
	if (!n || store_begin(req->st))
		return;
	/* Every gateway runs this tick: the conditional close lets one win
	 * each consultation (a second finds it closed and emits nothing). */
	int closed = 0, failed = 0;
	for (int i = 0; i < n && !failed; i++) {
		int rc = close_consultation(req, ids[i], cids[i]);
		closed += rc == 0;
		failed = rc != 0 && rc != -EALREADY;
	}
	if (failed || api_commit(req))
		api_rollback(req); /* the next tick tries again */
	else if (closed)
		log_info("forums: closed %d consultation(s) at their deadline", closed);
}

/* --- moderation log ----------------------------------------------------------------- */

/* Inside the change's own transaction: a failed insert fails the commit. */
int64_t forums_mod_log(struct req *req, int64_t cid, const char *action, const char *kind,
		       int64_t target, const char *reason)
{
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO moderation_log (community_id, actor_id, action, target_kind, target_id, reason, at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, action);
	store_bind_text(s, 4, kind);
	store_bind_int(s, 5, target);
	store_bind_text(s, 6, reason ? reason : "");
	store_bind_int(s, 7, util_now_ms());
	int64_t id = 0;
	return store_run_int(s, &id) ? 0 : id;
}

/* The threads sql (?1 = cid) names, as viewer sees them. */
static json_t *held_threads(struct store *st, const struct principal *viewer, int64_t cid,
			    const char *sql)
{
	int64_t *ids;
	size_t n;
	struct store_stmt *s = store_prepare(st, sql);
	store_bind_int(s, 1, cid);
	store_run_ids(s, &ids, &n);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, forums_thread_json(st, viewer, ids[i]));
	free(ids);
	return a;
}

json_t *forums_held(struct store *st, const struct principal *viewer, int64_t cid)
{
	return held_threads(st, viewer, cid, "SELECT id FROM threads WHERE community_id = ? "
			    "AND hold_reason IS NOT NULL ORDER BY id LIMIT 100");
}

json_t *forums_held_outcomes(struct store *st, const struct principal *viewer, int64_t cid)
{
	return held_threads(st, viewer, cid, "SELECT id FROM threads WHERE community_id = ? "
			    "AND outcome_hold_reason IS NOT NULL ORDER BY id LIMIT 100");
}
