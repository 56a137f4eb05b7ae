/* sendcost: the sender's CPU per small message over loopback TCP, one
 * send() per socket against one io_uring submission per round: the floor
 * a fan-out server cannot go under on this machine (issues 2 and 18).
 *
 * usage: sendcost send|io_uring [N [BYTES [ROUNDS [INTERVAL_MS]]]] [--json]
 * (defaults 2000 connections, 150 bytes, 100 rounds, 20 ms apart).
 *
 * A child process connects N sockets and reads them all with epoll, as
 * subscribers would; the parent writes one BYTES-byte message to every
 * connection per round and reports its own user+system CPU per message.
 * Each process holds N descriptors. Built and run by tests/bench/sendcost.sh
 * and tests/bench/run.sh (the floors beside the fan-out scenarios). */
#define _GNU_SOURCE
#include <liburing.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int N = 2000, ROUNDS = 100, MSG = 150, INTERVAL_MS = 20;

static double cpu_s(int sys_only)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	double s = (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
	return sys_only ? s : s + (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6;
}

static void reader(struct sockaddr_in a, int ready)
{
	/* SENDCOST_READER_CPU: the readers on another CPU than the sender, as
	 * the bench's subscribers are on another CPU than the server. */
	const char *cpu = getenv("SENDCOST_READER_CPU");
	if (cpu && *cpu) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(atoi(cpu), &set);
		if (sched_setaffinity(0, sizeof set, &set))
			perror("sched_setaffinity");
	}
	int *cl = calloc((size_t)N, sizeof *cl);
	int ep = epoll_create1(0);
	for (int i = 0; i < N; i++) {
		cl[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cl[i] < 0 || connect(cl[i], (void *)&a, sizeof a)) {
			perror("connect (ulimit -n?)");
			_exit(2);
		}
		struct epoll_event e = { .events = EPOLLIN, .data.fd = cl[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, cl[i], &e);
	}
	if (write(ready, "r", 1) != 1)
		_exit(2);
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
	int json = 0, pos = 0, uring = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
			continue;
		}
		switch (pos++) {
		case 0: uring = !strcmp(argv[i], "io_uring"); break;
		case 1: N = atoi(argv[i]); break;
		case 2: MSG = atoi(argv[i]); break;
		case 3: ROUNDS = atoi(argv[i]); break;
		case 4: INTERVAL_MS = atoi(argv[i]); break;
		}
	}
	if (N < 1 || MSG < 1 || ROUNDS < 1 || INTERVAL_MS < 0) {
		fprintf(stderr, "usage: sendcost send|io_uring [N [BYTES [ROUNDS [INTERVAL_MS]]]] [--json]\n");
		return 2;
	}
	struct rlimit rl = { (rlim_t)N + 64, (rlim_t)N + 64 };
	struct rlimit cur;
	getrlimit(RLIMIT_NOFILE, &cur);
	if (cur.rlim_cur < rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &rl))
		fprintf(stderr, "warning: cannot raise RLIMIT_NOFILE to %d\n", N + 64);
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0), pipefd[2];
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t al = sizeof a;
	if (bind(ls, (void *)&a, sizeof a) || listen(ls, 4096) || getsockname(ls, (void *)&a, &al) ||
	    pipe(pipefd)) {
		perror("listen");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(ls);
		reader(a, pipefd[1]);
	}
	int *sv = calloc((size_t)N, sizeof *sv);
	for (int i = 0; i < N; i++) {
		if ((sv[i] = accept(ls, NULL, NULL)) < 0) {
			perror("accept (ulimit -n?)");
			return 1;
		}
		setsockopt(sv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	char r;
	if (read(pipefd[0], &r, 1) != 1)
		return 1;
	char *msg = malloc((size_t)MSG);
	memset(msg, 'x', (size_t)MSG);
	struct io_uring ring;
	if (uring && io_uring_queue_init(4096, &ring, 0)) {
		fprintf(stderr, "io_uring_queue_init failed\n");
		return 1;
	}
	double c0 = cpu_s(0), s0 = cpu_s(1);
	for (int round = 0; round < ROUNDS; round++) {
		if (!uring) {
			for (int i = 0; i < N; i++)
				send(sv[i], msg, (size_t)MSG, MSG_NOSIGNAL | MSG_DONTWAIT);
		} else {
			for (int at = 0; at < N; at += 4096) {
				int k = N - at < 4096 ? N - at : 4096;
				for (int i = 0; i < k; i++)
					io_uring_prep_send(io_uring_get_sqe(&ring), sv[at + i], msg, (size_t)MSG,
							   MSG_NOSIGNAL | MSG_DONTWAIT);
				io_uring_submit_and_wait(&ring, (unsigned)k);
				struct io_uring_cqe *c;
				unsigned head, seen = 0;
				io_uring_for_each_cqe(&ring, head, c)
					seen++;
				io_uring_cq_advance(&ring, seen);
			}
		}
		nanosleep(&(struct timespec){ INTERVAL_MS / 1000, (INTERVAL_MS % 1000) * 1000000L }, NULL);
	}
	double c1 = cpu_s(0), s1 = cpu_s(1);
	int st;
	waitpid(pid, &st, 0);
	double per = (c1 - c0) * 1e6 / ((double)N * ROUNDS), sys = (s1 - s0) * 1e6 / ((double)N * ROUNDS);
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (json)
		printf("{\"mode\":\"%s\",\"connections\":%d,\"bytes\":%d,\"rounds\":%d,\"interval_ms\":%d,"
		       "\"cpu_us_per_message\":%.3f,\"sys_us_per_message\":%.3f,\"reader_got_everything\":%s}\n",
		       uring ? "io_uring" : "send", N, MSG, ROUNDS, INTERVAL_MS, per, sys, ok ? "true" : "false");
	else
		printf("%-8s %.2f us CPU per message (system %.2f), %d connections x %d rounds of %d bytes, reader %s\n",
		       uring ? "io_uring" : "send()", per, sys, N, ROUNDS, MSG, ok ? "got everything" : "MISSED DATA");
	return ok ? 0 : 1;
}
