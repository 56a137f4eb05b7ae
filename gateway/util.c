#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

enum log_level log_min_level = LOG_INFO;

static void oom(size_t n)
{
	fprintf(stderr, "linli: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int64_t util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t util_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_reserve(b, strlen(s) + 2);
	buf_append(b, "\"", 1);
	const char *run = s;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		buf_append(b, run, (size_t)((const char *)p - run));
		char esc[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
		if (*p == '"' || *p == '\\') {
			esc[1] = (char)*p;
			buf_append(b, esc, 2);
		} else {
			buf_append(b, esc, 6);
		}
		run = (const char *)p + 1;
	}
	buf_puts(b, run);
	buf_append(b, "\"", 1);
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	if (lvl < log_min_level)
		return;
	char ts[32];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", ts, now.tv_nsec / 1000000,
		names[lvl], line);
}

int log_level_parse(const char *s, enum log_level *out)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	return -EINVAL;
}

int util_read_file(const char *path, size_t max, char **out, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = fstat(fd, &st) ? -errno : !S_ISREG(st.st_mode) ? -EISDIR :
		 (uint64_t)st.st_size > max ? -EFBIG : 0;
	size_t len = rc ? 0 : (size_t)st.st_size, got = 0;
	char *b = rc ? NULL : xmalloc(len + 1);
	while (!rc && got < len) {
		ssize_t r = read(fd, b + got, len - got);
		if (r < 0 && errno != EINTR)
			rc = -errno;
		else if (r == 0)
			rc = -EIO; /* shorter than it said */
		else if (r > 0)
			got += (size_t)r;
	}
	close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	b[len] = '\0';
	*out = b;
	*n = len;
	return 0;
}

int util_hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int util_parse_i64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -EINVAL;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

size_t util_utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int util_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		unsigned c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		int len;
		unsigned cp;
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (e - p < len)
			return 0;
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += len;
	}
	return 1;
}

void util_b64url(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xffff;
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = tab[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = tab[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* Letters and digits: ASCII alphanumerics and any non-ASCII character
 * outside the common punctuation and space blocks. */
static int word_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	return !((c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) ||
		 (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff0f) ||
		 (c >= 0xff1a && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) ||
		 (c >= 0xff5b && c <= 0xff65) || c == 0x00a0 || c == 0xfeff);
}

void util_bigrams(const char *text, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)text;
	const char *prev = NULL;  /* start of the previous character in the run */
	size_t prev_len = 0;
	int run = 0;              /* characters in the current run */
	while (*p) {
		const unsigned char *start = p;
		uint32_t c = *p;
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		for (size_t i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				len = 1;
		if (len > 1) {
			c &= 0x3f >> (len - 1);
			for (size_t i = 1; i < len; i++)
				c = c << 6 | (p[i] & 0x3f);
		}
		p += len;
		if (!word_cp(c)) {
			if (run == 1) {
				buf_append(out, prev, prev_len);
				buf_append(out, " ", 1);
			}
			run = 0;
			continue;
		}
		const char *cur = (const char *)start;
		if (len == 1 && c >= 'A' && c <= 'Z')
			cur = &"abcdefghijklmnopqrstuvwxyz"[c - 'A'];
		if (run) {
			buf_append(out, prev, prev_len);
			buf_append(out, cur, len);
			buf_append(out, " ", 1);
		}
		prev = cur;
		prev_len = len;
		run++;
	}
	if (run == 1) {
		buf_append(out, prev, prev_len);
		buf_append(out, " ", 1);
	}
}

int util_parse_iso8601(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	int64_t frac = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	const char *p = s + n;
	if (*p == 'T' || *p == ' ') {
		int m = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
			return -EINVAL;
		p += 1 + m;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &sec, &m) != 1 || m != 2)
				return -EINVAL;
			p += 1 + m;
			if (*p == '.') { /* fractions: milliseconds kept */
				int64_t mul = 100;
				for (p++; *p >= '0' && *p <= '9'; p++, mul /= 10)
					frac += (*p - '0') * mul;
			}
		}
	}
	int64_t off = 0; /* seconds east of UTC */
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, m = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 || oh > 23 || om > 59)
			return -EINVAL;
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		p += 1 + m;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	if (tm.tm_mday != d) /* 2026-02-30 */
		return -EINVAL;
	*ms = ((int64_t)t - off) * 1000 + frac;
	return 0;
}
