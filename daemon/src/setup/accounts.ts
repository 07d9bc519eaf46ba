import type { Logger } from 'pino';
import type { Account } from '../config/account';
import type { ChangeSignal } from '../signal';
import type { StateStore } from '../store/types';
import type { SecretSource } from '../secrets/types';
import type { Watcher, WatcherContext, WatcherStatus } from '../watch/types';
import type { Setup } from './disposers';
import type { DaemonErrorCode } from './errors';
import type { WatcherFactory } from './dispatchers';

/** One account the daemon watches. */
export interface RunningAccount {
  account: Account;
  watcher: Watcher;
}

export interface AccountsDeps {
  store: StateStore;
  log: Logger;
  watcherFactory: WatcherFactory;
  /** The account's secret source; may throw (a secret reference that cannot be used). */
  secretFor: (account: Account) => SecretSource;
  /** Signals just committed by a watcher. */
  publish: (accountId: string, signals: ChangeSignal[]) => void;
  /** An account's status changed (its watcher's, or it faulted or went away). */
  changed: (accountId: string) => void;
  /** When the daemon started: the `since` of accounts that never ran. */
  startedAt: string;
}

export interface Accounts {
  readonly running: ReadonlyMap<string, RunningAccount>;
  /**
   * Starts the account's watcher when it is enabled. Never throws: what keeps one account from
   * starting (unreadable `tls.ca`, a bad proxy URL, a secret reference that cannot be used) is
   * that account's `error` status, and every other account runs (issue 13 §5).
   */
  start(account: Account): void;
  stop(id: string): Promise<void>;
  /** The account's status: its watcher's, its fault, or disabled. */
  status(account: Account): WatcherStatus;
  wakeAll(reason: 'network' | 'resume'): void;
}

/** A fault's words for people: a typed error's message and code, as status and logs show them. */
function faultStatus(err: unknown): WatcherStatus {
  const e = err as { code?: unknown; message?: unknown };
  const fallback: DaemonErrorCode = 'DAEMON_ERR_ACCOUNT_START';
  const code = typeof e?.code === 'string' ? e.code : fallback;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return {
    state: 'error',
    since: new Date().toISOString(),
    detail: `cannot start: ${message}; fix the account in the config, then tidings reload`,
    lastError: { code, message },
  };
}

/** The watchers of all accounts; disposing stops every one. */
export function setupAccounts(deps: AccountsDeps): Setup<Accounts> {
  const { log } = deps;
  const running = new Map<string, RunningAccount>();
  const faults = new Map<string, WatcherStatus>();

  function start(account: Account): void {
    faults.delete(account.id);
    if (!account.enabled) return;
    const alog = log.child({ account: account.id });
    let watcher: Watcher;
    try {
      const secret = deps.secretFor(account);
      const ctx: WatcherContext = {
        accountId: account.id,
        store: deps.store,
        log: alog,
        secret,
        publish: (signals) => deps.publish(account.id, signals),
        setStatus: (s) => {
          // The server refused the secret: a password command runs again on the next attempt
          // (issue 13 §7; secrets/session.ts keeps it for the session otherwise).
          if (s.state === 'needs-credentials') secret.forget?.();
          if (s.state === 'backing-off' || s.state === 'needs-credentials')
            alog.warn(
              { state: s.state, detail: s.detail, retryAt: s.retryAt, error: s.lastError },
              'account state',
            );
          else alog.debug({ state: s.state, detail: s.detail }, 'account state');
          deps.changed(account.id);
        },
        notice: (n) => alog[n.level]({ code: n.code }, n.text),
      };
      watcher = deps.watcherFactory(account, ctx);
      running.set(account.id, { account, watcher });
      watcher.start();
    } catch (err) {
      running.delete(account.id);
      const status = faultStatus(err);
      faults.set(account.id, status);
      alog.error({ code: status.lastError?.code }, `account cannot start: ${status.lastError?.message}`);
    }
    deps.changed(account.id);
  }

  async function stop(id: string): Promise<void> {
    faults.delete(id);
    const r = running.get(id);
    if (!r) return;
    running.delete(id);
    await r.watcher.stop();
  }

  return {
    value: {
      running,
      start,
      stop,
      status: (account) =>
        running.get(account.id)?.watcher.status() ??
        faults.get(account.id) ??
        (account.enabled
          ? { state: 'stopped', since: deps.startedAt, detail: 'not started' }
          : { state: 'disabled', since: deps.startedAt, detail: 'disabled in config' }),
      wakeAll: (reason) => {
        for (const r of running.values()) r.watcher.wake?.(reason);
      },
    },
    dispose: async () => {
      faults.clear();
      await Promise.all([...running.keys()].map(stop));
    },
  };
}
