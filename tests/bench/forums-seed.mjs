// Seeds a forum for the benchmark: THREADS threads and POSTS posts spread
// over them, through the HTTP API (so every post also writes its event).
// usage: node forums-seed.mjs URL TOKEN CID THREADS POSTS
const [url, token, cid, nThreads, nPosts] = process.argv.slice(2);
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
const words = ['停水', '电梯', '垃圾分类', '停车位', '绿化', '噪音', '快递柜', '物业费', '儿童乐园', '路灯'];
async function post(path, body) {
	const r = await fetch(url + path, { method: 'POST', headers, body: JSON.stringify(body) });
	if (r.status !== 201) throw new Error(`${path}: ${r.status} ${await r.text()}`);
	return r.json();
}
async function pool(n, width, fn) {
	let next = 0;
	await Promise.all(Array.from({ length: width }, async () => {
		while (next < n) await fn(next++);
	}));
}
const tids = [];
await pool(+nThreads, 16, async (i) => {
	const w = words[i % words.length];
	const { thread } = await post(`/v1/communities/${cid}/threads`,
		{ title: `关于${w}的讨论 ${i}`, body: `大家对小区${w}问题有什么看法？编号${i}` });
	tids[i] = thread.id;
});
await pool(+nPosts, 32, async (i) => {
	const w = words[(i * 7) % words.length];
	await post(`/v1/threads/${tids[i % tids.length]}/posts`,
		{ body: `第${i}条回复：我觉得${w}这件事需要物业和居委会一起解决。` });
});
console.log(`seeded ${tids.length} threads, ${nPosts} posts`);
