/* store_pg: the PostgreSQL driver (libpq 15).
 *
 * Blocking calls: a connection belongs to a worker thread, never to the
 * loop. Parameters go in binary with their types (int8, text, bytea; NULL
 * untyped, for the server to infer), results come back as text. A
 * statement is prepared on the server at its first step, once per pattern
 * of parameter types.
 *
 * A lost connection (the primary died, a failover, a restart) is noticed
 * by the statement that failed; outside a transaction the next statement
 * reconnects, no more often than a backoff allows, and until then every
 * statement answers -ENOTCONN at once. A multi-host URI with
 * target_session_attrs=read-write finds the new primary on reconnect; a
 * server that turned read-only under us counts as lost. */
#include "store_driver.h"
#include "map.h"
#include "util.h"

#include <endian.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#define OID_INT8 20
#define OID_TEXT 25
#define OID_BYTEA 17
#define PG_MAX_PARAMS 32

/* One server-side prepared statement: the SQL with one pattern of types. */
struct pg_variant {
	char name[16];              /* "s<n>" on this connection */
	unsigned char sig[PG_MAX_PARAMS]; /* parameter kinds it was prepared with */
	struct pg_variant *next;
};

enum { P_NULL, P_INT, P_TEXT, P_BLOB };

struct pg_stmt {
	struct store_stmt base;
	char *sql;                  /* with $N placeholders */
	int nparams;                /* highest placeholder number */
	unsigned char kind[PG_MAX_PARAMS];    /* P_* per parameter */
	const char *values[PG_MAX_PARAMS];    /* binary values, borrowed or in ints */
	int lengths[PG_MAX_PARAMS];
	uint64_t ints[PG_MAX_PARAMS];         /* big-endian int8 values */
	struct pg_variant *variants;          /* prepared forms */
	PGresult *res;              /* the result being read, or NULL */
	int row, nrows;             /* current row; -1 before the first */
	unsigned char *blob;        /* bytea of (blob_row, blob_col), decoded */
	size_t blob_len;
	int blob_row, blob_col;
};

struct pg_store {
	struct store base;
	PGconn *conn;               /* NULL or broken: reconnect when allowed */
	char *url;                  /* what to connect to (owned) */
	struct store_opts opts;
	struct map stmts;           /* SQL text -> struct pg_stmt* */
	unsigned next_name;         /* for variant names */
	int broken;                 /* the connection failed: reconnect first */
	int begin_pending;          /* store_begin ran; BEGIN goes with the next statement */
	int64_t retry_at_ms;        /* no reconnect attempt before this */
	int64_t backoff_ms;         /* current reconnect backoff */
};

#define PG(st) ((struct pg_store *)(st))

static atomic_ulong pg_reconnects; /* store_reconnects() */

uint64_t store_reconnects(void)
{
	return atomic_load(&pg_reconnects);
}
#define PS(s) ((struct pg_stmt *)(s))

/* --- connecting ------------------------------------------------------------ */

static void notice_cb(void *arg, const char *message)
{
	(void)arg;
	log_debug("postgres: %s", message);
}

static void forget_prepared(struct pg_store *q)
{
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&q->stmts, &i, &k, &v);) {
		struct pg_stmt *s = v;
		while (s->variants) {
			struct pg_variant *n = s->variants->next;
			free(s->variants);
			s->variants = n;
		}
	}
}

static int connect_now(struct pg_store *q, char *err, size_t errlen)
{
	if (q->conn)
		PQfinish(q->conn);
	char timeout[16], stmt_to[64];
	snprintf(timeout, sizeof timeout, "%d", (q->opts.connect_timeout_ms + 999) / 1000);
	snprintf(stmt_to, sizeof stmt_to, "-c statement_timeout=%d", q->opts.statement_timeout_ms);
	/* The URI first; the keywords after it add what it does not say. */
	const char *const keys[] = { "dbname", "connect_timeout", "application_name",
				     "client_encoding", "options", NULL };
	const char *const vals[] = { q->url, timeout, "linli-gateway", "UTF8", stmt_to, NULL };
	q->conn = PQconnectdbParams(keys, vals, 1);
	q->begin_pending = 0;
	forget_prepared(q);
	if (PQstatus(q->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(q->conn));
		size_t n = strlen(err);
		while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		return -ENOTCONN;
	}
	PQsetNoticeProcessor(q->conn, notice_cb, NULL);
	return 0;
}

