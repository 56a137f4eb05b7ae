/* uploads: photos (PROTOCOL "Photos"). POST /v1/uploads takes the image
 * as the body or as the `file` part of multipart/form-data; it is decoded,
 * turned upright, stripped of every metadata block and re-encoded with a
 * thumbnail on the thread pool (images.c), never on the loop; the queue is
 * bounded (503 with Retry-After). The bytes are kept atomically before the
 * 201: on SQLite as two files in upload_dir (temporary name, fsync, rename,
 * fsync of the folder), on PostgreSQL in upload_blobs inside the same
 * transaction as the row (every gateway host sees them). An upload is its
 * uploader's alone until attached; never attached, a tick deletes it after
 * a day. Reads carry an ETag and Cache-Control: private. */
#include "routes.h"
#include "access.h"
#include "forums.h"
#include "images.h"
#include "../gateway/multipart.h"
#include "../gateway/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define THUMB_SIDE 360           /* the contract's thumbnail bound */
#define ORPHAN_MS (24 * 3600000LL)
#define KEY_HEX 32
#define KEPT_MAX (64 * 1024 * 1024) /* a kept photo's file, at most (they are far smaller) */

/* The folder SQLite keeps photos in: upload_dir, or "<database>.uploads". */
static void upload_folder(const struct config *cfg, char *out, size_t cap)
{
	if (cfg->upload_dir && cfg->upload_dir[0])
		snprintf(out, cap, "%s", cfg->upload_dir);
	else
		snprintf(out, cap, "%s.uploads", cfg->db);
}

static int on_files(const struct req *req)
{
	return store_engine(req->st) == STORE_SQLITE;
}

/* "<folder>/<key>.jpg" or "<folder>/<key>.thumb.jpg": 0, or -ENAMETOOLONG
 * when it does not fit (a path cut short would name another file). */
static int file_path(const char *folder, const char *key, int thumb, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s%s.jpg", folder, key, thumb ? ".thumb" : "");
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* bytes to path, atomically and durably: 0 or -errno. */
static int write_durably(const char *folder, const char *path, const void *bytes, size_t n)
{
	char tmp[PATH_MAX + 64];
	int tl = snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (tl < 0 || (size_t)tl >= sizeof tmp)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	const char *p = bytes;
	size_t left = n;
	int rc = 0;
	while (left && !rc) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno != EINTR)
			rc = -errno;
		else if (w > 0) {
			p += w;
			left -= (size_t)w;
		}
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	/* The rename itself survives a crash once the folder is synced. */
	int dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd))
			rc = -errno;
		close(dfd);
	}
	return rc;
}

static void etag_of(const void *bytes, size_t n, char out[48])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_Digest(bytes, n, md, &len, EVP_sha256(), NULL);
	char hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, 48, "\"%s\"", hex);
}

struct upload_job {
	/* in */
	void *body;
	size_t len;
	struct image_limits lim;
	int files;               /* keep them as files (SQLite) */
	char folder[PATH_MAX];
	char key[KEY_HEX + 1];
	/* out */
	int rc;                  /* images_process's, or -EIO writing */
	const char *why;
	struct image_out img;
	char etag[48], thumb_etag[48];
};

static void job_free(struct upload_job *j)
{
	free(j->body);
	images_out_free(&j->img);
	free(j);
}

/* On the thread pool: decode, re-encode, and (SQLite) write the files. */
static void upload_work(void *data)
{
	struct upload_job *j = data;
	j->rc = images_process(j->body, j->len, &j->lim, &j->img, &j->why); /* frees the body */
	j->body = NULL;
	if (j->rc)
		return;
	etag_of(j->img.full, j->img.full_len, j->etag);
	etag_of(j->img.thumb, j->img.thumb_len, j->thumb_etag);
	if (!j->files)
		return;
	char full[PATH_MAX], thumb[PATH_MAX];
	if (file_path(j->folder, j->key, 0, full, sizeof full) ||
	    file_path(j->folder, j->key, 1, thumb, sizeof thumb)) {
		errno = ENAMETOOLONG;
		j->rc = -EIO;
	} else if (mkdir(j->folder, 0750) && errno != EEXIST) {
		j->rc = -EIO;
	} else if (write_durably(j->folder, full, j->img.full, j->img.full_len) ||
		   write_durably(j->folder, thumb, j->img.thumb, j->img.thumb_len)) {
		unlink(full);
		j->rc = -EIO;
	}
	if (j->rc) {
		log_error("uploads: cannot write %s: %s", full, strerror(errno));
		j->why = "the photo could not be stored";
	}
}

