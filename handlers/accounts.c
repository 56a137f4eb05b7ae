/* accounts: register, log in, refresh, log out, /v1/me.
 *
 * Password hashing runs on the thread pool (api_defer): a burst of logins
 * never stalls the sockets. Refresh tokens are random, stored only as
 * their SHA-256, and rotated on every use; a spent one presented again
 * revokes its whole session (someone else has a copy). */
#include "access.h"
#include "codes.h"
#include "review.h"
#include "routes.h"
#include "notify.h"
#include "users.h"
#include "../gateway/password.h"
#include "../gateway/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define PASSWORD_MIN 8     /* characters */
#define PASSWORD_MAX 128   /* bytes: scrypt's input, bounded */
#define REFRESH_LEN 43     /* base64url of 32 random bytes */

/* Common passwords refused at registration (a short list; the lock-out
 * handles guessing beyond it). */
static const char *const common_passwords[] = {
	"12345678", "123456789", "1234567890", "87654321", "11111111", "00000000",
	"88888888", "66666666", "12341234", "11223344", "147258369", "123123123",
	"password", "password1", "passw0rd", "qwertyui", "qwerty123", "1qaz2wsx",
	"abcd1234", "a1234567", "aa123456", "abc12345", "iloveyou", "woaini1314",
	"5201314520", "1314520520", "admin123", "letmein1", "zxcvbnm1", "asdfghjk",
};

static int password_common(const char *pw)
{
	for (size_t i = 0; i < sizeof common_passwords / sizeof *common_passwords; i++)
		if (!strcasecmp(pw, common_passwords[i]))
			return 1;
	return 0;
}

static void refresh_hash(const char *tok, unsigned char out[32])
{
	SHA256((const unsigned char *)tok, strlen(tok), out);
}

/* A new session for uid: fills the tokens; returns the session id, or -1.
 * Inside the caller's transaction. */
static int64_t session_create(struct req *req, int64_t uid, char refresh[REFRESH_LEN + 1])
{
	unsigned char raw[32], h[32];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	util_b64url(raw, sizeof raw, refresh);
	refresh_hash(refresh, h);
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO sessions (user_id, refresh_hash, created_at, refreshed_at, ip, user_agent) "
		"VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, uid);
	store_bind_blob(s, 2, h, sizeof h);
	store_bind_int(s, 3, now);
	store_bind_int(s, 4, now);
	store_bind_text(s, 5, req->peer);
	store_bind_text(s, 6, req->user_agent);
	int64_t sid;
	return store_run_int(s, &sid) ? -1 : sid;
}

/* A sign-in of uid from this request's address: the user's IP属地 (of the
 * last login) and, when proven is set (a code came to the phone), the
 * phone is verified. Inside the caller's transaction. */
static int signed_in(struct req *req, int64_t uid, int proven)
{
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE users SET ip_region = ?2, phone_verified_at = CASE WHEN ?3 = 1 "
		"  THEN coalesce(phone_verified_at, ?4) ELSE phone_verified_at END WHERE id = ?1");
	store_bind_int(s, 1, uid);
	store_bind_text(s, 2, api_ip_region(req));
	store_bind_int(s, 3, proven);
	store_bind_int(s, 4, util_now_ms());
	return store_run(s) == 1 ? 0 : -EIO;
}

/* 0, or the 403 (reason suspended, with suspended_until: null when
 * permanent) for an account an admin suspended. After the credentials
 * checked out: a stranger learns nothing. */
static int refuse_suspended(struct req *req, struct resp *resp, int64_t uid)
{
	struct store_stmt *s = store_prepare(req->st,
		"SELECT until FROM suspensions WHERE user_id = ?1 AND (until IS NULL OR until > ?2)");
	store_bind_int(s, 1, uid);
	store_bind_int(s, 2, util_now_ms());
	int suspended = store_step(s) == STORE_ROW;
	json_t *until = suspended && !store_col_null(s, 0) ? json_integer(store_col_int(s, 0)) : json_null();
	store_done(s);
	if (!suspended) {
		json_decref(until);
		return 0;
	}
	api_json(resp, 403, json_pack("{s:{s:s, s:s, s:s, s:o}}", "error", "code", "forbidden",
		"message", "this account is suspended", "reason", "suspended", "suspended_until", until));
	return -EPERM;
}

/* 0, or the 403 (reason blacklisted) for a phone a permanent suspension
 * blacklisted (kept only as a keyed hash). */
static int refuse_blacklisted(struct req *req, struct resp *resp, const char *phone)
{
	unsigned char h[32];
	api_mac(req, "linli blacklist v1", phone, strlen(phone), h);
	struct store_stmt *s = store_prepare(req->st, "SELECT 1 FROM blacklist WHERE phone_hash = ?");
	store_bind_blob(s, 1, h, sizeof h);
	if (store_run_exists(s) != 1)
		return 0;
	api_error_reason(resp, 403, "forbidden", "this phone number may not register", "blacklisted");
	return -EPERM;
}

/* {user, access_token, refresh_token, expires_at} */
static json_t *auth_answer(struct req *req, int64_t uid, int64_t sid, const char *refresh)
{
	char access[TOKEN_MAX];
	int64_t exp = api_sign_access(req, uid, sid, access);
	req->signed_in_uid = uid; /* the access log names who signed in */
	req->signed_in_sid = sid;
	struct principal self = { .uid = uid, .sid = sid };
	return json_pack("{s:o, s:s, s:s, s:I}", "user", users_json(req->st, &self, uid),
			 "access_token", access, "refresh_token", refresh,
			 "access_expires_at", (json_int_t)exp * 1000);
}

