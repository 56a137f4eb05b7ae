#include "wordfilter.h"
#include "../gateway/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One trie node. Edges are few per node: a sorted array, binary searched. */
struct edge {
	uint32_t cp;      /* code point labelling the edge */
	uint32_t to;      /* child node index */
};

struct node {
	struct edge *edges;   /* sorted by cp */
	uint32_t nedges, cap;
	uint32_t fail;        /* longest proper suffix that is a node */
	int32_t word;         /* word ending here, or -1 */
	int32_t out;          /* nearest word ending at a suffix (dictionary link), or -1 */
};

struct wordfilter {
	struct node *nodes;   /* node 0 is the root */
	uint32_t nnodes, cap;
	char **words;         /* as listed, for messages */
	size_t nwords;
};

/* --- normalisation ------------------------------------------------------------ */

/* Decodes one UTF-8 code point at *p (advancing); invalid bytes yield
 * U+FFFD. */
static uint32_t next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	int len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (len == 1) {
		*p = s + 1;
		return c < 0x80 ? c : 0xfffd;
	}
	c &= 0x3f >> (len - 1);
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + 1;
			return 0xfffd;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	*p = s + len;
	return c;
}

/* The code point as the filter sees it, or 0 to skip it. */
static uint32_t fold(uint32_t c)
{
	if (c >= 0xff01 && c <= 0xff5e)
		c -= 0xfee0; /* full-width ASCII */
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return c;
	if (c < 0x80)
		return 0; /* spaces, ASCII punctuation and symbols */
	if ((c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xffef) ||
	    c == 0x00a0 || c == 0x00b7 || c == 0xfeff)
		return 0; /* general and CJK punctuation, spaces, zero-width */
	return c;
}

/* --- building --------------------------------------------------------------------- */

static uint32_t node_new(struct wordfilter *wf)
{
	if (wf->nnodes == wf->cap) {
		wf->cap = wf->cap ? wf->cap * 2 : 64;
		wf->nodes = xrealloc(wf->nodes, wf->cap * sizeof *wf->nodes);
	}
	struct node *n = &wf->nodes[wf->nnodes];
	memset(n, 0, sizeof *n);
	n->word = n->out = -1;
	return wf->nnodes++;
}

/* Child of node along cp, or 0 (the root is never a child). */
static uint32_t child(const struct wordfilter *wf, uint32_t node, uint32_t cp)
{
	const struct node *n = &wf->nodes[node];
	uint32_t lo = 0, hi = n->nedges;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (n->edges[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n->nedges && n->edges[lo].cp == cp ? n->edges[lo].to : 0;
}

static uint32_t child_add(struct wordfilter *wf, uint32_t node, uint32_t cp)
{
	uint32_t c = child(wf, node, cp);
	if (c)
		return c;
	c = node_new(wf); /* may move wf->nodes */
	struct node *n = &wf->nodes[node];
	if (n->nedges == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 2;
		n->edges = xrealloc(n->edges, n->cap * sizeof *n->edges);
	}
	uint32_t i = n->nedges++;
	while (i && n->edges[i - 1].cp > cp) {
		n->edges[i] = n->edges[i - 1];
		i--;
	}
	n->edges[i].cp = cp;
	n->edges[i].to = c;
	return c;
}

static void add_word(struct wordfilter *wf, const char *w)
{
	uint32_t node = 0;
	int any = 0;
	for (const unsigned char *p = (const unsigned char *)w; *p;) {
		uint32_t c = fold(next_cp(&p));
		if (c) {
			node = child_add(wf, node, c);
			any = 1;
		}
	}
	if (!any || wf->nodes[node].word >= 0)
		return; /* nothing left after folding, or listed twice */
	wf->words = xrealloc(wf->words, (wf->nwords + 1) * sizeof *wf->words);
	wf->words[wf->nwords] = xstrdup(w);
	wf->nodes[node].word = (int32_t)wf->nwords++;
}

/* Breadth-first: failure and dictionary links. */
static void link(struct wordfilter *wf)
{
	uint32_t *queue = xmalloc(wf->nnodes * sizeof *queue), head = 0, tail = 0;
	for (uint32_t i = 0; i < wf->nodes[0].nedges; i++) {
		uint32_t c = wf->nodes[0].edges[i].to;
		wf->nodes[c].fail = 0;
		queue[tail++] = c;
	}
	while (head < tail) {
		uint32_t u = queue[head++];
		struct node *n = &wf->nodes[u];
		for (uint32_t i = 0; i < n->nedges; i++) {
			uint32_t cp = n->edges[i].cp, v = n->edges[i].to, f = n->fail;
			while (f && !child(wf, f, cp))
				f = wf->nodes[f].fail;
			uint32_t fc = child(wf, f, cp);
			wf->nodes[v].fail = fc != v ? fc : 0;
			uint32_t fv = wf->nodes[v].fail;
			wf->nodes[v].out = wf->nodes[fv].word >= 0 ? wf->nodes[fv].word : wf->nodes[fv].out;
			queue[tail++] = v;
		}
	}
	free(queue);
}

struct wordfilter *wordfilter_new(const char *const *words, size_t n)
{
	struct wordfilter *wf = xcalloc(1, sizeof *wf);
	node_new(wf);
	for (size_t i = 0; i < n; i++)
		add_word(wf, words[i]);
	link(wf);
	return wf;
}

struct wordfilter *wordfilter_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct wordfilter *wf = xcalloc(1, sizeof *wf);
	node_new(wf);
	char line[512];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		add_word(wf, line);
	}
	fclose(f);
	link(wf);
	return wf;
}

