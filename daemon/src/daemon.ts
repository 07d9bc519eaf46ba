import { isDeepStrictEqual } from 'node:util';
import { JSONRPCErrorException } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { formatSignalLines } from './text/signal-lines';
import { type Account, accountAuthKind } from './config/account';
import { imapOAuthProvider } from './imap/oauth';
import { diffAccounts } from './config/diff';
import { ConfigError } from './config/errors';
import { loadConfig } from './config/load';
import { type Config, configSchema } from './config/schema';
import { addAccountToFile, editAccounts, editNotifications, removeAccountFromFile } from './config/write';
import { DEMO_ACCOUNT_ID, type Demo, startDemo } from './demo/demo';
import { createHub, type HubSettings, type TidingsHub } from './hub/hub';
import { resolvePause } from './hub/pause';
import type { Sink } from './hub/types';
import type { Notifier } from './sinks/desktop';
import type { Connection, ConnectionLimits } from './ipc/connection';
import { defaultIpcPath } from './ipc/paths';
import type {
  AccountSummary,
  DaemonHeader,
  DaemonStatus,
  FolderInfo,
  NotificationsSettings,
  StatusDelta,
  TestResult,
} from './ipc/protocol';
import { IpcErrorCode } from './ipc/protocol';
import { noSuchAccount } from './ipc/rpc-errors';
import { type IpcHandlers, type IpcServer, startIpcServer } from './ipc/server';
import { type SecretOptions, secretForAccount } from './secrets';
import { type Accounts, setupAccounts } from './setup/accounts';
import { DisposerStack } from './setup/disposers';
import { DispatcherPool, defaultWatcherFactory, type WatcherFactory } from './setup/dispatchers';
import { type Sinks, setupSinks } from './setup/sinks';
import { setupSignals } from './setup/signals';
import { setupStore } from './setup/store';
import type { StateStore } from './store/types';
import { VERSION } from './version';
import { tuneV8 } from './v8-tuning';
import { startWakeMonitor, type WakeMonitor, type WakeMonitorOptions } from './watch/wake-monitor';
import type { SecretSource } from './secrets/types';

export {
  DispatcherPool,
  defaultWatcherFactory,
  type WatcherFactory,
  type WatcherFactoryOptions,
} from './setup/dispatchers';

/** What the daemon lends an account test so it connects as the account's watcher does. */
export interface TesterContext {
  /** The daemon's HTTP dispatchers: the account's test uses the dispatcher its watcher uses. */
  dispatchers: DispatcherPool;
  /** The state store: the account's DeviceId and policy key (a test is no new device). */
  store: StateStore;
}

/** Tests an account (named checks: dns, tls, autodiscover, auth, options, ping …). */
export type AccountTester = (
  account: Account,
  secret: SecretSource,
  log: Logger,
  ctx: TesterContext,
) => Promise<TestResult>;

export interface DaemonOptions {
  configPath: string;
  /** Directory of the state store (`state.db`). */
  stateDir: string;
  /** Socket path; default: config `ipc.path`, else the per-user default. */
  ipcPath?: string;
  log: Logger;
  /**
   * Run the demo when there is no config file (the newcomer's `npm start`). Default true; the
   * service units pass false, so a missing file there is an error, not a demo. `'empty'` (the
   * tray, `daemon --empty`): no file means no accounts, no demo, until `accounts.add` writes one.
   */
  demo?: boolean | { intervalMs?: number } | 'empty';
  /** `--log-level` given: it wins over the config's logLevel on every reload. */
  logLevelOverride?: boolean;
  /** Install SIGHUP (reload) and SIGTERM/SIGINT (shutdown) handlers. The CLI sets it. */
  handleSignals?: boolean;
  /** Demo mode prints each signal readably here (stdout). */
  out?: (text: string) => void;
  watcherFactory?: WatcherFactory;
  tester?: AccountTester;
  secrets?: SecretOptions;
  ipcLimits?: Partial<ConnectionLimits>;
  /** Desktop notifications: a notifier for tests, or false to leave the desktop sink out. */
  desktop?: Notifier | false;
  /**
   * Wakes every watcher on a network change or a resume from sleep (watch/wake-monitor.ts).
   * On by default; false turns it off, an object injects clocks/keys/timers (tests).
   */
  wakeMonitor?: false | Omit<WakeMonitorOptions, 'onWake'>;
}