static void remove_files(const char *folder, const char *key)
{
	char path[PATH_MAX];
	if (!file_path(folder, key, 0, path, sizeof path))
		unlink(path);
	if (!file_path(folder, key, 1, path, sizeof path))
		unlink(path);
}

json_t *uploads_json(struct store *st, int64_t id)
{
	struct store_stmt *s = store_prepare(st,
		"SELECT width, height, thumb_width, thumb_height, bytes, created_at, attached_kind IS NOT NULL, "
		"src_type, check_status <> 'passed' FROM uploads WHERE id = ?");
	store_bind_int(s, 1, id);
	json_t *j = NULL;
	if (store_step(s) == STORE_ROW) {
		char url[48], thumb[56];
		snprintf(url, sizeof url, "/v1/uploads/%" PRId64, id);
		snprintf(thumb, sizeof thumb, "/v1/uploads/%" PRId64 "/thumb", id);
		j = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s}",
			"id", (json_int_t)id, "url", url, "thumb_url", thumb, "type", "image/jpeg",
			"width", (json_int_t)store_col_int(s, 0), "height", (json_int_t)store_col_int(s, 1),
			"thumb_width", (json_int_t)store_col_int(s, 2), "thumb_height", (json_int_t)store_col_int(s, 3),
			"bytes", (json_int_t)store_col_int(s, 4), "created_at", (json_int_t)store_col_int(s, 5),
			"attached", (int)store_col_int(s, 6), "original_type", store_col_text(s, 7));
		/* Held by the content check: shown to its uploader and staff only
		 * (members' pages say it waits for review). */
		if (store_col_int(s, 8))
			json_object_set_new(j, "held", json_true());
	}
	store_done(s);
	return j;
}

static int64_t blob_insert(struct req *req, const char *key, const char *variant, const void *b, size_t n)
{
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO upload_blobs (file_key, variant, data) VALUES (?, ?, ?)");
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, variant);
	store_bind_blob(s, 3, b, n);
	return store_run(s);
}

