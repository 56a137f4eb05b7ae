/* linli-gateway: serve, or run an operator command against the database. */
#include "bus.h"
#include "config.h"
#include "dbpool.h"
#include "hub.h"
#include "password.h"
#include "../handlers/routes.h"
#include "../handlers/users.h"
#include "door.h"
#include "server.h"
#include "sendbatch.h"
#include "peers.h"
#include "proxies.h"
#include "accesslog.h"
#include "push.h"
#include "region.h"
#include "sms.h"
#include "httpc.h"
#include "store.h"
#include "token.h"
#include "util.h"
#include "ws.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: linli-gateway [--config FILE] [--port N] [--db PATH] [--redis redis://HOST:PORT]\n"
		"       linli-gateway [--config FILE] [--db PATH] mint-token --user UID [--count N] [--admin] [--ttl SECONDS]\n"
		"       linli-gateway [--config FILE] [--db PATH] create-admin --phone PHONE  (password on stdin)\n"
		"       linli-gateway [--config FILE] [--db PATH] backup --to FILE\n"
		"       linli-gateway [--config FILE] [--db PATH] export-log --since ISO8601 --until ISO8601 [--user UID]\n"
		"\n"
		"Serves the Linli HTTP + WebSocket API. Flags override the config file;\n"
		"config/linli.conf documents every setting and its default.\n");
}

/* mkdir -p of the directory part of path. */
static void make_parent_dirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0750);
		*s = '/';
	}
	free(p);
}

/* migrate: 1 for every command that uses the schema; 0 to leave it alone
 * (backup copies whatever is there). */
static int open_store(const struct config *cfg, struct store **st, int migrate)
{
	char err[512];
	if (!store_url_is_postgres(cfg->db))
		make_parent_dirs(cfg->db);
	struct store_opts o = dbpool_store_opts(cfg, migrate);
	if (store_open(cfg->db, &o, st, err, sizeof err)) {
		fprintf(stderr, "linli-gateway: database: %s\n", err);
		return -1;
	}
	return 0;
}

static int cmd_mint_token(struct config *cfg, int argc, char **argv)
{
	int64_t uid = 0, ttl = cfg->token_ttl_s, count = 1;
	int admin = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			/* Tokens for UID .. UID+N-1, one per line (load tests). */
			if (util_parse_i64(argv[++i], &count) || count <= 0 || count > 1000000) {
				fprintf(stderr, "mint-token: --count: expected 1 to 1000000\n");
				return 2;
			}
			continue;
		}
		if (!strcmp(argv[i], "--user") && i + 1 < argc) {
			if (util_parse_i64(argv[++i], &uid) || uid <= 0) {
				fprintf(stderr, "mint-token: --user: expected a positive user id\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--ttl") && i + 1 < argc) {
			if (util_parse_i64(argv[++i], &ttl) || ttl <= 0) {
				fprintf(stderr, "mint-token: --ttl: expected a positive number of seconds\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--admin")) {
			admin = 1;
		} else {
			fprintf(stderr, "mint-token: unknown argument \"%s\"\n", argv[i]);
			return 2;
		}
	}
	if (!uid) {
		fprintf(stderr, "mint-token: --user UID is required\n");
		return 2;
	}
	struct store *st;
	if (open_store(cfg, &st, 1))
		return 1;
	unsigned char secret[32];
	int rc = store_secret(st, secret);
	if (!rc && store_begin(st) == 0) {
		/* The user exists from now on; --admin makes them an admin. */
		for (int64_t u = uid; u < uid + count && !rc; u++) {
			struct store_stmt *s = store_prepare(st,
				"INSERT INTO users (id, display_name, created_at) VALUES (?1, 'user ' || ?1, ?2) "
				"ON CONFLICT (id) DO NOTHING");
			store_bind_int(s, 1, u);
			store_bind_int(s, 2, util_now_ms());
			rc = store_run(s) < 0 ? -EIO : 0;
			if (!rc && admin) {
				s = store_prepare(st, "UPDATE users SET is_admin = 1 WHERE id = ?");
				store_bind_int(s, 1, u);
				rc = store_run(s) < 0 ? -EIO : 0;
			}
		}
		if (!rc)
			rc = store_sync_ids(st, "users"); /* registrations continue above them */
		rc = rc ? (store_rollback(st), rc) : store_commit(st);
	} else {
		rc = -EIO;
	}
	if (rc) {
		fprintf(stderr, "mint-token: database error\n");
		store_close(st);
		return 1;
	}
	for (int64_t u = uid; u < uid + count; u++) {
		struct token_claims c = { .uid = u, .sid = 0, .exp = util_now_ms() / 1000 + ttl };
		char tok[TOKEN_MAX];
		token_sign(secret, &c, tok);
		printf("%s\n", tok);
	}
	store_close(st);
	return 0;
}

