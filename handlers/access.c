#include "access.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int access_load_principal(struct store *st, int64_t uid, int64_t sid,
			  struct principal *out)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT is_admin FROM users WHERE id = ?");
	sqlite3_bind_int64(s, 1, uid);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->uid = uid;
		out->sid = sid;
		out->is_admin = sqlite3_column_int(s, 0);
	}
	store_stmt_done(s);
	return rc == SQLITE_ROW ? 0 : -ENOENT;
}

int access_channel_valid(const char *ch)
{
	const char *p = ch;
	if (!(*p >= 'a' && *p <= 'z'))
		return -EINVAL;
	int n = 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') {
		if (++n > 32)
			return -EINVAL;
		p++;
	}
	if (*p++ != ':')
		return -EINVAL;
	n = 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9') || *p == '_' || *p == '-') {
		if (++n > 63)
			return -EINVAL;
		p++;
	}
	return n && !*p ? 0 : -EINVAL;
}

/* "user:<id>" where id is exactly the caller's. */
static int is_own_user_channel(const struct principal *who, const char *ch)
{
	char own[32];
	snprintf(own, sizeof own, "user:%" PRId64, who->uid);
	return !strcmp(ch, own);
}

int access_channel_sub(struct store *st, const struct principal *who,
		       const char *ch, const char **why)
{
	(void)st;
	if (!who->uid) {
		*why = "authenticate first";
		return -EPERM;
	}
	if (who->is_admin || is_own_user_channel(who, ch))
		return 0;
	*why = "not allowed to subscribe to this channel";
	return -EPERM;
}

int access_channel_publish(struct store *st, const struct principal *who,
			   const char *ch, const char *type, const char **why)
{
	(void)st;
	(void)ch;
	(void)type;
	if (who->is_admin)
		return 0;
	*why = "only admins may publish to this channel";
	return -EPERM;
}
