import { inboxPage } from '../../lib/inbox.js';

Page(inboxPage(wx, getApp));
