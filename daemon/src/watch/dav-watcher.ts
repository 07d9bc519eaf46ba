import type { Dispatcher } from 'undici';
import type { DavAccount } from '../config/account';
import type { CollectionState } from '../dav/changes';
import { checkCollection, TokenReportError } from '../dav/check';
import type { DavCollection } from '../dav/collection';
import { type DiscoveryDns, type DiscoveryResult, discover, systemDns } from '../dav/discovery';
import { DavError } from '../dav/errors';
import { mergeMarkers, propfindHome } from '../dav/home-propfind';
import { hrefUrl } from '../dav/href';
import type { PushInbox } from '../dav/push';
import { compose, createTransport, type Send } from '../dav/request';
import { intervalPolicy, nextPollDelay } from '../dav/schedule';
import { SECOND_SETTLE_MS } from '../dav/second-token';
import { selectCollections } from '../dav/select';
import { localTimeZone } from '../zones';
import { withBasicAuth, withRedirects, withRetryOnReset, withStatusErrors } from '../dav/wrappers';
import { createDispatcher } from '../net/dispatcher';
import { type Clock, systemClock } from '../clock';
import { createPushStrategy, type PushStrategy } from './dav-push';
import { type Life, type Session, supervise } from './supervisor';
import type { Watcher, WatcherContext } from './types';

/** Optional collaborators, all injectable from tests. */
export interface DavWatcherDeps {
  /** undici dispatcher (TLS, proxy); default: net/dispatcher from the account's tls/proxy. */
  dispatcher?: Dispatcher;
  clock?: Clock;
  /** RFC 6764 SRV/TXT look-ups; default node:dns. */
  dns?: DiscoveryDns;
  /** A WebDAV-Push receiver; without one the watcher polls. */
  push?: PushInbox;
  /** IANA zone for event times; default the process zone. */
  timeZone?: string;
  /** Back-off jitter source. */
  random?: () => number;
  /** Response body cap, bytes. */
  maxBodyBytes?: number;
}

/** A DAV watcher with one extra verb, so tests and benchmarks can drive it check by check. */
export interface DavWatcher extends Watcher {
  check(): Promise<void>;
  /** Runs one check now (after any running one) and resolves when it has been committed. */
  checkNow(): Promise<void>;
}

const KEY_DISCOVERY = 'dav:discovery';
const KEY_WATCHED = 'dav:watched';
const collectionKey = (href: string) => `dav:col:${href}`;
/** How long a full home listing (names, types, owners) is reused for markers-only checks. */
const FULL_LISTING_MS = 3600_000;

/**
 * One CalDAV or CardDAV account: discovery, then per check one PROPFIND Depth: 1 per home and a
 * sync-collection / multiget only where a token moved. Each collection's new state is committed
 * with its signal in one store transaction, then published. The first sight of a collection is a
 * baseline and announces nothing. States: connecting → syncing → waiting, backing-off on errors
 * (Retry-After honoured), needs-credentials on 401, disabled when the account is or its URL is
 * unusable.
 */
