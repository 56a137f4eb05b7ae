#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "map.h"

static void put_get_del_many(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	static int vals[5000];
	char k[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "thread:%d", i);
		map_put(&m, k, &vals[i]);
	}
	assert_int_equal(m.len, 5000);
	for (int i = 0; i < 5000; i += 2) {
		snprintf(k, sizeof k, "thread:%d", i);
		assert_ptr_equal(map_del(&m, k), &vals[i]);
	}
	assert_int_equal(m.len, 2500);
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "thread:%d", i);
		assert_ptr_equal(map_get(&m, k), i % 2 ? &vals[i] : NULL);
	}
	/* Churn: tombstones must not fill the table. */
	for (int r = 0; r < 20000; r++) {
		snprintf(k, sizeof k, "tmp:%d", r);
		map_put(&m, k, &vals[0]);
		assert_ptr_equal(map_del(&m, k), &vals[0]);
	}
	assert_true(m.cap <= 8192);
	size_t it = 0, seen = 0;
	const char *key;
	void *v;
	while (map_next(&m, &it, &key, &v))
		seen++;
	assert_int_equal(seen, 2500);
	map_put(&m, "thread:1", &vals[2]);
	assert_ptr_equal(map_get(&m, "thread:1"), &vals[2]);
	assert_int_equal(m.len, 2500);
	map_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_get_del_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
