// 登录页: phone and password, then on to the inbox of the first community
// where this user volunteers.
import { errText } from './api.js';

export function loginPage(wx, getApp) {
  return {
    data: { phone: '', password: '', error: '' },
    onPhone(e) { this.setData({ phone: e.detail.value }); },
    onPassword(e) { this.setData({ password: e.detail.value }); },
    async submit() {
      const app = getApp();
      try {
        await app.api.login(this.data.phone, this.data.password);
        app.startLive();
        const me = await app.api.get('/v1/me');
        const m = me.memberships.find((x) => x.volunteer) || me.memberships[0];
        if (!m) { this.setData({ error: '还没有加入社区' }); return; }
        wx.redirectTo({ url: `/pages/inbox/inbox?cid=${m.community_id}` });
      } catch (e) {
        this.setData({ error: e.status === 401 ? '手机号或密码不对' : errText(e) });
      }
    },
  };
}
