/* access: who may subscribe to which channel, publish where, and act as
 * what, decided from the database (a SQLite store of its own). */
#include <errno.h>
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
#include "../../handlers/access.h"

static const struct store_opts OPTS = { .busy_timeout_ms = 1000, .connect_timeout_ms = 3000,
					.statement_timeout_ms = 10000, .reconnect_min_ms = 100,
					.reconnect_max_ms = 5000, .migrate = 1 };
static char dir[] = "/tmp/linli-test-access-XXXXXX";
static struct store *st;

static void sql(const char *q)
{
	struct store_stmt *s = store_prepare(st, q);
	assert_true(store_run(s) >= 0);
}

/* users 1 (admin), 2 (staff of A), 3 (resident of A), 4 (resident of B),
 * 5 (nobody's member); communities A = 1, B = 2; thread 10 in A; session
 * 7 of user 3 revoked, session 8 live. */
static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/a.db", dir);
	if (store_open(path, &OPTS, &st, err, sizeof err))
		return -1;
	sql("INSERT INTO users (id, display_name, is_admin, created_at) VALUES "
	    "(1, 'admin', 1, 0), (2, 'staff', 0, 0), (3, 'res', 0, 0), (4, 'resB', 0, 0), (5, 'none', 0, 0)");
	sql("INSERT INTO communities (id, name, created_by, created_at) VALUES (1, 'A', 1, 0), (2, 'B', 1, 0)");
	sql("INSERT INTO memberships (community_id, user_id, role, joined_at) VALUES "
	    "(1, 2, 'staff', 0), (1, 3, 'resident', 0), (2, 4, 'resident', 0)");
	sql("INSERT INTO threads (id, community_id, kind, title, body, author_id, created_at, updated_at) "
	    "VALUES (10, 1, 'discussion', 't', 'b', 3, 0, 0)");
	sql("INSERT INTO sessions (id, user_id, refresh_hash, created_at, refreshed_at, revoked_at) VALUES "
	    "(7, 3, x'01', 0, 0, 5), (8, 3, x'02', 0, 0, NULL)");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static struct principal who(int64_t uid)
{
	struct principal p = { 0 };
	if (uid)
		assert_int_equal(access_load_principal(st, uid, 0, &p), 0);
	return p;
}

