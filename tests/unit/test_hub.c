/* The hub with a fake log and fake sockets: every read it asks for waits
 * until the test answers it, and answers with the log as it stood when the
 * read was asked (the worst a database worker can do), so the orders that
 * race in production (live events while a replay page is out, an event
 * arriving before the one it follows) are played out exactly. Each socket
 * records what it was sent, in order; the checks are "every seq once, in
 * order, then live". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "frame.h"
#include "hub.h"

/* --- a fake log: per channel, events 1..n with payload "e<seq>" ----------- */

#define MAX_EVENTS 64
#define MAX_READS 16

static struct {
	int64_t head;                 /* events 1..head exist in "thread:1" */
} logst;

struct pending {
	char ch[32];
	int64_t after;
	int limit;
	int64_t head;                 /* the log when the read was asked */
	hub_rows_cb done;
	void *arg;
};
static struct pending reads[MAX_READS];
static int nreads;

static struct frame *event_frame(int64_t seq)
{
	char p[32];
	int n = snprintf(p, sizeof p, "e%lld", (long long)seq);
	return frame_new(p, (size_t)n);
}

static int fake_read(void *ctx, const char *ch, int64_t after, int limit, size_t max_bytes,
		     hub_rows_cb done, void *arg)
{
	(void)ctx;
	(void)max_bytes;
	assert_true(nreads < MAX_READS);
	struct pending *r = &reads[nreads++];
	snprintf(r->ch, sizeof r->ch, "%s", ch);
	r->after = after;
	r->limit = limit;
	r->head = logst.head;
	r->done = done;
	r->arg = arg;
	return 0;
}

/* Answers the oldest read, from the log as it was when asked. */
static void answer_one(void)
{
	assert_true(nreads > 0);
	struct pending r = reads[0];
	memmove(reads, reads + 1, (size_t)--nreads * sizeof reads[0]);
	struct hub_row *rows = calloc((size_t)r.limit + 1, sizeof *rows);
	int n = 0;
	for (int64_t seq = r.after + 1; seq <= r.head && n < r.limit; seq++) {
		rows[n].seq = seq;
		rows[n].f = event_frame(seq);
		n++;
	}
	r.done(r.arg, rows, n, 0);
}

static void answer_all(void)
{
	for (int guard = 0; nreads; guard++) {
		assert_true(guard < 100);
		answer_one();
	}
}

static int fake_heads(void *ctx, char **names, int n, hub_heads_cb done, void *arg)
{
	(void)ctx, (void)names, (void)n, (void)done, (void)arg;
	return -EIO;
}

static void fake_watch(void *ctx, const char *ch, int on)
{
	(void)ctx, (void)ch, (void)on;
}

/* --- fake sockets ------------------------------------------------------------ */

struct ws_conn {
	char got[MAX_EVENTS][64];     /* what was sent, in order */
	int n;
	int room;                     /* has_room answers this */
	int overflow_after;           /* > 0: send fails (queue full) past this many */
	int sends;                    /* send attempts */
	int closed_code;
	struct sub *subs;             /* its subscriptions (as ws keeps them) */
};

static int fake_send_bytes(struct ws_conn *c, const void *p, size_t len)
{
	c->sends++;
	if (c->closed_code)
		return -EPIPE;
	if (c->overflow_after && c->n >= c->overflow_after) {
		c->closed_code = 1008; /* ws closes it; its owner unsubscribes */
		return -ENOBUFS;
	}
	assert_true(c->n < MAX_EVENTS && len < sizeof c->got[0]);
	memcpy(c->got[c->n], p, len);
	c->got[c->n][len] = '\0';
	c->n++;
	return 0;
}

static int fake_send(struct ws_conn *c, struct frame *f)
{
	return fake_send_bytes(c, frame_payload(f), f->len);
}

static int fake_send_text(struct ws_conn *c, const char *text, size_t len)
{
	return fake_send_bytes(c, text, len);
}

static int fake_has_room(const struct ws_conn *c)
{
	return c->room;
}

static void fake_close(struct ws_conn *c, int code, const char *reason)
{
	(void)reason;
	c->closed_code = code;
}

static const struct hub_log fake_log = { .read = fake_read, .heads = fake_heads, .watch = fake_watch };
static const struct hub_sink fake_sink = {
	.send = fake_send, .send_text = fake_send_text, .has_room = fake_has_room, .close = fake_close,
};

static struct config cfg;
static int cfg_set;

static struct hub *setup_hub(int batch)
{
	if (cfg_set)
		config_free(&cfg);
	config_defaults(&cfg);
	cfg_set = 1;
	cfg.ws_replay_batch = batch;
	nreads = 0;
	logst.head = 0;
	return hub_new(&cfg, &fake_log, &fake_sink);
}

