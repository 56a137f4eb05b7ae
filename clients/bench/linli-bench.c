/* linli-bench: fan-out load generator for the Linli gateway (and for nchan,
 * as a yardstick).
 *
 * One thread, one epoll loop. N WebSocket subscribers (a minimal RFC 6455
 * client written here: upgrade, masked client frames, text/ping/close from
 * the server) and one HTTP/1.1 keep-alive publisher that POSTs events
 * carrying their send time "t" (CLOCK_REALTIME µs) and a counter "n".
 * Every subscriber scans each text frame for "t": and "n": to measure
 * latency and to count missing, duplicate and out-of-order deliveries.
 *
 * Phases: connect (paced, bounded in flight) → [idle hold | publish → drain]
 * → report. Depends on libc only (SHA-1 for Sec-WebSocket-Accept is here).
 *
 * Everything is bounded: header sizes, frame sizes, per-connection buffers,
 * requests in flight, handshake and phase durations. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* ---- limits ---------------------------------------------------------- */

#define MAX_TARGETS 64           /* --url list length */
#define MAX_PIDS 64              /* --server-pid list length */
#define PER_SOURCE_MAX 20000     /* connections per 127.0.0.x source address, at most */
#define PER_SOURCE_DEFAULT 5000  /* default spread: the kernel's ephemeral port search
				  * gets costly (seconds of system time) as one
				  * source's range fills */
#define READ_CHUNK 65536         /* one read() into the shared buffer */
#define UPGRADE_HDR_MAX 8192     /* 101 response header cap */
#define SUB_WBUF_MAX 65536       /* unsent bytes a subscriber may queue */
#define CTRL_MSG_MAX 8192        /* largest frame this client sends */
#define PUB_INBUF_MAX (1 << 20)  /* unparsed publisher response bytes */
#define PUB_HDR_MAX 16384        /* publisher response header cap */
#define PIPELINE_MAX 1024        /* --pipeline cap */
#define PAYLOAD_MAX (1 << 20)    /* --payload cap */
#define TOKEN_MAX 4096           /* --token / --pub-token length cap */
#define PUB_RECONNECT_MAX 1000   /* publisher reconnects per run */
#define FD_RESERVE 32            /* descriptors kept for epoll, stdio, publisher */
#define PUB_EXTRA_S 30           /* publish phase may overrun its plan by this */
#define EPOLL_BATCH 1024         /* events per epoll_wait */
#define PUB_TAG UINT64_MAX       /* epoll data of the publisher socket */
#define VERBOSE_ERR_MAX 100      /* --verbose logs at most this many errors per kind */

/* ---- small helpers ----------------------------------------------------- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "linli-bench: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		fprintf(stderr, "linli-bench: out of memory (%zu x %zu bytes)\n", n, size);
		abort();
	}
	return p;
}

static void *xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);
	if (!p) {
		fprintf(stderr, "linli-bench: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xorshift64*: masks and keys need to be unpredictable to proxies, not
 * cryptographically strong; seeded from getrandom(). */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* Parses a whole non-negative decimal; 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0) || isinf(v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- SHA-1 and base64, for the WebSocket key exchange ----------------- */

static uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;
	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
		else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
		else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
		else { f = b ^ c ^ d; k = 0xCA62C1D6; }
		t = rol32(a, 5) + f + e + k + w[i];
		e = d; d = c; c = rol32(b, 30); b = a; a = t;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

static void sha1(const uint8_t *msg, size_t len, uint8_t out[20])
{
	uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
	uint8_t tail[128];
	size_t full = len / 64 * 64, rest = len - full, tl, i;
	uint64_t bits = (uint64_t)len * 8;
	for (i = 0; i < full; i += 64)
		sha1_block(h, msg + i);
	memset(tail, 0, sizeof tail);
	memcpy(tail, msg + full, rest);
	tail[rest] = 0x80;
	tl = rest + 9 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(h, tail);
	if (tl == 128)
		sha1_block(h, tail + 64);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

/* Writes base64 of in[0..n) and a NUL to out (4*ceil(n/3)+1 bytes). */
static void base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = tab[v >> 18]; *out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63]; *out++ = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		*out++ = tab[v >> 18]; *out++ = tab[(v >> 12) & 63];
		*out++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = 0;
}

/* Fills key (25 bytes) with a fresh Sec-WebSocket-Key and accept (29 bytes)
 * with the Sec-WebSocket-Accept the server must answer. */
