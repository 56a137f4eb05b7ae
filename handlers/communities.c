/* communities: 社區 (the tenants), their grids (網格), memberships, invites,
 * volunteer profiles, staff appointment and the role audit log. */
#include "access.h"
#include "routes.h"
#include "users.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#define NAME_MAX_CHARS 64   /* community name */
#define GRID_MAX_CHARS 32   /* grid name */
#define GRIDS_MAX 500       /* grids per community */
#define INVITE_LEN 8        /* invite code characters */
#define INVITE_USES_MAX 10000

/* --- shared helpers ------------------------------------------------------------ */

int communities_audit_write(struct req *req, int64_t cid, const char *action, int64_t target,
			    json_t *detail)
{
	char *d = json_dumps(detail ? detail : json_object(), JSON_COMPACT);
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO audit_log (community_id, actor_id, action, target_user, detail, at) "
		"VALUES (?, ?, ?, ?, ?, ?)");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, action);
	if (target)
		store_bind_int(s, 4, target);
	else
		store_bind_null(s, 4);
	store_bind_text(s, 5, d);
	store_bind_int(s, 6, util_now_ms());
	int rc = store_run(s) == 1 ? 0 : -EIO;
	free(d);
	json_decref(detail);
	return rc;
}

static json_t *grids_of(struct store *st, int64_t cid)
{
	json_t *a = json_array();
	struct store_stmt *s = store_prepare(st,
		"SELECT name FROM grids WHERE community_id = ? ORDER BY position");
	store_bind_int(s, 1, cid);
	while (store_step(s) == STORE_ROW)
		json_array_append_new(a, json_string(store_col_text(s, 0)));
	store_done(s);
	return a;
}

static json_t *community_json(struct store *st, int64_t cid)
{
	struct store_stmt *s = store_prepare(st, "SELECT name, created_at FROM communities WHERE id = ?");
	store_bind_int(s, 1, cid);
	json_t *c = NULL;
	if (store_step(s) == STORE_ROW)
		c = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)cid,
			      "name", store_col_text(s, 0),
			      "created_at", (json_int_t)store_col_int(s, 1));
	store_done(s);
	if (c)
		json_object_set_new(c, "grids", grids_of(st, cid));
	return c;
}

static json_t *membership_json(struct store *st, int64_t cid, int64_t uid)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT m.role, coalesce(v.active, 0), m.joined_at FROM memberships m "
		"LEFT JOIN volunteers v ON v.community_id = m.community_id AND v.user_id = m.user_id "
		"WHERE m.community_id = ? AND m.user_id = ?");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, uid);
	json_t *m = NULL;
	if (store_step(s) == STORE_ROW)
		m = json_pack("{s:I, s:I, s:s, s:b, s:I}", "community_id", (json_int_t)cid,
			      "user_id", (json_int_t)uid,
			      "role", store_col_text(s, 0),
			      "volunteer", (int)store_col_int(s, 1),
			      "joined_at", (json_int_t)store_col_int(s, 2));
	store_done(s);
	return m;
}

/* Inserts or changes a membership; writes the audit row. Inside a
 * transaction. Returns the previous role. */
static enum role set_role(struct req *req, int64_t cid, int64_t uid, enum role role,
			  const char *action)
{
	enum role old = access_role(req->st, uid, cid);
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO memberships (community_id, user_id, role, joined_at) VALUES (?, ?, ?, ?) "
		"ON CONFLICT (community_id, user_id) DO UPDATE SET role = excluded.role");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, uid);
	store_bind_text(s, 3, access_role_name(role));
	store_bind_int(s, 4, util_now_ms());
	store_step(s);
	store_done(s);
	communities_audit_write(req, cid, action, uid, json_pack("{s:s, s:s}", "from", access_role_name(old),
					       "to", access_role_name(role)));
	return old;
}

static int user_exists(struct store *st, int64_t uid)
{
	struct store_stmt *s = store_prepare(st, "SELECT 1 FROM users WHERE id = ?");
	store_bind_int(s, 1, uid);
	int yes = store_step(s) == STORE_ROW;
	store_done(s);
	return yes;
}

