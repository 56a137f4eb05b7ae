/* The router: any method and path against the real route table; a match
 * must give params that are non-empty, slash-free segments. */
#include "fuzz.h"
#include "router.h"
#include "../../handlers/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum http_method m = (enum http_method)(data[0] % (HTTP_OTHER + 1));
	char *path = fuzz_cstr(data + 1, size - 1);
	struct req req = { 0 };
	int status = 0;
	const struct route *r = router_match(handlers_domain.routes, handlers_domain.nroutes, m, path, &req, &status);
	if (r) {
		for (int i = 0; i < req.nparams; i++)
			if (!req.params[i].value[0] || strchr(req.params[i].value, '/'))
				abort();
		router_params_free(&req);
	} else if (status != 404 && status != 405) {
		abort();
	}
	free(path);
	return 0;
}