/* The arguments of a command taking one flag with a value: 0 (*value
 * set, or left as it was when the flag is absent), or -1 after saying
 * which argument is not understood. */
static int one_flag(const char *cmd, const char *flag, int argc, char **argv, const char **value)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], flag) && i + 1 < argc) {
			*value = argv[++i];
		} else {
			fprintf(stderr, "%s: unknown argument \"%s\"\n", cmd, argv[i]);
			return -1;
		}
	}
	return 0;
}

/* create-admin --phone PHONE: the first admin, password from stdin. */
static int cmd_create_admin(struct config *cfg, int argc, char **argv)
{
	const char *phone_in = NULL;
	if (one_flag("create-admin", "--phone", argc, argv, &phone_in))
		return 2;
	char phone[PHONE_LEN + 1];
	if (!phone_in || users_phone_normalise(phone_in, phone)) {
		fprintf(stderr, "create-admin: --phone must be a mainland mobile number\n");
		return 2;
	}
	char pw[256];
	if (!fgets(pw, sizeof pw, stdin)) {
		fprintf(stderr, "create-admin: give the password on standard input\n");
		return 2;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	if (strlen(pw) < 8 || strlen(pw) > 128) {
		fprintf(stderr, "create-admin: the password must be 8 to 128 bytes\n");
		return 2;
	}
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(pw, (int)cfg->scrypt_log2_n, (int)cfg->scrypt_r,
			  (int)cfg->scrypt_p, hash)) {
		fprintf(stderr, "create-admin: hashing failed\n");
		return 1;
	}
	memset(pw, 0, sizeof pw);
	struct store *st;
	if (open_store(cfg, &st, 1))
		return 1;
	int64_t uid = 0;
	int rc = store_begin(st);
	if (!rc) {
		/* An existing account with this phone becomes an admin and gets
		 * the new password; otherwise a new account. */
		struct store_stmt *s = store_prepare(st,
			"INSERT INTO users (display_name, phone, pw_hash, is_admin, created_at) "
			"VALUES ('管理员', ?1, ?2, 1, ?3) ON CONFLICT (phone) WHERE phone IS NOT NULL "
			"DO UPDATE SET is_admin = 1, pw_hash = ?2 RETURNING id");
		store_bind_text(s, 1, phone);
		store_bind_text(s, 2, hash);
		store_bind_int(s, 3, util_now_ms());
		rc = store_run_int(s, &uid) ? -EIO : 0;
		rc = rc ? (store_rollback(st), rc) : store_commit(st);
	}
	store_close(st);
	if (rc) {
		fprintf(stderr, "create-admin: database error\n");
		return 1;
	}
	printf("%" PRId64 "\n", uid);
	return 0;
}

/* export-log --since T --until T [--user UID]: the retained access log
 * between the two times as JSON lines on stdout, oldest first (for a
 * lawful request). */