static void ws_make_key(char key[25], char accept[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	uint8_t raw[16], digest[20], cat[24 + 36];
	uint64_t a = rng_next(), b = rng_next();
	memcpy(raw, &a, 8);
	memcpy(raw + 8, &b, 8);
	base64(raw, 16, key);
	memcpy(cat, key, 24);
	memcpy(cat + 24, guid, 36);
	sha1(cat, sizeof cat, digest);
	base64(digest, 20, accept);
}

/* ---- latency histogram ------------------------------------------------- */

/* Log-linear: exact below 128 µs, then 64 sub-buckets per power of two
 * (≤1.6% error) up to 2^40 µs (12 days). */
#define HIST_LINEAR 128
#define HIST_SUB 64
#define HIST_MAXBIT 40
#define HIST_BUCKETS (HIST_LINEAR + (HIST_MAXBIT - 7) * HIST_SUB)

struct hist {
	uint64_t b[HIST_BUCKETS]; /* sample count per bucket */
	uint64_t count;           /* samples recorded */
	uint64_t max;             /* largest sample, exact */
	uint64_t negative;        /* samples below 0 (clock skew), recorded as 0 */
};

static unsigned hist_index(uint64_t v)
{
	int msb;
	if (v < HIST_LINEAR)
		return (unsigned)v;
	if (v >= (1ULL << HIST_MAXBIT))
		v = (1ULL << HIST_MAXBIT) - 1;
	msb = 63 - __builtin_clzll(v);
	return HIST_LINEAR + (unsigned)(msb - 7) * HIST_SUB +
	       (unsigned)((v >> (msb - 6)) - 64);
}

/* Representative value of a bucket: its midpoint. */
static uint64_t hist_value(unsigned idx)
{
	unsigned k, shift;
	uint64_t mant;
	if (idx < HIST_LINEAR)
		return idx;
	k = idx - HIST_LINEAR;
	shift = 1 + k / HIST_SUB;
	mant = 64 + k % HIST_SUB;
	return (mant << shift) + ((1ULL << shift) >> 1);
}

static void hist_add(struct hist *h, int64_t v)
{
	if (v < 0) {
		h->negative++;
		v = 0;
	}
	h->b[hist_index((uint64_t)v)]++;
	h->count++;
	if ((uint64_t)v > h->max)
		h->max = (uint64_t)v;
}

static uint64_t hist_pct(const struct hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	unsigned i;
	if (!h->count)
		return 0;
	rank = (uint64_t)ceil(p * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			v = hist_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* ---- run state ------------------------------------------------------------ */

enum mode { MODE_LINLI, MODE_NCHAN };

/* Why a connection or a request failed; counted and reported by name. */
enum err_kind {
	ERR_SOCKET,   /* socket()/bind() failed, e.g. RLIMIT_NOFILE */
	ERR_CONNECT,  /* TCP connect failed */
	ERR_TIMEOUT,  /* handshake (connect→ready) took too long */
	ERR_UPGRADE,  /* no 101, or a wrong Sec-WebSocket-Accept */
	ERR_PROTOCOL, /* malformed or oversized frame, buffer cap exceeded */
	ERR_REJECTED, /* server answered an op with {"op":"error"} or closed early */
	ERR_DROPPED,  /* a ready subscriber lost its connection */
	ERR_PUBLISH,  /* a publish got no 2xx */
	ERR__COUNT
};
static const char *const err_names[ERR__COUNT] = {
	"socket", "connect", "timeout", "upgrade", "protocol", "rejected",
	"dropped", "publish",
};

/* A WebSocket endpoint subscribers connect to. */
struct target {
	struct sockaddr_in addr; /* resolved server address */
	int loopback;            /* addr is in 127/8: bind a 127.0.0.x source */
	char hostport[300];      /* Host header value */
	char path[1024];         /* request target, query included */
};

enum sub_state {
	SUB_IDLE,      /* not launched yet */
	SUB_CONNECTING,/* TCP connect in progress */
	SUB_UPGRADING, /* upgrade request sent, waiting for the 101 */
	SUB_HELLO,     /* linli: waiting for {"op":"hello"} */
	SUB_AUTHING,   /* linli: auth sent, waiting for {"op":"authed"} */
	SUB_SUBBING,   /* linli: sub sent, waiting for {"op":"subbed"} */
	SUB_READY,     /* receiving events */
	SUB_DEAD,      /* closed; its counters stay for the report */
};

/* One subscriber connection. Buffers are allocated only when a frame or a
 * write straddles a read/write call, so idle connections cost ~100 bytes. */
struct sub {
	int fd;              /* socket, -1 when not open */
	uint8_t state;       /* enum sub_state */
	uint8_t want_out;    /* EPOLLOUT is registered (wbuf not empty, or connecting) */
	uint16_t target;     /* index into bench.targets */
	uint16_t src;        /* source address 127.0.0.(src+1) */
	int64_t deadline;    /* mono µs by which it must be ready; 0 once ready */
	int64_t next_ping;   /* mono µs of the next app-level ping, 0 for none */
	char *accept;        /* expected Sec-WebSocket-Accept while upgrading */
	char *pend;          /* received bytes not yet parsed (partial frame) */
	uint32_t pend_len;   /* bytes used in pend */
	uint32_t pend_cap;   /* bytes allocated for pend */
	char *frag;          /* fragmented message being reassembled */
	uint32_t frag_len;   /* bytes in frag */
	uint8_t in_frag;     /* opcode (1 text, 2 binary) of a message being reassembled */
	uint8_t counted;     /* was ready when publishing began: owes every event */
	char *wbuf;          /* bytes the kernel did not take yet */
	uint32_t wbuf_len;   /* bytes in wbuf */
	int64_t last_n;      /* highest n seen, -1 before the first event */
	uint64_t window;     /* bit k: event last_n-1-k was seen (dup detection) */
	uint64_t unique;     /* distinct events received (this run's) */
	uint64_t dups;       /* events received again */
	uint64_t ooo;        /* events that arrived after a higher n */
};

enum pub_state { PUB_OFF, PUB_CONNECTING, PUB_OPEN };

/* The publisher: one HTTP/1.1 keep-alive connection, pipelined requests.
 * Requests in flight are always n = resp_n .. next_n-1, answered in order. */
struct pub {
	int fd;                  /* socket, -1 when closed */
	int state;               /* enum pub_state */
	int want_out;            /* EPOLLOUT registered */
	struct sockaddr_in addr; /* server address */
	int loopback;            /* server in 127/8 (informational) */
	char hostport[300];      /* Host header */
	char path[1024];         /* POST target */
	char *out;               /* request bytes not yet written */
	size_t out_len;          /* bytes in out */
	size_t out_off;          /* bytes of out already written */
	size_t out_cap;          /* bytes allocated for out */
	char *in;                /* response bytes not yet parsed */
	size_t in_len;           /* bytes in in */
	size_t in_cap;           /* bytes allocated for in */
	int64_t next_n;          /* n of the next request to send */
	int64_t resp_n;          /* n whose response comes next */
	int64_t total;           /* events to publish, INT64_MAX for until-deadline */
	uint64_t ok;             /* 2xx answers: the events subscribers must get */
	uint64_t failed;         /* non-2xx answers and requests lost with a connection */
	uint64_t requeued;       /* requests resent after a Connection: close */
	int closing;             /* server said Connection: close; send no more here */
	int reconnects;          /* connections opened after the first */
	int64_t max_lag_us;      /* worst lateness of a send against the schedule */
	char *body;              /* scratch for one request body */
	size_t body_cap;         /* bytes allocated for body */
};

/* The whole run: options, then state. One instance, owned by main(). */
struct bench {
	/* options */
	enum mode mode;          /* --mode */
	struct target targets[MAX_TARGETS]; /* --url list */
	int ntargets;            /* entries in targets */
	uint64_t subs;           /* --subs */
	double connect_rate;     /* --connect-rate, connections started per second */
	uint64_t max_inflight;   /* --max-inflight, connections being set up at once */
	int64_t hs_timeout_us;   /* --handshake-timeout-ms, connect→ready */
	unsigned src_addrs;      /* --src-addrs, 127.0.0.1..K */
	const char *token;       /* --token for subscribers (linli) */
	int auth_header;         /* --auth-header: token on the upgrade, not in a frame */
	const char *channel;     /* --channel */
	const char *pub_url;     /* --pub-url, NULL for default */
	const char *pub_token;   /* --pub-token, defaults to --token */
	double rate;             /* --rate events/s */
	double duration_s;       /* --duration */
	uint64_t count;          /* --count, 0 for rate*duration */
	size_t payload;          /* --payload, target body size */
	int saturate;            /* --saturate */
	unsigned pipeline;       /* --pipeline, requests in flight */
	int idle;                /* --idle */
	pid_t pids[MAX_PIDS];    /* --server-pid list */
	int npids;               /* entries in pids */
	int64_t drain_us;        /* --drain-ms */
	int json;                /* --json */
	int quiet;               /* --quiet: no progress lines */
	int verbose;             /* --verbose: log each error (first VERBOSE_ERR_MAX per kind) */
	uint32_t max_frame;      /* --max-frame: frame/message/read-buffer cap */
	int64_t ping_ms;         /* --ping-ms, -1: follow hello's heartbeat_ms */
	int64_t ping_period_us;  /* app-level ping period in use, 0 for none */

	/* state */
	int ep;                  /* epoll descriptor */
	struct sub *sv;          /* subs subscribers */
	struct pub pub;          /* the publisher */
	char *rbuf;              /* shared read buffer, READ_CHUNK bytes */
	rlim_t nofile;           /* RLIMIT_NOFILE soft limit after raising */
	int fd_limit_hit;        /* socket() said EMFILE/ENFILE: launching stopped */
	uint64_t launched;       /* subscribers whose connect was started */
	uint64_t inflight;       /* launched, not ready, not dead */
	uint64_t ready;          /* currently ready */
	uint64_t ever_ready;     /* reached ready at some point */
	uint64_t dropped;        /* ready, then lost */
	int64_t connect_start;   /* mono µs the connect phase began */
	int64_t connect_end;     /* mono µs the connect phase ended */
	int publishing;          /* deliveries count from now on */
	int64_t pub_start_real;  /* realtime µs the publish phase began: older t is stale */
	int64_t pub_start;       /* mono µs the publish phase began */
	int64_t last_delivery;   /* mono µs of the latest counted delivery */
	uint64_t delivered;      /* distinct deliveries over all subscribers */
	uint64_t dups;           /* duplicate deliveries */
	uint64_t ooo;            /* out-of-order deliveries */
	uint64_t stale;          /* frames with t from before this run */
	uint64_t other_frames;   /* text frames without t/n while ready */
	uint64_t pings_sent;     /* keepalive pings sent (app-level or WebSocket) */
	uint64_t pongs;          /* their answers received */
	struct hist lat;         /* delivery latency, µs */
	uint64_t errors[ERR__COUNT];       /* failures by kind */
	char first_err[ERR__COUNT][200];   /* first message of each kind */
	volatile sig_atomic_t stop;        /* SIGINT/SIGTERM seen */
};

static struct bench B;

static void note_err(enum err_kind k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_err(enum err_kind k, const char *fmt, ...)
{
	va_list ap;
	if (B.errors[k]++ == 0) {
		va_start(ap, fmt);
		vsnprintf(B.first_err[k], sizeof B.first_err[k], fmt, ap);
		va_end(ap);
		if (!B.quiet)
			fprintf(stderr, "linli-bench: first %s error: %s\n", err_names[k],
				B.first_err[k]);
	} else if (B.verbose && B.errors[k] <= VERBOSE_ERR_MAX) {
		fprintf(stderr, "linli-bench: %s error: ", err_names[k]);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void progress(const char *fmt, ...)
{
	va_list ap;
	if (B.quiet)
		return;
	va_start(ap, fmt);
	fputs("linli-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- URL parsing -------------------------------------------------------- */

/* Parses scheme://host[:port][/path] into addr, Host header and path.
 * 0 or -EINVAL with a message on stderr. */
static int url_parse(const char *url, const char *scheme, struct sockaddr_in *addr,
		     int *loopback, char *hostport, size_t hpcap, char *path, size_t pcap)
{
	const char *hs, *he, *ps;
	char host[256];
	unsigned long port = 80;
	struct addrinfo hints, *res = NULL;
	size_t sl = strlen(scheme);
	int rc;

	if (strncmp(url, scheme, sl) || strncmp(url + sl, "://", 3)) {
		fprintf(stderr, "linli-bench: %s: expected %s://host:port/path\n", url, scheme);
		return -EINVAL;
	}
	hs = url + sl + 3;
	ps = strchr(hs, '/');
	if (!ps)
		ps = hs + strlen(hs);
	he = memchr(hs, ':', (size_t)(ps - hs));
	if (he) {
		char *end;
		errno = 0;
		port = strtoul(he + 1, &end, 10);
		if (errno || end != ps || port == 0 || port > 65535) {
			fprintf(stderr, "linli-bench: %s: bad port\n", url);
			return -EINVAL;
		}
	} else {
		he = ps;
	}
	if (he == hs || (size_t)(he - hs) >= sizeof host) {
		fprintf(stderr, "linli-bench: %s: bad host\n", url);
		return -EINVAL;
	}
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = 0;
	if ((size_t)(ps - hs) >= hpcap || strlen(*ps ? ps : "/") >= pcap) {
		fprintf(stderr, "linli-bench: %s: too long\n", url);
		return -EINVAL;
	}
	memcpy(hostport, hs, (size_t)(ps - hs));
	hostport[ps - hs] = 0;
	strcpy(path, *ps ? ps : "/");

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc || !res) {
		fprintf(stderr, "linli-bench: %s: cannot resolve %s: %s\n", url, host,
			gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(addr, res->ai_addr, sizeof *addr);
	addr->sin_port = htons((uint16_t)port);
	freeaddrinfo(res);
	*loopback = (ntohl(addr->sin_addr.s_addr) >> 24) == 127;
	return 0;
}

/* Appends s percent-encoded as one path segment. */
static void path_seg_append(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(dst);
	for (; *s && n + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~:@!$&'()*+,;=", c))
			dst[n++] = (char)c;
		else
			n += (size_t)snprintf(dst + n, cap - n, "%%%02X", c);
	}
	dst[n] = 0;
}

/* ---- /proc readings ------------------------------------------------------- */

/* Sum of VmRSS (kB) over --server-pid; -1 when unreadable. */
static int64_t server_rss_kb(void)
{
	int64_t sum = 0;
	int i;
	for (i = 0; i < B.npids; i++) {
		char path[64], line[256];
		FILE *f;
		int64_t v = -1;
		snprintf(path, sizeof path, "/proc/%d/status", (int)B.pids[i]);
		f = fopen(path, "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, "VmRSS:", 6)) {
				v = strtoll(line + 6, NULL, 10);
				break;
			}
		fclose(f);
		if (v < 0)
			return -1;
		sum += v;
	}
	return sum;
}

/* Sum of utime+stime (seconds) over --server-pid; -1 when unreadable. */
static double server_cpu_s(void)
{
	double sum = 0;
	long tck = sysconf(_SC_CLK_TCK);
	int i;
	for (i = 0; i < B.npids; i++) {
		char path[64], line[2048], *p;
		unsigned long long ut, st;
		FILE *f;
		size_t n;
		snprintf(path, sizeof path, "/proc/%d/stat", (int)B.pids[i]);
		f = fopen(path, "r");
		if (!f)
			return -1;
		n = fread(line, 1, sizeof line - 1, f);
		fclose(f);
		line[n] = 0;
		/* comm may hold spaces and parens: fields restart after the last ')' */
		p = strrchr(line, ')');
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				 &ut, &st) != 2)
			return -1;
		sum += (double)(ut + st) / (double)(tck > 0 ? tck : 100);
	}
	return sum;
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- subscribers ------------------------------------------------------------ */

static void ep_set(int fd, uint64_t tag, uint32_t events, int op)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.u64 = tag;
	if (epoll_ctl(B.ep, op, fd, &ev) < 0 && !B.quiet)
		fprintf(stderr, "linli-bench: epoll_ctl: %s\n", strerror(errno));
}

static const char *sub_state_name(int st)
{
	static const char *const names[] = {"idle", "connecting", "upgrading", "hello",
					    "authing", "subbing", "ready", "dead"};
	return st >= 0 && st <= SUB_DEAD ? names[st] : "?";
}

/* Closes s and records why. Safe from inside s's own event handling: the
 * sub array is never freed during the run and a DEAD sub ignores events. */
static void sub_kill(struct sub *s, enum err_kind k, const char *why)
{
	if (s->state == SUB_DEAD)
		return;
	if (s->state == SUB_READY) {
		B.ready--;
		B.dropped++;
		note_err(ERR_DROPPED, "subscriber %zu: %s", (size_t)(s - B.sv), why);
	} else {
		B.inflight--;
		note_err(k, "subscriber %zu (%s): %s", (size_t)(s - B.sv),
			 sub_state_name(s->state), why);
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->state = SUB_DEAD;
	free(s->accept);
	free(s->pend);
	free(s->frag);
	free(s->wbuf);
	s->accept = s->pend = s->frag = s->wbuf = NULL;
	s->pend_len = s->pend_cap = s->frag_len = s->wbuf_len = 0;
}

static void sub_want_out(struct sub *s, int on)
{
	if (s->want_out == on)
		return;
	s->want_out = (uint8_t)on;
	ep_set(s->fd, (uint64_t)(s - B.sv), EPOLLIN | (on ? EPOLLOUT : 0), EPOLL_CTL_MOD);
}

/* Sends bytes, queueing what the kernel does not take. 0 or -1 (killed). */
static int sub_write(struct sub *s, const char *p, size_t n)
{
	ssize_t w = 0;
	if (!s->wbuf_len) {
		w = send(s->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				char m[96];
				snprintf(m, sizeof m, "send: %s", strerror(errno));
				sub_kill(s, ERR_DROPPED, m);
				return -1;
			}
			w = 0;
		}
		if ((size_t)w == n)
			return 0;
	}
	if (s->wbuf_len + (n - (size_t)w) > SUB_WBUF_MAX) {
		sub_kill(s, ERR_PROTOCOL, "send queue over its cap (server not reading)");
		return -1;
	}
	s->wbuf = xrealloc(s->wbuf, s->wbuf_len + (n - (size_t)w));
	memcpy(s->wbuf + s->wbuf_len, p + w, n - (size_t)w);
	s->wbuf_len += (uint32_t)(n - (size_t)w);
	sub_want_out(s, 1);
	return 0;
}

static int sub_flush(struct sub *s)
{
	ssize_t w;
	if (!s->wbuf_len) {
		sub_want_out(s, 0);
		return 0;
	}
	w = send(s->fd, s->wbuf, s->wbuf_len, MSG_NOSIGNAL);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		sub_kill(s, ERR_DROPPED, "send failed");
		return -1;
	}
	memmove(s->wbuf, s->wbuf + w, s->wbuf_len - (size_t)w);
	s->wbuf_len -= (uint32_t)w;
	if (!s->wbuf_len) {
		free(s->wbuf);
		s->wbuf = NULL;
		sub_want_out(s, 0);
	}
	return 0;
}

/* Sends one masked client frame. 0 or -1 (killed). */
static int ws_send(struct sub *s, int opcode, const char *payload, size_t n)
{
	char f[CTRL_MSG_MAX + 14];
	size_t h = 0, i;
	uint32_t mk = (uint32_t)rng_next();
	uint8_t m[4];
	if (n > CTRL_MSG_MAX)
		return -1;
	f[h++] = (char)(0x80 | opcode);
	if (n < 126) {
		f[h++] = (char)(0x80 | n);
	} else {
		f[h++] = (char)(0x80 | 126);
		f[h++] = (char)(n >> 8);
		f[h++] = (char)n;
	}
	memcpy(m, &mk, 4);
	memcpy(f + h, m, 4);
	h += 4;
	for (i = 0; i < n; i++)
		f[h + i] = (char)(payload[i] ^ m[i & 3]);
	return sub_write(s, f, h + n);
}

static int ws_send_text(struct sub *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ws_send_text(struct sub *s, const char *fmt, ...)
{
	char msg[CTRL_MSG_MAX];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof msg) {
		sub_kill(s, ERR_PROTOCOL, "outgoing message too long");
		return -1;
	}
	return ws_send(s, 0x1, msg, (size_t)n);
}

/* Finds "key": in p[0..n) and parses the integer after it. 0 or -1. */
static int json_int(const char *p, size_t n, const char *key, int64_t *out)
{
	char pat[40];
	const char *k, *e = p + n;
	int neg = 0;
	int64_t v = 0;
	size_t pl = (size_t)snprintf(pat, sizeof pat, "\"%s\":", key);
	k = memmem(p, n, pat, pl);
	if (!k)
		return -1;
	k += pl;
	while (k < e && (*k == ' ' || *k == '\t'))
		k++;
	if (k < e && *k == '-') {
		neg = 1;
		k++;
	}
	if (k >= e || !isdigit((unsigned char)*k))
		return -1;
	while (k < e && isdigit((unsigned char)*k) && v < INT64_MAX / 10)
		v = v * 10 + (*k++ - '0');
	*out = neg ? -v : v;
	return 0;
}

/* True when p[0..n) carries "op":"<op>". */
static int json_op_is(const char *p, size_t n, const char *op)
{
	char pat[48];
	size_t pl = (size_t)snprintf(pat, sizeof pat, "\"op\":\"%s\"", op);
	if (memmem(p, n, pat, pl))
		return 1;
	pl = (size_t)snprintf(pat, sizeof pat, "\"op\": \"%s\"", op);
	return memmem(p, n, pat, pl) != NULL;
}

#define NCHAN_HEARTBEAT_MS 25000
static void sub_schedule_ping(struct sub *s, int64_t hb_ms);

static void sub_became_ready(struct sub *s)
{
	s->state = SUB_READY;
	s->deadline = 0;
	B.inflight--;
	B.ready++;
	B.ever_ready++;
	/* nchan has no hello: the same keepalive as a gateway subscriber with
	 * the gateway's default heartbeat (25 s), so both servers get the same
	 * traffic besides the deliveries. */
	if (B.mode == MODE_NCHAN)
		sub_schedule_ping(s, NCHAN_HEARTBEAT_MS);
}

/* One event frame: latency and sequence bookkeeping. */
static void sub_delivery(struct sub *s, const char *p, size_t n, int64_t now_real)
{
	int64_t t, num, d;
	if (json_int(p, n, "t", &t) || json_int(p, n, "n", &num) || num < 0) {
		B.other_frames++;
		return;
	}
	if (!B.publishing || t < B.pub_start_real) {
		B.stale++; /* a leftover from an earlier run (nchan buffers messages) */
		return;
	}
	if (s->last_n < 0 || num > s->last_n) {
		d = s->last_n < 0 ? 0 : num - s->last_n;
		if (s->last_n < 0)
			s->window = 0;
		else if (d > 64)
			s->window = 0;
		else
			s->window = (d == 64 ? 0 : s->window << d) | (1ULL << (d - 1));
		s->last_n = num;
	} else if (num == s->last_n) {
		s->dups++;
		B.dups++;
		return;
	} else {
		uint64_t k = (uint64_t)(s->last_n - 1 - num);
		if (k < 64) {
			if (s->window & (1ULL << k)) {
				s->dups++;
				B.dups++;
				return;
			}
			s->window |= 1ULL << k;
		}
		/* older than the window: assumed not a duplicate */
		s->ooo++;
		B.ooo++;
	}
	s->unique++;
	B.delivered++;
	B.last_delivery = mono_us();
	hist_add(&B.lat, now_real - t);
}

static void sub_schedule_ping(struct sub *s, int64_t hb_ms)
{
	int64_t ms = B.ping_ms >= 0 ? B.ping_ms : hb_ms * 4 / 5;
	if (ms <= 0) {
		s->next_ping = 0;
		return;
	}
	B.ping_period_us = ms * 1000;
	/* jitter so thousands of sockets do not ping in the same millisecond */
	s->next_ping = mono_us() + ms * 1000 - (int64_t)(rng_next() % (uint64_t)(ms * 200 + 1));
}

/* One complete text message. 0 or -1 (killed). */
static int sub_message(struct sub *s, const char *p, size_t n, int64_t now_real)
{
	if (B.mode == MODE_NCHAN) {
		if (s->state == SUB_READY)
			sub_delivery(s, p, n, now_real);
		return 0;
	}
	if (s->state == SUB_READY) {
		if (json_op_is(p, n, "event"))
			sub_delivery(s, p, n, now_real);
		else if (json_op_is(p, n, "pong"))
			B.pongs++;
		else if (json_op_is(p, n, "error"))
			note_err(ERR_REJECTED, "error while subscribed: %.*s", (int)(n > 150 ? 150 : n), p);
		return 0;
	}
	if (json_op_is(p, n, "error")) {
		char m[200];
		snprintf(m, sizeof m, "server error: %.*s", (int)(n > 150 ? 150 : n), p);
		sub_kill(s, ERR_REJECTED, m);
		return -1;
	}
	switch (s->state) {
	case SUB_HELLO:
		if (json_op_is(p, n, "hello")) {
			int64_t hb = 0;
			json_int(p, n, "heartbeat_ms", &hb);
			sub_schedule_ping(s, hb);
			if (B.auth_header) {
				s->state = SUB_SUBBING;
				return ws_send_text(s, "{\"op\":\"sub\",\"ch\":\"%s\"}", B.channel);
			}
			s->state = SUB_AUTHING;
			return ws_send_text(s, "{\"op\":\"auth\",\"token\":\"%s\"}", B.token);
		}
		break;
	case SUB_AUTHING:
		if (json_op_is(p, n, "authed")) {
			s->state = SUB_SUBBING;
			return ws_send_text(s, "{\"op\":\"sub\",\"ch\":\"%s\"}", B.channel);
		}
		break;
	case SUB_SUBBING:
		if (json_op_is(p, n, "subbed"))
			sub_became_ready(s);
		break;
	default:
		break;
	}
	return 0;
}

/* Case-insensitive header lookup in h[0..n); value trimmed. */
static int hdr_find(const char *h, size_t n, const char *name, const char **val, size_t *vlen)
{
	const char *line = h, *end = h + n, *eol;
	size_t nl = strlen(name);
	while (line < end) {
		eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > nl && line[nl] == ':' && !strncasecmp(line, name, nl)) {
			const char *v = line + nl + 1, *ve = eol;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			*val = v;
			*vlen = (size_t)(ve - v);
			return 0;
		}
		line = eol + 2;
	}
	return -1;
}

/* Parses what arrived in p[0..n) (writable: frames are unmasked in place).
 * Returns bytes consumed (the rest is an incomplete frame), or -1 when s
 * was killed. */
static ssize_t sub_parse(struct sub *s, char *p, size_t n)
{
	size_t off = 0;
	int64_t now_real = real_us();

	if (s->state == SUB_UPGRADING) {
		const char *e = memmem(p, n, "\r\n\r\n", 4), *v;
		size_t vl;
		int status = 0;
		if (!e) {
			if (n > UPGRADE_HDR_MAX) {
				sub_kill(s, ERR_UPGRADE, "upgrade response headers too long");
				return -1;
			}
			return 0;
		}
		if (n < 12 || strncmp(p, "HTTP/1.", 7) || sscanf(p + 9, "%3d", &status) != 1 ||
		    status != 101) {
			char m[160];
			const char *eol = memmem(p, n, "\r\n", 2);
			snprintf(m, sizeof m, "upgrade refused: %.*s", (int)(eol ? eol - p : 40), p);
			sub_kill(s, ERR_UPGRADE, m);
			return -1;
		}
		if (hdr_find(p, (size_t)(e - p), "Sec-WebSocket-Accept", &v, &vl) ||
		    vl != strlen(s->accept) || memcmp(v, s->accept, vl)) {
			sub_kill(s, ERR_UPGRADE, "missing or wrong Sec-WebSocket-Accept");
			return -1;
		}
		free(s->accept);
		s->accept = NULL;
		off = (size_t)(e - p) + 4;
		if (B.mode == MODE_NCHAN)
			sub_became_ready(s);
		else
			s->state = SUB_HELLO;
	}

	while (n - off >= 2) {
		uint8_t b0 = (uint8_t)p[off], b1 = (uint8_t)p[off + 1];
		int fin = b0 & 0x80, op = b0 & 0x0f, masked = b1 & 0x80;
		uint64_t len = b1 & 0x7f;
		size_t h = 2;
		char *pl;
		if (b0 & 0x70) {
			sub_kill(s, ERR_PROTOCOL, "reserved bits set in a server frame");
			return -1;
		}
		if (len == 126) {
			if (n - off < 4)
				break;
			len = (uint64_t)(uint8_t)p[off + 2] << 8 | (uint8_t)p[off + 3];
			h = 4;
		} else if (len == 127) {
			int i;
			if (n - off < 10)
				break;
			len = 0;
			for (i = 0; i < 8; i++)
				len = len << 8 | (uint8_t)p[off + 2 + i];
			h = 10;
		}
		if (masked)
			h += 4;
		if (len > B.max_frame) {
			char m[96];
			snprintf(m, sizeof m, "frame of %" PRIu64 " bytes over --max-frame", len);
			sub_kill(s, ERR_PROTOCOL, m);
			return -1;
		}
		if (n - off < h + len)
			break;
		pl = p + off + h;
		if (masked) {
			const char *mk = p + off + h - 4;
			uint64_t i;
			for (i = 0; i < len; i++)
				pl[i] ^= mk[i & 3];
		}
		off += h + (size_t)len;

		if (op == 0x1 || op == 0x2 || op == 0x0) {
			if (op != 0x0 && s->in_frag) {
				sub_kill(s, ERR_PROTOCOL, "new message inside a fragmented one");
				return -1;
			}
			if (op == 0x0 && !s->in_frag) {
				sub_kill(s, ERR_PROTOCOL, "continuation without a message");
				return -1;
			}
			if (fin && !s->in_frag) {
				if (op == 0x1 && sub_message(s, pl, (size_t)len, now_real) < 0)
					return -1;
			} else {
				if (s->frag_len + len > B.max_frame) {
					sub_kill(s, ERR_PROTOCOL, "fragmented message over --max-frame");
					return -1;
				}
				if (op != 0x0)
					s->in_frag = op; /* remembers text (1) or binary (2) */
				s->frag = xrealloc(s->frag, s->frag_len + len + 1);
				memcpy(s->frag + s->frag_len, pl, (size_t)len);
				s->frag_len += (uint32_t)len;
				if (fin) {
					int text = s->in_frag == 0x1, rc = 0;
					if (text)
						rc = sub_message(s, s->frag, s->frag_len, now_real);
					if (rc < 0)
						return -1;
					free(s->frag);
					s->frag = NULL;
					s->frag_len = 0;
					s->in_frag = 0;
				}
			}
		} else if (op == 0x8) {
			char m[160], echo[2] = {0, 0};
			int code = len >= 2 ? ((uint8_t)pl[0] << 8 | (uint8_t)pl[1]) : 1005;
			if (len >= 2) {
				echo[0] = pl[0];
				echo[1] = pl[1];
			}
			ws_send(s, 0x8, echo, len >= 2 ? 2 : 0);
			snprintf(m, sizeof m, "server closed the WebSocket, code %d%s%.*s", code,
				 len > 2 ? ": " : "", (int)(len > 2 ? (len - 2 > 100 ? 100 : len - 2) : 0),
				 pl + 2);
			if (s->state != SUB_DEAD)
				sub_kill(s, ERR_REJECTED, m);
			return -1;
		} else if (op == 0x9) {
			if (len > 125) {
				sub_kill(s, ERR_PROTOCOL, "ping payload over 125 bytes");
				return -1;
			}
			if (ws_send(s, 0xA, pl, (size_t)len) < 0)
				return -1;
		} else if (op == 0xA) {
			B.pongs++; /* answers our nchan-mode keepalive */
		} else {
			char m[64];
			snprintf(m, sizeof m, "unknown opcode %d", op);
			sub_kill(s, ERR_PROTOCOL, m);
			return -1;
		}
		if (s->state == SUB_DEAD)
			return -1;
	}
	return (ssize_t)off;
}

/* Feeds freshly read bytes to the parser, keeping a partial frame. */
static void sub_feed(struct sub *s, char *p, size_t n)
{
	ssize_t used;
	size_t cap = (size_t)B.max_frame + 14 + UPGRADE_HDR_MAX;
	if (s->pend_len) {
		if (s->pend_len + n > cap) {
			sub_kill(s, ERR_PROTOCOL, "read buffer over its cap");
			return;
		}
		if (s->pend_len + n > s->pend_cap) {
			s->pend_cap = (uint32_t)(s->pend_len + n);
			s->pend = xrealloc(s->pend, s->pend_cap);
		}
		memcpy(s->pend + s->pend_len, p, n);
		s->pend_len += (uint32_t)n;
		used = sub_parse(s, s->pend, s->pend_len);
		if (used < 0)
			return;
		memmove(s->pend, s->pend + used, s->pend_len - (size_t)used);
		s->pend_len -= (uint32_t)used;
		if (!s->pend_len) {
			free(s->pend);
			s->pend = NULL;
			s->pend_cap = 0;
		}
		return;
	}
	used = sub_parse(s, p, n);
	if (used < 0 || (size_t)used == n)
		return;
	s->pend_cap = (uint32_t)(n - (size_t)used);
	s->pend = xmalloc(s->pend_cap);
	memcpy(s->pend, p + used, s->pend_cap);
	s->pend_len = s->pend_cap;
}

static void sub_send_upgrade(struct sub *s)
{
	const struct target *t = &B.targets[s->target];
	char key[25], req[2048 + TOKEN_MAX];
	int n;
	s->accept = xmalloc(29);
	ws_make_key(key, s->accept);
	n = snprintf(req, sizeof req,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
		     t->path, t->hostport, key,
		     B.auth_header ? "Authorization: Bearer " : "",
		     B.auth_header ? B.token : "", B.auth_header ? "\r\n" : "");
	s->state = SUB_UPGRADING;
	sub_want_out(s, 0);
	sub_write(s, req, (size_t)n);
}

static void sub_event(struct sub *s, uint32_t ev)
{
	ssize_t r;
	if (s->state == SUB_DEAD || s->state == SUB_IDLE)
		return;
	if (s->state == SUB_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof err;
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			char m[96];
			snprintf(m, sizeof m, "connect: %s", strerror(err ? err : ECONNRESET));
			sub_kill(s, ERR_CONNECT, m);
			return;
		}
		sub_send_upgrade(s);
		return;
	}
	if ((ev & EPOLLOUT) && sub_flush(s) < 0)
		return;
	if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	r = recv(s->fd, B.rbuf, READ_CHUNK, 0);
	if (r > 0) {
		sub_feed(s, B.rbuf, (size_t)r);
	} else if (r == 0) {
		sub_kill(s, s->state == SUB_UPGRADING ? ERR_UPGRADE : ERR_REJECTED,
			 "server closed the connection");
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		char m[96];
		snprintf(m, sizeof m, "recv: %s", strerror(errno));
		sub_kill(s, ERR_REJECTED, m);
	}
}

/* Starts subscriber i's TCP connect. 0, or -EMFILE when out of descriptors. */
static int sub_start(uint64_t i)
{
	struct sub *s = &B.sv[i];
	const struct target *t = &B.targets[s->target];
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	B.launched++;
	B.inflight++;
	s->state = SUB_CONNECTING;
	s->deadline = mono_us() + B.hs_timeout_us;
	if (fd < 0) {
		int e = errno;
		char m[160];
		if (e == EMFILE || e == ENFILE) {
			snprintf(m, sizeof m,
				 "socket: %s: file descriptor limit hit (RLIMIT_NOFILE %llu) after %" PRIu64
				 " subscribers", strerror(e), (unsigned long long)B.nofile, i);
			B.fd_limit_hit = 1;
		} else {
			snprintf(m, sizeof m, "socket: %s", strerror(e));
		}
		sub_kill(s, ERR_SOCKET, m);
		return e == EMFILE || e == ENFILE ? -EMFILE : 0;
	}
	s->fd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (t->loopback) {
		struct sockaddr_in src;
		/* with this the port is picked at connect() against the full 4-tuple */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		memset(&src, 0, sizeof src);
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001u + s->src);
		if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
			char m[96];
			snprintf(m, sizeof m, "bind 127.0.0.%u: %s", s->src + 1, strerror(errno));
			sub_kill(s, ERR_SOCKET, m);
			return 0;
		}
	}
	if (connect(fd, (const struct sockaddr *)&t->addr, sizeof t->addr) < 0 &&
	    errno != EINPROGRESS) {
		char m[96];
		snprintf(m, sizeof m, "connect: %s", strerror(errno));
		sub_kill(s, ERR_CONNECT, m);
		return 0;
	}
	s->want_out = 1;
	ep_set(fd, i, EPOLLIN | EPOLLOUT, EPOLL_CTL_ADD);
	return 0;
}

/* Deadlines and keepalive pings; cheap enough to scan every 50 ms. */
static void subs_housekeeping(int64_t now)
{
	uint64_t i;
	for (i = 0; i < B.launched; i++) {
		struct sub *s = &B.sv[i];
		if (s->state == SUB_DEAD)
			continue;
		if (s->deadline && now > s->deadline) {
			char m[96];
			snprintf(m, sizeof m, "not ready after %" PRId64 " ms",
				 B.hs_timeout_us / 1000);
			sub_kill(s, ERR_TIMEOUT, m);
			continue;
		}
		if (s->next_ping && now >= s->next_ping && s->state == SUB_READY) {
			if ((B.mode == MODE_NCHAN ? ws_send(s, 0x9, "k", 1)
						  : ws_send_text(s, "{\"op\":\"ping\"}")) < 0)
				continue;
			B.pings_sent++;
			s->next_ping = now + B.ping_period_us;
		}
	}
}

/* ---- publisher -------------------------------------------------------------- */

static void pub_want_out(int on)
{
	struct pub *pb = &B.pub;
	if (pb->want_out == on || pb->fd < 0)
		return;
	pb->want_out = on;
	ep_set(pb->fd, PUB_TAG, EPOLLIN | (on ? EPOLLOUT : 0), EPOLL_CTL_MOD);
}

static int pub_connect(void)
{
	struct pub *pb = &B.pub;
	int one = 1;
	pb->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pb->fd < 0) {
		note_err(ERR_PUBLISH, "publisher socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(pb->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(pb->fd, (const struct sockaddr *)&pb->addr, sizeof pb->addr) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;
		note_err(ERR_PUBLISH, "publisher connect: %s", strerror(e));
		close(pb->fd);
		pb->fd = -1;
		return -e;
	}
	pb->state = PUB_CONNECTING;
	pb->want_out = 1;
	pb->closing = 0;
	pb->in_len = 0;
	pb->out_len = pb->out_off = 0;
	ep_set(pb->fd, PUB_TAG, EPOLLIN | EPOLLOUT, EPOLL_CTL_ADD);
	return 0;
}

/* The connection ended: requests the server promised not to handle
 * (Connection: close) are sent again; others are lost. */
static void pub_closed(const char *why)
{
	struct pub *pb = &B.pub;
	int64_t lost = pb->next_n - pb->resp_n;
	if (pb->fd >= 0)
		close(pb->fd);
	pb->fd = -1;
	pb->state = PUB_OFF;
	pb->out_len = pb->out_off = 0;
	pb->in_len = 0;
	if (lost > 0) {
		if (pb->closing) {
			pb->requeued += (uint64_t)lost;
		} else {
			pb->failed += (uint64_t)lost;
			note_err(ERR_PUBLISH, "%" PRId64 " request(s) in flight lost: %s", lost, why);
			B.errors[ERR_PUBLISH] += (uint64_t)lost - 1;
			pb->resp_n = pb->next_n;
		}
		pb->next_n = pb->resp_n;
	}
	pb->closing = 0;
}

static void pub_flush(void)
{
	struct pub *pb = &B.pub;
	while (pb->out_off < pb->out_len) {
		ssize_t w = send(pb->fd, pb->out + pb->out_off, pb->out_len - pb->out_off,
				 MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				pub_want_out(1);
				return;
			}
			pub_closed(strerror(errno));
			return;
		}
		pb->out_off += (size_t)w;
	}
	pb->out_len = pb->out_off = 0;
	pub_want_out(0);
}

/* Queues the request for event n, stamped now. */
static void pub_send_one(void)
{
	struct pub *pb = &B.pub;
	int64_t t = real_us(), n = pb->next_n;
	size_t bl, need, pad = 0;
	char head[64];
	int hl;

	hl = snprintf(head, sizeof head, "\"t\":%" PRId64 ",\"n\":%" PRId64, t, n);
	/* body without padding: linli {"type":"bench","data":{HEAD}}, nchan {HEAD} */
	bl = (size_t)hl + (B.mode == MODE_LINLI ? 27 : 2);
	if (B.payload > bl + 7)
		pad = B.payload - bl - 7; /* ,"p":"" is 7 bytes */
	need = bl + pad + 8;
	if (need > pb->body_cap) {
		pb->body_cap = need;
		pb->body = xrealloc(pb->body, need);
	}
	if (pad) {
		char *q;
		bl = (size_t)snprintf(pb->body, pb->body_cap,
				      B.mode == MODE_LINLI ? "{\"type\":\"bench\",\"data\":{%s,\"p\":\""
							   : "{%s,\"p\":\"", head);
		q = pb->body + bl;
		memset(q, 'x', pad);
		q += pad;
		memcpy(q, B.mode == MODE_LINLI ? "\"}}" : "\"}", B.mode == MODE_LINLI ? 4 : 3);
		bl = strlen(pb->body);
	} else {
		bl = (size_t)snprintf(pb->body, pb->body_cap,
				      B.mode == MODE_LINLI ? "{\"type\":\"bench\",\"data\":{%s}}" : "{%s}",
				      head);
	}

	need = pb->out_len + bl + sizeof pb->path + sizeof pb->hostport + TOKEN_MAX + 200;
	if (need > pb->out_cap) {
		pb->out_cap = need;
		pb->out = xrealloc(pb->out, need);
	}
	pb->out_len += (size_t)snprintf(pb->out + pb->out_len, pb->out_cap - pb->out_len,
		"POST %s HTTP/1.1\r\nHost: %s\r\n%s%s%sContent-Type: application/json\r\n"
		"Content-Length: %zu\r\n\r\n",
		pb->path, pb->hostport, B.pub_token ? "Authorization: Bearer " : "",
		B.pub_token ? B.pub_token : "", B.pub_token ? "\r\n" : "", bl);
	memcpy(pb->out + pb->out_len, pb->body, bl);
	pb->out_len += bl;
	pb->next_n++;
}

/* Length of a complete chunked body at p, 0 when incomplete, -1 if bad. */
static ssize_t chunked_len(const char *p, size_t n)
{
	size_t off = 0;
	for (;;) {
		const char *eol = memmem(p + off, n - off, "\r\n", 2);
		char *end;
		unsigned long long sz;
		if (!eol)
			return n - off > 64 ? -1 : 0;
		errno = 0;
		sz = strtoull(p + off, &end, 16);
		if (errno || end == p + off || sz > PUB_INBUF_MAX)
			return -1;
		off = (size_t)(eol - p) + 2;
		if (sz == 0) {
			/* trailers, then an empty line */
			for (;;) {
				eol = memmem(p + off, n - off, "\r\n", 2);
				if (!eol)
					return 0;
				if (eol == p + off)
					return (ssize_t)(off + 2);
				off = (size_t)(eol - p) + 2;
			}
		}
		if (n - off < sz + 2)
			return 0;
		off += sz + 2;
	}
}

/* Parses complete responses in pb->in. at_eof: the server closed, so a
 * body without a length ends here. */
static void pub_parse(int at_eof)
{
	struct pub *pb = &B.pub;
	size_t off = 0;
	while (off < pb->in_len) {
		const char *p = pb->in + off, *he, *v;
		size_t n = pb->in_len - off, hl, vl, total;
		int status = 0, chunked = 0, close_after = 0, has_len = 0;
		unsigned long long clen = 0;
		he = memmem(p, n, "\r\n\r\n", 4);
		if (!he) {
			if (n > PUB_HDR_MAX) {
				note_err(ERR_PUBLISH, "response headers over %d bytes", PUB_HDR_MAX);
				pub_closed("bad response");
				return;
			}
			break;
		}
		hl = (size_t)(he - p) + 4;
		if (n < 12 || strncmp(p, "HTTP/1.", 7) || sscanf(p + 9, "%3d", &status) != 1) {
			note_err(ERR_PUBLISH, "malformed response: %.40s", p);
			pub_closed("malformed response");
			return;
		}
		if (!hdr_find(p, hl, "Transfer-Encoding", &v, &vl) && vl >= 7 &&
		    !strncasecmp(v + vl - 7, "chunked", 7))
			chunked = 1;
		if (!hdr_find(p, hl, "Content-Length", &v, &vl)) {
			has_len = 1;
			clen = strtoull(v, NULL, 10);
		}
		if (!hdr_find(p, hl, "Connection", &v, &vl) && vl >= 5 &&
		    memmem(v, vl, "close", 5))
			close_after = 1;
		if (p[7] == '0' && !(!hdr_find(p, hl, "Connection", &v, &vl) &&
				     vl >= 10 && !strncasecmp(v, "keep-alive", 10)))
			close_after = 1; /* HTTP/1.0 without keep-alive */
		if (status / 100 == 1) {
			off += hl; /* 100 Continue and friends */
			continue;
		}
		if (status == 204 || status == 304) {
			total = hl;
		} else if (chunked) {
			ssize_t cl = chunked_len(p + hl, n - hl);
			if (cl < 0) {
				note_err(ERR_PUBLISH, "bad chunked encoding");
				pub_closed("bad response");
				return;
			}
			if (cl == 0)
				break;
			total = hl + (size_t)cl;
		} else if (has_len) {
			if (clen > PUB_INBUF_MAX) {
				note_err(ERR_PUBLISH, "response body of %llu bytes", clen);
				pub_closed("bad response");
				return;
			}
			if (n < hl + clen)
				break;
			total = hl + (size_t)clen;
		} else {
			if (!at_eof)
				break; /* body runs to the end of the connection */
			total = n;
			close_after = 1;
		}
		if (pb->resp_n >= pb->next_n) {
			note_err(ERR_PUBLISH, "response without a request (status %d)", status);
		} else if (status / 100 == 2) {
			pb->ok++;
			pb->resp_n++;
		} else {
			const char *body = p + hl;
			size_t bl = total - hl;
			pb->failed++;
			pb->resp_n++;
			note_err(ERR_PUBLISH, "publish answered %d: %.*s", status,
				 (int)(bl > 150 ? 150 : bl), body);
		}
		off += total;
		if (close_after) {
			pb->closing = 1;
			break;
		}
	}
	memmove(pb->in, pb->in + off, pb->in_len - off);
	pb->in_len -= off;
	if (pb->closing && pb->resp_n == pb->next_n)
		pub_closed("Connection: close");
}

static void pub_event(uint32_t ev)
{
	struct pub *pb = &B.pub;
	if (pb->fd < 0)
		return;
	if (pb->state == PUB_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof err;
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(pb->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			note_err(ERR_PUBLISH, "publisher connect: %s",
				 strerror(err ? err : ECONNRESET));
			pub_closed("connect failed");
			return;
		}
		pb->state = PUB_OPEN;
		pub_flush();
		return;
	}
	if (ev & EPOLLOUT)
		pub_flush();
	if (pb->fd < 0 || !(ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	if (pb->in_cap - pb->in_len < READ_CHUNK) {
		if (pb->in_len + READ_CHUNK > PUB_INBUF_MAX + READ_CHUNK) {
			note_err(ERR_PUBLISH, "response buffer over its cap");
			pub_closed("response buffer over its cap");
			return;
		}
		pb->in_cap = pb->in_len + READ_CHUNK;
		pb->in = xrealloc(pb->in, pb->in_cap);
	}
	{
		ssize_t r = recv(pb->fd, pb->in + pb->in_len, pb->in_cap - pb->in_len, 0);
		if (r > 0) {
			pb->in_len += (size_t)r;
			pub_parse(0);
		} else if (r == 0) {
			pub_parse(1);
			if (pb->fd >= 0)
				pub_closed("server closed the publisher connection");
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			pub_closed(strerror(errno));
		}
	}
}

/* ---- the loop ----------------------------------------------------------------- */

static void loop_once(int timeout_ms)
{
	struct epoll_event evs[EPOLL_BATCH];
	int n, i;
	n = epoll_wait(B.ep, evs, EPOLL_BATCH, timeout_ms);
	if (n < 0) {
		if (errno != EINTR) {
			perror("linli-bench: epoll_wait");
			exit(1);
		}
		return;
	}
	for (i = 0; i < n; i++) {
		if (evs[i].data.u64 == PUB_TAG)
			pub_event(evs[i].events);
		else
			sub_event(&B.sv[evs[i].data.u64], evs[i].events);
	}
}

/* Runs the loop for up to until_us (mono), calling housekeeping as it goes;
 * done() ends it early. */
static void run_until(int64_t until_us, int (*done)(void))
{
	int64_t last_hk = 0;
	while (!B.stop) {
		int64_t now = mono_us();
		int to;
		if (now - last_hk >= 50000) {
			subs_housekeeping(now);
			last_hk = now;
		}
		if (done && done())
			return;
		if (now >= until_us)
			return;
		to = (int)((until_us - now + 999) / 1000);
		loop_once(to > 50 ? 50 : to);
	}
}

/* Connect phase: paced starts, bounded in flight, until every subscriber is
 * ready or dead. */
static void connect_phase(void)
{
	int64_t last_report = 0, last_hk = 0;
	uint64_t fd_room = B.nofile > FD_RESERVE ? B.nofile - FD_RESERVE : 0;
	B.connect_start = mono_us();
	while (!B.stop) {
		int64_t now = mono_us();
		double allowed = (double)(now - B.connect_start) * B.connect_rate / 1e6 + 1;
		while (B.launched < B.subs && !B.fd_limit_hit && (double)B.launched < allowed &&
		       B.inflight < B.max_inflight) {
			if (B.nofile && B.launched >= fd_room) {
				/* keep descriptors for epoll, stdio and the publisher */
				B.fd_limit_hit = 1;
				break;
			}
			if (sub_start(B.launched) == -EMFILE)
				break;
		}
		if (B.fd_limit_hit && B.launched < B.subs) {
			/* the rest are not attempted: count them once, clearly */
			uint64_t rest = B.subs - B.launched;
			note_err(ERR_SOCKET, "RLIMIT_NOFILE %llu: %" PRIu64 " subscribers not attempted",
				 (unsigned long long)B.nofile, rest);
			B.errors[ERR_SOCKET] += rest - 1;
			while (B.launched < B.subs)
				B.sv[B.launched++].state = SUB_DEAD;
			progress("file descriptor limit (RLIMIT_NOFILE %llu) hit: %" PRIu64
				 " subscribers not attempted; run several bench processes",
				 (unsigned long long)B.nofile, rest);
		}
		if (now - last_hk >= 50000) {
			subs_housekeeping(now);
			last_hk = now;
		}
		if (B.launched >= B.subs && B.inflight == 0)
			break;
		if (now - last_report >= 1000000) {
			if (last_report)
				progress("connecting: %" PRIu64 " started, %" PRIu64 " ready, %" PRIu64
					 " in flight", B.launched, B.ready, B.inflight);
			last_report = now;
		}
		loop_once(B.launched < B.subs ? 1 : 20);
	}
	B.connect_end = mono_us();
}

static int pub_is_open(void) { return B.pub.state == PUB_OPEN; }

/* Every live subscriber has every acknowledged event. */
static int all_delivered(void)
{
	static int64_t last_check;
	int64_t now = mono_us();
	uint64_t i;
	if (B.pub.resp_n < B.pub.next_n)
		return 0;
	if (now - last_check < 10000)
		return 0;
	last_check = now;
	for (i = 0; i < B.subs; i++)
		if (B.sv[i].state == SUB_READY && B.sv[i].unique < B.pub.ok)
			return 0;
	return 1;
}

/* Publish phase: schedule (or saturate) until the plan is sent and
 * answered, or the phase deadline passes. */
static void publish_phase(void)
{
	struct pub *pb = &B.pub;
	int64_t plan_us = (int64_t)(B.duration_s * 1e6), hard_end, last_hk = 0, last_report;
	int64_t start;

	if (pub_connect() == 0)
		run_until(mono_us() + 5000000, pub_is_open);
	if (pb->state != PUB_OPEN) {
		note_err(ERR_PUBLISH, "publisher could not connect");
		return;
	}
	if (B.saturate) {
		pb->total = B.count ? (int64_t)B.count : INT64_MAX;
	} else {
		pb->total = B.count ? (int64_t)B.count : (int64_t)llround(B.rate * B.duration_s);
		if (B.count && B.rate > 0)
			plan_us = (int64_t)((double)B.count / B.rate * 1e6);
	}
	B.pub_start_real = real_us();
	B.publishing = 1;
	start = B.pub_start = last_report = mono_us();
	hard_end = start + plan_us + (int64_t)PUB_EXTRA_S * 1000000;

	while (!B.stop) {
		int64_t now = mono_us(), due;
		int to = 50, sent = 0;
		if (now - last_hk >= 50000) {
			subs_housekeeping(now);
			last_hk = now;
		}
		if (B.saturate) {
			if (now - start >= plan_us && pb->total == INT64_MAX)
				pb->total = pb->next_n; /* time is up: stop issuing */
			due = pb->total;
		} else {
			due = (int64_t)((double)(now - start) * B.rate / 1e6) + 1;
			if (due > pb->total)
				due = pb->total;
		}
		if (pb->resp_n >= pb->total && pb->next_n >= pb->total)
			break;
		if (now >= hard_end) {
			int64_t unsent = pb->total - pb->next_n;
			if (pb->fd >= 0)
				pub_closed("publish phase over its deadline");
			if (unsent > 0 && pb->total != INT64_MAX)
				note_err(ERR_PUBLISH, "%" PRId64 " events never sent: phase deadline", unsent);
			break;
		}
		if (pb->state == PUB_OFF && pb->next_n < pb->total) {
			if (pb->reconnects >= PUB_RECONNECT_MAX) {
				note_err(ERR_PUBLISH, "publisher gave up after %d reconnects", pb->reconnects);
				break;
			}
			pb->reconnects++;
			if (pub_connect() < 0)
				break;
		}
		while (pb->state == PUB_OPEN && !pb->closing && pb->next_n < due &&
		       pb->next_n - pb->resp_n < (int64_t)B.pipeline) {
			if (!B.saturate) {
				int64_t sched = start + (int64_t)((double)pb->next_n * 1e6 / B.rate);
				if (now - sched > pb->max_lag_us)
					pb->max_lag_us = now - sched;
			}
			pub_send_one();
			sent = 1;
		}
		if (sent)
			pub_flush();
		if (!B.saturate && pb->next_n < pb->total) {
			int64_t next = start + (int64_t)((double)pb->next_n * 1e6 / B.rate);
			int64_t w = next - mono_us();
			to = w <= 0 ? 0 : (int)((w + 999) / 1000);
			if (to > 50)
				to = 50;
		}
		if (B.saturate || pb->next_n - pb->resp_n >= (int64_t)B.pipeline)
			to = 50; /* an answer or a writable socket wakes the loop */
		if (now - last_report >= 1000000) {
			progress("publishing: %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
				 " delivered, %" PRIu64 " subscribers live",
				 pb->ok, pb->failed, B.delivered, B.ready);
			last_report = now;
		}
		loop_once(to);
	}
}

/* ---- report --------------------------------------------------------------------- */

struct report {
	uint64_t connected;        /* subscribers that became ready */
	uint64_t expected;         /* acknowledged events × subscribers ready at publish */
	uint64_t missing;          /* expected − distinct received, per subscriber */
	double dps;                /* deliveries per second */
	double connect_s;          /* connect phase duration */
	double conn_rate;          /* achieved connections per second */
	double srv_cpu;            /* server CPU seconds over publish+drain, -1 unknown */
	double cli_cpu;            /* bench CPU seconds over publish+drain (or whole run) */
	int64_t rss_before;        /* server VmRSS kB before connecting, -1 unknown */
	int64_t rss_after;         /* server VmRSS kB with everyone connected */
	int64_t rss_end;           /* server VmRSS kB at the end of the idle hold */
	double pub_s;              /* publish phase duration */
	uint64_t errors;           /* sum of B.errors */
};

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void report_print(const struct report *r)
{
	FILE *h = B.json ? stderr : stdout;
	const struct pub *pb = &B.pub;
	uint64_t p50 = hist_pct(&B.lat, 0.50), p99 = hist_pct(&B.lat, 0.99);
	int i;
	double per_conn = r->rss_before >= 0 && r->rss_after >= 0 && r->connected
				  ? (double)(r->rss_after - r->rss_before) * 1024.0 / (double)r->connected
				  : -1;
	double us_per_del = r->srv_cpu >= 0 && B.delivered ? r->srv_cpu * 1e6 / (double)B.delivered : -1;

	fprintf(h, "mode %s: %" PRIu64 "/%" PRIu64 " subscribers connected in %.2f s (%.0f/s)\n",
		B.mode == MODE_LINLI ? "linli" : "nchan", r->connected, B.subs, r->connect_s,
		r->conn_rate);
	if (!B.idle && !B.publishing) {
		fprintf(h, "nothing published (no subscriber ready, or the publisher failed)\n");
	} else if (!B.idle) {
		fprintf(h, "published %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
			" resent in %.2f s (%.1f/s%s; worst send lag %.1f ms)\n",
			pb->ok, pb->failed, pb->requeued, r->pub_s,
			r->pub_s > 0 ? (double)pb->ok / r->pub_s : 0,
			B.saturate ? ", saturating" : "", (double)pb->max_lag_us / 1000);
		fprintf(h, "delivered %" PRIu64 " of %" PRIu64 ": missing %" PRIu64
			", duplicates %" PRIu64 ", out of order %" PRIu64 ", stale %" PRIu64
			", other frames %" PRIu64 "\n",
			B.delivered, r->expected, r->missing, B.dups, B.ooo, B.stale, B.other_frames);
		fprintf(h, "throughput %.0f deliveries/s; latency us p50 %" PRIu64 " p99 %" PRIu64
			" max %" PRIu64 "%s\n",
			r->dps, p50, p99, B.lat.max, B.lat.negative ? " (some negative: clock skew)" : "");
	}
	fprintf(h, "keepalive %" PRIu64 " pings sent, %" PRIu64 " answered\n", B.pings_sent, B.pongs);
	if (r->srv_cpu >= 0)
		fprintf(h, "server cpu %.2f s (%.2f us/delivery); ", r->srv_cpu, us_per_del);
	fprintf(h, "bench cpu %.2f s%s\n", r->cli_cpu,
		!B.idle && r->pub_s > 0 && r->cli_cpu > 0.9 * r->pub_s
			? " (bench near one core: result may be client-bound)" : "");
	if (r->rss_before >= 0) {
		fprintf(h, "server rss %" PRId64 " kB before, %" PRId64 " kB connected", r->rss_before,
			r->rss_after);
		if (B.idle)
			fprintf(h, ", %" PRId64 " kB end of hold", r->rss_end);
		fprintf(h, ": %.0f bytes/conn\n", per_conn);
	}
	fprintf(h, "errors %" PRIu64, r->errors);
	for (i = 0; i < ERR__COUNT; i++)
		if (B.errors[i])
			fprintf(h, "; %s %" PRIu64 " (first: %s)", err_names[i], B.errors[i],
				B.first_err[i]);
	fputc('\n', h);
	if (B.fd_limit_hit)
		fprintf(h, "RLIMIT_NOFILE %llu was hit: split the load over several bench processes\n",
			(unsigned long long)B.nofile);

	if (!B.json)
		return;
	printf("{\"mode\":\"%s\",\"subs\":%" PRIu64 ",\"connected\":%" PRIu64
	       ",\"connect_rate\":%.1f,\"connect_s\":%.3f,\"published\":%" PRIu64
	       ",\"publish_failed\":%" PRIu64 ",\"expected_deliveries\":%" PRIu64
	       ",\"delivered\":%" PRIu64 ",\"missing\":%" PRIu64 ",\"duplicates\":%" PRIu64
	       ",\"out_of_order\":%" PRIu64 ",\"stale\":%" PRIu64 ",\"deliveries_per_sec\":%.1f"
	       ",\"publish_s\":%.3f,\"max_send_lag_us\":%" PRId64
	       ",\"latency_us\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64 "}",
	       B.mode == MODE_LINLI ? "linli" : "nchan", B.subs, r->connected, r->conn_rate,
	       r->connect_s, pb->ok, pb->failed, r->expected, B.delivered, r->missing, B.dups,
	       B.ooo, B.stale, r->dps, r->pub_s, pb->max_lag_us, p50, p99, B.lat.max);
	if (r->srv_cpu >= 0)
		printf(",\"server_cpu_s\":%.3f,\"server_cpu_us_per_delivery\":%.3f", r->srv_cpu,
		       us_per_del >= 0 ? us_per_del : 0);
	else
		printf(",\"server_cpu_s\":null,\"server_cpu_us_per_delivery\":null");
	printf(",\"client_cpu_s\":%.3f", r->cli_cpu);
	printf(",\"pings_sent\":%" PRIu64 ",\"pongs\":%" PRIu64, B.pings_sent, B.pongs);
	if (r->rss_before >= 0)
	{
		printf(",\"server_rss_kb_before\":%" PRId64 ",\"server_rss_kb_after\":%" PRId64,
		       r->rss_before, r->rss_after);
		if (r->rss_end >= 0)
			printf(",\"server_rss_kb_end\":%" PRId64, r->rss_end);
		else
			printf(",\"server_rss_kb_end\":null");
		printf(",\"rss_per_conn_bytes\":%.0f", per_conn);
	}
	else
		printf(",\"server_rss_kb_before\":null,\"server_rss_kb_after\":null"
		       ",\"server_rss_kb_end\":null,\"rss_per_conn_bytes\":null");
	printf(",\"errors\":%" PRIu64 ",\"error_kinds\":{", r->errors);
	{
		int first = 1;
		for (i = 0; i < ERR__COUNT; i++) {
			if (!B.errors[i])
				continue;
			printf("%s\"%s\":{\"count\":%" PRIu64 ",\"first\":", first ? "" : ",",
			       err_names[i], B.errors[i]);
			json_str(stdout, B.first_err[i]);
			putchar('}');
			first = 0;
		}
	}
	printf("},\"fd_limit_hit\":%s,\"nofile\":%llu}\n", B.fd_limit_hit ? "true" : "false",
	       (unsigned long long)B.nofile);
	fflush(stdout);
}

/* ---- options -------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs(
"usage: linli-bench --url ws://HOST:PORT/PATH[,URL...] [options]\n"
"\n"
"Fan-out load generator: N WebSocket subscribers, one HTTP publisher.\n"
"\n"
"Subscribers\n"
"  --url LIST            subscriber WebSocket URL(s), comma-separated; subscribers\n"
"                        are spread round-robin over them (several gateway processes)\n"
"  --subs N              concurrent subscribers (default 100)\n"
"  --mode linli|nchan    linli: hello/auth/sub handshake ops (default);\n"
"                        nchan: plain WebSocket, every text frame is a message\n"
"  --token T             linli access token for subscribers\n"
"  --auth-header         send the token as 'Authorization: Bearer' on the upgrade\n"
"                        instead of an auth frame\n"
"  --channel CH          channel to subscribe and publish to (default bench:1)\n"
"  --connect-rate R      connections started per second (default 2000)\n"
"  --max-inflight N      connections being set up at once (default 1000)\n"
"  --handshake-timeout-ms MS  connect..subscribed deadline (default 10000)\n"
"  --src-addrs K         bind sources 127.0.0.1..127.0.0.K, round-robin (default:\n"
"                        one per 5000 subscribers; keep under 20000 each); only\n"
"                        for loopback servers\n"
"  --ping-ms MS          keepalive period: app-level {\"op\":\"ping\"} (linli), WebSocket\n"
"                        ping (nchan); default 4/5 of the hello's heartbeat_ms (nchan:\n"
"                        of 25000, the gateway's default), 0 disables\n"
"  --max-frame BYTES     largest frame/message accepted (default 1048576); bounds\n"
"                        every per-connection buffer\n"
"\n"
"Publisher (starts once every subscriber is ready or has failed)\n"
"  --pub-url URL         http://HOST:PORT/PATH; linli default: the first --url's\n"
"                        host and POST /v1/channels/{CH}/events (also used when the\n"
"                        path is '/'); required in nchan mode\n"
"  --pub-token T         linli bearer token for publishing (default: --token)\n"
"  --rate R              events per second (default 10)\n"
"  --duration S          seconds to publish, or to hold with --idle (default 5)\n"
"  --count N             publish exactly N events (at --rate, or as fast as\n"
"                        possible with --saturate)\n"
"  --payload BYTES       request body size, padded with a \"p\" field (default 100)\n"
"  --saturate            publish as fast as answers allow for --duration\n"
"  --pipeline K          requests in flight on the keep-alive connection\n"
"                        (default 1, or 16 with --saturate; max 1024)\n"
"  --drain-ms MS         after publishing, wait this long at most for deliveries\n"
"                        (default 5000; ends early when all have arrived)\n"
"\n"
"Measurement and output\n"
"  --idle                connect, subscribe, hold for --duration; report server RSS\n"
"                        per connection (needs --server-pid)\n"
"  --server-pid LIST     gateway pid(s), comma-separated: RSS (VmRSS) and CPU\n"
"                        (utime+stime) are read from /proc and summed\n"
"  --json                one JSON object on stdout (human lines go to stderr)\n"
"  --quiet               no progress lines\n"
"  --verbose             log every error, not only the first of each kind (100 max)\n"
"  --help                this text\n"
"\n"
"Exit status: 0 when every subscriber connected and received every acknowledged\n"
"event and no publish failed (--idle: all connected and none dropped);\n"
"1 otherwise; 2 for usage errors.\n", f);
}

enum {
	OPT_URL = 256, OPT_SUBS, OPT_MODE, OPT_TOKEN, OPT_AUTH_HEADER, OPT_CHANNEL,
	OPT_CONNECT_RATE, OPT_MAX_INFLIGHT, OPT_HS_TIMEOUT, OPT_SRC_ADDRS, OPT_PING_MS,
	OPT_MAX_FRAME, OPT_PUB_URL, OPT_PUB_TOKEN, OPT_RATE, OPT_DURATION, OPT_COUNT,
	OPT_PAYLOAD, OPT_SATURATE, OPT_PIPELINE, OPT_DRAIN_MS, OPT_IDLE, OPT_SERVER_PID,
	OPT_JSON, OPT_QUIET, OPT_VERBOSE, OPT_HELP,
};

static const struct option long_opts[] = {
	{"url", required_argument, 0, OPT_URL},
	{"subs", required_argument, 0, OPT_SUBS},
	{"mode", required_argument, 0, OPT_MODE},
	{"token", required_argument, 0, OPT_TOKEN},
	{"auth-header", no_argument, 0, OPT_AUTH_HEADER},
	{"channel", required_argument, 0, OPT_CHANNEL},
	{"connect-rate", required_argument, 0, OPT_CONNECT_RATE},
	{"max-inflight", required_argument, 0, OPT_MAX_INFLIGHT},
	{"handshake-timeout-ms", required_argument, 0, OPT_HS_TIMEOUT},
	{"src-addrs", required_argument, 0, OPT_SRC_ADDRS},
	{"ping-ms", required_argument, 0, OPT_PING_MS},
	{"max-frame", required_argument, 0, OPT_MAX_FRAME},
	{"pub-url", required_argument, 0, OPT_PUB_URL},
	{"pub-token", required_argument, 0, OPT_PUB_TOKEN},
	{"rate", required_argument, 0, OPT_RATE},
	{"duration", required_argument, 0, OPT_DURATION},
	{"count", required_argument, 0, OPT_COUNT},
	{"payload", required_argument, 0, OPT_PAYLOAD},
	{"saturate", no_argument, 0, OPT_SATURATE},
	{"pipeline", required_argument, 0, OPT_PIPELINE},
	{"drain-ms", required_argument, 0, OPT_DRAIN_MS},
	{"idle", no_argument, 0, OPT_IDLE},
	{"server-pid", required_argument, 0, OPT_SERVER_PID},
	{"json", no_argument, 0, OPT_JSON},
	{"quiet", no_argument, 0, OPT_QUIET},
	{"verbose", no_argument, 0, OPT_VERBOSE},
	{"help", no_argument, 0, OPT_HELP},
	{0, 0, 0, 0},
};

static int bad_opt(const char *name, const char *val)
{
	fprintf(stderr, "linli-bench: bad value for --%s: '%s' (see --help)\n", name, val);
	return -EINVAL;
}

/* Parses argv into B. 0, 1 for --help, or -EINVAL. */
static int opts_parse(int argc, char **argv)
{
	const char *urls = NULL;
	uint64_t u;
	double d;
	int c, pipeline_set = 0, idx;
	int64_t src_set = 0;

	B.mode = MODE_LINLI;
	B.subs = 100;
	B.connect_rate = 2000;
	B.max_inflight = 1000;
	B.hs_timeout_us = 10000000;
	B.channel = "bench:1";
	B.rate = 10;
	B.duration_s = 5;
	B.payload = 100;
	B.pipeline = 1;
	B.drain_us = 5000000;
	B.max_frame = 1 << 20;
	B.ping_ms = -1;

	while ((c = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		switch (c) {
		case OPT_URL: urls = optarg; break;
		case OPT_SUBS:
			if (parse_u64(optarg, &u) || u == 0 || u > 10000000)
				return bad_opt("subs", optarg);
			B.subs = u;
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "linli")) B.mode = MODE_LINLI;
			else if (!strcmp(optarg, "nchan")) B.mode = MODE_NCHAN;
			else return bad_opt("mode", optarg);
			break;
		case OPT_TOKEN:
			if (strlen(optarg) > TOKEN_MAX || strpbrk(optarg, "\"\\\r\n"))
				return bad_opt("token", "(too long or has quotes/newlines)");
			B.token = optarg;
			break;
		case OPT_AUTH_HEADER: B.auth_header = 1; break;
		case OPT_CHANNEL:
			if (!*optarg || strlen(optarg) > 200 || strpbrk(optarg, "\"\\\r\n"))
				return bad_opt("channel", optarg);
			B.channel = optarg;
			break;
		case OPT_CONNECT_RATE:
			if (parse_double(optarg, &d) || d <= 0) return bad_opt("connect-rate", optarg);
			B.connect_rate = d;
			break;
		case OPT_MAX_INFLIGHT:
			if (parse_u64(optarg, &u) || u == 0) return bad_opt("max-inflight", optarg);
			B.max_inflight = u;
			break;
		case OPT_HS_TIMEOUT:
			if (parse_u64(optarg, &u) || u == 0 || u > 3600000)
				return bad_opt("handshake-timeout-ms", optarg);
			B.hs_timeout_us = (int64_t)u * 1000;
			break;
		case OPT_SRC_ADDRS:
			if (parse_u64(optarg, &u) || u == 0 || u > 254) return bad_opt("src-addrs", optarg);
			B.src_addrs = (unsigned)u;
			src_set = 1;
			break;
		case OPT_PING_MS:
			if (parse_u64(optarg, &u) || u > 3600000) return bad_opt("ping-ms", optarg);
			B.ping_ms = (int64_t)u;
			break;
		case OPT_MAX_FRAME:
			if (parse_u64(optarg, &u) || u < 1024 || u > (64u << 20))
				return bad_opt("max-frame", optarg);
			B.max_frame = (uint32_t)u;
			break;
		case OPT_PUB_URL: B.pub_url = optarg; break;
		case OPT_PUB_TOKEN:
			if (strlen(optarg) > TOKEN_MAX || strpbrk(optarg, "\r\n"))
				return bad_opt("pub-token", "(too long or has newlines)");
			B.pub_token = optarg;
			break;
		case OPT_RATE:
			if (parse_double(optarg, &d) || d <= 0 || d > 1e7) return bad_opt("rate", optarg);
			B.rate = d;
			break;
		case OPT_DURATION:
			if (parse_double(optarg, &d) || d > 86400) return bad_opt("duration", optarg);
			B.duration_s = d;
			break;
		case OPT_COUNT:
			if (parse_u64(optarg, &u) || u == 0 || u > (1ULL << 40)) return bad_opt("count", optarg);
			B.count = u;
			break;
		case OPT_PAYLOAD:
			if (parse_u64(optarg, &u) || u > PAYLOAD_MAX) return bad_opt("payload", optarg);
			B.payload = (size_t)u;
			break;
		case OPT_SATURATE: B.saturate = 1; break;
		case OPT_PIPELINE:
			if (parse_u64(optarg, &u) || u == 0 || u > PIPELINE_MAX)
				return bad_opt("pipeline", optarg);
			B.pipeline = (unsigned)u;
			pipeline_set = 1;
			break;
		case OPT_DRAIN_MS:
			if (parse_u64(optarg, &u) || u > 3600000) return bad_opt("drain-ms", optarg);
			B.drain_us = (int64_t)u * 1000;
			break;
		case OPT_IDLE: B.idle = 1; break;
		case OPT_SERVER_PID: {
			char *dup = strdup(optarg), *tok, *save = NULL;
			if (!dup) abort();
			for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (B.npids >= MAX_PIDS || parse_u64(tok, &u) || u == 0 || u > INT_MAX) {
					free(dup);
					return bad_opt("server-pid", optarg);
				}
				B.pids[B.npids++] = (pid_t)u;
			}
			free(dup);
			break;
		}
		case OPT_JSON: B.json = 1; break;
		case OPT_QUIET: B.quiet = 1; break;
		case OPT_VERBOSE: B.verbose = 1; break;
		case OPT_HELP: case 'h': usage(stdout); return 1;
		default: return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "linli-bench: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!urls) {
		fprintf(stderr, "linli-bench: --url is required (see --help)\n");
		return -EINVAL;
	}
	{
		char *dup = strdup(urls), *tok, *save = NULL;
		if (!dup) abort();
		for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			struct target *t = &B.targets[B.ntargets];
			if (B.ntargets >= MAX_TARGETS) {
				free(dup);
				fprintf(stderr, "linli-bench: at most %d URLs\n", MAX_TARGETS);
				return -EINVAL;
			}
			if (url_parse(tok, "ws", &t->addr, &t->loopback, t->hostport, sizeof t->hostport,
				      t->path, sizeof t->path)) {
				free(dup);
				return -EINVAL;
			}
			B.ntargets++;
		}
		free(dup);
	}
	if (!B.ntargets)
		return bad_opt("url", urls);
	if (B.mode == MODE_LINLI && !B.token) {
		fprintf(stderr, "linli-bench: --token is required in linli mode\n");
		return -EINVAL;
	}
	if (B.mode == MODE_LINLI && !B.pub_token)
		B.pub_token = B.token;
	if (B.mode == MODE_NCHAN && !B.pub_url && !B.idle) {
		fprintf(stderr, "linli-bench: --pub-url is required in nchan mode\n");
		return -EINVAL;
	}
	if (B.pub_url) {
		struct pub *pb = &B.pub;
		if (url_parse(B.pub_url, "http", &pb->addr, &pb->loopback, pb->hostport,
			      sizeof pb->hostport, pb->path, sizeof pb->path))
			return -EINVAL;
	} else {
		struct pub *pb = &B.pub;
		pb->addr = B.targets[0].addr;
		pb->loopback = B.targets[0].loopback;
		strcpy(pb->hostport, B.targets[0].hostport);
		strcpy(pb->path, "/");
	}
	if (B.mode == MODE_LINLI && !strcmp(B.pub.path, "/")) {
		strcpy(B.pub.path, "/v1/channels/");
		path_seg_append(B.pub.path, sizeof B.pub.path, B.channel);
		strcat(B.pub.path, "/events");
	}
	if (B.saturate && !pipeline_set)
		B.pipeline = 16;
	if (!src_set)
		B.src_addrs = (unsigned)((B.subs + PER_SOURCE_DEFAULT - 1) / PER_SOURCE_DEFAULT);
	if (B.src_addrs > 254)
		B.src_addrs = 254;
	if ((B.subs + B.src_addrs - 1) / B.src_addrs > PER_SOURCE_MAX)
		progress("warning: over %d connections per source address; raise --src-addrs",
			 PER_SOURCE_MAX);
	if (B.idle && !B.npids)
		progress("--idle without --server-pid: no RSS can be reported");
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	B.stop = 1;
}