/* --- login throttling (shared by every process through the database) --- */

/* Seconds until key is unlocked, or 0. */
static int64_t lock_remaining(struct store *st, const char *key)
{
	struct store_stmt *s = store_prepare(st, "SELECT locked_until FROM login_failures WHERE key = ?");
	store_bind_text(s, 1, key);
	int64_t until = store_step(s) == STORE_ROW ? store_col_int(s, 0) : 0;
	store_done(s);
	int64_t left = until - util_now_ms();
	return left > 0 ? (left + 999) / 1000 : 0;
}

/* The login_failures key of the caller's address. */
static void ip_key(const struct req *req, char *out, size_t cap)
{
	snprintf(out, cap, "ip:%s", req->peer);
}

/* 0, or the 429 with Retry-After while key (or key2, may be NULL) is
 * locked out. */
static int locked_out(struct req *req, struct resp *resp, const char *key, const char *key2)
{
	int64_t wait = key ? lock_remaining(req->st, key) : 0;
	int64_t wait2 = key2 ? lock_remaining(req->st, key2) : 0;
	if (wait2 > wait)
		wait = wait2;
	if (!wait)
		return 0;
	api_error(resp, 429, "rate_limited", "too many failed attempts; try again later", NULL);
	resp->retry_after = (int)wait;
	return -EAGAIN;
}

static void record_failure(struct req *req, const char *key, int64_t max)
{
	const struct config *cfg = req->cfg;
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO login_failures (key, failures, window_start) VALUES (?1, 1, ?2) "
		"ON CONFLICT (key) DO UPDATE SET "
		"  failures = CASE WHEN login_failures.window_start < ?3 THEN 1 "
		"             ELSE login_failures.failures + 1 END, "
		"  window_start = CASE WHEN login_failures.window_start < ?3 THEN ?2 "
		"                 ELSE login_failures.window_start END, "
		"  locked_until = CASE WHEN login_failures.window_start >= ?3 AND "
		"                 login_failures.failures + 1 >= ?4 "
		"                 THEN ?2 + ?5 ELSE login_failures.locked_until END");
	store_bind_text(s, 1, key);
	store_bind_int(s, 2, now);
	store_bind_int(s, 3, now - cfg->login_window_s * 1000);
	store_bind_int(s, 4, max);
	store_bind_int(s, 5, cfg->login_lockout_s * 1000);
	store_step(s);
	store_done(s);
}

static void clear_failures(struct store *st, const char *key)
{
	struct store_stmt *s = store_prepare(st, "DELETE FROM login_failures WHERE key = ?");
	store_bind_text(s, 1, key);
	store_step(s);
	store_done(s);
}

/* --- the thread-pool jobs ------------------------------------------------ */

/* One hashing job: inputs copied, outputs filled on the pool. */
struct pw_job {
	char password[PASSWORD_MAX + 1];    /* cleansed when done */
	char stored[PASSWORD_HASH_MAX];     /* verify: the stored hash */
	char hash[PASSWORD_HASH_MAX];       /* hash: the result */
	int log2_n, r, p;                   /* hash parameters */
	int ok;                             /* verify: matched; hash: 0 = done */
	int cannot_match;                   /* verify: a password no account can have */
	int64_t uid;                        /* the account concerned */
	char phone[PHONE_LEN + 1];
	char display_name[4 * DISPLAY_NAME_MAX + 1];
	char phone_key[32], ip_key[80];     /* login_failures keys */
	int64_t code_id;                    /* a checked code to spend, or 0 */
	char consent[64];                   /* register: the policy agreed to */
};

static void job_free(struct pw_job *j)
{
	OPENSSL_cleanse(j->password, sizeof j->password);
	free(j);
}

static void hash_work(void *data)
{
	struct pw_job *j = data;
	j->ok = password_hash(j->password, j->log2_n, j->r, j->p, j->hash);
}

static void verify_work(void *data)
{
	struct pw_job *j = data;
	if (!j->uid || j->cannot_match) {
		/* Unknown phone (or a password no account can have): spend the
		 * same time as a real check, so the answer's timing does not
		 * tell which numbers are registered. */
		char waste[PASSWORD_HASH_MAX];
		password_hash(j->password, j->log2_n, j->r, j->p, waste);
		j->ok = 0;
		return;
	}
	j->ok = password_verify(j->password, j->stored);
}

static int defer(struct req *req, struct resp *resp, api_work_cb work,
		 api_done_cb done, struct pw_job *j)
{
	int rc = api_defer(req, work, done, j);
	if (rc) {
		job_free(j);
		api_error(resp, 503, "unavailable", "too many sign-ins at once; retry shortly", NULL);
		resp->retry_after = 1;
	}
	return rc;
}

/* --- register -------------------------------------------------------------- */

static int phone_taken(struct store *st, const char *phone)
{
	struct store_stmt *s = store_prepare(st, "SELECT 1 FROM users WHERE phone = ?");
	store_bind_text(s, 1, phone);
	int taken = store_step(s) == STORE_ROW;
	store_done(s);
	return taken;
}

/* A consent to policy version, with time and address. Inside the caller's
 * transaction. */