/* On a database worker: the row (and on PostgreSQL the bytes), then 201. */
static void upload_done(struct req *req, struct resp *resp, void *data)
{
	struct upload_job *j = data;
	if (j->rc) {
		if (j->rc == -EIO)
			api_error(resp, 500, "internal", j->why, NULL);
		else
			api_error_reason(resp, 400, "bad_request", j->why,
					 j->rc == -E2BIG ? "too_many_pixels" : "not_an_image");
		job_free(j);
		return;
	}
	int64_t id = 0;
	if (api_begin(req, resp)) {
		if (j->files)
			remove_files(j->folder, j->key);
		job_free(j);
		return;
	}
	struct store_stmt *s = store_prepare(req->st,
		"INSERT INTO uploads (user_id, file_key, src_type, bytes, width, height, thumb_width, thumb_height, "
		"etag, thumb_etag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	store_bind_int(s, 1, req->who.uid);
	store_bind_text(s, 2, j->key);
	store_bind_text(s, 3, j->img.src_type);
	store_bind_int(s, 4, (int64_t)(j->img.full_len + j->img.thumb_len));
	store_bind_int(s, 5, j->img.width);
	store_bind_int(s, 6, j->img.height);
	store_bind_int(s, 7, j->img.thumb_width);
	store_bind_int(s, 8, j->img.thumb_height);
	store_bind_text(s, 9, j->etag);
	store_bind_text(s, 10, j->thumb_etag);
	store_bind_int(s, 11, util_now_ms());
	int ok = store_run_int(s, &id) == 0;
	if (ok && !j->files)
		ok = blob_insert(req, j->key, "full", j->img.full, j->img.full_len) == 1 &&
		     blob_insert(req, j->key, "thumb", j->img.thumb, j->img.thumb_len) == 1;
	if (api_commit_or_fail(req, resp, ok, "could not keep the photo")) {
		if (j->files)
			remove_files(j->folder, j->key);
	} else {
		api_json(resp, 201, json_pack("{s:o}", "upload", uploads_json(req->st, id)));
	}
	job_free(j);
}

/* What the caller's photos take now, in bytes. */
static int64_t used_bytes(struct store *st, int64_t uid)
{
	struct store_stmt *s = store_prepare(st, "SELECT coalesce(sum(bytes), 0) FROM uploads WHERE user_id = ?");
	store_bind_int(s, 1, uid);
	int64_t n = store_step(s) == STORE_ROW ? store_col_int(s, 0) : 0;
	store_done(s);
	return n;
}

static const char *const image_types[] = { "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif" };

/* POST /v1/uploads: the image as the body, or multipart/form-data with a
 * `file` part. */
void uploads_create(struct req *req, struct resp *resp)
{
	if (api_require_user(req, resp))
		return;
	const char *ct = req->content_type ? req->content_type : "";
	const void *file = req->body;
	size_t len = req->body_len;
	if (!strncasecmp(ct, "multipart/form-data", 19)) {
		const char *why = NULL;
		if (multipart_file(ct, req->body, req->body_len, "file", &file, &len, &why)) {
			api_error(resp, 400, "bad_request", why, "file");
			return;
		}
	} else {
		int known = 0;
		for (size_t i = 0; i < sizeof image_types / sizeof image_types[0]; i++)
			known |= !strncasecmp(ct, image_types[i], strlen(image_types[i]));
		if (!known) {
			api_error(resp, 415, "unsupported_media_type",
				  "send the photo as image/jpeg, image/png, image/webp or image/heic, "
				  "or as the file part of multipart/form-data", NULL);
			return;
		}
	}
	if (!len) {
		api_error(resp, 400, "bad_request", "the photo is empty", "file");
		return;
	}
	if (used_bytes(req->st, req->who.uid) + (int64_t)len > req->cfg->upload_quota_bytes) {
		api_error_reason(resp, 413, "payload_too_large",
				 "your photos would pass upload_quota_bytes; delete some first", "quota_exceeded");
		return;
	}
	char key[24];
	snprintf(key, sizeof key, "%" PRId64, req->who.uid);
	if (api_rate_limit(req, resp, "upload", key, req->cfg->rate_uploads_per_hour, 3600))
		return;
	struct upload_job *j = xcalloc(1, sizeof *j);
	unsigned char raw[KEY_HEX / 2];
	if (RAND_bytes(raw, sizeof raw) != 1) {
		job_free(j);
		api_error(resp, 500, "internal", "no randomness", NULL);
		return;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(j->key + 2 * i, 3, "%02x", raw[i]);
	j->body = xmalloc(len);
	memcpy(j->body, file, len);
	j->len = len;
	j->lim = (struct image_limits){ .max_pixels = req->cfg->upload_max_pixels,
		.max_side = (int)req->cfg->upload_max_side, .thumb_side = THUMB_SIDE,
		.quality = (int)req->cfg->upload_quality };
	j->files = on_files(req);
	upload_folder(req->cfg, j->folder, sizeof j->folder);
	if (api_defer(req, upload_work, upload_done, j)) {
		job_free(j);
		api_error(resp, 503, "unavailable", "too many photos being processed; retry shortly", NULL);
		resp->retry_after = 2;
	}
}

/* The bytes of an upload's image or thumbnail (malloc'd), or NULL. */
static void *read_bytes(struct req *req, const char *key, int thumb, size_t *n)
{
	void *bytes = NULL;
	*n = 0;
	if (on_files(req)) {
		char folder[PATH_MAX], path[PATH_MAX];
		upload_folder(req->cfg, folder, sizeof folder);
		char *b;
		return file_path(folder, key, thumb, path, sizeof path) ||
		       util_read_file(path, KEPT_MAX, &b, n) ? NULL : b;
	}
	struct store_stmt *s = store_prepare(req->st,
		"SELECT data FROM upload_blobs WHERE file_key = ? AND variant = ?");
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, thumb ? "thumb" : "full");
	if (store_step(s) == STORE_ROW) {
		*n = store_col_bytes(s, 0);
		bytes = xmalloc(*n ? *n : 1);
		memcpy(bytes, store_col_blob(s, 0), *n);
	}
	store_done(s);
	return bytes;
}

/* --- attachments --------------------------------------------------------------- */

int uploads_parse(struct req *req, json_t *body, int64_t cid, struct uploads_pick *pick,
		  struct resp *resp)
{
	pick->n = 0;
	json_t *a = json_object_get(body, "attachments"), *v;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > UPLOADS_PER_ITEM) {
		api_error(resp, 400, "bad_request", "attachments must be a list of at most 9 upload ids",
			  "attachments");
		return -EINVAL;
	}
	size_t i;
	int waiting = 0;
	json_array_foreach(a, i, v) {
		int64_t id = json_is_integer(v) ? json_integer_value(v) : 0;
		for (size_t k = 0; id > 0 && k < pick->n; k++)
			if (pick->ids[k] == id)
				id = 0; /* twice */
		struct store_stmt *s = store_prepare(req->st,
			"SELECT file_key FROM uploads WHERE id = ? AND user_id = ? AND attached_kind IS NULL");
		store_bind_int(s, 1, id);
		store_bind_int(s, 2, req->who.uid);
		char key[KEY_HEX + 1] = "";
		if (id > 0 && store_step(s) == STORE_ROW)
			snprintf(key, sizeof key, "%s", store_col_text(s, 0));
		store_done(s);
		if (!key[0]) {
			/* Someone else's, attached already, unknown, or twice: one answer. */
			api_error(resp, 400, "bad_request", "each attachment must be one of your own uploads, "
				  "not yet attached (and named once)", "attachments");
			return -EINVAL;
		}
		/* 内容安全: the thumbnail, as kind "image". */
		size_t n;
		void *thumb = read_bytes(req, key, 1, &n);
		if (!thumb) {
			api_error(resp, 500, "internal", "a photo's bytes are missing", "attachments");
			return -EIO;
		}
		char check_key[40];
		snprintf(check_key, sizeof check_key, "attachments.%zu", i);
		enum api_verdict verdict = api_content_image(req, resp, check_key, thumb, n, cid, NULL);
		free(thumb);
		if (verdict == API_REJECT)
			return -EINVAL;
		waiting |= verdict == API_WAIT;
		pick->held[pick->n] = verdict == API_REVIEW;
		pick->ids[pick->n++] = id;
	}
	return waiting;
}