/* The bus brings event seq (already in the log, or not yet). */
static void arrive(struct hub *hub, int64_t seq)
{
	struct frame *f = event_frame(seq);
	hub_deliver(hub, "thread:1", seq, f);
	frame_unref(f);
}

/* Appends events up to seq to the log and, when live, hands seq to the
 * hub as the bus would. */
static void commit(struct hub *hub, int64_t seq, int deliver)
{
	logst.head = seq;
	if (deliver)
		arrive(hub, seq);
}

/* Frames held elsewhere take the whole memory budget (pages of 2 KiB);
 * the caller gives them back with frame_unref. */
static struct frame *spend_budget(void)
{
	static char big[20000];
	cfg.ws_send_queue_bytes = 4096;
	cfg.ws_memory_budget = frame_bytes + 16384;
	return frame_new(big, sizeof big);
}

/* c's event seqs in order; control messages appear as 0 (subbed) or -1. */
static int seqs(const struct ws_conn *c, int64_t *out)
{
	for (int i = 0; i < c->n; i++)
		out[i] = c->got[i][0] == 'e' ? atoll(c->got[i] + 1) : strstr(c->got[i], "\"subbed\"") ? 0 : -1;
	return c->n;
}

static void assert_seqs(const struct ws_conn *c, const int64_t *want, int n)
{
	int64_t got[MAX_EVENTS];
	int m = seqs(c, got);
	for (int i = 0; i < m && i < n; i++)
		if (got[i] != want[i])
			fail_msg("message %d: got %lld, want %lld (\"%s\")", i, (long long)got[i],
				 (long long)want[i], c->got[i]);
	assert_int_equal(m, n);
}

/* --- the tests ------------------------------------------------------------------ */

static void replay_then_live_without_gap_or_duplicate(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(2);
	struct ws_conn c = { .room = 1 };
	for (int64_t s = 1; s <= 5; s++)
		commit(hub, s, 0);
	hub_subscribe(hub, &c, &c.subs, "thread:1", 1, "\"r\"", 5, 0);
	/* Pages of 2 from seq 1; meanwhile events 6 and 7 are committed and
	 * arrive live, one before the first page is answered, one after. */
	commit(hub, 6, 1);
	answer_one();
	commit(hub, 7, 1);
	answer_all();
	commit(hub, 8, 1); /* live now */
	const int64_t want[] = { 2, 3, 4, 5, 6, 7, 0, 8 };
	assert_seqs(&c, want, 8);
	assert_non_null(strstr(c.got[6], "\"ref\":\"r\""));
	assert_non_null(strstr(c.got[6], "\"seq\":7"));
	hub_unsubscribe_all(hub, &c.subs);
	hub_free(hub);
}

static void gap_fill_on_out_of_order_arrival(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(16);
	struct ws_conn c = { .room = 1 };
	commit(hub, 3, 0);
	hub_subscribe(hub, &c, &c.subs, "thread:1", -1, NULL, 3, 0); /* live from the head */
	answer_all(); /* the new channel's catch-up read: nothing past 3 */
	/* 5 arrives before 4 (another gateway's publish overtook): the hub
	 * reads the log from 3; 4 arriving meanwhile is taken from the log. */
	logst.head = 5;
	arrive(hub, 5);
	arrive(hub, 4);
	assert_int_equal(nreads, 1);
	answer_all();
	arrive(hub, 5); /* a late duplicate (own echo) */
	commit(hub, 6, 1);
	const int64_t want[] = { 0, 4, 5, 6 };
	assert_seqs(&c, want, 4);
	hub_unsubscribe_all(hub, &c.subs);
	hub_free(hub);
}

static void an_overflowing_socket_is_dropped_and_others_miss_nothing(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(16);
	struct ws_conn a = { .room = 1 }, b = { .room = 1, .overflow_after = 3 };
	hub_subscribe(hub, &a, &a.subs, "thread:1", -1, NULL, 0, 0);
	hub_subscribe(hub, &b, &b.subs, "thread:1", -1, NULL, 0, 0);
	answer_all();
	for (int64_t s = 1; s <= 3; s++)
		commit(hub, s, 1);
	assert_int_equal(b.closed_code, 1008); /* subbed + 2 events, then full */
	hub_unsubscribe_all(hub, &b.subs);     /* what ws does as it closes */
	int attempts = b.sends;
	for (int64_t s = 4; s <= 6; s++)
		commit(hub, s, 1);
	assert_int_equal(b.sends, attempts); /* nothing more sent to it */
	const int64_t want_a[] = { 0, 1, 2, 3, 4, 5, 6 }, want_b[] = { 0, 1, 2 };
	assert_seqs(&a, want_a, 7);
	assert_seqs(&b, want_b, 3);
	hub_unsubscribe_all(hub, &a.subs);
	hub_free(hub);
}