int accounts_consent_record(struct req *req, int64_t uid, const char *version, int64_t now)
{
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE users SET consent_version = ?, consent_at = ? WHERE id = ?");
	store_bind_text(s, 1, version);
	store_bind_int(s, 2, now);
	store_bind_int(s, 3, uid);
	if (store_run(s) != 1)
		return -EIO;
	s = store_prepare(req->st, "INSERT INTO consents (user_id, version, at, ip) VALUES (?, ?, ?, ?)");
	store_bind_int(s, 1, uid);
	store_bind_text(s, 2, version);
	store_bind_int(s, 3, now);
	store_bind_text(s, 4, req->peer);
	return store_run(s) == 1 ? 0 : -EIO;
}

/* A spent code (another request used it meanwhile): the answer. */
static void code_spent(struct req *req, struct resp *resp, int status)
{
	api_rollback(req);
	api_error(resp, status, status == 401 ? "unauthorized" : "bad_request",
		  "the code is wrong or has expired; ask for a new one", "code");
}

/* Begins the transaction that spends a checked code (code_id 0: none to
 * spend): 0 to go on; otherwise the answer is set (the code was spent
 * meanwhile by a concurrent request: status). Any other failure of the
 * spend fails the commit (the store refuses to commit a transaction with
 * a failed statement). */
static int begin_spending(struct req *req, struct resp *resp, int64_t code_id, int status)
{
	if (api_begin(req, resp))
		return -EAGAIN;
	if (code_id && codes_spend(req, code_id) == -EALREADY) {
		code_spent(req, resp, status);
		return -EALREADY;
	}
	return 0;
}