static int cmd_export_log(struct config *cfg, int argc, char **argv)
{
	int64_t since = -1, until = -1, uid = 0;
	for (int i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t *t = !strcmp(argv[i], "--since") ? &since : !strcmp(argv[i], "--until") ? &until : NULL;
		if (t) {
			if (!v || util_parse_iso8601(v, t)) {
				fprintf(stderr, "export-log: %s: expected a time such as 2026-06-01 or "
					"2026-06-01T08:00:00+08:00\n", argv[i]);
				return 2;
			}
			i++;
		} else if (!strcmp(argv[i], "--user")) {
			if (!v || util_parse_i64(v, &uid) || uid <= 0) {
				fprintf(stderr, "export-log: --user: expected a positive user id\n");
				return 2;
			}
			i++;
		} else {
			fprintf(stderr, "export-log: unknown argument \"%s\"\n", argv[i]);
			return 2;
		}
	}
	if (since < 0 || until < 0) {
		fprintf(stderr, "export-log: --since and --until are required\n");
		return 2;
	}
	if (until <= since) {
		fprintf(stderr, "export-log: --until must be later than --since\n");
		return 2;
	}
	struct store *st;
	if (open_store(cfg, &st, 0))
		return 1;
	int64_t n = accesslog_export(st, since, until, uid, stdout);
	store_close(st);
	if (n < 0 || fflush(stdout)) {
		fprintf(stderr, "export-log: could not read or write the log\n");
		return 1;
	}
	fprintf(stderr, "export-log: %" PRId64 " entries\n", n);
	return 0;
}

/* backup --to FILE: a consistent copy of the SQLite database while gateways
 * go on serving it (restoring is copying it back, gateways stopped). */
static int cmd_backup(struct config *cfg, int argc, char **argv)
{
	const char *to = NULL;
	if (one_flag("backup", "--to", argc, argv, &to))
		return 2;
	if (!to || !*to) {
		fprintf(stderr, "backup: --to FILE is required\n");
		return 2;
	}
	if (!strcmp(to, cfg->db)) {
		fprintf(stderr, "backup: --to must not be the database itself\n");
		return 2;
	}
	struct store *st;
	if (open_store(cfg, &st, 0))
		return 1;
	char err[512];
	int64_t start = util_mono_us();
	int rc = store_backup(st, to, err, sizeof err);
	store_close(st);
	if (rc) {
		fprintf(stderr, "backup: %s\n", err);
		return rc == -ENOTSUP ? 2 : 1;
	}
	fprintf(stderr, "backup: %s written in %.1f s\n", to, (util_mono_us() - start) / 1e6);
	return 0;
}

static int serve(struct config *cfg)
{
	struct gw gw;
	memset(&gw, 0, sizeof gw);
	gw.cfg = cfg;
	gw.domain = &handlers_domain;
	char err[512];
	/* Migrates, and reads (or makes) the token secret every gateway on
	 * this database shares. */
	struct store *st;
	if (open_store(cfg, &st, 1))
		return 1;
	int rc = store_secret(st, gw.secret);
	store_close(st);
	if (rc) {
		fprintf(stderr, "linli-gateway: cannot read or create the token secret\n");
		return 1;
	}
	if (region_open(cfg->ip_region_db, err, sizeof err)) {
		fprintf(stderr, "linli-gateway: %s\n", err);
		return 1;
	}
	if (cfg->ip_region_db[0])
		log_info("ip_region_db: %s", cfg->ip_region_db);
	uv_loop_t loop;
	uv_loop_init(&loop);
	uv_loop_configure(&loop, UV_METRICS_IDLE_TIME); /* linli_loop_busy_seconds */
	gw.loop = &loop;
	gw.pool = dbpool_start(&loop, cfg, err, sizeof err);
	if (!gw.pool) {
		fprintf(stderr, "linli-gateway: %s\n", err);
		return 1;
	}
	struct hub_log log = server_hub_log;
	log.ctx = &gw;
	gw.hub = hub_new(cfg, &log, &ws_hub_sink);
	if (cfg->redis_url[0]) {
		if (bus_redis_new(&loop, gw.hub, cfg, &gw.bus, err, sizeof err)) {
			fprintf(stderr, "linli-gateway: %s\n", err);
			return 1;
		}
	} else {
		gw.bus = bus_local_new(gw.hub);
	}
	signal(SIGPIPE, SIG_IGN);
	if (server_start(&gw, err, sizeof err)) {
		fprintf(stderr, "linli-gateway: %s\n", err);
		return 1;
	}
	gw.push = push_start(&loop, gw.pool, cfg, gw.bus);
	gw.sms = sms_start(&loop, cfg);
	gw.httpc = httpc_new(&loop);
	if (cfg->content_check_url[0])
		log_info("content check: %s (time-out %lld ms, then %s)", cfg->content_check_url,
			 (long long)cfg->content_check_timeout_ms, cfg->content_check_fail);
	if (cfg->web_root[0] && access(cfg->web_root, R_OK | X_OK))
		log_warn("web_root \"%s\" is not a readable folder (run from the repository, "
			 "or set an absolute path): the web app is not served", cfg->web_root);
	char db[256];
	store_url_display(cfg->db, db, sizeof db);
	log_info("linli-gateway listening on %s:%lld (db %s, %lld database workers, bus %s)",
		 cfg->listen[0] ? cfg->listen : "*", (long long)cfg->port, db,
		 (long long)cfg->db_workers, cfg->redis_url[0] ? cfg->redis_url : "in-process");
	uv_run(&loop, UV_RUN_DEFAULT);
	bus_free(gw.bus);
	push_free(gw.push);
	sms_free(gw.sms);
	httpc_free(gw.httpc);
	region_close();
	dbpool_free(gw.pool);
	ratelimit_free(&gw.limits);
	proxies_free(gw.proxies);
	peers_free(gw.peers);
	peers_free(gw.ws_users);
	gw.domain->shutdown();
	hub_free(gw.hub);
	door_free(gw.door);
	sendbatch_free(gw.batch);
	rc = uv_loop_close(&loop);
	if (rc)
		log_warn("loop closed with handles open: %s", uv_strerror(rc));
	log_info("linli-gateway stopped");
	return 0;
}

