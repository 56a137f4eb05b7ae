/* codes: verification codes sent by SMS (验证码).
 *
 * POST /v1/auth/sms makes one: 6 digits from the CSPRNG, stored only as a
 * keyed hash (api_mac) with its phone and purpose, valid sms_code_ttl_s.
 * Only the newest code of a phone and purpose counts; it serves once, and
 * dies after CODE_MAX_TRIES wrong tries. The answer is the same whether or
 * not the phone has an account: for purposes that need one (login, reset)
 * the code is stored but not sent to a phone without one. */
#ifndef LINLI_CODES_H
#define LINLI_CODES_H

#include <stdint.h>

#include "../gateway/api.h"

#define CODE_LEN 6
#define CODE_MAX_TRIES 5

void codes_request(struct req *req, struct resp *resp);

/* Six uniform random digits (rejection sampling: no modulo bias), for SMS
 * codes and meetings' check-in codes: 0 or -EIO. */
int codes_digits(char out[CODE_LEN + 1]);

/* Checks the code in body field "code" for phone and purpose (and, when
 * uid is not 0, asked by uid). 0 and *id when it is good; otherwise the
 * answer is set -- 400 naming "code" for a malformed one; for a wrong,
 * used, expired or dead one `status` (401 for sign-ins, 400 otherwise),
 * and a wrong try is counted (its own write: it stands whatever the
 * request does next). */
int codes_check(struct req *req, struct resp *resp, const char *phone, const char *purpose,
		const char *code, int64_t uid, int status, int64_t *id);

/* Inside the caller's transaction: spends code id. 0, or -EALREADY when a
 * concurrent request spent it first (the caller rolls back). */
int codes_spend(struct req *req, int64_t id);

/* Codes and pacing rows older than two days go (the per-day limits need
 * one). */
void codes_housekeeping(struct req *req);

#endif
