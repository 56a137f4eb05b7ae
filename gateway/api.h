/* api: what a handler sees of a request, and how it answers.
 *
 * The boundary between the gateway (lws, hiredis, the loop) and the domain
 * (handlers/). Handlers include this header and store.h, never
 * libwebsockets.h or hiredis.h: they get a request context and fill a
 * response plus the events to publish after commit. */
#ifndef LINLI_API_H
#define LINLI_API_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "store.h"

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
struct api_event {
	struct event ev;          /* ch/type/data point into owned copies */
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
	struct principal who;         /* the caller */
	int auth_error;               /* 0, or -EINVAL/-EKEYEXPIRED for a bad token */
	struct store *st;             /* the database, loop thread only */
	const struct config *cfg;     /* settings */
	struct api_event *pending;    /* appended, not yet committed (reverse order) */
	struct api_event *committed;  /* to publish, in order */
};

struct resp {
	int status;              /* HTTP status */
	char *body;              /* malloc'd; NULL for no body */
	size_t len;
	const char *content_type; /* static; default application/json */
	int retry_after;          /* seconds, sets Retry-After when > 0 */
};

typedef void (*api_handler_cb)(struct req *req, struct resp *resp);

struct route {
	enum http_method method;
	const char *pattern;       /* "/v1/channels/{ch}/events" */
	api_handler_cb handler;
	const char *name;          /* "POST /v1/channels/{ch}/events", for metrics */
};

/* Sets a JSON response; takes ownership of body (json_decref'd). */
void api_json(struct resp *r, int status, json_t *body);
/* {"error":{"code":..,"message":..,"field":..}}; field may be NULL. */
void api_error(struct resp *r, int status, const char *code, const char *message,
	       const char *field);
/* The path parameter NAME, or NULL. */
const char *api_param(const struct req *req, const char *name);

/* Parses the body as a JSON object. On failure sets a 400 naming the
 * problem and returns NULL. The caller json_decref's the result. */
json_t *api_body_object(const struct req *req, struct resp *r);

/* 401 unless authenticated; returns 0 when the caller may go on. */
int api_require_user(const struct req *req, struct resp *r);
/* 403 unless an admin (after api_require_user). */
int api_require_admin(const struct req *req, struct resp *r);

/* Inside the handler's transaction: appends an event to the log and
 * remembers it for publication after api_commit. data is borrowed. */
int api_emit(struct req *req, const char *ch, const char *type, json_t *data,
	     int64_t community_id);
/* Commits the transaction begun with store_begin; on success the emitted
 * events become publishable. On failure rolls back and forgets them. */
int api_commit(struct req *req);
/* Rolls back and forgets emitted events. */
void api_rollback(struct req *req);

/* Frees the request's event lists. */
void api_events_free(struct api_event *list);

#endif
