#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static char *write_tmp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/linli-test-conf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void defaults_are_sane(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	assert_int_equal(c.port, 8080);
	assert_string_equal(c.db, "data/linli.db");
	assert_string_equal(c.redis_url, "");
	char err[256];
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	config_free(&c);
}

static void file_overrides_and_comments(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	char *p = write_tmp("# comment\n\nport = 9001  # trailing\n db = \"/tmp/x # y.db\"\n"
			    "redis_url=redis://127.0.0.1:7000\n");
	char err[256];
	/* A quoted value may not contain '#': comments win, by design. */
	assert_int_equal(config_load_file(&c, p, err, sizeof err), 0);
	assert_int_equal(c.port, 9001);
	assert_string_equal(c.redis_url, "redis://127.0.0.1:7000");
	unlink(p);
	config_free(&c);
}

static void bad_values_name_the_key_and_line(void **state)
{
	(void)state;
	struct config c;
	char err[256];
	config_defaults(&c);
	char *p = write_tmp("port = 80\nws_max_frame = lots\n");
	assert_true(config_load_file(&c, p, err, sizeof err) < 0);
	assert_non_null(strstr(err, ":2: ws_max_frame: expected a whole number"));
	unlink(p);

	p = write_tmp("port = 70000\n");
	assert_true(config_load_file(&c, p, err, sizeof err) < 0);
	assert_non_null(strstr(err, "port: 70000 is out of range"));
	unlink(p);

	p = write_tmp("nonsense = 1\n");
	assert_true(config_load_file(&c, p, err, sizeof err) < 0);
	assert_non_null(strstr(err, "unknown key \"nonsense\""));
	unlink(p);

	p = write_tmp("just words\n");
	assert_true(config_load_file(&c, p, err, sizeof err) < 0);
	assert_non_null(strstr(err, "expected \"key = value\""));
	unlink(p);

	assert_true(config_load_file(&c, "/nonexistent/linli.conf", err, sizeof err) < 0);
	assert_non_null(strstr(err, "cannot open"));
	config_free(&c);
}

static void validate_relations(void **state)
{
	(void)state;
	struct config c;
	char err[256];
	config_defaults(&c);
	assert_int_equal(config_set(&c, "tls_cert", "/x.pem", err, sizeof err), 0);
	assert_true(config_validate(&c, err, sizeof err) < 0);
	assert_non_null(strstr(err, "tls_cert and tls_key"));
	config_set(&c, "tls_cert", "", err, sizeof err);
	config_set(&c, "redis_url", "http://x", err, sizeof err);
	assert_true(config_validate(&c, err, sizeof err) < 0);
	assert_non_null(strstr(err, "redis_url"));
	config_set(&c, "redis_url", "", err, sizeof err);
	config_set(&c, "log_level", "loud", err, sizeof err);
	assert_true(config_validate(&c, err, sizeof err) < 0);
	assert_non_null(strstr(err, "log_level"));
	config_free(&c);
}

/* config/linli.conf is the documentation: every key appears there, and
 * loading it changes nothing from the built-in defaults. */
static void shipped_file_documents_every_key(void **state)
{
	(void)state;
	const char *path = LINLI_SOURCE_DIR "/config/linli.conf";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	for (size_t i = 0; i < config_key_count(); i++) {
		char needle[80];
		snprintf(needle, sizeof needle, "\n%s = ", config_key_name(i));
		if (!strstr(text, needle))
			fail_msg("config/linli.conf does not document %s", config_key_name(i));
	}
	struct config a, b;
	char err[256];
	config_defaults(&a);
	config_defaults(&b);
	assert_int_equal(config_load_file(&b, path, err, sizeof err), 0);
	assert_int_equal(a.port, b.port);
	assert_int_equal(a.ws_send_queue_bytes, b.ws_send_queue_bytes);
	assert_int_equal(a.retention_max_age_s, b.retention_max_age_s);
	assert_int_equal(a.ws_idle_secs, b.ws_idle_secs);
	assert_string_equal(a.db, b.db);
	assert_string_equal(a.log_level, b.log_level);
	config_free(&a);
	config_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_sane),
		cmocka_unit_test(file_overrides_and_comments),
		cmocka_unit_test(bad_values_name_the_key_and_line),
		cmocka_unit_test(validate_relations),
		cmocka_unit_test(shipped_file_documents_every_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
