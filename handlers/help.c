/* help: 鄰里互助 — a resident asks, the volunteers whose categories and
 * grids match hear at once (inbox row + live event), one claims, the
 * contact goes only to that volunteer; escalation and expiry run in the
 * once-a-second tick from the database. */
#include "access.h"
#include "notify.h"
#include "forums.h"
#include "review.h"
#include "routes.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TITLE_MAX 100
#define DETAILS_MAX 2000
#define CONTACT_MAX 100
#define THANKS_MAX 500

struct help_row {
	int64_t id, community_id, requester_id, volunteer_id, claimed_at, done_at;
	char status[16], urgency[8];
	int held;                  /* the content check holds it for staff */
};

static int help_access(struct req *req, struct resp *resp, struct help_row *h);

static int help_load(struct store *st, int64_t hid, struct help_row *h)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT community_id, requester_id, coalesce(volunteer_id, 0), coalesce(claimed_at, 0), "
		"coalesce(done_at, 0), status, urgency, hold_reason IS NOT NULL FROM help_requests "
		"WHERE id = ?");
	store_bind_int(s, 1, hid);
	int found = store_step(s) == STORE_ROW;
	if (found) {
		h->id = hid;
		h->community_id = store_col_int(s, 0);
		h->requester_id = store_col_int(s, 1);
		h->volunteer_id = store_col_int(s, 2);
		h->claimed_at = store_col_int(s, 3);
		h->done_at = store_col_int(s, 4);
		snprintf(h->status, sizeof h->status, "%s", store_col_text(s, 5));
		snprintf(h->urgency, sizeof h->urgency, "%s", store_col_text(s, 6));
		h->held = (int)store_col_int(s, 7);
	}
	store_done(s);
	return found ? 0 : -ENOENT;
}

/* The request as viewer sees it: contact and details only for the
 * requester, the claiming volunteer and staff (full = 1). */
static json_t *help_json(struct store *st, int64_t hid, int full)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT community_id, category, title, details, grid, urgency, status, requester_id, "
		"volunteer_id, created_at, contact, escalated_at, window_end, rating, thanks, ip_region, "
		"hold_reason, (SELECT display_name FROM users WHERE id = volunteer_id) "
		"FROM help_requests WHERE id = ?");
	store_bind_int(s, 1, hid);
	json_t *j = NULL;
	if (store_step(s) == STORE_ROW) {
		j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I}",
			"id", (json_int_t)hid, "community_id", (json_int_t)store_col_int(s, 0),
			"category", store_col_text(s, 1),
			"title", store_col_text(s, 2),
			"urgency", store_col_text(s, 5),
			"status", store_col_text(s, 6),
			"requester_id", (json_int_t)store_col_int(s, 7),
			"created_at", (json_int_t)store_col_int(s, 9));
		json_object_set_new(j, "grid", store_col_null(s, 4) ? json_null() :
				    json_string(store_col_text(s, 4)));
		json_object_set_new(j, "volunteer_id", store_col_null(s, 8) ? json_null() :
				    json_integer(store_col_int(s, 8)));
		json_object_set_new(j, "escalated", json_boolean(!store_col_null(s, 11)));
		if (!store_col_null(s, 12))
			json_object_set_new(j, "window_end", json_integer(store_col_int(s, 12)));
		if (full) {
			json_object_set_new(j, "details", json_string(store_col_text(s, 3)));
			json_object_set_new(j, "contact", json_string(store_col_text(s, 10)));
		} else {
			/* The contract's field stays; its text (an address, a
			 * neighbour's situation) is for those who help. */
			json_object_set_new(j, "details", json_string(""));
			json_object_set_new(j, "details_hidden", json_true());
		}
		if (!store_col_null(s, 13))
			json_object_set_new(j, "rating", json_integer(store_col_int(s, 13)));
		if (full && !store_col_null(s, 14))
			json_object_set_new(j, "thanks", json_string(store_col_text(s, 14)));
		json_object_set_new(j, "ip_region", store_col_null(s, 15) ? json_null() :
				    json_string(store_col_text(s, 15)));
		json_object_set_new(j, "attachments", uploads_of(st, "help", hid));
		if (!store_col_null(s, 16)) {
			json_object_set_new(j, "held", json_true());
			json_object_set_new(j, "hold_reason", json_string(store_col_text(s, 16)));
		}
		/* Who is coming, for those who see the contact (the requester,
		 * the volunteer, staff): an elderly resident opening the door
		 * should know the name. */
		if (full && !store_col_null(s, 8))
			json_object_set_new(j, "volunteer", json_pack("{s:I, s:s?}",
				"id", (json_int_t)store_col_int(s, 8), "display_name", store_col_text(s, 17)));
	}
	store_done(s);
	return j;
}

