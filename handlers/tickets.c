/* tickets: 居民诉求, a resident's request to the community, answered by
 * one staff member who owns it from acceptance to closing (首问负责).
 *
 * open → accepted → resolved → closed (rated, or 7 days after the
 * resolve); the resident may reopen once within 7 days of the resolve
 * (back to accepted, same owner). A ticket not accepted within
 * ticket_accept_hours, or not resolved within ticket_resolve_hours of its
 * creation (of its reopening, once reopened), is escalated by a tick that
 * reads the deadlines from the database: every staff member of the
 * community is told once (a conditional stamp lets one gateway win). Staff
 * see every ticket and hear ticket.created / ticket.updated on mod:{cid};
 * the resident is notified of every change staff make, the owner of every
 * change the resident makes. A reply is for the resident (and staff) or
 * public: a ticket with a public reply may be read by every member, its
 * resident unnamed and its other replies left out. Each month's figures
 * (received, accepted in time, resolved, average satisfaction) are public
 * to members (评价结果公开). */
#include "routes.h"
#include "access.h"
#include "notify.h"
#include "review.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICKET_TITLE_MAX 100
#define TICKET_BODY_MAX 2000
#define TICKET_REPLY_MAX 2000
#define TICKET_REASON_MAX 500
#define HOUR_MS 3600000LL
#define REOPEN_DAYS 7
#define CLOSE_AFTER_DAYS 7
#define DAY_MS (24 * HOUR_MS)
/* Months are counted in China Standard Time (UTC+8, no daylight saving). */
#define MONTH_TZ_MS (8 * HOUR_MS)
#define SUMMARY_MONTHS_MAX 36

static const char *const categories[] = { "question", "complaint", "suggestion", "repair" };

struct ticket_row {
	int64_t id, cid, author, owner, resolved_at, reopened_at, satisfaction;
	char status[12];
	char title[4 * TICKET_TITLE_MAX + 1]; /* UTF-8: up to 4 bytes a character */
};

static int ticket_load(struct store *st, int64_t id, struct ticket_row *t)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT community_id, author_id, coalesce(owner_id, 0), status, coalesce(resolved_at, 0), "
		"coalesce(reopened_at, 0), coalesce(satisfaction, 0), title FROM tickets WHERE id = ?");
	store_bind_int(s, 1, id);
	int found = store_step(s) == STORE_ROW;
	if (found) {
		t->id = id;
		t->cid = store_col_int(s, 0);
		t->author = store_col_int(s, 1);
		t->owner = store_col_int(s, 2);
		snprintf(t->status, sizeof t->status, "%s", store_col_text(s, 3));
		t->resolved_at = store_col_int(s, 4);
		t->reopened_at = store_col_int(s, 5);
		t->satisfaction = store_col_int(s, 6);
		snprintf(t->title, sizeof t->title, "%s", store_col_text(s, 7));
	}
	store_done(s);
	return found ? 0 : -ENOENT;
}

/* Does ticket id have a public reply (then members may read it)? */
static int has_public_reply(struct store *st, int64_t id)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT 1 FROM ticket_replies WHERE ticket_id = ? AND is_public = 1 LIMIT 1");
	store_bind_int(s, 1, id);
	int yes = store_step(s) == STORE_ROW;
	store_done(s);
	return yes;
}

static json_t *user_ref(struct store_stmt *s, int id_col, int name_col)
{
	if (store_col_null(s, id_col))
		return json_null();
	return json_pack("{s:I, s:s}", "id", (json_int_t)store_col_int(s, id_col),
			 "display_name", store_col_text(s, name_col));
}

static void set_int_or_null(json_t *j, const char *key, struct store_stmt *s, int col)
{
	json_object_set_new(j, key, store_col_null(s, col) ? json_null() : json_integer(store_col_int(s, col)));
}

static void set_text_or_null(json_t *j, const char *key, struct store_stmt *s, int col)
{
	json_object_set_new(j, key, store_col_null(s, col) ? json_null() : json_string(store_col_text(s, col)));
}

