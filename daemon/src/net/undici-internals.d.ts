// Internal undici modules used by net/ (undici has no "exports" map; these are CommonJS).
declare module 'undici/lib/core/symbols.js' {
  const symbols: { kBusy: symbol };
  export default symbols;
}
declare module 'undici/lib/core/connect.js' {
  import type { buildConnector as BuildConnector } from 'undici';
  const buildConnector: typeof BuildConnector;
  export default buildConnector;
}
