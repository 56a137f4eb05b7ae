/* store_sqlite: the SQLite driver (a file path; WAL mode, so several
 * processes on one host may share the file). */
#include "store_driver.h"
#include "map.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <sqlite3.h>

struct sq_store {
	struct store base;
	sqlite3 *db;        /* the connection */
	struct map stmts;   /* SQL text -> struct sq_stmt*, prepared once */
};

struct sq_stmt {
	struct store_stmt base;
	sqlite3_stmt *s;
};

#define SQ(st) ((struct sq_store *)(st))
#define SS(s) (((struct sq_stmt *)(s))->s)

/* Says so at most once a minute: every write fails alike meanwhile. */
static void disk_full_warn(const char *file)
{
	static _Atomic int64_t last_ms;
	int64_t now = util_now_ms(), was = atomic_load(&last_ms);
	if (now - was >= 60000 && atomic_compare_exchange_strong(&last_ms, &was, now))
		log_warn("store: the disk of %s is full: writes answer 503 until space is freed", file);
}

static int exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(SQ(st)->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		if (rc == SQLITE_FULL)
			disk_full_warn(sqlite3_db_filename(SQ(st)->db, "main"));
		return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : rc == SQLITE_FULL ? -ENOSPC : -EIO;
	}
	return 0;
}

static void sq_close(struct store *st)
{
	struct sq_store *q = SQ(st);
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&q->stmts, &i, &k, &v);) {
		sqlite3_finalize(((struct sq_stmt *)v)->s);
		free(v);
	}
	map_free(&q->stmts);
	if (q->db && sqlite3_close(q->db) != SQLITE_OK)
		log_error("store: close: %s", sqlite3_errmsg(q->db));
	free(q);
}

static struct store_stmt *sq_prepare(struct store *st, const char *sql)
{
	struct sq_store *q = SQ(st);
	struct sq_stmt *s = map_get(&q->stmts, sql);
	if (s)
		return &s->base;
	s = xcalloc(1, sizeof *s);
	s->base.st = st;
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->s, NULL)) {
		log_error("store: prepare failed: %s: %s", sqlite3_errmsg(q->db), sql);
		abort();
	}
	map_put(&q->stmts, sql, s);
	return &s->base;
}

static void sq_bind_int(struct store_stmt *s, int i, int64_t v) { sqlite3_bind_int64(SS(s), i, v); }
static void sq_bind_null(struct store_stmt *s, int i) { sqlite3_bind_null(SS(s), i); }

static void sq_bind_text(struct store_stmt *s, int i, const char *v, size_t n)
{
	sqlite3_bind_text(SS(s), i, v, (int)n, SQLITE_STATIC);
}

static void sq_bind_blob(struct store_stmt *s, int i, const void *v, size_t n)
{
	sqlite3_bind_blob(SS(s), i, v, (int)n, SQLITE_STATIC);
}

static int sq_step(struct store_stmt *s)
{
	sqlite3 *db = SQ(s->st)->db;
	int rc = sqlite3_step(SS(s));
	if (rc == SQLITE_ROW)
		return STORE_ROW;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_changes64(db);
		return STORE_DONE;
	}
	int ext = sqlite3_extended_errcode(db);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return -EBUSY;
	if (rc == SQLITE_FULL) {
		disk_full_warn(sqlite3_db_filename(db, "main"));
		return -ENOSPC; /* the disk: outside the request (503) */
	}
	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return -EEXIST;
	log_warn("store: %s: %s", sqlite3_errmsg(db), sqlite3_sql(SS(s)));
	return -EIO;
}

static int sq_col_null(struct store_stmt *s, int c) { return sqlite3_column_type(SS(s), c) == SQLITE_NULL; }
static int64_t sq_col_int(struct store_stmt *s, int c) { return sqlite3_column_int64(SS(s), c); }
static double sq_col_double(struct store_stmt *s, int c) { return sqlite3_column_double(SS(s), c); }
static const char *sq_col_text(struct store_stmt *s, int c) { return (const char *)sqlite3_column_text(SS(s), c); }
static size_t sq_col_bytes(struct store_stmt *s, int c) { return (size_t)sqlite3_column_bytes(SS(s), c); }
static const void *sq_col_blob(struct store_stmt *s, int c) { return sqlite3_column_blob(SS(s), c); }

static void sq_done(struct store_stmt *s)
{
	/* Always reset: an un-reset SELECT holds a read transaction and stops
	 * checkpoints (PLATFORM-NOTES). */
	sqlite3_reset(SS(s));
	sqlite3_clear_bindings(SS(s));
}

static int sq_begin(struct store *st)
{
	char e[256];
	int rc = exec(st, "BEGIN IMMEDIATE", e, sizeof e);
	if (rc && rc != -EBUSY)
		log_warn("store: BEGIN IMMEDIATE: %s", e);
	return rc;
}

/* --- migrations ------------------------------------------------------------ */

static int user_version(struct sq_store *q, int *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &s, NULL))
		return -EIO;
	int rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

