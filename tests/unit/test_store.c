/* store: the same cases against both engines. SQLite always; PostgreSQL
 * when LINLI_TEST_PG_URL names a cluster (tests/run-all.sh starts one):
 * each case gets a database of its own, dropped afterwards. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "store_driver.h"
#include "util.h"

struct fixture {
	enum store_engine engine;
	char dir[64];       /* SQLite: temp folder */
	char url[512];      /* the database: a file path or a URI */
	char dbname[64];    /* PostgreSQL: the database made for this case */
	struct store *st;   /* open store */
};

static const struct store_opts OPTS = { .busy_timeout_ms = 1000, .connect_timeout_ms = 3000,
					.statement_timeout_ms = 10000, .reconnect_min_ms = 100,
					.reconnect_max_ms = 5000, .migrate = 1 };

/* Runs sql on the PostgreSQL cluster's maintenance database. */
static int pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(getenv("LINLI_TEST_PG_URL"));
	int ok = PQstatus(c) == CONNECTION_OK;
	if (ok) {
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return ok ? 0 : -1;
}

static int setup_engine(void **state, enum store_engine engine)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	fx->engine = engine;
	if (engine == STORE_SQLITE) {
		strcpy(fx->dir, "/tmp/linli-test-store-XXXXXX");
		if (!mkdtemp(fx->dir))
			return -1;
		snprintf(fx->url, sizeof fx->url, "%s/t.db", fx->dir);
	} else {
		const char *base = getenv("LINLI_TEST_PG_URL");
		if (!base) {
			free(fx);
			*state = NULL;
			return 0; /* the case skips itself */
		}
		static int n;
		snprintf(fx->dbname, sizeof fx->dbname, "linli_unit_%d_%d", (int)getpid(), ++n);
		char sql[160];
		snprintf(sql, sizeof sql, "CREATE DATABASE %s", fx->dbname);
		if (pg_admin(sql))
			return -1;
		/* The cluster's URL with this database's name instead of its own. */
		snprintf(fx->url, sizeof fx->url, "%s", base);
		char *slash = strrchr(fx->url, '/');
		char *q = strchr(slash, '?');
		char params[256] = "";
		if (q)
			snprintf(params, sizeof params, "%s", q);
		snprintf(slash + 1, sizeof fx->url - (size_t)(slash + 1 - fx->url), "%s%s",
			 fx->dbname, params);
	}
	char err[512];
	if (store_open(fx->url, &OPTS, &fx->st, err, sizeof err)) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int setup_sqlite(void **state) { return setup_engine(state, STORE_SQLITE); }
static int setup_pg(void **state) { return setup_engine(state, STORE_POSTGRES); }

static int teardown(void **state)
{
	struct fixture *fx = *state;
	if (!fx)
		return 0;
	store_close(fx->st);
	int rc = 0;
	if (fx->engine == STORE_SQLITE) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
		rc = system(cmd) ? -1 : 0;
	} else {
		char sql[160];
		snprintf(sql, sizeof sql, "DROP DATABASE %s", fx->dbname);
		rc = pg_admin(sql);
	}
	free(fx);
	return rc;
}

/* The fixture, or a skip when the engine is not available here. */
static struct fixture *fixture(void **state)
{
	if (!*state)
		skip();
	return *state;
}

static int64_t append(struct store *st, const char *ch, const char *data, int64_t at)
{
	struct event ev = { .ch = ch, .type = "t", .data = data, .data_len = strlen(data), .at = at };
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_event_append(st, &ev, -1), 0);
	assert_int_equal(store_commit(st), 0);
	return ev.seq;
}

struct collected {
	int64_t seq[64];
	char data[64][16];
	int n;
};

static void collect(const struct event *ev, void *d)
{
	struct collected *c = d;
	c->seq[c->n] = ev->seq;
	snprintf(c->data[c->n], sizeof c->data[0], "%s", ev->data);
	c->n++;
}

