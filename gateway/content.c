#include "content.h"
#include "httpc.h"
#include "metrics.h"
#include "relay.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_MAX 4096

static atomic_int_fast64_t inflight;

int content_reserve(const struct config *cfg)
{
	if (atomic_fetch_add(&inflight, 1) >= cfg->content_check_max_inflight) {
		atomic_fetch_sub(&inflight, 1);
		return -EBUSY;
	}
	return 0;
}

void content_release(void)
{
	atomic_fetch_sub(&inflight, 1);
}

enum api_verdict content_fail_verdict(const struct config *cfg)
{
	return !strcmp(cfg->content_check_fail, "pass") ? API_PASS :
	       !strcmp(cfg->content_check_fail, "reject") ? API_REJECT : API_REVIEW;
}

struct pending {
	struct api_check *c;
	const struct config *cfg;
	content_cb cb;
	void *data;
};

/* The checker's answer, or why there is none. */
static void answered(long status, const char *body, size_t len, const char *err, void *data)
{
	struct pending *p = data;
	struct api_check *c = p->c;
	(void)len;
	json_t *j = status >= 200 && status < 300 ? json_loads(body, 0, NULL) : NULL;
	const char *result = json_string_value(json_object_get(j, "result"));
	const char *label = json_string_value(json_object_get(j, "label"));
	if (result && !strcmp(result, "pass"))
		c->verdict = API_PASS;
	else if (result && !strcmp(result, "review"))
		c->verdict = API_REVIEW;
	else if (result && !strcmp(result, "reject"))
		c->verdict = API_REJECT;
	else
		result = NULL;
	if (result) {
		snprintf(c->label, sizeof c->label, "%s", label ? label : "");
		metrics.content_checks++;
	} else {
		c->verdict = content_fail_verdict(p->cfg);
		snprintf(c->label, sizeof c->label, "content check unavailable");
		metrics.content_check_failures++;
		log_warn("content check: %s; treated as %s", status ? "an answer it could not read" :
			 (err ? err : "no answer"), p->cfg->content_check_fail);
	}
	json_decref(j);
	content_release();
	p->cb(c, p->data);
	free(p);
}

int content_start(struct httpc *h, const struct config *cfg, int64_t delivery,
		  struct api_check *c, content_cb cb, void *data)
{
	json_t *body = json_pack("{s:s, s:s, s:I, s:o}", "kind", c->image ? "image" : c->kind,
				 c->image ? "image_base64" : "text", c->text, "user_id", (json_int_t)c->uid,
				 "community_id", c->cid ? json_integer(c->cid) : json_null());
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return -ENOMEM;
	size_t len = strlen(text);
	struct pending *p = xcalloc(1, sizeof *p);
	*p = (struct pending){ c, cfg, cb, data };
	int rc = httpc_post(h, cfg->content_check_url,
			    relay_headers(cfg->content_check_secret, delivery, 1, text, len),
			    text, len, cfg->content_check_timeout_ms, REPLY_MAX, answered, p);
	free(text);
	if (rc)
		free(p);
	return rc;
}

void content_free_list(struct api_check *list)
{
	while (list) {
		struct api_check *c = list;
		list = c->next;
		if (c->verdict == API_WAIT)
			content_release(); /* asked, never sent */
		free(c->text);
		free(c);
	}
}
