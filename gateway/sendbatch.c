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

static void send_each(struct sendbatch_item *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ssize_t r;
		do
			r = send(it[i].fd, it[i].buf, it[i].len, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
		it[i].res = r < 0 ? -errno : r;
	}
}

/* The kernel took fewer than all of a submission (never seen): the ring is
 * given up, its unsubmitted entries with it, and the rest goes one by one
 * from now on. */
static void give_up(struct sendbatch *b, int rc)
{
	log_warn("sendbatch: io_uring_submit: %s; sending one by one from now on",
		 rc < 0 ? strerror(-rc) : "short submission");
	io_uring_queue_exit(&b->ring);
	b->uring = 0;
	metrics.ws_io_uring = 0;
}

void sendbatch_run(struct sendbatch *b, struct sendbatch_item *items, size_t n)
{
	size_t at = 0;
	while (b->uring && at < n) {
		size_t k = n - at < RING_ENTRIES ? n - at : RING_ENTRIES;
		for (size_t i = at; i < at + k; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
			io_uring_prep_send(sqe, items[i].fd, items[i].buf, items[i].len,
					   MSG_NOSIGNAL | MSG_DONTWAIT);
			io_uring_sqe_set_data64(sqe, i);
			items[i].res = -EIO; /* until its completion says */
		}
		int rc;
		do
			rc = io_uring_submit_and_wait(&b->ring, (unsigned)k);
		while (rc == -EINTR);
		/* What was submitted completes at once (MSG_DONTWAIT): reap it. */
		size_t submitted = rc > 0 ? (size_t)rc : 0, got = 0;
		while (got < submitted) {
			struct io_uring_cqe *cqe;
			unsigned head, seen = 0;
			io_uring_for_each_cqe(&b->ring, head, cqe) {
				items[io_uring_cqe_get_data64(cqe)].res = cqe->res;
				seen++;
			}
			io_uring_cq_advance(&b->ring, seen);
			got += seen;
			if (got < submitted && io_uring_wait_cqe(&b->ring, &cqe) < 0)
				break;
		}
		metrics.send_batches++;
		at += submitted;
		if (submitted < k)
			give_up(b, rc);
	}
	send_each(items + at, n - at); /* no ring, or what it did not take */
}