static int64_t one_int(struct store *st, const char *sql)
{
	int64_t v = -1;
	assert_int_equal(store_run_int(store_prepare(st, sql), &v), 0);
	return v;
}

static void exec_ok(struct store *st, const char *sql)
{
	assert_true(store_run(store_prepare(st, sql)) >= 0);
}

/* --- cases ------------------------------------------------------------------ */

static void both_engines_have_the_same_migrations(void **state)
{
	(void)state;
	/* A migration added for one engine only would leave the other behind:
	 * the schema version is one number for both. */
	assert_int_equal(store_sqlite_migrations_count, store_pg_migrations_count);
	for (int i = 0; i < store_sqlite_migrations_count; i++) {
		assert_int_equal(store_sqlite_migrations[i].version, store_pg_migrations[i].version);
		assert_string_equal(store_sqlite_migrations[i].name, store_pg_migrations[i].name);
	}
}

static void migrated_and_versioned(void **state)
{
	struct fixture *fx = fixture(state);
	const char *get = fx->engine == STORE_SQLITE ? "PRAGMA user_version"
						     : "SELECT version FROM linli_schema";
	assert_int_equal(one_int(fx->st, get), store_schema_version());
	/* A database from a newer binary is refused with a clear message. */
	char sql[96], err[256];
	snprintf(sql, sizeof sql, fx->engine == STORE_SQLITE ? "PRAGMA user_version = %d" :
		 "UPDATE linli_schema SET version = %d", store_schema_version() + 1);
	exec_ok(fx->st, sql);
	struct store *other;
	assert_true(store_open(fx->url, &OPTS, &other, err, sizeof err) < 0);
	assert_non_null(strstr(err, "newer than this binary"));
	snprintf(sql, sizeof sql, fx->engine == STORE_SQLITE ? "PRAGMA user_version = %d" :
		 "UPDATE linli_schema SET version = %d", store_schema_version());
	exec_ok(fx->st, sql);
	/* Opening again migrates nothing twice. */
	assert_int_equal(store_open(fx->url, &OPTS, &other, err, sizeof err), 0);
	store_close(other);
}

static void secret_is_stable(void **state)
{
	struct fixture *fx = fixture(state);
	unsigned char a[32], b[32];
	assert_int_equal(store_secret(fx->st, a), 0);
	struct store *other;
	char err[256];
	assert_int_equal(store_open(fx->url, &OPTS, &other, err, sizeof err), 0);
	assert_int_equal(store_secret(other, b), 0);
	assert_memory_equal(a, b, 32);
	store_close(other);
}

static void append_and_replay_in_order(void **state)
{
	struct fixture *fx = fixture(state);
	assert_int_equal(append(fx->st, "thread:1", "{\"i\":1}", 10), 1);
	assert_int_equal(append(fx->st, "thread:2", "{\"i\":9}", 10), 1);
	assert_int_equal(append(fx->st, "thread:1", "{\"i\":2}", 11), 2);
	assert_int_equal(append(fx->st, "thread:1", "{\"i\":3}", 12), 3);
	struct collected c = { .n = 0 };
	assert_int_equal(store_events_after(fx->st, "thread:1", 1, 100, collect, &c), 2);
	assert_int_equal(c.seq[0], 2);
	assert_int_equal(c.seq[1], 3);
	assert_string_equal(c.data[1], "{\"i\":3}");
	c.n = 0;
	assert_int_equal(store_events_after(fx->st, "thread:1", 0, 2, collect, &c), 2);
	assert_int_equal(c.seq[1], 2);
	int64_t head, trimmed;
	assert_int_equal(store_channel_head(fx->st, "thread:1", &head, &trimmed), 0);
	assert_int_equal(head, 3);
	assert_int_equal(trimmed, 0);
	assert_int_equal(store_channel_head(fx->st, "never:1", &head, &trimmed), 0);
	assert_int_equal(head, 0);
}

