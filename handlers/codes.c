#include "codes.h"
#include "routes.h"
#include "users.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)

static const char *const purposes[] = {
	"register", "login", "reset", "change_phone", "verify", "cancel",
};

static const char *purpose_of(const char *s)
{
	for (size_t i = 0; i < sizeof purposes / sizeof *purposes; i++)
		if (!strcmp(s, purposes[i]))
			return purposes[i];
	return NULL;
}

static void code_hash(const struct req *req, const char *phone, const char *purpose,
		      const char *code, unsigned char out[32])
{
	char msg[64];
	int n = snprintf(msg, sizeof msg, "%s\n%s\n%s", phone, purpose, code);
	api_mac(req, "linli sms code v1", msg, (size_t)n, out);
	OPENSSL_cleanse(msg, sizeof msg);
}

int codes_digits(char out[CODE_LEN + 1])
{
	uint32_t r;
	do {
		if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
			return -EIO;
	} while (r >= 4294000000u); /* a multiple of 10^6 */
	snprintf(out, CODE_LEN + 1, "%06u", r % 1000000u);
	return 0;
}

/* Codes counted in a window (by phone or by address), and when the oldest
 * of them leaves it. */
static int64_t window_count(struct store *st, const char *col, const char *key, int64_t since,
			    int64_t *oldest)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*), min(created_at) FROM sms_codes "
		 "WHERE %s = ? AND created_at > ?", col);
	struct store_stmt *s = store_prepare(st, sql);
	store_bind_text(s, 1, key);
	store_bind_int(s, 2, since);
	int64_t n = 0;
	*oldest = 0;
	if (store_step(s) == STORE_ROW) {
		n = store_col_int(s, 0);
		*oldest = store_col_int(s, 1);
	}
	store_done(s);
	return n;
}

static int too_many(struct resp *resp, int64_t wait_ms, const char *why)
{
	api_error(resp, 429, "rate_limited", why, NULL);
	resp->retry_after = (int)((wait_ms + 999) / 1000);
	if (resp->retry_after < 1)
		resp->retry_after = 1;
	return -EAGAIN;
}

/* The per-address and per-phone limits and the resend pacing: 0, or the
 * 429 is set. The pacing is claimed again, atomically, in the transaction. */
static int limits(struct req *req, struct resp *resp, const char *phone, int64_t now)
{
	const struct config *cfg = req->cfg;
	int64_t oldest;
	struct store_stmt *s = store_prepare(req->st, "SELECT last_at FROM sms_pacing WHERE phone = ?");
	store_bind_text(s, 1, phone);
	int64_t last = 0;
	store_run_int(s, &last);
	if (last && last > now - cfg->sms_resend_s * 1000)
		return too_many(resp, last + cfg->sms_resend_s * 1000 - now,
				"a code was sent to this phone moments ago; wait before asking again");
	if (window_count(req->st, "ip", req->peer, now - HOUR_MS, &oldest) >= cfg->sms_per_ip_per_hour)
		return too_many(resp, oldest + HOUR_MS - now,
				"too many codes asked from this address; try again later");
	if (window_count(req->st, "phone", phone, now - DAY_MS, &oldest) >= cfg->sms_per_phone_per_day)
		return too_many(resp, oldest + DAY_MS - now,
				"too many codes for this phone today; try again tomorrow");
	return 0;
}

static int has_account(struct store *st, const char *phone)
{
	struct store_stmt *s = store_prepare(st, "SELECT 1 FROM users WHERE phone = ?");
	store_bind_text(s, 1, phone);
	return store_run_exists(s) == 1;
}

