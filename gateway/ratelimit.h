/* ratelimit: fixed-window counters keyed by string ("w:u:42", "w:ip:1.2.3.4").
 *
 * In memory, per process: cheap enough for every write request. Bounded:
 * past max_keys the table is swept of expired windows, and if that is not
 * enough, cleared (failing open, logged) rather than growing. Safe from any
 * thread (handlers count on database workers). */
#ifndef LINLI_RATELIMIT_H
#define LINLI_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#include "map.h"

struct ratelimit {
	pthread_mutex_t mu;   /* guards windows */
	struct map windows;   /* key -> struct rl_window* */
	size_t max_keys;      /* bound on tracked keys */
};

void ratelimit_init(struct ratelimit *rl, size_t max_keys);
void ratelimit_free(struct ratelimit *rl);

/* Counts one hit on key in a window of window_ms. 0 when within limit;
 * otherwise the seconds until the window ends (for Retry-After), and the
 * hit is not counted. */
int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t limit,
		  int64_t window_ms, int64_t now_ms);

/* Drops windows that ended before now. */
void ratelimit_sweep(struct ratelimit *rl, int64_t now_ms);

#endif
