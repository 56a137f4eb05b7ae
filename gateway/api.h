/* api: what a handler sees of a request, and how it answers; and the
 * table of its domain the gateway is handed at start.
 *
 * The boundary between the gateway (sockets, hiredis, the loop) and the domain
 * (handlers/). Handlers include this header and store.h, never
 * libwebsockets.h, hiredis.h, sqlite3.h or libpq-fe.h: they get a request
 * context and fill a response plus the events to publish after commit.
 *
 * Handlers run on database worker threads (gateway/dbpool.h), each with its
 * own connection in req->st, never on the loop: every api_* call here may
 * be made from a worker. */
#ifndef LINLI_API_H
#define LINLI_API_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "store.h"
#include "token.h"

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE,
		   HTTP_OPTIONS, HTTP_OTHER };

/* Who is calling: read from the database on every request, never trusted
 * from the token alone. uid 0 = anonymous. */
struct principal {
	int64_t uid;      /* user id, 0 when not authenticated */
	int64_t sid;      /* session id from the token */
	int is_admin;     /* users.is_admin at the time of the request */
};

#define API_MAX_PARAMS 4

/* An event appended inside the handler's transaction, published after
 * commit. Strings owned by the request. */
struct sms_msg;
struct api_check;

struct api_event {
	struct event ev;          /* ch/type/data point into owned copies */
	int64_t community_id;     /* stored with it (< 0: none) */
	struct api_event *next;
};

struct req {
	uint64_t id;                  /* request id, in logs and X-Request-Id */
	enum http_method method;
	const char *path;             /* decoded path, without query */
	const char *query;            /* raw query string or "" */
	const char *route;            /* matched pattern, static */
	struct { const char *name; char *value; } params[API_MAX_PARAMS];
	int nparams;                  /* path parameters, percent-decoded */
	const char *body;             /* request body (NUL-terminated), or "" */
	size_t body_len;
	const char *idempotency_key;  /* header value or NULL */
	const char *peer;             /* client address, for per-address limits */
	const char *user_agent;       /* User-Agent header (at most 512 bytes) or NULL */
	const char *content_type;     /* Content-Type header (at most 256 bytes) or NULL */
	const char *if_none_match;    /* If-None-Match header (at most 128 bytes) or NULL */
	int peer_port;                /* the client's source port, 0 when unknown */
	int64_t log_id;               /* its access-log row, in the open transaction */
	int log_committed;            /* that row committed */
	int64_t signed_in_uid;        /* a sign-in's account and session, set by */
	int64_t signed_in_sid;        /* the handler: who the access log names */
	char ip_region[64];           /* api_ip_region's answer, once looked up */
	int ip_region_state;          /* 0 not looked up, 1 found, -1 none */
	struct sms_msg *sms;          /* codes to hand to the SMS relay after
				       * the answer (api_sms_queue) */
	struct api_check *checks;     /* user-written texts of this request,
				       * with the content check's verdicts */
	int rerun;                    /* the handler runs again, verdicts in */
	int limits_counted;           /* api_rate_limit hits counted (a rerun
				       * does not count them again) */
	int limits_seen;              /* api_rate_limit calls in this run */
	struct principal who;         /* the caller */
	int auth_error;               /* 0, or -EINVAL/-EKEYEXPIRED for a bad token */
	struct store *st;             /* the database: this worker's connection */
	const struct config *cfg;     /* settings */
	struct api_event *pending;    /* emitted, not yet committed (emit order) */
	struct api_event *pending_last; /* its last, for appending */
	struct api_event *committed;  /* to publish, in order */
	int64_t revoked_sid;          /* a session the handler revoked: its
				       * sockets here are closed at once */
	int idem_taken;               /* api_begin found the Idempotency-Key
				       * claimed by an earlier request */
	int64_t push_queued;          /* push_outbox rows written (metrics) */
	void *server;                 /* the gateway's own state; not for handlers */
};

