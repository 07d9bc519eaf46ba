import {
  type EasFixtureServer,
  type EasHandler,
  type EasReply,
  type EasServerOptions,
  startEasServer,
} from '@tidings/fixtures';
import pino from 'pino';
import { Agent } from 'undici';
import type { EasAccount } from '../../src/config/account';
import type { ChangeSignal } from '../../src/signal';
import { MemoryStore } from '../../src/store/memory-store';
import { createEasWatcher, type EasWatcherDeps, type EasWatcherHandle } from '../../src/watch/eas-watcher';
import type { Timers } from '../../src/watch/timer-slot';
import type { WatcherContext, WatcherStatus } from '../../src/watch/types';

export const ACCOUNT_ID = 'work';

/** A timer set the test fires by hand: back-off waits never sleep in tests. */
export class ManualTimers implements Timers {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  readonly delays: number[] = [];
  #next = 1;
  set(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { fn, ms });
    this.delays.push(ms);
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fires every pending timer. */
  fireAll(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.fn();
  }
}

export interface Harness {
  server: EasFixtureServer;
  store: MemoryStore;
  watcher: EasWatcherHandle;
  signals: ChangeSignal[];
  statuses: WatcherStatus[];
  notices: { level: string; code: string; text: string }[];
  timers: ManualTimers;
  secretDeleted: () => boolean;
  /** The password the secret source hands out; tests change it to "fix" credentials. */
  password: string;
  dispatcher: Agent;
  /** Stops watcher, server and dispatcher. */
  close(): Promise<void>;
}

export interface HarnessOptions {
  server?: EasServerOptions;
  account?: Partial<EasAccount>;
  password?: string;
  /** Replaces how the secret is read (a locked keyring, a failing passwordCommand). */
  readSecret?: () => Promise<string>;
  deps?: EasWatcherDeps;
  /** Reuse a store (daemon restart). */
  store?: MemoryStore;
  /** Reuse a server. */
  reuseServer?: EasFixtureServer;
  start?: boolean;
  /** The watcher's log (default: silent). */
  log?: WatcherContext['log'];
}

export async function harness(opts: HarnessOptions = {}): Promise<Harness> {
  const server = opts.reuseServer ?? (await startEasServer({ pingTimeScale: 1000, ...opts.server }));
  const store = opts.store ?? new MemoryStore();
  const signals: ChangeSignal[] = [];
  const statuses: WatcherStatus[] = [];
  const notices: Harness['notices'] = [];
  const timers = new ManualTimers();
  let deleted = false;
  const box = { password: opts.password ?? 'alice-password' };
  const dispatcher = new Agent({ connections: 4 });
  const ctx: WatcherContext = {
    accountId: ACCOUNT_ID,
    store,
    log: opts.log ?? pino({ level: 'silent' }),
    secret: {
      get: opts.readSecret ?? (async () => box.password),
      delete: async () => {
        deleted = true;
      },
    },
    publish: (s) => signals.push(...s),
    setStatus: (s) => statuses.push(s),
    notice: (n) => notices.push(n),
  };
  const account: EasAccount = {
    id: ACCOUNT_ID,
    kind: 'exchange',
    enabled: true,
    email: 'alice@example.test',
    username: 'alice',
    url: server.url,
    auth: { type: 'basic', secret: { keyring: true } },
    ...opts.account,
  };
  const watcher = createEasWatcher(account, ctx, { dispatcher, timers, random: () => 0.5, ...opts.deps });
  if (opts.start !== false) watcher.start();
  const h: Harness = {
    get password() {
      return box.password;
    },
    set password(v: string) {
      box.password = v;
    },
    server,
    store,
    watcher,
    signals,
    statuses,
    notices,
    timers,
    dispatcher,
    secretDeleted: () => deleted,
    close: async () => {
      await watcher.stop();
      if (!opts.reuseServer) await server.close();
      await dispatcher.close();
    },
  };
  return h;
}

/** A handler that answers `reply` the first `times` requests, then the default. */
export function failTimes(times: number, reply: EasReply): EasHandler {
  let left = times;
  return (_req, next) => {
    if (left <= 0) return next();
    left--;
    return reply;
  };
}

/** Recorded requests of one command. */
export function sent(h: Harness, command: string) {
  return h.server.requests.filter((r) => r.command === command);
}

/** Polls until `check` returns a truthy value; fails the test after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until the watcher has a Ping parked on the server. */
export function pingParked(h: Harness): Promise<true> {
  return waitFor(() => h.server.parkedPings > 0 && h.watcher.status().state === 'waiting', 'a parked Ping');
}
