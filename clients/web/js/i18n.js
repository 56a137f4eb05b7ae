// Every user-facing string of the web app, Simplified Chinese first.
// t('key', {n: 3}) fills {n}; an unknown key shows the key itself so a
// missing translation is visible rather than blank.

const STRINGS = {
  zh: {
    app_name: '邻里', skip: '跳到正文', nav: '主导航', switch_lang: 'English',
    conn_idle: '未连接', conn_connecting: '连接中…', conn_live: '实时', conn_reconnecting: '重新连接中…（{n}）', conn_closed: '已断开',
    nav_home: '我的社区', nav_inbox: '通知', nav_logout: '退出登录', unread: '{n} 条未读',
    loading: '加载中…', error: '出错了：{msg}', retry: '重试', cancel: '取消', save: '保存', submit: '提交', back: '返回',
    offline_refused: '当前离线，操作未发送，请联网后重试。',
    queued: '已离线保存，联网后自动发送（{n} 项待发送）', queued_one: '已离线保存，联网后自动发送。',
    queued_failed: '离线保存的操作被拒绝：{msg}', queued_sent: '离线保存的操作已发送。',
    // auth
    login_title: '登录', register_title: '注册新账号', phone: '手机号', password: '密码', display_name: '昵称',
    login: '登录', register: '注册', password_hint: '至少 8 位', have_account: '已有账号？登录', no_account: '没有账号？注册',
    welcome: '欢迎来到邻里：社区议事与邻里互助。',
    // home
    my_communities: '我的社区', no_communities: '你还没有加入社区。请用居委会给你的邀请码加入。',
    join_title: '用邀请码加入社区', community_id: '社区编号', invite_code: '邀请码', join: '加入', joined: '已加入 {name}',
    role_resident: '居民', role_staff: '社区工作者', volunteer_on: '志愿者', open_forum: '议事厅', open_help: '邻里互助',
    open_volunteer: '志愿者资料', open_mod: '管理',
    // community
    threads: '议事厅', new_thread: '发起讨论', new_consultation: '发起协商（投票）', title: '标题', body: '内容',
    options: '选项（每行一个，2–10 个）', closes_at: '截止时间', live_tally: '投票中公开实时票数', create: '发布',
    no_threads: '还没有帖子。', search: '搜索', search_label: '搜索帖子', kind_consultation: '协商', kind_discussion: '讨论',
    announcement: '社区公告', pinned: '置顶', locked: '已锁定', closed: '已结束', by: '{name} 发布', votes_n: '{n} 人已投票',
    // thread
    posts: '回复', no_posts: '还没有回复。', write_post: '写回复', reply: '回复', replying_to: '回复 #{id}', send: '发送',
    report: '举报', report_reason: '举报理由', reported: '已举报，感谢你的反馈。', hide: '隐藏', restore: '恢复', reason: '理由', reason_optional: '理由（可选）',
    hidden_post: '（此回复已被隐藏）', pending_post: '（待审核）', post_pending_note: '你的回复正在等待审核。',
    lock: '锁定', unlock: '解锁', lock_reason: '锁定原因', thread_locked: '本帖已锁定：{reason}',
    pin: '置顶', unpin: '取消置顶', edited: '已编辑',
    consultation: '协商投票', countdown: '距截止还有 {t}', deadline_passed: '投票已截止', vote: '投票', vote_reason: '理由（可选）',
    voted: '你已投票：{opt}（截止前可修改）', vote_saved: '投票已记录', close_vote: '结束投票', tally: '投票结果',
    tally_row: '{opt}：{n} 票', outcome: '结果公告', outcome_summary: '结果说明', publish_outcome: '发布结果',
    no_outcome: '社区工作者尚未发布结果。', minority: '少数意见', no_minority: '没有少数意见。',
    days: '{n}天', hours: '{n}小时', minutes: '{n}分', seconds: '{n}秒',
    // help
    help: '邻里互助', ask_help: '我要求助', category: '类别', details: '详细说明', grid: '网格', any_grid: '不限',
    urgency: '紧急程度', normal: '普通', urgent: '紧急', contact: '联系方式', ask: '发布求助', no_help: '暂无求助。',
    help_created: '求助已发布，已通知 {n} 位志愿者。', claim: '认领', done: '完成', unclaim: '放弃', confirm: '确认完成',
    cancel_request: '取消求助', my_request: '我的求助', requested_by_me: '我发起的',
    st_open: '待认领', st_claimed: '已认领', st_done: '已完成', st_confirmed: '已确认', st_cancelled: '已取消', st_expired: '已过期',
    escalated: '已上报社区', cat_errand: '跑腿代办', cat_elderly_care: '助老', cat_repair: '维修', cat_medical_escort: '陪同就医',
    cat_childcare: '看护儿童', cat_other: '其他', claimed_ok: '已认领，请尽快联系求助人。', rating: '评分（1–5，可选）', thanks: '感谢的话（可选）',
    banner_new: '新的求助：{title}', banner_view: '查看', dismiss: '关闭',
    // volunteer
    volunteer_profile: '志愿者资料', categories: '服务类别', grids: '服务网格（不选表示全部）', status: '状态',
    active: '接单中', paused: '暂停', quiet_hours: '免打扰时段（紧急求助除外）', quiet_enable: '启用免打扰',
    quiet_start: '开始', quiet_end: '结束', saved: '已保存', service_hours: '我的服务时长',
    ledger_row: '完成 {r} 次，共 {m} 分钟', ledger_rating: '平均评分 {x}', no_ledger: '还没有服务记录。',
    profile_note: '紧急求助不受免打扰时段限制；暂停期间不会收到任何求助。',
    // inbox
    inbox: '通知', no_notes: '没有通知。', mark_read: '全部标为已读', new_badge: '新',
    n_help_request: '新求助：{title}', n_help_claimed: '你的求助已被认领：{title}', n_help_unclaimed: '志愿者放弃了：{title}',
    n_help_done: '志愿者已完成：{title}', n_help_confirmed: '求助人已确认：{title}', n_help_cancelled: '求助已取消：{title}',
    n_help_expired: '求助已过期：{title}', n_help_escalated: '紧急求助无人认领：{title}',
    n_moderation_action: '你的回复被处理（{action}）：{reason}', n_member_mute: '你已被禁言：{reason}',
    // staff
    moderation: '社区管理', mod_queue: '待处理', queue_empty: '没有待处理的内容。', reports_n: '{n} 人举报',
    mod_log: '管理记录', no_log: '暂无记录。', mute: '禁言', mute_user: '禁言成员', user_id: '用户编号', minutes_n: '时长（分钟）',
    announce: '发布社区公告', publish: '发布', published: '已发布', muted: '已禁言', invites: '邀请', invite_role: '角色', max_uses: '可用次数', make_invite: '生成邀请码',
    invite_made: '邀请码：{code}（社区编号 {cid}，有效至 {until}）', act_post_hide: '隐藏回复', act_post_restore: '恢复回复',
    act_thread_lock: '锁定帖子', act_thread_unlock: '解锁帖子', act_thread_pin: '置顶', act_thread_unpin: '取消置顶', act_member_mute: '禁言',
    target_post: '回复', target_thread: '帖子', target_user: '成员', hold_reported: '被举报', go_thread: '查看帖子', staff_only: '仅社区工作者可见。',
    not_found: '页面不存在。', forbidden: '没有权限。', need_login: '请先登录。',
    // added with the review fixes
    colon: '：', sep: ' · ',
    invite_login_note: '你收到了社区邀请：请先登录或注册，之后回到邀请页面加入。',
    claim_taken: '这条求助已被其他志愿者认领或已结束。',
    more: '加载更多', details_hidden: '详细说明仅求助人、认领的志愿者和社区工作者可见。',
    list_sep: '，', replying_to_name: '回复 {name}（#{id}）', post_visible: '正常显示', hold_word: '含敏感词“{word}”，等待审核',
    act_consultation_close: '结束投票', act_consultation_outcome: '发布投票结果', by_user: '操作人：{name}',
    err_bad_request: '提交的内容有误，请检查后重试。', err_field: '请检查“{field}”。', err_unauthorized: '登录已失效，请重新登录。',
    err_bad_login: '手机号或密码不正确。', err_forbidden: '没有权限执行此操作。', err_muted: '你已被禁言，{until} 前不能发言。',
    err_not_found: '内容不存在或已被删除。', err_conflict: '状态已变化（可能已被他人处理），请刷新后重试。',
    err_rate_limited: '操作太频繁，请稍后再试。', err_payload_too_large: '内容太长，请删减后重试。',
    err_unavailable: '服务器繁忙，请稍后再试。', err_internal: '服务器出错了，请稍后再试。', err_network: '无法连接服务器，请检查网络后重试。',
    err_http: '请求失败（{status}），请稍后再试。', err_detail: '详细信息',
    // verified phones and personal information
    nav_account: '我的账号', sms_code: '短信验证码', send_code: '获取验证码', resend_code: '重新获取', resend_in: '{n} 秒后重新获取',
    phone_first: '请先填写手机号。', code_sent: '验证码已发送，请查收短信。', code_optional: '填写验证码可完成手机号认证（可稍后认证）。',
    consent_label: '我已阅读并同意《隐私政策》（版本 {v}）', login_by_code: '改用短信验证码', login_by_password: '改用密码',
    forgot_password: '忘记密码？', reset_title: '找回密码', reset_note: '输入注册时的手机号，用短信验证码设置新密码。其他设备上的登录将全部退出。',
    new_password: '新密码', reset_submit: '重设密码并登录', back_to_login: '返回登录',
    err_bad_code: '验证码不正确或已过期，请重新获取。', err_phone_taken: '这个手机号已注册，请直接登录或找回密码。',
    err_bad_password: '密码不正确。',
    reason_phone_unverified: '请先在“我的账号”中完成手机号验证，才能发言、投票或求助。',
    reason_consent_required: '隐私政策已更新，请在“我的账号”中阅读并同意后继续。',
    account_title: '我的账号', profile: '个人资料', phone_is_verified: '已验证', phone_not_verified: '未验证',
    verify_phone: '验证手机号', phone_verified_ok: '手机号已验证。', new_phone: '新手机号', change_phone: '更换手机号',
    phone_changed: '手机号已更换。', privacy: '隐私政策', consent_needed: '隐私政策已更新到版本 {v}，请阅读并同意。',
    consent_given: '你已同意隐私政策（版本 {v}，{at}）。', consent_agree: '同意隐私政策（版本 {v}）', consent_thanks: '已记录你的同意。',
    consent_none: '本社区未设置隐私政策版本。', my_data: '我的数据',
    export_explain: '下载邻里保存的关于你的全部信息（JSON 文件）：发帖及修改记录、投票、求助、登录记录等。',
    export_data: '下载我的数据', export_ready: '文件已生成，点此保存',
    delete_account: '注销账号', deletion_explain: '注销后 {n} 天内可撤销；期满后昵称改为“已注销用户”，手机号、密码和登录记录将被删除，发过的帖子保留。',
    deletion_or_code: '输入密码，或改用下方的短信验证码确认。', delete_confirm: '确定要注销账号吗？',
    deletion_pending: '账号将于 {at} 注销。', cancel_deletion: '撤销注销', deletion_cancelled: '已撤销注销。',
    held_item: '审核中', held_title: '待审核的内容', held_empty: '没有待审核的内容。', held_announcement: '公告需要审核，已放入待审核的内容。', release: '审核通过并发布', released: '已发布',
    appeals: '申诉', appeals_empty: '没有待处理的申诉。', appeal: '申诉', appeal_reason: '申诉理由', appeal_sent: '已提交申诉，等待其他社区工作者处理。',
    appeal_closed: '这项处理已申诉过或已过申诉期限。', appeal_original: '原处理', appeal_by: '{name} 的申诉', decide: '处理结果',
    decision_upheld: '维持原处理', decision_overturned: '撤销原处理', decision_reason: '处理说明', appeal_decided: '申诉已处理。',
    confirm_overturn: '撤销后原处理将被取消（如恢复回复、解除禁言），确定吗？',
    warn_user: '警告成员', warn: '警告', warned: '已警告', confirm_warn: '确定发出警告吗？警告会通知该成员并记入管理记录。',
    suspend_user: '封禁账号（管理员）', suspend_days: '天数', suspend_days_hint: '不填为永久封禁，手机号将被列入黑名单。', suspend: '封禁',
    suspended_ok: '已封禁', confirm_suspend: '确定封禁该账号 {n} 天吗？其所有登录将立即失效。', confirm_suspend_forever: '确定永久封禁该账号吗？此手机号将不能再注册。',
    act_member_warn: '警告', act_member_suspend: '封禁', act_member_suspend_permanent: '永久封禁', act_member_unsuspend: '解除封禁',
    act_appeal_upheld: '申诉维持', act_appeal_overturned: '申诉撤销', target_appeal: '申诉',
    n_member_warning: '你收到一次警告：{reason}', n_appeal_decided: '你的申诉已处理：{outcome}', reason_suspended: '账号已被封禁。', reason_blacklisted: '此手机号不能注册。',
    n_report_resolved: '你举报的回复已处理：{outcome}', outcome_hidden: '已隐藏', outcome_kept: '经核查予以保留',
    hold_check: '内容安全审核中，等待社区工作者处理', reason_content_rejected: '内容未通过安全审核，请修改后再试。',
    ip_region: 'IP属地：{r}', notice_consent: '隐私政策已更新（版本 {v}），同意后才能继续发言。', notice_go_account: '前往我的账号',
  },
  en: {
    app_name: 'Linli', skip: 'Skip to content', nav: 'Main', switch_lang: '中文',
    conn_idle: 'Offline', conn_connecting: 'Connecting…', conn_live: 'Live', conn_reconnecting: 'Reconnecting… ({n})', conn_closed: 'Disconnected',
    nav_home: 'Communities', nav_inbox: 'Inbox', nav_logout: 'Log out', unread: '{n} unread',
    loading: 'Loading…', error: 'Something went wrong: {msg}', retry: 'Retry', cancel: 'Cancel', save: 'Save', submit: 'Submit', back: 'Back',
    offline_refused: 'You are offline; nothing was sent. Try again when connected.',
    queued: 'Saved offline; will be sent when connected ({n} waiting)', queued_one: 'Saved offline; it will be sent when you are connected.',
    queued_failed: 'A saved action was refused: {msg}', queued_sent: 'Saved actions were sent.',
    login_title: 'Log in', register_title: 'Create an account', phone: 'Mobile number', password: 'Password', display_name: 'Display name',
    login: 'Log in', register: 'Sign up', password_hint: 'At least 8 characters', have_account: 'Have an account? Log in', no_account: 'New here? Sign up',
    welcome: 'Welcome to Linli: community consultation and neighbour help.',
    my_communities: 'My communities', no_communities: 'You have not joined a community yet. Join with the invite code from your community office.',
    join_title: 'Join with an invite code', community_id: 'Community number', invite_code: 'Invite code', join: 'Join', joined: 'Joined {name}',
    role_resident: 'Resident', role_staff: 'Staff', volunteer_on: 'Volunteer', open_forum: 'Forum', open_help: 'Neighbour help',
    open_volunteer: 'Volunteer profile', open_mod: 'Manage',
    threads: 'Forum', new_thread: 'Start a discussion', new_consultation: 'Start a consultation (vote)', title: 'Title', body: 'Text',
    options: 'Options (one per line, 2–10)', closes_at: 'Closes at', live_tally: 'Show live counts while voting', create: 'Publish',
    no_threads: 'No threads yet.', search: 'Search', search_label: 'Search threads', kind_consultation: 'Consultation', kind_discussion: 'Discussion',
    announcement: 'Announcement', pinned: 'Pinned', locked: 'Locked', closed: 'Closed', by: 'by {name}', votes_n: '{n} voted',
    posts: 'Replies', no_posts: 'No replies yet.', write_post: 'Write a reply', reply: 'Reply', replying_to: 'Reply to #{id}', send: 'Send',
    report: 'Report', report_reason: 'Reason for the report', reported: 'Reported. Thank you.', hide: 'Hide', restore: 'Restore', reason: 'Reason', reason_optional: 'Reason (optional)',
    hidden_post: '(This reply was hidden)', pending_post: '(Awaiting review)', post_pending_note: 'Your reply is waiting for review.',
    lock: 'Lock', unlock: 'Unlock', lock_reason: 'Reason for locking', thread_locked: 'This thread is locked: {reason}',
    pin: 'Pin', unpin: 'Unpin', edited: 'edited',
    consultation: 'Consultation', countdown: '{t} left', deadline_passed: 'Voting has closed', vote: 'Vote', vote_reason: 'Reason (optional)',
    voted: 'Your vote: {opt} (you may change it until the deadline)', vote_saved: 'Vote recorded', close_vote: 'Close voting', tally: 'Result',
    tally_row: '{opt}: {n} votes', outcome: 'Outcome', outcome_summary: 'Outcome summary', publish_outcome: 'Publish outcome',
    no_outcome: 'Staff have not published the outcome yet.', minority: 'Minority views', no_minority: 'No minority views.',
    days: '{n}d ', hours: '{n}h ', minutes: '{n}m ', seconds: '{n}s',
    help: 'Neighbour help', ask_help: 'Ask for help', category: 'Category', details: 'Details', grid: 'Grid', any_grid: 'Any',
    urgency: 'Urgency', normal: 'Normal', urgent: 'Urgent', contact: 'Contact', ask: 'Post request', no_help: 'No requests.',
    help_created: 'Posted; {n} volunteers were told.', claim: 'Claim', done: 'Mark done', unclaim: 'Give back', confirm: 'Confirm done',
    cancel_request: 'Cancel request', my_request: 'My request', requested_by_me: 'Mine',
    st_open: 'Open', st_claimed: 'Claimed', st_done: 'Done', st_confirmed: 'Confirmed', st_cancelled: 'Cancelled', st_expired: 'Expired',
    escalated: 'Escalated to staff', cat_errand: 'Errand', cat_elderly_care: 'Elderly care', cat_repair: 'Repair', cat_medical_escort: 'Medical escort',
    cat_childcare: 'Childcare', cat_other: 'Other', claimed_ok: 'Claimed. Please contact the requester soon.', rating: 'Rating (1–5, optional)', thanks: 'Thanks (optional)',
    banner_new: 'New request: {title}', banner_view: 'View', dismiss: 'Dismiss',
    volunteer_profile: 'Volunteer profile', categories: 'Categories', grids: 'Grids (none = all)', status: 'Status',
    active: 'Active', paused: 'Paused', quiet_hours: 'Quiet hours (urgent requests still come through)', quiet_enable: 'Use quiet hours',
    quiet_start: 'From', quiet_end: 'To', saved: 'Saved', service_hours: 'My service hours',
    ledger_row: '{r} requests, {m} minutes in all', ledger_rating: 'average rating {x}', no_ledger: 'No service recorded yet.',
    profile_note: 'Urgent requests reach you even in quiet hours; while paused you get none.',
    inbox: 'Inbox', no_notes: 'No notifications.', mark_read: 'Mark all read', new_badge: 'new',
    n_help_request: 'New request: {title}', n_help_claimed: 'Your request was claimed: {title}', n_help_unclaimed: 'A volunteer gave back: {title}',
    n_help_done: 'Volunteer marked done: {title}', n_help_confirmed: 'Requester confirmed: {title}', n_help_cancelled: 'Request cancelled: {title}',
    n_help_expired: 'Request expired: {title}', n_help_escalated: 'Urgent request unclaimed: {title}',
    n_moderation_action: 'Your reply was moderated ({action}): {reason}', n_member_mute: 'You were muted: {reason}',
    moderation: 'Moderation', mod_queue: 'Queue', queue_empty: 'Nothing to review.', reports_n: '{n} reports',
    mod_log: 'Moderation log', no_log: 'No entries.', mute: 'Mute', mute_user: 'Mute a member', user_id: 'User number', minutes_n: 'Minutes',
    announce: 'Post an announcement', publish: 'Publish', published: 'Published', muted: 'Muted', invites: 'Invites', invite_role: 'Role', max_uses: 'Uses', make_invite: 'Make invite code',
    invite_made: 'Invite code: {code} (community {cid}, valid until {until})', act_post_hide: 'Hid a reply', act_post_restore: 'Restored a reply',
    act_thread_lock: 'Locked a thread', act_thread_unlock: 'Unlocked a thread', act_thread_pin: 'Pinned', act_thread_unpin: 'Unpinned', act_member_mute: 'Muted',
    target_post: 'reply', target_thread: 'thread', target_user: 'member', hold_reported: 'reported', go_thread: 'Open thread', staff_only: 'Staff only.',
    not_found: 'Page not found.', forbidden: 'Not allowed.', need_login: 'Please log in.',
    // added with the review fixes
    colon: ': ', sep: ' · ',
    invite_login_note: 'You have been invited to a community: log in or sign up first, then you come back to the invitation to join.',
    claim_taken: 'Someone else has claimed this request, or it has ended.',
    more: 'Show more', details_hidden: 'Details are shown to the requester, the claiming volunteer and staff only.',
    list_sep: ', ', replying_to_name: 'Reply to {name} (#{id})', post_visible: 'Visible', hold_word: 'Contains the listed word “{word}”; awaiting review',
    act_consultation_close: 'Closed a vote', act_consultation_outcome: 'Published a vote outcome', by_user: 'by {name}',
    err_bad_request: 'Something in the form is not right; please check it.', err_field: 'Please check “{field}”.', err_unauthorized: 'Your session has ended; please log in again.',
    err_bad_login: 'Wrong mobile number or password.', err_forbidden: 'You are not allowed to do this.', err_muted: 'You are muted until {until}.',
    err_not_found: 'Not found; it may have been deleted.', err_conflict: 'This has changed (perhaps someone else acted first); refresh and try again.',
    err_rate_limited: 'Too many actions; please wait a moment.', err_payload_too_large: 'Too long; please shorten it.',
    err_unavailable: 'The server is busy; please try again shortly.', err_internal: 'The server had a problem; please try again shortly.', err_network: 'Cannot reach the server; check your connection and try again.',
    err_http: 'Request failed ({status}); please try again shortly.', err_detail: 'Details',
    nav_account: 'My account', sms_code: 'SMS code', send_code: 'Send code', resend_code: 'Send again', resend_in: 'Send again in {n} s',
    phone_first: 'Enter your mobile number first.', code_sent: 'Code sent; check your messages.', code_optional: 'A code verifies your number now (you can also do it later).',
    consent_label: 'I have read and agree to the privacy policy (version {v})', login_by_code: 'Use an SMS code instead', login_by_password: 'Use a password instead',
    forgot_password: 'Forgot your password?', reset_title: 'Reset password', reset_note: 'Enter the number you signed up with and set a new password with an SMS code. You will be logged out on every other device.',
    new_password: 'New password', reset_submit: 'Set password and log in', back_to_login: 'Back to log in',
    err_bad_code: 'The code is wrong or has expired; ask for a new one.', err_phone_taken: 'This number already has an account: log in, or reset the password.',
    err_bad_password: 'Wrong password.',
    reason_phone_unverified: 'Verify your mobile number under “My account” before posting, voting or asking for help.',
    reason_consent_required: 'The privacy policy has changed: read and agree to it under “My account” to go on.',
    account_title: 'My account', profile: 'Profile', phone_is_verified: 'verified', phone_not_verified: 'not verified',
    verify_phone: 'Verify mobile number', phone_verified_ok: 'Your number is verified.', new_phone: 'New mobile number', change_phone: 'Change mobile number',
    phone_changed: 'Your number was changed.', privacy: 'Privacy policy', consent_needed: 'The privacy policy is now version {v}; please read and agree to it.',
    consent_given: 'You agreed to the privacy policy (version {v}, {at}).', consent_agree: 'Agree to the privacy policy (version {v})', consent_thanks: 'Your consent is recorded.',
    consent_none: 'No privacy policy version is set here.', my_data: 'My data',
    export_explain: 'Download everything Linli keeps about you (a JSON file): posts and their edits, votes, help requests, sign-ins and more.',
    export_data: 'Download my data', export_ready: 'Ready: save the file',
    delete_account: 'Delete account', deletion_explain: 'You can undo it within {n} days; then your name becomes “已注销用户” and your number, password and sign-ins are deleted. Your posts stay.',
    deletion_or_code: 'Enter your password, or confirm with an SMS code below.', delete_confirm: 'Delete your account?',
    deletion_pending: 'Your account will be deleted on {at}.', cancel_deletion: 'Keep my account', deletion_cancelled: 'Deletion cancelled.',
    held_item: 'Under review', held_title: 'Held for review', held_empty: 'Nothing held for review.', held_announcement: 'The announcement needs review; it is in the held list.', release: 'Approve and publish', released: 'Published',
    appeals: 'Appeals', appeals_empty: 'No open appeals.', appeal: 'Appeal', appeal_reason: 'Why the decision is wrong', appeal_sent: 'Appeal sent; another staff member will decide.',
    appeal_closed: 'This decision was appealed already, or the time to appeal has passed.', appeal_original: 'The decision', appeal_by: 'Appeal by {name}', decide: 'Decision',
    decision_upheld: 'Uphold', decision_overturned: 'Overturn', decision_reason: 'Why', appeal_decided: 'Appeal decided.',
    confirm_overturn: 'Overturning undoes the decision (the reply comes back, the mute ends). Go on?',
    warn_user: 'Warn a member', warn: 'Warn', warned: 'Warned', confirm_warn: 'Send this warning? The member is told and it is logged.',
    suspend_user: 'Suspend an account (admins)', suspend_days: 'Days', suspend_days_hint: 'Empty: permanent, and the number is blacklisted.', suspend: 'Suspend',
    suspended_ok: 'Suspended', confirm_suspend: 'Suspend this account for {n} days? Every sign-in ends now.', confirm_suspend_forever: 'Suspend this account for good? Its number can never register again.',
    act_member_warn: 'Warned', act_member_suspend: 'Suspended', act_member_suspend_permanent: 'Suspended for good', act_member_unsuspend: 'Lifted a suspension',
    act_appeal_upheld: 'Upheld an appeal', act_appeal_overturned: 'Overturned on appeal', target_appeal: 'appeal',
    n_member_warning: 'You were warned: {reason}', n_appeal_decided: 'Your appeal was decided: {outcome}', reason_suspended: 'This account is suspended.', reason_blacklisted: 'This number may not register.',
    n_report_resolved: 'The reply you reported was reviewed: {outcome}', outcome_hidden: 'hidden', outcome_kept: 'kept after review',
    hold_check: 'Held by the content check; awaiting staff review', reason_content_rejected: 'The content check refused this text; please change it and try again.',
    ip_region: 'IP region: {r}', notice_consent: 'The privacy policy changed (version {v}): agree to it to post again.', notice_go_account: 'Go to my account',
    tally_row_one: '{opt}: 1 vote', reports_n_one: '1 report', help_created_one: 'Posted; 1 volunteer was told.',
    ledger_row: 'Requests: {r} · minutes: {m}',
  },
};

let lang = 'zh';
try { if (localStorage.getItem('linli.lang') === 'en') lang = 'en'; } catch { /* private mode */ }

export function getLang() { return lang; }

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  try { localStorage.setItem('linli.lang', lang); } catch { /* ignore */ }
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
}

export function t(key, vars) {
  // English singular: 'key_one' when n is 1 ("1 vote", not "1 votes")
  const one = vars && Number(vars.n) === 1 ? STRINGS[lang][key + '_one'] : undefined;
  const s = one ?? STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
}

export function fmtTime(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { dateStyle: 'short', timeStyle: 'short' });
}

// "2天3小时" / "2d 3h": the largest two units of a duration.
export function fmtDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts = [[Math.floor(s / 86400), 'days'], [Math.floor(s / 3600) % 24, 'hours'], [Math.floor(s / 60) % 60, 'minutes'], [s % 60, 'seconds']];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return t('seconds', { n: 0 });
  return parts.slice(first, first + 2).map(([n, k]) => t(k, { n })).join('').trim();
}
