#include "routes.h"
#include "access.h"
#include "codes.h"
#include "images.h"
#include "wordfilter.h"
#include "../gateway/util.h"

#define R(m, path, fn) { HTTP_##m, path, fn, #m " " path, 0 }
/* A route whose body is a file (ROUTE_UPLOAD: upload_max_bytes). */
#define RU(m, path, fn) { HTTP_##m, path, fn, #m " " path, ROUTE_UPLOAD }

static const struct route handler_routes[] = {
	R(POST, "/v1/channels/{ch}/events", channels_publish),
	/* accounts */
	R(POST, "/v1/auth/register", accounts_register),
	R(POST, "/v1/auth/login", accounts_login),
	R(POST, "/v1/auth/refresh", accounts_refresh),
	R(POST, "/v1/auth/logout", accounts_logout),
	R(GET, "/v1/me", accounts_me),
	R(PATCH, "/v1/me", accounts_edit),
	R(DELETE, "/v1/me", accounts_delete),
	R(POST, "/v1/auth/sms", codes_request),
	R(POST, "/v1/auth/reset", accounts_reset),
	R(GET, "/v1/auth/policy", accounts_policy),
	R(POST, "/v1/me/verify", accounts_verify),
	R(POST, "/v1/me/phone", accounts_change_phone),
	R(POST, "/v1/me/consent", privacy_consent),
	R(GET, "/v1/me/export", privacy_export),
	R(POST, "/v1/me/cancel-deletion", accounts_cancel_deletion),
	/* communities */
	R(POST, "/v1/communities", communities_create),
	R(GET, "/v1/communities", communities_list),
	R(GET, "/v1/communities/{cid}", communities_get),
	R(POST, "/v1/communities/{cid}/invites", communities_invite),
	R(GET, "/v1/communities/{cid}/invites", communities_invites),
	R(POST, "/v1/communities/{cid}/join", communities_join),
	R(POST, "/v1/join", communities_join_by_code),
	R(PUT, "/v1/communities/{cid}/volunteer", communities_volunteer),
	R(GET, "/v1/communities/{cid}/volunteer", communities_volunteer_get),
	R(POST, "/v1/communities/{cid}/staff", communities_appoint),
	R(PUT, "/v1/communities/{cid}/members/{uid}", communities_set_role),
	R(GET, "/v1/communities/{cid}/members", communities_members),
	R(GET, "/v1/communities/{cid}/audit", communities_audit),
	/* forums and consultations */
	R(POST, "/v1/communities/{cid}/threads", forums_thread_create),
	R(GET, "/v1/communities/{cid}/threads", forums_thread_list),
	R(GET, "/v1/threads/{tid}", forums_thread_get),
	R(POST, "/v1/threads/{tid}/posts", posts_create),
	R(GET, "/v1/threads/{tid}/posts", posts_list),
	R(POST, "/v1/threads/{tid}/vote", forums_vote),
	R(POST, "/v1/threads/{tid}/close", forums_close),
	R(POST, "/v1/threads/{tid}/outcome", forums_outcome),
	R(POST, "/v1/threads/{tid}/objections", publicity_object),
	R(GET, "/v1/threads/{tid}/objections", publicity_objections),
	R(POST, "/v1/objections/{id}/answer", publicity_answer),
	R(POST, "/v1/threads/{tid}/actions", actions_create),
	R(PATCH, "/v1/actions/{id}", actions_update),
	R(GET, "/v1/communities/{cid}/actions", actions_list),
	R(POST, "/v1/communities/{cid}/meetings", meetings_create),
	R(GET, "/v1/communities/{cid}/meetings", meetings_list),
	R(GET, "/v1/meetings/{id}", meetings_get),
	R(POST, "/v1/meetings/{id}/checkin", meetings_checkin),
	R(POST, "/v1/meetings/{id}/minutes", meetings_minutes),
	R(POST, "/v1/threads/{tid}/offline-votes", meetings_offline_vote),
	/* residents' requests */
	R(POST, "/v1/communities/{cid}/requests", tickets_create),
	R(GET, "/v1/communities/{cid}/requests", tickets_list),
	R(GET, "/v1/communities/{cid}/requests/summary", tickets_summary),
	R(GET, "/v1/tickets/{id}", tickets_get),
	R(POST, "/v1/tickets/{id}/accept", tickets_accept),
	R(POST, "/v1/tickets/{id}/reply", tickets_reply),
	R(POST, "/v1/tickets/{id}/resolve", tickets_resolve),
	R(POST, "/v1/tickets/{id}/rate", tickets_rate),
	R(POST, "/v1/tickets/{id}/reopen", tickets_reopen),
	/* moderation */
	R(PATCH, "/v1/posts/{pid}", posts_edit),
	R(POST, "/v1/posts/{pid}/report", posts_report),
	R(POST, "/v1/posts/{pid}/hide", posts_hide),
	R(POST, "/v1/posts/{pid}/restore", posts_restore),
	R(POST, "/v1/threads/{tid}/lock", posts_lock),
	R(POST, "/v1/threads/{tid}/unlock", posts_unlock),
	R(POST, "/v1/threads/{tid}/pin", posts_pin),
	R(POST, "/v1/threads/{tid}/unpin", posts_unpin),
	R(POST, "/v1/communities/{cid}/mutes", posts_mute),
	R(DELETE, "/v1/communities/{cid}/mutes/{uid}", posts_unmute),
	R(GET, "/v1/communities/{cid}/moderation/log", posts_mod_log),
	R(GET, "/v1/communities/{cid}/moderation/summary", posts_mod_summary),
	R(GET, "/v1/communities/{cid}/moderation/queue", posts_mod_queue),
	/* neighbour help */
	R(POST, "/v1/communities/{cid}/help", help_create),
	R(GET, "/v1/communities/{cid}/help", help_list),
	R(GET, "/v1/help/{hid}", help_get),
	R(POST, "/v1/help/{hid}/claim", help_claim),
	R(POST, "/v1/help/{hid}/unclaim", help_unclaim),
	R(POST, "/v1/help/{hid}/done", help_done),
	R(POST, "/v1/help/{hid}/confirm", help_confirm),
	R(POST, "/v1/help/{hid}/cancel", help_cancel),
	R(GET, "/v1/communities/{cid}/ledger", help_ledger),
	/* notice board */
	R(POST, "/v1/communities/{cid}/announcements", announcements_create),
	R(GET, "/v1/communities/{cid}/announcements", announcements_list),
	R(POST, "/v1/announcements/{id}/read", announcements_read),
	R(POST, "/v1/announcements/{id}/release", announcements_release),
	/* inbox */
	R(GET, "/v1/notifications", notify_list),
	R(POST, "/v1/notifications/read", notify_read),
	/* governance */
	R(GET, "/v1/admin/access-log", governance_access_log),
	R(POST, "/v1/admin/suspensions", governance_suspend),
	R(DELETE, "/v1/admin/suspensions/{uid}", governance_lift),
	R(POST, "/v1/communities/{cid}/warnings", posts_warn),
	R(POST, "/v1/moderation/actions/{id}/appeal", posts_appeal),
	R(GET, "/v1/communities/{cid}/appeals", posts_appeals),
	R(POST, "/v1/appeals/{id}/decide", posts_appeal_decide),
	R(POST, "/v1/threads/{tid}/release", forums_release),
	R(POST, "/v1/help/{hid}/release", help_release),
	R(POST, "/v1/threads/{tid}/outcome/release", forums_outcome_release),
	R(POST, "/v1/held-events/{id}/release", channels_release),
	/* photos */
	RU(POST, "/v1/uploads", uploads_create),
	R(GET, "/v1/uploads/{id}", uploads_get),
	R(GET, "/v1/uploads/{id}/thumb", uploads_get_thumb),
	R(POST, "/v1/uploads/{id}/release", uploads_release),
	/* push devices */
	R(POST, "/v1/devices", devices_register),
	R(GET, "/v1/devices", devices_list),
	R(DELETE, "/v1/devices/{id}", devices_delete),
};

