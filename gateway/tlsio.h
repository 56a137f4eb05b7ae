/* tlsio: TLS on the gateway's own sockets (OpenSSL), and reading and
 * writing a socket that has it or not through one pair of calls.
 *
 * In TLS mode (tls_cert) the door accepts, runs the handshake (non-blocking,
 * within http_header_timeout_ms) and then serves HTTP/1.1 and WebSockets
 * exactly as on a plain socket: door.c and wsplain.c call tlsio_recv and
 * tlsio_send where they called recv and send. ALPN offers http/1.1 only;
 * TLS 1.2 and 1.3. A leaf over OpenSSL: no loop, no gateway state. */
#ifndef LINLI_TLSIO_H
#define LINLI_TLSIO_H

#include <stddef.h>
#include <sys/types.h>

struct tlsio_ctx;
struct tlsio;

/* The server's certificate chain and key (PEM files). NULL with err set
 * when they cannot be read or do not match. */
struct tlsio_ctx *tlsio_ctx_new(const char *cert, const char *key, char *err, size_t errlen);
void tlsio_ctx_free(struct tlsio_ctx *c);

/* A server-side TLS session on fd (non-blocking, accepted); NULL when
 * OpenSSL cannot make one. The descriptor stays the caller's. */
struct tlsio *tlsio_new(struct tlsio_ctx *c, int fd);
void tlsio_free(struct tlsio *t);

/* Advances the handshake: 1 done, 0 not yet (wait for the socket:
 * tlsio_wants_write says which way), -1 failed (close). */
int tlsio_handshake(struct tlsio *t);

/* recv(fd, buf, n, 0) and send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT),
 * through t when it is not NULL: bytes; 0 at the end of the stream
 * (recv); -1 with errno, EAGAIN when the socket must be ready first. A
 * send that answered EAGAIN through t must be made again with the same
 * bytes (OpenSSL's rule; what wsplain and the door do anyway). */
ssize_t tlsio_recv(int fd, struct tlsio *t, void *buf, size_t n);
ssize_t tlsio_send(int fd, struct tlsio *t, const void *buf, size_t n);

/* Bytes already decrypted and waiting inside OpenSSL: the socket will not
 * show them as readable. 0 without t. */
int tlsio_pending(const struct tlsio *t);

/* Whether the last call that answered EAGAIN (or 0 from the handshake)
 * waits for the socket to be writable rather than readable. */
int tlsio_wants_write(const struct tlsio *t);

/* Our side ends: TLS's close_notify (best effort), then shutdown(SHUT_WR). */
int tlsio_shutdown(int fd, struct tlsio *t);

#endif