struct resp {
	int status;              /* HTTP status */
	char *body;              /* malloc'd; NULL for no body */
	size_t len;
	const char *content_type; /* static; default application/json */
	int retry_after;          /* seconds, sets Retry-After when > 0 */
	int is_static;            /* a file of the web app: revalidated, with CSP */
	int cache_private;        /* the caller's own bytes (a photo): "private",
				   * kept by the browser, never by a proxy */
	char etag[48];            /* ETag header when set ("\"...\"") */
};

typedef void (*api_handler_cb)(struct req *req, struct resp *resp);

/* Periodic domain work (deadlines, expiry), run on a database worker with
 * a request of no user: events it commits are published after. State lives
 * in the database, so a restart simply picks up what is due; every gateway
 * of a deployment runs every tick, so a tick claims its rows with
 * conditional updates and each fires once. */
typedef void (*api_tick_cb)(struct req *req);

struct route {
	enum http_method method;
	const char *pattern;       /* "/v1/channels/{ch}/events" */
	api_handler_cb handler;
	const char *name;          /* "POST /v1/channels/{ch}/events", for metrics */
	unsigned flags;            /* ROUTE_* */
};

/* A route whose body may be as large as upload_max_bytes (not
 * http_max_body); at most upload_max_inflight such requests are read at
 * once per gateway, more get 503 before their body is read. */
#define ROUTE_UPLOAD 1u

typedef void (*api_session_cb)(int64_t sid, void *data);

/* The domain, handed to the server by main.c (as a server library is
 * handed its protocols): the server never includes a handler's header, and
 * decides nothing about who may do what. The functions taking a store run
 * on database workers. */
struct api_domain {
	const struct route *routes;   /* every REST endpoint of the domain */
	size_t nroutes;
	const api_tick_cb *ticks;     /* run once a second */
	size_t nticks;
	api_tick_cb housekeeping;     /* run every retention_interval_s (may be NULL) */
	/* Who is calling: the user and session a verified token names. 0;
	 * -ENOENT for an unknown user; -EKEYREVOKED for an ended session; or
	 * a store error. */
	int (*load_principal)(struct store *st, int64_t uid, int64_t sid,
			      struct principal *out);
	/* May the caller make this write at all (a verified phone, a current
	 * consent...)? Called before every request's handler other than GET;
	 * 0, or the answer is set. May be NULL. */
	int (*admit)(struct req *req, struct resp *resp);
	/* A well-formed channel name? 0 or -EINVAL. */
	int (*channel_valid)(const char *ch);
	/* May who subscribe to ch? 0; -EPERM with *why (static text); or a
	 * store error. */
	int (*may_subscribe)(struct store *st, const struct principal *who,
			     const char *ch, const char **why);
	/* Calls cb for every session revoked at or after since_ms, by any
	 * process: their sockets are closed with 4001. 0 or a store error. */
	int (*revoked_sessions)(struct store *st, int64_t since_ms, api_session_cb cb,
				void *data);
	/* At start and on SIGHUP: re-reads what handlers load from files. */
	void (*reload)(const struct config *cfg);
	/* At exit: frees what reload loaded. */
	void (*shutdown)(void);
};

/* Sets a JSON response; takes ownership of body (json_decref'd). */
void api_json(struct resp *r, int status, json_t *body);
/* {"error":{"code":..,"message":..,"field":..}}; field may be NULL. */
void api_error(struct resp *r, int status, const char *code, const char *message,
	       const char *field);
/* The same with both a field and the contract's reason. */
void api_error_field_reason(struct resp *r, int status, const char *code, const char *message,
			    const char *field, const char *reason);
/* The same with the contract's machine-readable reason ("locked", "muted"...). */
void api_error_reason(struct resp *r, int status, const char *code, const char *message,
		      const char *reason);
/* The path parameter NAME, or NULL. */
const char *api_param(const struct req *req, const char *name);

/* Parses the body as a JSON object. On failure sets a 400 naming the
 * problem and returns NULL. The caller json_decref's the result. */
