/* access: the one place that decides who may do what.
 *
 * Every handler and every WebSocket `sub` asks here. Roles are read from
 * the database on each decision, never taken from a token. Later issues
 * add the community, thread, help and moderation channel rules. */
#ifndef LINLI_ACCESS_H
#define LINLI_ACCESS_H

#include "../gateway/api.h"
#include "../gateway/store.h"

#define ACCESS_CHANNEL_MAX 96 /* longest channel name */

/* Loads the caller for user id uid: 0, or -ENOENT for an unknown user. */
int access_load_principal(struct store *st, int64_t uid, int64_t sid,
			  struct principal *out);

/* Channel names are "<kind>:<id>": kind [a-z][a-z0-9_]{0,31}, id
 * [A-Za-z0-9_-]{1,63}. 0 when well-formed, -EINVAL otherwise. */
int access_channel_valid(const char *ch);

/* May who subscribe to ch? 0 allow; -EPERM deny (*why says why). */
int access_channel_sub(struct store *st, const struct principal *who,
		       const char *ch, const char **why);

/* May who publish an event of type on ch through the REST endpoint? */
int access_channel_publish(struct store *st, const struct principal *who,
			   const char *ch, const char *type, const char **why);

#endif
