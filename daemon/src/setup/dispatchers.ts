import type { Dispatcher } from 'undici';
import type { Account } from '../config/account';
import type { AutodiscoverOptions } from '../eas/autodiscover';
// Not the oauth/ index: it also exports the sign-in flows (a loopback HTTP server, the browser),
// which the daemon never runs (issue 5, RSS).
import { authorityFor } from '../oauth/endpoints';
import { createOAuthTokenProvider } from '../oauth/token-provider';
import { createDispatcher } from '../net/dispatcher';
import type { Disposer } from './disposers';
import { lazyDavWatcher } from '../watch/dav-lazy';
import { lazyJmapWatcher } from '../watch/jmap-lazy';
import { createEasWatcher } from '../watch/eas-watcher';
import { lazyImapWatcher } from '../watch/imap-lazy';
import type { Watcher, WatcherContext } from '../watch/types';

/** Builds the watcher for one account; the default picks EAS or DAV by `account.kind`. */
export type WatcherFactory = (account: Account, ctx: WatcherContext) => Watcher;

/**
 * HTTP dispatchers shared by every account with the same TLS and proxy settings: one undici
 * Agent instead of one per account, so TLS material is read once and Autodiscover, OAuth and
 * overflow requests share keep-alive sockets. An EAS account's own commands run on a connection
 * of its own beside it (net/account-dispatcher.ts). No connection cap. `tidings doctor` and
 * `account test` get theirs from a pool too (diagnose/checks.ts), so they connect as the daemon does.
 */
export class DispatcherPool {
  readonly #agents = new Map<string, Dispatcher>();

  /** Throws the account's fault (net/errors.ts: unreadable tls file, bad proxy URL). */
  for(account: Account): Dispatcher {
    const key = JSON.stringify([account.tls ?? null, account.proxy ?? null]);
    let d = this.#agents.get(key);
    if (!d) {
      d = createDispatcher({
        ...(account.tls ? { tls: account.tls } : {}),
        ...(account.proxy ? { proxy: account.proxy } : {}),
        connections: Number.MAX_SAFE_INTEGER,
        shared: true,
      });
      this.#agents.set(key, d);
    }
    return d;
  }

  async close(): Promise<void> {
    const all = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.all(all.map((d) => d.close().catch(() => {})));
  }

  /** As a setup step: the pool's sockets close when the daemon stops. */
  get dispose(): Disposer {
    return () => this.close();
  }
}

/** Options of the real watcher factory; the defaults are what the daemon runs with. */
export interface WatcherFactoryOptions {
  /** Extra Autodiscover options for every search (tests: `baseUrls`, `resolveSrv`). */
  autodiscover?: Omit<AutodiscoverOptions, 'dispatcher' | 'username' | 'password' | 'bearer' | 'signal'>;
  /** Test hook: the HTTP dispatcher for an account instead of the shared pool's. */
  dispatcherFor?: (account: Account) => Dispatcher;
  /** Names the current network (the wake monitor's key) so EAS heartbeats are learned per network. */
  networkKey?: () => string;
}

/**
 * The real watchers: EAS or DAV by `account.kind`, with HTTP from the shared pool. Exchange
 * accounts without `url` find it by Autodiscover (the watcher stores it); OAuth2 accounts get a
 * token provider whose refresh token is the account's secret (keyring `<id>:oauth-refresh`).
 * Throws when the account's dispatcher cannot be built: the daemon shows that as the account's
 * `error` state (setup/accounts.ts).
 */
export function defaultWatcherFactory(
  pool: DispatcherPool = new DispatcherPool(),
  fopts: WatcherFactoryOptions = {},
): WatcherFactory {
  return (account, ctx) => {
    const dispatcher = fopts.dispatcherFor?.(account) ?? pool.for(account);
    // IMAP has its own sockets; the pool's HTTP dispatcher only carries OAuth token requests.
    if (account.kind === 'imap') return lazyImapWatcher(account, ctx, dispatcher);
    if (account.kind === 'jmap') {
      // OAuth2: access tokens from the Exchange token provider, the refresh token in `secret`.
      const a = account.auth;
      const tokens =
        a.type === 'oauth2'
          ? createOAuthTokenProvider({
              clientId: a.clientId,
              authority: a.authority,
              scope: a.scope,
              refreshToken: ctx.secret,
              dispatcher,
              log: ctx.log,
            })
          : undefined;
      return lazyJmapWatcher(account, ctx, dispatcher, tokens);
    }
    if (account.kind !== 'exchange') return lazyDavWatcher(account, ctx, dispatcher);
    const auth = account.auth;
    return createEasWatcher(account, ctx, {
      dispatcher,
      // Loaded on the first search only (an account without `url`): Autodiscover's XML parser is
      // ~70 KB of code an account with a known URL never runs (issue 5, RSS).
      autodiscover: async (email, o) =>
        (await import('../eas/autodiscover')).autodiscover(email, {
          ...fopts.autodiscover,
          ...o,
          log: ctx.log,
        }),
      ...(fopts.networkKey ? { networkKey: fopts.networkKey } : {}),
      ...(auth.type === 'oauth2'
        ? {
            tokens: createOAuthTokenProvider({
              clientId: auth.clientId,
              authority: auth.authority ?? authorityFor(auth.tenant),
              scope: auth.scope,
              refreshToken: ctx.secret,
              dispatcher,
              log: ctx.log,
            }),
          }
        : {}),
    });
  };
}
