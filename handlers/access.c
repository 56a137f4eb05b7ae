#include "access.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../gateway/util.h"

int access_load_principal(struct store *st, int64_t uid, int64_t sid,
			  struct principal *out)
{
	/* One indexed lookup per request: the user, and when the token names a
	 * session, whether it still stands. */
	struct store_stmt *s = store_prepare(st,
		"SELECT u.is_admin, ?2 = 0 OR EXISTS (SELECT 1 FROM sessions s "
		"  WHERE s.id = ?2 AND s.user_id = u.id AND s.revoked_at IS NULL) "
		"FROM users u WHERE u.id = ?1 AND u.deleted_at IS NULL");
	store_bind_int(s, 1, uid);
	store_bind_int(s, 2, sid);
	int rc = store_step(s), live = 0;
	if (rc == STORE_ROW) {
		out->uid = uid;
		out->sid = sid;
		out->is_admin = (int)store_col_int(s, 0);
		live = (int)store_col_int(s, 1);
	}
	store_done(s);
	if (rc != STORE_ROW)
		return rc < 0 ? rc : -ENOENT;
	if (!live) {
		memset(out, 0, sizeof *out);
		return -EKEYREVOKED;
	}
	return 0;
}

/* Routes a member may write to before verifying or consenting. */
static int exempt(const struct req *req, int *verify_only)
{
	static const char *const always[] = {
		"/v1/auth/", "/v1/me/consent", "/v1/me/cancel-deletion", "/v1/notifications/read",
	};
	*verify_only = 0;
	for (size_t i = 0; i < sizeof always / sizeof *always; i++)
		if (!strncmp(req->route, always[i], strlen(always[i])))
			return 1;
	if ((req->method == HTTP_DELETE && !strcmp(req->route, "/v1/me")) ||
	    (req->method == HTTP_DELETE && !strcmp(req->route, "/v1/devices/{id}")))
		return 1;
	/* Verifying needs no prior verification, but it is processing of
	 * personal data: under a new policy, consent comes first. */
	*verify_only = !strcmp(req->route, "/v1/me/verify") || !strcmp(req->route, "/v1/me/phone");
	return 0;
}

int access_admit(struct req *req, struct resp *resp)
{
	const struct config *cfg = req->cfg;
	const char *policy = cfg->privacy_policy_version;
	int verify_only;
	if (!req->who.uid || req->who.is_admin || (!cfg->require_verified_phone && !policy[0]) ||
	    exempt(req, &verify_only))
		return 0;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT phone_verified_at IS NOT NULL, consent_version FROM users WHERE id = ?");
	store_bind_int(s, 1, req->who.uid);
	int verified = 1, consented = 1;
	if (store_step(s) == STORE_ROW) {
		verified = (int)store_col_int(s, 0);
		consented = !policy[0] || (store_col_text(s, 1) && !strcmp(store_col_text(s, 1), policy));
	}
	store_done(s);
	if (!consented) {
		api_error_reason(resp, 403, "forbidden", "the privacy policy changed: read it and agree "
				 "(POST /v1/me/consent) before writing", "consent_required");
		return -EPERM;
	}
	if (cfg->require_verified_phone && !verified && !verify_only) {
		api_error_reason(resp, 403, "forbidden", "verify your phone number with an SMS code "
				 "before writing", "phone_unverified");
		return -EPERM;
	}
	return 0;
}

enum role access_role(struct store *st, int64_t uid, int64_t cid)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT role FROM memberships WHERE community_id = ? AND user_id = ?");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, uid);
	enum role r = ROLE_NONE;
	if (store_step(s) == STORE_ROW)
		r = access_role_parse(store_col_text(s, 0));
	store_done(s);
	return r;
}

const char *access_role_name(enum role r)
{
	return r == ROLE_STAFF ? "staff" : r == ROLE_REPRESENTATIVE ? "representative" :
	       r == ROLE_RESIDENT ? "resident" : "none";
}

enum role access_role_parse(const char *s)
{
	if (s && !strcmp(s, "staff"))
		return ROLE_STAFF;
	if (s && !strcmp(s, "resident"))
		return ROLE_RESIDENT;
	if (s && !strcmp(s, "representative"))
		return ROLE_REPRESENTATIVE;
	return ROLE_NONE;
}

int access_community_exists(struct store *st, int64_t cid)
{
	struct store_stmt *s = store_prepare(st, "SELECT 1 FROM communities WHERE id = ?");
	store_bind_int(s, 1, cid);
	int found = store_step(s) == STORE_ROW;
	store_done(s);
	return found;
}

int access_grid_exists(struct store *st, int64_t cid, const char *grid)
{
	struct store_stmt *s = store_prepare(st, "SELECT 1 FROM grids WHERE community_id = ? AND name = ?");
	store_bind_int(s, 1, cid);
	store_bind_text(s, 2, grid);
	int found = store_step(s) == STORE_ROW;
	store_done(s);
	return found;
}