static void rollback_leaves_no_event(void **state)
{
	struct fixture *fx = fixture(state);
	append(fx->st, "c:1", "{}", 1);
	struct event ev = { .ch = "c:1", .type = "t", .data = "{}", .data_len = 2, .at = 1 };
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_event_append(fx->st, &ev, 3), 0);
	assert_int_equal(ev.seq, 2);
	store_rollback(fx->st);
	int64_t head, trimmed;
	store_channel_head(fx->st, "c:1", &head, &trimmed);
	assert_int_equal(head, 1);
	/* The seq is handed out again: no gap for subscribers. */
	assert_int_equal(append(fx->st, "c:1", "{}", 2), 2);
}

static void a_failed_statement_fails_the_commit(void **state)
{
	struct fixture *fx = fixture(state);
	exec_ok(fx->st, "INSERT INTO users (id, display_name, created_at) VALUES (1, 'a', 0)");
	assert_int_equal(store_begin(fx->st), 0);
	exec_ok(fx->st, "INSERT INTO users (id, display_name, created_at) VALUES (2, 'b', 0)");
	/* A duplicate key, and the caller does not even look at the result. */
	struct store_stmt *s = store_prepare(fx->st,
		"INSERT INTO users (id, display_name, created_at) VALUES (1, 'again', 0)");
	assert_int_equal(store_step(s), -EEXIST);
	store_done(s);
	assert_int_equal(store_commit(fx->st), -EEXIST);
	assert_false(store_in_txn(fx->st));
	/* Nothing of it stayed: user 2 is not there. */
	assert_int_equal(one_int(fx->st, "SELECT count(*) FROM users"), 1);
	/* And the connection is fine for the next transaction. */
	assert_int_equal(store_begin(fx->st), 0);
	exec_ok(fx->st, "INSERT INTO users (id, display_name, created_at) VALUES (2, 'b', 0)");
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(one_int(fx->st, "SELECT count(*) FROM users"), 2);
}

static void shared_sql_reads_the_same(void **state)
{
	struct fixture *fx = fixture(state);
	/* RETURNING for ids, ?N and ? placeholders, booleans as 0/1, NULLs,
	 * blobs, ON CONFLICT DO NOTHING counting no change. */
	struct store_stmt *s = store_prepare(fx->st,
		"INSERT INTO users (display_name, created_at, phone) VALUES (?, ?, ?) RETURNING id");
	store_bind_text(s, 1, "鄰里");
	store_bind_int(s, 2, 1234567890123);
	store_bind_text(s, 3, NULL);
	int64_t id = 0;
	assert_int_equal(store_run_int(s, &id), 0);
	assert_true(id > 0);
	s = store_prepare(fx->st,
		"SELECT display_name, created_at, phone IS NULL, ?2 = 0 OR id = ?1, phone "
		"FROM users WHERE id = ?1");
	store_bind_int(s, 1, id);
	store_bind_int(s, 2, 7);
	assert_int_equal(store_step(s), STORE_ROW);
	assert_string_equal(store_col_text(s, 0), "鄰里");
	assert_int_equal(store_col_bytes(s, 0), strlen("鄰里"));
	assert_int_equal(store_col_int(s, 1), 1234567890123);
	assert_int_equal(store_col_int(s, 2), 1);
	assert_int_equal(store_col_int(s, 3), 1);
	assert_true(store_col_null(s, 4));
	assert_null(store_col_text(s, 4));
	assert_int_equal(store_step(s), STORE_DONE);
	store_done(s);
	const unsigned char blob[4] = { 0, 0xff, '\\', 'x' };
	s = store_prepare(fx->st, "INSERT INTO settings (key, value) VALUES ('b', ?) "
			  "ON CONFLICT (key) DO NOTHING");
	store_bind_blob(s, 1, blob, sizeof blob);
	assert_int_equal(store_run(s), 1);
	s = store_prepare(fx->st, "INSERT INTO settings (key, value) VALUES ('b', ?) "
			  "ON CONFLICT (key) DO NOTHING");
	store_bind_blob(s, 1, blob, sizeof blob);
	assert_int_equal(store_run(s), 0);
	s = store_prepare(fx->st, "SELECT value FROM settings WHERE key = 'b'");
	assert_int_equal(store_step(s), STORE_ROW);
	assert_int_equal(store_col_bytes(s, 0), 4);
	assert_memory_equal(store_col_blob(s, 0), blob, 4);
	store_done(s);
	/* The drivers' functions. */
	assert_int_equal(one_int(fx->st, "SELECT linli_json_has('[\"a\",\"停水\"]', '停水')"), 1);
	assert_int_equal(one_int(fx->st, "SELECT linli_json_has('[\"a\"]', 'b')"), 0);
	s = store_prepare(fx->st, "SELECT linli_month_cn(?)");
	store_bind_int(s, 1, 1769875200000LL - 1); /* 2026-01-31T15:59:59.999Z */
	assert_int_equal(store_step(s), STORE_ROW);
	assert_string_equal(store_col_text(s, 0), "2026-01");
	store_done(s);
	s = store_prepare(fx->st, "SELECT linli_month_cn(?)");
	store_bind_int(s, 1, 1769875200000LL); /* midnight in China: February */
	assert_int_equal(store_step(s), STORE_ROW);
	assert_string_equal(store_col_text(s, 0), "2026-02");
	store_done(s);
}