export function createDavWatcher(
  account: DavAccount,
  ctx: WatcherContext,
  deps: DavWatcherDeps = {},
): DavWatcher {
  const clock = deps.clock ?? systemClock;
  const policy = intervalPolicy(account.interval);
  const timeZone = deps.timeZone ?? localTimeZone();
  const source = account.kind;
  const accountId = ctx.accountId;

  let ownedDispatcher: Dispatcher | undefined;
  let send: Send | undefined;
  let lastChangeAt = clock.now();
  let push: PushStrategy | undefined;
  let secretOfCheck: Promise<string> | undefined;
  /** The armed check is the extra one after an open whole-second token. */
  let settling = false;
  /** Failed token REPORTs in a row per collection href (check.ts, REBASELINE_AFTER_FAILURES). */
  const tokenFailures = new Map<string, number>();
  /** Last full listing per home URL. */
  const homes = new Map<string, { at: number; collections: Map<string, DavCollection> }>();

  function getSend(): Send {
    if (send) return send;
    if (!deps.dispatcher) {
      try {
        ownedDispatcher = createDispatcher({
          ...(account.tls ? { tls: account.tls } : {}),
          ...(account.proxy ? { proxy: account.proxy } : {}),
          connections: 2,
        });
      } catch (err) {
        // An unreadable CA / certificate file or a bad proxy URL: nothing a retry can fix.
        throw new DavError(
          'DAV_ERR_CONFIG',
          err instanceof Error ? err.message : String(err),
          {},
          { cause: err },
        );
      }
    }
    const dispatcher = deps.dispatcher ?? ownedDispatcher;
    // Outermost first: a reset socket is retried; then statuses become errors after redirects.
    send = compose(
      createTransport({ dispatcher, ...(deps.maxBodyBytes ? { maxBodyBytes: deps.maxBodyBytes } : {}) }),
      withRetryOnReset(),
      withStatusErrors(() => clock.now()),
      withRedirects(),
      withBasicAuth(account.username, () => {
        // One look-up per check, not per request: a passwordCommand would otherwise run for
        // every multiget batch. Forgotten when the check ends.
        secretOfCheck ??= ctx.secret.get().catch((err: unknown) => {
          // The secrets room's message says where it looked and what to do (no keyring on a
          // headless server → --password-command / --password-env); it never holds the secret.
          const said =
            err instanceof Error && /^SECRET_ERR_/.test(String((err as { code?: unknown }).code))
              ? `: ${err.message}`
              : '';
          throw new DavError(
            'DAV_ERR_SECRET',
            `Could not read the account secret${said}`,
            {},
            { cause: err },
          );
        });
        return secretOfCheck;
      }),
    );
    return send;
  }

  /**
   * The session the supervisor runs: a check, then the wait until the next one (the poll
   * interval, or WebDAV-Push's safety interval), until a check fails. Nothing is held open
   * between checks, so a new network needs no reconnect, only a check (onNetwork: 'check').
   */
  const session: Session = {
    async run(life) {
      for (;;) {
        let out: { announced: boolean; openSecond: boolean };
        try {
          out = await check(life);
        } finally {
          secretOfCheck = undefined;
        }
        life.healthy();
        if (out.announced) lastChangeAt = clock.now();
        let delay = push?.active()
          ? push.safetyDelay(policy)
          : nextPollDelay(clock.now() - lastChangeAt, policy);
        // A whole-second token that may still be open (SOGo, second-token.ts): look once more
        // right after that second, so a change made later in it is not left to the interval. Only
        // once in a row: the kept-back token already guarantees the next check reports it.
        settling = out.openSecond && !settling;
        if (settling) delay = Math.min(delay, SECOND_SETTLE_MS);
        life.set('waiting', {
          detail: `${sup.status().folders?.length ?? 0} collections; ${push?.active() ? 'WebDAV-Push, ' : ''}next check in ${Math.round(delay / 1000)} s`,
        });
        await life.idle(delay);
      }
    },
    classify(err) {
      const e =
        err instanceof DavError
          ? err
          : new DavError(
              'DAV_ERR_HTTP',
              `Unexpected failure: ${err instanceof Error ? err.message : String(err)}`,
              {},
              { cause: err },
            );
      const error = { code: e.code, message: e.message };
      ctx.log.warn({ accountId, code: e.code, context: e.context }, 'dav check failed');
      if (e.code === 'DAV_ERR_UNAUTHORIZED' || e.code === 'DAV_ERR_SECRET') {
        // Retrying a refused password only risks a lock-out; wait for the user (wake('manual')).
        const detail =
          e.code === 'DAV_ERR_SECRET' ? e.message : 'The server refused the user name or password';
        return { error, verdict: { kind: 'park', state: 'needs-credentials', detail } };
      }
      if (e.code === 'DAV_ERR_CONFIG')
        return { error, verdict: { kind: 'park', state: 'disabled', detail: e.message } };
      if (e.code === 'DAV_ERR_NOT_FOUND' || e.code === 'DAV_ERR_DISCOVERY') {
        // A home that vanished: discover again on the next attempt.
        ctx.store.commit(accountId, { delete: [KEY_DISCOVERY] });
      }
      return {
        error,
        verdict: {
          kind: 'backoff',
          ...(e.context.retryAfterMs !== undefined ? { retryAfterMs: e.context.retryAfterMs } : {}),
          baseMs: policy.minMs,
          capMs: Math.max(policy.maxMs, 15 * 60_000),
        },
      };
    },
    async close() {
      const d = ownedDispatcher;
      ownedDispatcher = undefined;
      send = undefined;
      if (d) await d.close().catch(() => undefined);
    },
  };

  const sup = supervise(session, ctx, {
    kind: 'dav',
    clock,
    random: deps.random,
    onNetwork: 'check',
    enabled: account.enabled,
  });

  /**
   * One check of every home. Returns whether anything was announced, and whether a collection
   * kept its token back for an open whole second (second-token.ts).
   */
  async function check(life: Life): Promise<{ announced: boolean; openSecond: boolean }> {
    const s = getSend();
    let disc = ctx.store.get<DiscoveryResult>(accountId, KEY_DISCOVERY);
    // A CalDAV discovery stored before the address set was read is redone once (invitations).
    if (disc === undefined || (source === 'caldav' && disc.addresses === undefined)) {
      life.set('connecting', { detail: `Discovering ${source} homes` });
      disc = await discover(s, account.url, source, deps.dns ?? systemDns);
      ctx.store.commit(accountId, { set: { [KEY_DISCOVERY]: disc } });
    }
    life.set('syncing');
    const firstRound = push !== undefined && !push.registeredOnce();
    const watched: { home: URL; collection: DavCollection }[] = [];
    for (const home of disc.homes) {
      const homeUrl = new URL(home);
      const found = await listHome(s, homeUrl, firstRound);
      const chosen = selectCollections(found, {
        kind: source,
        ...(account.collections ? { configured: account.collections } : {}),
        ...(disc.principal ? { principal: disc.principal } : {}),
        ...(disc.onlyCollection ? { onlyCollection: disc.onlyCollection } : {}),
      });
      for (const c of chosen) watched.push({ home: homeUrl, collection: c });
    }
    life.folders(watched.map(({ collection: c }) => ({ id: c.href, name: c.name, collection: c.type })));

    let announced = false;
    let openSecond = false;
    for (const { home, collection } of watched) {
      if (life.signal.aborted) return { announced, openSecond };
      const key = collectionKey(collection.href);
      const stored = ctx.store.get<CollectionState>(accountId, key);
      let out: Awaited<ReturnType<typeof checkCollection>>;
      try {
        out = await checkCollection(
          { send: s, accountId, source, timeZone, now: clock.now, addresses: disc.addresses ?? [] },
          home,
          collection,
          stored,
          { tokenFailures: tokenFailures.get(collection.href) ?? 0 },
        );
      } catch (err) {
        if (!(err instanceof TokenReportError)) throw err;
        // Counted so that a token the server keeps failing on is given up (check.ts).
        tokenFailures.set(collection.href, (tokenFailures.get(collection.href) ?? 0) + 1);
        throw err.error;
      }
      tokenFailures.delete(collection.href);
      ctx.log.debug(
        { accountId, href: collection.href, step: out.step, signal: out.signal?.id },
        'dav collection checked',
      );
      if (out.openSecond) openSecond = true;
      if (
        out.step === 'none' &&
        stored !== undefined &&
        stored.name === out.state.name &&
        stored.ctag === out.state.ctag
      ) {
        continue;
      }
      const committed = ctx.store.commit(accountId, {
        set: { [key]: out.state },
        ...(out.signal ? { signals: [out.signal] } : {}),
      });
      if (committed.length > 0) {
        announced = true;
        ctx.publish(committed);
      }
    }
    forgetVanished(watched.map((w) => w.collection.href));
    if (push) {
      await push.sync(
        s,
        watched.map(({ home, collection }) => ({ collection, url: hrefUrl(collection.href, home) })),
      );
    }
    return { announced, openSecond };
  }

  /**
   * The home's collections for this check: a markers-only PROPFIND completed from the last full
   * listing, or a full one on the first check, after FULL_LISTING_MS, or when a collection
   * appeared. Either way it is one request per home, except the check that meets a new collection.
   */
  async function listHome(s: Send, homeUrl: URL, withPush: boolean): Promise<DavCollection[]> {
    const cached = homes.get(homeUrl.href);
    if (cached && !withPush && clock.now() - cached.at < FULL_LISTING_MS) {
      const merged = mergeMarkers(cached.collections, await propfindHome(s, homeUrl, { detail: 'markers' }));
      if (merged) return merged;
    }
    const full = await propfindHome(s, homeUrl, { detail: 'full', withPush });
    homes.set(homeUrl.href, { at: clock.now(), collections: new Map(full.map((c) => [c.href, c])) });
    return full;
  }

  /** Drops the state of collections that are no longer watched (deleted or unselected). */
  function forgetVanished(now: string[]): void {
    const before = ctx.store.get<string[]>(accountId, KEY_WATCHED) ?? [];
    const gone = before.filter((h) => !now.includes(h));
    if (gone.length === 0 && before.length === now.length) return;
    ctx.store.commit(accountId, { set: { [KEY_WATCHED]: now }, delete: gone.map(collectionKey) });
  }

  const watcher: DavWatcher = {
    accountId,
    start() {
      if (sup.running) return;
      if (deps.push && account.enabled) {
        push = createPushStrategy({
          inbox: deps.push,
          accountId,
          store: ctx.store,
          log: ctx.log,
          now: () => clock.now(),
          onTopic: () => sup.wake('manual'),
        });
      }
      sup.start();
    },
    async stop() {
      push?.close();
      push = undefined;
      await sup.stop();
    },
    status: () => sup.status(),
    // While a check runs a wake queues one more: the running check may have read the home
    // before the change a push message announces.
    wake: (reason) => sup.wake(reason),
    check: () => sup.check(),
    checkNow: () => sup.check(),
  };
  return watcher;
}
