// Forum helpers for the integration tests: a community with an admin, staff
// and residents; threads, consultations, posts and votes. Every helper
// asserts the status it needs and says what came back when it is not that.
import assert from 'node:assert/strict';
import {
	FAST, register, makeAdmin, createCommunity, appoint, addMember, expectStatus,
} from './accounts.mjs';

// Fast hashing, many registrations, no rate limit getting in the way.
export const FORUM_CONFIG = { ...FAST };

// An admin, community A with one staff member and `residents` residents,
// and (with other) community B with one resident.
export async function forumWorld(gw, { residents = 3, other = true } = {}) {
	const admin = await makeAdmin(gw);
	const A = await createCommunity(gw, admin.access, '幸福里社区');
	const staff = await register(gw, { display_name: '社工小张' });
	await appoint(gw, admin.access, A.id, staff.id);
	const res = [];
	for (let i = 0; i < residents; i++) {
		const s = await register(gw, { display_name: `居民${i + 1}` });
		await addMember(gw, admin.access, A.id, s);
		res.push(s);
	}
	let B = null, resB = null;
	if (other) {
		B = await createCommunity(gw, admin.access, '和平里社区');
		resB = await register(gw, { display_name: '和平里居民' });
		await addMember(gw, admin.access, B.id, resB);
	}
	return { admin, A, staff, residents: res, B, resB };
}

export async function createThread(gw, token, cid, { title = '小区停车问题', body = '大家怎么看？', kind = 'discussion', ...rest } = {}) {
	const r = await gw.request('POST', `/v1/communities/${cid}/threads`, { token, body: { title, body, kind, ...rest } });
	expectStatus(r, 201, `create thread in ${cid}`);
	assert.ok(r.json.thread && Number.isInteger(r.json.thread.id), r.text);
	return r.json.thread;
}

export async function createConsultation(gw, token, cid, {
	title = '是否加装电梯', body = '请投票', options = ['同意', '反对', '弃权'], closes_at = Date.now() + 3600000, ...rest
} = {}) {
	return createThread(gw, token, cid, { title, body, kind: 'consultation', options, closes_at, ...rest });
}

export async function createPost(gw, token, tid, body, extra = {}) {
	const r = await gw.request('POST', `/v1/threads/${tid}/posts`, { token, body: { body, ...extra } });
	expectStatus(r, 201, `post in thread ${tid}`);
	assert.ok(r.json.post && Number.isInteger(r.json.post.id), r.text);
	return r.json.post;
}

export async function vote(gw, token, tid, option, reason) {
	const body = { option };
	if (reason !== undefined) body.reason = reason;
	const r = await gw.request('POST', `/v1/threads/${tid}/vote`, { token, body });
	expectStatus(r, 200, `vote ${option} in ${tid}`);
	return r.json;
}

export async function getThread(gw, token, tid) {
	const r = await gw.request('GET', `/v1/threads/${tid}`, { token });
	expectStatus(r, 200, `GET thread ${tid}`);
	return r.json.thread;
}

// First page of a list (items only).
export async function listItems(gw, token, path) {
	const r = await gw.request('GET', path, { token });
	expectStatus(r, 200, `GET ${path}`);
	assert.ok(Array.isArray(r.json.items), r.text);
	return r.json.items;
}

export async function search(gw, token, cid, q) {
	return listItems(gw, token, `/v1/communities/${cid}/threads?q=${encodeURIComponent(q)}`);
}
