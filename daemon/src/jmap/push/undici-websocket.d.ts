// undici's WebSocket module on its own (undici has no "exports" map; CommonJS). The daemon's
// bundle replaces undici's index with a slim one without WebSocket (scripts/build-daemon.ts), so
// push/websocket.ts imports this file on use: only an account on WebSocket push loads it.
declare module 'undici/lib/web/websocket/websocket.js' {
  import type { WebSocket as UndiciWebSocket } from 'undici';
  export const WebSocket: typeof UndiciWebSocket;
  const mod: { WebSocket: typeof UndiciWebSocket };
  export default mod;
}
