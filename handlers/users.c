#include "users.h"
#include "access.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int users_phone_normalise(const char *in, char out[PHONE_LEN + 1])
{
	char digits[32];
	size_t n = 0;
	int plus = 0; /* an international prefix: must then be +86 */
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n >= sizeof digits - 1)
				return -EINVAL;
			digits[n++] = (char)*p;
		} else if (p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x90 && p[2] <= 0x99) {
			/* Full-width digits U+FF10..U+FF19, as Chinese IMEs type. */
			if (n >= sizeof digits - 1)
				return -EINVAL;
			digits[n++] = (char)('0' + (p[2] - 0x90));
			p += 2;
		} else if (*p == '+' && n == 0 && !plus) {
			plus = 1;
		} else if (!strchr(" -.()", *p)) {
			return -EINVAL;
		}
	}
	digits[n] = '\0';
	const char *d = digits;
	if (n == 15 && !strncmp(d, "0086", 4) && !plus)
		d += 4;
	else if (n == 13 && !strncmp(d, "86", 2))
		d += 2;
	else if (plus)
		return -EINVAL; /* +1 415 ...: not a mainland number */
	if (strlen(d) != PHONE_LEN || d[0] != '1' || d[1] < '3' || d[1] > '9')
		return -EINVAL;
	memcpy(out, d, PHONE_LEN + 1);
	return 0;
}

void users_phone_mask(const char *phone, char out[PHONE_LEN + 1])
{
	memcpy(out, phone, 3);
	memcpy(out + 3, "****", 4);
	memcpy(out + 7, phone + 7, 4);
	out[PHONE_LEN] = '\0';
}

json_t *users_json(struct store *st, const struct principal *viewer, int64_t uid)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT display_name, phone, ip_region, phone_verified_at IS NOT NULL FROM users "
		"WHERE id = ?");
	store_bind_int(s, 1, uid);
	json_t *u = NULL;
	if (store_step(s) == STORE_ROW) {
		const char *phone = store_col_text(s, 1), *region = store_col_text(s, 2);
		u = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)uid, "display_name",
			      store_col_text(s, 0), "ip_region", region ? json_string(region) : json_null());
		if (viewer && viewer->uid == uid)
			json_object_set_new(u, "phone_verified", json_boolean(store_col_int(s, 3)));
		if (phone && strlen(phone) == PHONE_LEN) {
			char masked[PHONE_LEN + 1];
			int full = access_sees_phone(st, viewer, uid);
			if (!full)
				users_phone_mask(phone, masked);
			json_object_set_new(u, "phone", json_string(full ? phone : masked));
		} else {
			json_object_set_new(u, "phone", json_null());
		}
	}
	store_done(s);
	return u;
}

int users_own_phone(struct req *req, struct resp *resp, char out[PHONE_LEN + 1])
{
	struct store_stmt *s = store_prepare(req->st, "SELECT phone FROM users WHERE id = ?");
	store_bind_int(s, 1, req->who.uid);
	int found = store_step(s) == STORE_ROW && store_col_text(s, 0);
	if (found)
		snprintf(out, PHONE_LEN + 1, "%s", store_col_text(s, 0));
	store_done(s);
	if (!found)
		api_error(resp, 409, "conflict", "this account has no phone number", "phone");
	return found ? 0 : -ENOENT;
}

int users_phone_field(json_t *body, char out[PHONE_LEN + 1], struct resp *resp)
{
	const char *in = api_str(body, "phone", 1, 32, 1, resp);
	if (!in)
		return -EINVAL;
	if (users_phone_normalise(in, out)) {
		api_error(resp, 400, "bad_request",
			  "phone must be a mainland mobile number, e.g. 13800138000", "phone");
		return -EINVAL;
	}
	return 0;
}