static int sq_migrate_begin(struct store *st, int *version, char *err, size_t errlen)
{
	/* Foreign keys off while a migration runs (it is a no-op inside a
	 * transaction, so before BEGIN): a migration that rebuilds a table
	 * other tables refer to (SQLite's only way to change a CHECK) would
	 * otherwise fail on DROP TABLE. sq_set_version checks every key before
	 * the commit and sq_migrate_end turns them on again. BEGIN IMMEDIATE
	 * first, then read the version: two processes starting on a fresh file
	 * must not both apply 0001. */
	int rc = exec(st, "PRAGMA foreign_keys=OFF", err, errlen);
	if (!rc)
		rc = exec(st, "BEGIN IMMEDIATE", err, errlen);
	if (rc)
		return rc;
	if (user_version(SQ(st), version)) {
		exec(st, "ROLLBACK", err, errlen);
		snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(SQ(st)->db));
		return -EIO;
	}
	return 0;
}

static int sq_set_version(struct store *st, int version, char *err, size_t errlen)
{
	sqlite3_stmt *check;
	if (sqlite3_prepare_v2(SQ(st)->db, "PRAGMA foreign_key_check", -1, &check, NULL)) {
		snprintf(err, errlen, "foreign_key_check: %s", sqlite3_errmsg(SQ(st)->db));
		return -EIO;
	}
	int rc = sqlite3_step(check);
	if (rc == SQLITE_ROW)
		snprintf(err, errlen, "the migration leaves a row of %s whose foreign key names nothing",
			 (const char *)sqlite3_column_text(check, 0));
	else if (rc != SQLITE_DONE)
		snprintf(err, errlen, "foreign_key_check: %s", sqlite3_errmsg(SQ(st)->db));
	sqlite3_finalize(check);
	if (rc != SQLITE_DONE)
		return -EIO;
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version);
	return exec(st, pragma, err, errlen);
}

static int sq_migrate_end(struct store *st, char *err, size_t errlen)
{
	return exec(st, "PRAGMA foreign_keys=ON", err, errlen);
}

/* --- SQL functions the shared SQL and the migrations use -------------------------- */

/* linli_bigrams(text): util_bigrams, for migration 0004's reindexing. */
static void fn_bigrams(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	struct buf b = { 0 };
	util_bigrams(text ? text : "", &b);
	sqlite3_result_text(ctx, b.p ? b.p : "", b.p ? (int)b.len : 0, SQLITE_TRANSIENT);
	buf_free(&b);
}

/* linli_json_has(list, value): 1 when the JSON array text list holds the
 * string value, else 0 (NULL arguments: 0). */
static void fn_json_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *list = (const char *)sqlite3_value_text(argv[0]);
	const char *v = (const char *)sqlite3_value_text(argv[1]);
	int found = 0;
	json_t *a = list && v ? json_loads(list, 0, NULL) : NULL;
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
		if (json_is_string(e) && !strcmp(json_string_value(e), v)) {
			found = 1;
			break;
		}
	json_decref(a);
	sqlite3_result_int(ctx, found);
}

