import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock';
import type { JmapAccount } from '../config/account';
import type { TokenProvider } from '../oauth/token-provider';
import { basicAuth, bearerAuth, type JmapAuth, oauthAuth } from '../jmap/auth';
import { sessionConn } from '../jmap/connection';
import { emailSetKeyword } from '../jmap/email-set';
import { JmapError } from '../jmap/errors';
import {
  baseline,
  changesPage,
  followMailboxes,
  type MailState,
  reconcile,
  type SyncStep,
} from '../jmap/mail-sync';
import type { PushChannel, PushEnd } from '../jmap/push/channel';
import { openEventSource } from '../jmap/push/eventsource';
import { afterPushEnd, choosePush, NO_HISTORY, type PushHistory, type PushKind } from '../jmap/push/policy';
import { type AccountStates, PUSH_TYPES } from '../jmap/push/statechange';
import { pushTypesFor, sessionTypes } from '../jmap/data-types';
import { followTypes, KEY_TYPES, type TypeStates, typesBehind } from '../jmap/type-sync';
import { openWebSocket } from '../jmap/push/websocket';
import { fetchSession, type JmapSession } from '../jmap/session';
import { createTransport, type JmapHttp, type JmapLimits } from '../jmap/transport';
import { backoffDelay } from '../retry/backoff';
import { type Life, type Session, supervise } from './supervisor';
import { type MarkReadResult, signInAgain, type Watcher, type WatcherContext } from './types';

/** Collaborators, injectable from tests. */
export interface JmapWatcherDeps {
  dispatcher: Dispatcher;
  clock?: Clock;
  /** OAuth access tokens for `auth.type: oauth2`. */
  tokens?: TokenProvider;
  random?: () => number;
  limits?: Partial<JmapLimits>;
  /** Allowance past 2× ping before a silent push stream counts as stalled, ms (default 15 s). */
  pushGraceMs?: number;
}

/** A JMAP watcher with one extra verb, so tests can drive it sync by sync. */
export interface JmapWatcher extends Watcher {
  check(): Promise<void>;
  /** Runs one sync now (after any running one) and resolves when it has been committed. */
  checkNow(): Promise<void>;
  /** How the account learns of changes now. */
  pushMode(): 'websocket' | 'eventsource' | 'poll' | 'none';
}

/** The store key of the account's MailState (jmap/mail-sync.ts). */
export const KEY_MAIL = 'jmap:mail';
/** A server move the user accepted (`account accept-move`): used while `url` in the config is unchanged. */
export const KEY_MOVED = 'jmap:moved';
/** While polling for want of push, push is tried again this often (a server upgrade). */
const PUSH_RETRY_MS = 3600_000;

/**
 * One JMAP account (RFC 8620 / 8621): the session from /.well-known/jmap, push over WebSocket
 * (RFC 8887) or EventSource (RFC 8620 §7.3), and on every push, reconnect or poll an
 * Email/changes + Email/get round from the state in the store. Each page's new state is
 * committed with its signals in one store transaction, then published: a dropped stream or a
 * kill -9 loses and repeats nothing. The first sync is a silent baseline; cannotCalculateChanges
 * re-baselines with reconcile. A push endpoint that does not push (Debian's Cyrus: 204 at once)
 * is noticed and replaced by Email/changes every `interval` seconds, as status says.
 */
