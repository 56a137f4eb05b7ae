/* store: the database — SQLite (a file path, the embedded default) or
 * PostgreSQL (a postgresql:// URI) — behind one API.
 *
 * Callers write each statement once, in SQL both engines accept:
 * placeholders ?1..?N (or ?; the PostgreSQL driver rewrites them to $N),
 * RETURNING instead of "last insert id", ON CONFLICT ... DO NOTHING/UPDATE
 * instead of INSERT OR IGNORE, comparisons instead of bare integers as
 * booleans, and only functions both engines have. What cannot be shared
 * lives in the drivers, named by what it does: the SQL functions
 * linli_json_has(list, value) and linli_month_cn(ms) (defined by each
 * driver), full-text search (store_search_*), the event log's trimming,
 * id sequences and backups.
 *
 * A `struct store` is one connection, used by one thread at a time; a
 * process opens one per thread that needs one. Statements are cached per
 * connection by their SQL text.
 *
 * Every write is checked by the store itself: once any statement fails
 * inside a transaction, store_commit refuses (rolls back and returns the
 * error), so a change is applied whole or not at all even where a caller
 * forgot to look at a result. */
#ifndef LINLI_STORE_H
#define LINLI_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_stmt;

enum store_engine { STORE_SQLITE, STORE_POSTGRES };

struct store_opts {
	int busy_timeout_ms;     /* SQLite: wait for another writer's lock */
	int connect_timeout_ms;  /* PostgreSQL: give up a connect after this */
	int statement_timeout_ms; /* PostgreSQL: cancel a statement after this (0: none) */
	int reconnect_min_ms;    /* PostgreSQL: first wait before reconnecting, doubled ... */
	int reconnect_max_ms;    /* ... up to this */
	int migrate;             /* check the schema and apply pending migrations
				  * (0: leave it alone, e.g. to back it up) */
};

/* Process-wide set-up, before any other store call and before threads. */
void store_global_init(void);

/* 1 when url names a PostgreSQL database (postgresql:// or postgres://). */
int store_url_is_postgres(const char *url);
/* url for logs: a password in it (user:PASSWORD@ or password=) masked. */
void store_url_display(const char *url, char *out, size_t cap);

/* Opens url (a SQLite path, created if missing, or a PostgreSQL URI) and
 * applies pending migrations, each in one transaction; concurrent openers
 * migrate once (SQLite's write lock, PostgreSQL's advisory lock). Refuses
 * a database whose schema is newer than this binary's. 0 or negative;
 * message in err. */
int store_open(const char *url, const struct store_opts *opts, struct store **out,
	       char *err, size_t errlen);
void store_close(struct store *st);
enum store_engine store_engine(const struct store *st);

/* The schema version this binary migrates to. */
int store_schema_version(void);

/* --- statements ------------------------------------------------------- */

/* The cached statement for a static SQL string. Borrowed: call store_done
 * (or a store_run*) when finished with it, before the same SQL is used
 * again. Aborts the process on a syntax error: SQL is ours, not the user's
 * (PostgreSQL parses at the first step; a connection error there is an
 * ordinary -ENOTCONN from store_step). */
struct store_stmt *store_prepare(struct store *st, const char *sql);

/* Parameters, 1-based. Text and blobs are borrowed until the statement's
 * store_done; store_bind_text(s, i, NULL) binds NULL. */
void store_bind_int(struct store_stmt *s, int i, int64_t v);
void store_bind_text(struct store_stmt *s, int i, const char *v);
void store_bind_textn(struct store_stmt *s, int i, const char *v, size_t n);
void store_bind_blob(struct store_stmt *s, int i, const void *v, size_t n);
void store_bind_null(struct store_stmt *s, int i);
/* v, or NULL when v is 0 (ids and times where 0 means "none"). */
void store_bind_int_or_null(struct store_stmt *s, int i, int64_t v);

#define STORE_DONE 0
#define STORE_ROW 1
/* Runs the statement / moves to its next row: STORE_ROW, STORE_DONE, or
 * -EBUSY (locked, a serialization failure or deadlock: retry later),
 * -EEXIST (a unique constraint), -ENOTCONN (the database is unreachable or
 * read-only: reconnecting), -EIO (anything else; logged). */
int store_step(struct store_stmt *s);

/* Columns of the current row, 0-based. Text and blobs are valid until the
 * next step or store_done. Booleans read as 0/1 from either engine. */
