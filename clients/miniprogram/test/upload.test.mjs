// The mini-program sample's photo upload in Node: the wx.uploadFile
// stand-in (wx-runtime.mjs) sends the file as WeChat does (multipart, the
// `file` part, the caller's headers), against a real gateway. A resident
// picks a photo, it is uploaded and attached to a help request; a file
// that is not a photo is refused with its reason in Chinese.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { itest } from '../../../tests/integration/lib/harness.mjs';
import { FAST, PASSWORD } from '../../../tests/integration/lib/accounts.mjs';
import { forumWorld } from '../../../tests/integration/lib/forums.mjs';
import { createApi, errText } from '../lib/api.js';
import { withRuntime } from './wx-runtime.mjs';

itest('mini-program: a photo through wx.uploadFile, attached to a help request; a non-photo refused in Chinese', async (h) => {
  const gw = await h.gateway({ config: FAST });
  const { A, residents: [asker] } = await forumWorld(gw, { residents: 1, other: false });
  const api = createApi({ wx: withRuntime(), baseUrl: `http://127.0.0.1:${gw.port}` });
  await api.login(asker.phone, PASSWORD);
  const dir = await h.tmpdir();
  const photo = path.join(dir, 'tmp_1.jpg');
  execFileSync('vips', ['black', photo, '640', '480', '--bands', '3']);
  const up = await api.upload(photo);
  assert.deepEqual([up.width, up.height, up.attached], [640, 480, false]);
  const r = await api.post(`/v1/communities/${A.id}/help`, { category: 'errand', title: '帮忙修水管', details: '见照片',
    contact: '13900001111', attachments: [up.id] });
  assert.deepEqual(r.request.attachments.map((u) => u.id), [up.id]);

  const notPhoto = path.join(dir, 'tmp_2.jpg');
  fs.writeFileSync(notPhoto, '不是照片');
  await assert.rejects(api.upload(notPhoto), (e) => e.status === 400 && e.code === 'bad_request' && errText(e) === '提交的内容有误');
});
