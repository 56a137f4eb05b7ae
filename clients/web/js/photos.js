// Photos on the page: choose or take up to 9, each scaled down in the
// browser (long side 2560 px, JPEG) before it is sent, with a progress bar
// while it uploads and a retry when it fails; and the thumbnails of what an
// item carries, each opening the full photo. Photos are read with the
// member's token (they are private to the item's community), so each is
// fetched and shown from a blob: URL.
import { h, replace, uid } from './dom.js';
import { t } from './i18n.js';
import * as api from './api.js';
import { errText } from './ui.js';

export const MAX_PHOTOS = 9;
const LONG_SIDE = 2560;

// A file scaled to fit LONG_SIDE, upright (the browser applies the EXIF
// orientation), as a JPEG blob; the file itself when the browser cannot.
async function downscale(file) {
  try {
    const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const k = Math.min(1, LONG_SIDE / Math.max(bmp.width, bmp.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bmp.width * k);
    canvas.height = Math.round(bmp.height * k);
    canvas.getContext('2d').drawImage(bmp, 0, 0, canvas.width, canvas.height);
    bmp.close?.();
    const blob = await new Promise((res) => canvas.toBlob(res, 'image/jpeg', 0.85));
    return blob || file;
  } catch { return file; } // HEIC and others the browser cannot draw: the server converts them
}

// POST /v1/uploads with progress (fetch cannot report an upload's).
async function send(blob, onProgress) {
  const token = await api.accessToken();
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/v1/uploads');
    if (token) x.setRequestHeader('Authorization', `Bearer ${token}`);
    x.setRequestHeader('Content-Type', blob.type && blob.type.startsWith('image/') ? blob.type : 'image/jpeg');
    x.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    x.onload = () => {
      let j = {};
      try { j = JSON.parse(x.responseText); } catch { /* not JSON */ }
      if (x.status === 201 && j.upload) resolve(j.upload);
      else reject(new api.ApiError(x.status, j.error?.code || 'http_' + x.status, j.error?.message || '', { field: j.error?.field, body: j }));
    };
    x.onerror = () => reject(new api.ApiError(0, 'offline', 'network'));
    x.send(blob);
  });
}

// An <img> of an upload's url, fetched with the member's token.
export function authImage(url, alt, cls = '') {
  const img = h('img', { alt, class: cls, loading: 'lazy', decoding: 'async' });
  (async () => {
    const token = await api.accessToken();
    const r = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!r.ok) throw new Error(String(r.status));
    img.src = URL.createObjectURL(await r.blob());
  })().catch(() => { img.alt = t('photo_unavailable'); img.classList.add('photo-missing'); });
  return img;
}

// The viewer: the full photo over the page; Esc, a tap or the button closes.
function openViewer(u, label) {
  const close = () => { box.remove(); document.removeEventListener('keydown', onKey); opener?.focus(); };
  const onKey = (e) => { if (e.key === 'Escape') close(); };
  const opener = document.activeElement;
  const btn = h('button', { type: 'button', class: 'viewer-close', onclick: close }, t('close_viewer'));
  const box = h('div', { class: 'viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': label, onclick: (e) => { if (e.target === box) close(); } },
    authImage(u.url, label, 'viewer-img'), btn);
  document.body.append(box);
  document.addEventListener('keydown', onKey);
  btn.focus();
}

// The thumbnails an item carries (attachments), each a button to enlarge.
export function photoStrip(attachments, what = '') {
  if (!attachments?.length) return null;
  return h('ul', { class: 'photo-strip' }, attachments.map((u, i) => {
    const label = t('photo_n', { n: i + 1, of: attachments.length }) + (what ? ` · ${what}` : '');
    // Held by the content check: its uploader and staff see it, with a tag;
    // for others it waits for review.
    return h('li', null, h('button', { type: 'button', class: 'photo-thumb', 'aria-label': label, onclick: () => openViewer(u, label) },
      authImage(u.thumb_url, u.held ? t('photo_held') : '', 'thumb')), u.held && h('span', { class: 'tag tag-amber' }, t('photo_held')));
  }));
}

// The picker of a form: choose (or take) photos, each uploaded at once.
// ids(): the uploads done, in order; pending(): any still sending or failed.
export function photoPicker() {
  const items = []; // {state: 'sending'|'done'|'failed', upload, el}
  const list = h('ul', { class: 'photo-picks', 'aria-live': 'polite' });
  const note = h('p', { class: 'hint', id: uid('photos-note') }, t('photos_hint', { n: MAX_PHOTOS }));
  const inputId = uid('photos'), camId = uid('camera');
  const pickInput = h('input', { type: 'file', id: inputId, accept: 'image/*', multiple: true, class: 'sr-only', 'aria-describedby': note.id });
  const camInput = h('input', { type: 'file', id: camId, accept: 'image/*', capture: 'environment', class: 'sr-only' });
  const live = () => items.filter((x) => x.state !== 'removed');

  function draw(item) {
    const bar = h('progress', { max: '1', value: String(item.progress || 0), 'aria-label': t('uploading') });
    const kids = [];
    if (item.state === 'sending') kids.push(h('span', { class: 'muted' }, t('uploading')), bar);
    if (item.state === 'done') kids.push(authImage(item.upload.thumb_url, t('photo_n', { n: live().indexOf(item) + 1, of: live().length }), 'thumb'));
    if (item.state === 'failed') kids.push(h('span', { class: 'form-error' }, item.error),
      h('button', { type: 'button', onclick: () => upload(item) }, t('retry')));
    kids.push(h('button', { type: 'button', class: 'link', onclick: () => { item.state = 'removed'; item.el.remove(); } }, t('remove_photo')));
    replace(item.el, kids);
  }
  async function upload(item) {
    item.state = 'sending';
    item.progress = 0;
    draw(item);
    try {
      const blob = item.blob || (item.blob = await downscale(item.file));
      item.upload = await send(blob, (p) => { item.progress = p; const b = item.el.querySelector('progress'); if (b) b.value = p; });
      item.state = 'done';
    } catch (e) {
      item.state = 'failed';
      item.error = errText(e);
    }
    if (item.state !== 'removed') draw(item);
  }
  const add = (files) => {
    for (const file of files) {
      if (live().length >= MAX_PHOTOS) { note.textContent = t('photos_full', { n: MAX_PHOTOS }); break; }
      const item = { file, el: h('li', { class: 'photo-pick' }) };
      items.push(item);
      list.append(item.el);
      upload(item);
    }
  };
  pickInput.addEventListener('change', () => { add([...pickInput.files]); pickInput.value = ''; });
  camInput.addEventListener('change', () => { add([...camInput.files]); camInput.value = ''; });
  return {
    el: h('div', { class: 'field photos' },
      h('span', { class: 'label' }, t('photos')),
      h('div', { class: 'actions' },
        h('label', { for: inputId, class: 'button' }, t('add_photos')), pickInput,
        h('label', { for: camId, class: 'button' }, t('take_photo')), camInput),
      note, list),
    ids: () => live().filter((x) => x.state === 'done').map((x) => x.upload.id),
    pending: () => live().some((x) => x.state !== 'done'),
    reset: () => { items.length = 0; replace(list); note.textContent = t('photos_hint', { n: MAX_PHOTOS }); },
  };
}