/* 0 when the connection is usable; otherwise -ENOTCONN (reconnecting only
 * outside a transaction and when the backoff allows). */
static int usable(struct pg_store *q)
{
	if (!q->broken)
		return 0;
	if (q->base.in_txn)
		return -ENOTCONN; /* that transaction is gone with the connection */
	int64_t now = util_now_ms();
	if (now < q->retry_at_ms)
		return -ENOTCONN;
	char err[512];
	if (connect_now(q, err, sizeof err)) {
		q->backoff_ms = q->backoff_ms ? q->backoff_ms * 2 : q->opts.reconnect_min_ms;
		if (q->backoff_ms > q->opts.reconnect_max_ms)
			q->backoff_ms = q->opts.reconnect_max_ms;
		q->retry_at_ms = util_now_ms() + q->backoff_ms;
		log_warn("store: %s (next try in %lld ms)", err, (long long)q->backoff_ms);
		return -ENOTCONN;
	}
	log_info("store: reconnected to PostgreSQL");
	atomic_fetch_add(&pg_reconnects, 1);
	q->broken = 0;
	q->backoff_ms = 0;
	return 0;
}

/* Maps a failed result to the store's codes; marks the connection broken
 * when it is lost or read-only (a standby, or a demoted primary). */
static int failure(struct pg_store *q, PGresult *res, const char *sql)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(q->conn) != CONNECTION_OK || !state || !strncmp(state, "08", 2) ||
	    !strcmp(state, "25006") || !strncmp(state, "57P", 3)) {
		if (!q->broken)
			log_warn("store: PostgreSQL connection lost: %s",
				 res ? PQresultErrorMessage(res) : PQerrorMessage(q->conn));
		q->broken = 1;
		q->retry_at_ms = 0; /* the first reconnect may be at once */
		return -ENOTCONN;
	}
	if (!strcmp(state, "23505"))
		return -EEXIST;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") ||
	    !strcmp(state, "57014"))
		return -EBUSY; /* serialization, deadlock, lock or statement time-out */
	if (!strncmp(state, "53", 2)) {
		/* insufficient resources: disk full (53100), out of memory or
		 * connections; outside the request (503). */
		log_warn("store: PostgreSQL %s: %s", state, PQresultErrorMessage(res));
		return -ENOSPC;
	}
	log_warn("store: PostgreSQL %s: %s in: %s", state, PQresultErrorMessage(res), sql);
	return -EIO;
}

/* --- statements ----------------------------------------------------------------- */

/* ?N -> $N; ? -> $(largest so far + 1), as SQLite numbers them. Quoted
 * strings and identifiers are copied as they are. */
static char *translate(const char *sql, int *nparams)
{
	struct buf b = { 0 };
	int max = 0;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			buf_append(&b, p, 1);
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			buf_append(&b, p, 1);
		} else if (*p == '?') {
			int n = 0;
			while (p[1] >= '0' && p[1] <= '9')
				n = n * 10 + (*++p - '0');
			if (!n)
				n = max + 1;
			if (n > max)
				max = n;
			buf_printf(&b, "$%d", n);
		} else {
			buf_append(&b, p, 1);
		}
	}
	*nparams = max;
	return b.p;
}

static struct store_stmt *pg_prepare(struct store *st, const char *sql)
{
	struct pg_store *q = PG(st);
	struct pg_stmt *s = map_get(&q->stmts, sql);
	if (s)
		return &s->base;
	s = xcalloc(1, sizeof *s);
	s->base.st = st;
	s->sql = translate(sql, &s->nparams);
	if (s->nparams > PG_MAX_PARAMS) {
		log_error("store: %d parameters (at most %d): %s", s->nparams, PG_MAX_PARAMS, sql);
		abort();
	}
	s->row = -1;
	s->blob_row = -1;
	map_put(&q->stmts, sql, s);
	return &s->base;
}

static void bind(struct pg_stmt *s, int i, int kind, const void *v, int len)
{
	if (i < 1 || i > s->nparams) {
		log_error("store: parameter %d of %d bound: %s", i, s->nparams, s->sql);
		abort();
	}
	s->kind[i - 1] = (unsigned char)kind;
	s->values[i - 1] = v;
	s->lengths[i - 1] = len;
}

static void pg_bind_int(struct store_stmt *st, int i, int64_t v)
{
	struct pg_stmt *s = PS(st);
	bind(s, i, P_INT, &s->ints[i - 1], 8); /* aborts on a bad i first */
	s->ints[i - 1] = htobe64((uint64_t)v);
}

