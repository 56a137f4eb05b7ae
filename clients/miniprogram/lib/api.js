// REST over wx.request for the mini-program: the session in wx storage,
// refreshed before expiry and on 401, and an Idempotency-Key on every POST
// (a retried claim never counts twice).

const SESSION = 'linli.session';

export class ApiError extends Error {
  constructor(status, code, message) { super(message || code); this.status = status; this.code = code; }
}

function newKey() {
  let s = '';
  for (let i = 0; i < 32; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

export function createApi({ wx, baseUrl }) {
  let refreshing = null;

  const session = () => wx.getStorageSync(SESSION) || null;
  const save = (j) => {
    if (!j) { wx.removeStorageSync(SESSION); return; }
    const old = session();
    wx.setStorageSync(SESSION, {
      user: j.user || old?.user, access: j.access_token, refresh: j.refresh_token,
      expiresAt: j.access_expires_at || Date.now() + 15 * 60000,
    });
  };

  function raw(method, path, body, header = {}) {
    return new Promise((resolve, reject) => {
      wx.request({
        url: baseUrl + path, method, data: body, header: { 'content-type': 'application/json', ...header },
        success: (res) => resolve(res),
        fail: (e) => reject(new ApiError(0, 'offline', e.errMsg)),
      });
    });
  }

  async function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const s = session();
        if (!s) throw new ApiError(401, 'unauthorized', 'not logged in');
        const r = await raw('POST', '/v1/auth/refresh', { refresh_token: s.refresh });
        if (r.statusCode !== 200) { if (r.statusCode === 401) save(null); throw new ApiError(r.statusCode, 'unauthorized', 'refresh failed'); }
        save(r.data);
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function accessToken() {
    const s = session();
    if (!s) return null;
    if (s.expiresAt - Date.now() < 60000) await refresh();
    return session()?.access ?? null;
  }

  async function request(method, path, body, retried = false, key = method === 'POST' ? newKey() : undefined) {
    const header = {};
    const tok = await accessToken();
    if (tok) header.Authorization = `Bearer ${tok}`;
    if (key) header['Idempotency-Key'] = key;
    const r = await raw(method, path, body, header);
    if (r.statusCode === 401 && !retried && session()) { await refresh(); return request(method, path, body, true, key); }
    if (r.statusCode >= 400) {
      const e = (r.data && r.data.error) || {};
      throw new ApiError(r.statusCode, e.code || 'http_' + r.statusCode, e.message);
    }
    return r.data || {};
  }

  async function login(phone, password) {
    const r = await raw('POST', '/v1/auth/login', { phone, password });
    if (r.statusCode !== 200) throw new ApiError(r.statusCode, r.data?.error?.code || 'unauthorized', r.data?.error?.message);
    save(r.data);
    return r.data;
  }

  // A photo (a temporary file from wx.chooseMedia) to POST /v1/uploads,
  // sent as WeChat sends files: multipart/form-data with a `file` part.
  // Resolves with the upload; attach its id to a post, help request or
  // request (attachments: [id]).
  async function upload(filePath, retried = false, key = newKey()) {
    const tok = await accessToken();
    const header = { 'Idempotency-Key': key };
    if (tok) header.Authorization = `Bearer ${tok}`;
    const r = await new Promise((resolve, reject) => {
      wx.uploadFile({
        url: baseUrl + '/v1/uploads', filePath, name: 'file', header,
        success: resolve, fail: (e) => reject(new ApiError(0, 'offline', e.errMsg)),
      });
    });
    let data = {};
    try { data = typeof r.data === 'string' ? JSON.parse(r.data) : r.data || {}; } catch { /* not JSON */ }
    if (r.statusCode === 401 && !retried && session()) { await refresh(); return upload(filePath, true, key); }
    if (r.statusCode !== 201) {
      const e = data.error || {};
      throw new ApiError(r.statusCode, e.code || 'http_' + r.statusCode, e.message);
    }
    return data.upload;
  }

  return {
    session, login, accessToken, request, upload,
    get: (p) => request('GET', p),
    post: (p, b) => request('POST', p, b),
    logout: () => save(null),
  };
}

// What went wrong, in Chinese, from the error's code (the server's message
// is in English and for logs only).
const ERR = {
  offline: '网络不可用，请稍后重试', bad_request: '提交的内容有误', unauthorized: '登录已失效，请重新登录',
  forbidden: '没有权限', not_found: '内容不存在或已删除', conflict: '状态已变化，请刷新后重试',
  rate_limited: '操作太频繁，请稍后再试', payload_too_large: '内容太长', unavailable: '服务器繁忙，请稍后再试',
  internal: '服务器出错，请稍后再试',
};
export function errText(e) {
  return (e && ERR[e.code]) || (e && e.status >= 500 ? ERR.internal : '操作失败，请稍后再试');
}
