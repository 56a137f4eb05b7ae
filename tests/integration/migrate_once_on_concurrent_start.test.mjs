// Two gateways started at the same moment on one fresh database migrate it
// once: SQLite's write lock, PostgreSQL's advisory lock. Each migration is
// applied by exactly one of them, and both then serve.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { itest, sql, ENGINE } from './lib/harness.mjs';

itest('two gateways starting together on an empty database migrate it once', async (h) => {
	const dir = await h.tmpdir('linli-gw-');
	const db = await h.newDb(dir); // empty: no gateway has opened it
	const [a, b] = await Promise.all([h.gateway({ name: 'A', db, dir }), h.gateway({ name: 'B', db, dir })]);
	const applied = (g) => fs.readFileSync(g.logPath, 'utf8').split('\n')
		.filter((l) => l.includes('store: applied migration')).length;
	const folder = new URL(`../../schema/${ENGINE}/`, import.meta.url);
	const migrations = fs.readdirSync(folder).filter((f) => /^\d{4}_.*\.sql$/.test(f)).length;
	const version = await sql(a, ENGINE === 'sqlite' ? 'PRAGMA user_version' : 'SELECT version FROM linli_schema');
	assert.equal(Number(version), migrations, 'the schema is at the last migration');
	assert.equal(applied(a) + applied(b), migrations, `each migration applied once (A ${applied(a)}, B ${applied(b)})`);
	for (const g of [a, b]) assert.equal((await g.request('GET', '/readyz')).status, 200);
});
