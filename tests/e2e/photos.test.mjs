// Photos in the browser (issue 16): a resident asking for help picks a
// phone photo (scaled down in the page, a progress bar, then its
// thumbnail) and a file that is not a photo (refused, with a retry and a
// way to remove it; the form will not send while it stands); the request
// goes out with the photo, a volunteer's page shows its thumbnail, a tap
// opens the full photo, Esc closes it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld } from '../integration/lib/forums.mjs';
import { volunteer } from '../integration/lib/help.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot } from './lib.mjs';

itest('照片: picked, scaled, uploaded with progress, refused with a retry; shown to the volunteer, enlarged on a tap', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { A, residents: [asker, vol] } = await forumWorld(gw, { residents: 2, other: false });
  await volunteer(gw, vol, A.id, { categories: ['errand'] });
  const dir = await h.tmpdir();
  const photo = path.join(dir, 'pipe.jpg'), text = path.join(dir, 'notes.jpg');
  execFileSync('vips', ['gaussnoise', path.join(dir, 'n.v'), '3000', '2000']);
  execFileSync('vips', ['jpegsave', path.join(dir, 'n.v'), photo, '--Q', '80']);
  fs.writeFileSync(text, '这不是照片');

  const b = await browser(h);
  const vp = await openAs(b, gw, vol, `/c/${A.id}/help`);
  const ap = await openAs(b, gw, asker, `/c/${A.id}/help`);
  const form = ap.locator('#help-form');
  await form.getByLabel('标题').fill('水管漏水，帮忙看看');
  await form.getByLabel('联系方式').fill('13900001111');
  await form.locator('input[type=file]:not([capture])').setInputFiles([photo, text]);
  const picks = form.locator('.photo-pick');
  await picks.nth(0).locator('img.thumb').waitFor();
  await picks.nth(1).getByRole('button', { name: '重试' }).waitFor(); // the server refused it
  await form.getByRole('button', { name: '发布求助' }).click();
  await form.locator('[role=alert]', { hasText: '照片还没有上传完成' }).waitFor();
  await picks.nth(1).getByRole('button', { name: '移除' }).click();
  assert.equal(await picks.count(), 1);
  // What was sent is the page's scaled copy: 2560 px at most, not 3000.
  const sent = await ap.evaluate(async () => {
    const img = document.querySelector('#help-form .photo-pick img.thumb');
    return img.naturalWidth;
  });
  assert.ok(sent > 0 && sent <= 360, `a thumbnail (${sent} px)`);
  await form.getByRole('button', { name: '发布求助' }).click();

  // The volunteer's page: the request with its photo; a tap enlarges it.
  const item = vp.locator('#help-list li', { hasText: '水管漏水' });
  const thumb = item.locator('.photo-strip button');
  await thumb.locator('img').waitFor();
  await vp.waitForFunction(() => document.querySelector('.photo-strip img')?.naturalWidth > 0);
  await thumb.click();
  const viewer = vp.getByRole('dialog');
  await viewer.waitFor();
  await vp.waitForFunction(() => document.querySelector('.viewer-img')?.naturalWidth > 0);
  const full = await vp.evaluate(() => [document.querySelector('.viewer-img').naturalWidth, document.querySelector('.viewer-img').naturalHeight]);
  assert.deepEqual(full, [2560, 1707], 'scaled in the page to 2560 px wide, kept so');
  const box = await vp.locator('.viewer-img').boundingBox();
  assert.ok(box && box.width >= 300 && box.height >= 200, `shown across the phone's width (${JSON.stringify(box)})`);
  await vp.locator('.viewer-img').evaluate((img) => img.decode()); // painted, for the picture
  await shot(vp, 'photo-viewer');
  await vp.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });
  noErrors(assert, ap, vp);
});