json_t *api_body_object(const struct req *req, struct resp *r);

/* 401 unless authenticated; returns 0 when the caller may go on. */
int api_require_user(const struct req *req, struct resp *r);
/* 403 unless an admin (after api_require_user). */
int api_require_admin(const struct req *req, struct resp *r);

/* Inside the handler's transaction: an event for the log, published after
 * api_commit. The events of a transaction are appended at commit, sorted by
 * channel (emit order kept within one), so concurrent transactions take
 * channel heads in one order and never deadlock on them. data is borrowed. */
int api_emit(struct req *req, const char *ch, const char *type, json_t *data,
	     int64_t community_id);
/* The same with data already JSON text (malloc'd; the request takes it):
 * for fan-outs that format one payload many times. */
int api_emit_raw(struct req *req, const char *ch, const char *type, char *data,
		 int64_t community_id);
/* store_begin for handlers, claiming the request's Idempotency-Key as its
 * first write: 0; or the answer is set (503 with Retry-After; or, when an
 * earlier request with the key got there first, the first's answer) and
 * the handler returns. */
int api_begin(struct req *req, struct resp *resp);
/* Commits the transaction begun with store_begin; on success the emitted
 * events become publishable. On failure rolls back and forgets them. */
int api_commit(struct req *req);

/* The end of a handler's transaction: commits when ok; otherwise, or when
 * the commit fails, rolls back and answers 500 with message. 0 when
 * committed. */
int api_commit_or_fail(struct req *req, struct resp *resp, int ok, const char *message);
/* Rolls back and forgets emitted events. */
void api_rollback(struct req *req);

/* Slow CPU work (password hashing) that must not hold a database worker.
 * The handler returns after calling this; work then runs on the thread
 * pool with data only (it must touch no request, store or loop object),
 * and done runs on a database worker with the same req and resp, and
 * answers as a handler would. Returns 0, or -EBUSY when work_max_queue
 * jobs already wait (the caller answers 503). */
typedef void (*api_work_cb)(void *data);
typedef void (*api_done_cb)(struct req *req, struct resp *resp, void *data);
int api_defer(struct req *req, api_work_cb work, api_done_cb done, void *data);

/* A write too large for one loop turn (a help request notifying two
 * thousand volunteers): runs txn at once, on this worker, at a lower
 * thread priority, so the loop and its sockets win the CPU meanwhile. On
 * SQLite every other write of the process waits its turn behind it, in
 * order (one writer); reads and delivery go on. txn owns data (frees it).
 * Returns 0. */
typedef void (*api_txn_cb)(struct req *req, struct resp *resp, void *data);
int api_offload(struct req *req, struct resp *resp, api_txn_cb txn, void *data);

/* Counts one hit for bucket+key (e.g. "register", req->peer) against limit
 * per window_s. 0 when allowed; otherwise sets a 429 rate_limited answer
 * with Retry-After and returns -EAGAIN. */
int api_rate_limit(struct req *req, struct resp *resp, const char *bucket,
		   const char *key, int64_t limit, int64_t window_s);

/* Signs an access token for uid and session sid with the server's secret,
 * valid token_ttl_s; returns its expiry in seconds since the epoch. */
int64_t api_sign_access(const struct req *req, int64_t uid, int64_t sid,
			char out[TOKEN_MAX]);

/* Body field helpers. Each sets a 400 naming the field and returns NULL or
 * -EINVAL on bad input. */
/* A string of min..max characters (code points) without control
 * characters; NULL without error when absent and not required. */
const char *api_str(json_t *body, const char *field, size_t min, size_t max,
		    int required, struct resp *r);
/* An integer in [min, max]; def when absent and not required. */
int api_int(json_t *body, const char *field, int64_t min, int64_t max,
	    int required, int64_t def, int64_t *out, struct resp *r);
/* A positive integer path parameter. */
int api_id_param(const struct req *req, const char *name, int64_t *out, struct resp *r);
/* The query parameter name, percent-decoded into out (cap bytes): its
 * length, or -1 when absent. */