static void channel_names(void **state)
{
	(void)state;
	static const char *const good[] = { "thread:42", "user:7", "a:b", "mod_x:A-9_z" };
	static const char *const bad[] = { "", ":1", "thread:", "Thread:1", "thread 1", "thread:1:2",
					   "thread:é", "1thread:2",
					   "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk:1" /* kind of 33 */ };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(access_channel_valid(good[i]), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(access_channel_valid(bad[i]), -EINVAL);
	char id63[80], id64[80];
	snprintf(id63, sizeof id63, "x:%063d", 0);
	snprintf(id64, sizeof id64, "x:%064d", 0);
	assert_int_equal(access_channel_valid(id63), 0);
	assert_int_equal(access_channel_valid(id64), -EINVAL);
}

static void who_may_subscribe(void **state)
{
	(void)state;
	static const struct { int64_t uid; const char *ch; int ok; } cases[] = {
		{ 0, "user:3", 0 },          /* not authenticated */
		{ 1, "mod:2", 1 },           /* admin: anything */
		{ 1, "weird:1", 1 },
		{ 3, "user:3", 1 },          /* own inbox */
		{ 3, "user:4", 0 },
		{ 3, "community:1", 1 },     /* member */
		{ 3, "help:1", 1 },
		{ 3, "community:2", 0 },     /* another community */
		{ 4, "help:1", 0 },
		{ 3, "mod:1", 0 },           /* residents are not staff */
		{ 2, "mod:1", 1 },
		{ 2, "mod:2", 0 },
		{ 3, "thread:10", 1 },       /* its community's members */
		{ 4, "thread:10", 0 },
		{ 3, "thread:11", 0 },       /* no such thread */
		{ 5, "community:1", 0 },
		{ 3, "community:x", 0 },     /* not a numeric id */
		{ 3, "unknown:1", 0 },       /* no such kind */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct principal p = who(cases[i].uid);
		const char *why = NULL;
		int rc = access_channel_sub(st, &p, cases[i].ch, &why);
		if ((rc == 0) != cases[i].ok)
			fail_msg("user %lld on %s: %d (%s)", (long long)cases[i].uid, cases[i].ch, rc,
				 why ? why : "");
		if (rc)
			assert_non_null(why);
	}
}

static void who_may_publish(void **state)
{
	(void)state;
	const char *why = NULL;
	struct principal admin = who(1), staff = who(2), res = who(3);
	assert_int_equal(access_channel_publish(st, &admin, "thread:10", "post.created", &why), 0);
	assert_int_equal(access_channel_publish(st, &staff, "community:1", "announcement", &why), 0);
	assert_int_equal(access_channel_publish(st, &staff, "community:1", "thread.created", &why), -EPERM);
	assert_non_null(strstr(why, "announcement"));
	assert_int_equal(access_channel_publish(st, &staff, "community:2", "announcement", &why), -EPERM);
	assert_int_equal(access_channel_publish(st, &res, "community:1", "announcement", &why), -EPERM);
}

static void principals_and_roles(void **state)
{
	(void)state;
	struct principal p;
	assert_int_equal(access_load_principal(st, 3, 8, &p), 0);
	assert_int_equal(p.uid, 3);
	assert_false(p.is_admin);
	assert_int_equal(access_load_principal(st, 3, 7, &p), -EKEYREVOKED);
	assert_int_equal(p.uid, 0);
	assert_int_equal(access_load_principal(st, 3, 8000, &p), -EKEYREVOKED); /* no such session */
	assert_int_equal(access_load_principal(st, 99, 0, &p), -ENOENT);
	assert_int_equal(access_load_principal(st, 1, 0, &p), 0);
	assert_true(p.is_admin);
	assert_int_equal(access_role(st, 2, 1), ROLE_STAFF);
	assert_int_equal(access_role(st, 3, 1), ROLE_RESIDENT);
	assert_int_equal(access_role(st, 3, 2), ROLE_NONE);
	assert_int_equal(access_role_parse("staff"), ROLE_STAFF);
	assert_int_equal(access_role_parse("Staff"), ROLE_NONE);
	assert_int_equal(access_role_parse(NULL), ROLE_NONE);
	assert_string_equal(access_role_name(ROLE_RESIDENT), "resident");
	assert_true(access_community_exists(st, 1));
	assert_false(access_community_exists(st, 3));
	struct principal staff = who(2), resB = who(4), res = who(3);
	assert_true(access_sees_phone(st, &res, 3));      /* own */
	assert_true(access_sees_phone(st, &staff, 3));    /* staff of a shared community */
	assert_false(access_sees_phone(st, &res, 2));     /* a resident seeing staff */
	assert_false(access_sees_phone(st, &resB, 3));    /* another community */
}

static void guards_answer_with_a_status(void **state)
{
	(void)state;
	struct req req = { .st = st };
	struct resp r = { 0 };
	assert_int_equal(access_require_member(&req, 1, &r), -EPERM);
	assert_int_equal(r.status, 401);
	free(r.body);
	req.who = who(5);
	memset(&r, 0, sizeof r);
	assert_int_equal(access_require_member(&req, 1, &r), -EPERM);
	assert_int_equal(r.status, 403);
	free(r.body);
	memset(&r, 0, sizeof r);
	assert_int_equal(access_require_member(&req, 3, &r), -EPERM);
	assert_int_equal(r.status, 404);
	free(r.body);
	req.who = who(3);
	memset(&r, 0, sizeof r);
	assert_int_equal(access_require_member(&req, 1, &r), 0);
	assert_int_equal(access_require_staff(&req, 1, &r), -EPERM);
	assert_int_equal(r.status, 403);
	free(r.body);
	req.who = who(1);
	memset(&r, 0, sizeof r);
	assert_int_equal(access_require_staff(&req, 2, &r), 0); /* admins pass */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(channel_names),
		cmocka_unit_test(who_may_subscribe),
		cmocka_unit_test(who_may_publish),
		cmocka_unit_test(principals_and_roles),
		cmocka_unit_test(guards_answer_with_a_status),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
