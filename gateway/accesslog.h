/* accesslog: the retained access log (schema 0010), written by the
 * pipeline for every request that writes and by ws.c for every WebSocket
 * authentication; read by admins (GET /v1/admin/access-log) and by
 * `linli-gateway export-log`.
 *
 * A request whose handler commits inserts its row as the first write of
 * that transaction (api_begin), so a write that happened is logged and a
 * logged write happened; the status is filled in once the answer is known.
 * A request that commits nothing gets its row after the answer. */
#ifndef LINLI_ACCESSLOG_H
#define LINLI_ACCESSLOG_H

#include <stdint.h>
#include <stdio.h>

#include "api.h"
#include "store.h"

/* Should req be logged? (it writes: any method but GET and OPTIONS) */
int accesslog_applies(const struct req *req);
/* Inside req's transaction: its row, status unknown. 0 or a store error;
 * req->log_id is set. */
int accesslog_begin(struct req *req);
/* After the answer: the status into the committed row, or a new row when
 * nothing committed. Failures are logged, not fatal. */
void accesslog_end(struct req *req, int status);
/* A WebSocket authentication (status 200, or 401 for a refused token). */
void accesslog_ws_auth(struct store *st, int64_t uid, int64_t sid, const char *ip, int port,
		       const char *user_agent, int status, uint64_t conn_id);
/* Rows older than retention_days go, at most batches of 1000 rows per
 * call times max_batches. Rows deleted, or a store error. */
int accesslog_trim(struct store *st, int64_t now_ms, int64_t retention_days, int max_batches);
/* Rows at or after since and before until (ms), of uid when not 0, oldest
 * first, written to out as JSON lines. Rows written, or a store error. */
int64_t accesslog_export(struct store *st, int64_t since, int64_t until, int64_t uid, FILE *out);
/* One entry as the admin API shows it: {id, at, user_id, session_id, ip,
 * port, user_agent, method, route, status, request_id, target, texts}. The
 * statement's columns in ACCESSLOG_COLUMNS order. */
#define ACCESSLOG_COLUMNS "id, at, user_id, session_id, ip, port, user_agent, method, route, " \
			  "status, request_id, target, texts"
json_t *accesslog_row_json(struct store_stmt *s);

#endif