static void explicit_ids_then_generated_ones(void **state)
{
	struct fixture *fx = fixture(state);
	exec_ok(fx->st, "INSERT INTO users (id, display_name, created_at) VALUES (100000, 'm', 0)");
	assert_int_equal(store_sync_ids(fx->st, "users"), 0);
	int64_t id = one_int(fx->st,
		"INSERT INTO users (display_name, created_at) VALUES ('r', 0) RETURNING id");
	assert_int_equal(id, 100001);
}

static int64_t search1(struct store *st, int64_t cid, const char *q, int64_t *ids)
{
	return store_search(st, cid, q, 0, 10, ids);
}

static void search_finds_substrings_in_chinese(void **state)
{
	struct fixture *fx = fixture(state);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_search_add(fx->st, 1, 10, 0, "停水通知\n明天上午小区停水检修"), 0);
	assert_int_equal(store_search_add(fx->st, 1, 11, 0, "电梯维修"), 0);
	assert_int_equal(store_search_add(fx->st, 1, 11, 5, "三号楼电梯周五维修 Lift"), 0);
	assert_int_equal(store_search_add(fx->st, 2, 12, 0, "和平里停水"), 0);
	assert_int_equal(store_commit(fx->st), 0);
	int64_t ids[10];
	assert_int_equal(search1(fx->st, 1, "停水", ids), 1);
	assert_int_equal(ids[0], 10);
	assert_int_equal(search1(fx->st, 1, "周五", ids), 1);
	assert_int_equal(ids[0], 11);
	assert_int_equal(search1(fx->st, 1, "小区停水检修", ids), 1);
	assert_int_equal(search1(fx->st, 1, "水", ids), 1);
	assert_int_equal(search1(fx->st, 1, "维修", ids), 1);
	assert_int_equal(search1(fx->st, 1, "lift", ids), 1);      /* ASCII case */
	assert_int_equal(search1(fx->st, 1, "电梯修", ids), 0);    /* not a substring */
	assert_int_equal(search1(fx->st, 1, "停水%", ids), 0);     /* no wildcards */
	assert_int_equal(search1(fx->st, 1, "停\" OR \"电", ids), 0); /* no syntax */
	assert_int_equal(search1(fx->st, 2, "电梯", ids), 0);       /* other community */
	/* Newest first, below a cursor. */
	assert_int_equal(store_search_add(fx->st, 1, 13, 0, "停水再通知"), 0);
	assert_int_equal(search1(fx->st, 1, "停水", ids), 2);
	assert_int_equal(ids[0], 13);
	assert_int_equal(store_search(fx->st, 1, "停水", 13, 10, ids), 1);
	assert_int_equal(ids[0], 10);
	/* A post's text goes; the thread's own stays. */
	assert_int_equal(store_search_remove(fx->st, 5), 0);
	assert_int_equal(search1(fx->st, 1, "周五", ids), 0);
	assert_int_equal(search1(fx->st, 1, "电梯", ids), 1);
}