int store_col_null(struct store_stmt *s, int col);
int64_t store_col_int(struct store_stmt *s, int col);
double store_col_double(struct store_stmt *s, int col);
const char *store_col_text(struct store_stmt *s, int col); /* NULL for NULL */
size_t store_col_bytes(struct store_stmt *s, int col);     /* text or blob length */
const void *store_col_blob(struct store_stmt *s, int col);

/* Rows inserted, updated or deleted by the statement (after STORE_DONE). */
int64_t store_changes(struct store_stmt *s);
/* Resets the statement and its bindings. */
void store_done(struct store_stmt *s);

/* Steps s to its end, then store_done: rows changed (>= 0) or negative. */
int64_t store_run(struct store_stmt *s);
/* Steps s to its end, then store_done; *out gets column 0 of the first row
 * (INSERT ... RETURNING id, SELECT count(*)). 0; -ENOENT when there was no
 * row (*out untouched); or a negative store_step error. */
int store_run_int(struct store_stmt *s, int64_t *out);
/* 1 when s yields a row, 0 when not, negative on error; then store_done. */
int store_run_exists(struct store_stmt *s);
/* Steps s to its end collecting column 0 of every row (ids), then
 * store_done: 0 and *ids (malloc'd, NULL when none) with *n; or a negative
 * store_step error (*ids NULL). */
int store_run_ids(struct store_stmt *s, int64_t **ids, size_t *n);

/* --- transactions ----------------------------------------------------- */

/* SQLite: BEGIN IMMEDIATE (PLATFORM-NOTES: deferred BEGIN makes writers
 * of several processes fail with SQLITE_BUSY). PostgreSQL: BEGIN, READ
 * COMMITTED. 0, -EBUSY (another writer holds the lock), -ENOTCONN or -EIO. */
int store_begin(struct store *st);
/* Commits; when a statement of the transaction failed, rolls back instead
 * and returns that failure. 0 or negative (rolled back). */
int store_commit(struct store *st);
void store_rollback(struct store *st);
/* 1 inside store_begin .. store_commit/rollback. */
int store_in_txn(const struct store *st);

/* --- the event log ---------------------------------------------------- */

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
 * seq of the channel (locking its head row until commit, so that on either
 * engine events of one channel commit in seq order) and stores the row.
 * data must be valid JSON text. community_id < 0 stores NULL. Sets ev->seq. */
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

/* --- full-text search (the forums' titles, bodies and visible posts) ---- */

/* Indexes text of thread tid in community cid (post pid, or 0 for the
 * thread's own title and body). Inside the caller's transaction. */
int store_search_add(struct store *st, int64_t cid, int64_t tid, int64_t pid,
		     const char *text);
/* Drops post pid's text from the index (pid > 0). */
int store_search_remove(struct store *st, int64_t pid);
/* Thread ids of community cid whose indexed text contains q (as a plain
 * substring: no query syntax; ASCII case ignored for 2+ characters),
 * newest first, below cursor (0: from the top), at most limit. Returns how
 * many went to ids, or negative. */
int store_search(struct store *st, int64_t cid, const char *q, int64_t cursor,
		 int limit, int64_t *ids);

/* --- operations ------------------------------------------------------- */

/* The 32-byte server secret, created on first use and kept in `settings`;
 * every process on one database ends up with the same one. */
int store_secret(struct store *st, unsigned char out[32]);

/* After rows were inserted into table with explicit ids (mint-token): new
 * rows get ids above them (PostgreSQL moves the identity sequence; SQLite
 * needs nothing). */
int store_sync_ids(struct store *st, const char *table);

/* A consistent copy of the database into the file path while others keep
 * writing (SQLite's online backup API). -ENOTSUP for PostgreSQL (pg_dump). */
int store_backup(struct store *st, const char *path, char *err, size_t errlen);

/* Quick liveness probe for /readyz: 0 when a trivial query works. */
int store_ping(struct store *st);

/* Statements of this connection that failed for a reason outside the
 * request (-ENOTCONN: unreachable or read-only; -EBUSY: a lock or
 * statement time-out, a deadlock) since it was opened. A request that saw
 * one answers 503 with Retry-After, whatever it decided from the failed
 * reads. */
int64_t store_transient_failures(const struct store *st);
/* 1 while the connection is known to be lost (PostgreSQL, until a
 * statement reconnects it). */
int store_connection_lost(const struct store *st);
/* Reconnects after a lost connection, over every connection of the
 * process (any thread). */
uint64_t store_reconnects(void);

#endif
