// WeChat entry: the SDK is copied into ./linli by sync-sdk.sh (mini-programs
// cannot import from outside their own folder).
import * as sdk from './linli/index.js';
import { createApp } from './lib/app.js';

App(createApp({ wx, sdk, baseUrl: 'https://linli.example.org' }));