static void register_done(struct req *req, struct resp *resp, void *data)
{
	struct pw_job *j = data;
	char refresh[REFRESH_LEN + 1];
	int64_t sid = -1, now = util_now_ms();
	if (j->ok) {
		api_error(resp, 500, "internal", "could not hash the password", NULL);
		goto out;
	}
	if (begin_spending(req, resp, j->code_id, 400))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO users (display_name, phone, pw_hash, created_at, phone_verified_at, "
		"ip_region) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_text(s, 1, j->display_name);
	store_bind_text(s, 2, j->phone);
	store_bind_text(s, 3, j->hash);
	store_bind_int(s, 4, now);
	store_bind_int_or_null(s, 5, j->code_id ? now : 0);
	store_bind_text(s, 6, api_ip_region(req));
	int64_t uid = 0;
	int rc = store_run_int(s, &uid);
	if (rc == 0 && j->consent[0])
		rc = accounts_consent_record(req, uid, j->consent, now);
	if (rc == 0)
		sid = session_create(req, uid, refresh);
	if (rc == -EEXIST) {
		/* Another registration of the phone won while we hashed (the
		 * unique index decides, on either engine). */
		api_rollback(req);
		api_error(resp, 409, "conflict", "this phone number is already registered", "phone");
		goto out;
	}
	if (sid < 0 || api_commit(req)) {
		api_rollback(req);
		api_error(resp, 500, "internal", "could not create the account", NULL);
		goto out;
	}
	log_info("req %" PRIu64 ": registered user %" PRId64 "%s", req->id, uid,
		 j->code_id ? " (phone verified)" : "");
	api_json(resp, 201, auth_answer(req, uid, sid, refresh));
out:
	job_free(j);
}

/* Trims ASCII and ideographic spaces from both ends into out. */
static void trim_name(const char *in, char *out, size_t cap)
{
	while (*in == ' ' || !strncmp(in, "\u3000", 3))
		in += *in == ' ' ? 1 : 3;
	size_t n = strlen(in);
	while (n && (in[n - 1] == ' ' || (n >= 3 && !strncmp(in + n - 3, "\u3000", 3))))
		n -= in[n - 1] == ' ' ? 1 : 3;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

static int password_ok(json_t *body, const char **pw, struct resp *resp, int check_common)
{
	json_t *v = json_object_get(body, "password");
	if (!json_is_string(v)) {
		api_error(resp, 400, "bad_request", v ? "password must be a string" :
			  "password is required", "password");
		return -EINVAL;
	}
	*pw = json_string_value(v);
	if (api_chars(*pw) < PASSWORD_MIN || strlen(*pw) > PASSWORD_MAX) {
		api_error(resp, 400, "bad_request",
			  "password must be at least 8 characters and at most 128 bytes", "password");
		return -EINVAL;
	}
	if (check_common && password_common(*pw)) {
		api_error(resp, 400, "bad_request", "this password is too common; choose another",
			  "password");
		return -EINVAL;
	}
	return 0;
}

/* The display name in body, trimmed and checked, into name: 0 or the 400. */
static int display_name_ok(json_t *body, char name[4 * DISPLAY_NAME_MAX + 1], struct resp *resp)
{
	const char *name_in = api_str(body, "display_name", 1, DISPLAY_NAME_MAX + 8, 1, resp);
	if (!name_in)
		return -EINVAL;
	trim_name(name_in, name, 4 * DISPLAY_NAME_MAX + 1);
	if (!*name || api_chars(name) > DISPLAY_NAME_MAX || strchr(name, '\n')) {
		api_error(resp, 400, "bad_request",
			  "display_name must be 1 to 32 characters on one line", "display_name");
		return -EINVAL;
	}
	return 0;
}

void accounts_register(struct req *req, struct resp *resp)
{
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *pw = NULL;
	char phone[PHONE_LEN + 1], name[4 * DISPLAY_NAME_MAX + 1];
	if (users_phone_field(body, phone, resp) || refuse_blacklisted(req, resp, phone))
		goto out;
	if (display_name_ok(body, name, resp) || password_ok(body, &pw, resp, 1) ||
	    review_text(req, resp, "display_name", "display_name", name, 0))
		goto out;
	const char *policy = req->cfg->privacy_policy_version;
	const char *consent = api_str(body, "consent_version", 1, 63, policy[0] != 0, resp);
	if (!consent && resp->status) /* required and absent, or malformed */
		goto out;
	if (policy[0] && strcmp(consent, policy)) {
		api_error(resp, 400, "bad_request", "consent_version must be the current privacy "
			  "policy's version; read it and agree again", "consent_version");
		goto out;
	}
	const char *code = api_str(body, "code", 1, 16, (int)req->cfg->require_verified_phone, resp);
	if (!code && resp->status)
		goto out;
	if (api_rate_limit(req, resp, "register-ip", req->peer,
			   req->cfg->rate_register_per_ip, 3600))
		goto out;
	int64_t code_id = 0;
	if (code && codes_check(req, resp, phone, "register", code, 0, 400, &code_id))
		goto out;
	/* "Already registered" tells who has an account. With a good code the
	 * caller holds the phone, so it may know. Without one (codes are not
	 * required) each such answer counts against the address as a failed
	 * login does, and a locked address is refused before the lookup. */
	char key[80];
	ip_key(req, key, sizeof key);
	if (!code_id && locked_out(req, resp, NULL, key))
		goto out;
	if (phone_taken(req->st, phone)) {
		if (!code_id)
			record_failure(req, key, req->cfg->login_max_failures_ip);
		api_error(resp, 409, "conflict", "this phone number is already registered", "phone");
		goto out;
	}
	struct pw_job *j = xcalloc(1, sizeof *j);
	j->code_id = code_id;
	snprintf(j->consent, sizeof j->consent, "%s", consent && policy[0] ? consent : "");
	snprintf(j->password, sizeof j->password, "%s", pw);
	memcpy(j->phone, phone, sizeof phone);
	snprintf(j->display_name, sizeof j->display_name, "%s", name);
	j->log2_n = (int)req->cfg->scrypt_log2_n;
	j->r = (int)req->cfg->scrypt_r;
	j->p = (int)req->cfg->scrypt_p;
	defer(req, resp, hash_work, register_done, j);
out:
	json_decref(body);
}

/* --- login ------------------------------------------------------------------ */

static void login_done(struct req *req, struct resp *resp, void *data)
{
	struct pw_job *j = data;
	char refresh[REFRESH_LEN + 1];
	if (!j->ok || !j->uid) {
		record_failure(req, j->phone_key, req->cfg->login_max_failures);
		record_failure(req, j->ip_key, req->cfg->login_max_failures_ip);
		api_error(resp, 401, "unauthorized", "phone number or password is wrong", NULL);
		goto out;
	}
	if (refuse_suspended(req, resp, j->uid) || api_begin(req, resp))
		goto out;
	int64_t sid = session_create(req, j->uid, refresh);
	if (sid < 0 || signed_in(req, j->uid, 0) || api_commit(req)) {
		api_rollback(req);
		api_error(resp, 500, "internal", "could not create the session", NULL);
		goto out;
	}
	clear_failures(req->st, j->phone_key);
	api_json(resp, 200, auth_answer(req, j->uid, sid, refresh));
out:
	job_free(j);
}

/* The account of a phone (not anonymised: those have none), or 0. */
static int64_t account_of(struct store *st, const char *phone)
{
	struct store_stmt *s = store_prepare(st, "SELECT id FROM users WHERE phone = ?");
	store_bind_text(s, 1, phone);
	int64_t uid = 0;
	store_run_int(s, &uid);
	return uid;
}

/* 验证码登录: {phone, code}. A wrong code counts against the code (dead
 * after CODE_MAX_TRIES) and against the address, as a wrong password
 * does. */
static void login_by_code(struct req *req, struct resp *resp, json_t *body, const char *phone)
{
	char pkey[32], ikey[80], refresh[REFRESH_LEN + 1];
	snprintf(pkey, sizeof pkey, "phone:%s", phone);
	ip_key(req, ikey, sizeof ikey);
	if (locked_out(req, resp, pkey, ikey))
		return;
	const char *code = api_str(body, "code", 1, 16, 1, resp);
	int64_t code_id = 0, uid = account_of(req->st, phone);
	if (!code)
		return;
	int rc = codes_check(req, resp, phone, "login", code, 0, 401, &code_id);
	if (rc == -EACCES)
		record_failure(req, ikey, req->cfg->login_max_failures_ip);
	if (rc)
		return;
	if (!uid) {
		/* A login code is only ever sent to a phone with an account;
		 * one without has none to find. */
		api_error(resp, 401, "unauthorized", "the code is wrong or has expired; ask for a new one",
			  "code");
		return;
	}
	if (refuse_suspended(req, resp, uid) || begin_spending(req, resp, code_id, 401))
		return;
	int64_t sid = session_create(req, uid, refresh);
	if (api_commit_or_fail(req, resp, sid > 0 && !signed_in(req, uid, 1),
			       "could not create the session"))
		return;
	clear_failures(req->st, pkey);
	api_json(resp, 200, auth_answer(req, uid, sid, refresh));
}

void accounts_login(struct req *req, struct resp *resp)
{
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *pw = NULL;
	char phone[PHONE_LEN + 1];
	if (users_phone_field(body, phone, resp))
		goto out;
	json_t *pv = json_object_get(body, "password");
	if (!pv && json_object_get(body, "code")) {
		login_by_code(req, resp, body, phone);
		goto out;
	}
	/* Any string is a password to try: one no account can have (too
	 * short for the rules, too long) is a wrong one, 401 and counted,
	 * not a 400 that would let guesses past the lock-out. */
	if (!json_is_string(pv)) {
		api_error(resp, 400, "bad_request", pv ? "password must be a string" :
			  "password is required", "password");
		goto out;
	}
	pw = json_string_value(pv);
	struct pw_job *j = xcalloc(1, sizeof *j);
	snprintf(j->phone_key, sizeof j->phone_key, "phone:%s", phone);
	ip_key(req, j->ip_key, sizeof j->ip_key);
	if (locked_out(req, resp, j->phone_key, j->ip_key)) {
		free(j);
		goto out;
	}
	j->cannot_match = api_chars(pw) < PASSWORD_MIN || strlen(pw) > PASSWORD_MAX;
	snprintf(j->password, sizeof j->password, "%s", pw);
	memcpy(j->phone, phone, sizeof phone);
	struct store_stmt *s = store_prepare(req->st, "SELECT id, pw_hash FROM users WHERE phone = ?");
	store_bind_text(s, 1, phone);
	if (store_step(s) == STORE_ROW && store_col_text(s, 1)) {
		j->uid = store_col_int(s, 0);
		snprintf(j->stored, sizeof j->stored, "%s", store_col_text(s, 1));
	}
	store_done(s);
	j->log2_n = (int)req->cfg->scrypt_log2_n;
	j->r = (int)req->cfg->scrypt_r;
	j->p = (int)req->cfg->scrypt_p;
	defer(req, resp, verify_work, login_done, j);
out:
	json_decref(body);
}

/* --- a forgotten password ---------------------------------------------------- */

static void reset_done(struct req *req, struct resp *resp, void *data)
{
	struct pw_job *j = data;
	char refresh[REFRESH_LEN + 1];
	int64_t now = util_now_ms();
	if (j->ok) {
		api_error(resp, 500, "internal", "could not hash the password", NULL);
		goto out;
	}
	if (begin_spending(req, resp, j->code_id, 401))
		goto out;
	struct store_stmt *s = store_prepare(req->st, "UPDATE users SET pw_hash = ? WHERE id = ?");
	store_bind_text(s, 1, j->hash);
	store_bind_int(s, 2, j->uid);
	int ok = store_run(s) == 1;
	/* Whoever knew the old password is signed out everywhere: the
	 * session checker closes their sockets with 4001. */
	s = store_prepare(req->st, "UPDATE sessions SET revoked_at = ?, revoke_reason = 'password reset' "
			  "WHERE user_id = ? AND revoked_at IS NULL");
	store_bind_int(s, 1, now);
	store_bind_int(s, 2, j->uid);
	ok = ok && store_run(s) >= 0;
	int64_t sid = ok ? session_create(req, j->uid, refresh) : -1;
	if (api_commit_or_fail(req, resp, sid > 0 && !signed_in(req, j->uid, 1),
			       "could not reset the password"))
		goto out;
	clear_failures(req->st, j->phone_key);
	log_info("req %" PRIu64 ": user %" PRId64 " reset the password; other sessions revoked",
		 req->id, j->uid);
	api_json(resp, 200, auth_answer(req, j->uid, sid, refresh));
out:
	job_free(j);
}

/* {phone, code, password}: the code (purpose reset) proves the phone. */
void accounts_reset(struct req *req, struct resp *resp)
{
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *pw = NULL;
	char phone[PHONE_LEN + 1], ikey[80];
	if (users_phone_field(body, phone, resp))
		goto out;
	const char *code = api_str(body, "code", 1, 16, 1, resp);
	if (!code || password_ok(body, &pw, resp, 1))
		goto out;
	ip_key(req, ikey, sizeof ikey);
	if (locked_out(req, resp, NULL, ikey))
		goto out;
	int64_t code_id = 0, uid = account_of(req->st, phone);
	int rc = codes_check(req, resp, phone, "reset", code, 0, 401, &code_id);
	if (rc == -EACCES)
		record_failure(req, ikey, req->cfg->login_max_failures_ip);
	if (rc)
		goto out;
	if (!uid) {
		api_error(resp, 401, "unauthorized", "the code is wrong or has expired; ask for a new one",
			  "code");
		goto out;
	}
	if (refuse_suspended(req, resp, uid))
		goto out;
	struct pw_job *j = xcalloc(1, sizeof *j);
	j->uid = uid;
	j->code_id = code_id;
	snprintf(j->password, sizeof j->password, "%s", pw);
	snprintf(j->phone_key, sizeof j->phone_key, "phone:%s", phone);
	j->log2_n = (int)req->cfg->scrypt_log2_n;
	j->r = (int)req->cfg->scrypt_r;
	j->p = (int)req->cfg->scrypt_p;
	defer(req, resp, hash_work, reset_done, j);
out:
	json_decref(body);
}

/* --- the signed-in member's own account ------------------------------------------ */

static void answer_user(struct req *req, struct resp *resp)
{
	api_json(resp, 200, json_pack("{s:o}", "user", users_json(req->st, &req->who, req->who.uid)));
}

/* POST /v1/me/verify {code}: the code sent to the caller's own phone. */
void accounts_verify(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	char phone[PHONE_LEN + 1];
	int64_t code_id = 0;
	const char *code = api_str(body, "code", 1, 16, 1, resp);
	if (!code || users_own_phone(req, resp, phone) ||
	    codes_check(req, resp, phone, "verify", code, req->who.uid, 400, &code_id) ||
	    begin_spending(req, resp, code_id, 400))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE users SET phone_verified_at = coalesce(phone_verified_at, ?) WHERE id = ?");
	store_bind_int(s, 1, util_now_ms());
	store_bind_int(s, 2, req->who.uid);
	if (api_commit_or_fail(req, resp, store_run(s) == 1, "could not verify the phone"))
		goto out;
	answer_user(req, resp);
out:
	json_decref(body);
}

/* POST /v1/me/phone {phone, code}: the code went to the new phone; the
 * sessions stay. */
void accounts_change_phone(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	char phone[PHONE_LEN + 1];
	int64_t code_id = 0;
	if (users_phone_field(body, phone, resp))
		goto out;
	const char *code = api_str(body, "code", 1, 16, 1, resp);
	if (!code || codes_check(req, resp, phone, "change_phone", code, req->who.uid, 400, &code_id))
		goto out;
	if (phone_taken(req->st, phone)) {
		api_error(resp, 409, "conflict", "this phone number already has an account", "phone");
		goto out;
	}
	if (begin_spending(req, resp, code_id, 400))
		goto out;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE users SET phone = ?, phone_verified_at = ? WHERE id = ?");
	store_bind_text(s, 1, phone);
	store_bind_int(s, 2, util_now_ms());
	store_bind_int(s, 3, req->who.uid);
	int64_t n = store_run(s);
	if (n == -EEXIST) {
		api_rollback(req);
		api_error(resp, 409, "conflict", "this phone number already has an account", "phone");
		goto out;
	}
	if (api_commit_or_fail(req, resp, n == 1, "could not change the phone number"))
		goto out;
	log_info("req %" PRIu64 ": user %" PRId64 " changed the phone number", req->id, req->who.uid);
	answer_user(req, resp);
out:
	json_decref(body);
}

/* PATCH /v1/me {display_name} */
void accounts_edit(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	char name[4 * DISPLAY_NAME_MAX + 1];
	if (display_name_ok(body, name, resp) ||
	    review_text(req, resp, "display_name", "display_name", name, 0) || api_begin(req, resp))
		goto out;
	struct store_stmt *s = store_prepare(req->st, "UPDATE users SET display_name = ? WHERE id = ?");
	store_bind_text(s, 1, name);
	store_bind_int(s, 2, req->who.uid);
	if (api_commit_or_fail(req, resp, store_run(s) == 1, "could not change the name"))
		goto out;
	answer_user(req, resp);
out:
	json_decref(body);
}

/* --- 注销: deleting the account -------------------------------------------------- */

/* Inside a transaction: the deletion is due grace days from now (kept
 * when one is already pending); answers 202 {deletes_at}. */
static void deletion_schedule(struct req *req, struct resp *resp, int64_t code_id)
{
	if (begin_spending(req, resp, code_id, 400))
		return;
	int64_t at = util_now_ms() + req->cfg->account_deletion_grace_days * 86400 * 1000;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE users SET deletes_at = coalesce(deletes_at, ?) WHERE id = ? "
		"AND deleted_at IS NULL RETURNING deletes_at");
	store_bind_int(s, 1, at);
	store_bind_int(s, 2, req->who.uid);
	int rc = store_run_int(s, &at);
	if (api_commit_or_fail(req, resp, rc == 0, "could not schedule the deletion"))
		return;
	log_info("req %" PRIu64 ": user %" PRId64 " asked to delete the account", req->id,
		 req->who.uid);
	api_json(resp, 202, json_pack("{s:I}", "deletes_at", (json_int_t)at));
}

static void delete_done(struct req *req, struct resp *resp, void *data)
{
	struct pw_job *j = data;
	if (!j->ok) {
		record_failure(req, j->phone_key, req->cfg->login_max_failures);
		api_error(resp, 403, "forbidden", "the password is wrong", "password");
	} else {
		deletion_schedule(req, resp, 0);
	}
	job_free(j);
}

/* DELETE /v1/me {password} or {code} (purpose cancel). */
void accounts_delete(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	char phone[PHONE_LEN + 1];
	json_t *pv = json_object_get(body, "password");
	if (!pv && json_object_get(body, "code")) {
		int64_t code_id = 0;
		const char *code = api_str(body, "code", 1, 16, 1, resp);
		if (code && !users_own_phone(req, resp, phone) &&
		    !codes_check(req, resp, phone, "cancel", code, req->who.uid, 400, &code_id))
			deletion_schedule(req, resp, code_id);
		goto out;
	}
	if (!json_is_string(pv)) {
		api_error(resp, 400, "bad_request", pv ? "password must be a string" :
			  "password or code is required", pv ? "password" : NULL);
		goto out;
	}
	struct pw_job *j = xcalloc(1, sizeof *j);
	struct store_stmt *s = store_prepare(req->st, "SELECT phone, pw_hash FROM users WHERE id = ?");
	store_bind_int(s, 1, req->who.uid);
	if (store_step(s) == STORE_ROW && store_col_text(s, 1)) {
		j->uid = req->who.uid;
		snprintf(j->stored, sizeof j->stored, "%s", store_col_text(s, 1));
		snprintf(j->phone_key, sizeof j->phone_key, "phone:%s",
			 store_col_text(s, 0) ? store_col_text(s, 0) : "");
	}
	store_done(s);
	if (locked_out(req, resp, j->phone_key, NULL)) {
		free(j);
		goto out;
	}
	const char *pw = json_string_value(pv);
	j->cannot_match = api_chars(pw) < PASSWORD_MIN || strlen(pw) > PASSWORD_MAX;
	snprintf(j->password, sizeof j->password, "%s", pw);
	j->log2_n = (int)req->cfg->scrypt_log2_n;
	j->r = (int)req->cfg->scrypt_r;
	j->p = (int)req->cfg->scrypt_p;
	defer(req, resp, verify_work, delete_done, j);
out:
	json_decref(body);
}

/* POST /v1/me/cancel-deletion */
void accounts_cancel_deletion(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp) || api_begin(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE users SET deletes_at = NULL WHERE id = ? AND deleted_at IS NULL");
	store_bind_int(s, 1, req->who.uid);
	if (api_commit_or_fail(req, resp, store_run(s) >= 0, "could not cancel the deletion"))
		return;
	api_json(resp, 200, json_pack("{s:n}", "deletes_at"));
}

/* --- refresh and logout ------------------------------------------------------ */

static void revoke(struct req *req, int64_t sid, const char *reason)
{
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE sessions SET revoked_at = ?, revoke_reason = ? "
		"WHERE id = ? AND revoked_at IS NULL");
	store_bind_int(s, 1, util_now_ms());
	store_bind_text(s, 2, reason);
	store_bind_int(s, 3, sid);
	store_step(s);
	store_done(s);
	req->revoked_sid = sid;
}

