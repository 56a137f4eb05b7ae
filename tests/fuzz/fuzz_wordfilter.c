/* The sensitive-word filter (full-width letters, spacing, case folded)
 * over any text; a match is one of the listed words. */
#include "fuzz.h"
#include "../../handlers/wordfilter.h"

static struct wordfilter *wf;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!wf) {
		static const char *const words[] = { "代开发票", "spamword", "赌博", "a b", "ｘ" };
		wf = wordfilter_new(words, sizeof words / sizeof words[0]);
	}
	char *text = fuzz_cstr(data, size);
	const char *w = wordfilter_match(wf, text);
	if (w && !*w)
		abort();
	free(text);
	return 0;
}