static void pg_bind_text(struct store_stmt *s, int i, const char *v, size_t n)
{
	bind(PS(s), i, P_TEXT, v, (int)n);
}

static void pg_bind_blob(struct store_stmt *s, int i, const void *v, size_t n)
{
	bind(PS(s), i, P_BLOB, v, (int)n);
}

static void pg_bind_null(struct store_stmt *s, int i)
{
	bind(PS(s), i, P_NULL, NULL, 0);
}

/* The prepared form for the current parameter kinds, preparing it now if
 * this connection has none. NULL with *rc set on failure. */
static struct pg_variant *variant(struct pg_store *q, struct pg_stmt *s, int *rc)
{
	for (struct pg_variant *v = s->variants; v; v = v->next)
		if (!memcmp(v->sig, s->kind, (size_t)s->nparams))
			return v;
	static const Oid oids[] = { [P_NULL] = 0, [P_INT] = OID_INT8, [P_TEXT] = OID_TEXT,
				    [P_BLOB] = OID_BYTEA };
	Oid types[PG_MAX_PARAMS];
	for (int i = 0; i < s->nparams; i++)
		types[i] = oids[s->kind[i]];
	struct pg_variant *v = xcalloc(1, sizeof *v);
	snprintf(v->name, sizeof v->name, "s%u", ++q->next_name);
	memcpy(v->sig, s->kind, (size_t)s->nparams);
	PGresult *res = PQprepare(q->conn, v->name, s->sql, s->nparams, types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state && (!strncmp(state, "42", 2) || !strncmp(state, "22", 2))) {
			/* Our SQL does not parse or type-check: a bug, as in SQLite. */
			log_error("store: PostgreSQL cannot prepare (%s): %s: %s", state,
				  PQresultErrorMessage(res), s->sql);
			abort();
		}
		*rc = failure(q, res, s->sql);
		PQclear(res);
		free(v);
		return NULL;
	}
	PQclear(res);
	v->next = s->variants;
	s->variants = v;
	return v;
}

/* Runs the prepared statement; a BEGIN still pending goes first, in the
 * same pipeline (one round trip for both). The result, or the BEGIN's
 * failure; NULL when the connection was lost. */
