#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

static void utf8(void **state)
{
	(void)state;
	const char *ok[] = { "", "abc", "鄰里互助", "\xf0\x9f\x98\x80", "\xc2\xa9" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_true(util_utf8_valid(ok[i], strlen(ok[i])));
	const char *bad[] = { "\xff", "\xc0\xaf" /* overlong */, "\xe4\xb8" /* cut */,
			      "\xed\xa0\x80" /* surrogate */, "\xf4\x90\x80\x80" /* > U+10FFFF */,
			      "a\x80" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(util_utf8_valid(bad[i], strlen(bad[i])));
}

static void json_strings(void **state)
{
	(void)state;
	struct buf b = { 0 };
	buf_json_str(&b, "a\"b\\c\n\x01里");
	assert_string_equal(b.p, "\"a\\\"b\\\\c\\u000a\\u0001里\"");
	buf_free(&b);
	buf_printf(&b, "%d-%s", 7, "x");
	buf_puts(&b, "!");
	assert_string_equal(b.p, "7-x!");
	assert_int_equal(b.len, 4);
	buf_free(&b);
}

static void bigrams(void **state)
{
	(void)state;
	struct buf b = { 0 };
	util_bigrams("停水通知 A1，电梯", &b);
	assert_string_equal(b.p, "停水 水通 通知 a1 电梯 ");
	buf_free(&b);
	util_bigrams("我", &b);
	assert_string_equal(b.p, "我 ");
	buf_free(&b);
	util_bigrams("  ,.!", &b);
	assert_null(b.p); /* nothing to index */
	util_bigrams("\xff\xfe", &b); /* invalid bytes do not crash */
	buf_free(&b);
}

static void parse_int(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(util_parse_i64("123", &v), 0);
	assert_int_equal(v, 123);
	assert_true(util_parse_i64("12a", &v) < 0);
	assert_true(util_parse_i64("", &v) < 0);
	assert_true(util_parse_i64("99999999999999999999", &v) < 0);
}

/* Known instants (date -u -d ... +%s%3N). */
static void iso8601(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(util_parse_iso8601("2026-06-01", &ms), 0);
	assert_int_equal(ms, 1780272000000LL);
	assert_int_equal(util_parse_iso8601("2026-06-01T08:00:00+08:00", &ms), 0);
	assert_int_equal(ms, 1780272000000LL);
	assert_int_equal(util_parse_iso8601("2026-06-01T00:00Z", &ms), 0);
	assert_int_equal(ms, 1780272000000LL);
	assert_int_equal(util_parse_iso8601("2026-12-01T15:03:07.250Z", &ms), 0);
	assert_int_equal(ms, 1796137387250LL);
	assert_int_equal(util_parse_iso8601("2026-06-01 09:30:00-01:30", &ms), 0);
	assert_int_equal(ms, 1780272000000LL + (9 * 3600 + 30 * 60 + 90 * 60) * 1000LL);
	const char *bad[] = { "", "yesterday", "2026-6-1", "2026-02-30", "2026-13-01", "2026-06-01T24:00Z",
			      "2026-06-01T08:00+8", "2026-06-01T08:00:00+08:00x", "2026-06-01T", "20260601" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(util_parse_iso8601(bad[i], &ms), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8),
		cmocka_unit_test(json_strings),
		cmocka_unit_test(parse_int),
		cmocka_unit_test(bigrams),
		cmocka_unit_test(iso8601),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