static int sees_contact(const struct req *req, const struct help_row *h)
{
	/* The volunteer only while the help is under way: volunteer_id is
	 * cleared when they give the request back, and a cancelled or
	 * confirmed request no longer needs the requester's contact. */
	int helping = h->volunteer_id && req->who.uid == h->volunteer_id &&
		      (!strcmp(h->status, "claimed") || !strcmp(h->status, "done"));
	return req->who.uid == h->requester_id || helping || req->who.is_admin ||
	       access_role(req->st, req->who.uid, h->community_id) == ROLE_STAFF;
}

/* 403 unless the caller is uid (the requester or the claiming volunteer):
 * whoever else asks is refused whatever the request's state. */
static int require_party(const struct req *req, struct resp *resp, int64_t uid, const char *msg)
{
	if (uid && req->who.uid == uid)
		return 0;
	api_error(resp, 403, "forbidden", msg, NULL);
	return -EPERM;
}

/* help.updated on help:{cid}, never with contact or details. */
static int emit_help(struct req *req, int64_t hid, int64_t cid, const char *type)
{
	json_t *j = help_json(req->st, hid, 0);
	char ch[40];
	snprintf(ch, sizeof ch, "help:%" PRId64, cid);
	int rc = api_emit(req, ch, type, j, cid);
	json_decref(j);
	return rc;
}

static int category_known(const struct config *cfg, const char *c)
{
	size_t n = strlen(c);
	for (const char *p = cfg->help_categories; *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && !strncmp(p, c, n))
			return 1;
		p += l + (p[l] == ',');
	}
	return 0;
}

/* Minutes since local midnight in China (UTC+8, no DST). */
static int local_minutes(int64_t now_ms)
{
	return (int)(((now_ms / 60000) + 8 * 60) % (24 * 60));
}

static int in_quiet(int now_min, int start, int end)
{
	return start <= end ? (now_min >= start && now_min < end) : (now_min >= start || now_min < end);
}

/* The active volunteers a new request should reach: their categories
 * include it, their grids include its grid (or they listed none), and it
 * is not their quiet time unless the request is urgent. *n gets how many;
 * the caller frees the array. */
static int64_t *match_volunteers(struct req *req, int64_t cid, int64_t requester,
				 const char *category, const char *grid, int urgent, size_t *n)
{
	int now_min = local_minutes(util_now_ms());
	struct store_stmt *s = store_prepare(req->st,
		"SELECT v.user_id, v.quiet_start, v.quiet_end FROM volunteers v "
		"JOIN memberships m ON m.community_id = v.community_id AND m.user_id = v.user_id "
		"WHERE v.community_id = ?1 AND v.active = 1 AND v.user_id != ?2 "
		"AND linli_json_has(v.categories, ?3) = 1 "
		"AND (?4 = '' OR v.grids = '[]' OR linli_json_has(v.grids, ?4) = 1)");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, requester);
	store_bind_text(s, 3, category);
	store_bind_text(s, 4, grid ? grid : ""); /* "": no grid, every volunteer */
	size_t cap = 64;
	int64_t *uids = xmalloc(cap * sizeof *uids);
	*n = 0;
	while (store_step(s) == STORE_ROW) {
		if (!urgent && !store_col_null(s, 1) &&
		    in_quiet(now_min, (int)store_col_int(s, 1), (int)store_col_int(s, 2)))
			continue;
		if (*n == cap)
			uids = xrealloc(uids, (cap *= 2) * sizeof *uids);
		uids[(*n)++] = store_col_int(s, 0);
	}
	store_done(s);
	return uids;
}