void codes_request(struct req *req, struct resp *resp)
{
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *purpose_in = api_str(body, "purpose", 1, 32, 1, resp);
	const char *purpose = purpose_in ? purpose_of(purpose_in) : NULL;
	char phone[PHONE_LEN + 1], own[PHONE_LEN + 1], code[CODE_LEN + 1];
	if (!purpose_in)
		goto out;
	if (!purpose) {
		api_error(resp, 400, "bad_request", "purpose must be one of register, login, reset, "
			  "change_phone, verify, cancel", "purpose");
		goto out;
	}
	int signed_in = !strcmp(purpose, "verify") || !strcmp(purpose, "cancel") ||
			!strcmp(purpose, "change_phone");
	if (signed_in && api_require_user(req, resp))
		goto out;
	int own_only = signed_in && strcmp(purpose, "change_phone");
	if (own_only && users_own_phone(req, resp, own))
		goto out;
	json_t *pv = json_object_get(body, "phone");
	if (own_only && (!pv || json_is_null(pv))) {
		memcpy(phone, own, sizeof own);
	} else {
		if (users_phone_field(body, phone, resp))
			goto out;
		if (own_only && strcmp(phone, own)) {
			api_error(resp, 400, "bad_request", "a code for this purpose goes to your own "
				  "phone number", "phone");
			goto out;
		}
	}
	int64_t now = util_now_ms();
	if (limits(req, resp, phone, now))
		goto out;
	if (api_sms_reserve(req)) {
		api_error(resp, 503, "unavailable", "too many codes waiting to be sent; retry shortly", NULL);
		resp->retry_after = 5;
		goto out;
	}
	/* Sent unless the purpose needs an account the phone does not have:
	 * the row is stored either way, so the answer and the limits are the
	 * same for both. */
	int deliver = strcmp(purpose, "login") && strcmp(purpose, "reset") ? 1 :
		      has_account(req->st, phone);
	unsigned char h[32];
	if (codes_digits(code)) {
		api_sms_release(req);
		api_error(resp, 500, "internal", "no randomness", NULL);
		goto out;
	}
	code_hash(req, phone, purpose, code, h);
	if (api_begin(req, resp)) {
		api_sms_release(req);
		goto out;
	}
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO sms_pacing (phone, last_at) VALUES (?1, ?2) "
		"ON CONFLICT (phone) DO UPDATE SET last_at = ?2 WHERE sms_pacing.last_at <= ?3 "
		"RETURNING last_at");
	store_bind_text(s, 1, phone);
	store_bind_int(s, 2, now);
	store_bind_int(s, 3, now - req->cfg->sms_resend_s * 1000);
	int paced = store_run_exists(s);
	if (paced == 0) {
		/* Another request for the phone won the race. */
		api_rollback(req);
		api_sms_release(req);
		too_many(resp, req->cfg->sms_resend_s * 1000,
			 "a code was sent to this phone moments ago; wait before asking again");
		goto out;
	}
	int64_t expires = now + req->cfg->sms_code_ttl_s * 1000, id = 0;
	s = store_prepare(req->st,
		"INSERT INTO sms_codes (phone, purpose, code_hash, user_id, ip, delivered, "
		"created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_text(s, 1, phone);
	store_bind_text(s, 2, purpose);
	store_bind_blob(s, 3, h, sizeof h);
	store_bind_int_or_null(s, 4, req->who.uid);
	store_bind_text(s, 5, req->peer);
	store_bind_int(s, 6, deliver);
	store_bind_int(s, 7, now);
	store_bind_int(s, 8, expires);
	int rc = store_run_int(s, &id);
	if (api_commit_or_fail(req, resp, paced == 1 && rc == 0, "could not store the code")) {
		api_sms_release(req);
		goto out;
	}
	if (deliver)
		api_sms_queue(req, id, phone, code, purpose, expires);
	else
		api_sms_release(req);
	api_json(resp, 202, json_pack("{s:I, s:I}", "expires_at", (json_int_t)expires,
				      "resend_after_ms", (json_int_t)(req->cfg->sms_resend_s * 1000)));
out:
	OPENSSL_cleanse(code, sizeof code);
	json_decref(body);
}

int codes_check(struct req *req, struct resp *resp, const char *phone, const char *purpose,
		const char *code, int64_t uid, int status, int64_t *id)
{
	size_t n = code ? strlen(code) : 0;
	if (n != CODE_LEN || strspn(code, "0123456789") != CODE_LEN) {
		api_error(resp, 400, "bad_request", code ? "code must be the 6 digits of the SMS" :
			  "code is required", "code");
		return -EINVAL;
	}
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id, code_hash, expires_at, tries, used_at, user_id FROM sms_codes "
		"WHERE phone = ? AND purpose = ? ORDER BY id DESC LIMIT 1");
	store_bind_text(s, 1, phone);
	store_bind_text(s, 2, purpose);
	int live = 0, match = 0;
	int64_t cid = 0;
	if (store_step(s) == STORE_ROW) {
		cid = store_col_int(s, 0);
		live = store_col_int(s, 2) > util_now_ms() && store_col_int(s, 3) < CODE_MAX_TRIES &&
		       store_col_null(s, 4) && (!uid || store_col_int(s, 5) == uid);
		if (live && store_col_bytes(s, 1) == 32) {
			unsigned char h[32];
			code_hash(req, phone, purpose, code, h);
			match = !CRYPTO_memcmp(h, store_col_blob(s, 1), 32);
		}
	}
	store_done(s);
	if (live && match) {
		*id = cid;
		return 0;
	}
	if (live) {
		s = store_prepare(req->st, "UPDATE sms_codes SET tries = tries + 1 WHERE id = ?");
		store_bind_int(s, 1, cid);
		store_run(s);
	}
	api_error(resp, status, status == 401 ? "unauthorized" : "bad_request",
		  "the code is wrong or has expired; ask for a new one", "code");
	return -EACCES;
}

int codes_spend(struct req *req, int64_t id)
{
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE sms_codes SET used_at = ? WHERE id = ? AND used_at IS NULL");
	store_bind_int(s, 1, util_now_ms());
	store_bind_int(s, 2, id);
	int64_t n = store_run(s);
	return n == 1 ? 0 : n < 0 ? (int)n : -EALREADY;
}

void codes_housekeeping(struct req *req)
{
	int64_t old = util_now_ms() - 2 * DAY_MS;
	struct store_stmt *s = store_prepare(req->st, "DELETE FROM sms_codes WHERE created_at < ?");
	store_bind_int(s, 1, old);
	store_run(s);
	s = store_prepare(req->st, "DELETE FROM sms_pacing WHERE last_at < ?");
	store_bind_int(s, 1, old);
	store_run(s);
}
