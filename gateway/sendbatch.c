/* sendbatch: see sendbatch.h. */
#include "sendbatch.h"
#include "metrics.h"
#include "util.h"

#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define RING_ENTRIES 4096 /* sends per submission; a larger round takes several */

struct sendbatch {
	int uring;
	struct io_uring ring;
};

struct sendbatch *sendbatch_new(int use_uring, const char **why)
{
	struct sendbatch *b = xcalloc(1, sizeof *b);
	if (!use_uring)
		return b;
	int rc = io_uring_queue_init(RING_ENTRIES, &b->ring, 0);
	if (rc < 0) {
		*why = strerror(-rc);
		return b;
	}
	/* IORING_OP_SEND needs Linux 5.6: ask rather than trust the version. */
	struct io_uring_probe *pr = io_uring_get_probe_ring(&b->ring);
	int ok = pr && io_uring_opcode_supported(pr, IORING_OP_SEND);
	io_uring_free_probe(pr);
	if (!ok) {
		*why = "the kernel's io_uring has no send";
		io_uring_queue_exit(&b->ring);
		return b;
	}
	b->uring = 1;
	return b;
}

void sendbatch_free(struct sendbatch *b)
{
	if (!b)
		return;
	if (b->uring)
		io_uring_queue_exit(&b->ring);
	free(b);
}

int sendbatch_uring(const struct sendbatch *b)
{
	return b && b->uring;
}

static void send_each(const int *fds, const void *const *bufs, const size_t *lens, ssize_t *res,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ssize_t r;
		do
			r = send(fds[i], bufs[i], lens[i], MSG_NOSIGNAL | MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
		res[i] = r < 0 ? -errno : r;
	}
}

void sendbatch_run(struct sendbatch *b, const int *fds, const void *const *bufs,
		   const size_t *lens, ssize_t *res, size_t n)
{
	if (!b->uring) {
		send_each(fds, bufs, lens, res, n);
		return;
	}
	for (size_t at = 0; at < n;) {
		size_t k = n - at < RING_ENTRIES ? n - at : RING_ENTRIES;
		for (size_t i = 0; i < k; i++) {
			res[at + i] = -EIO; /* until its completion says */
			struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
			io_uring_prep_send(sqe, fds[at + i], bufs[at + i], lens[at + i],
					   MSG_NOSIGNAL | MSG_DONTWAIT);
			io_uring_sqe_set_data64(sqe, at + i);
		}
		int rc;
		do
			rc = io_uring_submit_and_wait(&b->ring, (unsigned)k);
		while (rc == -EINTR);
		if (rc < 0) {
			/* The submission itself failed (never seen): what was
			 * queued is dropped and this part goes one by one. */
			log_warn("sendbatch: io_uring_submit: %s; sending one by one", strerror(-rc));
			struct io_uring_cqe *cqe;
			unsigned head, seen = 0;
			io_uring_for_each_cqe(&b->ring, head, cqe)
				seen++;
			io_uring_cq_advance(&b->ring, seen);
			send_each(fds + at, bufs + at, lens + at, res + at, k);
			at += k;
			continue;
		}
		size_t got = 0;
		while (got < k) {
			struct io_uring_cqe *cqe;
			unsigned head, seen = 0;
			io_uring_for_each_cqe(&b->ring, head, cqe) {
				res[io_uring_cqe_get_data64(cqe)] = cqe->res;
				seen++;
			}
			io_uring_cq_advance(&b->ring, seen);
			got += seen;
			if (got < k && io_uring_wait_cqe_nr(&b->ring, &cqe, 1) < 0)
				break;
		}
		metrics.send_batches++;
		at += k;
	}
}