int main(int argc, char **argv)
{
	struct report r;
	struct rlimit rl;
	uint64_t i, ready_at_pub = 0;
	double cpu_srv0 = -1, cpu_cli0 = 0;
	int rc;

	rc = opts_parse(argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	memset(&r, 0, sizeof r);

	{
		uint64_t seed;
		if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
			seed = (uint64_t)real_us() ^ (uint64_t)getpid() << 32;
		rng_state = seed | 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* as many descriptors as the hard limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		B.nofile = rl.rlim_cur;
	}
	if (B.nofile && B.subs + FD_RESERVE > B.nofile)
		progress("warning: --subs %" PRIu64 " exceeds RLIMIT_NOFILE %llu (hard limit): at most "
			 "~%llu subscribers fit in one bench process; split the load",
			 B.subs, (unsigned long long)B.nofile,
			 (unsigned long long)(B.nofile > FD_RESERVE ? B.nofile - FD_RESERVE : 0));

	B.ep = epoll_create1(EPOLL_CLOEXEC);
	if (B.ep < 0) {
		perror("linli-bench: epoll_create1");
		return 1;
	}
	B.rbuf = xmalloc(READ_CHUNK);
	B.sv = xcalloc(B.subs, sizeof *B.sv);
	for (i = 0; i < B.subs; i++) {
		B.sv[i].fd = -1;
		B.sv[i].last_n = -1;
		B.sv[i].target = (uint16_t)(i % (uint64_t)B.ntargets);
		B.sv[i].src = (uint16_t)(i % B.src_addrs);
	}
	B.pub.fd = -1;

	r.rss_before = B.npids ? server_rss_kb() : -1;
	r.rss_end = -1;
	progress("connecting %" PRIu64 " subscribers (%s mode, %d URL(s), %u source address(es))",
		 B.subs, B.mode == MODE_LINLI ? "linli" : "nchan", B.ntargets, B.src_addrs);
	connect_phase();
	r.connected = B.ever_ready;
	r.connect_s = (double)(B.connect_end - B.connect_start) / 1e6;
	r.conn_rate = r.connect_s > 0 ? (double)r.connected / r.connect_s : 0;
	r.rss_after = B.npids && r.rss_before >= 0 ? server_rss_kb() : -1;
	progress("%" PRIu64 " of %" PRIu64 " subscribers ready in %.2f s", B.ready, B.subs,
		 r.connect_s);

	r.srv_cpu = -1;
	if (B.idle) {
		int64_t hold_end = mono_us() + (int64_t)(B.duration_s * 1e6);
		progress("holding %" PRIu64 " connections for %.1f s", B.ready, B.duration_s);
		run_until(hold_end, NULL);
		r.rss_end = r.rss_after >= 0 ? server_rss_kb() : -1;
		r.cli_cpu = self_cpu_s();
	} else if (B.ready > 0 && !B.stop) {
		ready_at_pub = B.ready;
		for (i = 0; i < B.subs; i++)
			B.sv[i].counted = B.sv[i].state == SUB_READY;
		cpu_srv0 = B.npids ? server_cpu_s() : -1;
		cpu_cli0 = self_cpu_s();
		publish_phase();
		r.pub_s = B.publishing ? (double)(mono_us() - B.pub_start) / 1e6 : 0;
		progress("published %" PRIu64 " events; draining up to %" PRId64 " ms", B.pub.ok,
			 B.drain_us / 1000);
		run_until(mono_us() + B.drain_us, all_delivered);
		if (cpu_srv0 >= 0) {
			double c1 = server_cpu_s();
			r.srv_cpu = c1 >= 0 ? c1 - cpu_srv0 : -1;
		}
		r.cli_cpu = self_cpu_s() - cpu_cli0;
	} else {
		r.cli_cpu = self_cpu_s();
	}

	/* expected: every acknowledged event at every subscriber ready when
	 * publishing began; missing: what each of them lacks */
	r.expected = B.pub.ok * ready_at_pub;
	for (i = 0; i < B.subs; i++) {
		const struct sub *s = &B.sv[i];
		if (s->counted && s->unique < B.pub.ok)
			r.missing += B.pub.ok - s->unique;
	}
	if (B.last_delivery > B.pub_start && B.publishing)
		r.dps = (double)B.delivered / ((double)(B.last_delivery - B.pub_start) / 1e6);
	for (i = 0; i < ERR__COUNT; i++)
		r.errors += B.errors[i];
	report_print(&r);

	for (i = 0; i < B.subs; i++)
		if (B.sv[i].fd >= 0)
			close(B.sv[i].fd);
	if (B.pub.fd >= 0)
		close(B.pub.fd);

	if (r.connected < B.subs || B.dropped)
		return 1;
	if (B.idle)
		return B.stop ? 1 : 0;
	if (B.pub.ok == 0 || B.pub.failed || r.missing || B.errors[ERR_PUBLISH] || B.stop)
		return 1;
	return 0;
}
