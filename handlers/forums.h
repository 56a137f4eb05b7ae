/* forums: threads, consultations and their moderation, shared between
 * forums.c (threads, votes) and posts.c (posts, reports, staff actions). */
#ifndef LINLI_FORUMS_H
#define LINLI_FORUMS_H

#include <stdint.h>
#include <jansson.h>

#include "../gateway/api.h"

#include "access.h"

/* One thread's fixed fields. */
#define PUBLICITY_DAYS_MAX 90 /* an outcome's 公示期, at most */

struct thread_row {
	int64_t id, community_id, author_id;    /* who and where */
	int64_t closes_at, closed_at;           /* consultation deadline, close (0: none) */
	int64_t created_at, outcome_at;         /* ms */
	int pinned, live_tally, locked;         /* flags (locked: no posts, votes, edits) */
	char kind[16], status[16];              /* discussion|consultation, open|closed */
	enum role role;                         /* the loader's uid's role in its community */
	int muted;                              /* and whether they are muted there now */
	int held;                               /* the content check holds it for staff */
};

/* 0, or -ENOENT. With uid (0: nobody), that user's role in the thread's
 * community and whether they are muted there, from the same query. */
int forums_thread_load(struct store *st, int64_t tid, int64_t uid, struct thread_row *t);

/* Loads the {tid} path parameter's thread and checks that the caller is a
 * member of its community (staff when staff is set). 0, or the answer
 * (401, 403, 404) is set. */
int forums_thread_access(struct req *req, struct resp *resp, struct thread_row *t, int staff);

/* 0 unless the caller is muted in cid; then a 403 with muted_until. */
int forums_not_muted(struct req *req, int64_t cid, struct resp *resp);

/* 0 unless t is locked; then a 409 with reason "locked". Locked refuses
 * posts, votes and edits whether the thread is open or closed. */
int forums_not_locked(const struct thread_row *t, struct resp *resp);

/* 0 when t takes votes now (an open, unlocked consultation before its
 * deadline), with its number of options; otherwise the 409 is set. */
int forums_voting_open(const struct req *req, const struct thread_row *t, struct resp *resp, int64_t *noptions);

/* Inside the caller's transaction, after a vote changed: vote.tally on
 * thread:{tid} (the counts only when the tally is live). 0 or -EIO. */
int forums_emit_tally(struct req *req, const struct thread_row *t);

/* {thread_id, community_id, title}: what a notification about thread tid
 * names (callers add their own fields). NULL when there is no such thread. */
json_t *forums_subject(struct store *st, int64_t tid);

/* The thread object as viewer sees it (viewer NULL: as events carry it,
 * without my_vote). NULL when there is no such thread. */
json_t *forums_thread_json(struct store *st, const struct principal *viewer, int64_t tid);

/* The threads of cid the content check holds, oldest first (at most 100). */
json_t *forums_held(struct store *st, const struct principal *viewer, int64_t cid);
/* Consultations of cid whose outcome the content check holds. */
json_t *forums_held_outcomes(struct store *st, const struct principal *viewer, int64_t cid);

/* Search index: adds text (a thread's title and body: pid 0; or a post);
 * removes a post's text. Inside the caller's transaction; 0 or a store
 * error (which also fails the transaction). */
int forums_index(struct req *req, int64_t cid, int64_t tid, int64_t pid, const char *text);
int forums_unindex(struct req *req, int64_t pid);

/* Appends a staff action to the moderation log (居務公開), inside the
 * transaction of the change it records: its id (what an appeal names), or
 * 0 when the insert failed (which also fails the transaction). */
int64_t forums_mod_log(struct req *req, int64_t cid, const char *action, const char *kind,
		       int64_t target, const char *reason);

#endif
