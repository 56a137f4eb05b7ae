// 50 volunteers claim the same request at once: exactly one wins.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { volunteer, createHelp, getHelp, inbox } from './lib/help.mjs';

itest('50 concurrent claims: one 200, 49 x 409, volunteer_id is the winner', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [asker, ...vols] } = await forumWorld(gw, { residents: 51, other: false });
	for (const v of vols) await volunteer(gw, v, A.id, { grids: ['二网格'] });
	const req = await createHelp(gw, asker, A.id, { grid: '二网格' });
	assert.equal(req.notified, 50);
	const res = await Promise.all(vols.map((v) => gw.request('POST', `/v1/help/${req.id}/claim`, { token: v.access })));
	const codes = res.map((r) => r.status);
	const ok = codes.flatMap((c, i) => (c === 200 ? [i] : []));
	assert.equal(ok.length, 1, `exactly one 200; got ${JSON.stringify(codes)}`);
	assert.equal(codes.filter((c) => c === 409).length, 49, `49 x 409; got ${JSON.stringify(codes)}`);
	const winner = vols[ok[0]];
	assert.equal(res[ok[0]].json.request.volunteer_id, winner.id);
	const now = await getHelp(gw, staff, req.id);
	assert.equal(now.status, 'claimed');
	assert.equal(now.volunteer_id, winner.id);
	const claimed = (await inbox(gw, asker)).items.filter((n) => n.type === 'help.claimed');
	assert.equal(claimed.length, 1, 'the requester is told once');
	assert.equal(claimed[0].data.volunteer_id, winner.id);
});
