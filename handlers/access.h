/* access: the one place that decides who may do what.
 *
 * Every handler and every WebSocket `sub` asks here. Roles are read from
 * the database on each decision, never taken from a token. Later issues
 * add the community, thread, help and moderation channel rules. */
#ifndef LINLI_ACCESS_H
#define LINLI_ACCESS_H

#include "../gateway/api.h"
#include "../gateway/store.h"

#define ACCESS_CHANNEL_MAX 96 /* longest channel name */

/* Loads the caller for user id uid and session sid (0: a token minted by
 * an operator, no session): 0, -ENOENT for an unknown user, -EKEYREVOKED
 * for a session that was logged out or revoked, or a store error. */
/* Writes by a member without a verified phone (require_verified_phone) or
 * without consent to the current privacy_policy_version are refused (403,
 * reason phone_unverified / consent_required), except what gets them there
 * and what the law lets them do regardless: signing in and out, verifying,
 * consenting, deleting the account, removing a device. */
int access_admit(struct req *req, struct resp *resp);

int access_load_principal(struct store *st, int64_t uid, int64_t sid,
			  struct principal *out);

/* Ordered: each role may do what the one before it may. A representative
 * (居民代表) is a resident invited to representatives' meetings. */
enum role { ROLE_NONE = 0, ROLE_RESIDENT = 1, ROLE_REPRESENTATIVE = 2, ROLE_STAFF = 3 };

/* uid's role in community cid (ROLE_NONE when not a member). */
enum role access_role(struct store *st, int64_t uid, int64_t cid);
const char *access_role_name(enum role r);
/* "resident" / "representative" / "staff" to a role; ROLE_NONE for anything else. */
enum role access_role_parse(const char *s);

/* Guards for handlers: 0 when who may act, otherwise the answer is set
 * (401, 403, or 404 when the community does not exist) and -EPERM.
 * Admins pass both. */
int access_require_member(const struct req *req, int64_t cid, struct resp *r);
int access_require_staff(const struct req *req, int64_t cid, struct resp *r);
/* The same for a caller whose role (have) in an existing community is
 * already known. */
int access_require_role(const struct req *req, enum role have, enum role need, struct resp *r);

/* Does community cid exist? */
int access_community_exists(struct store *st, int64_t cid);
/* Is grid one of community cid's grids (网格)? */
int access_grid_exists(struct store *st, int64_t cid, const char *grid);

/* May viewer see user's phone unmasked? Owner, or staff of a community
 * both belong to. */
int access_sees_phone(struct store *st, const struct principal *viewer, int64_t user);

/* Channel names are "<kind>:<id>": kind [a-z][a-z0-9_]{0,31}, id
 * [A-Za-z0-9_-]{1,63}. 0 when well-formed, -EINVAL otherwise. */
int access_channel_valid(const char *ch);

/* May who subscribe to ch? 0 allow; -EPERM deny (*why says why). */
int access_channel_sub(struct store *st, const struct principal *who,
		       const char *ch, const char **why);

/* May who publish an event of type on ch through the REST endpoint? */
int access_channel_publish(struct store *st, const struct principal *who,
			   const char *ch, const char *type, const char **why);

#endif
