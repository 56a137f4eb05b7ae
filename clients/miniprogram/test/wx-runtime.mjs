// What the WeChat runtime gives the mini-program besides sockets, over
// real HTTP in Node: wx.request (JSON bodies, data parsed as wx does),
// wx.uploadFile (multipart/form-data with the `file` part, formData
// fields, the body handed back as text, as wx does) and storage.
// Adds them to wx (e.g. the SDK's SocketTask stand-in) and returns it.
import fs from 'node:fs';
import path from 'node:path';

export function withRuntime(wx = {}) {
  const storage = new Map();
  return Object.assign(wx, {
    request({ url, method = 'GET', data, header = {}, success, fail }) {
      fetch(url, { method, headers: header, body: data === undefined || method === 'GET' ? undefined : JSON.stringify(data) })
        .then(async (r) => {
          const text = await r.text();
          let body = text;
          try { body = text ? JSON.parse(text) : ''; } catch { /* text */ }
          success({ statusCode: r.status, data: body, header: Object.fromEntries(r.headers) });
        }, (e) => fail({ errMsg: `request:fail ${e.message}` }));
    },
    uploadFile({ url, filePath, name, header = {}, formData = {}, success, fail }) {
      const boundary = `----WeChatUpload${Date.now().toString(16)}`;
      const fields = Object.entries(formData).map(([k, v]) =>
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
      const body = Buffer.concat([...fields,
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${path.basename(filePath)}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n'),
        fs.readFileSync(filePath), Buffer.from(`\r\n--${boundary}--\r\n`)]);
      fetch(url, { method: 'POST', headers: { ...header, 'content-type': `multipart/form-data; boundary=${boundary}` }, body })
        .then(async (r) => success({ statusCode: r.status, data: await r.text() }),
          (e) => fail({ errMsg: `uploadFile:fail ${e.message}` }));
    },
    getStorageSync: (k) => (storage.has(k) ? structuredClone(storage.get(k)) : ''),
    setStorageSync: (k, v) => { storage.set(k, structuredClone(v)); },
    removeStorageSync: (k) => { storage.delete(k); },
  });
}