int main(int argc, char **argv)
{
	store_global_init();
	json_object_seed(0); /* before any thread makes a JSON object */
	struct config cfg;
	config_defaults(&cfg);
	char err[512];
	int i = 1, rc = 0;
	/* --config first, so that the other flags override the file. */
	for (int j = 1; j + 1 < argc; j++)
		if (!strcmp(argv[j], "--config") &&
		    config_load_file(&cfg, argv[j + 1], err, sizeof err)) {
			fprintf(stderr, "linli-gateway: config: %s\n", err);
			rc = 2;
			goto out;
		}
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *flag = argv[i], *key = NULL;
		if (!strcmp(flag, "--help") || !strcmp(flag, "-h")) {
			usage(stdout);
			goto out;
		}
		if (!strcmp(flag, "--config")) {
			i++;
			continue;
		}
		if (!strcmp(flag, "--port"))
			key = "port";
		else if (!strcmp(flag, "--db"))
			key = "db";
		else if (!strcmp(flag, "--redis"))
			key = "redis_url";
		if (!key || i + 1 >= argc) {
			fprintf(stderr, "linli-gateway: %s: %s\n", flag,
				key ? "missing value" : "unknown flag");
			usage(stderr);
			rc = 2;
			goto out;
		}
		if (config_set(&cfg, key, argv[++i], err, sizeof err)) {
			fprintf(stderr, "linli-gateway: %s: %s\n", flag, err);
			rc = 2;
			goto out;
		}
	}
	if (config_validate(&cfg, err, sizeof err)) {
		fprintf(stderr, "linli-gateway: config: %s\n", err);
		rc = 2;
		goto out;
	}
	log_level_parse(cfg.log_level, &log_min_level);
	if (i < argc && !strcmp(argv[i], "mint-token")) {
		rc = cmd_mint_token(&cfg, argc - i - 1, argv + i + 1);
	} else if (i < argc && !strcmp(argv[i], "create-admin")) {
		rc = cmd_create_admin(&cfg, argc - i - 1, argv + i + 1);
	} else if (i < argc && !strcmp(argv[i], "backup")) {
		rc = cmd_backup(&cfg, argc - i - 1, argv + i + 1);
	} else if (i < argc && !strcmp(argv[i], "export-log")) {
		rc = cmd_export_log(&cfg, argc - i - 1, argv + i + 1);
	} else if (i < argc) {
		fprintf(stderr, "linli-gateway: unknown command \"%s\"\n", argv[i]);
		usage(stderr);
		rc = 2;
	} else {
		rc = serve(&cfg);
	}
out:
	config_free(&cfg);
	return rc;
}
