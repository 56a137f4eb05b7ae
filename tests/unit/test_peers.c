#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "peers.h"

static void caps_each_name_and_frees_slots(void **state)
{
	(void)state;
	struct peers *p = peers_new();
	int conns[5];
	assert_int_equal(peers_add(p, &conns[0], "10.0.0.1", 2), 0);
	assert_int_equal(peers_add(p, &conns[1], "10.0.0.1", 2), 0);
	assert_int_equal(peers_add(p, &conns[2], "10.0.0.1", 2), -EBUSY);
	assert_false(peers_has(p, &conns[2]));
	assert_int_equal(peers_add(p, &conns[2], "10.0.0.2", 2), 0); /* another name */
	assert_int_equal(peers_add(p, &conns[0], "10.0.0.2", 2), -EEXIST);
	assert_int_equal(peers_count(p, "10.0.0.1"), 2);
	peers_remove(p, &conns[0]);
	peers_remove(p, &conns[0]); /* twice: nothing */
	peers_remove(p, &conns[4]); /* never counted: nothing */
	assert_int_equal(peers_count(p, "10.0.0.1"), 1);
	assert_int_equal(peers_add(p, &conns[3], "10.0.0.1", 2), 0);
	peers_remove(p, &conns[1]);
	peers_remove(p, &conns[3]);
	assert_int_equal(peers_count(p, "10.0.0.1"), 0);
	assert_int_equal(peers_add(p, &conns[1], "10.0.0.1", 0), -EBUSY); /* cap 0 */
	peers_free(p);
}

static void many_connections_round_trip(void **state)
{
	(void)state;
	struct peers *p = peers_new();
	static char conns[5000];
	for (int i = 0; i < 5000; i++)
		assert_int_equal(peers_add(p, &conns[i], i % 2 ? "a" : "b", 2500), 0);
	assert_int_equal(peers_count(p, "a"), 2500);
	assert_int_equal(peers_add(p, "x", "a", 2500), -EBUSY);
	for (int i = 0; i < 5000; i++)
		peers_remove(p, &conns[i]);
	assert_int_equal(peers_count(p, "a") + peers_count(p, "b"), 0);
	peers_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(caps_each_name_and_frees_slots),
		cmocka_unit_test(many_connections_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