static const api_tick_cb handler_ticks[] = { forums_tick, help_tick, privacy_tick, tickets_tick, uploads_tick };

/* Every retention_interval_s: what the domain keeps for a while only. */
static void housekeeping(struct req *req)
{
	accounts_housekeeping(req);
	codes_housekeeping(req);
	notify_housekeeping(req);
	privacy_housekeeping(req);
}

const struct api_domain handlers_domain = {
	.routes = handler_routes,
	.nroutes = sizeof handler_routes / sizeof handler_routes[0],
	.ticks = handler_ticks,
	.nticks = sizeof handler_ticks / sizeof handler_ticks[0],
	.housekeeping = housekeeping,
	.load_principal = access_load_principal,
	.admit = access_admit,
	.channel_valid = access_channel_valid,
	.may_subscribe = access_channel_sub,
	.revoked_sessions = accounts_revoked_sessions,
	.reload = handlers_reload,
	.shutdown = handlers_shutdown,
};

void handlers_reload(const struct config *cfg)
{
	/* libvips, once, before any photo can arrive (reload runs at start). */
	static int images_ready;
	if (!images_ready) {
		if (images_init())
			log_error("libvips did not start: photos will be refused");
		images_ready = 1;
	}
	char err[256];
	if (wordfilter_reload(cfg->sensitive_words, err, sizeof err))
		log_warn("sensitive words not (re)loaded: %s", err);
	else
		log_info("sensitive words: %zu loaded from %s",
			 wordfilter_current_size(), cfg->sensitive_words);
}

void handlers_shutdown(void)
{
	wordfilter_clear();
	images_shutdown();
}
