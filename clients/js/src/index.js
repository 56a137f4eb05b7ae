// Linli JS SDK — public entry point.
export { LinliClient, LinliError, MemoryStore, backoffDelay } from './linli.js';
export { browserTransport } from './adapters/browser.js';
export { nodeTransport } from './adapters/node.js';
export { wxTransport } from './adapters/wx.js';
