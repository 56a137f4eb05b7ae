/* users: phone numbers, display names and the user object as others see
 * it. Shared by the account and community handlers. */
#ifndef LINLI_USERS_H
#define LINLI_USERS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "../gateway/api.h"

#define PHONE_LEN 11 /* mainland mobile numbers, normalised */

/* Normalises a mainland mobile number: strips spaces, dashes, dots,
 * brackets, a +86 / 0086 / 86 prefix, turns full-width digits into ASCII;
 * the result must be 1[3-9] and 9 more digits. 0 or -EINVAL. */
int users_phone_normalise(const char *in, char out[PHONE_LEN + 1]);

/* The body's "phone", required and normalised into out: 0, or a 400
 * naming the field is set. */
int users_phone_field(json_t *body, char out[PHONE_LEN + 1], struct resp *resp);

/* "138****5678". */
void users_phone_mask(const char *phone, char out[PHONE_LEN + 1]);

/* {id, display_name, phone} for user uid as viewer may see it (phone
 * masked unless viewer is the owner or staff of a shared community).
 * NULL when there is no such user. */
json_t *users_json(struct store *st, const struct principal *viewer, int64_t uid);

/* The caller's phone number into out: 0, or a 409 is set (an account
 * without one). */
int users_own_phone(struct req *req, struct resp *resp, char out[PHONE_LEN + 1]);

/* Display names: 1 to 32 characters, trimmed, no control characters. */
#define DISPLAY_NAME_MAX 32

#endif
