/* store: the SQLite database: open, migrate, transactions, cached
 * statements, and the durable event log (table `events`).
 *
 * One connection per process, used only on the loop thread. WAL mode, so
 * several gateway processes may share the file. Every statement handed out
 * by store_stmt must be reset by the caller (store_stmt_done) before the
 * loop turns, or it pins a read transaction and the WAL grows. */
#ifndef LINLI_STORE_H
#define LINLI_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct store;

/* Opens (creating if missing) and migrates PATH. Refuses a database whose
 * user_version is newer than this binary knows. 0 or negative; message in
 * err. */
int store_open(const char *path, int busy_timeout_ms, struct store **out,
	       char *err, size_t errlen);
void store_close(struct store *st);
sqlite3 *store_db(struct store *st);

/* The schema version this binary migrates to. */
int store_schema_version(void);

/* Cached prepared statement for a static SQL string. Borrowed; call
 * store_stmt_done when finished with it (resets and clears bindings).
 * Aborts the process on a prepare error: SQL is ours, not the user's. */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);
void store_stmt_done(sqlite3_stmt *stmt);

/* BEGIN IMMEDIATE (see PLATFORM-NOTES: deferred BEGIN deadlocks writers
 * across processes), COMMIT, ROLLBACK. 0 or -EBUSY/-EIO. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* The 32-byte server secret, created on first use and kept in `settings`. */
int store_secret(struct store *st, unsigned char out[32]);

/* One event as stored and as delivered. Strings borrowed from whoever
 * filled the struct (for store_events_after: valid only in the callback). */
struct event {
	const char *ch;     /* channel, e.g. "thread:42" */
	int64_t seq;        /* per-channel sequence, from 1 */
	const char *type;   /* e.g. "post.created" */
	const char *data;   /* JSON text */
	size_t data_len;
	int64_t at;         /* ms since the epoch */
};

/* Appends an event inside the caller's open transaction: takes the next
 * seq of the channel and stores the row. data must be valid JSON text.
 * community_id < 0 stores NULL. Sets ev->seq. */
int store_event_append(struct store *st, struct event *ev, int64_t community_id);

/* Head and trimmed position of a channel (both 0 if it has no events). */
int store_channel_head(struct store *st, const char *ch, int64_t *head,
		       int64_t *trimmed);

typedef void (*store_event_cb)(const struct event *ev, void *data);
/* Calls cb for events of ch with seq > since, in order, at most limit.
 * Returns how many were delivered, or a negative code. */
int store_events_after(struct store *st, const char *ch, int64_t since,
		       int limit, store_event_cb cb, void *data);

/* Trims events older than max_age_ms or beyond max_events per channel,
 * deleting at most budget rows. Returns rows deleted or negative. */
int store_retention(struct store *st, int64_t now_ms, int64_t max_age_ms,
		    int64_t max_events, int budget);

/* Quick liveness probe for /readyz: 0 when a trivial query works. */
int store_ping(struct store *st);

#endif