/* PostgreSQL only: with the test cluster's UTF-8 ctype pg_trgm sees
 * trigrams in Chinese (with C it sees none, and every search scans:
 * PLATFORM-NOTES), and queries of the driver's two indexed shapes can be
 * served by their indexes rather than a scan. */
static int plan_uses(struct store *st, const char *sql, const char *index)
{
	struct store_stmt *s = store_prepare(st, sql);
	int found = 0, rc;
	while ((rc = store_step(s)) == STORE_ROW)
		found |= strstr(store_col_text(s, 0), index) != NULL;
	store_done(s);
	assert_int_equal(rc, STORE_DONE);
	return found;
}

static void postgres_search_uses_its_indexes(void **state)
{
	struct fixture *fx = fixture(state);
	if (fx->engine != STORE_POSTGRES)
		skip();
	assert_true(one_int(fx->st, "SELECT cardinality(show_trgm('停水检修'))") > 0);
	assert_int_equal(store_search_add(fx->st, 1, 10, 0, "停水通知 明天上午小区停水检修"), 0);
	exec_ok(fx->st, "SET enable_seqscan = off");
	assert_true(plan_uses(fx->st, "EXPLAIN SELECT DISTINCT thread_id FROM search_docs "
		"WHERE text ILIKE '%停水检修%' AND community_id = 1", "search_docs_trgm"));
	assert_true(plan_uses(fx->st, "EXPLAIN SELECT DISTINCT thread_id FROM search_docs "
		"WHERE bigrams @> array_remove(string_to_array('停水 ', ' '), '') AND community_id = 1",
		"search_docs_bigrams"));
	exec_ok(fx->st, "RESET enable_seqscan");
}

static void two_connections_share_one_sequence(void **state)
{
	struct fixture *fx = fixture(state);
	struct store *other;
	char err[256];
	assert_int_equal(store_open(fx->url, &OPTS, &other, err, sizeof err), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(append(i % 2 ? other : fx->st, "x:1", "{}", i), i + 1);
	store_close(other);
}

/* Writers on one channel from several connections at once: every seq is
 * handed out once, and a seq is readable only once every smaller one is
 * (commit order is seq order), so a reader never sees a gap it would have
 * to skip. */
struct writer { const char *url; int n; int failed; };

static void *write_many(void *arg)
{
	struct writer *w = arg;
	struct store *st;
	char err[256];
	if (store_open(w->url, &OPTS, &st, err, sizeof err)) {
		w->failed = 1;
		return NULL;
	}
	for (int i = 0; i < w->n; i++) {
		struct event ev = { .ch = "hot:1", .type = "t", .data = "{}", .data_len = 2, .at = i };
		if (store_begin(st) || store_event_append(st, &ev, -1)) {
			w->failed = 1;
			store_rollback(st);
			continue;
		}
		usleep(100); /* widen the window between taking a seq and committing */
		if (store_commit(st))
			w->failed = 1;
	}
	store_close(st);
	return NULL;
}

struct gapless { int64_t last; int gaps; };

static void check_gapless(const struct event *ev, void *data)
{
	struct gapless *g = data;
	if (ev->seq != g->last + 1)
		g->gaps++;
	g->last = ev->seq;
}

static void concurrent_writers_commit_in_seq_order(void **state)
{
	struct fixture *fx = fixture(state);
	enum { WRITERS = 4, EACH = 50 };
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .url = fx->url, .n = EACH };
		pthread_create(&th[i], NULL, write_many, &w[i]);
	}
	/* Meanwhile: whatever prefix of the log is visible has no hole. */
	int64_t seen = 0;
	for (int round = 0; round < 200 && seen < WRITERS * EACH; round++) {
		struct gapless g = { 0, 0 };
		int n = store_events_after(fx->st, "hot:1", 0, 100000, check_gapless, &g);
		assert_true(n >= 0);
		assert_int_equal(g.gaps, 0);
		seen = g.last;
		usleep(2000);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		assert_false(w[i].failed);
	}
	int64_t head, trimmed;
	store_channel_head(fx->st, "hot:1", &head, &trimmed);
	assert_int_equal(head, WRITERS * EACH);
	assert_int_equal(one_int(fx->st, "SELECT count(DISTINCT seq) FROM events WHERE channel = 'hot:1'"),
			 WRITERS * EACH);
}