/* A validated new request, for help_create_txn. */
struct help_new {
	json_t *body;              /* owns the strings below */
	const char *category, *title, *details, *grid, *contact;
	int64_t cid, window;
	int urgent;
	char hold[200];            /* why the content check holds it, or "" */
	struct uploads_pick photos; /* attachments, checked */
};

/* Inside the caller's transaction: the request is announced -- one inbox
 * row and user:{uid} event per matching volunteer (and a push outbox row
 * for those offline), and help.created. *n: the volunteers told. */
static int help_announce(struct req *req, int64_t hid, size_t *n)
{
	struct store_stmt *s = store_prepare(req->st,
		"SELECT community_id, requester_id, category, grid, urgency FROM help_requests WHERE id = ?");
	store_bind_int(s, 1, hid);
	if (store_step(s) != STORE_ROW) {
		store_done(s);
		return -ENOENT;
	}
	int64_t cid = store_col_int(s, 0), requester = store_col_int(s, 1);
	char *category = xstrdup(store_col_text(s, 2));
	char *grid = store_col_null(s, 3) ? NULL : xstrdup(store_col_text(s, 3));
	int urgent = !strcmp(store_col_text(s, 4), "urgent");
	store_done(s);
	int64_t *volunteers = match_volunteers(req, cid, requester, category, grid, urgent, n);
	json_t *note = help_json(req->st, hid, 0);
	char *text = note ? json_dumps(note, JSON_COMPACT) : NULL;
	int ok = text != NULL;
	for (size_t i = 0; i < *n && ok; i++)
		ok = notify_text(req, volunteers[i], "help.request", text, cid) == 0;
	free(text);
	json_decref(note);
	free(volunteers);
	free(category);
	free(grid);
	return ok && emit_help(req, hid, cid, "help.created") == 0 ? 0 : -EIO;
}

/* The request and its announcement (help_announce) in one transaction;
 * matching runs in it too. A request the content check holds is stored
 * and told to staff only (help.pending on mod:{cid}). */
