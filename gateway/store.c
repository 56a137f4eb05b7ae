/* store: what both engines share — opening and migrating, the checked
 * transaction, statement helpers, and the event log in portable SQL. The
 * rest goes to the connection's driver. */
#include "store_driver.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <sqlite3.h>

void store_global_init(void)
{
	/* SQLite's memory statistics take a global mutex on every allocation;
	 * we never read them. Must precede any other SQLite call. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_url_is_postgres(const char *url)
{
	return !strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11);
}

void store_url_display(const char *url, char *out, size_t cap)
{
	struct buf b = { 0 };
	const char *p = url;
	const char *scheme = strstr(url, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	if (store_url_is_postgres(url) && at && colon && colon < at) {
		buf_append(&b, url, (size_t)(colon + 1 - url)); /* scheme://user: */
		buf_puts(&b, "***");
		p = at;
	}
	for (; *p; p++) {
		if (!strncmp(p, "password=", 9)) {
			buf_puts(&b, "password=***");
			p += 9;
			while (*p && *p != '&')
				p++;
			if (!*p)
				break;
		}
		buf_append(&b, p, 1);
	}
	snprintf(out, cap, "%s", b.p ? b.p : "");
	buf_free(&b);
}

static const struct store_migration *migrations(const struct store *st, int *n)
{
	if (st->drv->engine == STORE_POSTGRES) {
		*n = store_pg_migrations_count;
		return store_pg_migrations;
	}
	*n = store_sqlite_migrations_count;
	return store_sqlite_migrations;
}

int store_schema_version(void)
{
	return store_sqlite_migrations[store_sqlite_migrations_count - 1].version;
}

enum store_engine store_engine(const struct store *st)
{
	return st->drv->engine;
}

/* Applies what is missing, one migration per transaction. The version is
 * read under the engine's migration lock, so two processes starting on a
 * fresh database apply each migration once. */
static int migrate(struct store *st, char *err, size_t errlen)
{
	int n;
	const struct store_migration *m = migrations(st, &n);
	for (int i = 0; i < n; i++) {
		char e[512] = "";
		int v;
		if (st->drv->migrate_begin(st, &v, e, sizeof e)) {
			snprintf(err, errlen, "migration %s: %s", m[i].name, e);
			return -EIO;
		}
		st->in_txn = 1;
		st->txn_error = 0;
		if (v > store_schema_version()) {
			store_rollback(st);
			snprintf(err, errlen, "schema version %d is newer than this binary's %d; "
				 "refusing to start (upgrade linli-gateway)", v, store_schema_version());
			return -EPROTO;
		}
		if (v >= m[i].version) {
			store_rollback(st);
			continue;
		}
		if (st->drv->exec(st, m[i].sql, e, sizeof e) ||
		    st->drv->set_version(st, m[i].version, e, sizeof e)) {
			store_rollback(st);
			snprintf(err, errlen, "migration %s failed: %s", m[i].name, e);
			return -EIO;
		}
		if (store_commit(st)) {
			snprintf(err, errlen, "migration %s: commit failed", m[i].name);
			return -EIO;
		}
		log_info("store: applied migration %s", m[i].name);
	}
	char e[512] = "";
	if (st->drv->migrate_end && st->drv->migrate_end(st, e, sizeof e)) {
		snprintf(err, errlen, "after the migrations: %s", e);
		return -EIO;
	}
	return 0;
}

int store_open(const char *url, const struct store_opts *opts, struct store **out,
	       char *err, size_t errlen)
{
	struct store *st = NULL;
	int rc = store_url_is_postgres(url) ? store_pg_open(url, opts, &st, err, errlen)
					    : store_sqlite_open(url, opts, &st, err, errlen);
	if (rc)
		return rc;
	rc = opts->migrate ? migrate(st, err, errlen) : 0;
	if (rc) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (st)
		st->drv->close(st);
}

/* --- statements ---------------------------------------------------------- */