void wordfilter_free(struct wordfilter *wf)
{
	if (!wf)
		return;
	for (uint32_t i = 0; i < wf->nnodes; i++)
		free(wf->nodes[i].edges);
	for (size_t i = 0; i < wf->nwords; i++)
		free(wf->words[i]);
	free(wf->words);
	free(wf->nodes);
	free(wf);
}

size_t wordfilter_size(const struct wordfilter *wf)
{
	return wf ? wf->nwords : 0;
}

const char *wordfilter_match(const struct wordfilter *wf, const char *text)
{
	if (!wf || !wf->nwords)
		return NULL;
	uint32_t node = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		uint32_t c = fold(next_cp(&p));
		if (!c)
			continue;
		while (node && !child(wf, node, c))
			node = wf->nodes[node].fail;
		node = child(wf, node, c);
		const struct node *n = &wf->nodes[node];
		if (n->word >= 0)
			return wf->words[n->word];
		if (n->out >= 0)
			return wf->words[n->out];
	}
	return NULL;
}

/* --- the current list ------------------------------------------------------------- */

/* Handlers match on database workers while SIGHUP reloads on the loop:
 * readers hold the lock shared, a reload takes it to swap and free. */
static pthread_rwlock_t current_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct wordfilter *current;

int wordfilter_match_current(const char *text, char *word, size_t cap)
{
	pthread_rwlock_rdlock(&current_lock);
	const char *w = wordfilter_match(current, text);
	if (w)
		snprintf(word, cap, "%s", w);
	pthread_rwlock_unlock(&current_lock);
	return w != NULL;
}

size_t wordfilter_current_size(void)
{
	pthread_rwlock_rdlock(&current_lock);
	size_t n = wordfilter_size(current);
	pthread_rwlock_unlock(&current_lock);
	return n;
}

int wordfilter_reload(const char *path, char *err, size_t errlen)
{
	struct wordfilter *wf = wordfilter_load(path, err, errlen);
	if (!wf)
		return -ENOENT;
	pthread_rwlock_wrlock(&current_lock);
	struct wordfilter *old = current;
	current = wf;
	pthread_rwlock_unlock(&current_lock);
	wordfilter_free(old);
	return 0;
}

void wordfilter_clear(void)
{
	pthread_rwlock_wrlock(&current_lock);
	struct wordfilter *old = current;
	current = NULL;
	pthread_rwlock_unlock(&current_lock);
	wordfilter_free(old);
}
