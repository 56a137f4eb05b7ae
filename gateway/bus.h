/* bus: carries committed events between gateway processes.
 *
 * The bus is a doorbell, not the source of truth: an event is published
 * only after its transaction committed, so a receiver that sees a gap, or
 * that lost its link, re-reads the log (hub_catch_up). Two kinds:
 *   local — one process; publish delivers straight to the hub;
 *   redis — hiredis on the loop: one link PUBLISHes, another SUBSCRIBEs to
 *           exactly the channels with local subscribers; reconnects with
 *           backoff and catches up from the log after every reconnect.
 * Publishing always delivers to the local hub at once; the Redis echo of
 * our own event is dropped by seq. */
#ifndef LINLI_BUS_H
#define LINLI_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "frame.h"
#include "hub.h"

struct bus;

struct bus *bus_local_new(struct hub *hub);
/* Connects in the background; never fails at start-up for a down Redis
 * (writes must go on; /readyz tells). -EINVAL for a malformed URL. */
int bus_redis_new(uv_loop_t *loop, struct hub *hub, const struct config *cfg,
		  struct bus **out, char *err, size_t errlen);

/* Publishes a committed event: local delivery now, Redis if configured.
 * f is borrowed. */
void bus_publish(struct bus *bus, const char *ch, int64_t seq, struct frame *f);

/* The hub has gained its first / lost its last subscriber of ch. */
void bus_watch(struct bus *bus, const char *ch);
void bus_unwatch(struct bus *bus, const char *ch);

/* How many gateways hold a Redis subscription to ch, i.e. have a local
 * subscriber of it: cb(n, data) later on the loop, n = -1 when unknown.
 * -ENOTSUP on the local bus and -ENOTCONN while Redis is down (cb is not
 * called then). */
typedef void (*bus_count_cb)(long long n, void *data);
int bus_subscribers(struct bus *bus, const char *ch, bus_count_cb cb, void *data);

/* 0 when usable; otherwise -ENOTCONN and a reason in why. */
int bus_ready(struct bus *bus, char *why, size_t len);

/* Starts closing; close_cb runs once every handle is closed. */
typedef void (*bus_close_cb)(void *data);
void bus_close(struct bus *bus, bus_close_cb cb, void *data);
/* After close_cb: frees the bus. */
void bus_free(struct bus *bus);

/* Redis wire format of one event: "<seq> <frame payload>". */
#define BUS_REDIS_PREFIX "linli:"

#endif