/* --- POST /v1/communities (admin) ------------------------------------------------ */

void communities_create(struct req *req, struct resp *resp)
{
	if (api_require_admin(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *name = api_str(body, "name", 1, NAME_MAX_CHARS, 1, resp);
	json_t *grids = json_object_get(body, "grids");
	if (!name)
		goto out;
	if (!json_is_array(grids) || json_array_size(grids) < 1 ||
	    json_array_size(grids) > GRIDS_MAX) {
		api_error(resp, 400, "bad_request", "grids must be a list of 1 to 500 names", "grids");
		goto out;
	}
	size_t i, j;
	json_t *g;
	json_array_foreach(grids, i, g) {
		const char *gs = json_string_value(g);
		int bad = !gs || api_chars(gs) < 1 || api_chars(gs) > GRID_MAX_CHARS;
		for (const char *c = gs; !bad && *c; c++)
			bad = (unsigned char)*c < 0x20;
		for (j = 0; !bad && j < i; j++)
			bad = !strcmp(gs, json_string_value(json_array_get(grids, j)));
		if (bad) {
			api_error(resp, 400, "bad_request",
				  "each grid must be a distinct name of 1 to 32 characters", "grids");
			goto out;
		}
	}
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO communities (name, created_by, created_at) VALUES (?, ?, ?) RETURNING id");
	store_bind_text(s, 1, name);
	store_bind_int(s, 2, req->who.uid);
	store_bind_int(s, 3, util_now_ms());
	int64_t cid = 0;
	int ok = store_run_int(s, &cid) == 0;
	json_array_foreach(grids, i, g) {
		s = store_prepare(req->st, "INSERT INTO grids (community_id, name, position) VALUES (?, ?, ?)");
		store_bind_int(s, 1, cid);
		store_bind_text(s, 2, json_string_value(g));
		store_bind_int(s, 3, (int64_t)i);
		ok = ok && store_step(s) == STORE_DONE;
		store_done(s);
	}
	if (ok)
		communities_audit_write(req, cid, "community.create", 0, json_pack("{s:s}", "name", name));
	if (api_commit_or_fail(req, resp, ok, "could not create the community"))
		goto out;
	api_json(resp, 201, json_pack("{s:o}", "community", community_json(req->st, cid)));
out:
	json_decref(body);
}

/* --- GET /v1/communities/{cid} (member) ------------------------------------------- */

void communities_get(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp))
		return;
	json_t *c = community_json(req->st, cid);
	/* The help categories this server takes (config), for the forms. */
	json_t *cats = json_array();
	for (const char *p = req->cfg->help_categories; *p;) {
		size_t l = strcspn(p, ",");
		if (l)
			json_array_append_new(cats, json_stringn(p, l));
		p += l + (p[l] == ',');
	}
	json_object_set_new(c, "help_categories", cats);
	api_json(resp, 200, json_pack("{s:o}", "community", c));
}

/* --- POST /v1/communities/{cid}/invites (staff) ------------------------------------- */

void communities_invite(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *role_s = api_str(body, "role", 1, 16, 1, resp);
	enum role role = access_role_parse(role_s);
	int64_t uses, ttl;
	if (!role_s)
		goto out;
	if (role == ROLE_NONE) {
		api_error(resp, 400, "bad_request", "role must be \"resident\", \"representative\" or \"staff\"", "role");
		goto out;
	}
	if (api_int(body, "max_uses", 1, INVITE_USES_MAX, 0, 1, &uses, resp) ||
	    api_int(body, "expires_in_s", 60, 365LL * 86400, 0, req->cfg->invite_ttl_s, &ttl, resp))
		goto out;
	/* Unambiguous characters only: codes are read aloud and typed. */
	static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	unsigned char raw[INVITE_LEN];
	char code[INVITE_LEN + 1];
	if (RAND_bytes(raw, sizeof raw) != 1) {
		api_error(resp, 500, "internal", "no randomness", NULL);
		goto out;
	}
	for (int k = 0; k < INVITE_LEN; k++)
		code[k] = alphabet[raw[k] & 31];
	code[INVITE_LEN] = '\0';
	int64_t now = util_now_ms(), expires = now + ttl * 1000;
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO invites (code, community_id, role, created_by, created_at, expires_at, max_uses) "
		"VALUES (?, ?, ?, ?, ?, ?, ?)");
	store_bind_text(s, 1, code);
	store_bind_int(s, 2, cid);
	store_bind_text(s, 3, access_role_name(role));
	store_bind_int(s, 4, req->who.uid);
	store_bind_int(s, 5, now);
	store_bind_int(s, 6, expires);
	store_bind_int(s, 7, uses);
	int ok = store_step(s) == STORE_DONE;
	store_done(s);
	if (ok)
		communities_audit_write(req, cid, "invite.create", 0, json_pack("{s:s, s:I}", "role",
			access_role_name(role), "max_uses", (json_int_t)uses));
	if (api_commit_or_fail(req, resp, ok, "could not create the invite"))
		goto out;
	api_json(resp, 201, json_pack("{s:s, s:s, s:I, s:I, s:I}", "code", code,
		"role", access_role_name(role), "expires_at", (json_int_t)expires,
		"max_uses", (json_int_t)uses, "community_id", (json_int_t)cid));