/* The replies of ticket id a viewer sees (all, or only the public ones). */
static json_t *replies_json(struct store *st, int64_t id, int public_only)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT r.id, r.author_id, coalesce(u.display_name, ''), r.body, r.is_public, r.created_at "
		"FROM ticket_replies r LEFT JOIN users u ON u.id = r.author_id "
		"WHERE r.ticket_id = ?1 AND (?2 = 0 OR r.is_public = 1) ORDER BY r.id");
	store_bind_int(s, 1, id);
	store_bind_int(s, 2, public_only);
	json_t *a = json_array();
	while (store_step(s) == STORE_ROW)
		json_array_append_new(a, json_pack("{s:I, s:o, s:s, s:b, s:I}",
			"id", (json_int_t)store_col_int(s, 0), "author", user_ref(s, 1, 2),
			"body", store_col_text(s, 3), "public", (int)store_col_int(s, 4),
			"created_at", (json_int_t)store_col_int(s, 5)));
	store_done(s);
	return a;
}

/* The ticket as its resident and staff see it (full), or as another
 * member sees a ticket with a public reply (no resident, no rating
 * comment, no reasons). With replies, its replies too. */
static json_t *ticket_json(struct req *req, int64_t id, int full, int with_replies)
{
	struct store_stmt *s = store_prepare(req->st,
		"SELECT t.community_id, t.category, t.title, t.body, t.grid, t.status, "
		"t.author_id, coalesce(a.display_name, ''), t.owner_id, coalesce(o.display_name, ''), "
		"t.accepted_at, t.resolved_at, t.summary, t.closed_at, t.satisfaction, t.rating_comment, "
		"t.reopened_at, t.reopen_reason, t.accept_escalated_at, t.resolve_escalated_at, "
		"t.created_at, t.updated_at "
		"FROM tickets t LEFT JOIN users a ON a.id = t.author_id "
		"LEFT JOIN users o ON o.id = t.owner_id WHERE t.id = ?");
	store_bind_int(s, 1, id);
	json_t *j = NULL;
	if (store_step(s) == STORE_ROW) {
		int64_t created = store_col_int(s, 20);
		int64_t since = store_col_null(s, 16) ? created : store_col_int(s, 16);
		j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:b}",
			"id", (json_int_t)id, "community_id", (json_int_t)store_col_int(s, 0),
			"category", store_col_text(s, 1), "title", store_col_text(s, 2),
			"body", store_col_text(s, 3), "status", store_col_text(s, 5),
			"created_at", (json_int_t)created, "updated_at", (json_int_t)store_col_int(s, 21),
			"accept_due_at", (json_int_t)(created + req->cfg->ticket_accept_hours * HOUR_MS),
			"escalated", !store_col_null(s, 18) || !store_col_null(s, 19),
			"reopened", !store_col_null(s, 16));
		json_object_set_new(j, "resolve_due_at",
			json_integer(since + req->cfg->ticket_resolve_hours * HOUR_MS));
		set_text_or_null(j, "grid", s, 4);
		json_object_set_new(j, "owner", user_ref(s, 8, 9));
		set_int_or_null(j, "accepted_at", s, 10);
		set_int_or_null(j, "resolved_at", s, 11);
		set_text_or_null(j, "summary", s, 12);
		set_int_or_null(j, "closed_at", s, 13);
		set_int_or_null(j, "satisfaction", s, 14);
		if (full) {
			json_object_set_new(j, "author", user_ref(s, 6, 7));
			set_text_or_null(j, "rating_comment", s, 15);
			set_int_or_null(j, "reopened_at", s, 16);
			set_text_or_null(j, "reopen_reason", s, 17);
		}
	}
	store_done(s);
	if (j)
		json_object_set_new(j, "attachments", uploads_of(req->st, "ticket", id));
	if (j && with_replies)
		json_object_set_new(j, "replies", replies_json(req->st, id, !full));
	return j;
}

/* The caller's view of ticket {id}: *full for its resident, staff and
 * admins; a member sees one with a public reply. 0, or 404 / 401 set. */
