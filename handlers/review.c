#include "review.h"

#include <stdio.h>

int review_text(struct req *req, struct resp *resp, const char *kind, const char *field,
		const char *text, int64_t cid)
{
	const char *label = NULL;
	switch (api_content(req, resp, kind, field, text, cid, &label)) {
	case API_PASS:
		return 0;
	case API_WAIT:
		return 1;
	case API_REVIEW:
		api_error_field_reason(resp, 400, "bad_request", "the content check holds this text "
				       "for review; rephrase it and try again", field, "content_rejected");
		return -1;
	case API_REJECT:
	default:
		return -1;
	}
}

enum api_verdict held_text(struct req *req, struct resp *resp, const char *kind, const char *field,
			   const char *text, int64_t cid, char hold[200])
{
	const char *label = NULL;
	enum api_verdict v = api_content(req, resp, kind, field, text, cid, &label);
	if (v == API_REVIEW && !hold[0])
		snprintf(hold, 200, "held by the content check (%s); waiting for staff review", label);
	return v;
}