/* linli_month_cn(ms): "YYYY-MM" of a time in China (UTC+8, no DST). */
static void fn_month_cn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	time_t t = (time_t)(sqlite3_value_int64(argv[0]) / 1000 + 8 * 3600);
	struct tm tm;
	char out[32];
	gmtime_r(&t, &tm);
	snprintf(out, sizeof out, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* --- search ------------------------------------------------------------------ */

static int sq_search_add(struct store *st, int64_t cid, int64_t tid, int64_t pid,
			 const char *text)
{
	/* The trigram index (3+ characters) and the bigram one (2). */
	static const char *const sql[] = {
		"INSERT INTO search_fts (text, community_id, thread_id, post_id) VALUES (?1, ?2, ?3, ?4)",
		"INSERT INTO search_bi (text, community_id, thread_id, post_id) "
		"VALUES (linli_bigrams(?1), ?2, ?3, ?4)",
	};
	for (int i = 0; i < 2; i++) {
		struct store_stmt *s = store_prepare(st, sql[i]);
		store_bind_text(s, 1, text);
		store_bind_int(s, 2, cid);
		store_bind_int(s, 3, tid);
		store_bind_int(s, 4, pid);
		int64_t rc = store_run(s);
		if (rc < 0)
			return (int)rc;
	}
	return 0;
}

static int sq_search_remove(struct store *st, int64_t pid)
{
	static const char *const sql[] = {
		"DELETE FROM search_fts WHERE post_id = ? AND post_id != 0",
		"DELETE FROM search_bi WHERE post_id = ? AND post_id != 0",
	};
	for (int i = 0; i < 2; i++) {
		struct store_stmt *s = store_prepare(st, sql[i]);
		store_bind_int(s, 1, pid);
		int64_t rc = store_run(s);
		if (rc < 0)
			return (int)rc;
	}
	return 0;
}

static const char *sq_search_sql(const char *q, size_t chars, struct buf *arg)
{
	/* Three or more characters: the trigram index. Two: the bigram index
	 * (the query's own pair, as a phrase). One: a substring scan (FTS5
	 * trigram MATCH finds nothing under three characters, and LIKE on the
	 * FTS table misses CJK: PLATFORM-NOTES). */
	if (chars < 2) {
		buf_puts(arg, q);
		return "SELECT DISTINCT thread_id FROM search_fts WHERE instr(text, ?1) > 0 "
		       "AND community_id = ?2 AND (?3 = 0 OR thread_id < ?3) ORDER BY thread_id DESC LIMIT ?4";
	}
	/* One phrase: the query's own quotes doubled, no FTS syntax. */
	struct buf pairs = { 0 };
	if (chars == 2)
		util_bigrams(q, &pairs);
	const char *phrase = chars == 2 ? (pairs.p ? pairs.p : "") : q;
	buf_puts(arg, "\"");
	for (const char *c = phrase; *c; c++) {
		if (*c == '"')
			buf_puts(arg, "\"\"");
		else
			buf_append(arg, c, 1);
	}
	buf_puts(arg, "\"");
	buf_free(&pairs);
	return chars == 2 ?
		"SELECT DISTINCT thread_id FROM search_bi WHERE search_bi MATCH ?1 "
		"AND community_id = ?2 AND (?3 = 0 OR thread_id < ?3) ORDER BY thread_id DESC LIMIT ?4" :
		"SELECT DISTINCT thread_id FROM search_fts WHERE search_fts MATCH ?1 "
		"AND community_id = ?2 AND (?3 = 0 OR thread_id < ?3) ORDER BY thread_id DESC LIMIT ?4";
}

/* --- ids, backup ---------------------------------------------------------------------------- */

static int sq_sync_ids(struct store *st, const char *table)
{
	(void)st;
	(void)table; /* a rowid table always continues above its largest id */
	return 0;
}

static int sq_backup(struct store *st, const char *path, char *err, size_t errlen)
{
	/* Into a temporary file, renamed when complete: a crash mid-copy never
	 * leaves a half file under the name asked for. One step copies every
	 * page inside one read transaction, so the copy is the database as of
	 * one moment; in WAL mode writers go on meanwhile. */
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
	unlink(tmp);
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", SQ(st)->db, "main") : NULL;
	if (b) {
		do {
			rc = sqlite3_backup_step(b, -1);
			if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
				sqlite3_sleep(50);
		} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
		sqlite3_backup_finish(b);
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", tmp, dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		sqlite3_close(dst);
		unlink(tmp);
		return -EIO;
	}
	/* The copy is a plain rollback-journal file: self-contained. */
	char *msg = NULL;
	rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, &msg);
	sqlite3_free(msg);
	if (sqlite3_close(dst) != SQLITE_OK || rc != SQLITE_OK || rename(tmp, path)) {
		snprintf(err, errlen, "%s: could not finish the copy", path);
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

static const struct store_driver driver = {
	.engine = STORE_SQLITE,
	.close = sq_close,
	.prepare = sq_prepare,
	.bind_int = sq_bind_int,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.col_null = sq_col_null,
	.col_int = sq_col_int,
	.col_double = sq_col_double,
	.col_text = sq_col_text,
	.col_bytes = sq_col_bytes,
	.col_blob = sq_col_blob,
	.done = sq_done,
	.exec = exec,
	.begin = sq_begin,
	.migrate_begin = sq_migrate_begin,
	.set_version = sq_set_version,
	.migrate_end = sq_migrate_end,
	.search_add = sq_search_add,
	.search_remove = sq_search_remove,
	.search_sql = sq_search_sql,
	.retention_mark_sql =
		"UPDATE channels SET trimmed = t FROM ("
		"  SELECT name AS n, max(trimmed, head - ?1, coalesce("
		"    (SELECT max(seq) FROM events e"
		"     WHERE e.channel = c.name AND e.seq > c.trimmed AND e.at < ?2), 0)) AS t"
		"  FROM channels c) WHERE name = n AND t > trimmed",
	.sync_ids = sq_sync_ids,
	.backup = sq_backup,
};

int store_sqlite_open(const char *path, const struct store_opts *opts, struct store **out,
		      char *err, size_t errlen)
{
	struct sq_store *q = xcalloc(1, sizeof *q);
	q->base.drv = &driver;
	map_init(&q->stmts);
	int rc = sqlite3_open_v2(path, &q->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);
	char e[512];
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, opts->busy_timeout_ms);
	static const struct { const char *name; int nargs; void (*fn)(sqlite3_context *, int, sqlite3_value **); } fns[] = {
		{ "linli_bigrams", 1, fn_bigrams },
		{ "linli_json_has", 2, fn_json_has },
		{ "linli_month_cn", 1, fn_month_cn },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		sqlite3_create_function(q->db, fns[i].name, fns[i].nargs,
					SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
					fns[i].fn, NULL, NULL);
	/* A file that is not a database fails here, on the first read. */
	if (exec(&q->base, "PRAGMA journal_mode=WAL", e, sizeof e)) {
		snprintf(err, errlen, "%s: not a usable SQLite database: %s", path, e);
		goto fail;
	}
	if (exec(&q->base, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", e, sizeof e)) {
		snprintf(err, errlen, "%s: %s", path, e);
		goto fail;
	}
	*out = &q->base;
	return 0;
fail:
	sq_close(&q->base);
	return -EIO;
}