static int ticket_access(struct req *req, struct resp *resp, struct ticket_row *t, enum role *role,
			 int *full)
{
	int64_t id;
	if (api_id_param(req, "id", &id, resp) || api_require_user(req, resp))
		return -EPERM;
	if (ticket_load(req->st, id, t)) {
		api_error(resp, 404, "not_found", "no such request", NULL);
		return -ENOENT;
	}
	*role = access_role(req->st, req->who.uid, t->cid);
	*full = req->who.is_admin || *role == ROLE_STAFF || (*role != ROLE_NONE && t->author == req->who.uid);
	if (!*full && (*role == ROLE_NONE || !has_public_reply(req->st, id))) {
		api_error(resp, 404, "not_found", "no such request", NULL);
		return -ENOENT;
	}
	return 0;
}

/* Inside the caller's transaction: ticket.updated (or type) for staff on
 * mod:{cid}; and a ticket.updated notification to whom the change
 * concerns (0: nobody). 0 or -EIO. */
static int ticket_changed(struct req *req, const struct ticket_row *t, const char *type, int64_t tell)
{
	json_t *j = ticket_json(req, t->id, 1, 0);
	if (!j)
		return -EIO;
	char ch[40];
	snprintf(ch, sizeof ch, "mod:%" PRId64, t->cid);
	int rc = api_emit(req, ch, type, j, t->cid) ? -EIO : 0;
	if (rc == 0 && tell && tell != req->who.uid) {
		json_t *d = json_pack("{s:I, s:I, s:O, s:O}", "ticket_id", (json_int_t)t->id,
				      "community_id", (json_int_t)t->cid, "title", json_object_get(j, "title"),
				      "status", json_object_get(j, "status"));
		rc = notify(req, tell, "ticket.updated", d, t->cid);
		json_decref(d);
	}
	json_decref(j);
	return rc;
}

/* Whom a change by the caller concerns: the resident for staff's changes,
 * the owner for the resident's. */
static int64_t other_side(const struct req *req, const struct ticket_row *t)
{
	return req->who.uid == t->author ? t->owner : t->author;
}

static void answer_ticket(struct req *req, struct resp *resp, int status, int64_t id)
{
	api_json(resp, status, json_pack("{s:o}", "ticket", ticket_json(req, id, 1, 1)));
}

/* POST /v1/communities/{cid}/requests (members)
 * {category, title, body, grid?, attachments?} */
void tickets_create(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *category_in = api_str(body, "category", 1, 16, 1, resp), *category = NULL;
	for (size_t i = 0; category_in && i < sizeof categories / sizeof categories[0]; i++)
		if (!strcmp(category_in, categories[i]))
			category = categories[i];
	if (category_in && !category) {
		api_error(resp, 400, "bad_request",
			  "category must be question, complaint, suggestion or repair", "category");
		goto out;
	}
	const char *title = category ? api_str(body, "title", 1, TICKET_TITLE_MAX, 1, resp) : NULL;
	const char *text = title ? api_str(body, "body", 1, TICKET_BODY_MAX, 1, resp) : NULL;
	if (!text)
		goto out;
	const char *grid = api_str(body, "grid", 1, 32, 0, resp);
	if (!grid && resp->status)
		goto out;
	if (grid && !access_grid_exists(req->st, cid, grid)) {
		api_error(resp, 400, "bad_request", "grid is not one of this community's grids", "grid");
		goto out;
	}
	char key[24];
	snprintf(key, sizeof key, "%" PRId64, req->who.uid);
	/* Texts and photos in one round of checks (review_text: 1 waiting,
	 * -1 refused with the answer set). */
	int rt = review_text(req, resp, "ticket_title", "title", title, cid);
	int rb = rt < 0 ? rt : review_text(req, resp, "ticket_body", "body", text, cid);
	struct uploads_pick photos;
	if (rt < 0 || rb < 0 || uploads_parse(req, body, cid, &photos, resp) || rt || rb ||
	    api_rate_limit(req, resp, "ticket", key, req->cfg->rate_tickets_per_day, 86400) ||
	    api_begin(req, resp))
		goto out;
	int64_t now = util_now_ms(), id = 0;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO tickets (community_id, author_id, category, title, body, grid, created_at, updated_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, category);
	store_bind_text(s, 4, title);
	store_bind_text(s, 5, text);
	if (grid)
		store_bind_text(s, 6, grid);
	else
		store_bind_null(s, 6);
	store_bind_int(s, 7, now);
	struct ticket_row t = { .cid = cid, .author = req->who.uid };
	int ok = store_run_int(s, &id) == 0 && uploads_attach(req, &photos, "ticket", id) == 0;
	t.id = id;
	ok = ok && ticket_changed(req, &t, "ticket.created", 0) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not record the request"))
		goto out;
	answer_ticket(req, resp, 201, id);
out:
	json_decref(body);
}