out:
	json_decref(body);
}

/* --- POST /v1/communities/{cid}/join ----------------------------------------------- */

/* Joins with the body's invite code: community cid, or (cid 0) the one the
 * code belongs to (invite codes are unique across communities). */
static void join_with_code(struct req *req, struct resp *resp, int64_t cid)
{
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *code_in = api_str(body, "code", 1, 32, 1, resp);
	if (!code_in)
		goto out;
	char code[33];
	size_t n = 0;
	for (const char *c = code_in; *c && n < 32; c++)
		if (*c != ' ' && *c != '-')
			code[n++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	code[n] = '\0';
	if (api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT role, expires_at, uses, max_uses, community_id FROM invites "
		"WHERE code = ?1 AND (?2 = 0 OR community_id = ?2)");
	store_bind_text(s, 1, code);
	store_bind_int(s, 2, cid);
	int found = store_step(s) == STORE_ROW;
	enum role role = found ? access_role_parse(store_col_text(s, 0)) : ROLE_NONE;
	int expired = found && store_col_int(s, 1) <= util_now_ms();
	int used_up = found && store_col_int(s, 2) >= store_col_int(s, 3);
	if (found)
		cid = store_col_int(s, 4);
	store_done(s);
	if (!found || expired || used_up) {
		api_rollback(req);
		api_error_field_reason(resp, !found ? 404 : 409, !found ? "not_found" : "conflict",
			  !found ? "no such invite code" :
			  expired ? "this invite has expired" : "this invite has been used up", "code",
			  !found ? "invite_unknown" : expired ? "invite_expired" : "invite_used_up");
		goto out;
	}
	enum role current = access_role(req->st, req->who.uid, cid);
	if (current < role) {
		/* Joining never lowers a role: a staff member using a resident
		 * invite stays staff, and uses nothing up. The use is taken by a
		 * conditional update: of joins racing for an invite's last use
		 * (on PostgreSQL, in parallel) one gets it. */
		s = store_prepare(req->st, "UPDATE invites SET uses = uses + 1 "
				  "WHERE code = ? AND uses < max_uses AND expires_at > ?");
		store_bind_text(s, 1, code);
		store_bind_int(s, 2, util_now_ms());
		if (store_run(s) == 0) {
			api_rollback(req);
			api_error_field_reason(resp, 409, "conflict", "this invite has been used up", "code",
					       "invite_used_up");
			goto out;
		}
		set_role(req, cid, req->who.uid, role, current ? "member.role" : "member.join");
	}
	if (api_commit(req)) {
		api_rollback(req);
		api_error(resp, 500, "internal", "could not join", NULL);
		goto out;
	}
	api_json(resp, 200, json_pack("{s:o}", "membership",
				      membership_json(req->st, cid, req->who.uid)));
out:
	json_decref(body);
}

/* POST /v1/communities/{cid}/join {code} */
void communities_join(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_require_user(req, resp) || api_id_param(req, "cid", &cid, resp))
		return;
	join_with_code(req, resp, cid);
}

