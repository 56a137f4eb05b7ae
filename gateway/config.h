/* config: the gateway's settings, from config/linli.conf and flags.
 *
 * The file format is `key = value` lines; `#` starts a comment; blank lines
 * are ignored. Every key, its default and why is documented in
 * config/linli.conf, which is the file a fresh install reads. */
#ifndef LINLI_CONFIG_H
#define LINLI_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct config {
	/* network */
	char *listen;               /* address to bind, "" for all interfaces */
	int64_t port;               /* HTTP + WebSocket port */
	char *tls_cert;             /* PEM certificate; "" serves plain HTTP */
	char *tls_key;              /* PEM private key for tls_cert */
	int64_t hsts_max_age_s;     /* TLS mode: Strict-Transport-Security max-age (0: none) */
	int64_t max_connections;    /* open sockets at once, HTTP and WS */
	char *trusted_proxies;      /* CIDRs whose X-Forwarded-For is believed */
	/* storage and bus */
	char *db;                   /* SQLite file (created if missing) or postgresql:// URI */
	int64_t sqlite_busy_timeout_ms; /* wait for another process's write lock */
	int64_t db_connect_timeout_ms; /* PostgreSQL: give up a connect after this */
	int64_t db_statement_timeout_ms; /* PostgreSQL: cancel a statement after this */
	int64_t db_reconnect_min_ms; /* PostgreSQL: first reconnect delay after a loss */
	int64_t db_reconnect_max_ms; /* cap of the exponential backoff */
	int64_t db_workers;         /* worker threads, one database connection each */
	int64_t db_queue_max;       /* jobs waiting for a worker, then 503 */
	int64_t db_queue_timeout_ms; /* a request that waited this long answers 503 */
	char *redis_url;            /* redis://HOST:PORT; "" = in-process bus */
	int64_t redis_reconnect_min_ms; /* first reconnect delay after a drop */
	int64_t redis_reconnect_max_ms; /* cap of the exponential backoff */
	int64_t redis_connect_timeout_ms; /* watchdog for a stuck connect */
	int64_t catchup_interval_ms; /* how often heads are compared with the log */
	/* HTTP */
	int64_t ws_memory_budget;   /* bytes of queued frames, all sockets together */
	int64_t ws_max_per_user;    /* authenticated sockets per account (admins exempt) */
	int64_t http_max_body;      /* bytes; larger bodies get 413 */
	int64_t http_body_timeout_ms; /* headers to the body's last byte, then 408 */
	int64_t http_linger_ms;     /* after a refused body, or our WebSocket close: read and discard this long */
	int64_t max_conns_per_ip;   /* sockets (HTTP and WS) per client address */
	int64_t http_max_header;    /* bytes of a request head; 431 past it */
	int64_t http_header_timeout_ms; /* a request head, then 408 */
	int64_t http_keepalive_timeout_ms; /* a kept-alive connection's wait for its next request */
	int64_t http_max_header_lines; /* header lines of a first head; 431 past it */
	/* WebSocket */
	int64_t ws_max_frame;       /* bytes of one inbound message; 1009 past it */
	int64_t ws_max_subs;        /* subscriptions per connection */
	int64_t ws_send_queue_bytes; /* queued outbound bytes before 1008 */
	int64_t ws_auth_timeout_ms; /* unauthenticated sockets are closed after */
	int64_t ws_heartbeat_ms;    /* advertised in hello; app-level ping period */
	int64_t ws_ping_secs;       /* WS-level ping after this much silence */
	int64_t ws_idle_secs;       /* close a socket silent this long after a ping */
	int64_t ws_replay_batch;    /* events read from the log per replay step */
	int64_t ws_io_uring;        /* fan-out rounds in one io_uring submission */
	/* event log */
	int64_t retention_max_age_s;  /* events older than this are trimmed */
	int64_t retention_max_events; /* events kept per channel at most */
	int64_t retention_interval_s; /* how often the trimmer runs */
	/* tokens and accounts */
	int64_t token_ttl_s;        /* access-token lifetime */
	int64_t refresh_ttl_s;      /* a session unused this long must log in again */
	int64_t refresh_reuse_grace_s; /* a lost refresh answer may be retried this long */
	int64_t session_check_ms;   /* how often sockets of revoked sessions are closed */
	int64_t scrypt_log2_n;      /* scrypt cost N = 2^this for new hashes */
	int64_t scrypt_r;           /* scrypt block size */
	int64_t scrypt_p;           /* scrypt parallelism */
	int64_t work_max_queue;     /* hashes waiting for the thread pool, then 503 */
	int64_t login_max_failures; /* failed logins per phone before lock-out */
	int64_t login_max_failures_ip; /* failed logins per client address */
	int64_t login_window_s;     /* failures older than this are forgotten */
	int64_t login_lockout_s;    /* how long a lock-out lasts */
	int64_t rate_writes_per_user; /* writes per user per minute */
	int64_t rate_writes_per_ip; /* writes per client address per minute */
	int64_t rate_register_per_ip; /* registrations per address per hour */
	int64_t ws_max_msgs_per_s;  /* client messages per second, then 4029 */
	int64_t invite_ttl_s;       /* default lifetime of an invite */
	char *cors_origins;         /* comma-separated allowed origins */
	char *help_categories;      /* comma-separated help request categories */
	char *sensitive_words;      /* word list file, reloaded on SIGHUP */
	int64_t notification_retention_days; /* inbox rows older than this go */
	int64_t max_devices_per_user; /* push tokens kept per member */
	char *push_relay_url;       /* the operator's push bridge; "" = no push */
	char *push_relay_secret;    /* HMAC key the relay verifies */
	int64_t push_timeout_ms;    /* one POST to the relay, connect included */
	int64_t push_concurrency;   /* POSTs in flight at once */
	int64_t push_retry_min_ms;  /* first retry delay, doubled each time */
	int64_t push_retry_max_ms;  /* longest retry delay */
	int64_t push_max_age_s;     /* give up on a push this old */
	/* verified phones and personal information */
	char *sms_relay_url;        /* the operator's SMS bridge; "" = codes to the log */
	char *sms_relay_secret;     /* HMAC key the SMS relay verifies */
	int64_t sms_timeout_ms;     /* one POST to the SMS relay */
	int64_t sms_queue_max;      /* codes waiting for the relay, then 503 */
	int64_t sms_concurrency;    /* POSTs to the SMS relay in flight at once */
	int64_t sms_code_ttl_s;     /* a code is valid this long */
	int64_t sms_resend_s;       /* one code per phone per this many seconds */
	int64_t sms_per_phone_per_day; /* codes per phone per 24 h */
	int64_t sms_per_ip_per_hour; /* codes asked from one address per hour */
	int64_t require_verified_phone; /* 1: writes need a phone proven by a code */
	char *privacy_policy_version; /* "" = no consent asked */
	int64_t account_deletion_grace_days; /* 注销 takes effect this much later */
	int64_t export_per_user_per_day; /* GET /v1/me/export per member per day */
	char *ip_region_db;         /* MaxMind-format database for IP属地; "" = none */
	/* content governance */
	char *content_check_url;    /* the operator's content check; "" = none */
	char *content_check_secret; /* HMAC key it verifies */
	int64_t content_check_timeout_ms; /* one check's answer, then content_check_fail */
	char *content_check_fail;   /* review, reject or pass: no answer in time */
	int64_t content_check_max_inflight; /* checks outstanding, then 503 */
	int64_t access_log_retention_days; /* the access log's rows live this long (>= 180) */
	int64_t appeal_window_days; /* a moderation decision may be appealed this long */
	char *web_root;             /* the web app's files, served at / */
	char *web_sdk_root;         /* the JS SDK's sources, served at /sdk/ */
	int64_t post_edit_window_s; /* authors may edit a post this long */
	int64_t report_hold_threshold; /* distinct reports that hold a post */
	int64_t help_escalate_minutes; /* urgent help still open this long goes to staff */
	/* photos */
	int64_t upload_max_bytes;   /* one upload's body, at most */
	int64_t upload_max_pixels;  /* the original's width x height, at most */
	int64_t upload_max_side;    /* the kept image's long side (px) */
	int64_t upload_quality;     /* JPEG quality of what is kept */
	int64_t upload_max_inflight; /* uploads read or processed at once, then 503 */
	int64_t upload_quota_bytes; /* what one member's photos may take */
	int64_t rate_uploads_per_hour; /* uploads one member makes per hour */
	char *upload_dir;           /* SQLite: where photos are kept ("": beside the database) */
	int64_t ticket_accept_hours;  /* a resident's request not accepted this long is escalated */
	int64_t ticket_resolve_hours; /* ... not resolved this long after it was made (or reopened) */
	int64_t rate_tickets_per_day; /* requests one member makes per day */
	int64_t rate_checkins_per_meeting; /* check-in tries per member and meeting per hour */
	/* operations */
	int64_t shutdown_grace_ms;  /* time for close frames to leave on SIGTERM */
	char *log_level;            /* debug, info, warn, error */
};

/* Fills cfg with the built-in defaults (the values config/linli.conf
 * documents). Free with config_free. */
void config_defaults(struct config *cfg);

/* Reads FILE over the current values. 0 on success; otherwise a negative
 * code and a message naming the line, the key and what was expected. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);
/* The same from an open stream; path names it in messages. */
int config_load_stream(struct config *cfg, FILE *f, const char *path, char *err, size_t errlen);

/* Sets one key from text, as the file would; same error convention. */
int config_set(struct config *cfg, const char *key, const char *value,
	       char *err, size_t errlen);

/* Checks relations between keys (e.g. both or neither TLS file). */
int config_validate(const struct config *cfg, char *err, size_t errlen);

void config_free(struct config *cfg);

/* For tests: the number of keys and the i-th key name. */
size_t config_key_count(void);
const char *config_key_name(size_t i);

#endif