/* GET /v1/tickets/{id}: the ticket with its replies, as the caller may
 * see it. */
void tickets_get(struct req *req, struct resp *resp)
{
	struct ticket_row t;
	enum role role;
	int full;
	if (ticket_access(req, resp, &t, &role, &full))
		return;
	api_json(resp, 200, json_pack("{s:o}", "ticket", ticket_json(req, t.id, full, 1)));
}

/* GET /v1/communities/{cid}/requests ?status=&mine=1&owned=1&public=1
 * &limit=&cursor=: newest first. Members see their own (or, with
 * public=1, those with a public reply); staff see all (mine=1: their own
 * requests; owned=1: what they own). */
void tickets_list(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	int staff = req->who.is_admin || access_role(req->st, req->who.uid, cid) == ROLE_STAFF;
	char status[16] = "", flag[4];
	api_query(req, "status", status, sizeof status);
	if (status[0] && strcmp(status, "open") && strcmp(status, "accepted") &&
	    strcmp(status, "resolved") && strcmp(status, "closed")) {
		api_error(resp, 400, "bad_request", "status must be open, accepted, resolved or closed", "status");
		return;
	}
	int mine = api_query(req, "mine", flag, sizeof flag) > 0 && !strcmp(flag, "1");
	int owned = api_query(req, "owned", flag, sizeof flag) > 0 && !strcmp(flag, "1");
	int public = api_query(req, "public", flag, sizeof flag) > 0 && !strcmp(flag, "1");
	if (!staff && !public)
		mine = 1;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM tickets t WHERE community_id = ?1 AND (?2 = 0 OR id < ?2) "
		"AND (?3 = '' OR status = ?3) AND (?4 = 0 OR author_id = ?5) AND (?6 = 0 OR owner_id = ?5) "
		"AND (?7 = 0 OR EXISTS (SELECT 1 FROM ticket_replies r WHERE r.ticket_id = t.id AND r.is_public = 1)) "
		"ORDER BY id DESC LIMIT ?8");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_text(s, 3, status);
	store_bind_int(s, 4, mine);
	store_bind_int(s, 5, req->who.uid);
	store_bind_int(s, 6, owned);
	store_bind_int(s, 7, public);
	store_bind_int(s, 8, limit);
	int64_t *ids = NULL;
	size_t n = 0;
	if (store_run_ids(s, &ids, &n)) {
		api_error(resp, 500, "internal", "could not list the requests", NULL);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		/* A member's public list names nobody, their own ones included. */
		json_t *j = ticket_json(req, ids[i], staff || !public, 0);
		if (j)
			json_array_append_new(items, j);
	}
	int64_t last = n ? ids[n - 1] : 0;
	free(ids);
	api_json(resp, 200, api_list(items, limit, last));
}

/* The staff check of the calls below: 403 for a member, 0 for staff and
 * admins (the ticket is known to be visible). */
static int need_staff(const struct req *req, enum role role, struct resp *resp, const char *what)
{
	if (req->who.is_admin || role == ROLE_STAFF)
		return 0;
	api_error(resp, 403, "forbidden", what, NULL);
	return -EPERM;
}

/* A state change in its transaction: upd (prepared and bound by the
 * caller: one conditional update) changes the ticket, then the event and
 * the notification, and the ticket is the answer. conflict is the 409's
 * message when the update finds the ticket in another state. */
