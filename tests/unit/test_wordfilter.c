#include <pthread.h>
#include <stdatomic.h>
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
	assert_int_equal(wordfilter_current_size(), 2);
	char word[64];
	assert_int_equal(wordfilter_match_current("b a d", word, sizeof word), 1);
	assert_string_equal(word, "BAD");
	assert_int_equal(wordfilter_match_current("good", word, sizeof word), 0);
	/* A failed reload keeps the list in force. */
	assert_true(wordfilter_reload("/nonexistent/words.txt", err, sizeof err) < 0);
	assert_int_equal(wordfilter_current_size(), 2);
	wordfilter_clear();
	unlink(path);
}

/* Handlers match on database workers while SIGHUP reloads on the loop:
 * matching through a reload sees the old list or the new one, never a
 * freed one (the sanitizer build would report it). */
static char reload_path[] = "/tmp/linli-words-race-XXXXXX";
static atomic_int stop_matching;

static void *match_many(void *arg)
{
	long *found = arg;
	char word[64];
	while (!atomic_load(&stop_matching))
		*found += wordfilter_match_current("这是刷单返利的广告", word, sizeof word);
	return NULL;
}

static void reload_while_matching(void **state)
{
	(void)state;
	int fd = mkstemp(reload_path);
	const char *text = "刷单返利\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char err[128];
	assert_int_equal(wordfilter_reload(reload_path, err, sizeof err), 0);
	pthread_t th[3];
	long found[3] = { 0 };
	atomic_store(&stop_matching, 0);
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, match_many, &found[i]);
	for (int i = 0; i < 200; i++)
		assert_int_equal(wordfilter_reload(reload_path, err, sizeof err), 0);
	atomic_store(&stop_matching, 1);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_true(found[i] > 0);
	}
	wordfilter_clear();
	unlink(reload_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_plain_and_overlapping),
		cmocka_unit_test(folds_width_case_spacing_and_punctuation),
		cmocka_unit_test(loads_a_file_and_reloads),
		cmocka_unit_test(reload_while_matching),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