static void help_create_txn(struct req *req, struct resp *resp, void *data)
{
	struct help_new *h = data;
	int64_t now = util_now_ms();
	size_t n = 0;
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO help_requests (community_id, requester_id, category, title, details, grid, "
		"urgency, contact, window_end, created_at, updated_at, ip_region, hold_reason) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, h->cid);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, h->category);
	store_bind_text(s, 4, h->title);
	store_bind_text(s, 5, h->details);
	if (h->grid)
		store_bind_text(s, 6, h->grid);
	else
		store_bind_null(s, 6);
	store_bind_text(s, 7, h->urgent ? "urgent" : "normal");
	store_bind_text(s, 8, h->contact);
	if (h->window)
		store_bind_int(s, 9, now + h->window * 60000);
	else
		store_bind_null(s, 9);
	store_bind_int(s, 10, now);
	store_bind_int(s, 11, now);
	store_bind_text(s, 12, api_ip_region(req));
	store_bind_text(s, 13, h->hold[0] ? h->hold : NULL);
	int64_t hid = 0;
	int ok = store_run_int(s, &hid) == 0 && uploads_attach(req, &h->photos, "help", hid) == 0;
	if (ok && h->hold[0]) {
		json_t *j = help_json(req->st, hid, 1);
		char ch[40];
		snprintf(ch, sizeof ch, "mod:%" PRId64, h->cid);
		ok = j && api_emit(req, ch, "help.pending", j, h->cid) == 0;
		json_decref(j);
	} else if (ok) {
		ok = help_announce(req, hid, &n) == 0;
	}
	if (api_commit_or_fail(req, resp, ok, "could not create the request"))
		goto out;
	json_t *j = help_json(req->st, hid, 1);
	json_object_set_new(j, "notified", json_integer((json_int_t)n));
	api_json(resp, 201, json_pack("{s:o}", "request", j));
out:
	json_decref(h->body);
	free(h);
}

/* POST /v1/help/{hid}/release (staff): a held request is announced now. */
void help_release(struct req *req, struct resp *resp)
{
	struct help_row h;
	if (help_access(req, resp, &h) || access_require_staff(req, h.community_id, resp))
		return;
	if (!h.held) {
		api_error(resp, 409, "conflict", "this request is not held", NULL);
		return;
	}
	if (api_begin(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE help_requests SET hold_reason = NULL WHERE id = ? AND hold_reason IS NOT NULL");
	store_bind_int(s, 1, h.id);
	size_t n = 0;
	int ok = store_run(s) == 1 && help_announce(req, h.id, &n) == 0 &&
		 forums_mod_log(req, h.community_id, "help.release", "help", h.id, "") > 0;
	if (api_commit_or_fail(req, resp, ok, "could not release the request"))
		return;
	json_t *j = help_json(req->st, h.id, 1);
	json_object_set_new(j, "notified", json_integer((json_int_t)n));
	api_json(resp, 200, json_pack("{s:o}", "request", j));
}

/* POST /v1/communities/{cid}/help: validated here; matched and written by
 * help_create_txn at a lower priority, since one request may notify
 * thousands. */
void help_create(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *category = api_str(body, "category", 1, 32, 1, resp), *title = NULL,
		   *details = NULL, *grid = NULL, *urgency = NULL, *contact = NULL;
	int64_t window = 0;
	if (!category)
		goto out;
	if (!category_known(req->cfg, category)) {
		api_error(resp, 400, "bad_request", "unknown category", "category");
		goto out;
	}
	if (!(title = api_str(body, "title", 1, TITLE_MAX, 1, resp)) ||
	    !(details = api_str(body, "details", 0, DETAILS_MAX, 1, resp)) ||
	    !(contact = api_str(body, "contact", 1, CONTACT_MAX, 1, resp)))
		goto out;
	grid = api_str(body, "grid", 1, 32, 0, resp);
	if (!grid && resp->status)
		goto out;
	urgency = api_str(body, "urgency", 1, 8, 0, resp);
	if (!urgency && resp->status)
		goto out;
	if (urgency && strcmp(urgency, "normal") && strcmp(urgency, "urgent")) {
		api_error(resp, 400, "bad_request", "urgency must be \"normal\" or \"urgent\"", "urgency");
		goto out;
	}
	if (api_int(body, "window_minutes", 1, 30 * 24 * 60, 0, 0, &window, resp))
		goto out;
	if (grid && !access_grid_exists(req->st, cid, grid)) {
		api_error(resp, 400, "bad_request", "grid is not one of this community's grids", "grid");
		goto out;
	}
	char hold[200] = "";
	enum api_verdict vt = held_text(req, resp, "help_title", "title", title, cid, hold);
	enum api_verdict vd = vt == API_REJECT ? API_REJECT :
			      held_text(req, resp, "help_details", "details", details, cid, hold);
	struct uploads_pick photos; /* checked alongside the texts */
	if (vt == API_REJECT || vd == API_REJECT || uploads_parse(req, body, cid, &photos, resp) ||
	    vt == API_WAIT || vd == API_WAIT)
		goto out;
	struct help_new *h = xcalloc(1, sizeof *h);
	memcpy(h->hold, hold, sizeof hold);
	h->photos = photos;
	h->body = body;
	h->category = category;
	h->title = title;
	h->details = details;
	h->grid = grid;
	h->contact = contact;
	h->cid = cid;
	h->window = window;
	h->urgent = urgency && !strcmp(urgency, "urgent");
	api_offload(req, resp, help_create_txn, h); /* takes h and body */
	return;
out:
	json_decref(body);
}

/* GET /v1/communities/{cid}/help ?status= */
void help_list(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	char status[16] = "";
	api_query(req, "status", status, sizeof status);
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM help_requests WHERE community_id = ?1 AND (?2 = 0 OR id < ?2) "
		"AND (?3 = '' OR status = ?3) AND (hold_reason IS NULL OR requester_id = ?5 OR ?6 = 1) "
		"ORDER BY id DESC LIMIT ?4");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_text(s, 3, status);
	store_bind_int(s, 4, limit);
	store_bind_int(s, 5, req->who.uid);
	store_bind_int(s, 6, req->who.is_admin || access_role(req->st, req->who.uid, cid) == ROLE_STAFF);
	int64_t ids[200];
	int n = 0;
	while (store_step(s) == STORE_ROW && n < limit)
		ids[n++] = store_col_int(s, 0);
	store_done(s);
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		struct help_row h;
		if (help_load(req->st, ids[i], &h) == 0)
			json_array_append_new(items, help_json(req->st, ids[i], sees_contact(req, &h)));
	}
	api_json(resp, 200, api_list(items, limit, n ? ids[n - 1] : 0));
}

/* Loads {hid} for a member of its community. */
static int help_access(struct req *req, struct resp *resp, struct help_row *h)
{
	int64_t hid;
	if (api_id_param(req, "hid", &hid, resp) || api_require_user(req, resp))
		return -EPERM;
	if (help_load(req->st, hid, h)) {
		api_error(resp, 404, "not_found", "no such request", NULL);
		return -ENOENT;
	}
	if (access_require_member(req, h->community_id, resp))
		return -EPERM;
	if (h->held && h->requester_id != req->who.uid && !req->who.is_admin &&
	    access_role(req->st, req->who.uid, h->community_id) != ROLE_STAFF) {
		api_error(resp, 404, "not_found", "no such request", NULL);
		return -ENOENT;
	}
	return 0;
}

void help_get(struct req *req, struct resp *resp)
{
	struct help_row h;
	if (help_access(req, resp, &h))
		return;
	api_json(resp, 200, json_pack("{s:o}", "request", help_json(req->st, h.id, sees_contact(req, &h))));
}

/* One conditional transition: sql must change exactly one row (bound
 * ?1 = id, ?2 = caller, ?3 = now), else 409 with conflict_msg. Then the
 * event and a notification to notify_uid. */
static void transition(struct req *req, struct resp *resp, struct help_row *h, const char *sql,
		       const char *conflict_msg, int64_t notify_uid, const char *note_type)
{
	if (api_begin(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st, sql);
	store_bind_int(s, 1, h->id);
	store_bind_int(s, 2, req->who.uid);
	store_bind_int(s, 3, util_now_ms());
	int64_t changed = store_run(s);
	int ok = changed >= 0;
	if (changed == 0) {
		api_rollback(req);
		api_error(resp, 409, "conflict", conflict_msg, NULL);
		return;
	}
	ok = ok && emit_help(req, h->id, h->community_id, "help.updated") == 0;
	if (ok && notify_uid) {
		/* Notifications outlive access (inbox, push relay): never contact. */
		json_t *j = help_json(req->st, h->id, 0);
		ok = notify(req, notify_uid, note_type, j, h->community_id) == 0;
		json_decref(j);
	}
	if (api_commit_or_fail(req, resp, ok, "could not update the request"))
		return;
	help_load(req->st, h->id, h);
	api_json(resp, 200, json_pack("{s:o}", "request", help_json(req->st, h->id, sees_contact(req, h))));
}

void help_claim(struct req *req, struct resp *resp)
{
	struct help_row h;
	if (help_access(req, resp, &h))
		return;
	if (h.requester_id == req->who.uid) {
		api_error(resp, 409, "conflict", "you cannot claim your own request", NULL);
		return;
	}
	struct store_stmt *s = store_prepare(req->st,
		"SELECT active FROM volunteers WHERE community_id = ? AND user_id = ?");
	store_bind_int(s, 1, h.community_id);
	store_bind_int(s, 2, req->who.uid);
	int vol = store_step(s) == STORE_ROW && (int)store_col_int(s, 0);
	store_done(s);
	if (!vol) {
		api_error(resp, 403, "forbidden", "only active volunteers of this community claim requests", NULL);
		return;
	}
	transition(req, resp, &h,
		"UPDATE help_requests SET status = 'claimed', volunteer_id = ?2, claimed_at = ?3, "
		"updated_at = ?3 WHERE id = ?1 AND status = 'open'",
		"this request is no longer open (someone else claimed it, or it ended)",
		h.requester_id, "help.claimed");
}

void help_unclaim(struct req *req, struct resp *resp)
{
	struct help_row h;
	if (help_access(req, resp, &h) ||
	    require_party(req, resp, h.volunteer_id, "only the volunteer who claimed it may give it back"))
		return;
	transition(req, resp, &h,
		"UPDATE help_requests SET status = 'open', volunteer_id = NULL, claimed_at = NULL, "
		"updated_at = ?3 WHERE id = ?1 AND status = 'claimed' AND volunteer_id = ?2",
		"the request is no longer claimed",
		h.requester_id, "help.unclaimed");
}

void help_done(struct req *req, struct resp *resp)
{
	struct help_row h;
	if (help_access(req, resp, &h) ||
	    require_party(req, resp, h.volunteer_id, "only the volunteer who claimed it may mark it done"))
		return;
	transition(req, resp, &h,
		"UPDATE help_requests SET status = 'done', done_at = ?3, updated_at = ?3 "
		"WHERE id = ?1 AND status = 'claimed' AND volunteer_id = ?2",
		"the request is no longer claimed",
		h.requester_id, "help.done");
}

void help_cancel(struct req *req, struct resp *resp)
{
	struct help_row h;
	if (help_access(req, resp, &h) ||
	    require_party(req, resp, h.requester_id, "only the requester may cancel"))
		return;
	transition(req, resp, &h,
		"UPDATE help_requests SET status = 'cancelled', updated_at = ?3 "
		"WHERE id = ?1 AND requester_id = ?2 AND status IN ('open', 'claimed')",
		"only an open or claimed request can be cancelled",
		h.volunteer_id, "help.cancelled");
}

void help_confirm(struct req *req, struct resp *resp)
{
	struct help_row h;
	if (help_access(req, resp, &h) ||
	    require_party(req, resp, h.requester_id, "only the requester confirms"))
		return;
	json_t *body = req->body_len ? api_body_object(req, resp) : json_object();
	int64_t rating = 0;
	const char *thanks = NULL;
	if (!body || api_int(body, "rating", 1, 5, 0, 0, &rating, resp))
		goto out;
	thanks = api_str(body, "thanks", 1, THANKS_MAX, 0, resp);
	if (!thanks && resp->status)
		goto out;
	if (strcmp(h.status, "done")) {
		api_error(resp, 409, "conflict", "a request is confirmed once the volunteer marked it done", NULL);
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE help_requests SET status = 'confirmed', rating = ?2, thanks = ?3, updated_at = ?4 "
		"WHERE id = ?1 AND status = 'done'");
	store_bind_int(s, 1, h.id);
	if (rating)
		store_bind_int(s, 2, rating);
	else
		store_bind_null(s, 2);
	if (thanks)
		store_bind_text(s, 3, thanks);
	else
		store_bind_null(s, 3);
	store_bind_int(s, 4, now);
	int ok = store_run(s) == 1;
	/* 志願服務時長: claim to done, at least a minute. */
	int64_t minutes = (h.done_at - h.claimed_at) / 60000;
	if (minutes < 1)
		minutes = 1;
	s = store_prepare(req->st,
		"INSERT INTO service_ledger (community_id, user_id, request_id, minutes, rating, at) "
		"VALUES (?, ?, ?, ?, ?, ?)");
	store_bind_int(s, 1, h.community_id);
	store_bind_int(s, 2, h.volunteer_id);
	store_bind_int(s, 3, h.id);
	store_bind_int(s, 4, minutes);
	if (rating)
		store_bind_int(s, 5, rating);
	else
		store_bind_null(s, 5);
	store_bind_int(s, 6, now);
	ok = ok && store_step(s) == STORE_DONE;
	store_done(s);
	ok = ok && emit_help(req, h.id, h.community_id, "help.updated") == 0;
	if (ok) {
		json_t *j = json_pack("{s:I, s:I, s:I, s:s?, s:I}", "request_id", (json_int_t)h.id,
				      "community_id", (json_int_t)h.community_id,
				      "minutes", (json_int_t)minutes, "thanks", thanks,
				      "rating", (json_int_t)rating);
		json_t *hj = help_json(req->st, h.id, 0);
		json_object_set(j, "title", json_object_get(hj, "title"));
		json_decref(hj);
		ok = notify(req, h.volunteer_id, "help.confirmed", j, h.community_id) == 0;
		json_decref(j);
	}
	if (api_commit_or_fail(req, resp, ok, "could not confirm"))
		goto out;
	api_json(resp, 200, json_pack("{s:o}", "request", help_json(req->st, h.id, 1)));
out:
	json_decref(body);
}

/* GET /v1/communities/{cid}/ledger: staff see everyone, others themselves. */
void help_ledger(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp))
		return;
	int staff = req->who.is_admin || access_role(req->st, req->who.uid, cid) == ROLE_STAFF;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT user_id, count(*), sum(minutes), avg(rating) FROM service_ledger "
		"WHERE community_id = ?1 AND (?2 = 1 OR user_id = ?3) GROUP BY user_id ORDER BY sum(minutes) DESC");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, staff);
	store_bind_int(s, 3, req->who.uid);
	json_t *items = json_array();
	while (store_step(s) == STORE_ROW) {
		json_t *e = json_pack("{s:I, s:I, s:I}", "user_id", (json_int_t)store_col_int(s, 0),
				      "requests", (json_int_t)store_col_int(s, 1),
				      "minutes", (json_int_t)store_col_int(s, 2));
		if (!store_col_null(s, 3))
			json_object_set_new(e, "average_rating", json_real(store_col_double(s, 3)));
		json_array_append_new(items, e);
	}
	store_done(s);
	api_json(resp, 200, json_pack("{s:o}", "items", items));
}

