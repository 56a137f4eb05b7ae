#include "config.h"
#include "proxies.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ctype { C_INT, C_STR, C_BOOL };

/* One row per key: where it lives in struct config, its default and range.
 * The defaults here and in config/linli.conf must agree (a unit test checks
 * that every key is documented there). */
struct ckey {
	const char *name;
	enum ctype type;
	size_t off;
	int64_t def_int, min, max;
	const char *def_str;
};

#define I(n, d, lo, hi) { #n, C_INT, offsetof(struct config, n), d, lo, hi, NULL }
#define S(n, d) { #n, C_STR, offsetof(struct config, n), 0, 0, 0, d }
#define B(n, d) { #n, C_BOOL, offsetof(struct config, n), d, 0, 1, NULL }

static const struct ckey keys[] = {
	S(listen, ""),
	I(port, 8080, 0, 65535),
	S(tls_cert, ""),
	S(tls_key, ""),
	I(hsts_max_age_s, 15552000, 0, 2LL * 365 * 86400),
	I(max_connections, 19000, 16, 1000000),
	S(trusted_proxies, ""),
	S(db, "data/linli.db"),
	I(sqlite_busy_timeout_ms, 2000, 0, 60000),
	I(db_connect_timeout_ms, 3000, 1000, 60000),
	I(db_statement_timeout_ms, 10000, 0, 3600000),
	I(db_reconnect_min_ms, 100, 10, 60000),
	I(db_reconnect_max_ms, 5000, 10, 600000),
	I(db_workers, 4, 1, 256),
	I(db_queue_max, 4096, 1, 1000000),
	I(db_queue_timeout_ms, 5000, 10, 600000),
	S(redis_url, ""),
	I(redis_reconnect_min_ms, 100, 10, 60000),
	I(redis_reconnect_max_ms, 5000, 10, 600000),
	I(redis_connect_timeout_ms, 2000, 100, 60000),
	I(catchup_interval_ms, 5000, 100, 3600000),
	I(http_max_body, 65536, 256, 64 * 1024 * 1024),
	I(http_max_header, 8192, 1024, 60000),
	I(http_header_timeout_ms, 10000, 1000, 600000),
	I(http_max_header_lines, 64, 8, 80),
	I(http_body_timeout_ms, 30000, 1000, 3600000),
	I(http_linger_ms, 2000, 0, 60000),
	I(http_keepalive_timeout_ms, 30000, 1000, 3600000),
	I(max_conns_per_ip, 256, 1, 1000000),
	I(ws_max_frame, 65536, 128, 16 * 1024 * 1024),
	I(ws_max_subs, 256, 1, 100000),
	I(ws_max_per_user, 16, 1, 1000000),
	I(ws_send_queue_bytes, 1048576, 4096, 1024 * 1024 * 1024),
	I(ws_memory_budget, 256LL * 1024 * 1024, 1024 * 1024, 1LL << 40),
	I(ws_auth_timeout_ms, 10000, 100, 600000),
	I(ws_heartbeat_ms, 25000, 1000, 600000),
	I(ws_ping_secs, 30, 1, 3600),
	I(ws_idle_secs, 75, 2, 7200),
	I(ws_replay_batch, 256, 1, 100000),
	B(ws_io_uring, 1),
	I(retention_max_age_s, 7 * 86400, 60, 10LL * 365 * 86400),
	I(retention_max_events, 10000, 10, 100000000),
	I(retention_interval_s, 60, 1, 86400),
	I(token_ttl_s, 900, 10, 30 * 86400),
	I(refresh_ttl_s, 30 * 86400, 60, 365 * 86400),
	I(refresh_reuse_grace_s, 30, 0, 600),
	I(session_check_ms, 5000, 100, 3600000),
	I(scrypt_log2_n, 14, 10, 20),
	I(scrypt_r, 8, 1, 32),
	I(scrypt_p, 1, 1, 16),
	I(work_max_queue, 512, 1, 100000),
	I(login_max_failures, 5, 1, 1000),
	I(login_max_failures_ip, 50, 1, 100000),
	I(login_window_s, 900, 1, 86400),
	I(login_lockout_s, 900, 1, 86400),
	I(rate_writes_per_user, 120, 1, 1000000),
	I(rate_writes_per_ip, 600, 1, 10000000),
	I(rate_register_per_ip, 20, 1, 1000000),
	I(ws_max_msgs_per_s, 50, 1, 100000),
	I(invite_ttl_s, 7 * 86400, 60, 365 * 86400),
	S(cors_origins, ""),
	S(help_categories, "errand,elderly_care,repair,medical_escort,childcare,other"),
	S(sensitive_words, "config/sensitive-words.txt"),
	I(post_edit_window_s, 900, 0, 30 * 86400),
	I(report_hold_threshold, 3, 1, 1000),
	I(help_escalate_minutes, 15, 1, 7 * 24 * 60),
	I(upload_max_bytes, 10 * 1024 * 1024, 1024, 64 * 1024 * 1024),
	I(upload_max_pixels, 40000000, 10000, 200000000),
	I(upload_max_side, 2560, 360, 8192),
	I(upload_quality, 82, 30, 100),
	I(upload_max_inflight, 4, 1, 256),
	I(upload_quota_bytes, 200 * 1024 * 1024, 1024 * 1024, 100LL * 1024 * 1024 * 1024),
	I(rate_uploads_per_hour, 60, 1, 100000),
	S(upload_dir, ""),
	I(ticket_accept_hours, 24, 1, 30 * 24),
	I(ticket_resolve_hours, 120, 1, 90 * 24),
	I(rate_tickets_per_day, 20, 1, 10000),
	I(rate_checkins_per_meeting, 10, 1, 1000),
	I(notification_retention_days, 180, 1, 3650),
	I(max_devices_per_user, 10, 1, 100),
	S(push_relay_url, ""),
	S(push_relay_secret, ""),
	I(push_timeout_ms, 5000, 100, 60000),
	I(push_concurrency, 4, 1, 64),
	I(push_retry_min_ms, 1000, 10, 3600000),
	I(push_retry_max_ms, 300000, 10, 86400000),
	I(push_max_age_s, 86400, 1, 30 * 86400),
	S(sms_relay_url, ""),
	S(sms_relay_secret, ""),
	I(sms_timeout_ms, 5000, 100, 60000),
	I(sms_queue_max, 1000, 1, 1000000),
	I(sms_concurrency, 4, 1, 64),
	I(sms_code_ttl_s, 300, 60, 3600),
	I(sms_resend_s, 60, 1, 3600),
	I(sms_per_phone_per_day, 10, 1, 1000),
	I(sms_per_ip_per_hour, 20, 1, 1000000),
	B(require_verified_phone, 0),
	S(privacy_policy_version, ""),
	I(account_deletion_grace_days, 15, 0, 15),
	I(export_per_user_per_day, 10, 1, 1000),
	S(ip_region_db, ""),
	S(content_check_url, ""),
	S(content_check_secret, ""),
	I(content_check_timeout_ms, 1500, 50, 60000),
	S(content_check_fail, "review"),
	I(content_check_max_inflight, 512, 1, 100000),
	I(access_log_retention_days, 180, 180, 3650),
	I(appeal_window_days, 7, 1, 365),
	I(shutdown_grace_ms, 2000, 0, 60000),
	S(log_level, "info"),
	S(web_root, "clients/web"),
	S(web_sdk_root, "clients/js/src"),
};
#define NKEYS (sizeof keys / sizeof keys[0])