static PGresult *exec_prepared(struct pg_store *q, struct pg_stmt *s, struct pg_variant *v,
			       const int *formats)
{
	if (!q->begin_pending)
		return PQexecPrepared(q->conn, v->name, s->nparams, s->values, s->lengths, formats, 0);
	q->begin_pending = 0;
	if (!PQenterPipelineMode(q->conn) ||
	    !PQsendQueryParams(q->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(q->conn, v->name, s->nparams, s->values, s->lengths, formats, 0) ||
	    !PQpipelineSync(q->conn)) {
		PQexitPipelineMode(q->conn);
		return NULL;
	}
	/* BEGIN's result, NULL, the statement's, NULL, then the sync point;
	 * a failed BEGIN makes the statement's PIPELINE_ABORTED. */
	PGresult *res[2] = { NULL, NULL };
	int idx = 0, nulls = 0;
	for (int guard = 0; guard < 16; guard++) {
		PGresult *r = PQgetResult(q->conn);
		if (!r) {
			if (++nulls >= 2 && PQstatus(q->conn) != CONNECTION_OK)
				break; /* lost: nothing more will come */
			if (idx < 2 && res[idx])
				idx++;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (idx < 2 && !res[idx])
			res[idx] = r;
		else
			PQclear(r);
	}
	PQexitPipelineMode(q->conn);
	if (res[0] && PQresultStatus(res[0]) != PGRES_COMMAND_OK) {
		PQclear(res[1]);
		return res[0];
	}
	PQclear(res[0]);
	return res[1];
}

static int pg_begin(struct store *st)
{
	struct pg_store *q = PG(st);
	int rc = usable(q); /* reconnects if it must: no server transaction yet */
	if (rc)
		return rc;
	q->begin_pending = 1;
	return 0;
}

static int pg_step(struct store_stmt *st)
{
	struct pg_stmt *s = PS(st);
	struct pg_store *q = PG(st->st);
	if (s->res) {
		if (++s->row < s->nrows)
			return STORE_ROW;
		return STORE_DONE;
	}
	int rc = usable(q);
	if (rc)
		return rc;
	struct pg_variant *v = variant(q, s, &rc);
	if (!v)
		return rc;
	int formats[PG_MAX_PARAMS];
	for (int i = 0; i < s->nparams; i++)
		formats[i] = 1;
	PGresult *res = exec_prepared(q, s, v, formats);
	ExecStatusType status = PQresultStatus(res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		rc = failure(q, res, s->sql);
		PQclear(res);
		return rc;
	}
	s->res = res;
	s->nrows = PQntuples(res);
	s->row = 0;
	const char *n = PQcmdTuples(res);
	s->base.changes = n && *n ? strtoll(n, NULL, 10) : 0;
	return s->nrows ? STORE_ROW : STORE_DONE;
}

static int in_row(struct pg_stmt *s, int col)
{
	return s->res && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

static int pg_col_null(struct store_stmt *st, int c)
{
	struct pg_stmt *s = PS(st);
	return !in_row(s, c) || PQgetisnull(s->res, s->row, c);
}

static const char *pg_col_text(struct store_stmt *st, int c)
{
	struct pg_stmt *s = PS(st);
	return pg_col_null(st, c) ? NULL : PQgetvalue(s->res, s->row, c);
}

static int64_t pg_col_int(struct store_stmt *st, int c)
{
	const char *v = pg_col_text(st, c);
	if (!v)
		return 0;
	if (*v == 't' || *v == 'f') /* a boolean expression */
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static double pg_col_double(struct store_stmt *st, int c)
{
	const char *v = pg_col_text(st, c);
	return v ? strtod(v, NULL) : 0;
}

/* bytea arrives as text ("\x0a1b..."): decoded once per row and column. */
static const unsigned char *decoded(struct pg_stmt *s, int c)
{
	if (s->blob_row == s->row && s->blob_col == c)
		return s->blob;
	PQfreemem(s->blob);
	s->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, c),
				  &s->blob_len);
	s->blob_row = s->row;
	s->blob_col = c;
	return s->blob;
}

static size_t pg_col_bytes(struct store_stmt *st, int c)
{
	struct pg_stmt *s = PS(st);
	if (pg_col_null(st, c))
		return 0;
	if (PQftype(s->res, c) == OID_BYTEA)
		return decoded(s, c) ? s->blob_len : 0;
	return (size_t)PQgetlength(s->res, s->row, c);
}

static const void *pg_col_blob(struct store_stmt *st, int c)
{
	struct pg_stmt *s = PS(st);
	if (pg_col_null(st, c))
		return NULL;
	return PQftype(s->res, c) == OID_BYTEA ? (const void *)decoded(s, c)
					       : (const void *)PQgetvalue(s->res, s->row, c);
}

static void pg_done(struct store_stmt *st)
{
	struct pg_stmt *s = PS(st);
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	PQfreemem(s->blob);
	s->blob = NULL;
	s->blob_row = -1;
	memset(s->kind, P_NULL, sizeof s->kind);
	memset(s->values, 0, sizeof s->values);
}

static int pg_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	struct pg_store *q = PG(st);
	if (q->begin_pending && (!strcmp(sql, "COMMIT") || !strcmp(sql, "ROLLBACK"))) {
		q->begin_pending = 0; /* a transaction that ran nothing: nothing to end */
		return 0;
	}
	int rc = usable(q);
	if (rc) {
		snprintf(err, errlen, "PostgreSQL is unreachable");
		return rc;
	}
	if (q->begin_pending) {
		q->begin_pending = 0;
		PGresult *b = PQexec(q->conn, "BEGIN");
		rc = PQresultStatus(b) == PGRES_COMMAND_OK ? 0 : failure(q, b, "BEGIN");
		PQclear(b);
		if (rc) {
			snprintf(err, errlen, "BEGIN failed");
			return rc;
		}
	}
	PGresult *res = PQexec(q->conn, sql);
	ExecStatusType status = PQresultStatus(res);
	rc = 0;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		rc = failure(q, res, sql);
	} else if (!strcmp(sql, "COMMIT") && strcmp(PQcmdStatus(res), "COMMIT")) {
		/* COMMIT of a transaction the server had aborted answers ROLLBACK. */
		snprintf(err, errlen, "the transaction was rolled back");
		rc = -EIO;
	}
	PQclear(res);
	return rc;
}

/* --- migrations ---------------------------------------------------------------------- */

/* Taken by every gateway before it reads or changes the schema version. */
#define MIGRATION_LOCK "7150616" /* "linli" on a phone keypad, roughly */

