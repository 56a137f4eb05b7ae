/* util: allocation that cannot fail silently, clocks, logging.
 *
 * Every module uses these; none of them touches the loop. */
#ifndef LINLI_UTIL_H
#define LINLI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* Allocators that abort the process on out-of-memory, so call sites stay
 * clean. Sizes a client controls must be checked before calling them. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Wall-clock milliseconds since the epoch (timestamps on the wire). */
int64_t util_now_ms(void);
/* Monotonic microseconds, for latency measurement and deadlines. */
int64_t util_mono_us(void);

/* Growable byte buffer, always NUL-terminated. */
struct buf {
	char *p;      /* bytes, NUL-terminated; NULL until first append */
	size_t len;   /* bytes used, not counting the NUL */
	size_t cap;   /* bytes allocated */
};
void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void buf_json_str(struct buf *b, const char *s);
void buf_free(struct buf *b);

/* Logging to stderr: "2026-11-27T03:19:01.123Z info  [req 12] message".
 * Never log phone numbers, tokens or passwords. */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
extern enum log_level log_min_level;
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int log_level_parse(const char *s, enum log_level *out);
#define log_debug(...) do { if (log_min_level <= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* The whole of the regular file path, at most max bytes: 0 with *out
 * (malloc'd, NUL-terminated) and *n; -errno, -EFBIG over max, -EISDIR
 * for what is not a regular file, -EIO when it reads shorter than it is. */
int util_read_file(const char *path, size_t max, char **out, size_t *n);

/* Parses a whole decimal int64; 0 on success, -EINVAL otherwise. */
int util_parse_i64(const char *s, int64_t *out);
/* The value of a hex digit (either case), or -1. */
int util_hexval(char c);

/* base64url of in[0..n), unpadded, NUL-terminated; out needs
 * (4 * n + 2) / 3 + 1 bytes. */
void util_b64url(const unsigned char *in, size_t n, char *out);

/* Appends to out the bigram form of text: within each run of letters and
 * digits, every pair of adjacent characters, space-separated (a run of one
 * character stands alone); ASCII letters lower-cased. "停水通知 A1" becomes
 * "停水 水通 通知 a1". For 2-character search. */
void util_bigrams(const char *text, struct buf *out);

/* Characters (code points) in a UTF-8 string. */
size_t util_utf8_chars(const char *s);

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int util_utf8_valid(const char *s, size_t n);

/* "2026-06-01", "2026-06-01T08:30[:15[.250]]" with "Z" or "+08:00" (no
 * zone: UTC) into ms since the epoch. 0 or -EINVAL. */
int util_parse_iso8601(const char *s, int64_t *ms);

#endif
