/* routes: the domain as the gateway is handed it — every REST endpoint,
 * the ticks, and the decisions about callers and channels — in one table,
 * handlers_domain, which main.c gives the server. The gateway adds its own
 * routes (/healthz, /readyz, /metrics) in front. */
#ifndef LINLI_ROUTES_H
#define LINLI_ROUTES_H

#include <stddef.h>

#include "../gateway/api.h"

extern const struct api_domain handlers_domain;

/* Loads what the handlers read from files (the sensitive-word list): at
 * start and on SIGHUP. */
void handlers_reload(const struct config *cfg);
/* Frees what handlers_reload loaded (at exit). */
void handlers_shutdown(void);

/* channels.c */
void channels_publish(struct req *req, struct resp *resp);
/* accounts.c */
void accounts_register(struct req *req, struct resp *resp);
void accounts_login(struct req *req, struct resp *resp);
void accounts_refresh(struct req *req, struct resp *resp);
void accounts_logout(struct req *req, struct resp *resp);
void accounts_me(struct req *req, struct resp *resp);
void accounts_reset(struct req *req, struct resp *resp);
void accounts_policy(struct req *req, struct resp *resp);
void accounts_verify(struct req *req, struct resp *resp);
void accounts_change_phone(struct req *req, struct resp *resp);
void accounts_edit(struct req *req, struct resp *resp);
void accounts_delete(struct req *req, struct resp *resp);
void accounts_cancel_deletion(struct req *req, struct resp *resp);
/* Inside the caller's transaction: uid agreed to policy version now. */
int accounts_consent_record(struct req *req, int64_t uid, const char *version, int64_t now);
/* privacy: consent, export, and the end of a deleted account */
void privacy_consent(struct req *req, struct resp *resp);
void privacy_export(struct req *req, struct resp *resp);
void privacy_tick(struct req *req);
void privacy_housekeeping(struct req *req);
/* governance: the access log and suspensions, for admins */
void governance_access_log(struct req *req, struct resp *resp);
void governance_suspend(struct req *req, struct resp *resp);
void governance_lift(struct req *req, struct resp *resp);
/* communities.c: a row of the audit log (who did what to whom), inside
 * the caller's transaction; takes detail (NULL: {}). 0 or -EIO. */
int communities_audit_write(struct req *req, int64_t cid, const char *action, int64_t target,
			    json_t *detail);
/* meetings.c: 议事会 and 居民代表会议, offline votes */
void meetings_create(struct req *req, struct resp *resp);
void meetings_list(struct req *req, struct resp *resp);
void meetings_get(struct req *req, struct resp *resp);
void meetings_checkin(struct req *req, struct resp *resp);
void meetings_minutes(struct req *req, struct resp *resp);
void meetings_offline_vote(struct req *req, struct resp *resp);
/* tickets.c: 居民诉求, residents' requests (首问负责) */
void tickets_create(struct req *req, struct resp *resp);
void tickets_list(struct req *req, struct resp *resp);
void tickets_get(struct req *req, struct resp *resp);
void tickets_accept(struct req *req, struct resp *resp);
void tickets_reply(struct req *req, struct resp *resp);
void tickets_resolve(struct req *req, struct resp *resp);
void tickets_rate(struct req *req, struct resp *resp);
void tickets_reopen(struct req *req, struct resp *resp);
void tickets_summary(struct req *req, struct resp *resp);
void tickets_tick(struct req *req);
/* uploads.c: photos */
void uploads_create(struct req *req, struct resp *resp);
void uploads_get(struct req *req, struct resp *resp);
void uploads_get_thumb(struct req *req, struct resp *resp);
void uploads_release(struct req *req, struct resp *resp);
void uploads_tick(struct req *req);
/* An upload as the API shows it (NULL: no such upload). */
json_t *uploads_json(struct store *st, int64_t id);
/* Attachments (at most 9 photos on a thread, post, help request or
 * resident's request). uploads_parse reads body's "attachments" (absent
 * or null: none): distinct ids of the caller's own uploads, none attached
 * yet, each thumbnail through the content check (kind "image", community
 * cid): 0; 1 while a check is outstanding (return without answering, as
 * for texts: the handler runs again); or the answer is set (400 naming
 * attachments, or content_rejected) and -EINVAL. uploads_attach, inside
 * the item's transaction, attaches them in order (a held photo seen by
 * its uploader and staff only): 0, or -EALREADY when one was attached
 * meanwhile (the caller fails the item). uploads_of: an item's uploads,
 * in order. */
#define UPLOADS_PER_ITEM 9
struct uploads_pick {
	int64_t ids[UPLOADS_PER_ITEM];
	int held[UPLOADS_PER_ITEM];   /* the content check asked for review */
	size_t n;
};
int uploads_parse(struct req *req, json_t *body, int64_t cid, struct uploads_pick *pick,
		  struct resp *resp);
int uploads_attach(struct req *req, const struct uploads_pick *pick, const char *kind, int64_t item);
json_t *uploads_of(struct store *st, const char *kind, int64_t item);
/* An anonymised account's photos: inside its transaction the rows (and on
 * PostgreSQL the bytes) go, *keys naming them; after the commit
 * uploads_forget_files removes the files (SQLite) and frees keys. */