struct store_stmt *store_prepare(struct store *st, const char *sql)
{
	struct store_stmt *s = st->drv->prepare(st, sql);
	s->changes = 0;
	return s;
}

void store_bind_int(struct store_stmt *s, int i, int64_t v)
{
	s->st->drv->bind_int(s, i, v);
}

void store_bind_text(struct store_stmt *s, int i, const char *v)
{
	if (v)
		s->st->drv->bind_text(s, i, v, strlen(v));
	else
		s->st->drv->bind_null(s, i);
}

void store_bind_textn(struct store_stmt *s, int i, const char *v, size_t n)
{
	s->st->drv->bind_text(s, i, v, n);
}

void store_bind_blob(struct store_stmt *s, int i, const void *v, size_t n)
{
	s->st->drv->bind_blob(s, i, v, n);
}

void store_bind_null(struct store_stmt *s, int i)
{
	s->st->drv->bind_null(s, i);
}

void store_bind_int_or_null(struct store_stmt *s, int i, int64_t v)
{
	if (v)
		store_bind_int(s, i, v);
	else
		store_bind_null(s, i);
}

/* A failure outside the request: the database unreachable or busy, or its
 * disk full. The client is told 503 and retries. */
static int transient(int rc)
{
	return rc == -ENOTCONN || rc == -EBUSY || rc == -ENOSPC;
}

int store_step(struct store_stmt *s)
{
	int rc = s->st->drv->step(s);
	if (rc < 0 && s->st->in_txn && !s->st->txn_error)
		s->st->txn_error = rc; /* the transaction can no longer commit */
	if (transient(rc))
		s->st->transient++;
	return rc;
}

int store_col_null(struct store_stmt *s, int col) { return s->st->drv->col_null(s, col); }
int64_t store_col_int(struct store_stmt *s, int col) { return s->st->drv->col_int(s, col); }
double store_col_double(struct store_stmt *s, int col) { return s->st->drv->col_double(s, col); }
const char *store_col_text(struct store_stmt *s, int col) { return s->st->drv->col_text(s, col); }
size_t store_col_bytes(struct store_stmt *s, int col) { return s->st->drv->col_bytes(s, col); }
const void *store_col_blob(struct store_stmt *s, int col) { return s->st->drv->col_blob(s, col); }

int64_t store_changes(struct store_stmt *s)
{
	return s->changes;
}

void store_done(struct store_stmt *s)
{
	s->st->drv->done(s);
}

int64_t store_run(struct store_stmt *s)
{
	int rc;
	while ((rc = store_step(s)) == STORE_ROW)
		;
	int64_t n = rc == STORE_DONE ? s->changes : rc;
	store_done(s);
	return n;
}

int store_run_int(struct store_stmt *s, int64_t *out)
{
	int rc = store_step(s), found = rc == STORE_ROW;
	if (found)
		*out = store_col_int(s, 0);
	while (rc == STORE_ROW)
		rc = store_step(s);
	store_done(s);
	return rc < 0 ? rc : found ? 0 : -ENOENT;
}

