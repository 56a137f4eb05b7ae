// Neighbour-help helpers: volunteer profiles, requests, transitions, inbox.
import assert from 'node:assert/strict';
import { expectStatus } from './accounts.mjs';

export const ev = (ch, type, pred = () => true) => (f) => f.op === 'event' && f.ch === ch && f.type === type && pred(f.data);
export const note = (uid, type, pred = () => true) => ev(`user:${uid}`, 'notification', (d) => d.type === type && pred(d));

export async function volunteer(gw, s, cid, { categories = ['errand'], grids = [], active = true, ...rest } = {}) {
	const r = await gw.request('PUT', `/v1/communities/${cid}/volunteer`, { token: s.access, body: { categories, grids, active, ...rest } });
	expectStatus(r, 200, `volunteer ${s.id} in ${cid}`);
	return r.json.volunteer;
}

export const HELP = { category: 'errand', title: '帮忙取快递', details: '快递柜在东门，三个箱子', contact: '13900001111 王阿姨' };

export async function createHelp(gw, s, cid, body = {}) {
	const r = await gw.request('POST', `/v1/communities/${cid}/help`, { token: s.access, body: { ...HELP, ...body } });
	expectStatus(r, 201, `create help in ${cid}`);
	assert.ok(r.json.request && Number.isInteger(r.json.request.id), r.text);
	return r.json.request;
}

export async function getHelp(gw, s, hid) {
	const r = await gw.request('GET', `/v1/help/${hid}`, { token: s.access });
	expectStatus(r, 200, `GET help ${hid}`);
	return r.json.request;
}

export async function helpAction(gw, s, hid, action, status = 200, body) {
	const r = await gw.request('POST', `/v1/help/${hid}/${action}`, { token: s.access, body });
	expectStatus(r, status, `${action} help ${hid} by ${s.id}`);
	return r.json;
}

export async function inbox(gw, s, query = '') {
	const r = await gw.request('GET', `/v1/notifications${query}`, { token: s.access });
	expectStatus(r, 200, `inbox of ${s.id}`);
	assert.ok(Array.isArray(r.json.items), r.text);
	return r.json;
}

export async function helpList(gw, s, cid, query = '') {
	const r = await gw.request('GET', `/v1/communities/${cid}/help${query}`, { token: s.access });
	expectStatus(r, 200, `list help in ${cid}`);
	return r.json.items;
}
