/* sendbatch: many sends in one system call (issue 18).
 *
 * One fan-out round writes the same frame to thousands of sockets; a
 * send() each pays the system-call entry thousands of times, which on
 * CPUs with heavy speculative-execution mitigations is most of the cost
 * (tests/bench/sendcost.sh). With io_uring (liburing) the round is one
 * submission. Every send is non-blocking (MSG_DONTWAIT): a full socket
 * answers -EAGAIN at once, never waits in the kernel, so every completion
 * is there when the submission returns. Where io_uring cannot be set up
 * (an old kernel, seccomp, ws_io_uring = false) the same call sends one
 * by one. */
#ifndef LINLI_SENDBATCH_H
#define LINLI_SENDBATCH_H

#include <stddef.h>
#include <sys/types.h>

struct sendbatch;

/* use_uring 0: send() each. With 1, *why says why io_uring is not used
 * when it could not be set up (the batch then sends one by one). */
struct sendbatch *sendbatch_new(int use_uring, const char **why);
void sendbatch_free(struct sendbatch *b);
/* 1 when the batch submits through io_uring. */
int sendbatch_uring(const struct sendbatch *b);

struct sendbatch_item {
	int fd;
	const void *buf;
	size_t len;
	ssize_t res;                /* out: the bytes the kernel took, or -errno
				     * (-EAGAIN: none, the socket is full) */
	void *data;                 /* the caller's */
};

/* Sends items[i].buf on items[i].fd for i < n, and sets each one's res. */
void sendbatch_run(struct sendbatch *b, struct sendbatch_item *items, size_t n);

#endif