static void change(struct req *req, struct resp *resp, struct ticket_row *t, struct store_stmt *upd,
		   const char *conflict)
{
	if (api_begin(req, resp)) {
		store_done(upd);
		return;
	}
	int64_t n = store_run(upd);
	if (n == 0) {
		api_rollback(req);
		api_error(resp, 409, "conflict", conflict, NULL);
		return;
	}
	int ok = n == 1 && ticket_changed(req, t, "ticket.updated", other_side(req, t)) == 0;
	if (api_commit_or_fail(req, resp, ok, "could not update the request"))
		return;
	answer_ticket(req, resp, 200, t->id);
}

/* A conditional update of ticket id (?1) at now (?2). */
static struct store_stmt *update_stmt(struct req *req, int64_t id, const char *sql)
{
	struct store_stmt *s = store_prepare(req->st, sql);
	store_bind_int(s, 1, id);
	store_bind_int(s, 2, util_now_ms());
	return s;
}

/* POST /v1/tickets/{id}/accept (staff): the caller owns it (首问负责). */
void tickets_accept(struct req *req, struct resp *resp)
{
	struct ticket_row t;
	enum role role;
	int full;
	if (ticket_access(req, resp, &t, &role, &full))
		return;
	if (need_staff(req, role, resp, "staff of this community accept requests"))
		return;
	if (strcmp(t.status, "open")) {
		api_error(resp, 409, "conflict", t.owner ? "already accepted by another staff member"
			  : "this request is not open", NULL);
		return;
	}
	struct store_stmt *s = update_stmt(req, t.id,
		"UPDATE tickets SET status = 'accepted', owner_id = ?3, accepted_at = ?2, "
		"updated_at = ?2 WHERE id = ?1 AND status = 'open'");
	store_bind_int(s, 3, req->who.uid);
	t.owner = req->who.uid;
	change(req, resp, &t, s, "already accepted by another staff member");
}

/* POST /v1/tickets/{id}/reply {body, public?} (staff; or its resident,
 * whose replies are for staff): 201 with the ticket. */
void tickets_reply(struct req *req, struct resp *resp)
{
	struct ticket_row t;
	enum role role;
	int full;
	if (ticket_access(req, resp, &t, &role, &full))
		return;
	int staff = req->who.is_admin || role == ROLE_STAFF;
	json_t *body = NULL;
	if (!full) {
		api_error(resp, 403, "forbidden", "staff and the resident who asked reply", NULL);
		goto out;
	}
	if (!strcmp(t.status, "closed")) {
		api_error(resp, 409, "conflict", "this request is closed", NULL);
		goto out;
	}
	if (!(body = api_body_object(req, resp)))
		goto out;
	const char *text = api_str(body, "body", 1, TICKET_REPLY_MAX, 1, resp);
	json_t *pub = json_object_get(body, "public");
	if (!text)
		goto out;
	if (pub && !json_is_boolean(pub)) {
		api_error(resp, 400, "bad_request", "public must be true or false", "public");
		goto out;
	}
	if (pub && json_is_true(pub) && !staff) {
		api_error(resp, 403, "forbidden", "staff make a reply public", "public");
		goto out;
	}
	if (review_text(req, resp, "ticket_reply", "body", text, t.cid) || api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO ticket_replies (ticket_id, author_id, body, is_public, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)");
	int64_t now = util_now_ms();
	store_bind_int(s, 1, t.id);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, text);
	store_bind_int(s, 4, pub && json_is_true(pub));
	store_bind_int(s, 5, now);
	int ok = store_run(s) == 1;
	if (ok) {
		s = store_prepare(req->st, "UPDATE tickets SET updated_at = ?2 WHERE id = ?1");
		store_bind_int(s, 1, t.id);
		store_bind_int(s, 2, now);
		ok = store_run(s) == 1 &&
		     ticket_changed(req, &t, "ticket.updated", staff && req->who.uid != t.author
				    ? t.author : t.owner) == 0;
	}
	if (api_commit_or_fail(req, resp, ok, "could not record the reply") == 0)
		answer_ticket(req, resp, 201, t.id);
out:
	json_decref(body);
}

