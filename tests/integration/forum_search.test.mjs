// Forum search in Chinese: 3+ characters go through the trigram index, 1-2
// characters through a substring scan; both find titles, bodies and posts;
// neither finds a hidden post's text nor another community's threads.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createPost, search } from './lib/forums.mjs';

itest('forum search: 2- and 3-character Chinese queries, hidden posts and other communities excluded', async (h, t) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, B, staff, admin, residents: [r1, r2], resB } = await forumWorld(gw, { residents: 2 });
	const step = (name, fn) => h.sub(t, name, fn);
	const ids = (items) => items.map((x) => x.id).sort((a, b) => a - b);

	const water = await createThread(gw, r1.access, A.id, { title: '停水通知', body: '明天上午九点到十二点小区停水检修，请提前储水。' });
	const lift = await createThread(gw, r2.access, A.id, { title: '电梯维修', body: '物业说要换钢丝绳。' });
	await createPost(gw, r1.access, lift.id, '三号楼电梯周五维修，请走楼梯。');
	const chat = await createThread(gw, r2.access, A.id, { title: '邻里闲聊', body: '大家随便聊聊。' });
	const bike = await createPost(gw, r1.access, chat.id, '出售二手自行车，九成新，价格面议。');
	await createPost(gw, r2.access, chat.id, '周末有没有人一起去公园？');
	const bWater = await createThread(gw, resB.access, B.id, { title: '和平里停水', body: '二手自行车也在这里卖。' });

	await step('2-character queries (substring scan)', async () => {
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '停水')), [water.id]);
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '周五')), [lift.id], 'found through a post');
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '二手')), [chat.id], 'found through a post');
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '楼梯')), [lift.id]);
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '火灾')), []);
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '水')), [water.id], '1 character');
	});

	await step('3+-character queries (trigram index)', async () => {
		assert.deepEqual(ids(await search(gw, r2.access, A.id, '电梯周')), [lift.id]);
		assert.deepEqual(ids(await search(gw, r2.access, A.id, '自行车')), [chat.id]);
		assert.deepEqual(ids(await search(gw, r2.access, A.id, '小区停水检修')), [water.id]);
		assert.deepEqual(ids(await search(gw, r2.access, A.id, '邻里闲聊')), [chat.id], 'title');
		assert.deepEqual(ids(await search(gw, r2.access, A.id, '电梯修')), [], 'not a substring');
		// FTS syntax in the query is just text.
		for (const q of ['停水" OR "电梯', 'NEAR(停水 电梯)', '"', '自行车*', 'a:b']) {
			const r = await gw.request('GET', `/v1/communities/${A.id}/threads?q=${encodeURIComponent(q)}`, { token: r1.access });
			expectStatus(r, 200, `q=${q}`);
			assert.deepEqual(r.json.items, [], `q=${q} matches nothing literally`);
		}
	});

	await step('queries with "&", "+" and "%" are read as typed (decoded once)', async () => {
		// Percent-decoded twice, "水&电" was cut at the "&" and "%26" read as "&".
		const odd = await createThread(gw, r1.access, A.id, { title: '水&电检修 a+b', body: '折扣%26起' });
		for (const q of ['水&电', '&电检', 'a+b', '扣%26', '%26起']) {
			assert.deepEqual(ids(await search(gw, r1.access, A.id, q)), [odd.id], `q=${q}`);
		}
		assert.deepEqual(ids(await search(gw, r1.access, A.id, 'a b')), [], 'a "+" is no space');
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '扣&起')), [], '"%26" is no "&"');
	});

	await step("another community's threads are never found", async () => {
		assert.ok(!(await search(gw, r1.access, A.id, '和平里')).length);
		assert.ok(!(await search(gw, r1.access, A.id, '和平里停水')).length);
		assert.deepEqual(ids(await search(gw, resB.access, B.id, '停水')), [bWater.id]);
		assert.deepEqual(ids(await search(gw, resB.access, B.id, '电梯')), []);
		assert.deepEqual(ids(await search(gw, admin.access, B.id, '自行车')), [bWater.id]);
		const r = await gw.request('GET', `/v1/communities/${B.id}/threads?q=${encodeURIComponent('停水')}`, { token: r1.access });
		assert.equal(r.status, 403, 'a resident of A cannot search B');
	});

	await step('a hidden post is not found; restored, it is found again', async () => {
		const r = await gw.request('POST', `/v1/posts/${bike.id}/hide`, { token: staff.access, body: { reason: '禁止商业广告' } });
		expectStatus(r, 200, 'hide');
		assert.equal(r.json.post.status, 'hidden');
		for (const q of ['二手', '自行车', '九成新', '价格面议', '车']) {
			assert.deepEqual(ids(await search(gw, r1.access, A.id, q)), [], `hidden post text "${q}" (author)`);
			assert.deepEqual(ids(await search(gw, staff.access, A.id, q)), [], `hidden post text "${q}" (staff)`);
		}
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '公园')), [chat.id], 'the thread\'s other post still found');
		expectStatus(await gw.request('POST', `/v1/posts/${bike.id}/restore`, { token: staff.access }), 200, 'restore');
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '自行车')), [chat.id]);
		assert.deepEqual(ids(await search(gw, r1.access, A.id, '二手')), [chat.id]);
	});

	await step('search pages with a cursor', async () => {
		const made = [];
		for (let i = 0; i < 5; i++) made.push((await createThread(gw, r1.access, A.id, { title: `垃圾分类第${i}期`, body: '宣传' })).id);
		const seen = [];
		let cursor = null;
		for (let page = 0; page < 5; page++) {
			const r = await gw.request('GET', `/v1/communities/${A.id}/threads?q=${encodeURIComponent('垃圾分类')}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: r2.access });
			expectStatus(r, 200);
			seen.push(...r.json.items.map((x) => x.id));
			cursor = r.json.next_cursor;
			if (!cursor) break;
		}
		assert.deepEqual(seen, made.slice().reverse(), 'newest first, each once');
	});
});