int uploads_forget_user(struct req *req, int64_t uid, char ***keys, size_t *n);
void uploads_forget_files(struct req *req, char **keys, size_t n);
/* actions.c: 落实, implementation items */
void actions_create(struct req *req, struct resp *resp);
void actions_update(struct req *req, struct resp *resp);
void actions_list(struct req *req, struct resp *resp);
/* publicity.c: 公示 and objections */
void publicity_object(struct req *req, struct resp *resp);
void publicity_objections(struct req *req, struct resp *resp);
void publicity_answer(struct req *req, struct resp *resp);
/* announcements.c: the notice board */
void announcements_create(struct req *req, struct resp *resp);
void announcements_list(struct req *req, struct resp *resp);
void announcements_read(struct req *req, struct resp *resp);
void announcements_release(struct req *req, struct resp *resp);
/* the announcements of cid the content check holds (for staff) */
json_t *announcements_held(struct req *req, int64_t cid);
/* posts.c: warnings and appeals */
void posts_warn(struct req *req, struct resp *resp);
void posts_appeal(struct req *req, struct resp *resp);
void posts_appeals(struct req *req, struct resp *resp);
void posts_appeal_decide(struct req *req, struct resp *resp);
/* releasing what the content check held */
void forums_release(struct req *req, struct resp *resp);
void help_release(struct req *req, struct resp *resp);
void forums_outcome_release(struct req *req, struct resp *resp);
void channels_release(struct req *req, struct resp *resp);
/* channels.c: the announcements of cid the content check holds (for staff) */
json_t *channels_held(struct store *st, int64_t cid);
/* help.c: the requests of cid the content check holds (for staff) */
json_t *help_held(struct store *st, int64_t cid);
/* help.c: what an anonymised account leaves behind in neighbour help. */
int help_account_gone(struct req *req, int64_t uid);
int accounts_revoked_sessions(struct store *st, int64_t since_ms, api_session_cb cb, void *data);
void accounts_housekeeping(struct req *req);
/* communities.c */
void communities_create(struct req *req, struct resp *resp);
void communities_get(struct req *req, struct resp *resp);
void communities_invite(struct req *req, struct resp *resp);
void communities_join(struct req *req, struct resp *resp);
void communities_list(struct req *req, struct resp *resp);
void communities_invites(struct req *req, struct resp *resp);
void communities_join_by_code(struct req *req, struct resp *resp);
void communities_volunteer(struct req *req, struct resp *resp);
void communities_volunteer_get(struct req *req, struct resp *resp);
void communities_appoint(struct req *req, struct resp *resp);
void communities_set_role(struct req *req, struct resp *resp);
void communities_members(struct req *req, struct resp *resp);
void communities_audit(struct req *req, struct resp *resp);
/* forums.c */
void forums_thread_create(struct req *req, struct resp *resp);
void forums_thread_list(struct req *req, struct resp *resp);
void forums_thread_get(struct req *req, struct resp *resp);
void forums_vote(struct req *req, struct resp *resp);
void forums_close(struct req *req, struct resp *resp);
void forums_outcome(struct req *req, struct resp *resp);
void forums_tick(struct req *req);
/* posts.c */
void posts_create(struct req *req, struct resp *resp);
void posts_edit(struct req *req, struct resp *resp);
void posts_list(struct req *req, struct resp *resp);
void posts_report(struct req *req, struct resp *resp);
void posts_hide(struct req *req, struct resp *resp);
void posts_restore(struct req *req, struct resp *resp);
void posts_lock(struct req *req, struct resp *resp);
void posts_unlock(struct req *req, struct resp *resp);
void posts_pin(struct req *req, struct resp *resp);
void posts_unpin(struct req *req, struct resp *resp);
void posts_mute(struct req *req, struct resp *resp);
void posts_unmute(struct req *req, struct resp *resp);
void posts_mod_log(struct req *req, struct resp *resp);
void posts_mod_summary(struct req *req, struct resp *resp);
void posts_mod_queue(struct req *req, struct resp *resp);
/* help.c */
void help_create(struct req *req, struct resp *resp);
void help_list(struct req *req, struct resp *resp);
void help_get(struct req *req, struct resp *resp);
void help_claim(struct req *req, struct resp *resp);
void help_unclaim(struct req *req, struct resp *resp);
void help_done(struct req *req, struct resp *resp);
void help_confirm(struct req *req, struct resp *resp);
void help_cancel(struct req *req, struct resp *resp);
void help_ledger(struct req *req, struct resp *resp);
void help_tick(struct req *req);
/* notify.c */
void notify_list(struct req *req, struct resp *resp);
void notify_read(struct req *req, struct resp *resp);
void notify_housekeeping(struct req *req);

/* devices.c */
void devices_register(struct req *req, struct resp *resp);
void devices_list(struct req *req, struct resp *resp);
void devices_delete(struct req *req, struct resp *resp);

#endif