static int pg_migrate_begin(struct store *st, int *version, char *err, size_t errlen)
{
	int rc = pg_exec(st, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATION_LOCK "); "
			 "CREATE TABLE IF NOT EXISTS linli_schema ("
			 "  id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
			 err, errlen);
	if (rc)
		return rc;
	PGresult *res = PQexec(PG(st)->conn, "SELECT version FROM linli_schema");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "cannot read the schema version: %s", PQresultErrorMessage(res));
		PQclear(res);
		char e[256];
		pg_exec(st, "ROLLBACK", e, sizeof e);
		return -EIO;
	}
	*version = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return 0;
}

static int pg_set_version(struct store *st, int version, char *err, size_t errlen)
{
	char sql[160];
	snprintf(sql, sizeof sql, "INSERT INTO linli_schema (id, version) VALUES (1, %d) "
		 "ON CONFLICT (id) DO UPDATE SET version = excluded.version", version);
	return pg_exec(st, sql, err, errlen);
}

/* --- search ------------------------------------------------------------------------------ */

static int pg_search_add(struct store *st, int64_t cid, int64_t tid, int64_t pid,
			 const char *text)
{
	struct buf pairs = { 0 };
	util_bigrams(text, &pairs);
	struct store_stmt *s = store_prepare(st,
		"INSERT INTO search_docs (text, community_id, thread_id, post_id, bigrams) "
		"VALUES (?1, ?2, ?3, ?4, array_remove(string_to_array(?5, ' '), ''))");
	store_bind_text(s, 1, text);
	store_bind_int(s, 2, cid);
	store_bind_int(s, 3, tid);
	store_bind_int(s, 4, pid);
	store_bind_text(s, 5, pairs.p ? pairs.p : "");
	int64_t rc = store_run(s);
	buf_free(&pairs);
	return rc < 0 ? (int)rc : 0;
}

static int pg_search_remove(struct store *st, int64_t pid)
{
	struct store_stmt *s = store_prepare(st,
		"DELETE FROM search_docs WHERE post_id = ? AND post_id != 0");
	store_bind_int(s, 1, pid);
	int64_t rc = store_run(s);
	return rc < 0 ? (int)rc : 0;
}

static const char *pg_search_sql(const char *q, size_t chars, struct buf *arg)
{
	/* Three or more characters: ILIKE '%q%', which the trigram index
	 * serves. Two: the GIN index of character pairs (the query's own,
	 * lower-cased). One: a substring scan, as SQLite does. */
	if (chars >= 3) {
		/* The query as a literal substring: LIKE's own characters escaped. */
		buf_puts(arg, "%");
		for (const char *c = q; *c; c++) {
			if (*c == '%' || *c == '_' || *c == '\\')
				buf_puts(arg, "\\");
			buf_append(arg, c, 1);
		}
		buf_puts(arg, "%");
		return "SELECT DISTINCT thread_id FROM search_docs WHERE text ILIKE ?1 "
		       "AND community_id = ?2 AND (?3 = 0 OR thread_id < ?3) ORDER BY thread_id DESC LIMIT ?4";
	}
	if (chars == 2) {
		util_bigrams(q, arg);
		return "SELECT DISTINCT thread_id FROM search_docs "
		       "WHERE bigrams @> array_remove(string_to_array(?1, ' '), '') "
		       "AND community_id = ?2 AND (?3 = 0 OR thread_id < ?3) ORDER BY thread_id DESC LIMIT ?4";
	}
	buf_puts(arg, q);
	return "SELECT DISTINCT thread_id FROM search_docs WHERE strpos(text, ?1) > 0 "
	       "AND community_id = ?2 AND (?3 = 0 OR thread_id < ?3) ORDER BY thread_id DESC LIMIT ?4";
}

/* --- ids, backup ---------------------------------------------------------------------------- */