static void replay_waits_for_room_then_goes_on(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(2);
	struct ws_conn c = { .room = 1 };
	for (int64_t s = 1; s <= 6; s++)
		commit(hub, s, 0);
	hub_subscribe(hub, &c, &c.subs, "thread:1", 0, NULL, 6, 0);
	answer_one(); /* 1, 2 */
	c.room = 0;   /* the queue is half full */
	answer_all(); /* the catch-up read and the page already asked for */
	int before = c.n;
	hub_replay_more(hub, c.subs); /* still no room: nothing asked */
	assert_int_equal(nreads, 0);
	c.room = 1;
	hub_replay_more(hub, c.subs);
	answer_all();
	const int64_t want[] = { 1, 2, 3, 4, 5, 6, 0 };
	assert_true(before <= 4);
	assert_seqs(&c, want, 7);
	hub_unsubscribe_all(hub, &c.subs);
	hub_free(hub);
}

static void unsubscribe_while_a_page_is_out(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(4);
	struct ws_conn c = { .room = 1 }, other = { .room = 1 };
	for (int64_t s = 1; s <= 6; s++)
		commit(hub, s, 0);
	hub_subscribe(hub, &other, &other.subs, "thread:1", -1, NULL, 6, 0);
	hub_subscribe(hub, &c, &c.subs, "thread:1", 0, NULL, 6, 0);
	assert_int_equal(hub_unsubscribe(hub, &c.subs, "thread:1"), 0);
	assert_int_equal(hub_unsubscribe(hub, &c.subs, "thread:1"), -ENOENT);
	answer_all(); /* the page comes back to a subscription that is gone */
	assert_int_equal(c.n, 0);
	commit(hub, 7, 1);
	assert_int_equal(c.n, 0);
	const int64_t want[] = { 0, 7 };
	assert_seqs(&other, want, 2);
	/* The channel itself goes while its read is out. */
	logst.head = 9;
	arrive(hub, 9); /* a gap: a fill read goes out */
	assert_int_equal(nreads, 1);
	hub_unsubscribe_all(hub, &other.subs);
	answer_all();
	hub_free(hub);
}

static void since_older_than_retention_resets(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(4);
	struct ws_conn c = { .room = 1 };
	commit(hub, 20, 0);
	hub_subscribe(hub, &c, &c.subs, "thread:1", 3, NULL, 20, 10); /* 4..10 trimmed */
	answer_all();
	commit(hub, 21, 1);
	assert_int_equal(c.n, 3);
	assert_non_null(strstr(c.got[0], "\"reset\""));
	assert_non_null(strstr(c.got[1], "\"subbed\""));
	assert_non_null(strstr(c.got[1], "\"seq\":20"));
	assert_string_equal(c.got[2], "e21");
	hub_unsubscribe_all(hub, &c.subs);
	hub_free(hub);
}

static void replays_park_past_the_memory_budget(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(4);
	struct ws_conn c = { .room = 1 };
	commit(hub, 3, 0);
	struct frame *hog = spend_budget();
	hub_subscribe(hub, &c, &c.subs, "thread:1", 0, NULL, 3, 0);
	assert_int_equal(nreads, 1); /* only the new channel's catch-up */
	answer_all();
	assert_int_equal(hub_unpark(hub), 1); /* still no room */
	assert_int_equal(c.n, 0);
	frame_unref(hog);
	assert_int_equal(hub_unpark(hub), 0);
	assert_int_equal(nreads, 1);
	assert_int_equal(hub_reserved(hub), 2048);
	answer_all();
	assert_int_equal(hub_reserved(hub), 0);
	const int64_t want[] = { 1, 2, 3, 0 };
	assert_seqs(&c, want, 4);
	hub_unsubscribe_all(hub, &c.subs);
	hub_free(hub);
}

static void a_short_page_behind_the_live_stream_reads_on(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(8);
	struct ws_conn live = { .room = 1 }, c = { .room = 1 };
	commit(hub, 5, 0);
	hub_subscribe(hub, &live, &live.subs, "thread:1", -1, NULL, 5, 0);
	answer_all();
	/* The page is read while the log ends at 5 ... */
	hub_subscribe(hub, &c, &c.subs, "thread:1", 1, NULL, 5, 0);
	/* ... and 6 is fanned out before its answer comes back. */
	commit(hub, 6, 1);
	answer_one(); /* 2..5: short of a full page, yet behind the channel */
	answer_all();
	commit(hub, 7, 1);
	const int64_t want[] = { 2, 3, 4, 5, 6, 0, 7 }, want_live[] = { 0, 6, 7 };
	assert_seqs(&c, want, 7);
	assert_seqs(&live, want_live, 3);
	hub_unsubscribe_all(hub, &c.subs);
	hub_unsubscribe_all(hub, &live.subs);
	hub_free(hub);
}

