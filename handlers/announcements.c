/* announcements: the notice board (通知公告). Staff publish; every member
 * finds it on the board (pinned first, then newest) and in the inbox; each
 * member's reading of it is kept, so staff see how many have read it. One
 * the content check holds is staff's to read and release. Publishing to a
 * community of 20,000 writes 20,000 inbox rows: it runs offloaded, like
 * the help fan-out. */
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

#define TITLE_MAX 100
#define BODY_MAX 5000
/* Board order: pinned first, then newest; a cursor is this key. */
#define PINNED_KEY "(pinned * 1099511627776 + id)"
#define PINNED_SHIFT 1099511627776LL

struct notice {
	int64_t id, community_id, author_id, created_at;
	int pinned;
	char *title, *body, *hold_reason; /* malloc'd; hold_reason NULL when shown */
};

static void notice_clear(struct notice *n)
{
	free(n->title);
	free(n->body);
	free(n->hold_reason);
	memset(n, 0, sizeof *n);
}

static int notice_load(struct store *st, int64_t id, struct notice *n)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT community_id, author_id, created_at, pinned, title, body, hold_reason "
		"FROM announcements WHERE id = ?");
	store_bind_int(s, 1, id);
	int found = store_step(s) == STORE_ROW;
	if (found) {
		n->id = id;
		n->community_id = store_col_int(s, 0);
		n->author_id = store_col_int(s, 1);
		n->created_at = store_col_int(s, 2);
		n->pinned = (int)store_col_int(s, 3);
		n->title = xstrdup(store_col_text(s, 4));
		n->body = xstrdup(store_col_text(s, 5));
		n->hold_reason = store_col_null(s, 6) ? NULL : xstrdup(store_col_text(s, 6));
	}
	store_done(s);
	return found ? 0 : -ENOENT;
}

static int64_t count_of(struct store *st, const char *sql, int64_t id)
{
	struct store_stmt *s = store_prepare(st, sql);
	store_bind_int(s, 1, id);
	int64_t n = store_step(s) == STORE_ROW ? store_col_int(s, 0) : 0;
	store_done(s);
	return n;
}

/* Members of cid now: read once per answer, the same for every item. */
static int64_t members_of(struct store *st, int64_t cid)
{
	return count_of(st, "SELECT count(*) FROM memberships WHERE community_id = ?", cid);
}

/* The announcement as viewer sees it: read for members; for staff
 * (members >= 0, the community's member count) read_count and
 * member_count, and the hold while held. */
static json_t *notice_json(struct store *st, const struct principal *viewer,
			   const struct notice *n, int64_t members)
{
	json_t *author = users_json(st, viewer, n->author_id);
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:b, s:{s:I, s:O?}, s:I, s:s}",
		"id", (json_int_t)n->id, "community_id", (json_int_t)n->community_id,
		"title", n->title, "body", n->body, "pinned", n->pinned,
		"author", "id", (json_int_t)n->author_id,
		"display_name", json_object_get(author, "display_name"),
		"created_at", (json_int_t)n->created_at,
		"status", n->hold_reason ? "pending" : "visible");
	json_decref(author);
	struct store_stmt *s = store_prepare(st,
		"SELECT 1 FROM announcement_reads WHERE announcement_id = ? AND user_id = ?");
	store_bind_int(s, 1, n->id);
	store_bind_int(s, 2, viewer->uid);
	json_object_set_new(o, "read", json_boolean(store_step(s) == STORE_ROW));
	store_done(s);
	if (members >= 0) {
		/* Of the members now: an admin's reading, or that of one who
		 * has left, is not a member's. */
		json_object_set_new(o, "read_count", json_integer(count_of(st,
			"SELECT count(*) FROM announcement_reads r JOIN announcements a ON a.id = r.announcement_id "
			"JOIN memberships m ON m.community_id = a.community_id AND m.user_id = r.user_id "
			"WHERE r.announcement_id = ?", n->id)));
		json_object_set_new(o, "member_count", json_integer(members));
		if (n->hold_reason)
			json_object_set_new(o, "hold_reason", json_string(n->hold_reason));
	}
	return o;
}

/* The event on community:{cid} and a notification to every member but
 * the author, inside the caller's transaction: 0 or -EIO; *told gets how
 * many were notified. */
