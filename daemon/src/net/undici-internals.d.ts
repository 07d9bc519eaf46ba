// Internal undici modules used by free-pool.ts (undici has no "exports" map; these are CommonJS).
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
declare module 'undici/lib/dispatcher/pool-base.js' {
  const symbols: {
    kNeedDrain: symbol;
    kGetDispatcher: symbol;
    kAddClient: symbol;
    kRemoveClient: symbol;
  };
  export default symbols;
}