export interface RunningDaemon {
  readonly ipcPath: string;
  readonly demo: Demo | undefined;
  status(): DaemonStatus;
  /** Re-reads the config; a broken file throws ConfigError and keeps the running config. */
  reload(): Promise<{ accounts: number }>;
  /** Stops watchers, sinks, IPC and store; idempotent. */
  stop(): Promise<void>;
  /** Resolves once stopped, by stop(), the `shutdown` call or a signal. */
  readonly stopped: Promise<void>;
}

/**
 * Status deltas carry the accounts that changed, and when every account connects at start that
 * is all of them: at most one per 250 ms, plus 0.1 ms per account (10 000 accounts → 1.25 s).
 */
const statusThrottleMs = (accounts: number) => 250 + accounts / 10;
const REPLAY_LIMIT = 50;

function hubSettings(c: Config): HubSettings {
  const n = c.notifications;
  return {
    coalesceMs: n.coalesceMs,
    maxItems: n.maxItems,
    collections: n.collections,
    rules: n.rules,
    quietHours: n.quietHours,
  };
}

/** What `notifications.get` answers: the applied section without sinks (their config may name secrets). */
function notificationSettings(c: Config): NotificationsSettings {
  const { sinks: _sinks, ...rest } = c.notifications;
  return rest;
}

/** The demo's config: no file, the demo account, defaults for everything else. */
function demoConfig(account: Account): Config {
  return configSchema().parse({ accounts: [account] });
}