static void a_late_subscriber_gets_nothing_before_its_head(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(8);
	struct ws_conn early = { .room = 1 }, late = { .room = 1 };
	commit(hub, 3, 0);
	hub_subscribe(hub, &early, &early.subs, "thread:1", -1, NULL, 3, 0);
	answer_all();
	/* 4 and 5 are committed; the bus has not brought them yet when the
	 * late one subscribes live at head 5. */
	logst.head = 5;
	hub_subscribe(hub, &late, &late.subs, "thread:1", -1, NULL, 5, 0);
	arrive(hub, 4);
	arrive(hub, 5);
	commit(hub, 6, 1);
	const int64_t want_early[] = { 0, 4, 5, 6 }, want_late[] = { 0, 6 };
	assert_seqs(&early, want_early, 4);
	assert_seqs(&late, want_late, 2);
	hub_unsubscribe_all(hub, &early.subs);
	hub_unsubscribe_all(hub, &late.subs);
	hub_free(hub);
}

static void an_event_past_a_running_fill_is_read_too(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(8);
	struct ws_conn c = { .room = 1 };
	commit(hub, 3, 0);
	hub_subscribe(hub, &c, &c.subs, "thread:1", -1, NULL, 3, 0);
	answer_all();
	logst.head = 5;
	arrive(hub, 5); /* gap: the fill reads up to 5 */
	commit(hub, 6, 1);                  /* arrives while the fill is out */
	answer_all();
	const int64_t want[] = { 0, 4, 5, 6 };
	assert_seqs(&c, want, 4);
	hub_unsubscribe_all(hub, &c.subs);
	hub_free(hub);
}

static void a_parked_replay_that_unsubscribes_is_forgotten(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(4);
	struct frame *hog = spend_budget();
	struct ws_conn c = { .room = 1 };
	commit(hub, 3, 0);
	hub_subscribe(hub, &c, &c.subs, "thread:1", 0, NULL, 3, 0);
	answer_all();
	assert_int_equal(hub_unpark(hub), 1);
	hub_unsubscribe_all(hub, &c.subs);
	assert_int_equal(hub_unpark(hub), 0);
	frame_unref(hog);
	assert_int_equal(hub_unpark(hub), 0);
	assert_int_equal(nreads, 0);
	hub_free(hub);
}

/* Room for one page: the second replay parks, and goes on as soon as the
 * first page is back (a reconnect storm), not at the next hub_unpark. */
static void a_parked_replay_goes_on_when_a_page_comes_back(void **state)
{
	(void)state;
	struct hub *hub = setup_hub(4);
	struct ws_conn a = { .room = 1 }, b = { .room = 1 };
	commit(hub, 3, 0);
	cfg.ws_send_queue_bytes = 4096; /* pages of 2048 */
	cfg.ws_memory_budget = frame_bytes + 2048 + 1000;
	hub_subscribe(hub, &a, &a.subs, "thread:1", 0, NULL, 3, 0);
	hub_subscribe(hub, &b, &b.subs, "thread:1", 0, NULL, 3, 0);
	assert_int_equal(hub_reserved(hub), 2048); /* a reads, b is parked */
	answer_all();
	assert_int_equal(hub_reserved(hub), 0);
	assert_int_equal(hub_unpark(hub), 0);
	const int64_t want[] = { 1, 2, 3, 0 };
	assert_seqs(&a, want, 4);
	assert_seqs(&b, want, 4);
	hub_unsubscribe_all(hub, &a.subs);
	hub_unsubscribe_all(hub, &b.subs);
	hub_free(hub);
}

static int free_config(void **state)
{
	(void)state;
	if (cfg_set)
		config_free(&cfg);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_then_live_without_gap_or_duplicate),
		cmocka_unit_test(gap_fill_on_out_of_order_arrival),
		cmocka_unit_test(an_overflowing_socket_is_dropped_and_others_miss_nothing),
		cmocka_unit_test(replay_waits_for_room_then_goes_on),
		cmocka_unit_test(unsubscribe_while_a_page_is_out),
		cmocka_unit_test(since_older_than_retention_resets),
		cmocka_unit_test(replays_park_past_the_memory_budget),
		cmocka_unit_test(a_short_page_behind_the_live_stream_reads_on),
		cmocka_unit_test(a_late_subscriber_gets_nothing_before_its_head),
		cmocka_unit_test(an_event_past_a_running_fill_is_read_too),
		cmocka_unit_test(a_parked_replay_that_unsubscribes_is_forgotten),
		cmocka_unit_test(a_parked_replay_goes_on_when_a_page_comes_back),
	};
	return cmocka_run_group_tests(tests, NULL, free_config);
}