/* A spent refresh token gets one more rotation when it is the one the
 * session's current token replaced, less than refresh_reuse_grace_s ago:
 * on a flaky mobile network the answer to a refresh can be lost, and the
 * app can only retry with the token it has. The token it never received
 * becomes spent instead (once: it was replaced by a token that is no longer
 * current). Any other spent token still revokes the session.
 * On success h holds the session's current hash (to be rotated, and marked
 * spent). */
static int grace_retry(struct req *req, unsigned char h[32], int64_t now, int64_t *sid,
		       int64_t *uid)
{
	if (req->cfg->refresh_reuse_grace_s <= 0)
		return 0;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT s.id, s.user_id, s.refresh_hash FROM refresh_spent r "
		"JOIN sessions s ON s.id = r.session_id "
		"WHERE r.hash = ?1 AND s.revoked_at IS NULL AND r.replaced_by = s.refresh_hash "
		"AND r.spent_at >= ?2");
	store_bind_blob(s, 1, h, 32);
	store_bind_int(s, 2, now - req->cfg->refresh_reuse_grace_s * 1000);
	int ok = store_step(s) == STORE_ROW && store_col_bytes(s, 2) == 32;
	if (ok) {
		*sid = store_col_int(s, 0);
		*uid = store_col_int(s, 1);
		memcpy(h, store_col_blob(s, 2), 32);
	}
	store_done(s);
	if (ok)
		log_info("req %" PRIu64 ": session %" PRId64 " retried its last refresh; rotated again",
			 req->id, *sid);
	return ok;
}

