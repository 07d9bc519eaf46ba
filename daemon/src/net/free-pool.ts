import type { Dispatcher, Pool as PoolType } from 'undici';
import poolBase from 'undici/lib/dispatcher/pool-base.js';
import Pool from 'undici/lib/dispatcher/pool.js';

const { kNeedDrain, kGetDispatcher, kAddClient, kRemoveClient } = poolBase;

type Slots = Record<symbol, unknown>;
type Fn = (...args: unknown[]) => unknown;

/**
 * An undici Pool that finds a free connection in O(1). undici's Pool scans its whole client list
 * for one that is not busy on every request; the daemon's shared dispatcher holds one connection
 * per parked Ping, so at 10 000 accounts each Sync scanned ~10 000 clients (~0.6 ms of event
 * loop per change in the scale bench). This keeps the not-busy clients in a set, maintained
 * through the same flag undici sets (pool-base's needDrain on each client), and otherwise behaves
 * as undici's Pool (which it is). Used for pools with many connections only.
 */
export function freeListPool(origin: string | URL, opts: PoolType.Options): Dispatcher {
  const pool = new Pool(origin, opts);
  const slots = pool as unknown as Slots;
  const free = new Set<object>();
  const all = new Set<object>();
  const own = Object.getOwnPropertySymbols(pool);
  const sym = (d: string) => own.find((s) => s.description === d);
  const kConnections = sym('connections');
  const kFactory = sym('factory');
  const kUrl = sym('url');
  const kOptions = sym('options');
  const addClient = (slots[kAddClient] as Fn).bind(pool);
  const removeClient = (slots[kRemoveClient] as Fn).bind(pool);
  const scan = (slots[kGetDispatcher] as Fn).bind(pool);

  slots[kAddClient] = (client: object) => {
    let needDrain = false;
    Object.defineProperty(client, kNeedDrain, {
      configurable: true,
      get: () => needDrain,
      set: (v: boolean) => {
        needDrain = v;
        if (v || !all.has(client)) free.delete(client);
        else free.add(client);
      },
    });
    all.add(client);
    free.add(client);
    return addClient(client);
  };
  const forget = (client: object) => {
    all.delete(client);
    free.delete(client);
  };
  slots[kRemoveClient] = (client: object) => {
    forget(client);
    return removeClient(client);
  };
  pool.on('connectionError', (_origin, targets) => {
    for (const t of targets) forget(t);
  });
  slots[kGetDispatcher] = () => {
    for (const client of free) return client;
    if (!kConnections || !kFactory || !kUrl || !kOptions) return scan();
    const max = slots[kConnections] as number | null;
    if (max && all.size >= max) return undefined;
    const client = (slots[kFactory] as Fn)(slots[kUrl], slots[kOptions]) as object;
    (slots[kAddClient] as Fn)(client);
    return client;
  };
  return pool;
}
