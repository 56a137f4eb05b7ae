/* tlsio: see tlsio.h. */
#include "tlsio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct tlsio_ctx {
	SSL_CTX *ssl;
};

struct tlsio {
	SSL *ssl;
	int want_write;
};

/* ALPN: HTTP/1.1 or nothing (a client offering only h2 gets no ALPN and
 * may go on with HTTP/1.1, or hang up). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	for (unsigned int i = 0; i < inlen && i + 1 + in[i] <= inlen; i += 1u + in[i]) {
		if (in[i] == 8 && !memcmp(in + i + 1, "http/1.1", 8)) {
			*out = in + i + 1;
			*outlen = 8;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

static void ssl_err(const char *what, const char *file, char *err, size_t errlen)
{
	char e[256];
	ERR_error_string_n(ERR_get_error(), e, sizeof e);
	snprintf(err, errlen, "%s %s: %s", what, file, e);
	ERR_clear_error();
}

struct tlsio_ctx *tlsio_ctx_new(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *s = SSL_CTX_new(TLS_server_method());
	if (!s) {
		ssl_err("TLS:", "context", err, errlen);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
	/* A write may take part of a frame and its rest may be offered from
	 * a moved buffer; idle sessions give their buffers back (thousands of
	 * quiet WebSockets). No renegotiation: a client cannot make us redo
	 * a handshake in the middle of a stream. A client that hangs up
	 * without close_notify just ends its stream. */
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			    SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
			       SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_alpn_select_cb(s, alpn_select, NULL);
	if (SSL_CTX_use_certificate_chain_file(s, cert) != 1) {
		ssl_err("cannot use tls_cert", cert, err, errlen);
	} else if (SSL_CTX_use_PrivateKey_file(s, key, SSL_FILETYPE_PEM) != 1) {
		ssl_err("cannot use tls_key", key, err, errlen);
	} else if (SSL_CTX_check_private_key(s) != 1) {
		ssl_err("tls_key does not match", cert, err, errlen);
	} else {
		struct tlsio_ctx *c = calloc(1, sizeof *c);
		if (c) {
			c->ssl = s;
			return c;
		}
		snprintf(err, errlen, "TLS: out of memory");
	}
	SSL_CTX_free(s);
	return NULL;
}

void tlsio_ctx_free(struct tlsio_ctx *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ssl);
	free(c);
}

struct tlsio *tlsio_new(struct tlsio_ctx *c, int fd)
{
	struct tlsio *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ssl = SSL_new(c->ssl);
	if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1) {
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(t->ssl);
	return t;
}

void tlsio_free(struct tlsio *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
}

/* What SSL_get_error says of a call that returned r <= 0: -1 with errno
 * EAGAIN (and want_write set), 0 for the end of the stream, or -1 EIO. */
static int failed(struct tlsio *t, int r)
{
	int e = SSL_get_error(t->ssl, r);
	ERR_clear_error();
	switch (e) {
	case SSL_ERROR_WANT_READ:
		t->want_write = 0;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		t->want_write = 1;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0; /* the client's close_notify */
	case SSL_ERROR_SYSCALL:
		if (errno == EAGAIN || errno == EINTR)
			return errno = EAGAIN, -1;
		/* An end without close_notify (OpenSSL 3: "unexpected eof"), or a
		 * reset: the stream is over either way. */
		return r == 0 ? 0 : (errno = errno ? errno : EIO, -1);
	default:
		errno = EIO;
		return -1;
	}
}

int tlsio_handshake(struct tlsio *t)
{
	ERR_clear_error();
	int r = SSL_do_handshake(t->ssl);
	if (r == 1)
		return 1;
	return failed(t, r) < 0 && errno == EAGAIN ? 0 : -1;
}

ssize_t tlsio_recv(int fd, struct tlsio *t, void *buf, size_t n)
{
	if (!t)
		return recv(fd, buf, n, 0);
	if (n > 1u << 30)
		n = 1u << 30;
	ERR_clear_error();
	int r = SSL_read(t->ssl, buf, (int)n);
	return r > 0 ? r : failed(t, r);
}

ssize_t tlsio_send(int fd, struct tlsio *t, const void *buf, size_t n)
{
	if (!t)
		return send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (!n)
		return 0;
	if (n > 1u << 30)
		n = 1u << 30;
	ERR_clear_error();
	int r = SSL_write(t->ssl, buf, (int)n);
	if (r > 0)
		return r;
	r = failed(t, r);
	if (r == 0)
		errno = EPIPE; /* a write cannot meet the end of the stream */
	return -1;
}

int tlsio_pending(const struct tlsio *t)
{
	return t ? SSL_pending(t->ssl) : 0;
}

int tlsio_wants_write(const struct tlsio *t)
{
	return t && t->want_write;
}

int tlsio_shutdown(int fd, struct tlsio *t)
{
	if (t) {
		ERR_clear_error();
		SSL_shutdown(t->ssl); /* sends close_notify if the socket takes it */
		ERR_clear_error();
	}
	return shutdown(fd, SHUT_WR);
}