/* Rotates the session whose current refresh token hashes to cur into nh,
 * if it still stands (not revoked, used within refresh_ttl_s). The update
 * is conditional on cur and holds the session's row until commit, so of
 * rotations racing on one token (on PostgreSQL, in parallel) one wins and
 * the others find nothing to rotate; SQLite's write lock serialises them
 * anyway. 1 and sid, uid set; 0 when nothing was rotated; or an error. */
static int rotate(struct req *req, const unsigned char cur[32], const unsigned char nh[32],
		  int64_t now, int64_t *sid, int64_t *uid)
{
	struct store_stmt *s = store_prepare(req->st,
		"UPDATE sessions SET refresh_hash = ?2, refreshed_at = ?3 "
		"WHERE refresh_hash = ?1 AND revoked_at IS NULL AND refreshed_at >= ?4 "
		"RETURNING id, user_id");
	store_bind_blob(s, 1, cur, 32);
	store_bind_blob(s, 2, nh, 32);
	store_bind_int(s, 3, now);
	store_bind_int(s, 4, now - req->cfg->refresh_ttl_s * 1000);
	int rc = store_step(s);
	if (rc == STORE_ROW) {
		*sid = store_col_int(s, 0);
		*uid = store_col_int(s, 1);
		while ((rc = store_step(s)) == STORE_ROW)
			;
		rc = rc < 0 ? rc : 1;
	}
	store_done(s);
	return rc;
}

