#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../handlers/wordfilter.h"

static const char *const words[] = { "代开发票", "foo", "he", "she", "hers", "ab c" };

static void finds_plain_and_overlapping(void **state)
{
	(void)state;
	struct wordfilter *wf = wordfilter_new(words, 6);
	assert_int_equal(wordfilter_size(wf), 6);
	assert_string_equal(wordfilter_match(wf, "专业代开发票，联系我"), "代开发票");
	assert_string_equal(wordfilter_match(wf, "ushers"), "she");
	assert_string_equal(wordfilter_match(wf, "xhex"), "he");
	assert_null(wordfilter_match(wf, "代开 票"));
	assert_null(wordfilter_match(wf, "正常的邻里讨论"));
	assert_null(wordfilter_match(wf, ""));
	wordfilter_free(wf);
}

static void folds_width_case_spacing_and_punctuation(void **state)
{
	(void)state;
	struct wordfilter *wf = wordfilter_new(words, 6);
	/* Full-width letters, upper case, spaces and punctuation between. */
	assert_string_equal(wordfilter_match(wf, "ＦＯＯ"), "foo");
	assert_string_equal(wordfilter_match(wf, "F o-O!"), "foo");
	assert_string_equal(wordfilter_match(wf, "代 开，发·票"), "代开发票");
	assert_string_equal(wordfilter_match(wf, "代\u3000开\u200b发票"), "代开发票");
	/* A listed word with a space matches with or without it. */
	assert_string_equal(wordfilter_match(wf, "xxabcxx"), "ab c");
	/* Invalid UTF-8 does not crash or match by accident. */
	assert_null(wordfilter_match(wf, "\xff\xfe\xc3"));
	wordfilter_free(wf);
}

static void loads_a_file_and_reloads(void **state)
{
	(void)state;
	char path[] = "/tmp/linli-words-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# comment\n\n刷单返利\nBAD\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char err[128];
	assert_int_equal(wordfilter_reload(path, err, sizeof err), 0);
	assert_int_equal(wordfilter_size(wordfilter_current()), 2);
	assert_string_equal(wordfilter_match(wordfilter_current(), "b a d"), "BAD");
	/* A failed reload keeps the list in force. */
	assert_true(wordfilter_reload("/nonexistent/words.txt", err, sizeof err) < 0);
	assert_int_equal(wordfilter_size(wordfilter_current()), 2);
	wordfilter_clear();
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_plain_and_overlapping),
		cmocka_unit_test(folds_width_case_spacing_and_punctuation),
		cmocka_unit_test(loads_a_file_and_reloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
