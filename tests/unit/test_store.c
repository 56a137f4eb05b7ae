#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"

struct fixture {
	char dir[64];     /* temp folder */
	char path[96];    /* database file in it */
	struct store *st; /* open store */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	strcpy(fx->dir, "/tmp/linli-test-store-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/t.db", fx->dir);
	char err[256];
	if (store_open(fx->path, 1000, &fx->st, err, sizeof err))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	store_close(fx->st);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	if (system(cmd))
		return -1;
	free(fx);
	return 0;
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

static void migrated_and_versioned(void **state)
{
	struct fixture *fx = *state;
	sqlite3_stmt *s = store_stmt(fx->st, "PRAGMA user_version");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), store_schema_version());
	store_stmt_done(s);
	/* A database from a newer binary is refused with a clear message. */
	char sql[64], err[256];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_version() + 1);
	assert_int_equal(sqlite3_exec(store_db(fx->st), sql, NULL, NULL, NULL), SQLITE_OK);
	struct store *other;
	assert_true(store_open(fx->path, 100, &other, err, sizeof err) < 0);
	assert_non_null(strstr(err, "newer than this binary"));
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_version());
	sqlite3_exec(store_db(fx->st), sql, NULL, NULL, NULL);
}

static void secret_is_stable(void **state)
{
	struct fixture *fx = *state;
	unsigned char a[32], b[32];
	assert_int_equal(store_secret(fx->st, a), 0);
	struct store *other;
	char err[256];
	assert_int_equal(store_open(fx->path, 1000, &other, err, sizeof err), 0);
	assert_int_equal(store_secret(other, b), 0);
	assert_memory_equal(a, b, 32);
	store_close(other);
}

static void append_and_replay_in_order(void **state)
{
	struct fixture *fx = *state;
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
	struct fixture *fx = *state;
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

static void two_connections_share_one_sequence(void **state)
{
	struct fixture *fx = *state;
	struct store *other;
	char err[256];
	assert_int_equal(store_open(fx->path, 1000, &other, err, sizeof err), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(append(i % 2 ? other : fx->st, "x:1", "{}", i), i + 1);
	store_close(other);
}

static void retention_by_count_and_age(void **state)
{
	struct fixture *fx = *state;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(migrated_and_versioned, setup, teardown),
		cmocka_unit_test_setup_teardown(secret_is_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(append_and_replay_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_leaves_no_event, setup, teardown),
		cmocka_unit_test_setup_teardown(two_connections_share_one_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_count_and_age, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