/* POST /v1/tickets/{id}/resolve {summary} (its owner) */
void tickets_resolve(struct req *req, struct resp *resp)
{
	struct ticket_row t;
	enum role role;
	int full;
	if (ticket_access(req, resp, &t, &role, &full))
		return;
	json_t *body = NULL;
	if (need_staff(req, role, resp, "the staff member who owns a request resolves it"))
		goto out;
	if (strcmp(t.status, "accepted")) {
		api_error(resp, 409, "conflict", !strcmp(t.status, "open") ? "accept the request first"
			  : "this request is resolved already", NULL);
		goto out;
	}
	if (t.owner != req->who.uid && !req->who.is_admin) {
		api_error(resp, 403, "forbidden", "the staff member who owns a request resolves it (首问负责)", NULL);
		goto out;
	}
	if (!(body = api_body_object(req, resp)))
		goto out;
	const char *summary = api_str(body, "summary", 1, TICKET_REPLY_MAX, 1, resp);
	if (!summary || review_text(req, resp, "ticket_summary", "summary", summary, t.cid))
		goto out;
	struct store_stmt *s = update_stmt(req, t.id,
		"UPDATE tickets SET status = 'resolved', resolved_at = ?2, summary = ?3, updated_at = ?2 "
		"WHERE id = ?1 AND status = 'accepted'");
	store_bind_text(s, 3, summary);
	change(req, resp, &t, s, "this request is resolved already");
out:
	json_decref(body);
}

/* The resident's own calls: 403 for anyone else who sees the ticket. */
static int need_author(const struct req *req, const struct ticket_row *t, struct resp *resp)
{
	if (t->author == req->who.uid)
		return 0;
	api_error(resp, 403, "forbidden", "only the resident who asked may do this", NULL);
	return -EPERM;
}

/* POST /v1/tickets/{id}/rate {satisfaction: 1..5, comment?} (the
 * resident, once resolved): closes it. */
void tickets_rate(struct req *req, struct resp *resp)
{
	struct ticket_row t;
	enum role role;
	int full;
	if (ticket_access(req, resp, &t, &role, &full))
		return;
	json_t *body = NULL;
	if (need_author(req, &t, resp))
		goto out;
	if (strcmp(t.status, "resolved") && !(!strcmp(t.status, "closed") && !t.satisfaction)) {
		api_error(resp, 409, "conflict", !strcmp(t.status, "closed") ? "rated already"
			  : "rate the request once it is resolved", NULL);
		goto out;
	}
	if (!(body = api_body_object(req, resp)))
		goto out;
	int64_t sat;
	if (api_int(body, "satisfaction", 1, 5, 1, 0, &sat, resp))
		goto out;
	const char *comment = api_str(body, "comment", 1, TICKET_REASON_MAX, 0, resp);
	if ((!comment && resp->status) ||
	    (comment && review_text(req, resp, "ticket_rating", "comment", comment, t.cid)))
		goto out;
	struct store_stmt *s = update_stmt(req, t.id,
		"UPDATE tickets SET status = 'closed', closed_at = coalesce(closed_at, ?2), "
		"satisfaction = ?3, rating_comment = ?4, updated_at = ?2 "
		"WHERE id = ?1 AND (status = 'resolved' OR (status = 'closed' AND satisfaction IS NULL))");
	store_bind_int(s, 3, sat);
	if (comment)
		store_bind_text(s, 4, comment);
	else
		store_bind_null(s, 4);
	change(req, resp, &t, s, "rated already");
out:
	json_decref(body);
}

/* POST /v1/tickets/{id}/reopen {reason} (the resident, once, within 7
 * days of the resolve): back to its owner. */