export function createJmapWatcher(
  account: JmapAccount,
  ctx: WatcherContext,
  deps: JmapWatcherDeps,
): JmapWatcher {
  const clock = deps.clock ?? systemClock;
  const accountId = ctx.accountId;
  /** Ids marked read by markRead, so their echo in Email/changes is not announced as a change. */
  const ownUpdates = new Set<string>();
  const syncOpts = {
    accountId,
    ...(account.mailboxes ? { mailboxes: account.mailboxes } : {}),
    now: () => clock.now(),
    ownUpdates,
  };
  const grace = deps.pushGraceMs ?? 15_000;
  /** The user's own address, so an event asking it to answer is an invitation. */
  const self = account.username.includes('@') ? [account.username] : [];

  let abort = new AbortController();
  let http: JmapHttp | undefined;
  let session: JmapSession | undefined;
  let sessionStale = false;
  /** Syncs and markRead one after another on the account (see markRead). */
  let chain: Promise<void> = Promise.resolve();
  let pushTimer: unknown;
  let channel: PushChannel | undefined;
  let channelKind: 'websocket' | 'eventsource' | undefined;
  /** The open channel answered (EventSource headers, WebSocket handshake). */
  let channelUp = false;
  let lastEventId: string | undefined;
  let pushAttempt = 0;
  let history: PushHistory = NO_HISTORY;
  /** Set while push is given up for now: the reason, shown in status. */
  let polling: string | undefined;
  /** The last reason for polling told to the user (notice), so an hourly retry is not told again. */
  let told: string | undefined;
  /** A redirect to another origin waiting for the user (needs-confirmation). */
  let pendingMove: { from: string; to: string } | undefined;

  /** The URL the session is read from: the config's, or a move the user accepted for it. */
  function serverUrl(): string {
    const moved = ctx.store.get<{ for: string; to: string }>(accountId, KEY_MOVED);
    return moved && moved.for === account.url ? moved.to : account.url;
  }

  /** Stopped, or not started: push callbacks that come late do nothing. */
  const stopped = () => !sup.running;

  function auth(): JmapAuth {
    const now = () => clock.now();
    if (account.auth.type === 'oauth2') {
      if (!deps.tokens) throw new JmapError('JMAP_ERR_CONFIG', 'auth oauth2 needs a token provider');
      return oauthAuth(deps.tokens);
    }
    if (account.auth.type === 'bearer') return bearerAuth(ctx.secret, now);
    return basicAuth(account.username, ctx.secret, now);
  }

  function transport(): JmapHttp {
    http ??= createTransport({
      dispatcher: deps.dispatcher,
      auth: auth(),
      ...(deps.limits ? { limits: deps.limits } : {}),
      signal: abort.signal,
      now: () => clock.now(),
    });
    return http;
  }

  function mode(): 'websocket' | 'eventsource' | 'poll' | 'none' {
    if (polling !== undefined || account.push === 'off') return 'poll';
    return channelKind ?? 'none';
  }

  function waitingDetail(): string {
    const boxes = sup.status().folders?.length ?? 0;
    const what = `${boxes} mailbox${boxes === 1 ? '' : 'es'}`;
    if (account.push === 'off')
      return `${what}; Email/changes every ${account.interval} s (push off in the config)`;
    if (polling !== undefined)
      return `${what}; ${polling}; checking with Email/changes every ${account.interval} s`;
    if (channelKind && !channelUp)
      return `${what}; opening ${channelKind === 'websocket' ? 'WebSocket' : 'EventSource'} push`;
    if (channelKind === 'websocket') return `${what}; WebSocket push (RFC 8887) open`;
    if (channelKind === 'eventsource') return `${what}; EventSource push open (ping ${account.ping} s)`;
    return `${what}; connecting push`;
  }

  // ---- the sync chain ---------------------------------------------------------------------------

  /** Runs `fn` after what is under way on the account: a sync, or a markRead. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn);
    chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async function ensureSession(life: Life): Promise<JmapSession> {
    if (session && !sessionStale) return session;
    const before = session;
    life.set('connecting', {
      detail: before ? 'The JMAP session changed; reading it again' : 'Reading the JMAP session',
    });
    session = await fetchSession(transport(), serverUrl());
    sessionStale = false;
    // New push URLs (or none): the open channel belongs to the old session.
    if (
      before &&
      (before.eventSourceUrl !== session.eventSourceUrl ||
        before.webSocketUrl !== session.webSocketUrl ||
        before.accountId !== session.accountId)
    )
      closePush();
    return session;
  }

  /** The watched mailboxes as status shows them (tidings status, the tray, folders.list). */
  function showFolders(state: MailState): void {
    sup.folders(Object.entries(state.mailboxes).map(([id, m]) => ({ id, name: m.name, collection: 'mail' })));
  }

  function commit(step: SyncStep): void {
    const committed = ctx.store.commit(accountId, { set: { [KEY_MAIL]: step.state }, signals: step.signals });
    showFolders(step.state);
    if (committed.length > 0) ctx.publish(committed);
  }

  async function sync(life: Life): Promise<void> {
    const s = await ensureSession(life);
    const conn = sessionConn(transport(), s, () => {
      sessionStale = true;
    });
    life.set('syncing');
    await syncMail(conn, life);
    if (life.signal.aborted) return;
    // Calendars and contacts where the session offers them (jmap/type-sync.ts), each call
    // committed with its signals.
    await followTypes(
      conn,
      s,
      {
        get: () => ctx.store.get<TypeStates>(accountId, KEY_TYPES),
        commit: (states, signals) => {
          const committed = ctx.store.commit(accountId, { set: { [KEY_TYPES]: states }, signals });
          if (committed.length > 0) ctx.publish(committed);
        },
      },
      {
        accountId,
        self,
        now: () => clock.now(),
        stopped: () => life.signal.aborted,
        onProblem: (p) => ctx.log.warn({ accountId, ...p }, 'jmap: a calendar or contacts type failed'),
      },
    );
  }

  async function syncMail(conn: ReturnType<typeof sessionConn>, life: Life): Promise<void> {
    let state = ctx.store.get<MailState>(accountId, KEY_MAIL);
    if (state === undefined || state.v !== 1) {
      commit(await baseline(conn, syncOpts));
      return;
    }
    showFolders(state);
    /** Follows Mailbox/changes (renames, a configured mailbox appearing, one deleted). */
    const follow = async (from: MailState): Promise<MailState> => {
      const followed = await followMailboxes(conn, from, syncOpts);
      if (followed !== from) commit({ state: followed, signals: [] });
      return followed;
    };
    for (let rounds = 0; rounds < 1000 && !life.signal.aborted; rounds++) {
      let page: Awaited<ReturnType<typeof changesPage>>;
      try {
        page = await changesPage(conn, state, syncOpts);
      } catch (err) {
        if (!(err instanceof JmapError && err.code === 'JMAP_ERR_CANNOT_CALCULATE')) throw err;
        if (err.context.request === 'Mailbox/changes') {
          // A mailbox state too old: followMailboxes reads the whole (small) list again.
          state = await follow(state);
          continue;
        }
        ctx.log.info({ accountId }, 'jmap: cannotCalculateChanges; re-baselining with reconcile');
        commit(await reconcile(conn, state, syncOpts));
        return;
      }
      if (page === undefined) return;
      if (page === 'mailboxes') {
        state = await follow(state);
        continue;
      }
      commit(page);
      state = page.state;
      if (!page.more) return;
    }
  }

  /**
   * The session the supervisor runs: an Email/changes round, then the wait for a push (or the
   * interval while no push channel is up), until a round fails.
   */
  const jmapSession: Session = {
    async run(life) {
      for (;;) {
        await exclusive(() => sync(life));
        life.healthy();
        if (life.signal.aborted) return;
        ensurePush();
        life.set('waiting', { detail: waitingDetail() });
        // No push to wake us (given up, or down and reconnecting): Email/changes on the interval,
        // so a push channel that never opens cannot leave the account deaf.
        await life.idle(mode() === 'poll' || !channelUp ? account.interval * 1000 : undefined);
      }
    },
    classify(err) {
      const e =
        err instanceof JmapError
          ? err
          : new JmapError(
              'JMAP_ERR_NETWORK',
              `Unexpected failure: ${err instanceof Error ? err.message : String(err)}`,
              {},
              {
                cause: err,
              },
            );
      const error = { code: e.code, message: e.message };
      ctx.log.warn({ accountId, code: e.code, context: e.context }, 'jmap sync failed');
      closePush();
      if (e.code === 'JMAP_ERR_UNAUTHORIZED' || e.code === 'JMAP_ERR_SECRET') {
        // Retrying a refused password only risks a lock-out; wait for the user (wake('manual')).
        const detail =
          account.auth.type === 'oauth2'
            ? signInAgain(accountId)
            : e.code === 'JMAP_ERR_SECRET'
              ? `The ${account.auth.type === 'bearer' ? 'API token' : 'password'} could not be read from its source`
              : `The server refused the ${account.auth.type === 'bearer' ? 'API token' : 'user name or password'}`;
        return { error, verdict: { kind: 'park', state: 'needs-credentials', detail } };
      }
      if (e.code === 'JMAP_ERR_REDIRECT' && e.context.location) {
        // Issue 13 §2, as for Exchange: only the user sends credentials to another origin.
        pendingMove = { from: serverUrl(), to: e.context.location };
        return {
          error,
          verdict: {
            kind: 'park',
            state: 'needs-confirmation',
            detail: `${e.message}; \`tidings account accept-move ${accountId}\` follows it`,
            move: pendingMove,
          },
        };
      }
      if (e.code === 'JMAP_ERR_CONFIG' || e.code === 'JMAP_ERR_REDIRECT')
        return { error, verdict: { kind: 'park', state: 'disabled', detail: e.message } };
      // The session may have moved the API; read it again on the next attempt.
      session = undefined;
      return {
        error,
        verdict: {
          kind: 'backoff',
          ...(e.context.retryAfterMs !== undefined ? { retryAfterMs: e.context.retryAfterMs } : {}),
        },
      };
    },
    onWake(reason) {
      if (reason === 'manual') return;
      pushAttempt = 0;
      // The old socket may be dead without knowing it: a new network needs a new stream.
      closePush();
    },
  };

  const sup = supervise(jmapSession, ctx, {
    kind: 'jmap',
    clock,
    random: deps.random,
    onNetwork: 'check',
    enabled: account.enabled,
  });

  // ---- push -------------------------------------------------------------------------------------

  function closePush(): void {
    if (pushTimer !== undefined) clock.clearTimeout(pushTimer);
    pushTimer = undefined;
    const c = channel;
    channel = undefined;
    channelKind = undefined;
    channelUp = false;
    c?.close();
  }

  /** Opens a push channel when none is open, none is scheduled and push is not given up. */
  function ensurePush(): void {
    if (stopped() || account.push === 'off' || polling !== undefined || channel || pushTimer !== undefined)
      return;
    const s = session;
    if (!s) return;
    const kind = choosePush(s, account.push, history);
    if (!kind) {
      giveUpPush('the server offers no push (no eventSourceUrl, no WebSocket push)');
      return;
    }
    const ws = kind === 'websocket';
    const handlers = {
      onOpen: () => {
        // Whatever changed while no channel was open is caught up from the stored state.
        pushAttempt = 0;
        channelUp = true;
        void sup.check();
      },
      onChange: (states: AccountStates) => onPush(states),
    };
    const common = {
      accountId: s.accountId,
      types: [...PUSH_TYPES, ...pushTypesFor(sessionTypes(s))],
      pingSeconds: account.ping,
      graceMs: grace,
      connectMs: 30_000,
      dispatcher: deps.dispatcher,
      authorization: () => transport().authorization(),
      clock,
    };
    const c = ws
      ? openWebSocket({ ...common, url: s.webSocketUrl! }, handlers)
      : openEventSource(
          { ...common, template: s.eventSourceUrl!, ...(lastEventId ? { lastEventId } : {}) },
          handlers,
        );
    channel = c;
    channelKind = ws ? 'websocket' : 'eventsource';
    channelUp = false;
    void c.ended.then((end) => {
      if ('lastEventId' in c && typeof c.lastEventId === 'function')
        lastEventId = (c.lastEventId as () => string)() || lastEventId;
      if (channel !== c) return;
      const opened = channelUp;
      channel = undefined;
      channelKind = undefined;
      channelUp = false;
      onPushEnd(end, kind, opened);
    });
  }

  function onPush(states: AccountStates): void {
    const stored = ctx.store.get<MailState>(accountId, KEY_MAIL);
    // A state we already hold (our own echo, a replayed event) needs no round trip.
    const email = states.Email;
    const mailbox = states.Mailbox;
    if (
      stored &&
      (email === undefined || email === stored.emailState) &&
      (mailbox === undefined || mailbox === stored.mailboxState) &&
      !(session && typesBehind(session, ctx.store.get<TypeStates>(accountId, KEY_TYPES), states))
    )
      return;
    ctx.log.debug({ accountId, states }, 'jmap push');
    void sup.check();
  }

  function giveUpPush(why: string): void {
    // Told once per reason, not at every hourly retry of push (Debian's Cyrus answers 204 forever).
    if (polling === undefined && told !== why) {
      told = why;
      ctx.notice?.({
        level: 'info',
        code: 'JMAP_ERR_PUSH',
        text: `${why}; checking with Email/changes every ${account.interval} s instead`,
      });
    } else ctx.log.debug({ accountId }, `jmap: ${why}; polling Email/changes every ${account.interval} s`);
    polling = why;
    if (sup.status().state === 'waiting') sup.set('waiting', { detail: waitingDetail() });
    sup.armIdle(account.interval * 1000);
    pushTimer = clock.setTimeout(() => {
      pushTimer = undefined;
      polling = undefined;
      history = NO_HISTORY;
      ensurePush();
    }, PUSH_RETRY_MS);
  }

  function onPushEnd(end: PushEnd, kind: PushKind, opened: boolean): void {
    if (stopped()) return;
    const after = afterPushEnd(end, kind, opened, history);
    history = after.history;
    if (after.decision.next === 'poll') {
      giveUpPush(after.decision.why);
      return;
    }
    const e = end.error;
    // A refused credential: an OAuth token is refreshed for the next attempt (a password is not
    // retried by the sync path, which goes to needs-credentials on its own 401).
    if (e instanceof JmapError && e.code === 'JMAP_ERR_UNAUTHORIZED') void transport().rejected();
    if (e) ctx.log.debug({ accountId, error: e instanceof Error ? e.message : String(e) }, 'jmap push ended');
    const delay = backoffDelay(pushAttempt++, undefined, {
      baseMs: 1_000,
      capMs: 5 * 60_000,
      ...(deps.random ? { random: deps.random } : {}),
    });
    // Until the channel is back, Email/changes on the interval: nothing waits for the reconnect.
    sup.armIdle(account.interval * 1000);
    if (sup.status().state === 'waiting') {
      const boxes = sup.status().folders?.length ?? 0;
      sup.set('waiting', {
        detail: `${boxes} mailbox${boxes === 1 ? '' : 'es'}; ${kind === 'websocket' ? 'WebSocket' : 'EventSource'} push ended${e instanceof Error ? ` (${e.message})` : ''}, reconnecting in ${Math.round(delay / 1000)} s; Email/changes every ${account.interval} s meanwhile`,
        ...(e instanceof JmapError ? { lastError: { code: e.code, message: e.message } } : {}),
      });
    }
    pushTimer = clock.setTimeout(() => {
      pushTimer = undefined;
      ensurePush();
    }, delay);
  }

  const watcher: JmapWatcher = {
    accountId,
    start() {
      if (sup.running) return;
      abort = new AbortController();
      http = undefined;
      sup.start();
    },
    async stop() {
      const stopping = sup.stop();
      closePush();
      abort.abort(new JmapError('JMAP_ERR_NETWORK', 'the account is stopping'));
      await stopping;
      session = undefined;
      http = undefined;
      polling = undefined;
      history = NO_HISTORY;
    },
    status: () => sup.status(),
    wake: (reason) => sup.wake(reason),
    check: () => sup.check(),
    checkNow: () => sup.check(),
    markRead(folderId, itemIds): Promise<MarkReadResult> {
      const s = session;
      const status = sup.status();
      if (stopped() || !s || status.state !== 'waiting')
        return Promise.reject(
          new JmapError(
            'JMAP_ERR_NOT_CONNECTED',
            `account ${accountId} is not connected (${status.state}); try again once it is`,
            { request: 'Email/set' },
          ),
        );
      if (!status.folders?.some((f) => f.id === folderId))
        return Promise.reject(
          new JmapError('JMAP_ERR_NO_SUCH_ITEM', `account ${accountId} watches no mailbox ${folderId}`, {
            request: 'Email/set',
          }),
        );
      const ids = [...new Set(itemIds)];
      // In the sync chain: the echo of our own change comes back through Email/changes and must
      // meet ownUpdates, not race a round already running.
      const run = exclusive(async (): Promise<MarkReadResult> => {
        for (const id of ids) ownUpdates.add(id);
        const conn = sessionConn(transport(), s, () => {
          sessionStale = true;
        });
        let answer: Awaited<ReturnType<typeof conn.call<[ReturnType<typeof emailSetKeyword>]>>>[0];
        try {
          [answer] = await conn.call([emailSetKeyword(s.accountId, ids, '$seen')]);
        } catch (err) {
          for (const id of ids) ownUpdates.delete(id);
          throw err;
        }
        for (const f of answer.notUpdated) ownUpdates.delete(f.id);
        const failed = answer.notUpdated.map((f) => ({
          id: f.id,
          status: f.type === 'notFound' ? 404 : 400,
        }));
        const marked = ids.filter((id) => !failed.some((f) => f.id === id));
        ctx.log.info(
          { accountId, folder: folderId, marked: marked.length, failed: failed.length },
          'marked read',
        );
        if (marked.length === 0 && failed.length > 0)
          throw new JmapError(
            failed[0]!.status === 404 ? 'JMAP_ERR_NO_SUCH_ITEM' : 'JMAP_ERR_METHOD',
            `the server marked none of the ${ids.length} mail(s) read (${answer.notUpdated[0]!.type})`,
            { request: 'Email/set', type: answer.notUpdated[0]!.type },
          );
        return { marked, failed };
      });
      // The state moved: a round now takes in the echo (and anything else), announced as usual.
      void run.then(
        () => sup.check(),
        () => undefined,
      );
      return run;
    },
    acceptMove() {
      const move = pendingMove;
      if (!move || stopped()) return undefined;
      pendingMove = undefined;
      // The stored states belong to the old server's session: the new one gets a silent baseline
      // (a move to another server must not announce its whole Inbox).
      ctx.store.commit(accountId, {
        set: { [KEY_MOVED]: { for: account.url, to: move.to } },
        delete: [KEY_MAIL, KEY_TYPES],
      });
      ctx.log.warn({ accountId, from: move.from, to: move.to }, 'the user accepted the move; following it');
      session = undefined;
      sup.retryNow();
      return move.to;
    },
    pushMode: mode,
  };
  return watcher;
}
