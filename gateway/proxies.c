#include "proxies.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct net {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];   /* network address (4 bytes used for IPv4) */
	int bits;                 /* prefix length */
};

struct proxies {
	struct net *nets;
	size_t n;
};

/* addr as family and bytes; an IPv4-mapped IPv6 address counts as IPv4.
 * 0 or -EINVAL. */
static int parse_addr(const char *s, int *family, unsigned char out[16])
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	unsigned char v6[16];
	if (inet_pton(AF_INET6, s, v6) != 1)
		return -EINVAL;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(v6, mapped, 12)) {
		*family = AF_INET;
		memcpy(out, v6 + 12, 4);
	} else {
		*family = AF_INET6;
		memcpy(out, v6, 16);
	}
	return 0;
}

static int in_net(const struct net *n, int family, const unsigned char *a)
{
	if (n->family != family)
		return 0;
	int full = n->bits / 8, rest = n->bits % 8;
	if (memcmp(n->addr, a, (size_t)full))
		return 0;
	if (!rest)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (n->addr[full] & mask) == (a[full] & mask);
}

/* Copies s[0..n) without surrounding spaces into out. */
static void trimmed(const char *s, size_t n, char *out, size_t cap)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

int proxies_parse(const char *list, struct proxies **out, char *err, size_t errlen)
{
	*out = NULL;
	struct proxies *p = xcalloc(1, sizeof *p);
	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ",");
		char entry[80];
		trimmed(s, len, entry, sizeof entry);
		s += len + (s[len] == ',');
		if (!*entry)
			continue;
		struct net n = { 0 };
		char *slash = strchr(entry, '/');
		if (slash)
			*slash = '\0';
		if (parse_addr(entry, &n.family, n.addr)) {
			snprintf(err, errlen, "trusted_proxies: \"%s\" is not an IPv4 or IPv6 address", entry);
			proxies_free(p);
			return -EINVAL;
		}
		int max = n.family == AF_INET ? 32 : 128;
		n.bits = max;
		if (slash) {
			int64_t bits;
			if (util_parse_i64(slash + 1, &bits) || bits < 0 || bits > max) {
				snprintf(err, errlen, "trusted_proxies: \"%s/%s\": the prefix must be 0 to %d",
					 entry, slash + 1, max);
				proxies_free(p);
				return -EINVAL;
			}
			n.bits = (int)bits;
		}
		p->nets = xrealloc(p->nets, (p->n + 1) * sizeof *p->nets);
		p->nets[p->n++] = n;
	}
	if (!p->n) {
		proxies_free(p);
		return 0;
	}
	*out = p;
	return 0;
}

void proxies_free(struct proxies *p)
{
	if (!p)
		return;
	free(p->nets);
	free(p);
}

int proxies_trusted(const struct proxies *p, const char *addr)
{
	int family;
	unsigned char a[16];
	if (!p || parse_addr(addr, &family, a))
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (in_net(&p->nets[i], family, a))
			return 1;
	return 0;
}

/* The entry as an address: surrounding spaces, an IPv6 address's brackets
 * and an IPv4 address's :port dropped. 0, or -EINVAL when it is none. */
static int entry_addr(const char *s, size_t n, char *out, size_t cap)
{
	char e[64];
	trimmed(s, n, e, sizeof e);
	char *a = e;
	if (*a == '[') {
		char *close = strchr(a, ']');
		if (!close)
			return -EINVAL;
		*close = '\0';
		a++;
	} else if (strchr(a, '.') && strchr(a, ':')) {
		*strchr(a, ':') = '\0'; /* 203.0.113.7:52011 */
	}
	int family;
	unsigned char bytes[16];
	if (parse_addr(a, &family, bytes))
		return -EINVAL;
	snprintf(out, cap, "%s", a);
	return 0;
}

void proxies_client(const struct proxies *p, const char *peer, const char *const *xff,
		    int nxff, char *out, size_t cap)
{
	snprintf(out, cap, "%s", peer);
	if (!proxies_trusted(p, peer))
		return; /* a client: its own header proves nothing */
	for (int line = nxff - 1; line >= 0; line--) {
		const char *h = xff[line];
		size_t end = strlen(h);
		while (end > 0) {
			size_t start = end;
			while (start > 0 && h[start - 1] != ',')
				start--;
			char a[64];
			if (entry_addr(h + start, end - start, a, sizeof a))
				return; /* not an address: stop at what we can vouch for */
			if (!proxies_trusted(p, a)) {
				snprintf(out, cap, "%s", a);
				return;
			}
			snprintf(out, cap, "%s", a); /* a proxy in the chain: look further left */
			end = start ? start - 1 : 0;
		}
	}
}
