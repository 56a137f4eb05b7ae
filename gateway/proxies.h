/* proxies: trusted_proxies, and the client's address behind them.
 *
 * Behind HAProxy or nginx every connection comes from the proxy, so the
 * client's address is what the proxy put in X-Forwarded-For. The header is
 * believed only from a trusted proxy, and then only up to the first entry
 * that is not itself a trusted proxy, read from the right: everything left
 * of it was written by the client and proves nothing. Rate limits,
 * lock-outs and logs use the address found. */
#ifndef LINLI_PROXIES_H
#define LINLI_PROXIES_H

#include <stddef.h>

struct proxies;

/* Parses a comma-separated list of CIDRs or addresses ("10.0.0.0/8,
 * 127.0.0.1, ::1/128"); "" is no proxy. 0, or -EINVAL with err naming the
 * entry. *out is NULL for an empty list. */
int proxies_parse(const char *list, struct proxies **out, char *err, size_t errlen);
void proxies_free(struct proxies *p);

/* 1 when addr (text, IPv4 or IPv6) is in the list. */
int proxies_trusted(const struct proxies *p, const char *addr);

/* The client's address, into out (at least 64 bytes): peer itself unless
 * peer is trusted; then the right-most X-Forwarded-For entry that is not
 * trusted (the header's lines in order, each a comma-separated list), or
 * peer when there is none or it is not an address. */
void proxies_client(const struct proxies *p, const char *peer, const char *const *xff,
		    int nxff, char *out, size_t cap);

#endif