void tickets_reopen(struct req *req, struct resp *resp)
{
	struct ticket_row t;
	enum role role;
	int full;
	if (ticket_access(req, resp, &t, &role, &full))
		return;
	json_t *body = NULL;
	if (need_author(req, &t, resp))
		goto out;
	if (strcmp(t.status, "resolved") && strcmp(t.status, "closed")) {
		api_error(resp, 409, "conflict", "only a resolved request is reopened", NULL);
		goto out;
	}
	if (t.reopened_at) {
		api_error(resp, 409, "conflict", "a request is reopened once; make a new request", NULL);
		goto out;
	}
	if (util_now_ms() - t.resolved_at > REOPEN_DAYS * DAY_MS) {
		api_error(resp, 409, "conflict", "a request is reopened within 7 days of its resolve", NULL);
		goto out;
	}
	if (!(body = api_body_object(req, resp)))
		goto out;
	const char *reason = api_str(body, "reason", 1, TICKET_REASON_MAX, 1, resp);
	if (!reason || review_text(req, resp, "ticket_reopen", "reason", reason, t.cid))
		goto out;
	struct store_stmt *s = update_stmt(req, t.id,
		"UPDATE tickets SET status = 'accepted', reopened_at = ?2, reopen_reason = ?3, "
		"closed_at = NULL, resolve_escalated_at = NULL, updated_at = ?2 "
		"WHERE id = ?1 AND status IN ('resolved', 'closed') AND reopened_at IS NULL "
		"AND resolved_at >= ?2 - ?4");
	store_bind_text(s, 3, reason);
	store_bind_int(s, 4, REOPEN_DAYS * DAY_MS);
	change(req, resp, &t, s, "a request is reopened once, within 7 days of its resolve");
out:
	json_decref(body);
}

/* "YYYY-MM" of ms in China Standard Time. */
static void month_of(int64_t ms, char out[8])
{
	time_t secs = (time_t)((ms + MONTH_TZ_MS) / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(out, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u);
}

/* GET /v1/communities/{cid}/requests/summary ?months= (members): per
 * month of receipt, newest first: received, accepted within
 * ticket_accept_hours (answered_in_time), resolved, and the average of the
 * satisfaction given (null when none). */
void tickets_summary(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp))
		return;
	char arg[8];
	int64_t months = 12;
	if (api_query(req, "months", arg, sizeof arg) >= 0 &&
	    (util_parse_i64(arg, &months) || months < 1 || months > SUMMARY_MONTHS_MAX)) {
		api_error(resp, 400, "bad_request", "months must be 1..36", "months");
		return;
	}
	/* From the first day of the oldest month asked for (a month is at most
	 * 31 days; the rows are bucketed exactly below). */
	int64_t now = util_now_ms(), from = now - months * 31 * DAY_MS;
	char oldest[8];
	time_t secs = (time_t)((now + MONTH_TZ_MS) / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	tm.tm_mon -= (int)months - 1;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	secs = timegm(&tm);
	month_of((int64_t)secs * 1000 - MONTH_TZ_MS, oldest);
	struct store_stmt *s = store_prepare(req->st,
		"SELECT created_at, coalesce(accepted_at - created_at, -1), resolved_at IS NOT NULL, "
		"coalesce(satisfaction, 0) FROM tickets WHERE community_id = ? AND created_at >= ? "
		"ORDER BY created_at DESC");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, from);
	json_t *items = json_array();
	char cur[8] = "";
	int64_t received = 0, in_time = 0, resolved = 0, rated = 0, sat_sum = 0;
	int64_t limit_ms = req->cfg->ticket_accept_hours * HOUR_MS;
	for (int more = 1; more;) {
		char m[8] = "";
		more = store_step(s) == STORE_ROW;
		if (more)
			month_of(store_col_int(s, 0), m);
		if (more && strcmp(m, oldest) < 0)
			more = 0;
		if (cur[0] && (!more || strcmp(m, cur))) {
			json_t *row = json_pack("{s:s, s:I, s:I, s:I}", "month", cur, "received", (json_int_t)received,
						"answered_in_time", (json_int_t)in_time, "resolved", (json_int_t)resolved);
			json_object_set_new(row, "average_satisfaction",
					    rated ? json_real((double)sat_sum / (double)rated) : json_null());
			json_array_append_new(items, row);
			received = in_time = resolved = rated = sat_sum = 0;
		}
		if (!more)
			break;
		snprintf(cur, sizeof cur, "%s", m);
		int64_t waited = store_col_int(s, 1), sat = store_col_int(s, 3);
		received++;
		in_time += waited >= 0 && waited <= limit_ms;
		resolved += store_col_int(s, 2) != 0;
		rated += sat > 0;
		sat_sum += sat;
	}
	store_done(s);
	api_json(resp, 200, json_pack("{s:o, s:I}", "months", items,
				      "accept_hours", (json_int_t)req->cfg->ticket_accept_hours));
}

/* --- the deadlines' tick ------------------------------------------------------------- */