/* Once a second: open requests past their window expire; urgent ones
 * still open after help_escalate_minutes go to the community's staff. */
void help_tick(struct req *req)
{
	int64_t now = util_now_ms();
	int64_t ids[32], cids[32], req_ids[32];
	int kind[32], n = 0; /* 0 expire, 1 escalate */
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id, community_id, requester_id, 0 FROM help_requests WHERE status = 'open' "
		"AND window_end IS NOT NULL AND window_end <= ?1 "
		"UNION ALL SELECT id, community_id, requester_id, 1 FROM help_requests "
		"WHERE status = 'open' AND urgency = 'urgent' AND escalated_at IS NULL AND created_at <= ?2 "
		"LIMIT 32");
	store_bind_int(s, 1, now);
	store_bind_int(s, 2, now - req->cfg->help_escalate_minutes * 60000);
	while (store_step(s) == STORE_ROW && n < 32) {
		ids[n] = store_col_int(s, 0);
		cids[n] = store_col_int(s, 1);
		req_ids[n] = store_col_int(s, 2);
		kind[n++] = (int)store_col_int(s, 3);
	}
	store_done(s);
	if (!n || store_begin(req->st))
		return;
	int ok = 1;
	for (int i = 0; i < n && ok; i++) {
		/* Every gateway runs this tick: the update is conditional on what
		 * the select saw, so one of them wins each request, and only the
		 * winner tells anyone. */
		s = store_prepare(req->st, kind[i] ?
			"UPDATE help_requests SET escalated_at = ?2, updated_at = ?2 "
			"WHERE id = ?1 AND status = 'open' AND escalated_at IS NULL" :
			"UPDATE help_requests SET status = 'expired', updated_at = ?2 "
			"WHERE id = ?1 AND status = 'open'");
		store_bind_int(s, 1, ids[i]);
		store_bind_int(s, 2, now);
		int64_t won = store_run(s);
		ok = won >= 0;
		if (won != 1)
			continue;
		ok = emit_help(req, ids[i], cids[i], "help.updated") == 0;
		json_t *j = help_json(req->st, ids[i], 0); /* no contact in notifications */
		if (kind[i]) {
			/* Nobody answered: every staff member of the community hears. */
			int64_t *staff = NULL;
			size_t ns = 0;
			s = store_prepare(req->st,
				"SELECT user_id FROM memberships WHERE community_id = ? AND role = 'staff'");
			store_bind_int(s, 1, cids[i]);
			ok = ok && store_run_ids(s, &staff, &ns) == 0;
			for (size_t k = 0; k < ns && ok; k++)
				ok = notify(req, staff[k], "help.escalated", j, cids[i]) == 0;
			free(staff);
		} else {
			ok = ok && notify(req, req_ids[i], "help.expired", j, cids[i]) == 0;
		}
		json_decref(j);
	}
	if (!ok || api_commit(req))
		api_rollback(req);
}