static void retention_by_count_and_age(void **state)
{
	struct fixture *fx = fixture(state);
	for (int i = 1; i <= 20; i++)
		append(fx->st, "a:1", "{}", 1000 + i);
	for (int i = 1; i <= 5; i++)
		append(fx->st, "b:1", "{}", 5000 + i);
	/* Keep 8 per channel; nothing is older than the age limit. */
	assert_int_equal(store_retention(fx->st, 6000, 100000, 8, 1000), 12);
	int64_t head, trimmed;
	store_channel_head(fx->st, "a:1", &head, &trimmed);
	assert_int_equal(head, 20);
	assert_int_equal(trimmed, 12);
	struct collected c = { .n = 0 };
	assert_int_equal(store_events_after(fx->st, "a:1", 0, 100, collect, &c), 8);
	assert_int_equal(c.seq[0], 13);
	/* Now by age: everything of a:1 (at <= 1020) is older than 6000-4000. */
	assert_int_equal(store_retention(fx->st, 6000, 4000, 8, 1000), 8);
	store_channel_head(fx->st, "a:1", &head, &trimmed);
	assert_int_equal(trimmed, 20);
	store_channel_head(fx->st, "b:1", &head, &trimmed);
	assert_int_equal(trimmed, 0);
	/* A budget bounds each run; the rest goes next time. */
	for (int i = 1; i <= 10; i++)
		append(fx->st, "b:1", "{}", 1);
	assert_int_equal(store_retention(fx->st, 6000, 100000, 2, 4), 4);
	assert_int_equal(store_retention(fx->st, 6000, 100000, 2, 100), 9);
	/* Seqs keep counting after a trim. */
	assert_int_equal(append(fx->st, "a:1", "{}", 7000), 21);
}

static void backup_is_a_whole_database(void **state)
{
	struct fixture *fx = fixture(state);
	char path[600], err[256];
	snprintf(path, sizeof path, "%s-copy", fx->url);
	if (fx->engine == STORE_POSTGRES) {
		assert_int_equal(store_backup(fx->st, path, err, sizeof err), -ENOTSUP);
		assert_non_null(strstr(err, "pg_dump"));
		return;
	}
	for (int i = 0; i < 30; i++)
		append(fx->st, "k:1", "{\"some\":\"data\"}", i);
	assert_int_equal(store_backup(fx->st, path, err, sizeof err), 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 30);
	sqlite3_finalize(s);
	sqlite3_close(db);
	/* The copy opens as a store of the same version. */
	struct store *copy;
	assert_int_equal(store_open(path, &OPTS, &copy, err, sizeof err), 0);
	store_close(copy);
}

#define BOTH(fn) cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown), \
		 cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
	store_global_init();
	log_min_level = LOG_WARN;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_engines_have_the_same_migrations),
		BOTH(migrated_and_versioned),
		BOTH(secret_is_stable),
		BOTH(append_and_replay_in_order),
		BOTH(rollback_leaves_no_event),
		BOTH(a_failed_statement_fails_the_commit),
		BOTH(shared_sql_reads_the_same),
		BOTH(explicit_ids_then_generated_ones),
		BOTH(search_finds_substrings_in_chinese),
		BOTH(postgres_search_uses_its_indexes),
		BOTH(two_connections_share_one_sequence),
		BOTH(concurrent_writers_commit_in_seq_order),
		BOTH(retention_by_count_and_age),
		BOTH(backup_is_a_whole_database),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