size_t config_key_count(void) { return NKEYS; }
const char *config_key_name(size_t i) { return i < NKEYS ? keys[i].name : NULL; }

static char **str_at(struct config *cfg, const struct ckey *k)
{
	return (char **)((char *)cfg + k->off);
}

static int64_t *int_at(struct config *cfg, const struct ckey *k)
{
	return (int64_t *)((char *)cfg + k->off);
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type != C_STR)
			*int_at(cfg, &keys[i]) = keys[i].def_int;
		else
			*str_at(cfg, &keys[i]) = xstrdup(keys[i].def_str);
	}
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == C_STR) {
			free(*str_at(cfg, &keys[i]));
			*str_at(cfg, &keys[i]) = NULL;
		}
}

int config_set(struct config *cfg, const char *key, const char *value,
	       char *err, size_t errlen)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct ckey *k = &keys[i];
		if (strcmp(k->name, key))
			continue;
		if (k->type == C_STR) {
			free(*str_at(cfg, k));
			*str_at(cfg, k) = xstrdup(value);
			return 0;
		}
		int64_t v;
		if (k->type == C_BOOL) {
			if (!strcmp(value, "true") || !strcmp(value, "1")) {
				*int_at(cfg, k) = 1;
			} else if (!strcmp(value, "false") || !strcmp(value, "0")) {
				*int_at(cfg, k) = 0;
			} else {
				snprintf(err, errlen, "%s: expected true or false, got \"%s\"",
					 key, value);
				return -EINVAL;
			}
			return 0;
		}
		if (util_parse_i64(value, &v)) {
			snprintf(err, errlen, "%s: expected a whole number, got \"%s\"",
				 key, value);
			return -EINVAL;
		}
		if (v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: %lld is out of range (%lld to %lld)",
				 key, (long long)v, (long long)k->min,
				 (long long)k->max);
			return -ERANGE;
		}
		*int_at(cfg, k) = v;
		return 0;
	}
	snprintf(err, errlen, "unknown key \"%s\"", key);
	return -ENOENT;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -errno;
	}
	int rc = config_load_stream(cfg, f, path, err, errlen);
	fclose(f);
	return rc;
}