/* POST /v1/join {code}: the invite code alone says which community. */
void communities_join_by_code(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	join_with_code(req, resp, 0);
}

/* --- PUT /v1/communities/{cid}/volunteer (member) ------------------------------------ */

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

/* A list of distinct strings each accepted by ok(); 400 naming field. */
static int string_list(json_t *body, const char *field, size_t max,
		       int (*ok)(struct req *, int64_t, const char *), struct req *req,
		       int64_t cid, struct resp *resp)
{
	json_t *a = json_object_get(body, field), *v;
	size_t i;
	if (!json_is_array(a) || json_array_size(a) > max) {
		char msg[96];
		snprintf(msg, sizeof msg, "%s must be a list (at most %zu)", field, max);
		api_error(resp, 400, "bad_request", msg, field);
		return -EINVAL;
	}
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);
		if (!s || !ok(req, cid, s)) {
			char msg[160];
			snprintf(msg, sizeof msg, "%s: \"%.40s\" is not known here", field,
				 s ? s : "(not a string)");
			api_error(resp, 400, "bad_request", msg, field);
			return -EINVAL;
		}
	}
	return 0;
}

static int category_ok(struct req *req, int64_t cid, const char *s)
{
	(void)cid;
	return category_known(req->cfg, s);
}

static int grid_ok(struct req *req, int64_t cid, const char *s)
{
	return access_grid_exists(req->st, cid, s);
}

/* The caller's volunteer profile in cid, or JSON null. */
static json_t *volunteer_json(struct store *st, int64_t cid, int64_t uid)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT categories, grids, active, quiet_start, quiet_end, updated_at FROM volunteers "
		"WHERE community_id = ? AND user_id = ?");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, uid);
	json_t *j = json_null();
	if (store_step(s) == STORE_ROW) {
		json_t *cats = json_loads(store_col_text(s, 0), 0, NULL);
		json_t *grids = json_loads(store_col_text(s, 1), 0, NULL);
		json_t *quiet = json_null();
		if (!store_col_null(s, 3)) {
			int a = (int)store_col_int(s, 3), b = (int)store_col_int(s, 4);
			char start[24], end[24];
			snprintf(start, sizeof start, "%02d:%02d", a / 60, a % 60);
			snprintf(end, sizeof end, "%02d:%02d", b / 60, b % 60);
			quiet = json_pack("{s:s, s:s}", "start", start, "end", end);
		}
		j = json_pack("{s:I, s:o, s:o, s:b, s:o, s:I}", "community_id", (json_int_t)cid,
			"categories", cats ? cats : json_array(), "grids", grids ? grids : json_array(),
			"active", (int)store_col_int(s, 2), "quiet_hours", quiet,
			"updated_at", (json_int_t)store_col_int(s, 5));
	}
	store_done(s);
	return j;
}

/* GET /v1/communities/{cid}/volunteer: the caller's own profile (null
 * when they have none), so an app can show what it last saved. */
void communities_volunteer_get(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp))
		return;
	api_json(resp, 200, json_pack("{s:o}", "volunteer", volunteer_json(req->st, cid, req->who.uid)));
}