/* An account being anonymised (注销): its open or claimed requests are
 * cancelled (their volunteer told), what it had claimed goes back to open
 * (the requester told), and its contact texts are blanked. Inside the
 * caller's transaction. */
int help_account_gone(struct req *req, int64_t uid)
{
	int64_t now = util_now_ms();
	for (int pass = 0; pass < 2; pass++) {
		struct store_stmt *s = store_prepare(req->st, pass == 0 ?
			"UPDATE help_requests SET status = 'cancelled', updated_at = ?2 "
			"WHERE requester_id = ?1 AND status IN ('open', 'claimed') RETURNING id" :
			"UPDATE help_requests SET status = 'open', volunteer_id = NULL, claimed_at = NULL, "
			"updated_at = ?2 WHERE volunteer_id = ?1 AND status = 'claimed' RETURNING id");
		store_bind_int(s, 1, uid);
		store_bind_int(s, 2, now);
		int64_t *ids;
		size_t n;
		int rc = store_run_ids(s, &ids, &n);
		for (size_t i = 0; i < n && !rc; i++) {
			/* The one told: the volunteer of a cancelled request (if it
			 * had one), the requester of one given back. */
			struct help_row h;
			rc = help_load(req->st, ids[i], &h);
			int64_t other = pass == 0 ? h.volunteer_id : h.requester_id;
			if (!rc)
				rc = emit_help(req, h.id, h.community_id, "help.updated") ? -EIO : 0;
			if (!rc && other) {
				json_t *j = help_json(req->st, h.id, 0);
				rc = notify(req, other, pass == 0 ? "help.cancelled" : "help.unclaimed", j,
					    h.community_id);
				json_decref(j);
			}
		}
		free(ids);
		if (rc)
			return rc;
	}
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE help_requests SET contact = '' WHERE requester_id = ?");
	store_bind_int(s, 1, uid);
	return store_run(s) < 0 ? -EIO : 0;
}

json_t *help_held(struct store *st, int64_t cid)
{
	int64_t *ids;
	size_t n;
	struct store_stmt *s = store_prepare(st,
		"SELECT id FROM help_requests WHERE community_id = ? AND hold_reason IS NOT NULL "
		"ORDER BY id LIMIT 100");
	store_bind_int(s, 1, cid);
	store_run_ids(s, &ids, &n);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, help_json(st, ids[i], 1)); /* staff see contact */
	free(ids);
	return a;
}