void accounts_refresh(struct req *req, struct resp *resp)
{
	json_t *body = api_body_object(req, resp);
	if (!body)
		return;
	const char *tok = api_str(body, "refresh_token", 1, 128, 1, resp);
	if (!tok)
		goto out;
	unsigned char h[32], spent[32], nh[32], raw[32];
	char refresh[REFRESH_LEN + 1];
	refresh_hash(tok, h);
	memcpy(spent, h, sizeof spent);
	if (RAND_bytes(raw, sizeof raw) != 1) {
		api_error(resp, 500, "internal", "no randomness", NULL);
		goto out;
	}
	util_b64url(raw, sizeof raw, refresh);
	refresh_hash(refresh, nh);
	if (api_begin(req, resp))
		goto out;
	int64_t now = util_now_ms(), sid = 0, uid = 0;
	int rc = rotate(req, h, nh, now, &sid, &uid);
	if (rc == 0) {
		struct store_stmt *s = store_prepare(req->st, "SELECT 1 FROM sessions WHERE refresh_hash = ?");
		store_bind_blob(s, 1, h, sizeof h);
		if (store_run_exists(s) == 1) {
			/* The session's own token, but the session was revoked or
			 * left unused past refresh_ttl_s. */
			api_rollback(req);
			api_error(resp, 401, "unauthorized", "session ended; log in again", "refresh_token");
			goto out;
		}
		/* Unless it is the one retry of a rotation whose answer never
		 * arrived, a spent token means whoever presents it has a copy
		 * they should not. */
		if (grace_retry(req, spent, now, &sid, &uid))
			rc = rotate(req, spent, nh, now, &sid, &uid);
	}
	if (rc == 0) {
		struct store_stmt *s = store_prepare(req->st, "SELECT session_id FROM refresh_spent WHERE hash = ?");
		store_bind_blob(s, 1, h, sizeof h);
		int64_t spent_sid = 0;
		store_run_int(s, &spent_sid);
		if (spent_sid) {
			revoke(req, spent_sid, "refresh token reused");
			log_warn("req %" PRIu64 ": refresh token reused; session %" PRId64 " revoked",
				 req->id, spent_sid);
		}
		if (api_commit(req))
			api_rollback(req);
		api_error(resp, 401, "unauthorized", spent_sid ?
			  "refresh token already used; the session is revoked, log in again" :
			  "invalid refresh token", "refresh_token");
		goto out;
	}
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO refresh_spent (hash, session_id, spent_at, replaced_by) VALUES (?, ?, ?, ?)");
	store_bind_blob(s, 1, spent, sizeof spent);
	store_bind_int(s, 2, sid);
	store_bind_int(s, 3, now);
	store_bind_blob(s, 4, nh, sizeof nh);
	if (rc < 0 || store_run(s) < 0 || api_commit(req)) {
		api_rollback(req);
		api_error(resp, 500, "internal", "could not rotate the refresh token", NULL);
		goto out;
	}
	api_json(resp, 200, auth_answer(req, uid, sid, refresh));
out:
	json_decref(body);
}