static int pg_sync_ids(struct store *st, const char *table)
{
	for (const char *c = table; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
			return -EINVAL;
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT setval(pg_get_serial_sequence('%s', 'id'), GREATEST("
		 "(SELECT coalesce(max(id), 1) FROM %s), "
		 "(SELECT last_value FROM pg_sequences WHERE sequencename = '%s_id_seq')))",
		 table, table, table);
	char err[256];
	int rc = pg_exec(st, sql, err, sizeof err);
	if (rc)
		log_warn("store: sync ids of %s: %s", table, err);
	return rc;
}

static int pg_backup(struct store *st, const char *path, char *err, size_t errlen)
{
	(void)st;
	(void)path;
	snprintf(err, errlen, "backup copies SQLite files; for PostgreSQL use pg_dump, or "
		 "base backups with WAL archiving for point-in-time recovery (README)");
	return -ENOTSUP;
}

/* The head and the row in one statement: a round trip saved per event.
 * The head row is locked until commit all the same. */
static int pg_event_append(struct store *st, struct event *ev, int64_t community_id)
{
	struct store_stmt *s = store_prepare(st,
		"WITH h AS (INSERT INTO channels (name, head) VALUES (?1, 1) "
		"  ON CONFLICT (name) DO UPDATE SET head = channels.head + 1 RETURNING head) "
		"INSERT INTO events (channel, seq, type, data, at, community_id) "
		"SELECT ?1, head, ?2, ?3, ?4, NULLIF(?5, -1) FROM h RETURNING seq");
	store_bind_text(s, 1, ev->ch);
	store_bind_text(s, 2, ev->type);
	store_bind_textn(s, 3, ev->data, ev->data_len);
	store_bind_int(s, 4, ev->at);
	store_bind_int(s, 5, community_id >= 0 ? community_id : -1);
	int rc = store_run_int(s, &ev->seq);
	return rc == -ENOENT ? -EIO : rc;
}

static int pg_lost(const struct store *st)
{
	return ((const struct pg_store *)st)->broken;
}

static void pg_close(struct store *st)
{
	struct pg_store *q = PG(st);
	forget_prepared(q);
	const char *k;
	void *v;
	for (size_t i = 0; map_next(&q->stmts, &i, &k, &v);) {
		struct pg_stmt *s = v;
		pg_done(&s->base);
		free(s->sql);
		free(s);
	}
	map_free(&q->stmts);
	if (q->conn)
		PQfinish(q->conn);
	free(q->url);
	free(q);
}

static const struct store_driver driver = {
	.engine = STORE_POSTGRES,
	.close = pg_close,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_null = pg_col_null,
	.col_int = pg_col_int,
	.col_double = pg_col_double,
	.col_text = pg_col_text,
	.col_bytes = pg_col_bytes,
	.col_blob = pg_col_blob,
	.done = pg_done,
	.exec = pg_exec,
	.begin = pg_begin,
	.migrate_begin = pg_migrate_begin,
	.set_version = pg_set_version,
	.search_add = pg_search_add,
	.search_remove = pg_search_remove,
	.search_sql = pg_search_sql,
	.retention_mark_sql =
		"UPDATE channels SET trimmed = m.t FROM ("
		"  SELECT c.name AS n, GREATEST(c.trimmed, c.head - ?1, coalesce("
		"    (SELECT max(seq) FROM events e"
		"     WHERE e.channel = c.name AND e.seq > c.trimmed AND e.at < ?2), 0)) AS t"
		"  FROM channels c) m WHERE channels.name = m.n AND m.t > channels.trimmed",
	.sync_ids = pg_sync_ids,
	.backup = pg_backup,
	.lost = pg_lost,
	.event_append = pg_event_append,
};

int store_pg_open(const char *url, const struct store_opts *opts, struct store **out,
		  char *err, size_t errlen)
{
	struct pg_store *q = xcalloc(1, sizeof *q);
	q->base.drv = &driver;
	q->url = xstrdup(url);
	q->opts = *opts;
	map_init(&q->stmts);
	int rc = connect_now(q, err, errlen);
	if (rc) {
		pg_close(&q->base);
		return rc;
	}
	/* Chinese search needs a UTF-8 ctype: under C, pg_trgm sees no letters
	 * in Chinese and every search scans the table (PLATFORM-NOTES). */
	PGresult *res = PQexec(q->conn, "SELECT datctype FROM pg_database "
				"WHERE datname = current_database()");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		const char *ctype = PQgetvalue(res, 0, 0);
		char lower[64];
		size_t n = 0;
		for (const char *c = ctype; *c && n + 1 < sizeof lower; c++)
			if (*c != '-')
				lower[n++] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		lower[n] = '\0';
		if (!strstr(lower, "utf8"))
			log_warn("store: the database's LC_CTYPE is \"%s\": pg_trgm cannot index "
				 "Chinese, so every search scans; create it with a UTF-8 ctype "
				 "(e.g. --locale=C.UTF-8)", ctype);
	}
	PQclear(res);
	*out = &q->base;
	return 0;
}
