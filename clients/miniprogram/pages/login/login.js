import { loginPage } from '../../lib/login.js';

Page(loginPage(wx, getApp));
