/* sendcost: the sender's CPU per small message over loopback TCP, one
 * send() per socket against one io_uring submission per round (issue 2:
 * is the syscall, rather than TCP itself, what a delivery costs?).
 *
 * N connections; a child process reads them all with epoll, as subscribers
 * would; the parent writes one 150-byte message to every connection per
 * round, ROUNDS rounds 20 ms apart, and reports its own user+system CPU per
 * message. Built and run by tests/bench/sendcost.sh. */
#define _GNU_SOURCE
#include <liburing.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 2000
#define ROUNDS 100
#define MSG 150

static double cpu_s(int sys_only)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	double s = (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
	return sys_only ? s : s + (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6;
}

static void reader(const int *cl)
{
	int ep = epoll_create1(0);
	for (int i = 0; i < N; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.fd = cl[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, cl[i], &e);
	}
	long total = 0, want = (long)N * ROUNDS * MSG;
	static char buf[65536];
	struct epoll_event ev[512];
	while (total < want) {
		int n = epoll_wait(ep, ev, 512, 5000);
		if (n <= 0)
			break;
		for (int k = 0; k < n; k++) {
			ssize_t r = read(ev[k].data.fd, buf, sizeof buf);
			if (r > 0)
				total += r;
		}
	}
	_exit(total == want ? 0 : 1);
}

int main(int argc, char **argv)
{
	int uring = argc > 1 && !strcmp(argv[1], "io_uring");
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t al = sizeof a;
	if (bind(ls, (void *)&a, sizeof a) || listen(ls, 4096) || getsockname(ls, (void *)&a, &al)) {
		perror("listen");
		return 1;
	}
	static int cl[N], sv[N];
	for (int i = 0; i < N; i++) {
		cl[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cl[i] < 0 || connect(cl[i], (void *)&a, sizeof a) || (sv[i] = accept(ls, NULL, NULL)) < 0) {
			perror("connect (ulimit -n?)");
			return 1;
		}
		setsockopt(sv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < N; i++)
			close(sv[i]);
		reader(cl);
	}
	for (int i = 0; i < N; i++)
		close(cl[i]);
	char msg[MSG];
	memset(msg, 'x', sizeof msg);
	struct io_uring ring;
	if (uring && io_uring_queue_init(4096, &ring, 0)) {
		fprintf(stderr, "io_uring_queue_init failed\n");
		return 1;
	}
	double c0 = cpu_s(0), s0 = cpu_s(1);
	for (int round = 0; round < ROUNDS; round++) {
		if (!uring) {
			for (int i = 0; i < N; i++)
				send(sv[i], msg, sizeof msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		} else {
			for (int i = 0; i < N; i++)
				io_uring_prep_send(io_uring_get_sqe(&ring), sv[i], msg, sizeof msg,
						   MSG_NOSIGNAL | MSG_DONTWAIT);
			io_uring_submit_and_wait(&ring, N);
			struct io_uring_cqe *c;
			unsigned head, seen = 0;
			io_uring_for_each_cqe(&ring, head, c)
				seen++;
			io_uring_cq_advance(&ring, seen);
		}
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	double c1 = cpu_s(0), s1 = cpu_s(1);
	int st;
	waitpid(pid, &st, 0);
	printf("%-8s %.2f us CPU per message (system %.2f), %d connections x %d rounds, reader %s\n",
	       uring ? "io_uring" : "send()", (c1 - c0) * 1e6 / ((double)N * ROUNDS),
	       (s1 - s0) * 1e6 / ((double)N * ROUNDS), N, ROUNDS,
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "got everything" : "MISSED DATA");
	return 0;
}
