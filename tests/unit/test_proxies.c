#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proxies.h"

static struct proxies *parse(const char *list)
{
	struct proxies *p;
	char err[160];
	assert_int_equal(proxies_parse(list, &p, err, sizeof err), 0);
	return p;
}

static void parses_and_matches_cidrs(void **state)
{
	(void)state;
	struct proxies *p = parse(" 10.0.0.0/8, 127.0.0.1 ,192.168.4.0/23, ::1, fd00::/8");
	assert_true(proxies_trusted(p, "10.1.2.3"));
	assert_true(proxies_trusted(p, "127.0.0.1"));
	assert_false(proxies_trusted(p, "127.0.0.2"));
	assert_true(proxies_trusted(p, "192.168.5.255"));
	assert_false(proxies_trusted(p, "192.168.6.0"));
	assert_true(proxies_trusted(p, "::1"));
	assert_true(proxies_trusted(p, "fd12:3456::1"));
	assert_false(proxies_trusted(p, "fe80::1"));
	assert_true(proxies_trusted(p, "::ffff:10.9.9.9")); /* IPv4-mapped counts as IPv4 */
	assert_false(proxies_trusted(p, "not an address"));
	proxies_free(p);
	assert_null(parse(""));
	assert_null(parse(" , "));
}

static void refuses_what_is_not_a_cidr(void **state)
{
	(void)state;
	const char *bad[] = { "10.0.0.0/33", "::/129", "10.0.0.300", "example.com", "10.0.0.0/x", "1.2.3.4/-1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct proxies *p = NULL;
		char err[160] = "";
		assert_int_equal(proxies_parse(bad[i], &p, err, sizeof err), -22);
		assert_null(p);
		assert_non_null(strstr(err, "trusted_proxies"));
	}
}

static const char *client(struct proxies *p, const char *peer, const char *const *xff, int n)
{
	static char out[64];
	proxies_client(p, peer, xff, n, out, sizeof out);
	return out;
}

static void finds_the_client_behind_trusted_proxies(void **state)
{
	(void)state;
	struct proxies *p = parse("127.0.0.1, 10.0.0.0/8");
	const char *one[] = { "203.0.113.7" };
	assert_string_equal(client(p, "127.0.0.1", one, 1), "203.0.113.7");
	/* Not from a proxy: the header is ignored. */
	assert_string_equal(client(p, "198.51.100.9", one, 1), "198.51.100.9");
	/* What the client wrote is left of what the proxy saw. */
	const char *forged[] = { "1.1.1.1, 8.8.8.8, 203.0.113.7" };
	assert_string_equal(client(p, "127.0.0.1", forged, 1), "203.0.113.7");
	/* A chain of proxies: skip the trusted ones from the right. */
	const char *chain[] = { "203.0.113.7, 10.2.3.4" };
	assert_string_equal(client(p, "127.0.0.1", chain, 1), "203.0.113.7");
	/* Several header lines read as one list, last line rightmost. */
	const char *lines[] = { "1.1.1.1", "203.0.113.7, 10.0.0.5" };
	assert_string_equal(client(p, "10.0.0.9", lines, 2), "203.0.113.7");
	/* Ports and brackets, IPv6. */
	const char *ported[] = { "203.0.113.7:52011" };
	assert_string_equal(client(p, "127.0.0.1", ported, 1), "203.0.113.7");
	const char *v6[] = { "[2001:db8::5]" };
	assert_string_equal(client(p, "127.0.0.1", v6, 1), "2001:db8::5");
	/* Garbage where an address should be: what could be vouched for. */
	const char *junk[] = { "203.0.113.7, <script>" };
	assert_string_equal(client(p, "127.0.0.1", junk, 1), "127.0.0.1");
	const char *empty[] = { "" };
	assert_string_equal(client(p, "127.0.0.1", empty, 1), "127.0.0.1");
	assert_string_equal(client(p, "127.0.0.1", NULL, 0), "127.0.0.1");
	/* No trusted proxies: every header ignored. */
	assert_string_equal(client(NULL, "127.0.0.1", one, 1), "127.0.0.1");
	proxies_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_and_matches_cidrs),
		cmocka_unit_test(refuses_what_is_not_a_cidr),
		cmocka_unit_test(finds_the_client_behind_trusted_proxies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