void communities_volunteer(struct req *req, struct resp *resp)
{
	int64_t cid;
	if (api_id_param(req, "cid", &cid, resp) || access_require_member(req, cid, resp))
		return;
	if (access_role(req->st, req->who.uid, cid) == ROLE_NONE) {
		api_error(resp, 403, "forbidden", "only members of this community can volunteer here", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	json_t *active = json_object_get(body, "active");
	if (string_list(body, "categories", 32, category_ok, req, cid, resp) ||
	    string_list(body, "grids", GRIDS_MAX, grid_ok, req, cid, resp))
		goto out;
	if (active && !json_is_boolean(active)) {
		api_error(resp, 400, "bad_request", "active must be true or false", "active");
		goto out;
	}
	/* Optional quiet hours {"start":"22:00","end":"07:00"} (China time):
	 * no normal requests then; urgent ones still come. null clears. */
	json_t *quiet = json_object_get(body, "quiet_hours");
	int qs = -1, qe = -1;
	if (quiet && !json_is_null(quiet)) {
		const char *a = json_string_value(json_object_get(quiet, "start"));
		const char *b = json_string_value(json_object_get(quiet, "end"));
		int h1, m1, h2, m2;
		if (!json_is_object(quiet) || !a || !b || sscanf(a, "%2d:%2d", &h1, &m1) != 2 ||
		    sscanf(b, "%2d:%2d", &h2, &m2) != 2 || h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 ||
		    h2 < 0 || h2 > 23 || m2 < 0 || m2 > 59 || (h1 == h2 && m1 == m2)) {
			api_error(resp, 400, "bad_request",
				  "quiet_hours must be {\"start\":\"HH:MM\",\"end\":\"HH:MM\"} or null",
				  "quiet_hours");
			goto out;
		}
		qs = h1 * 60 + m1;
		qe = h2 * 60 + m2;
	}
	char *cats = json_dumps(json_object_get(body, "categories"), JSON_COMPACT);
	char *grids = json_dumps(json_object_get(body, "grids"), JSON_COMPACT);
	int on = active ? json_is_true(active) : 1;
	if (api_begin(req, resp)) {
		free(cats);
		free(grids);
		goto out;
	}
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO volunteers (community_id, user_id, categories, grids, active, updated_at, "
		"quiet_start, quiet_end) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		"ON CONFLICT (community_id, user_id) DO UPDATE SET "
		"categories = ?3, grids = ?4, active = ?5, updated_at = ?6, quiet_start = ?7, quiet_end = ?8");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, req->who.uid);
	store_bind_text(s, 3, cats);
	store_bind_text(s, 4, grids);
	store_bind_int(s, 5, on);
	store_bind_int(s, 6, util_now_ms());
	if (qs >= 0) {
		store_bind_int(s, 7, qs);
		store_bind_int(s, 8, qe);
	} else {
		store_bind_null(s, 7);
		store_bind_null(s, 8);
	}
	int ok = store_step(s) == STORE_DONE;
	store_done(s);
	free(cats);
	free(grids);
	if (api_commit_or_fail(req, resp, ok, "could not save the volunteer profile"))
		goto out;
	api_json(resp, 200, json_pack("{s:o, s:o}", "volunteer", volunteer_json(req->st, cid, req->who.uid),
		"membership", membership_json(req->st, cid, req->who.uid)));
out:
	json_decref(body);
}

/* GET /v1/communities (admin) ?limit=&cursor=: every community, for the
 * admin console, with how many members and staff each has. */
void communities_list(struct req *req, struct resp *resp)
{
	int64_t cursor;
	int limit;
	if (api_require_admin(req, resp) || api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id FROM communities WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2");
	store_bind_int(s, 1, cursor);
	store_bind_int(s, 2, limit);
	int64_t *ids = NULL;
	size_t n = 0;
	if (store_run_ids(s, &ids, &n)) {
		api_error(resp, 500, "internal", "could not list communities", NULL);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *c = community_json(req->st, ids[i]);
		if (!c)
			continue;
		s = store_prepare(req->st,
			"SELECT count(*), coalesce(sum(CASE WHEN role = 'staff' THEN 1 ELSE 0 END), 0) "
			"FROM memberships WHERE community_id = ?");
		store_bind_int(s, 1, ids[i]);
		if (store_step(s) == STORE_ROW) {
			json_object_set_new(c, "member_count", json_integer(store_col_int(s, 0)));
			json_object_set_new(c, "staff_count", json_integer(store_col_int(s, 1)));
		}
		store_done(s);
		json_array_append_new(items, c);
	}
	int64_t last = n ? ids[n - 1] : 0;
	free(ids);
	api_json(resp, 200, api_list(items, limit, last));
}

/* GET /v1/communities/{cid}/invites (staff) ?limit=&cursor=: the invites
 * made, newest first, with their uses and expiry. Codes are the key and
 * two may share a millisecond, so a page ends at (created_at, code): the
 * cursor is "<created_at>.<code>". */
void communities_invites(struct req *req, struct resp *resp)
{
	int64_t cid, at = 0;
	int limit;
	char cur[64] = "", after[40] = "";
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp) ||
	    api_limit(req, 50, 200, &limit, resp))
		return;
	if (api_query(req, "cursor", cur, sizeof cur) > 0) {
		char *dot = strchr(cur, '.');
		if (!dot || dot[1] == '\0' || strlen(dot + 1) >= sizeof after) {
			api_error(resp, 400, "bad_request", "cursor is not one this server gave", "cursor");
			return;
		}
		*dot = '\0';
		snprintf(after, sizeof after, "%s", dot + 1);
		if (util_parse_i64(cur, &at) || at < 0) {
			api_error(resp, 400, "bad_request", "cursor is not one this server gave", "cursor");
			return;
		}
	}
	struct store_stmt *s = store_prepare(req->st,
		"SELECT i.code, i.role, i.uses, i.max_uses, i.expires_at, i.created_at, i.created_by, "
		"coalesce(u.display_name, '') FROM invites i LEFT JOIN users u ON u.id = i.created_by "
		"WHERE i.community_id = ?1 AND (?2 = '' OR i.created_at < ?3 OR "
		"(i.created_at = ?3 AND i.code < ?2)) "
		"ORDER BY i.created_at DESC, i.code DESC LIMIT ?4");
	store_bind_int(s, 1, cid);
	store_bind_text(s, 2, after);
	store_bind_int(s, 3, at);
	store_bind_int(s, 4, limit);
	json_t *items = json_array();
	int64_t last = 0, now = util_now_ms();
	char last_code[40] = "";
	while (store_step(s) == STORE_ROW) {
		last = store_col_int(s, 5);
		snprintf(last_code, sizeof last_code, "%s", store_col_text(s, 0));
		int64_t uses = store_col_int(s, 2), max = store_col_int(s, 3), exp = store_col_int(s, 4);
		json_array_append_new(items, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:{s:I, s:s}, s:s}",
			"code", store_col_text(s, 0), "role", store_col_text(s, 1),
			"uses", (json_int_t)uses, "max_uses", (json_int_t)max,
			"expires_at", (json_int_t)exp, "created_at", (json_int_t)last,
			"created_by", "id", (json_int_t)store_col_int(s, 6), "display_name", store_col_text(s, 7),
			"state", uses >= max ? "used_up" : exp <= now ? "expired" : "open"));
	}
	store_done(s);
	char next[64];
	snprintf(next, sizeof next, "%" PRId64 ".%s", last, last_code);
	api_json(resp, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
				      (int)json_array_size(items) == limit ? json_string(next) : json_null()));
}