/**
 * Starts the daemon: config, state store, hub, IPC server and one supervised watcher per
 * enabled account. With no config file (and `demo` allowed) it starts the bundled EAS fixture
 * server and a demo account against it instead.
 */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const log = opts.log;
  const startedAt = new Date().toISOString();
  // Every step below pushes its undo as soon as it has something to undo: a start that fails
  // half-way (IPC socket path unusable …) tears down exactly what it started, and stop() runs
  // the same steps (setup/disposers.ts).
  const stack = new DisposerStack(log);

  let config: Config;
  let demo: Demo | undefined;
  let ipc: IpcServer | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  /** Accounts whose summary changed since the last delta (an id gone from the config: removed). */
  const changedAccounts = new Set<string>();
  let lastHeader = '';
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const subscriberSinks = new Map<Connection, () => void>();

  try {
    try {
      config = await loadConfig(opts.configPath);
    } catch (err) {
      if (!(err instanceof ConfigError) || err.code !== 'CONFIG_ERR_NOT_FOUND' || opts.demo === false)
        throw err;
      if (opts.demo === 'empty') {
        config = configSchema().parse({ accounts: [] });
        log.info(`no config file at ${opts.configPath}: no accounts until one is added`);
      } else {
        demo = await startDemo({ log, ...(typeof opts.demo === 'object' ? opts.demo : {}) });
        config = demoConfig(demo.account);
        log.warn(
          `DEMO MODE: no config file at ${opts.configPath}, so this daemon watches a demo account on a bundled ` +
            'test server that receives a mail, an event or a contact every few seconds. Try `tidings watch` in another ' +
            'terminal. To watch your own account: `tidings account add exchange` (or caldav / carddav); the demo stops then.',
        );
      }
    }
    // The demo may end earlier, when a real account replaces it (apply()).
    stack.defer('demo server', () => demo?.close());
  } catch (err) {
    await stack.dispose();
    throw err;
  }
  if (!opts.logLevelOverride) log.level = config.logLevel;
  tuneV8(config.accounts.length);

  let store!: StateStore;
  let hub!: TidingsHub;
  let sinks!: Sinks;
  let accounts!: Accounts;
  let wake: WakeMonitor | undefined;
  /** Sockets open only once an account (or an account test) uses them. */
  const pool = new DispatcherPool();

  const trayConnected = () => [...subscriberSinks.keys()].some((c) => c.name === 'tray');

  const summary = (id: string): AccountSummary => {
    const account = accounts.running.get(id)?.account ?? config.accounts.find((a) => a.id === id);
    if (!account) throw noSuchAccount(id);
    return {
      id,
      kind: account.kind,
      name: account.name ?? (account.kind === 'exchange' ? account.email : account.username),
      enabled: account.enabled,
      status: accounts.status(account),
      unseen: hub.unseen(id),
      ...(account.webUrl ? { webUrl: account.webUrl } : {}),
      // A JMAP API token is no password (it showed "Re-enter password"); an IMAP OAuth account
      // may be Google's (the tray then offers "Sign in with Google").
      auth: accountAuthKind(account),
      ...(account.kind === 'exchange' && account.auth.type === 'oauth2'
        ? { oauthProvider: 'microsoft' as const }
        : account.kind === 'imap' && account.oauth2
          ? { oauthProvider: imapOAuthProvider(account) }
          : {}),
    };
  };

  const header = (): DaemonHeader => {
    const paused = hub.pausedUntil();
    const q = config.notifications.quietHours;
    return {
      version: VERSION,
      pid: process.pid,
      startedAt,
      configPath: opts.configPath,
      demo: demo !== undefined,
      ...(paused !== undefined ? { pausedUntil: new Date(paused).toISOString() } : {}),
      ...(q ? { quietHours: { start: q.start, end: q.end, active: hub.quietNow() === true } } : {}),
    };
  };

  const status = (): DaemonStatus => ({ ...header(), accounts: config.accounts.map((a) => summary(a.id)) });

  /** What changed since the last delta: the marked accounts, and the daemon-wide part if it differs. */
  const statusDelta = (): StatusDelta | undefined => {
    const h = header();
    const json = JSON.stringify(h);
    const changed: AccountSummary[] = [];
    const removed: string[] = [];
    for (const id of changedAccounts) {
      // A running watcher answers at once; only a disabled or removed account costs a search.
      if (accounts.running.has(id) || config.accounts.some((a) => a.id === id)) changed.push(summary(id));
      else removed.push(id);
    }
    changedAccounts.clear();
    const delta: StatusDelta = {
      ...(json !== lastHeader ? { daemon: h } : {}),
      ...(changed.length ? { accounts: changed } : {}),
      ...(removed.length ? { removed } : {}),
    };
    lastHeader = json;
    return Object.keys(delta).length ? delta : undefined;
  };

  /**
   * Status changes come in bursts (every account connects at start): coalesced per account and
   * throttled, see statusThrottleMs. Without accounts, only the daemon-wide part is compared.
   */
  const statusChanged = (accountIds: Iterable<string> = []) => {
    if (!ipc) return;
    for (const id of accountIds) changedAccounts.add(id);
    if (statusTimer) return;
    statusTimer = setTimeout(() => {
      statusTimer = undefined;
      const delta = statusDelta();
      if (delta) ipc?.broadcastStatusDelta(delta);
    }, statusThrottleMs(config.accounts.length));
    statusTimer.unref();
  };

  const secretFor = (account: Account): SecretSource =>
    demo && account.id === DEMO_ACCOUNT_ID ? demo.secret : secretForAccount(account, opts.secrets);

  const startWatcher = (account: Account) => accounts.start(account);
  const stopWatcher = (id: string) => accounts.stop(id);

  /** Applies a new config: only accounts whose entry changed restart. */
  async function apply(next: Config): Promise<void> {
    const diff = diffAccounts(config.accounts, next.accounts);
    const rebuildSinks = !isDeepStrictEqual(config.notifications.sinks, next.notifications.sinks);
    config = next;
    if (rebuildSinks) await sinks.rebuild(next);
    if (!opts.logLevelOverride) log.level = next.logLevel;
    hub.reconfigure(hubSettings(next));
    await Promise.all([...diff.removed, ...diff.changed.map((a) => a.id)].map(stopWatcher));
    for (const a of [...diff.changed, ...diff.added]) startWatcher(a);
    if (demo && !next.accounts.some((a) => a.id === DEMO_ACCOUNT_ID)) {
      log.info('demo account gone from the config: stopping the demo server');
      const d = demo;
      demo = undefined;
      await d.close();
      store.deleteAccount(DEMO_ACCOUNT_ID);
    }
    log.info(
      {
        added: diff.added.length,
        removed: diff.removed.length,
        restarted: diff.changed.length,
        kept: diff.unchanged.length,
      },
      'config applied',
    );
    statusChanged([...diff.removed, ...[...diff.changed, ...diff.added].map((a) => a.id)]);
  }

  async function reload(): Promise<{ accounts: number }> {
    let next: Config;
    try {
      next = await loadConfig(opts.configPath);
    } catch (err) {
      if (
        (demo || opts.demo === 'empty') &&
        err instanceof ConfigError &&
        err.code === 'CONFIG_ERR_NOT_FOUND'
      ) {
        log.info('reload: still no config file; nothing changes');
        return { accounts: config.accounts.length };
      }
      log.error(
        { code: (err as ConfigError).code },
        `reload refused, keeping the running config: ${(err as Error).message}`,
      );
      throw err;
    }
    await apply(next);
    tuneV8(next.accounts.length);
    // A reload is a person asking "are we up to date?": DAV accounts (no Ping) check at once.
    for (const r of accounts.running.values()) if (r.account.kind !== 'exchange') r.watcher.wake?.('manual');
    return { accounts: next.accounts.length };
  }

  const handlers: IpcHandlers = {
    status: () => status(),
    'accounts.list': () => config.accounts.map((a) => summary(a.id)),
    'accounts.add': async ({ account, secret }) => {
      if (config.accounts.some((a) => a.id === account.id) && !(demo && account.id === DEMO_ACCOUNT_ID))
        throw new ConfigError(
          'CONFIG_ERR_DUPLICATE_ACCOUNT',
          opts.configPath,
          `account "${account.id}" exists already`,
        );
      if (secret !== undefined) await storeSecret(account, secret);
      await addAccountToFile(opts.configPath, account);
      await reload();
      return summary(account.id);
    },
    'accounts.remove': async ({ id }) => {
      if (!config.accounts.some((a) => a.id === id)) throw noSuchAccount(id);
      await removeAccountFromFile(opts.configPath, id);
      await reload();
      store.deleteAccount(id);
      return { removed: true };
    },
    'accounts.test': async ({ id, account, secret }) => {
      const target = account ?? config.accounts.find((a) => a.id === id);
      if (!target) throw noSuchAccount(id ?? '');
      if (!opts.tester)
        throw new JSONRPCErrorException('this daemon was started without account tests', -32006);
      const source: SecretSource = secret !== undefined ? { get: async () => secret } : secretFor(target);
      return opts.tester(target, source, log.child({ account: target.id, test: true }), {
        dispatchers: pool,
        store,
      });
    },
    'accounts.setSecret': async ({ id, secret }) => {
      const account = config.accounts.find((a) => a.id === id);
      if (!account) throw noSuchAccount(id);
      await storeSecret(account, secret);
      // The watcher may sit in needs-credentials: restart it so it tries the new secret now.
      await stopWatcher(id);
      startWatcher(account);
      return { ok: true };
    },
    'accounts.acceptMove': ({ id }) => {
      const r = accounts.running.get(id);
      if (!r && !config.accounts.some((a) => a.id === id)) throw noSuchAccount(id);
      // Issue 13 §2: only the user sends credentials to another origin; the watcher stores the move.
      const url = r?.watcher.acceptMove?.();
      if (url === undefined)
        throw new JSONRPCErrorException(
          `account "${id}" has no server move waiting for confirmation`,
          -32602,
        );
      return { ok: true, url };
    },
    'items.markRead': ({ accountId, folderId, itemIds }) => {
      const r = accounts.running.get(accountId);
      if (!r && !config.accounts.some((a) => a.id === accountId)) throw noSuchAccount(accountId);
      // Issue 16: only where the protocol allows it (EAS); the watcher serialises it with its Syncs.
      if (r && !r.watcher.markRead)
        throw new JSONRPCErrorException(`account "${accountId}" cannot mark items read`, -32602);
      if (!r?.watcher.markRead)
        throw new JSONRPCErrorException(
          `account "${accountId}" is not running (disabled, or it could not start)`,
          IpcErrorCode.OPERATION_FAILED,
        );
      return r.watcher.markRead(folderId, itemIds);
    },
    'folders.list': ({ accountId }) => folders(accountId),
    'folders.setWatched': async ({ accountId, folderIds }) => {
      const known = folders(accountId);
      const unknown = folderIds.filter((f) => !known.some((k) => k.id === f));
      if (unknown.length)
        throw new JSONRPCErrorException(`no folder ${unknown.join(', ')} in account "${accountId}"`, -32602);
      await editAccounts(opts.configPath, (accounts) =>
        accounts.map((a) =>
          a.id !== accountId
            ? a
            : a.kind === 'exchange'
              ? { ...a, folders: folderIds }
              : a.kind === 'imap' || a.kind === 'jmap'
                ? { ...a, mailboxes: folderIds }
                : { ...a, collections: folderIds },
        ),
      );
      await reload();
      return folders(accountId);
    },
    pause: (params) => {
      const until = resolvePause(Date.now(), params);
      hub.pause(until);
      statusChanged();
      return { pausedUntil: new Date(until).toISOString() };
    },
    resume: () => {
      hub.resume();
      statusChanged();
      return { ok: true };
    },
    markSeen: ({ accountId }) => {
      if (accountId !== undefined && !config.accounts.some((a) => a.id === accountId))
        throw noSuchAccount(accountId);
      hub.markSeen(accountId);
      statusChanged(accountId !== undefined ? [accountId] : config.accounts.map((a) => a.id));
      return { ok: true };
    },
    check: ({ accountId }) => {
      if (accountId !== undefined && !config.accounts.some((a) => a.id === accountId))
        throw noSuchAccount(accountId);
      const ids = accountId !== undefined ? [accountId] : [...accounts.running.keys()];
      const checking = ids.filter((id) => accounts.running.has(id));
      // Every kind looks now (watch/supervisor.ts check); the answer does not wait for it.
      for (const id of checking) {
        const w = accounts.running.get(id)?.watcher;
        if (w?.check) w.check().catch((err: unknown) => log.warn({ accountId: id, err }, 'check failed'));
        else w?.wake?.('manual');
      }
      return { checking };
    },
    subscribe: ({ replay, after }, conn) => {
      // The replay (from the cursor, or the latest) comes from the hub's feed under the ids the
      // signals had live, and synchronously with adding the sink: no gap, nothing twice.
      if (!subscriberSinks.has(conn))
        subscriberSinks.set(
          conn,
          hub.addSink(
            conn.asSink(),
            after !== undefined ? { after } : replay ? { latest: REPLAY_LIMIT } : undefined,
          ),
        );
      // Tells a debug log (and the interop suite) from when on this client gets every signal.
      log.debug({ client: conn.id, name: conn.name }, 'client subscribed');
      // Where this client is in the feed now: its cursor even before its first signal.
      const cursor = hub.feedPosition();
      return cursor === undefined ? { subscribed: true } : { subscribed: true, cursor };
    },
    reload: async () => ({ ok: true, ...(await reload()) }),
    'notifications.get': () => notificationSettings(config),
    'notifications.set': async (patch) => {
      if (demo)
        // A file with only notifications would end the demo and leave no account.
        throw new JSONRPCErrorException(
          'the daemon runs the demo (no config file yet); add an account first',
          IpcErrorCode.INVALID_CONFIG,
          { code: 'CONFIG_ERR_DEMO', issues: [] },
        );
      await editNotifications(opts.configPath, (section) => {
        const { quietHours: _q, ...rest } = section;
        const next: Record<string, unknown> = { ...(patch.quietHours === undefined ? section : rest) };
        if (patch.quietHours) next.quietHours = patch.quietHours;
        if (patch.rules !== undefined) next.rules = patch.rules;
        if (patch.coalesceMs !== undefined) next.coalesceMs = patch.coalesceMs;
        if (patch.maxItems !== undefined) next.maxItems = patch.maxItems;
        if (patch.collections !== undefined)
          next.collections = { ...(section.collections as object | undefined), ...patch.collections };
        return next;
      });
      await reload();
      return notificationSettings(config);
    },
    shutdown: () => {
      // Answer first, then stop: the caller sees ok before the socket closes.
      setImmediate(() => void stop());
      return { ok: true };
    },
  };

  function folders(accountId: string): FolderInfo[] {
    const r = accounts.running.get(accountId);
    if (!r) {
      if (config.accounts.some((a) => a.id === accountId)) return [];
      throw noSuchAccount(accountId);
    }
    return (r.watcher.status().folders ?? []).map((f) => ({
      id: f.id,
      name: f.name,
      collection: f.collection as FolderInfo['collection'],
      watched: true,
    }));
  }

  async function storeSecret(account: Account, secret: string): Promise<void> {
    const source = secretForAccount(account, opts.secrets);
    if (!source.set)
      throw new JSONRPCErrorException(
        `account "${account.id}" reads its secret from a command or environment variable; set it there`,
        -32006,
        { code: 'SECRET_ERR_READ_ONLY' },
      );
    await source.set(secret);
  }

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      await stack.dispose();
      log.info('stopped');
      resolveStopped();
    })();
    return stopping;
  }

  try {
    store = stack.use(
      'state store',
      setupStore(opts.stateDir, () => demo !== undefined),
    );
    // The demo's sync state is as ephemeral as its in-memory server: a killed demo's leftovers go
    // now, the rest when the demo ends, so a real account added from the demo starts clean.
    if (demo) store.deleteAccount(DEMO_ACCOUNT_ID);
    hub = createHub({ store, log: log.child({ room: 'hub' }), ...hubSettings(config) });
    stack.defer('hub', () => hub.close());
    sinks = stack.use(
      'sinks',
      setupSinks({
        hub,
        log,
        isTraySubscribed: trayConnected,
        ...(opts.secrets ? { secrets: opts.secrets } : {}),
        ...(opts.desktop !== undefined ? { desktop: opts.desktop } : {}),
      }),
    );
    ipc = await startIpcServer({
      path: opts.ipcPath ?? config.ipc?.path ?? defaultIpcPath(),
      log,
      version: VERSION,
      handlers,
      ...(opts.ipcLimits ? { limits: opts.ipcLimits } : {}),
      onClientClose: (conn) => {
        subscriberSinks.get(conn)?.();
        subscriberSinks.delete(conn);
      },
    });
    const server = ipc;
    stack.defer('IPC server', async () => {
      clearTimeout(statusTimer);
      statusTimer = undefined;
      await server.close();
    });
    // Runs after the watchers stopped: what they committed last still reaches the sinks.
    stack.defer('hub flush', () => hub.flush());
    lastHeader = JSON.stringify(header()); // subscribers get it in their snapshot
    if (demo && opts.out) {
      const out = opts.out;
      const printer: Sink = {
        name: 'demo-stdout',
        role: 'subscriber',
        deliver: (s) => {
          out(formatSignalLines(s));
          return true;
        },
      };
      hub.addSink(printer);
    }
    await sinks.rebuild(config);
    hub.start();
    // Network changes and resumes wake every watcher; EAS heartbeats are learned per network key.
    if (opts.wakeMonitor !== false) {
      const monitor = startWakeMonitor({
        ...opts.wakeMonitor,
        onWake: (reason, key) => {
          log.info(
            { reason, network: key },
            `${reason === 'resume' ? 'resumed from sleep' : 'network changed'}: reconnecting every account`,
          );
          accounts.wakeAll(reason);
        },
      });
      wake = monitor;
      stack.defer('wake monitor', () => monitor.stop());
    }
    stack.defer('HTTP dispatchers', pool.dispose);
    const watcherFactory =
      opts.watcherFactory ?? defaultWatcherFactory(pool, wake ? { networkKey: () => wake!.key() } : {});
    accounts = stack.use(
      'accounts',
      setupAccounts({
        store,
        log,
        watcherFactory,
        secretFor,
        startedAt,
        publish: (id, signals) => {
          hub.publish(signals);
          statusChanged([id]); // its unseen count
        },
        changed: (id) => statusChanged([id]),
      }),
    );
    for (const a of config.accounts) startWatcher(a);
    if (opts.handleSignals)
      stack.use('signal handlers', setupSignals(log, { reload, stop: () => void stop() }));
  } catch (err) {
    await stack.dispose();
    throw err;
  }
  log.info(
    { accounts: config.accounts.length, ipc: ipc.path, demo: demo !== undefined, version: VERSION },
    'daemon started',
  );
  const ipcPath = ipc.path;
  return {
    ipcPath,
    get demo() {
      return demo;
    },
    status,
    reload,
    stop,
    stopped,
  };
}