int api_query(const struct req *req, const char *name, char *out, size_t cap);
/* ?limit= alone (1..max, default def), for lists whose cursor is not an
 * id; on a bad value sets a 400 naming it, returns -EINVAL. */
int api_limit(const struct req *req, int def, int max, int *limit, struct resp *r);
/* ?limit= as above and ?cursor= (an id, 0 when absent) for lists; on bad
 * values sets a 400 naming the parameter, returns -EINVAL. */
int api_page(const struct req *req, int def, int max, int *limit, int64_t *cursor,
	     struct resp *r);
/* {"items": items, "next_cursor": "<last id>" or null}; takes items. */
json_t *api_list(json_t *items, int limit, int64_t last_id);

/* 1 when a socket on this gateway is subscribed to user:{uid}: the
 * member sees a notification live, so no push is needed. With several
 * gateways a member connected to another one counts as offline here (the
 * push worker asks Redis before sending). */
int api_user_live(const struct req *req, int64_t uid);

/* --- the content check (内容安全) -------------------------------------------------- */

enum api_verdict { API_PASS, API_REVIEW, API_REJECT, API_WAIT };

/* A user-written text. kind: what it is ("post", "thread_title"...), for
 * the checker; field: the body field it came in (for the 400); cid its
 * community (0: none). Every user-written text goes through here: it is
 * also what the access log keeps as the version written.
 *
 * Without content_check_url: API_PASS. Otherwise, the first time a
 * request asks about a field: API_WAIT. The handler asks about every text
 * it has, then returns without answering and without having written; the
 * checks run (concurrently, off the loop's critical path), and the
 * handler runs again from the start, when each call answers its verdict.
 * API_REJECT: the 400 (reason content_rejected, the field) is set.
 * API_REVIEW: hold the item for staff; *label (may be NULL) says why.
 * Past content_check_max_inflight checks outstanding, a 503 is set and
 * API_REJECT answered. */
enum api_verdict api_content(struct req *req, struct resp *resp, const char *kind,
			     const char *field, const char *text, int64_t cid, const char **label);
/* The same for a photo: its thumbnail (n bytes of JPEG) goes to the
 * checker as image_base64 with kind "image"; key names it within the
 * request (one check per key); a reject's 400 names "attachments". */
enum api_verdict api_content_image(struct req *req, struct resp *resp, const char *key,
				   const void *thumb, size_t n, int64_t cid, const char **label);
/* 1 when some api_content call of this run answered API_WAIT. */
int api_content_waiting(const struct req *req);

/* --- verification codes (SMS) ------------------------------------------------- */

/* Reserves room for one code in the SMS relay's queue, before the
 * transaction that stores it: 0, or -EBUSY when sms_queue_max wait (the
 * caller answers 503). Every reservation ends in api_sms_queue or
 * api_sms_release. */
int api_sms_reserve(struct req *req);
/* After commit: the code goes to the relay (or the log) once the request
 * is answered; delivery is its row id (X-Linli-Delivery). */
void api_sms_queue(struct req *req, int64_t delivery, const char *phone, const char *code,
		   const char *purpose, int64_t expires_at);
/* The transaction failed: gives the reservation back. */
void api_sms_release(struct req *req);

/* HMAC-SHA256 of msg under a key derived from the server secret and
 * label: a keyed hash (verification codes) no database reader can invert
 * without the secret. */
void api_mac(const struct req *req, const char *label, const void *msg, size_t len,
	     unsigned char out[32]);

/* IP属地 of the caller's address (after trusted_proxies), from
 * ip_region_db: a province for mainland China, else a country, in
 * Chinese; NULL when unknown or no database is configured. Looked up once
 * per request. */
const char *api_ip_region(struct req *req);

/* Characters (code points) in a UTF-8 string. */
size_t api_chars(const char *s);

/* Frees the request's event lists. */
void api_events_free(struct api_event *list);

#endif
