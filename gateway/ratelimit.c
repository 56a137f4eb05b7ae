#include "ratelimit.h"
#include "util.h"

#include <stdlib.h>

struct rl_window {
	int64_t end_ms;   /* when this window closes */
	int64_t count;    /* hits counted in it */
};

void ratelimit_init(struct ratelimit *rl, size_t max_keys)
{
	pthread_mutex_init(&rl->mu, NULL);
	map_init(&rl->windows);
	rl->max_keys = max_keys;
}

static void clear(struct ratelimit *rl, int64_t now_ms, int all)
{
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&rl->windows, &i, &k, &v);) {
		struct rl_window *w = v;
		if (all || w->end_ms <= now_ms) {
			free(map_del(&rl->windows, k));
		}
	}
}

void ratelimit_free(struct ratelimit *rl)
{
	clear(rl, 0, 1);
	map_free(&rl->windows);
	pthread_mutex_destroy(&rl->mu);
}

void ratelimit_sweep(struct ratelimit *rl, int64_t now_ms)
{
	pthread_mutex_lock(&rl->mu);
	clear(rl, now_ms, 0);
	pthread_mutex_unlock(&rl->mu);
}

static int hit(struct ratelimit *rl, const char *key, int64_t limit,
	       int64_t window_ms, int64_t now_ms)
{
	struct rl_window *w = map_get(&rl->windows, key);
	if (!w) {
		if (rl->windows.len >= rl->max_keys) {
			clear(rl, now_ms, 0);
			if (rl->windows.len >= rl->max_keys) {
				log_warn("ratelimit: %zu keys tracked, clearing", rl->windows.len);
				clear(rl, now_ms, 1);
			}
		}
		w = xcalloc(1, sizeof *w);
		map_put(&rl->windows, key, w);
	}
	if (w->end_ms <= now_ms) {
		w->end_ms = now_ms + window_ms;
		w->count = 0;
	}
	if (w->count >= limit)
		return (int)((w->end_ms - now_ms + 999) / 1000);
	w->count++;
	return 0;
}

int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t limit,
		  int64_t window_ms, int64_t now_ms)
{
	pthread_mutex_lock(&rl->mu);
	int rc = hit(rl, key, limit, window_ms, now_ms);
	pthread_mutex_unlock(&rl->mu);
	return rc;
}