static int announce(struct req *req, const struct notice *n, int64_t *told)
{
	json_t *ev = notice_json(req->st, &req->who, n, -1);
	json_object_del(ev, "read");
	char ch[40];
	snprintf(ch, sizeof ch, "community:%" PRId64, n->community_id);
	int rc = api_emit(req, ch, "announcement", ev, n->community_id);
	json_decref(ev);
	if (rc)
		return -EIO;
	json_t *d = json_pack("{s:I, s:I, s:s}", "announcement_id", (json_int_t)n->id,
			      "community_id", (json_int_t)n->community_id, "title", n->title);
	struct store_stmt *s = store_prepare(req->st,
		"SELECT user_id FROM memberships WHERE community_id = ? AND user_id <> ? ORDER BY user_id");
	store_bind_int(s, 1, n->community_id);
	store_bind_int(s, 2, n->author_id);
	rc = notify_each(req, s, "announcement", d, n->community_id, told);
	json_decref(d);
	return rc;
}

struct notice_new {
	struct notice n;
	json_t *body;
};

static void publish_txn(struct req *req, struct resp *resp, void *data)
{
	struct notice_new *nn = data;
	struct notice *n = &nn->n;
	int64_t told = 0;
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO announcements (community_id, author_id, title, body, pinned, hold_reason, "
		"created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, n->community_id);
	store_bind_int(s, 2, n->author_id);
	store_bind_text(s, 3, n->title);
	store_bind_text(s, 4, n->body);
	store_bind_int(s, 5, n->pinned);
	if (n->hold_reason)
		store_bind_text(s, 6, n->hold_reason);
	else
		store_bind_null(s, 6);
	store_bind_int(s, 7, n->created_at);
	int ok = store_run_int(s, &n->id) == 0;
	if (ok && n->hold_reason) {
		/* Staff hear of it on mod:{cid}, as of every held item. */
		char ch[40];
		snprintf(ch, sizeof ch, "mod:%" PRId64, n->community_id);
		json_t *j = json_pack("{s:I, s:s}", "id", (json_int_t)n->id, "title", n->title);
		ok = api_emit(req, ch, "announcement.pending", j, n->community_id) == 0;
		json_decref(j);
	} else if (ok) {
		ok = announce(req, n, &told) == 0;
	}
	if (api_commit_or_fail(req, resp, ok, "could not publish the announcement"))
		goto out;
	json_t *a = notice_json(req->st, &req->who, n, members_of(req->st, n->community_id));
	json_object_set_new(a, "notified", json_integer(told));
	api_json(resp, 201, json_pack("{s:o}", "announcement", a));
out:
	notice_clear(n);
	json_decref(nn->body);
	free(nn);
}

/* POST /v1/communities/{cid}/announcements (staff) {title, body, pinned?} */
void announcements_create(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *title, *text;
	json_t *pinned = json_object_get(body, "pinned");
	if (!(title = api_str(body, "title", 1, TITLE_MAX, 1, resp)) ||
	    !(text = api_str(body, "body", 1, BODY_MAX, 1, resp)))
		goto out;
	if (pinned && !json_is_boolean(pinned)) {
		api_error(resp, 400, "bad_request", "pinned must be true or false", "pinned");
		goto out;
	}
	char hold[200] = "";
	enum api_verdict vt = held_text(req, resp, "announcement", "title", title, cid, hold);
	enum api_verdict vb = vt == API_REJECT ? API_REJECT :
			      held_text(req, resp, "announcement", "body", text, cid, hold);
	if (vt == API_WAIT || vb == API_WAIT || vt == API_REJECT || vb == API_REJECT)
		goto out;
	struct notice_new *nn = xcalloc(1, sizeof *nn);
	nn->body = body;
	nn->n.community_id = cid;
	nn->n.author_id = req->who.uid;
	nn->n.created_at = util_now_ms();
	nn->n.pinned = json_is_true(pinned);
	nn->n.title = xstrdup(title);
	nn->n.body = xstrdup(text);
	nn->n.hold_reason = hold[0] ? xstrdup(hold) : NULL;
	api_offload(req, resp, publish_txn, nn); /* takes nn and body */
	return;
out:
	json_decref(body);
}

/* GET /v1/communities/{cid}/announcements ?limit=&cursor= (members) */
void announcements_list(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp) ||
	    api_page(req, 20, 100, &limit, &cursor, resp))
		return;
	int staff = req->who.is_admin || access_role(req->st, req->who.uid, cid) == ROLE_STAFF;
	int64_t members = staff ? members_of(req->st, cid) : -1;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM announcements WHERE community_id = ?1 AND (?2 = 0 OR " PINNED_KEY " < ?2) "
		"AND (hold_reason IS NULL OR ?3 = 1) ORDER BY pinned DESC, id DESC LIMIT ?4");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, staff);
	store_bind_int(s, 4, limit);
	int64_t *ids = NULL;
	size_t n = 0;
	if (store_run_ids(s, &ids, &n)) {
		api_error(resp, 500, "internal", "could not read the board", NULL);
		return;
	}
	json_t *items = json_array();
	int64_t last = 0;
	for (size_t i = 0; i < n; i++) {
		struct notice a;
		if (notice_load(req->st, ids[i], &a))
			continue;
		json_array_append_new(items, notice_json(req->st, &req->who, &a, members));
		last = a.pinned * PINNED_SHIFT + a.id;
		notice_clear(&a);
	}
	free(ids);
	api_json(resp, 200, api_list(items, limit, last));
}