int store_run_ids(struct store_stmt *s, int64_t **ids, size_t *n)
{
	size_t cap = 0;
	int rc;
	*ids = NULL;
	*n = 0;
	while ((rc = store_step(s)) == STORE_ROW) {
		if (*n == cap)
			*ids = xrealloc(*ids, (cap = cap ? 2 * cap : 16) * sizeof **ids);
		(*ids)[(*n)++] = store_col_int(s, 0);
	}
	store_done(s);
	if (rc < 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc < 0 ? rc : 0;
}

int store_run_exists(struct store_stmt *s)
{
	int rc = store_step(s);
	store_done(s);
	return rc < 0 ? rc : rc == STORE_ROW;
}

/* --- transactions ----------------------------------------------------------- */

static int exec_quiet(struct store *st, const char *sql)
{
	char e[256];
	int rc = st->drv->exec(st, sql, e, sizeof e);
	if (transient(rc))
		st->transient++;
	else if (rc)
		log_warn("store: %s: %s", sql, e);
	return rc;
}

int store_begin(struct store *st)
{
	if (st->in_txn) {
		log_error("store: BEGIN inside a transaction");
		return -EINVAL;
	}
	int rc = st->drv->begin(st);
	if (transient(rc))
		st->transient++;
	if (rc)
		return rc;
	st->in_txn = 1;
	st->txn_error = 0;
	return 0;
}

int store_commit(struct store *st)
{
	if (!st->in_txn)
		return -EINVAL;
	int rc = st->txn_error;
	if (rc) {
		log_warn("store: a statement of this transaction failed (%d); rolled back", rc);
		store_rollback(st);
		return rc;
	}
	rc = exec_quiet(st, "COMMIT");
	if (rc) {
		store_rollback(st);
		return rc;
	}
	st->in_txn = 0;
	return 0;
}

void store_rollback(struct store *st)
{
	if (!st->in_txn)
		return;
	char e[256];
	st->drv->exec(st, "ROLLBACK", e, sizeof e); /* a lost connection rolled back already */
	st->in_txn = 0;
	st->txn_error = 0;
}

int store_in_txn(const struct store *st)
{
	return st->in_txn;
}

/* --- the event log ------------------------------------------------------------ */

int store_event_append(struct store *st, struct event *ev, int64_t community_id)
{
	if (st->drv->event_append)
		return st->drv->event_append(st, ev, community_id);
	/* The head row stays locked until commit: a second writer on the same
	 * channel waits here, so per channel, commit order is seq order. */
	struct store_stmt *s = store_prepare(st,
		"INSERT INTO channels (name, head) VALUES (?1, 1) "
		"ON CONFLICT (name) DO UPDATE SET head = channels.head + 1 RETURNING head");
	store_bind_text(s, 1, ev->ch);
	int rc = store_run_int(s, &ev->seq);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	s = store_prepare(st,
		"INSERT INTO events (channel, seq, type, data, at, community_id) "
		"VALUES (?, ?, ?, ?, ?, ?)");
	store_bind_text(s, 1, ev->ch);
	store_bind_int(s, 2, ev->seq);
	store_bind_text(s, 3, ev->type);
	store_bind_textn(s, 4, ev->data, ev->data_len);
	store_bind_int(s, 5, ev->at);
	if (community_id >= 0)
		store_bind_int(s, 6, community_id);
	else
		store_bind_null(s, 6);
	int64_t n = store_run(s);
	return n < 0 ? (int)n : 0;
}

int store_channel_head(struct store *st, const char *ch, int64_t *head,
		       int64_t *trimmed)
{
	struct store_stmt *s = store_prepare(st, "SELECT head, trimmed FROM channels WHERE name = ?");
	store_bind_text(s, 1, ch);
	int rc = store_step(s);
	*head = *trimmed = 0;
	if (rc == STORE_ROW) {
		*head = store_col_int(s, 0);
		*trimmed = store_col_int(s, 1);
	}
	store_done(s);
	return rc < 0 ? rc : 0;
}

int store_events_after(struct store *st, const char *ch, int64_t since,
		       int limit, store_event_cb cb, void *data)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT seq, type, data, at FROM events "
		"WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?");
	store_bind_text(s, 1, ch);
	store_bind_int(s, 2, since);
	store_bind_int(s, 3, limit);
	int n = 0, rc;
	while ((rc = store_step(s)) == STORE_ROW) {
		struct event ev = {
			.ch = ch,
			.seq = store_col_int(s, 0),
			.type = store_col_text(s, 1),
			.data = store_col_text(s, 2),
			.data_len = store_col_bytes(s, 2),
			.at = store_col_int(s, 3),
		};
		cb(&ev, data);
		n++;
	}
	store_done(s);
	if (rc < 0) {
		log_warn("store: replay %s failed (%d)", ch, rc);
		return rc;
	}
	return n;
}