int config_load_stream(struct config *cfg, FILE *f, const char *path, char *err, size_t errlen)
{
	char line[4096];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu bytes",
				 path, lineno, sizeof line - 1);
			rc = -EINVAL;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected \"key = value\"", path, lineno);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = '\0';
			val++;
		}
		char kerr[256];
		rc = config_set(cfg, key, val, kerr, sizeof kerr);
		if (rc) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, kerr);
			break;
		}
	}
	return rc;
}

/* A relay's URL and secret (push, sms): both or neither, http(s), a
 * secret the relay can check signatures with. */
static int relay_keys_check(const char *what, const char *url, const char *secret,
			    char *err, size_t errlen)
{
	if (url[0] && strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "%s_url: expected http://... or https://..., got \"%s\"",
			 what, url);
		return -EINVAL;
	}
	if (url[0] && strlen(secret) < 16) {
		snprintf(err, errlen, "%s_secret: at least 16 characters are required "
			 "when %s_url is set (the receiver checks the signature with it)", what, what);
		return -EINVAL;
	}
	return 0;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
	if (!!cfg->tls_cert[0] != !!cfg->tls_key[0]) {
		snprintf(err, errlen, "tls_cert and tls_key must be set together");
		return -EINVAL;
	}
	if (cfg->redis_url[0] && strncmp(cfg->redis_url, "redis://", 8)) {
		snprintf(err, errlen, "redis_url: expected redis://HOST:PORT, got \"%s\"",
			 cfg->redis_url);
		return -EINVAL;
	}
	if (cfg->db_reconnect_min_ms > cfg->db_reconnect_max_ms) {
		snprintf(err, errlen, "db_reconnect_min_ms must not exceed db_reconnect_max_ms");
		return -EINVAL;
	}
	if (cfg->redis_reconnect_min_ms > cfg->redis_reconnect_max_ms) {
		snprintf(err, errlen, "redis_reconnect_min_ms must not exceed redis_reconnect_max_ms");
		return -EINVAL;
	}
	if (relay_keys_check("push_relay", cfg->push_relay_url, cfg->push_relay_secret, err, errlen))
		return -EINVAL;
	if (relay_keys_check("sms_relay", cfg->sms_relay_url, cfg->sms_relay_secret, err, errlen))
		return -EINVAL;
	if (relay_keys_check("content_check", cfg->content_check_url, cfg->content_check_secret,
			     err, errlen))
		return -EINVAL;
	if (strcmp(cfg->content_check_fail, "review") && strcmp(cfg->content_check_fail, "reject") &&
	    strcmp(cfg->content_check_fail, "pass")) {
		snprintf(err, errlen, "content_check_fail: expected review, reject or pass, got \"%s\"",
			 cfg->content_check_fail);
		return -EINVAL;
	}
	if (cfg->push_retry_min_ms > cfg->push_retry_max_ms) {
		snprintf(err, errlen, "push_retry_min_ms must not exceed push_retry_max_ms");
		return -EINVAL;
	}
	if (!cfg->db[0]) {
		snprintf(err, errlen, "db: a SQLite file path or a postgresql:// URI is required");
		return -EINVAL;
	}
	struct proxies *proxies;
	if (proxies_parse(cfg->trusted_proxies, &proxies, err, errlen))
		return -EINVAL;
	proxies_free(proxies);
	enum log_level lv;
	if (log_level_parse(cfg->log_level, &lv)) {
		snprintf(err, errlen, "log_level: expected debug, info, warn or error, got \"%s\"",
			 cfg->log_level);
		return -EINVAL;
	}
	if (cfg->ws_idle_secs <= cfg->ws_ping_secs) {
		snprintf(err, errlen, "ws_idle_secs must be greater than ws_ping_secs");
		return -EINVAL;
	}
	return 0;
}
