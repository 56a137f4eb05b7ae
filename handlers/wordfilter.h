/* wordfilter: the sensitive-word list, matched with Aho–Corasick over
 * normalised text.
 *
 * Normalisation folds what people use to slip words past a filter:
 * full-width letters and digits become ASCII, letters lower-case, and
 * spaces, punctuation and symbols between characters are dropped, so
 * "Ｆ Ｏ-ｏ" matches "foo". Words are normalised the same way. A match
 * holds a post for review (pending) rather than rejecting it. */
#ifndef LINLI_WORDFILTER_H
#define LINLI_WORDFILTER_H

#include <stddef.h>

struct wordfilter;

/* Builds a filter from a file of one word per line (# comments, blank
 * lines ignored). NULL and a message in err when the file cannot be read. */
struct wordfilter *wordfilter_load(const char *path, char *err, size_t errlen);
/* Builds from an array of words (tests). */
struct wordfilter *wordfilter_new(const char *const *words, size_t n);
void wordfilter_free(struct wordfilter *wf);
/* Number of words loaded. */
size_t wordfilter_size(const struct wordfilter *wf);

/* The first listed word found in text (as listed), or NULL. */
const char *wordfilter_match(const struct wordfilter *wf, const char *text);

/* Matches text against the process-wide list (replaced on SIGHUP; safe
 * from any thread): 1 and the listed word copied into word, or 0. */
int wordfilter_match_current(const char *text, char *word, size_t cap);
/* Words in the process-wide list. */
size_t wordfilter_current_size(void);
/* Loads path as the current list; keeps the old one when it fails.
 * 0 or negative with err. */
int wordfilter_reload(const char *path, char *err, size_t errlen);

/* Frees the current list (at exit). */
void wordfilter_clear(void);

#endif