void accounts_logout(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	if (req->who.sid) {
		revoke(req, req->who.sid, "logout");
	}
	resp->status = 204;
}

/* --- /v1/me -------------------------------------------------------------------- */

void accounts_me(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	json_t *user = users_json(req->st, &req->who, req->who.uid);
	json_t *ms = json_array();
	struct store_stmt *s = store_prepare(req->st,
		"SELECT m.community_id, m.role, coalesce(v.active, 0) FROM memberships m "
		"LEFT JOIN volunteers v ON v.community_id = m.community_id AND v.user_id = m.user_id "
		"WHERE m.user_id = ? ORDER BY m.community_id");
	store_bind_int(s, 1, req->who.uid);
	while (store_step(s) == STORE_ROW)
		json_array_append_new(ms, json_pack("{s:I, s:s, s:b}",
			"community_id", (json_int_t)store_col_int(s, 0),
			"role", store_col_text(s, 1),
			"volunteer", (int)store_col_int(s, 2)));
	store_done(s);
	json_t *out = json_pack("{s:o, s:o, s:b, s:i}", "user", user ? user : json_null(),
				"memberships", ms, "is_admin", req->who.is_admin,
				"unread_notifications", (int)notify_unread(req->st, req->who.uid));
	/* Consent to the privacy policy, and a pending deletion. */
	s = store_prepare(req->st, "SELECT consent_version, consent_at, deletes_at FROM users WHERE id = ?");
	store_bind_int(s, 1, req->who.uid);
	if (store_step(s) == STORE_ROW) {
		const char *version = store_col_text(s, 0), *policy = req->cfg->privacy_policy_version;
		json_object_set_new(out, "consent", version ? json_pack("{s:s, s:I}", "version", version,
			"at", (json_int_t)store_col_int(s, 1)) : json_null());
		json_object_set_new(out, "consent_required",
				    json_boolean(policy[0] && (!version || strcmp(version, policy))));
		json_object_set_new(out, "privacy_policy_version", policy[0] ? json_string(policy) : json_null());
		json_object_set_new(out, "deletes_at", store_col_null(s, 2) ? json_null() :
				    json_integer(store_col_int(s, 2)));
	}
	store_done(s);
	api_json(resp, 200, out);
}

/* GET /v1/auth/policy: what a sign-up form needs to know before there is
 * an account (public). */
void accounts_policy(struct req *req, struct resp *resp)
{
	const struct config *cfg = req->cfg;
	api_json(resp, 200, json_pack("{s:o, s:b, s:I, s:I, s:I, s:I}",
		"privacy_policy_version", cfg->privacy_policy_version[0] ?
			json_string(cfg->privacy_policy_version) : json_null(),
		"require_verified_phone", (int)cfg->require_verified_phone,
		"sms_resend_s", (json_int_t)cfg->sms_resend_s,
		"sms_code_ttl_s", (json_int_t)cfg->sms_code_ttl_s,
		"account_deletion_grace_days", (json_int_t)cfg->account_deletion_grace_days,
		"password_min", (json_int_t)PASSWORD_MIN));
}

/* --- for the gateway -------------------------------------------------------------- */

int accounts_revoked_sessions(struct store *st, int64_t since_ms, api_session_cb cb, void *data)
{
	struct store_stmt *s = store_prepare(st, "SELECT id FROM sessions WHERE revoked_at >= ?");
	store_bind_int(s, 1, since_ms);
	int rc;
	while ((rc = store_step(s)) == STORE_ROW)
		cb(store_col_int(s, 0), data);
	store_done(s);
	return rc < 0 ? rc : 0;
}

/* Login failures outlive their window and lock-out, then go. */
void accounts_housekeeping(struct req *req)
{
	int64_t now = util_now_ms();
	struct store_stmt *s = store_prepare(req->st,
		"DELETE FROM login_failures WHERE window_start < ?1 AND locked_until < ?2");
	store_bind_int(s, 1, now - req->cfg->login_window_s * 1000);
	store_bind_int(s, 2, now);
	store_run(s);
}