/* --- staff appointment and role changes ---------------------------------------------- */

/* POST /v1/communities/{cid}/staff {user_id} (admin): appoint staff. */
void communities_appoint(struct req *req, struct resp *resp)
{
	int64_t cid, uid;
	if (api_require_admin(req, resp) || api_id_param(req, "cid", &cid, resp))
		return;
	if (!access_community_exists(req->st, cid)) {
		api_error(resp, 404, "not_found", "no such community", NULL);
		return;
	}
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	/* By id, or (the admin console) by the phone number the person
	 * registered with. */
	if (json_object_get(body, "phone") && !json_object_get(body, "user_id")) {
		char phone[PHONE_LEN + 1];
		if (users_phone_field(body, phone, resp))
			goto out;
		struct store_stmt *q = store_prepare(req->st,
			"SELECT id FROM users WHERE phone = ? AND deleted_at IS NULL");
		store_bind_text(q, 1, phone);
		int found = store_step(q) == STORE_ROW;
		uid = found ? store_col_int(q, 0) : 0;
		store_done(q);
		if (!found) {
			api_error(resp, 404, "not_found",
				  "no account has this phone number: the person registers first", "phone");
			goto out;
		}
	} else if (api_int(body, "user_id", 1, INT64_MAX, 1, 0, &uid, resp)) {
		goto out;
	}
	if (!user_exists(req->st, uid)) {
		api_error(resp, 404, "not_found", "no such user", "user_id");
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	set_role(req, cid, uid, ROLE_STAFF, "member.appoint");
	if (api_commit(req)) {
		api_rollback(req);
		api_error(resp, 500, "internal", "could not appoint", NULL);
		goto out;
	}
	api_json(resp, 200, json_pack("{s:o}", "membership", membership_json(req->st, cid, uid)));
out:
	json_decref(body);
}

/* PUT /v1/communities/{cid}/members/{uid} {role} (staff of cid, admin). */
void communities_set_role(struct req *req, struct resp *resp)
{
	int64_t cid, uid;
	if (api_id_param(req, "cid", &cid, resp) || api_id_param(req, "uid", &uid, resp) ||
	    access_require_staff(req, cid, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *role_s = api_str(body, "role", 1, 16, 1, resp);
	enum role role = access_role_parse(role_s);
	if (!role_s)
		goto out;
	if (role == ROLE_NONE) {
		api_error(resp, 400, "bad_request", "role must be \"resident\", \"representative\" or \"staff\"", "role");
		goto out;
	}
	if (access_role(req->st, uid, cid) == ROLE_NONE) {
		api_error(resp, 404, "not_found", "not a member of this community", "uid");
		goto out;
	}
	if (api_begin(req, resp))
		goto out;
	set_role(req, cid, uid, role, "member.role");
	if (api_commit(req)) {
		api_rollback(req);
		api_error(resp, 500, "internal", "could not change the role", NULL);
		goto out;
	}
	api_json(resp, 200, json_pack("{s:o}", "membership", membership_json(req->st, cid, uid)));
out:
	json_decref(body);
}

/* GET /v1/communities/{cid}/members (staff): members, phones visible. */
void communities_members(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	json_t *items = json_array();
	int64_t last = 0;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT user_id FROM memberships WHERE community_id = ? AND user_id > ? "
		"ORDER BY user_id LIMIT ?");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, limit);
	int64_t ids[200];
	int n = 0;
	while (store_step(s) == STORE_ROW && n < limit)
		ids[n++] = store_col_int(s, 0);
	store_done(s);
	for (int k = 0; k < n; k++) {
		json_t *m = membership_json(req->st, cid, ids[k]);
		json_object_set_new(m, "user", users_json(req->st, &req->who, ids[k]));
		/* Until when a mute lasts, so staff can see it and end it. */
		struct store_stmt *mu = store_prepare(req->st,
			"SELECT until, reason FROM mutes WHERE community_id = ? AND user_id = ? AND until > ?");
		store_bind_int(mu, 1, cid);
		store_bind_int(mu, 2, ids[k]);
		store_bind_int(mu, 3, util_now_ms());
		if (store_step(mu) == STORE_ROW) {
			json_object_set_new(m, "muted_until", json_integer(store_col_int(mu, 0)));
			json_object_set_new(m, "mute_reason", json_string(store_col_text(mu, 1)));
		}
		store_done(mu);
		json_array_append_new(items, m);
		last = ids[k];
	}
	api_json(resp, 200, api_list(items, limit, last));
}

/* GET /v1/communities/{cid}/audit (staff): role changes and invites. */
void communities_audit(struct req *req, struct resp *resp)
{
	int64_t cid, cursor;
	int limit;
	if (api_id_param(req, "cid", &cid, resp) || access_require_staff(req, cid, resp) ||
	    api_page(req, 50, 200, &limit, &cursor, resp))
		return;
	json_t *items = json_array();
	int64_t last = 0;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id, action, actor_id, target_user, detail, at FROM audit_log "
		"WHERE community_id = ? AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, cursor);
	store_bind_int(s, 3, limit);
	while (store_step(s) == STORE_ROW) {
		last = store_col_int(s, 0);
		json_t *detail = json_loads(store_col_text(s, 4), 0, NULL);
		json_t *e = json_pack("{s:I, s:s, s:I, s:o, s:I}", "id", (json_int_t)last,
			"action", store_col_text(s, 1),
			"actor_id", (json_int_t)store_col_int(s, 2),
			"detail", detail ? detail : json_object(),
			"at", (json_int_t)store_col_int(s, 5));
		if (!store_col_null(s, 3))
			json_object_set_new(e, "target_user", json_integer(store_col_int(s, 3)));
		json_array_append_new(items, e);
	}
	store_done(s);
	api_json(resp, 200, api_list(items, limit, last));
}