int uploads_attach(struct req *req, const struct uploads_pick *pick, const char *kind, int64_t item)
{
	for (size_t i = 0; i < pick->n; i++) {
		struct store_stmt *s = store_prepare(req->st,
			"UPDATE uploads SET attached_kind = ?, attached_id = ?, position = ?, check_status = ? "
			"WHERE id = ? AND user_id = ? AND attached_kind IS NULL");
		store_bind_text(s, 1, kind);
		store_bind_int(s, 2, item);
		store_bind_int(s, 3, (int64_t)i);
		store_bind_text(s, 4, pick->held[i] ? "review" : "passed");
		store_bind_int(s, 5, pick->ids[i]);
		store_bind_int(s, 6, req->who.uid);
		int64_t won = store_run(s);
		if (won != 1)
			return won < 0 ? (int)won : -EALREADY; /* attached meanwhile: the item fails */
	}
	return 0;
}

json_t *uploads_of(struct store *st, const char *kind, int64_t item)
{
	int64_t *ids = NULL;
	size_t n = 0;
	struct store_stmt *s = store_prepare(st,
		"SELECT id FROM uploads WHERE attached_kind = ? AND attached_id = ? ORDER BY position");
	store_bind_text(s, 1, kind);
	store_bind_int(s, 2, item);
	json_t *a = json_array();
	if (store_run_ids(s, &ids, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			json_t *u = uploads_json(st, ids[i]);
			if (u)
				json_array_append_new(a, u);
		}
	free(ids);
	return a;
}

/* The community of the item an upload is attached to (0: none). */
static int64_t item_community(struct store *st, const char *kind, int64_t item)
{
	const char *sql = !strcmp(kind, "post") ? "SELECT community_id FROM posts WHERE id = ?" :
			  !strcmp(kind, "thread") ? "SELECT community_id FROM threads WHERE id = ?" :
			  !strcmp(kind, "ticket") ? "SELECT community_id FROM tickets WHERE id = ?" :
			  "SELECT community_id FROM help_requests WHERE id = ?";
	struct store_stmt *s = store_prepare(st, sql);
	store_bind_int(s, 1, item);
	int64_t cid = store_step(s) == STORE_ROW ? store_col_int(s, 0) : 0;
	store_done(s);
	return cid;
}

/* May the caller read the item an upload is attached to? Exactly as the
 * item's own reads decide: a member of its community, and for what is
 * held or hidden its author and staff. */
static int may_read_item(struct req *req, const char *kind, int64_t item)
{
	const struct principal *who = &req->who;
	if (!strcmp(kind, "post")) {
		struct store_stmt *s = store_prepare(req->st, "SELECT thread_id, status, author_id FROM posts WHERE id = ?");
		store_bind_int(s, 1, item);
		int found = store_step(s) == STORE_ROW;
		int64_t tid = found ? store_col_int(s, 0) : 0, author = found ? store_col_int(s, 2) : 0;
		int visible = found && !strcmp(store_col_text(s, 1), "visible");
		store_done(s);
		struct thread_row t;
		if (!found || forums_thread_load(req->st, tid, who->uid, &t))
			return 0;
		int staff = who->is_admin || t.role == ROLE_STAFF;
		return (staff || t.role != ROLE_NONE) && (visible || staff || author == who->uid) &&
		       (!t.held || staff || t.author_id == who->uid);
	}
	if (!strcmp(kind, "thread")) {
		struct thread_row t;
		if (forums_thread_load(req->st, item, who->uid, &t))
			return 0;
		int staff = who->is_admin || t.role == ROLE_STAFF;
		return (staff || t.role != ROLE_NONE) && (!t.held || staff || t.author_id == who->uid);
	}
	int64_t cid = item_community(req->st, kind, item);
	if (!cid)
		return 0;
	int open = 1; /* a help request: every member */
	if (!strcmp(kind, "ticket")) {
		/* its resident and staff; a member once it has a public reply */
		struct store_stmt *s = store_prepare(req->st,
			"SELECT author_id = ?2 OR EXISTS (SELECT 1 FROM ticket_replies r "
			"WHERE r.ticket_id = t.id AND r.is_public = 1) FROM tickets t WHERE id = ?1");
		store_bind_int(s, 1, item);
		store_bind_int(s, 2, who->uid);
		open = store_step(s) == STORE_ROW && store_col_int(s, 0);
		store_done(s);
	}
	enum role role = access_role(req->st, who->uid, cid);
	return who->is_admin || role == ROLE_STAFF || (role != ROLE_NONE && open);
}

/* Is the caller staff of the community of an item's upload? *cid (may be
 * NULL) gets the community. */
static int staff_of_item(struct req *req, const char *kind, int64_t item, int64_t *cid_out)
{
	int64_t cid = item_community(req->st, kind, item);
	if (cid_out)
		*cid_out = cid;
	return req->who.is_admin || (cid && access_role(req->st, req->who.uid, cid) == ROLE_STAFF);
}

/* May the caller see an upload? Its uploader, and once it is attached
 * whoever may read its item; a photo the content check holds (passed 0)
 * only its uploader and staff. */
static int may_read(struct req *req, int64_t owner, const char *kind, int64_t item, int passed)
{
	if (owner == req->who.uid)
		return 1;
	if (!kind || !may_read_item(req, kind, item))
		return 0;
	return passed || staff_of_item(req, kind, item, NULL);
}


/* GET /v1/uploads/{id} and /v1/uploads/{id}/thumb */
static void serve(struct req *req, struct resp *resp, int thumb)
{
	int64_t id;
	if (api_id_param(req, "id", &id, resp) || api_require_user(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT user_id, file_key, etag, thumb_etag, attached_kind, coalesce(attached_id, 0), "
		"check_status = 'passed' FROM uploads WHERE id = ?");
	store_bind_int(s, 1, id);
	char key[KEY_HEX + 1] = "", etag[48] = "", kind[16] = "";
	int64_t owner = 0, item = 0;
	int passed = 0;
	if (store_step(s) == STORE_ROW) {
		owner = store_col_int(s, 0);
		snprintf(key, sizeof key, "%s", store_col_text(s, 1));
		snprintf(etag, sizeof etag, "%s", store_col_text(s, thumb ? 3 : 2));
		if (!store_col_null(s, 4))
			snprintf(kind, sizeof kind, "%s", store_col_text(s, 4));
		item = store_col_int(s, 5);
		passed = (int)store_col_int(s, 6);
	}
	store_done(s);
	if (!key[0] || !may_read(req, owner, kind[0] ? kind : NULL, item, passed)) {
		api_error(resp, 404, "not_found", "no such photo", NULL);
		return;
	}
	snprintf(resp->etag, sizeof resp->etag, "%s", etag);
	resp->cache_private = 1;
	if (req->if_none_match && strstr(req->if_none_match, etag)) {
		resp->status = 304;
		return;
	}
	size_t n = 0;
	void *bytes = read_bytes(req, key, thumb, &n);
	if (!bytes) {
		log_error("uploads: the bytes of upload %" PRId64 " are missing", id);
		resp->etag[0] = '\0';
		resp->cache_private = 0;
		api_error(resp, 500, "internal", "the photo's bytes are missing", NULL);
		return;
	}
	resp->status = 200;
	resp->body = bytes;
	resp->len = n;
	resp->content_type = "image/jpeg";
}

/* POST /v1/uploads/{id}/release (staff of the item's community): a photo
 * the content check held is shown; logged (photo.release, the item). */
void uploads_release(struct req *req, struct resp *resp)
{
	int64_t id;
	if (api_id_param(req, "id", &id, resp) || api_require_user(req, resp))
		return;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT attached_kind, coalesce(attached_id, 0), check_status FROM uploads WHERE id = ?");
	store_bind_int(s, 1, id);
	char kind[16] = "", status[16] = "";
	int64_t item = 0;
	if (store_step(s) == STORE_ROW && !store_col_null(s, 0)) {
		snprintf(kind, sizeof kind, "%s", store_col_text(s, 0));
		item = store_col_int(s, 1);
		snprintf(status, sizeof status, "%s", store_col_text(s, 2));
	}
	store_done(s);
	if (!kind[0] || !may_read_item(req, kind, item)) {
		api_error(resp, 404, "not_found", "no such photo", NULL);
		return;
	}
	int64_t cid = 0;
	if (!staff_of_item(req, kind, item, &cid)) {
		api_error(resp, 403, "forbidden", "staff of this community release photos", NULL);
		return;
	}
	if (strcmp(status, "review")) {
		api_error(resp, 409, "conflict", "this photo is not held", NULL);
		return;
	}
	if (api_begin(req, resp))
		return;
	s = store_prepare(req->st, "UPDATE uploads SET check_status = 'passed' WHERE id = ? AND check_status = 'review'");
	store_bind_int(s, 1, id);
	int ok = store_run(s) == 1 && forums_mod_log(req, cid, "photo.release", kind, item, "") > 0;
	if (api_commit_or_fail(req, resp, ok, "could not release the photo"))
		return;
	api_json(resp, 200, json_pack("{s:o}", "upload", uploads_json(req->st, id)));
}

void uploads_get(struct req *req, struct resp *resp)
{
	serve(req, resp, 0);
}

void uploads_get_thumb(struct req *req, struct resp *resp)
{
	serve(req, resp, 1);
}

int uploads_forget_user(struct req *req, int64_t uid, char ***keys, size_t *n)
{
	*keys = NULL;
	*n = 0;
	struct store_stmt *s = store_prepare(req->st, "SELECT file_key FROM uploads WHERE user_id = ? ORDER BY id");
	store_bind_int(s, 1, uid);
	size_t cap = 0;
	while (store_step(s) == STORE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*keys = xrealloc(*keys, cap * sizeof **keys);
		}
		(*keys)[(*n)++] = xstrdup(store_col_text(s, 0));
	}
	store_done(s);
	int ok = 1;
	if (!on_files(req)) {
		s = store_prepare(req->st,
			"DELETE FROM upload_blobs WHERE file_key IN (SELECT file_key FROM uploads WHERE user_id = ?)");
		store_bind_int(s, 1, uid);
		ok = store_run(s) >= 0;
	}
	s = store_prepare(req->st, "DELETE FROM uploads WHERE user_id = ?");
	store_bind_int(s, 1, uid);
	return ok && store_run(s) >= 0 ? 0 : -EIO;
}

void uploads_forget_files(struct req *req, char **keys, size_t n)
{
	char folder[PATH_MAX];
	upload_folder(req->cfg, folder, sizeof folder);
	for (size_t i = 0; i < n; i++) {
		if (on_files(req))
			remove_files(folder, keys[i]);
		free(keys[i]);
	}
	free(keys);
}

/* Once a second: uploads never attached, a day old, go (row, bytes). */
void uploads_tick(struct req *req)
{
	int64_t ids[32];
	char keys[32][KEY_HEX + 1];
	int n = 0;
	struct store_stmt *s = store_prepare(req->st,
		"SELECT id, file_key FROM uploads WHERE attached_kind IS NULL AND created_at <= ? "
		"ORDER BY created_at LIMIT 32");
	store_bind_int(s, 1, util_now_ms() - ORPHAN_MS);
	while (n < 32 && store_step(s) == STORE_ROW) {
		ids[n] = store_col_int(s, 0);
		snprintf(keys[n++], KEY_HEX + 1, "%s", store_col_text(s, 1));
	}
	store_done(s);
	char folder[PATH_MAX];
	upload_folder(req->cfg, folder, sizeof folder);
	int gone = 0;
	for (int i = 0; i < n; i++) {
		if (store_begin(req->st))
			return;
		/* Conditional: attached meanwhile, or taken by another gateway. */
		s = store_prepare(req->st, "DELETE FROM uploads WHERE id = ? AND attached_kind IS NULL");
		store_bind_int(s, 1, ids[i]);
		int64_t won = store_run(s);
		if (won == 1 && !on_files(req)) {
			s = store_prepare(req->st, "DELETE FROM upload_blobs WHERE file_key = ?");
			store_bind_text(s, 1, keys[i]);
			won = store_run(s) >= 0 ? 1 : -1;
		}
		if (won < 0 || api_commit(req)) {
			api_rollback(req);
			continue;
		}
		if (won == 1 && on_files(req))
			remove_files(folder, keys[i]); /* after the commit: a row never names a missing file */
		gone += won == 1;
	}
	if (gone)
		log_info("uploads: %d photo(s) never attached deleted after a day", gone);
}