/* Loads {id} for a member of its community (a held one: staff only). */
static int notice_access(struct req *req, struct resp *resp, struct notice *n, int *staff)
{
	int64_t id;
	if (api_id_param(req, "id", &id, resp))
		return -EINVAL;
	if (api_require_user(req, resp))
		return -EACCES;
	if (notice_load(req->st, id, n) == 0) {
		enum role r = access_role(req->st, req->who.uid, n->community_id);
		*staff = req->who.is_admin || r == ROLE_STAFF;
		if ((r != ROLE_NONE || req->who.is_admin) && (!n->hold_reason || *staff))
			return 0;
		notice_clear(n);
	}
	api_error(resp, 404, "not_found", "no such announcement", NULL);
	return -ENOENT;
}

/* POST /v1/announcements/{id}/read (members) */
void announcements_read(struct req *req, struct resp *resp)
{
	struct notice n;
	int staff;
	if (notice_access(req, resp, &n, &staff))
		return;
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO announcement_reads (announcement_id, user_id, read_at) VALUES (?, ?, ?) "
		"ON CONFLICT DO NOTHING");
	store_bind_int(s, 1, n.id);
	store_bind_int(s, 2, req->who.uid);
	store_bind_int(s, 3, util_now_ms());
	int ok = store_run(s) >= 0;
	if (api_commit_or_fail(req, resp, ok, "could not mark it read"))
		goto out;
	api_json(resp, 200, json_pack("{s:I, s:b}", "id", (json_int_t)n.id, "read", 1));
out:
	notice_clear(&n);
}

static void release_txn(struct req *req, struct resp *resp, void *data)
{
	struct notice *n = data;
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE announcements SET hold_reason = NULL WHERE id = ? AND hold_reason IS NOT NULL");
	store_bind_int(s, 1, n->id);
	int64_t changed = store_run(s);
	free(n->hold_reason);
	n->hold_reason = NULL;
	int64_t told = 0;
	int ok = changed >= 0 &&
		 (changed == 0 || (forums_mod_log(req, n->community_id, "announcement.release",
						  "announcement", n->id, "") > 0 && announce(req, n, &told) == 0));
	if (api_commit_or_fail(req, resp, ok, "could not release the announcement"))
		goto out;
	json_t *a = notice_json(req->st, &req->who, n, members_of(req->st, n->community_id));
	json_object_set_new(a, "notified", json_integer(told));
	api_json(resp, 200, json_pack("{s:o}", "announcement", a));
out:
	notice_clear(n);
	free(n);
}

/* POST /v1/announcements/{id}/release (staff): a held announcement is
 * published as if it had passed (event, inbox). Releasing one already
 * shown changes nothing. */
void announcements_release(struct req *req, struct resp *resp)
{
	struct notice *n = xcalloc(1, sizeof *n);
	int staff;
	if (notice_access(req, resp, n, &staff)) {
		free(n);
		return;
	}
	if (!staff) {
		notice_clear(n);
		free(n);
		api_error(resp, 403, "forbidden", "staff of this community only", NULL);
		return;
	}
	api_offload(req, resp, release_txn, n);
}

/* Held announcements of cid, for the moderation queue. */
json_t *announcements_held(struct req *req, int64_t cid)
{
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM announcements WHERE community_id = ? AND hold_reason IS NOT NULL "
		"ORDER BY id LIMIT 100");
	store_bind_int(s, 1, cid);
	int64_t *ids = NULL;
	size_t count = 0;
	int64_t members = members_of(req->st, cid);
	json_t *items = json_array();
	if (store_run_ids(s, &ids, &count) == 0)
		for (size_t i = 0; i < count; i++) {
			struct notice n;
			if (notice_load(req->st, ids[i], &n) == 0) {
				json_array_append_new(items, notice_json(req->st, &req->who, &n, members));
				notice_clear(&n);
			}
		}
	free(ids);
	return items;
}
