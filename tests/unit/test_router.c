#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "router.h"

static void h_a(struct req *r, struct resp *s) { (void)r; (void)s; }
static void h_b(struct req *r, struct resp *s) { (void)r; (void)s; }

static const struct route routes[] = {
	{ HTTP_GET, "/healthz", h_a, "GET /healthz", 0 },
	{ HTTP_POST, "/v1/channels/{ch}/events", h_b, "POST ev", 0 },
	{ HTTP_GET, "/v1/threads/{tid}/posts/{pid}", h_a, "GET post", 0 },
	{ HTTP_PUT, "/v1/threads/{tid}/posts/{pid}", h_b, "PUT post", 0 },
};
#define N (sizeof routes / sizeof routes[0])

static void literal_and_params(void **state)
{
	(void)state;
	struct req req;
	memset(&req, 0, sizeof req);
	int status = 0;
	const struct route *r = router_match(routes, N, HTTP_GET, "/healthz", &req, &status);
	assert_ptr_equal(r, &routes[0]);
	assert_int_equal(req.nparams, 0);

	r = router_match(routes, N, HTTP_POST, "/v1/channels/user:7/events", &req, &status);
	assert_ptr_equal(r, &routes[1]);
	assert_string_equal(api_param(&req, "ch"), "user:7");
	assert_null(api_param(&req, "nope"));
	router_params_free(&req);

	r = router_match(routes, N, HTTP_PUT, "/v1/threads/4/posts/99", &req, &status);
	assert_ptr_equal(r, &routes[3]);
	assert_string_equal(api_param(&req, "tid"), "4");
	assert_string_equal(api_param(&req, "pid"), "99");
	router_params_free(&req);
}

static void trailing_slash_is_the_same_path(void **state)
{
	(void)state;
	struct req req;
	memset(&req, 0, sizeof req);
	int status;
	assert_ptr_equal(router_match(routes, N, HTTP_GET, "/healthz/", &req, &status), &routes[0]);
}

static void not_found_and_wrong_method(void **state)
{
	(void)state;
	struct req req;
	memset(&req, 0, sizeof req);
	int status = 0;
	assert_null(router_match(routes, N, HTTP_GET, "/nope", &req, &status));
	assert_int_equal(status, 404);
	assert_null(router_match(routes, N, HTTP_GET, "/v1/channels/x:1/events", &req, &status));
	assert_int_equal(status, 405);
	assert_int_equal(req.nparams, 0); /* nothing leaked into the request */
	/* An empty segment never matches a parameter. */
	assert_null(router_match(routes, N, HTTP_POST, "/v1/channels//events", &req, &status));
	assert_int_equal(status, 404);
	/* Extra or missing segments. */
	assert_null(router_match(routes, N, HTTP_POST, "/v1/channels/a:1/events/x", &req, &status));
	assert_null(router_match(routes, N, HTTP_POST, "/v1/channels/a:1", &req, &status));
	assert_null(router_match(routes, N, HTTP_GET, "", &req, &status));
	assert_int_equal(status, 404);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literal_and_params),
		cmocka_unit_test(trailing_slash_is_the_same_path),
		cmocka_unit_test(not_found_and_wrong_method),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
