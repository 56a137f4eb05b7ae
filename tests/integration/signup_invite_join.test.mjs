// The whole path a community takes to life, over HTTP: residents sign up,
// the first admin is made on the command line, the admin creates a
// community and appoints staff, staff invite, residents join, volunteer,
// change roles; /v1/me, the members list and the audit log tell the story.
// Phone numbers are masked for everyone but their owner and staff of a
// shared community.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { itest, sql } from './lib/harness.mjs';
import {
	FAST, PASSWORD, newPhone, masked, expectError, expectStatus, register, login,
	createAdmin, me, listAll,
} from './lib/accounts.mjs';


itest('sign-up, admin, community, staff, invite, join, volunteer, roles and audit', async (h, t) => {
	const gw = await h.gateway({ config: FAST });
	const step = (name, fn) => h.sub(t, name, fn);
	const t0 = Date.now();
	let alice, bob, carol, dave, admin, adminId, community, other, inviteCode;
	const secrets = []; // phones, passwords and tokens that must never reach the log

	await step('register normalises the phone and answers {user, tokens, expiry}', async () => {
		// +86 prefix, spaces, dashes, full-width digits: all the same 11 digits.
		const forms = [
			['+86 138-0013-8001', '13800138001', '王阿姨'],
			['0086 13800138002', '13800138002', 'Bob 李'],
			['１３８００１３８００３', '13800138003', '  陈师傅\u3000'],
			['(138) 0013.8004', '13800138004', 'dave'],
		];
		const made = [];
		for (const [input, norm, name] of forms) {
			const r = await gw.request('POST', '/v1/auth/register',
				{ body: { phone: input, password: PASSWORD, display_name: name } });
			expectStatus(r, 201, `register ${input}`);
			assert.equal(r.json.user.phone, norm, 'stored as 11 digits, shown unmasked to its owner');
			assert.equal(r.json.user.display_name, name.trim().replace(/^\u3000+|\u3000+$/g, ''), 'display name trimmed');
			assert.ok(r.json.access_expires_at > Date.now() && r.json.access_expires_at <= Date.now() + 901000,
				`access_expires_at ${r.json.access_expires_at}`);
			assert.match(r.json.access_token, /^v1\.\d+\.\d+\.\d+\.[A-Za-z0-9_-]+$/);
			assert.match(r.json.refresh_token, /^[A-Za-z0-9_-]{43}$/);
			made.push({ user: r.json.user, id: r.json.user.id, access: r.json.access_token, phone: norm });
			secrets.push(norm, r.json.access_token, r.json.refresh_token);
		}
		[alice, bob, carol, dave] = made;
		assert.equal(new Set(made.map((m) => m.id)).size, 4, 'distinct ids');
		assert.equal(made[2].user.display_name, '陈师傅');
	});

	await step('a phone registered once cannot register again, in any spelling', async () => {
		for (const spelling of ['13800138001', '+8613800138001', '138 0013 8001', '８６１３８００１３８００１']) {
			expectError(await gw.request('POST', '/v1/auth/register',
				{ body: { phone: spelling, password: 'another-pass-1', display_name: 'x' } }), 409, 'conflict', 'phone', spelling);
		}
	});

	await step('login accepts any spelling of the phone; /v1/me shows the owner everything', async () => {
		const s = await login(gw, '+86 138 0013 8001');
		assert.equal(s.id, alice.id);
		secrets.push(s.access, s.refresh);
		const m = await me(gw, s.access);
		assert.deepEqual(m.user, { id: alice.id, display_name: '王阿姨', phone: '13800138001', ip_region: null, phone_verified: false });
		assert.deepEqual(m.memberships, []);
		assert.equal(m.is_admin, false);
		assert.equal(m.unread_notifications, 0);
		expectError(await gw.request('POST', '/v1/auth/login',
			{ body: { phone: '13800138001', password: 'wrong-password' } }), 401, 'unauthorized');
	});

	await step('create-admin on the command line makes an admin who logs in over HTTP', async () => {
		const phone = '18800000001';
		const pw = 'admin-secret-pw';
		secrets.push(phone, pw, PASSWORD);
		adminId = await createAdmin(gw, phone, pw);
		admin = await login(gw, phone, pw);
		secrets.push(admin.access, admin.refresh);
		assert.equal(admin.id, adminId);
		const m = await me(gw, admin.access);
		assert.equal(m.is_admin, true);
		assert.equal(m.user.phone, phone);
		// Residents are not admins and cannot make communities.
		expectError(await gw.request('POST', '/v1/communities',
			{ token: alice.access, body: { name: 'x', grids: ['a'] } }), 403, 'forbidden');
	});

	await step('the admin creates communities with grids', async () => {
		const r = await gw.request('POST', '/v1/communities',
			{ token: admin.access, body: { name: '阳光花园社区', grids: ['一网格', '二网格', '三网格'] } });
		expectStatus(r, 201, 'create community');
		community = r.json.community;
		assert.ok(Number.isInteger(community.id));
		assert.equal(community.name, '阳光花园社区');
		assert.deepEqual(community.grids, ['一网格', '二网格', '三网格']);
		assert.ok(community.created_at >= t0 && community.created_at <= Date.now(), `created_at ${community.created_at}`);
		const r2 = await gw.request('POST', '/v1/communities',
			{ token: admin.access, body: { name: '翠湖苑', grids: ['东区'] } });
		expectStatus(r2, 201);
		other = r2.json.community;
		assert.notEqual(other.id, community.id);
		const g = await gw.request('GET', `/v1/communities/${community.id}`, { token: admin.access });
		expectStatus(g, 200);
		const { help_categories: cats, ...rest } = g.json.community;
		assert.deepEqual(rest, community);
		assert.deepEqual(cats, ['errand', 'elderly_care', 'repair', 'medical_escort', 'childcare', 'other'], 'the forms\' categories');
	});

	await step('the admin appoints bob staff; bob sees it in /v1/me', async () => {
		const r = await gw.request('POST', `/v1/communities/${community.id}/staff`,
			{ token: admin.access, body: { user_id: bob.id } });
		expectStatus(r, 200, 'appoint');
		assert.equal(r.json.membership.community_id, community.id);
		assert.equal(r.json.membership.role, 'staff');
		assert.equal(r.json.membership.volunteer, false);
		const m = await me(gw, bob.access);
		assert.deepEqual(m.memberships, [{ community_id: community.id, role: 'staff', volunteer: false }]);
		assert.equal(m.is_admin, false);
		expectError(await gw.request('POST', `/v1/communities/${community.id}/staff`,
			{ token: admin.access, body: { user_id: 999999 } }), 404, 'not_found', 'user_id');
		expectError(await gw.request('POST', '/v1/communities/999999/staff',
			{ token: admin.access, body: { user_id: bob.id } }), 404, 'not_found');
	});

	await step('staff create an invite; residents join with it (case, spaces and dashes ignored)', async () => {
		const before = Date.now();
		const r = await gw.request('POST', `/v1/communities/${community.id}/invites`,
			{ token: bob.access, body: { role: 'resident', max_uses: 2 } });
		expectStatus(r, 201, 'invite');
		assert.match(r.json.code, /^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
		assert.equal(r.json.role, 'resident');
		assert.equal(r.json.max_uses, 2);
		const week = 604800 * 1000;
		assert.ok(r.json.expires_at >= before + week && r.json.expires_at <= Date.now() + week,
			`expires_at ${r.json.expires_at} is invite_ttl_s from now`);
		inviteCode = r.json.code;
		const typed = `${inviteCode.slice(0, 4).toLowerCase()}-${inviteCode.slice(4)} `;
		const j = await gw.request('POST', `/v1/communities/${community.id}/join`,
			{ token: alice.access, body: { code: typed } });
		expectStatus(j, 200, 'alice joins');
		assert.equal(j.json.membership.community_id, community.id);
		assert.equal(j.json.membership.role, 'resident');
		assert.equal(j.json.membership.volunteer, false);
		// Joining again changes nothing and uses nothing up.
		expectStatus(await gw.request('POST', `/v1/communities/${community.id}/join`,
			{ token: alice.access, body: { code: inviteCode } }), 200, 'alice again');
		expectStatus(await gw.request('POST', `/v1/communities/${community.id}/join`,
			{ token: carol.access, body: { code: inviteCode } }), 200, 'carol joins');
		// Two uses: dave is too late.
		expectError(await gw.request('POST', `/v1/communities/${community.id}/join`,
			{ token: dave.access, body: { code: inviteCode } }), 409, 'conflict', 'code');
		// A code is bound to its community.
		expectError(await gw.request('POST', `/v1/communities/${other.id}/join`,
			{ token: dave.access, body: { code: inviteCode } }), 404, 'not_found', 'code');
		expectError(await gw.request('POST', `/v1/communities/${community.id}/join`,
			{ token: dave.access, body: { code: 'ZZZZZZZZ' } }), 404, 'not_found', 'code');
		const m = await me(gw, alice.access);
		assert.deepEqual(m.memberships, [{ community_id: community.id, role: 'resident', volunteer: false }]);
		assert.equal(m.user.phone, alice.phone, 'own phone unmasked');
	});

	await step('an expired invite answers 409', async () => {
		const inv = await gw.request('POST', `/v1/communities/${other.id}/invites`,
			{ token: admin.access, body: { role: 'resident', expires_in_s: 60 } });
		expectStatus(inv, 201);
		// Sixty seconds is the shortest lifetime; age this one in the database.
		await sql(gw, `UPDATE invites SET expires_at = ${Date.now() - 1000} WHERE code = '${inv.json.code}'`);
		expectError(await gw.request('POST', `/v1/communities/${other.id}/join`,
			{ token: dave.access, body: { code: inv.json.code } }), 409, 'conflict', 'code');
		// dave joins the other community with a fresh invite instead.
		const fresh = await gw.request('POST', `/v1/communities/${other.id}/invites`,
			{ token: admin.access, body: { role: 'resident' } });
		expectStatus(await gw.request('POST', `/v1/communities/${other.id}/join`,
			{ token: dave.access, body: { code: fresh.json.code } }), 200);
	});

	await step('phones: owner and staff of a shared community see them, others see them masked', async () => {
		// Staff (bob) list the members of their community with phones.
		const items = await listAll(gw, bob.access, `/v1/communities/${community.id}/members`);
		const byId = new Map(items.map((m) => [m.user_id, m]));
		assert.deepEqual([...byId.keys()].sort((a, b) => a - b), [alice.id, bob.id, carol.id].sort((a, b) => a - b));
		assert.equal(byId.get(alice.id).user.phone, alice.phone, 'staff see a member\'s phone');
		assert.equal(byId.get(carol.id).user.phone, carol.phone);
		assert.equal(byId.get(bob.id).user.phone, bob.phone, 'own phone');
		assert.equal(byId.get(alice.id).role, 'resident');
		assert.equal(byId.get(bob.id).role, 'staff');
		assert.equal(byId.get(alice.id).user.display_name, '王阿姨');
		assert.ok(byId.get(alice.id).joined_at >= t0);
		// Residents may not list members at all.
		expectError(await gw.request('GET', `/v1/communities/${community.id}/members`,
			{ token: alice.access }), 403, 'forbidden');
		// The admin is neither owner nor staff of a shared community: masked.
		const asAdmin = await listAll(gw, admin.access, `/v1/communities/${community.id}/members`);
		for (const m of asAdmin) {
			const phone = [alice, bob, carol].find((u) => u.id === m.user_id).phone;
			assert.equal(m.user.phone, masked(phone), `admin sees ${m.user_id}'s phone masked`);
			assert.match(m.user.phone, /^1\d\d\*{4}\d{4}$/);
		}
		// Staff of one community see nothing of another's members.
		expectError(await gw.request('GET', `/v1/communities/${other.id}/members`,
			{ token: bob.access }), 403, 'forbidden');
		// dave (other community only) appears masked in the other community's list to the admin.
		const otherMembers = await listAll(gw, admin.access, `/v1/communities/${other.id}/members`);
		assert.deepEqual(otherMembers.map((m) => [m.user_id, m.user.phone]), [[dave.id, masked(dave.phone)]]);
	});

	await step('a member sets a volunteer profile; unknown categories or grids are refused by field', async () => {
		const path = `/v1/communities/${community.id}/volunteer`;
		const r = await gw.request('PUT', path, { token: alice.access,
			body: { categories: ['errand', 'elderly_care'], grids: ['二网格'], active: true } });
		expectStatus(r, 200, 'volunteer');
		const { updated_at, ...profile } = r.json.volunteer;
		assert.ok(Number.isInteger(updated_at), r.text);
		assert.deepEqual(profile, { community_id: community.id, categories: ['errand', 'elderly_care'], grids: ['二网格'], active: true, quiet_hours: null });
		assert.equal(r.json.membership.volunteer, true);
		assert.deepEqual((await me(gw, alice.access)).memberships,
			[{ community_id: community.id, role: 'resident', volunteer: true }]);
		expectError(await gw.request('PUT', path, { token: alice.access,
			body: { categories: ['errand', 'dog_walking'], grids: [], active: true } }), 400, 'bad_request', 'categories');
		expectError(await gw.request('PUT', path, { token: alice.access,
			body: { categories: ['errand'], grids: ['东区'], active: true } }), 400, 'bad_request', 'grids');
		expectError(await gw.request('PUT', path, { token: alice.access,
			body: { categories: ['errand'], grids: ['一网格'], active: 'yes' } }), 400, 'bad_request', 'active');
		// The refused updates changed nothing.
		assert.equal((await me(gw, alice.access)).memberships[0].volunteer, true);
		// Non-members may not volunteer here.
		expectError(await gw.request('PUT', path, { token: dave.access,
			body: { categories: ['errand'], grids: [], active: true } }), 403, 'forbidden');
		// Switching off.
		const off = await gw.request('PUT', path, { token: alice.access,
			body: { categories: ['errand'], grids: ['一网格'], active: false } });
		expectStatus(off, 200);
		assert.equal(off.json.membership.volunteer, false);
		assert.equal((await me(gw, alice.access)).memberships[0].volunteer, false);
		// The members list shows volunteers.
		const r2 = await gw.request('PUT', path, { token: carol.access,
			body: { categories: ['repair'], grids: ['三网格', '一网格'] } });
		expectStatus(r2, 200);
		assert.equal(r2.json.volunteer.active, true, 'active defaults to true');
		const items = await listAll(gw, bob.access, `/v1/communities/${community.id}/members`);
		assert.equal(items.find((m) => m.user_id === carol.id).volunteer, true);
		assert.equal(items.find((m) => m.user_id === alice.id).volunteer, false);
	});

	let changedAt;
	await step('staff change a role; the new staff member then sees phones', async () => {
		const before = Date.now();
		const r = await gw.request('PUT', `/v1/communities/${community.id}/members/${alice.id}`,
			{ token: bob.access, body: { role: 'staff' } });
		expectStatus(r, 200, 'promote alice');
		changedAt = [before, Date.now()];
		assert.equal(r.json.membership.role, 'staff');
		assert.deepEqual((await me(gw, alice.access)).memberships.map((m) => m.role), ['staff']);
		const items = await listAll(gw, alice.access, `/v1/communities/${community.id}/members`);
		assert.equal(items.find((m) => m.user_id === carol.id).user.phone, carol.phone);
		// Demoted again by the admin: masked no more, no list either.
		expectStatus(await gw.request('PUT', `/v1/communities/${community.id}/members/${alice.id}`,
			{ token: admin.access, body: { role: 'resident' } }), 200, 'demote alice');
		expectError(await gw.request('GET', `/v1/communities/${community.id}/members`,
			{ token: alice.access }), 403, 'forbidden');
		expectError(await gw.request('PUT', `/v1/communities/${community.id}/members/${dave.id}`,
			{ token: bob.access, body: { role: 'staff' } }), 404, 'not_found', 'uid');
		expectError(await gw.request('PUT', `/v1/communities/${community.id}/members/${carol.id}`,
			{ token: bob.access, body: { role: 'admin' } }), 400, 'bad_request', 'role');
	});

	await step('the audit log records every change with its actor and time, newest first', async () => {
		const all = await listAll(gw, bob.access, `/v1/communities/${community.id}/audit`, 200);
		t.diagnostic(`audit log of community ${community.id}:`);
		for (const e of all)
			t.diagnostic(`  #${e.id} ${e.action} by ${e.actor_id} on ${e.target_user ?? '-'} ${JSON.stringify(e.detail)} at +${e.at - t0} ms`);
		const ids = all.map((e) => e.id);
		assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
		assert.equal(new Set(ids).size, ids.length, 'pages neither overlap nor repeat');
		const summary = all.slice().reverse().map((e) => [e.action, e.actor_id, e.target_user ?? null, e.detail]);
		assert.deepEqual(summary, [
			['community.create', adminId, null, { name: '阳光花园社区' }],
			['member.appoint', adminId, bob.id, { from: 'none', to: 'staff' }],
			['invite.create', bob.id, null, { role: 'resident', max_uses: 2 }],
			['member.join', alice.id, alice.id, { from: 'none', to: 'resident' }],
			['member.join', carol.id, carol.id, { from: 'none', to: 'resident' }],
			['member.role', bob.id, alice.id, { from: 'resident', to: 'staff' }],
			['member.role', adminId, alice.id, { from: 'staff', to: 'resident' }],
		]);
		const promo = all.find((e) => e.action === 'member.role' && e.actor_id === bob.id);
		assert.ok(promo.at >= changedAt[0] && promo.at <= changedAt[1],
			`role change at ${promo.at}, within [${changedAt}]`);
		for (const e of all) assert.ok(e.at >= t0 && e.at <= Date.now(), `at ${e.at}`);
		// The other community's log is separate, and residents cannot read logs.
		const otherLog = await listAll(gw, admin.access, `/v1/communities/${other.id}/audit`);
		assert.ok(otherLog.every((e) => e.action !== 'member.role'));
		expectError(await gw.request('GET', `/v1/communities/${community.id}/audit`,
			{ token: alice.access }), 403, 'forbidden');
	});

	await step('members and audit lists page with ?limit=&cursor=', async () => {
		const one = await listAll(gw, bob.access, `/v1/communities/${community.id}/audit`, 200);
		const paged = await listAll(gw, bob.access, `/v1/communities/${community.id}/audit`, 2);
		assert.deepEqual(paged.map((e) => e.id), one.map((e) => e.id), 'audit pages = the whole log');
		const members = await listAll(gw, bob.access, `/v1/communities/${community.id}/members`, 200);
		const pagedMembers = await listAll(gw, bob.access, `/v1/communities/${community.id}/members`, 1);
		assert.deepEqual(pagedMembers.map((m) => m.user_id), members.map((m) => m.user_id), 'member pages = every member');
		// Parameters in either order.
		const r = await gw.request('GET', `/v1/communities/${community.id}/audit?cursor=${one[0].id}&limit=1`, { token: bob.access });
		expectStatus(r, 200, 'cursor before limit');
		assert.deepEqual(r.json.items.map((e) => e.id), [one[1].id]);
	});

	await step('no phone number, password or token reached the log', async () => {
		const log = fs.readFileSync(gw.logPath, 'utf8');
		for (const s of new Set(secrets)) assert.ok(!log.includes(s), `the log contains ${s.slice(0, 6)}…`);
	});
});