int store_retention(struct store *st, int64_t now_ms, int64_t max_age_ms,
		    int64_t max_events, int budget)
{
	/* Move each channel's `trimmed` mark first (cheap, per channel), then
	 * delete rows at or below it, a bounded number per call so a large
	 * backlog never holds the write lock for long. */
	if (store_begin(st))
		return -EBUSY;
	struct store_stmt *s = store_prepare(st, st->drv->retention_mark_sql);
	store_bind_int(s, 1, max_events);
	store_bind_int(s, 2, now_ms - max_age_ms);
	store_run(s);
	s = store_prepare(st,
		"DELETE FROM events WHERE (channel, seq) IN ("
		"  SELECT e.channel, e.seq FROM channels c JOIN events e "
		"  ON e.channel = c.name AND e.seq <= c.trimmed LIMIT ?)");
	store_bind_int(s, 1, budget);
	int64_t n = store_run(s);
	int rc = store_commit(st);
	return rc ? rc : (int)n;
}

/* --- search, ids, backups: the driver's ------------------------------------------ */

int store_search_add(struct store *st, int64_t cid, int64_t tid, int64_t pid,
		     const char *text)
{
	return st->drv->search_add(st, cid, tid, pid, text);
}

int store_search_remove(struct store *st, int64_t pid)
{
	return st->drv->search_remove(st, pid);
}

int store_search(struct store *st, int64_t cid, const char *q, int64_t cursor,
		 int limit, int64_t *ids)
{
	struct buf arg = { 0 };
	struct store_stmt *s = store_prepare(st, st->drv->search_sql(q, util_utf8_chars(q), &arg));
	store_bind_text(s, 1, arg.p ? arg.p : "");
	store_bind_int(s, 2, cid);
	store_bind_int(s, 3, cursor);
	store_bind_int(s, 4, limit);
	int n = 0, rc;
	while ((rc = store_step(s)) == STORE_ROW && n < limit)
		ids[n++] = store_col_int(s, 0);
	store_done(s);
	buf_free(&arg);
	return rc < 0 ? rc : n;
}

int store_sync_ids(struct store *st, const char *table)
{
	return st->drv->sync_ids(st, table);
}

int store_backup(struct store *st, const char *path, char *err, size_t errlen)
{
	return st->drv->backup(st, path, err, errlen);
}

/* --- operations ------------------------------------------------------------------ */

static int read_secret(struct store *st, unsigned char out[32])
{
	struct store_stmt *s = store_prepare(st,
		"SELECT value FROM settings WHERE key = 'token_secret'");
	int rc = store_step(s), ok = rc == STORE_ROW && store_col_bytes(s, 0) == 32;
	if (ok)
		memcpy(out, store_col_blob(s, 0), 32);
	store_done(s);
	return rc < 0 ? rc : ok ? 0 : -ENOENT;
}

int store_secret(struct store *st, unsigned char out[32])
{
	int rc = read_secret(st, out);
	if (rc != -ENOENT)
		return rc;
	unsigned char fresh[32];
	if (RAND_bytes(fresh, sizeof fresh) != 1)
		return -EIO;
	/* Insert-if-absent, then read back: a second process starting at the
	 * same moment must end up with the same secret. */
	struct store_stmt *s = store_prepare(st,
		"INSERT INTO settings (key, value) VALUES ('token_secret', ?) "
		"ON CONFLICT (key) DO NOTHING");
	store_bind_blob(s, 1, fresh, sizeof fresh);
	int64_t n = store_run(s);
	if (n < 0)
		return (int)n;
	return read_secret(st, out);
}

int64_t store_transient_failures(const struct store *st)
{
	return st->transient;
}

int store_connection_lost(const struct store *st)
{
	return st->drv->lost && st->drv->lost(st);
}

int store_ping(struct store *st)
{
	struct store_stmt *s = store_prepare(st, "SELECT 1 FROM settings LIMIT 1");
	int rc = store_run_exists(s);
	return rc < 0 ? rc : 0;
}
