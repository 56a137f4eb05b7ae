// Bad input to the account and community endpoints: missing fields, wrong
// types, over-long strings, invalid UTF-8 and SQL metacharacters. Each gets
// 400 naming the field where the format forbids it; free text (display
// names, community and grid names, passwords) is stored verbatim and is
// harmless. Afterwards everything still works and nothing else was stored.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import {
	FAST, PASSWORD, newPhone, register, login, makeAdmin, createCommunity, appoint, addMember,
	expectError, expectStatus, me, listAll,
} from './lib/accounts.mjs';

// Each at most 32 characters: valid display names, grid names and codes by length.
const SQL = ["'; DROP TABLE users; --", '" OR 1=1 --', "' OR '1'='1", "'); DELETE FROM memberships;--"];

itest('bad input to accounts and communities: 400 naming the field, or stored verbatim and harmless', async (h, t) => {
	const gw = await h.gateway({ config: { ...FAST, rate_writes_per_user: 100000, rate_writes_per_ip: 100000 } });
	const statuses = [];
	const req = async (method, path, opts) => {
		const r = await gw.request(method, path, opts);
		statuses.push(`${method} ${path} ${r.status}`);
		return r;
	};
	const step = (name, fn) => h.sub(t, name, fn);
	const reg = (body) => req('POST', '/v1/auth/register', { body });
	const good = { phone: '13912345678', password: PASSWORD, display_name: '好邻居' };
	let created = []; // accounts made by this test: [{id, display_name, phone}]

	await step('register: missing, wrong-typed and malformed fields name the field', async () => {
		const cases = [
			[{ ...good, phone: undefined }, 'phone'],
			[{ ...good, phone: null }, 'phone'],
			[{ ...good, phone: 13912345678 }, 'phone'],
			[{ ...good, phone: ['13912345678'] }, 'phone'],
			[{ ...good, phone: '' }, 'phone'],
			[{ ...good, phone: '1391234567' }, 'phone'],
			[{ ...good, phone: '139123456789' }, 'phone'],
			[{ ...good, phone: '12912345678' }, 'phone'],
			[{ ...good, phone: '1'.repeat(33) }, 'phone'],
			[{ ...good, phone: '139abc45678' }, 'phone'],
			[{ ...good, phone: '139 1234 5678\n' }, 'phone'],
			[{ ...good, password: undefined }, 'password'],
			[{ ...good, password: 12345678 }, 'password'],
			[{ ...good, password: true }, 'password'],
			[{ ...good, password: 'short' }, 'password'],
			[{ ...good, password: '七个汉字密码字' }, 'password'],
			[{ ...good, password: 'x'.repeat(129) }, 'password'],
			[{ ...good, password: '密'.repeat(43) }, 'password'],  // 43 characters, 129 bytes
			[{ ...good, password: 'password' }, 'password'],
			[{ ...good, password: '12345678' }, 'password'],
			[{ ...good, password: 'PassWord1' }, 'password'],
			[{ ...good, display_name: undefined }, 'display_name'],
			[{ ...good, display_name: '' }, 'display_name'],
			[{ ...good, display_name: '   \u3000 ' }, 'display_name'],
			[{ ...good, display_name: 'x'.repeat(33) }, 'display_name'],
			[{ ...good, display_name: '名'.repeat(33) }, 'display_name'],
			[{ ...good, display_name: 'two\nlines' }, 'display_name'],
			[{ ...good, display_name: 'bell\u0007' }, 'display_name'],
			[{ ...good, display_name: 42 }, 'display_name'],
			[{ ...good, display_name: { first: 'a' } }, 'display_name'],
			...SQL.map((s) => [{ ...good, phone: s }, 'phone']),
		];
		for (const [body, field] of cases) {
			expectError(await reg(body), 400, 'bad_request', field, JSON.stringify(body));
		}
	});

	await step('register: a + prefix must be +86; another country code is not a mainland number', async () => {
		const wrong = [];
		for (const phone of ['+1 415 555 0100', '+1 37 0000 0001', '+44 139 1234 5678']) {
			const r = await reg({ ...good, phone, display_name: 'foreign' });
			if (r.status !== 400 || r.json?.error?.field !== 'phone') wrong.push(`${phone} -> ${r.status} ${r.text.slice(0, 90)}`);
		}
		assert.deepEqual(wrong, [], 'foreign numbers accepted as mainland ones');
	});

	await step('register: bodies that are not a JSON object, or not UTF-8', async () => {
		const raw = (s) => req('POST', '/v1/auth/register', { body: Buffer.isBuffer(s) ? s : Buffer.from(s) });
		const pre = Buffer.from('{"phone":"13912345678","password":"neighbour-2024!","display_name":"');
		const post = Buffer.from('"}');
		const bad = {
			'no body': () => req('POST', '/v1/auth/register'),
			'not JSON': () => raw('phone=13912345678'),
			'truncated JSON': () => raw('{"phone":"13912345678",'),
			'array': () => raw('[1,2,3]'),
			'string': () => raw('"hello"'),
			'duplicate keys': () => raw('{"phone":"13912345678","phone":"13912345679","password":"neighbour-2024!","display_name":"a"}'),
			'0xff byte': () => raw(Buffer.concat([pre, Buffer.from([0xff, 0xfe]), post])),
			'lone continuation byte': () => raw(Buffer.concat([pre, Buffer.from([0x80]), post])),
			'overlong slash': () => raw(Buffer.concat([pre, Buffer.from([0xc0, 0xaf]), post])),
			'UTF-16 surrogate': () => raw(Buffer.concat([pre, Buffer.from([0xed, 0xa0, 0x80]), post])),
			'truncated sequence': () => raw(Buffer.concat([pre, Buffer.from([0xe4, 0xbd]), post])),
			'NUL escape': () => raw('{"phone":"13912345678","password":"neighbour-2024!","display_name":"a\\u0000b"}'),
		};
		for (const [what, send] of Object.entries(bad)) {
			expectError(await send(), 400, 'bad_request', undefined, what);
		}
		// None of these created the account.
		expectError(await req('POST', '/v1/auth/login', { body: { phone: good.phone, password: PASSWORD } }), 401, 'unauthorized');
	});

	await step('free text is stored verbatim: SQL in display names and passwords', async () => {
		for (const [i, text] of SQL.entries()) {
			const phone = newPhone('135');
			const pw = `${text} ${i}`.padEnd(8, '!');
			const r = await reg({ phone, password: pw, display_name: text });
			expectStatus(r, 201, `register with ${text}`);
			assert.equal(r.json.user.display_name, text, 'display name verbatim');
			const s = await login(gw, phone, pw);
			assert.equal((await me(gw, s.access)).user.display_name, text);
			created.push({ id: s.id, display_name: text, phone, access: s.access });
		}
		// Odd but valid: exactly 32 characters, emoji, markup.
		for (const name of ['名'.repeat(32), '👩‍👩‍👧 家', '<script>alert(1)</script>']) {
			const s = await register(gw, { display_name: name });
			assert.equal(s.user.display_name, name);
			created.push({ id: s.id, display_name: name, phone: s.phone, access: s.access });
		}
		// Eight characters of Chinese is a long enough password.
		const zh = await register(gw, { password: '我家门前有条小河' });
		await login(gw, zh.phone, '我家门前有条小河');
		created.push({ id: zh.id, display_name: zh.user.display_name, phone: zh.phone, access: zh.access });
	});

	await step('login: malformed fields name the field; any string in the password is just a wrong password', async () => {
		const lg = (body) => req('POST', '/v1/auth/login', { body });
		const known = created[0].phone;
		for (const [body, field] of [
			[{ password: PASSWORD }, 'phone'],
			[{ phone: 13912345678, password: PASSWORD }, 'phone'],
			[{ phone: known }, 'password'],
			[{ phone: known, password: 12345678 }, 'password'],
			...SQL.map((s) => [{ phone: s, password: PASSWORD }, 'phone']),
		]) expectError(await lg(body), 400, 'bad_request', field, JSON.stringify(body));
		// Wrong passwords (below the lock-out), SQL-shaped, too short or too
		// long for the rules: plain 401 (a 400 would not count as a guess).
		for (const pw of [...SQL.slice(0, 2), 'short', 'y'.repeat(129)])
			expectError(await lg({ phone: known, password: pw }), 401, 'unauthorized', undefined, pw);
		expectError(await req('POST', '/v1/auth/login', { body: Buffer.from([0x7b, 0xff, 0x7d]) }), 400, 'bad_request');
	});

	let admin, community, staff, resident;
	await step('communities: name and grids validated by field; SQL-shaped names stored verbatim', async () => {
		admin = await makeAdmin(gw);
		const post = (body) => req('POST', '/v1/communities', { token: admin.access, body });
		for (const [body, field] of [
			[{ grids: ['a'] }, 'name'],
			[{ name: '', grids: ['a'] }, 'name'],
			[{ name: 7, grids: ['a'] }, 'name'],
			[{ name: 'n'.repeat(65), grids: ['a'] }, 'name'],
			[{ name: 'tab\there', grids: ['a'] }, 'name'],
			[{ name: 'ok' }, 'grids'],
			[{ name: 'ok', grids: [] }, 'grids'],
			[{ name: 'ok', grids: 'a,b' }, 'grids'],
			[{ name: 'ok', grids: [1, 2] }, 'grids'],
			[{ name: 'ok', grids: ['a', null] }, 'grids'],
			[{ name: 'ok', grids: ['a', 'a'] }, 'grids'],
			[{ name: 'ok', grids: [''] }, 'grids'],
			[{ name: 'ok', grids: ['g'.repeat(33)] }, 'grids'],
			[{ name: 'ok', grids: ['new\nline'] }, 'grids'],
			[{ name: 'ok', grids: Array.from({ length: 501 }, (_, i) => `g${i}`) }, 'grids'],
		]) expectError(await post(body), 400, 'bad_request', field, JSON.stringify(body).slice(0, 120));
		community = await createCommunity(gw, admin.access, SQL[0], [SQL[1], "'; DROP TABLE grids; --", '一网格']);
		assert.equal(community.name, SQL[0]);
		assert.deepEqual(community.grids, [SQL[1], "'; DROP TABLE grids; --", '一网格']);
		const big = await createCommunity(gw, admin.access, 'n'.repeat(64), Array.from({ length: 500 }, (_, i) => `网格${i}`));
		assert.equal(big.grids.length, 500);
		assert.equal(big.id, community.id + 1, 'no refused community took an id');
	});

	await step('invites: role, max_uses and expires_in_s validated by field', async () => {
		staff = created[0];
		resident = created[1];
		await appoint(gw, admin.access, community.id, staff.id);
		const post = (body) => req('POST', `/v1/communities/${community.id}/invites`, { token: staff.access, body });
		for (const [body, field] of [
			[{}, 'role'],
			[{ role: 'admin' }, 'role'],
			[{ role: 'Resident' }, 'role'],
			[{ role: 1 }, 'role'],
			[{ role: SQL[0] }, 'role'],
			[{ role: SQL[1] }, 'role'],
			[{ role: 'resident', max_uses: 0 }, 'max_uses'],
			[{ role: 'resident', max_uses: 10001 }, 'max_uses'],
			[{ role: 'resident', max_uses: '5' }, 'max_uses'],
			[{ role: 'resident', max_uses: 1.5 }, 'max_uses'],
			[{ role: 'resident', max_uses: SQL[1] }, 'max_uses'],
			[{ role: 'resident', expires_in_s: 59 }, 'expires_in_s'],
			[{ role: 'resident', expires_in_s: 365 * 86400 + 1 }, 'expires_in_s'],
			[{ role: 'resident', expires_in_s: 'soon' }, 'expires_in_s'],
		]) expectError(await post(body), 400, 'bad_request', field, JSON.stringify(body));
		expectError(await req('POST', `/v1/communities/${community.id}/invites`,
			{ token: staff.access, body: Buffer.from([0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d]) }), 400, 'bad_request', undefined, 'invalid UTF-8');
	});

	await step('join: code validated; SQL-shaped codes are simply unknown', async () => {
		const post = (body) => req('POST', `/v1/communities/${community.id}/join`, { token: resident.access, body });
		for (const [body, field] of [
			[{}, 'code'],
			[{ code: '' }, 'code'],
			[{ code: 12345678 }, 'code'],
			[{ code: 'A'.repeat(33) }, 'code'],
			[{ code: 'AB\u0001CD' }, 'code'],
		]) expectError(await post(body), 400, 'bad_request', field, JSON.stringify(body));
		for (const s of [...SQL, "%' OR code LIKE '%", '*']) expectError(await post({ code: s }), 404, 'not_found', 'code', s);
		await addMember(gw, staff.access, community.id, resident);
	});

	await step('volunteer: categories, grids and active validated by field; SQL-shaped grid names match exactly', async () => {
		const put = (body) => req('PUT', `/v1/communities/${community.id}/volunteer`, { token: resident.access, body });
		for (const [body, field] of [
			[{ grids: [], active: true }, 'categories'],
			[{ categories: 'errand', grids: [] }, 'categories'],
			[{ categories: [1], grids: [] }, 'categories'],
			[{ categories: ['errand', SQL[0]], grids: [] }, 'categories'],
			[{ categories: ["errand' OR '1'='1"], grids: [] }, 'categories'],
			[{ categories: Array(33).fill('errand'), grids: [] }, 'categories'],
			[{ categories: ['errand'] }, 'grids'],
			[{ categories: ['errand'], grids: '一网格' }, 'grids'],
			[{ categories: ['errand'], grids: ["' OR 1=1 --"] }, 'grids'],
			[{ categories: ['errand'], grids: ["%"] }, 'grids'],
			[{ categories: ['errand'], grids: ["'; drop table grids; --"] }, 'grids'], // case matters
			[{ categories: ['errand'], grids: [], active: 'true' }, 'active'],
			[{ categories: ['errand'], grids: [], active: 1 }, 'active'],
		]) expectError(await put(body), 400, 'bad_request', field, JSON.stringify(body).slice(0, 120));
		const ok = await put({ categories: ['repair'], grids: [SQL[1], "'; DROP TABLE grids; --"], active: true });
		expectStatus(ok, 200, 'SQL-shaped grid names are just names');
		assert.deepEqual(ok.json.volunteer.grids, [SQL[1], "'; DROP TABLE grids; --"]);
	});

	await step('verified phones and personal information: every field validated by name', async () => {
		const tok = { token: resident.access };
		const notObject = ['[]', '"x"', '42', 'null', '{"a":', ''];
		const cases = [
			['POST', '/v1/auth/sms', {}, [
				[{ purpose: 'login' }, 'phone'], [{ phone: '139', purpose: 'login' }, 'phone'],
				[{ phone: good.phone }, 'purpose'], [{ phone: good.phone, purpose: 'LOGIN' }, 'purpose'],
				[{ phone: good.phone, purpose: ['login'] }, 'purpose'], [{ phone: SQL[0], purpose: 'login' }, 'phone'],
				[{ phone: good.phone, purpose: 'x'.repeat(33) }, 'purpose'],
			]],
			['POST', '/v1/auth/reset', {}, [
				[{ code: '123456', password: PASSWORD }, 'phone'], [{ phone: good.phone, password: PASSWORD }, 'code'],
				[{ phone: good.phone, code: '123456' }, 'password'], [{ phone: good.phone, code: '123456', password: 'short' }, 'password'],
				[{ phone: good.phone, code: '12345', password: PASSWORD }, 'code'], [{ phone: good.phone, code: 123456, password: PASSWORD }, 'code'],
				[{ phone: good.phone, code: '123456', password: 'password' }, 'password'],
			]],
			['POST', '/v1/auth/login', {}, [
				[{ phone: good.phone, code: '12345a' }, 'code'], [{ phone: good.phone, code: 123456 }, 'code'],
				[{ phone: good.phone, code: '' }, 'code'],
			]],
			['POST', '/v1/auth/register', {}, [
				[{ ...good, code: 'abcdef' }, 'code'], [{ ...good, code: 5 }, 'code'],
			]],
			['PATCH', '/v1/me', tok, [
				[{}, 'display_name'], [{ display_name: '' }, 'display_name'], [{ display_name: 'x'.repeat(33) }, 'display_name'],
				[{ display_name: 'a\nb' }, 'display_name'], [{ display_name: 7 }, 'display_name'],
			]],
			['POST', '/v1/me/verify', tok, [[{}, 'code'], [{ code: '1' }, 'code'], [{ code: ['123456'] }, 'code']]],
			['POST', '/v1/me/phone', tok, [
				[{ code: '123456' }, 'phone'], [{ phone: '1234', code: '123456' }, 'phone'], [{ phone: '13600001111' }, 'code'],
				[{ phone: '13600001111', code: 'xxxxxx' }, 'code'],
			]],
			['POST', '/v1/me/consent', tok, [[{}, 'version'], [{ version: 1 }, 'version'], [{ version: 'v'.repeat(64) }, 'version']]],
			['DELETE', '/v1/me', tok, [[{ password: 12345678 }, 'password'], [{ code: 'abc' }, 'code']]],
		];
		for (const [method, path, opts, bodies] of cases) {
			for (const [body, field] of bodies)
				expectError(await req(method, path, { ...opts, body }), 400, 'bad_request', field, `${method} ${path} ${JSON.stringify(body)}`);
			for (const raw of notObject)
				expectError(await req(method, path, { ...opts, body: Buffer.from(raw) }), 400, 'bad_request', undefined, `${method} ${path} ${raw}`);
		}
		// The resident is as before: same name, not scheduled for deletion.
		const m = await me(gw, resident.access);
		assert.equal(m.user.display_name, resident.display_name);
		assert.equal(m.deletes_at, null);
	});

	await step('content governance: warnings, suspensions, appeals, the access log validated by field', async () => {
		const staffTok = { token: staff.access }, adminTok = { token: admin.access };
		const warnPath = `/v1/communities/${community.id}/warnings`;
		for (const [body, field] of [[{}, 'user_id'], [{ user_id: 'x', reason: 'r' }, 'user_id'], [{ user_id: 0, reason: 'r' }, 'user_id'],
			[{ user_id: resident.id }, 'reason'], [{ user_id: resident.id, reason: 'r'.repeat(501) }, 'reason'], [{ user_id: resident.id, reason: 7 }, 'reason']])
			expectError(await req('POST', warnPath, { ...staffTok, body }), 400, 'bad_request', field, `warn ${JSON.stringify(body)}`);
		for (const [body, field] of [[{}, 'user_id'], [{ user_id: resident.id }, 'reason'], [{ user_id: resident.id, reason: 'r', days: 0 }, 'days'],
			[{ user_id: resident.id, reason: 'r', days: 'x' }, 'days'], [{ user_id: resident.id, reason: 'r', days: 3651 }, 'days']])
			expectError(await req('POST', '/v1/admin/suspensions', { ...adminTok, body }), 400, 'bad_request', field, `suspend ${JSON.stringify(body)}`);
		const w = expectStatus(await req('POST', warnPath, { ...staffTok, body: { user_id: resident.id, reason: '测试提醒' } }), 201).warning;
		for (const [body, field] of [[{}, 'reason'], [{ reason: '' }, 'reason'], [{ reason: ['x'] }, 'reason']])
			expectError(await req('POST', `/v1/moderation/actions/${w.action_id}/appeal`, { token: resident.access, body }), 400, 'bad_request', field);
		const a = expectStatus(await req('POST', `/v1/moderation/actions/${w.action_id}/appeal`, { token: resident.access, body: { reason: SQL[0] } }), 201).appeal;
		assert.equal(a.reason, SQL[0], 'stored verbatim');
		for (const [body, field] of [[{}, 'decision'], [{ decision: 'yes', reason: 'r' }, 'decision'], [{ decision: 'upheld' }, 'reason']])
			expectError(await req('POST', `/v1/appeals/${a.id}/decide`, { ...adminTok, body }), 400, 'bad_request', field);
		for (const [q, field] of [['since=abc', 'since'], ['until=-1', 'until'], ['user_id=0', 'user_id'], ['limit=0', 'limit'], ['cursor=x', 'cursor']])
			expectError(await req('GET', `/v1/admin/access-log?${q}`, adminTok), 400, 'bad_request', field, q);
		expectError(await req('GET', `/v1/communities/${community.id}/appeals?status=all`, staffTok), 400, 'bad_request', 'status');
		// The appeal stays open, the warning stands.
		assert.equal((await req('GET', `/v1/communities/${community.id}/appeals`, staffTok)).json.items.length, 1);
	});

	await step('consultation to action: requests, meetings, offline votes validated by field; text stored verbatim', async () => {
		const staffTok = { token: staff.access }, resTok = { token: resident.access };
		const reqPath = `/v1/communities/${community.id}/requests`;
		const good1 = { category: 'repair', title: '电梯', body: '坏了' };
		for (const [body, field] of [[{}, 'category'], [{ ...good1, category: 7 }, 'category'], [{ ...good1, category: 'praise' }, 'category'],
			[{ ...good1, title: undefined }, 'title'], [{ ...good1, title: 'x'.repeat(101) }, 'title'], [{ ...good1, title: ['x'] }, 'title'],
			[{ ...good1, body: '' }, 'body'], [{ ...good1, body: 'x'.repeat(2001) }, 'body'], [{ ...good1, grid: 7 }, 'grid'],
			[{ ...good1, grid: '九网格' }, 'grid'], [{ ...good1, attachments: 'x' }, 'attachments'], [{ ...good1, attachments: [1] }, 'attachments']])
			expectError(await req('POST', reqPath, { ...resTok, body }), 400, 'bad_request', field, `request ${JSON.stringify(body).slice(0, 80)}`);
		const tk = expectStatus(await req('POST', reqPath, { ...resTok, body: { category: 'complaint', title: SQL[0], body: SQL[3], grid: SQL[1] } }), 201).ticket;
		assert.deepEqual([tk.title, tk.body, tk.grid], [SQL[0], SQL[3], SQL[1]], 'stored verbatim');
		const tp = (what, body, tok = staffTok) => req('POST', `/v1/tickets/${tk.id}/${what}`, { ...tok, body });
		expectStatus(await tp('accept'), 200);
		for (const [body, field] of [[{}, 'body'], [{ body: 7 }, 'body'], [{ body: 'x', public: 1 }, 'public']])
			expectError(await tp('reply', body), 400, 'bad_request', field, `reply ${JSON.stringify(body)}`);
		for (const [body, field] of [[{}, 'summary'], [{ summary: ['x'] }, 'summary']])
			expectError(await tp('resolve', body), 400, 'bad_request', field);
		expectStatus(await tp('resolve', { summary: SQL[2] }), 200);
		for (const [body, field] of [[{}, 'satisfaction'], [{ satisfaction: '5' }, 'satisfaction'], [{ satisfaction: 0 }, 'satisfaction'],
			[{ satisfaction: 3.5 }, 'satisfaction'], [{ satisfaction: 3, comment: 9 }, 'comment']])
			expectError(await tp('rate', body, resTok), 400, 'bad_request', field, `rate ${JSON.stringify(body)}`);
		for (const [body, field] of [[{}, 'reason'], [{ reason: { x: 1 } }, 'reason']])
			expectError(await tp('reopen', body, resTok), 400, 'bad_request', field);
		for (const q of ['status=lost', 'limit=0', 'cursor=x'])
			expectError(await req('GET', `${reqPath}?${q}`, staffTok), 400, 'bad_request', q.split('=')[0], q);
		for (const q of ['months=0', 'months=37', 'months=x'])
			expectError(await req('GET', `${reqPath}/summary?${q}`, staffTok), 400, 'bad_request', 'months', q);

		const mPath = `/v1/communities/${community.id}/meetings`;
		const goodM = { title: '议事会', agenda: '议程', place: '活动室', starts_at: Date.now(), invitees: 'members', quorum: 0.5 };
		for (const [body, field] of [[{}, 'title'], [{ ...goodM, agenda: 5 }, 'agenda'], [{ ...goodM, place: '' }, 'place'],
			[{ ...goodM, invitees: 'all' }, 'invitees'], [{ ...goodM, starts_at: '明天' }, 'starts_at'], [{ ...goodM, quorum: -0.1 }, 'quorum'],
			[{ ...goodM, quorum: null }, 'quorum'], [{ ...goodM, thread_ids: 'x' }, 'thread_ids'], [{ ...goodM, thread_ids: ['1'] }, 'thread_ids'],
			[{ ...goodM, thread_ids: Array.from({ length: 21 }, (_, i) => i + 1) }, 'thread_ids']])
			expectError(await req('POST', mPath, { ...staffTok, body }), 400, 'bad_request', field, `meeting ${JSON.stringify(body).slice(0, 80)}`);
		const mt = expectStatus(await req('POST', mPath, { ...staffTok, body: { ...goodM, title: SQL[0], agenda: SQL[1] } }), 201).meeting;
		assert.deepEqual([mt.title, mt.agenda], [SQL[0], SQL[1]]);
		for (const [body, field] of [[{}, 'code'], [{ code: 123456 }, 'code']])
			expectError(await req('POST', `/v1/meetings/${mt.id}/checkin`, { ...resTok, body }), 400, 'bad_request', field);
		for (const [body, field] of [[{}, 'text'], [{ text: 'x'.repeat(20001) }, 'text']])
			expectError(await req('POST', `/v1/meetings/${mt.id}/minutes`, { ...staffTok, body }), 400, 'bad_request', field);
		const co = expectStatus(await req('POST', `/v1/communities/${community.id}/threads`, { ...staffTok,
			body: { title: '投票', body: '请投票', kind: 'consultation', options: ['是', '否'], closes_at: Date.now() + 3600000 } }), 201).thread;
		for (const [body, field] of [[{}, 'user_id'], [{ user_id: String(resident.id), option: 0 }, 'user_id'], [{ user_id: resident.id }, 'option'],
			[{ user_id: resident.id, option: 2 }, 'option'], [{ user_id: resident.id, option: 0, reason: 5 }, 'reason']])
			expectError(await req('POST', `/v1/threads/${co.id}/offline-votes`, { ...staffTok, body }), 400, 'bad_request', field, `offline ${JSON.stringify(body)}`);
		assert.equal(expectStatus(await req('GET', `/v1/threads/${co.id}`, staffTok), 200).thread.votes, 0, 'no refused vote counted');
	});

	await step('afterwards: accounts, communities and members are exactly what was made', async () => {
		// Every account made still logs in and reads itself back unchanged.
		for (const c of created) {
			const m = await me(gw, c.access);
			assert.deepEqual(m.user, { id: c.id, display_name: c.display_name, phone: c.phone, ip_region: null,
				phone_verified: false });
		}
		// The phone refused in every way above is still free.
		const fresh = await register(gw, { phone: good.phone, display_name: good.display_name });
		assert.equal(fresh.id, Math.max(...created.map((c) => c.id), admin.id) + 1, 'no refused registration took an id');
		// The members are the staff and the resident, nobody else.
		const members = await listAll(gw, staff.access, `/v1/communities/${community.id}/members`);
		assert.deepEqual(members.map((m) => [m.user_id, m.role, m.volunteer, m.user.display_name]).sort(),
			[[staff.id, 'staff', false, staff.display_name], [resident.id, 'resident', true, resident.display_name]].sort());
		assert.equal(members.find((m) => m.user_id === resident.id).user.phone, resident.phone);
		// The audit log holds only what succeeded.
		const log = await listAll(gw, staff.access, `/v1/communities/${community.id}/audit`);
		assert.deepEqual(log.map((e) => e.action).reverse(), ['community.create', 'member.appoint', 'invite.create', 'member.join']);
		const g = await req('GET', `/v1/communities/${community.id}`, { token: resident.access });
		expectStatus(g, 200);
		assert.equal(g.json.community.name, SQL[0]);
		assert.deepEqual(g.json.community.grids, [SQL[1], "'; DROP TABLE grids; --", '一网格']);
		// Nothing answered 500.
		const crashes = statuses.filter((s) => / 5\d\d$/.test(s));
		assert.deepEqual(crashes, [], 'no 5xx answers');
		assert.ok(gw.running);
		t.diagnostic(`${statuses.length} requests, ${statuses.filter((s) => / 400$/.test(s)).length} answered 400`);
	});
});