static int require(const struct req *req, int64_t cid, enum role need, struct resp *r)
{
	if (api_require_user(req, r))
		return -EPERM;
	/* Whether the community exists and the caller's role in it, at once. */
	struct store_stmt *s = store_prepare(req->st,
		"SELECT (SELECT role FROM memberships WHERE community_id = ?1 AND user_id = ?2) "
		"FROM communities WHERE id = ?1");
	store_bind_int(s, 1, cid);
	store_bind_int(s, 2, req->who.uid);
	int exists = store_step(s) == STORE_ROW;
	enum role role = exists ? access_role_parse(store_col_text(s, 0)) : ROLE_NONE;
	store_done(s);
	if (!exists) {
		api_error(r, 404, "not_found", "no such community", NULL);
		return -EPERM;
	}
	return access_require_role(req, role, need, r);
}

int access_require_role(const struct req *req, enum role have, enum role need, struct resp *r)
{
	if (req->who.is_admin || have >= need)
		return 0;
	api_error(r, 403, "forbidden", need == ROLE_STAFF ?
		  "staff of this community only" : "members of this community only", NULL);
	return -EPERM;
}

int access_require_member(const struct req *req, int64_t cid, struct resp *r)
{
	return require(req, cid, ROLE_RESIDENT, r);
}

int access_require_staff(const struct req *req, int64_t cid, struct resp *r)
{
	return require(req, cid, ROLE_STAFF, r);
}

int access_sees_phone(struct store *st, const struct principal *viewer, int64_t user)
{
	if (!viewer || !viewer->uid)
		return 0; /* anonymous, or an event for everyone */
	if (viewer->uid == user)
		return 1;
	struct store_stmt *s = store_prepare(st,
		"SELECT 1 FROM memberships v JOIN memberships t "
		"ON t.community_id = v.community_id AND t.user_id = ?2 "
		"WHERE v.user_id = ?1 AND v.role = 'staff' LIMIT 1");
	store_bind_int(s, 1, viewer->uid);
	store_bind_int(s, 2, user);
	int yes = store_step(s) == STORE_ROW;
	store_done(s);
	return yes;
}

int access_channel_valid(const char *ch)
{
	const char *p = ch;
	if (!(*p >= 'a' && *p <= 'z'))
		return -EINVAL;
	int n = 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') {
		if (++n > 32)
			return -EINVAL;
		p++;
	}
	if (*p++ != ':')
		return -EINVAL;
	n = 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9') || *p == '_' || *p == '-') {
		if (++n > 63)
			return -EINVAL;
		p++;
	}
	return n && !*p ? 0 : -EINVAL;
}

/* Splits "kind:id" into kind and a positive numeric id; 0 or -EINVAL. */
static int channel_parts(const char *ch, char kind[33], int64_t *id)
{
	const char *colon = strchr(ch, ':');
	size_t kl = colon ? (size_t)(colon - ch) : 0;
	if (!kl || kl > 32 || util_parse_i64(colon + 1, id) || *id <= 0)
		return -EINVAL;
	memcpy(kind, ch, kl);
	kind[kl] = '\0';
	return 0;
}

/* The community a thread belongs to, 0 when there is no such thread. */
static int64_t thread_community(struct store *st, int64_t tid)
{
	struct store_stmt *s = store_prepare(st, "SELECT community_id FROM threads WHERE id = ?");
	store_bind_int(s, 1, tid);
	int64_t cid = store_step(s) == STORE_ROW ? store_col_int(s, 0) : 0;
	store_done(s);
	return cid;
}

int access_channel_sub(struct store *st, const struct principal *who,
		       const char *ch, const char **why)
{
	if (!who->uid) {
		*why = "authenticate first";
		return -EPERM;
	}
	if (who->is_admin)
		return 0;
	char kind[33];
	int64_t id;
	*why = "not allowed to subscribe to this channel";
	if (channel_parts(ch, kind, &id))
		return -EPERM;
	if (!strcmp(kind, "user"))
		return id == who->uid ? 0 : -EPERM;
	if (!strcmp(kind, "community") || !strcmp(kind, "help")) {
		*why = "members of this community only";
		return access_role(st, who->uid, id) >= ROLE_RESIDENT ? 0 : -EPERM;
	}
	if (!strcmp(kind, "mod")) {
		*why = "staff of this community only";
		return access_role(st, who->uid, id) >= ROLE_STAFF ? 0 : -EPERM;
	}
	if (!strcmp(kind, "thread")) {
		int64_t cid = thread_community(st, id);
		*why = cid ? "members of this thread's community only" : "no such thread";
		return cid && access_role(st, who->uid, cid) >= ROLE_RESIDENT ? 0 : -EPERM;
	}
	return -EPERM;
}

int access_channel_publish(struct store *st, const struct principal *who,
			   const char *ch, const char *type, const char **why)
{
	if (who->is_admin)
		return 0;
	char kind[33];
	int64_t id;
	if (!channel_parts(ch, kind, &id) && !strcmp(kind, "community") &&
	    access_role(st, who->uid, id) == ROLE_STAFF) {
		if (!strcmp(type, "announcement"))
			return 0;
		*why = "staff may publish only type \"announcement\" here";
		return -EPERM;
	}
	*why = "admins, or staff on their community:{id} channel, only";
	return -EPERM;
}