/* Every staff member of t's community hears that it is overdue (which:
 * "accept" or "resolve"). Inside the caller's transaction. */
static int escalate(struct req *req, const struct ticket_row *t, const char *which)
{
	json_t *d = json_pack("{s:I, s:I, s:s, s:s}", "ticket_id", (json_int_t)t->id,
			      "community_id", (json_int_t)t->cid, "title", t->title, "deadline", which);
	struct store_stmt *s = store_prepare(req->st,
		"SELECT user_id FROM memberships WHERE community_id = ? AND role = 'staff' ORDER BY user_id");
	store_bind_int(s, 1, t->cid);
	int rc = notify_each(req, s, "ticket.escalated", d, t->cid, NULL);
	json_decref(d);
	return rc ? rc : ticket_changed(req, t, "ticket.updated", 0);
}

/* One pass of one deadline: the tickets due (select: ?1 = now, ?2 = the
 * limit in ms), each stamped by stamp (?1 = id, ?2 = now) in its own
 * transaction; which names the deadline (NULL: the auto-close). */
static void deadline_pass(struct req *req, const char *select, const char *stamp, int64_t limit_ms,
			  const char *which)
{
	int64_t ids[32];
	int n = 0, done = 0;
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st, select);
	store_bind_int(s, 1, now);
	store_bind_int(s, 2, limit_ms);
	while (n < 32 && store_step(s) == STORE_ROW)
		ids[n++] = store_col_int(s, 0);
	store_done(s);
	for (int i = 0; i < n; i++) {
		struct ticket_row t;
		if (ticket_load(req->st, ids[i], &t) || store_begin(req->st))
			continue;
		s = store_prepare(req->st, stamp);
		store_bind_int(s, 1, t.id);
		store_bind_int(s, 2, now);
		store_bind_int(s, 3, limit_ms);
		int64_t won = store_run(s);
		/* Every gateway runs this tick: the conditional stamp lets one win
		 * each ticket (a second changes nothing and says nothing). */
		int rc = won == 1 ? (which ? escalate(req, &t, which)
				     : ticket_changed(req, &t, "ticket.updated", t.author)) : 0;
		if (won < 0 || rc || api_commit(req))
			api_rollback(req); /* the next tick tries again */
		else
			done += won == 1;
	}
	if (done)
		log_info("tickets: %d request(s) %s", done, which ? "escalated" : "closed 7 days after their resolve");
}

/* Once a second: the deadlines of residents' requests, from the database
 * (they survive restarts). */
void tickets_tick(struct req *req)
{
	deadline_pass(req,
		"SELECT id FROM tickets WHERE status = 'open' AND accept_escalated_at IS NULL "
		"AND created_at <= ?1 - ?2 ORDER BY created_at LIMIT 32",
		"UPDATE tickets SET accept_escalated_at = ?2, updated_at = ?2 WHERE id = ?1 "
		"AND status = 'open' AND accept_escalated_at IS NULL AND created_at <= ?2 - ?3",
		req->cfg->ticket_accept_hours * HOUR_MS, "accept");
	deadline_pass(req,
		"SELECT id FROM tickets WHERE status = 'accepted' AND resolve_escalated_at IS NULL "
		"AND coalesce(reopened_at, created_at) <= ?1 - ?2 ORDER BY created_at LIMIT 32",
		"UPDATE tickets SET resolve_escalated_at = ?2, updated_at = ?2 WHERE id = ?1 "
		"AND status = 'accepted' AND resolve_escalated_at IS NULL "
		"AND coalesce(reopened_at, created_at) <= ?2 - ?3",
		req->cfg->ticket_resolve_hours * HOUR_MS, "resolve");
	deadline_pass(req,
		"SELECT id FROM tickets WHERE status = 'resolved' AND resolved_at <= ?1 - ?2 "
		"ORDER BY resolved_at LIMIT 32",
		"UPDATE tickets SET status = 'closed', closed_at = ?2, updated_at = ?2 WHERE id = ?1 "
		"AND status = 'resolved' AND resolved_at <= ?2 - ?3",
		CLOSE_AFTER_DAYS * DAY_MS, NULL);
}
