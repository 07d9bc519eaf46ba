import type { ImapFlow } from 'imapflow';
import { decodePath, encodePath } from 'imapflow/lib/tools.js';
import { type Clock, systemClock } from '../clock';
import type { ImapAccount } from '../config/account';
import type { TokenProvider } from '../oauth';
import { featuresOf, type ImapFeatures, listenMode } from '../imap/capabilities';
import { examine } from '../imap/commands/examine';
import { type DetailedMessage, fetchDetails, fetchFlagsFrom, fetchPartPrefix } from '../imap/commands/fetch';
import { notifyRefused, notifySet, onNotifications } from '../imap/commands/notify';
import { fetchServerPreviews } from '../imap/commands/preview';
import { fetchVanished } from '../imap/commands/vanished';
import { fetchFlagChanges } from '../imap/commands/flag-changes';
import { searchAll, searchUnseen } from '../imap/commands/search-all';
import { mailboxStatus } from '../imap/commands/status';
import {
  type ConnectOptions,
  connectionError,
  connect as defaultConnect,
  defaultPort,
  type ImapCredential,
} from '../imap/connection';
import { ImapError, toImapError } from '../imap/errors';
import {
  applyDiff,
  baselineState,
  isMailboxState,
  type MailboxState,
  type MailboxStatus,
  planCheck,
} from '../imap/mailbox-state';
import { firstTextPart, PREVIEW_FETCH_BYTES, previewFromPart } from '../imap/preview';
import { raw } from '../imap/raw';
import { mailboxLabel, mailboxSignal } from '../imap/signals';
import { decodeUids, encodeUids } from '../imap/uid-set';
import { announceable, hasFlag, summarize } from '../imap/summary';
import type { ItemSummary } from '../signal';
import { type Life, type Session, type Supervisor, supervise } from './supervisor';
import { signInAgain, type Watcher, type WatcherContext } from './types';

/** Optional collaborators, all injectable from tests. */
export interface ImapWatcherDeps {
  clock?: Clock;
  /** Back-off jitter source. */
  random?: () => number;
  /** OAuth2 access tokens (account.oauth2); without it the secret is the password. */
  tokens?: TokenProvider;
  /** Opens a logged-in connection; default imap/connection.ts. */
  connect?: (o: ConnectOptions) => Promise<ImapFlow>;
}

/** An IMAP watcher with one extra verb, so tests can wait for a full check of every mailbox. */
export interface ImapWatcher extends Watcher {
  check(): Promise<void>;
  /** Checks every watched mailbox now (after what is queued) and resolves once committed. */
  checkNow(): Promise<void>;
}

const KEY_WATCHED = 'imap:watched';
const mailboxKey = (m: string) => `imap:mb:${m}`;
/** New mail fetched with envelope and body structure per check; the rest is announced by UID only. */
const DETAIL_LIMIT = 50;
/** Mail whose preview is read from its body when the server has no PREVIEW (one FETCH each). */
const BODY_PREVIEW_LIMIT = 20;
/** A session that lasted this long ended normally (an idle limit, a restart): back-off starts over. */
const HEALTHY_SESSION_MS = 60_000;
const DEFAULT_STATUS_INTERVAL_S = 120;
/**
 * Deadline of one step (connect + login, one mailbox's check): imapflow's own socket timeout is
 * above the IDLE renewal (31 min), so a server that accepts a command and never answers would
 * otherwise hold the account that long.
 */
export const STEP_DEADLINE_MS = 120_000;

const sameMailbox = (a: string, b: string) =>
  a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');

/**
 * One `kind: imap` account (issue 17). A session connects, checks every watched mailbox from its
 * stored state (STATUS, then UID FETCH / UID SEARCH only where something moved), and then listens:
 * NOTIFY (RFC 5465) for every mailbox on this one connection where the server offers it, else
 * IDLE on INBOX with STATUS of the others every `statusInterval`. A push only says *that* a
 * mailbox changed; the check asks what changed from the stored state, so a dropped connection
 * loses nothing. Each mailbox's new state is committed with its signal in one store transaction,
 * then published. First sight of a mailbox is a silent baseline; a new UIDVALIDITY re-baselines
 * and announces only unread mail newer than the last change (no flood of old mail).
 *
 * States: connecting → syncing → waiting; backing-off on network faults and BYE (reconnects in
 * a loop, never by recursion); needs-credentials on a refused login (waits for wake('manual'));
 * disabled when the account is, or cannot be turned into a connection.
 */
export function createImapWatcher(
  account: ImapAccount,
  ctx: WatcherContext,
  deps: ImapWatcherDeps = {},
): ImapWatcher {
  const clock = deps.clock ?? systemClock;
  const accountId = ctx.accountId;
  const connectTo = deps.connect ?? defaultConnect;
  const watched = account.mailboxes ?? ['INBOX'];
  const statusIntervalMs = (account.statusInterval ?? DEFAULT_STATUS_INTERVAL_S) * 1000;

  let client: ImapFlow | undefined;
  let features: ImapFeatures | undefined;
  let idleTarget: string | undefined;
  const missing = new Set<string>();
  /** Mailboxes asked to be checked; drained one at a time by `drain`. */
  const queue = new Set<string>();
  let draining: Promise<void> | undefined;
  let pollTimer: unknown;
  let forceTokenRefresh = false;
  /** The one forced refresh after a refused token was spent; reset by a session that logs in. */
  let refreshedForAuth = false;
  /** Why we closed the connection ourselves (a failed check), so status names it rather than BYE. */
  let endedBy: ImapError | undefined;
  /** `<mailbox>\0<uid>` marked read by markRead, whose flag change is not announced back. */
  const selfMarked = new Set<string>();

  /** Stopped, or not started: late events of a closing connection do nothing. */
  const stopped = () => !sup.running;
  const setStatus = (...a: Parameters<Supervisor['set']>) => sup.set(...a);

  function waitingDetail(): string {
    const live = watched.filter((m) => !missing.has(m));
    const f = features;
    const sync = f ? (f.qresync ? 'QRESYNC' : f.condstore ? 'CONDSTORE' : 'UID diff') : '';
    const mode = f ? `${listenMode(f, live.length)}; ${sync}` : 'connected';
    return missing.size ? `${mode}; missing on the server: ${[...missing].join(', ')}` : mode;
  }

  /**
   * `p`, or IMAP_ERR_TIMEOUT after STEP_DEADLINE_MS — then the connection is closed, so the
   * command still waiting is abandoned and the session starts over from the stored state.
   */
  function deadline<T>(p: Promise<T>, what: string, c?: ImapFlow): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = clock.setTimeout(() => {
        c?.close();
        reject(
          new ImapError('IMAP_ERR_TIMEOUT', `${what}: no answer within ${STEP_DEADLINE_MS / 1000} s`, {
            host: account.host,
          }),
        );
      }, STEP_DEADLINE_MS);
      p.then(
        (v) => {
          clock.clearTimeout(t);
          resolve(v);
        },
        (err: unknown) => {
          clock.clearTimeout(t);
          reject(err);
        },
      );
    });
  }

  async function credential(): Promise<ImapCredential> {
    if (deps.tokens) {
      const force = forceTokenRefresh;
      forceTokenRefresh = false;
      try {
        return { accessToken: await deps.tokens.getAccessToken({ forceRefresh: force }) };
      } catch (err) {
        const e = err as { transient?: unknown; message?: unknown };
        if (e?.transient === true)
          throw new ImapError(
            'IMAP_ERR_NETWORK',
            `OAuth token endpoint unreachable: ${String(e.message)}`,
            {},
            { cause: err },
          );
        throw new ImapError(
          'IMAP_ERR_SECRET',
          `Could not get an OAuth access token: ${String(e?.message ?? err)}`,
          {},
          { cause: err },
        );
      }
    }
    try {
      return { pass: await ctx.secret.get() };
    } catch (err) {
      throw new ImapError(
        'IMAP_ERR_SECRET',
        'Could not read the account password from its source',
        {},
        { cause: err },
      );
    }
  }

  /** While connected: every watched mailbox is checked on the open connection. */
  function checkAll(): Promise<void> | undefined {
    if (!client) return undefined;
    for (const m of watched) if (!missing.has(m)) request(m);
    // Whatever runs now may have started before the change: wait for the queue to empty.
    return (async () => {
      while (draining) await draining;
    })();
  }

  /**
   * The session the supervisor runs: one connection's life, which ends when the connection
   * closes (BYE, a network fault, a failed check, or stop/restart closing it).
   */
  const imapSession: Session = {
    async run(life) {
      endedBy = undefined;
      // stop() and wake(network|resume) end the run by closing the connection.
      const onAbort = () => client?.close();
      life.signal.addEventListener('abort', onAbort, { once: true });
      try {
        await session(life);
        if (life.signal.aborted) return;
        throw (
          endedBy ?? new ImapError('IMAP_ERR_BYE', 'The server closed the connection', { host: account.host })
        );
      } finally {
        life.signal.removeEventListener('abort', onAbort);
        cleanupSession();
      }
    },
    classify(err) {
      const e = toImapError(err, { host: account.host });
      const error = { code: e.code, message: e.message };
      ctx.log.warn({ accountId, code: e.code, context: e.context }, 'imap session ended');
      if (e.code === 'IMAP_ERR_AUTH' && deps.tokens && !refreshedForAuth) {
        // An access token can be revoked before it expires: one retry with a fresh one first.
        refreshedForAuth = true;
        forceTokenRefresh = true;
        return {
          error,
          verdict: {
            kind: 'now',
            status: { state: 'backing-off', detail: 'Access token refused; refreshing it' },
          },
        };
      }
      if (e.code === 'IMAP_ERR_AUTH' || e.code === 'IMAP_ERR_SECRET') {
        // Retrying a refused password only risks a lock-out; wait for the user (wake('manual')).
        // OAuth2: no password to fix; a new sign-in stores a new refresh token (as diagnose says).
        const detail = deps.tokens
          ? signInAgain(accountId)
          : e.code === 'IMAP_ERR_SECRET'
            ? 'The password could not be read from its source'
            : 'The server refused the login';
        return { error, verdict: { kind: 'park', state: 'needs-credentials', detail } };
      }
      if (e.code === 'IMAP_ERR_CONFIG')
        return { error, verdict: { kind: 'park', state: 'disabled', detail: e.message } };
      return { error, verdict: { kind: 'backoff' } };
    },
    check: checkAll,
    async close() {
      await draining?.catch(() => undefined);
    },
  };

  const sup = supervise(imapSession, ctx, {
    kind: 'imap',
    clock,
    random: deps.random,
    retryVerb: 'reconnecting',
    healthyAfterMs: HEALTHY_SESSION_MS,
    // The socket most likely died with the old network: reconnect now rather than at the
    // socket timeout; the next session checks everything from the stored state.
    onNetwork: 'reconnect',
    enabled: account.enabled,
  });

  function cleanupSession(): void {
    if (pollTimer !== undefined) clock.clearTimeout(pollTimer);
    pollTimer = undefined;
    const c = client;
    client = undefined;
    idleTarget = undefined;
    queue.clear();
    if (c) {
      c.removeAllListeners('exists');
      c.removeAllListeners('expunge');
      c.removeAllListeners('flags');
      c.close();
    }
  }

  /** One connection's life: returns when it closes (or stop closes it). */
  async function session(life: Life): Promise<void> {
    setStatus('connecting', { detail: `Connecting to ${account.host}:${defaultPort(account)}` });
    const cred = await credential();
    const connecting = connectTo({ account, credential: cred, log: ctx.log });
    // A connection that comes after the deadline is closed at once, not leaked.
    const c = await deadline(connecting, 'Connect and login').catch((err: unknown) => {
      void connecting.then(
        (late) => late.close(),
        () => undefined,
      );
      throw err;
    });
    if (life.signal.aborted) {
      c.close();
      return;
    }
    client = c;
    refreshedForAuth = false;
    const closed = new Promise<void>((resolve) =>
      c.once('close', () => {
        endedBy ??= connectionError(c);
        resolve();
      }),
    );
    const f = featuresOf(c.capabilities.keys());
    features = f;
    setStatus('syncing', { detail: `Checking ${watched.length} mailbox${watched.length === 1 ? '' : 'es'}` });

    for (const m of watched) await deadline(checkOrMiss(c, m), `Checking ${m}`, c);
    forgetUnwatched();
    idleTarget =
      watched.find((m) => !missing.has(m) && m.toUpperCase() === 'INBOX') ??
      watched.find((m) => !missing.has(m));
    if (idleTarget === undefined)
      throw new ImapError(
        'IMAP_ERR_NO_MAILBOX',
        `None of the watched mailboxes exists: ${watched.join(', ')}`,
        {
          host: account.host,
        },
      );
    await deadline(examine(c, idleTarget), `EXAMINE ${idleTarget}`, c);
    // Pushes for the selected mailbox (IDLE, or NOTIFY's SELECTED events): only a trigger.
    c.on('exists', (e: { path?: string }) => request(e.path ?? idleTarget ?? 'INBOX'));
    c.on('expunge', (e: { path?: string }) => request(e.path ?? idleTarget ?? 'INBOX'));
    // Flags of the selected mailbox (read elsewhere): worth a check only where CONDSTORE can say which.
    if (f.condstore) c.on('flags', (e: { path?: string }) => request(e.path ?? idleTarget ?? 'INBOX'));
    if (f.notify) {
      const r = raw(c);
      onNotifications(r, {
        status: (sent) => {
          // Names come as sent: modified UTF-7 (RFC 3501 §5.1.3) unless UTF8=ACCEPT is enabled.
          const name = sent === undefined ? undefined : decodePath(c, sent);
          const m = name === undefined ? undefined : watched.find((w) => sameMailbox(w, name));
          // A name we cannot match: check them all.
          if (m) request(m);
          else for (const w of watched) request(w);
        },
        list: () => {
          for (const w of watched) request(w);
        },
      });
      try {
        // Non-ASCII names go in both spellings: modified UTF-7 as RFC 3501 §5.1.3 wants, and UTF-8,
        // which Dovecot 2.3's NOTIFY matches (and answers in) instead; a name that matches nothing
        // is ignored.
        await deadline(
          notifySet(r, [...new Set(watched.flatMap((m) => [encodePath(c, m), m]))]),
          'NOTIFY SET',
          c,
        );
      } catch (err) {
        if (!notifyRefused(err)) throw err;
        // Offered but refused (NOTIFICATIONOVERFLOW, a proxy in front): IDLE + STATUS instead.
        ctx.log.info({ accountId, err: (err as Error).message }, 'NOTIFY refused; using IDLE and STATUS');
        features = { ...f, notify: false };
      }
    }
    armPoll();
    life.healthy();
    setStatus('waiting', { detail: waitingDetail() });
    // Checks asked before this connection are answered by the checks above; those asked while
    // it was set up, by one more round — which also finds what changed between the checks and IDLE.
    life.roundDone();
    const again = (): void => {
      void checkAll()?.then(() => {
        if (life.roundDone()) again();
      });
    };
    again();
    await closed;
  }

  /** Without NOTIFY, the mailboxes other than the IDLE one are asked with STATUS on an interval. */
  function armPoll(): void {
    if (pollTimer !== undefined) clock.clearTimeout(pollTimer);
    pollTimer = undefined;
    if (!features || features.notify) return;
    const others = watched.filter((m) => m !== idleTarget);
    // No IDLE at all: every mailbox is polled, the IDLE one included.
    const targets = features.idle ? others : watched;
    if (targets.length === 0) return;
    pollTimer = clock.setTimeout(() => {
      pollTimer = undefined;
      for (const m of targets) request(m);
      armPoll();
    }, statusIntervalMs);
  }

  function request(m: string): void {
    if (stopped() || !client) return;
    queue.add(m);
    kick();
  }

  function kick(): void {
    draining ??= drain().finally(() => {
      draining = undefined;
      // A mailbox asked for while a markRead held the connection.
      if (queue.size > 0 && client && !stopped()) kick();
    });
  }

  /** Runs `fn` alone on the connection: after the checks under way, before the next ones. */
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (draining) await draining.catch(() => undefined);
    const op = fn();
    draining = op.then(
      () => undefined,
      () => undefined,
    );
    void draining.finally(() => {
      draining = undefined;
      if (queue.size > 0 && client && !stopped()) kick();
    });
    return op;
  }

  async function drain(): Promise<void> {
    const c = client;
    if (!c) return;
    try {
      while (queue.size > 0 && !stopped() && client === c) {
        const m = queue.values().next().value as string;
        queue.delete(m);
        await deadline(checkOrMiss(c, m), `Checking ${m}`, c);
      }
      // Back to the mailbox that IDLEs; a check of it covers what happened while it was not selected.
      if (
        !stopped() &&
        client === c &&
        idleTarget !== undefined &&
        c.mailbox &&
        c.mailbox.path !== idleTarget
      ) {
        await deadline(examine(c, idleTarget), `EXAMINE ${idleTarget}`, c);
        await deadline(checkOrMiss(c, idleTarget), `Checking ${idleTarget}`, c);
      }
      if (!stopped() && client === c && sup.status().state !== 'waiting')
        setStatus('waiting', { detail: waitingDetail() });
    } catch (err) {
      if (stopped() || client !== c) return;
      // A failed check ends the session: the loop reconnects with back-off and checks again
      // from the stored state, so nothing is lost.
      // The connection's own fault (a literal over the cap, TLS) is the cause; the command only saw the close.
      endedBy = connectionError(c) ?? toImapError(err, { host: account.host });
      ctx.log.warn(
        { accountId, code: endedBy.code, err: endedBy.message },
        'imap check failed; reconnecting',
      );
      c.close();
    }
  }

  /** Checks one mailbox; a mailbox that is gone is noted (and its state dropped), not fatal. */
  async function checkOrMiss(c: ImapFlow, m: string): Promise<void> {
    try {
      await checkMailbox(c, m);
      if (missing.delete(m) && sup.status().state === 'waiting')
        setStatus('waiting', { detail: waitingDetail() });
    } catch (err) {
      const e = toImapError(err, { mailbox: m });
      if (e.code !== 'IMAP_ERR_NO_MAILBOX') throw e;
      if (!missing.has(m)) {
        missing.add(m);
        ctx.notice?.({
          level: 'warn',
          code: e.code,
          text: `Mailbox "${m}" does not exist on ${account.host}`,
        });
        // Its UIDs mean nothing once it is gone; a mailbox made again under the name is a new baseline.
        ctx.store.commit(accountId, { delete: [mailboxKey(m)] });
        if (sup.status().state === 'waiting') setStatus('waiting', { detail: waitingDetail() });
      }
      if (m === idleTarget)
        throw new ImapError('IMAP_ERR_NO_MAILBOX', `The mailbox "${m}" was deleted`, { mailbox: m });
    }
  }

  async function checkMailbox(c: ImapFlow, m: string): Promise<void> {
    const f = features ?? featuresOf([]);
    const key = mailboxKey(m);
    const storedRaw = ctx.store.get<unknown>(accountId, key);
    const stored = isMailboxState(storedRaw) ? storedRaw : undefined;
    const st = await mailboxStatus(c, m, f.condstore);
    const plan = planCheck(stored, st);
    ctx.log.debug({ accountId, mailbox: m, plan: plan.kind }, 'imap mailbox checked');
    switch (plan.kind) {
      case 'unchanged':
        return;
      case 'modseq': {
        // Only flags moved: which known mail was read or flagged elsewhere (CHANGEDSINCE).
        const changed = await flagChanges(c, m, stored!, decodeUids(stored!.uids));
        const signal = mailboxSignal(
          accountId,
          m,
          stored!,
          { added: [], changed, removed: [] },
          new Date(clock.now()),
        );
        commitState(
          key,
          { ...stored!, ...(st.highestModseq !== undefined ? { modseq: st.highestModseq } : {}) },
          signal,
        );
        return;
      }
      case 'baseline': {
        await examine(c, m);
        const all = await searchAll(c, m);
        ctx.store.commit(accountId, { set: { [key]: baselineState(st, all, clock.now()) } });
        return;
      }
      case 'rebaseline':
        await rebaseline(c, m, stored!, st);
        return;
      case 'diff': {
        await examine(c, m);
        const fetched = plan.fetchFrom !== undefined ? await fetchFlagsFrom(c, m, plan.fetchFrom) : [];
        const all = plan.searchAll
          ? await presentUids(
              c,
              m,
              stored!,
              fetched.map((x) => x.uid),
            )
          : undefined;
        const now = clock.now();
        const r = applyDiff(
          stored!,
          st,
          { fetched: fetched.map((x) => x.uid), ...(all ? { all } : {}) },
          now,
        );
        const byUid = new Map(fetched.map((x) => [x.uid, x]));
        const fresh = r.added.filter((u) => {
          const msg = byUid.get(u);
          return msg === undefined || announceable(msg);
        });
        const added = await summaries(c, m, fresh);
        const removed: ItemSummary[] = r.removed.map((u) => ({ id: String(u) }));
        const gone = new Set(r.removed);
        const changed =
          stored!.modseq !== undefined && st.highestModseq !== stored!.modseq
            ? await flagChanges(
                c,
                m,
                stored!,
                decodeUids(stored!.uids).filter((u) => !gone.has(u)),
              )
            : [];
        const signal = mailboxSignal(accountId, m, stored!, { added, changed, removed }, new Date(now));
        commitState(key, r.state, signal);
        return;
      }
    }
  }

  /**
   * Known mail whose flags changed since the stored HIGHESTMODSEQ (CONDSTORE), as `changed` items
   * with `unread` as it is now — a mail read in another client, which the tray uses to take its
   * notification back. Needs the mailbox selected; [] without CONDSTORE or a stored HIGHESTMODSEQ.
   */
  async function flagChanges(
    c: ImapFlow,
    m: string,
    stored: MailboxState,
    known: number[],
  ): Promise<ItemSummary[]> {
    if (!features?.condstore || stored.modseq === undefined || known.length === 0) return [];
    await examine(c, m);
    const list = await fetchFlagChanges(raw(c), m, encodeUids(known), stored.modseq);
    return (
      list
        .sort((a, b) => a.uid - b.uid)
        .map((x) => ({ id: String(x.uid), unread: !hasFlag({ uid: x.uid, flags: x.flags }, '\\Seen') }))
        // Our own markRead coming back is not news (the tray already knows); said once, then forgotten.
        .filter((i) => !(i.unread === false && selfMarked.delete(`${m}\u0000${i.id}`)))
    );
  }

  /**
   * The UIDs present now, for a diff that must find expunges: with QRESYNC from what VANISHED
   * says went since the stored HIGHESTMODSEQ (the cost of the change), else UID SEARCH ALL.
   */
  async function presentUids(
    c: ImapFlow,
    m: string,
    stored: MailboxState,
    fetched: number[],
  ): Promise<number[]> {
    if (features?.qresync && stored.modseq !== undefined && c.enabled.has('QRESYNC')) {
      const gone = new Set(await fetchVanished(raw(c), m, stored.uids, stored.modseq));
      return [...decodeUids(stored.uids).filter((u) => !gone.has(u)), ...fetched];
    }
    return searchAll(c, m);
  }

  /**
   * UIDVALIDITY changed (the mailbox was re-created, or the server rebuilt its index): the known
   * UIDs mean nothing. The new state is a baseline; of the unread mail, only what arrived after
   * the last change we committed is announced — a reconcile, not a flood of old mail as new.
   */
  async function rebaseline(c: ImapFlow, m: string, stored: MailboxState, st: MailboxStatus): Promise<void> {
    await examine(c, m);
    const all = await searchAll(c, m);
    const unseen = (await searchUnseen(c, m)).slice(-DETAIL_LIMIT);
    const details = await fetchDetails(c, m, unseen);
    // INTERNALDATE has whole seconds (RFC 9051 §2.3.3): mail of the second of the last change
    // counts as newer — a rare repeat rather than a silent loss.
    const since = Math.floor(stored.changedAt / 1000) * 1000;
    const newer = details.filter((d) => {
      const t = d.internalDate === undefined ? Number.NaN : new Date(d.internalDate).getTime();
      return Number.isFinite(t) && t >= since && announceable(d);
    });
    const now = clock.now();
    const added = await summariesOf(c, m, newer);
    const signal = mailboxSignal(
      accountId,
      m,
      stored,
      { added, removed: [] },
      new Date(now),
      `>${st.uidValidity}`,
    );
    ctx.notice?.({
      level: 'info',
      code: 'IMAP_UIDVALIDITY',
      text: `Mailbox "${m}" on ${account.host} was rebuilt (UIDVALIDITY ${stored.uidValidity} → ${st.uidValidity}); ${added.length} unread message(s) newer than the last check announced`,
    });
    commitState(mailboxKey(m), baselineState(st, all, now), signal);
  }

  function commitState(key: string, state: MailboxState, signal: ReturnType<typeof mailboxSignal>): void {
    const committed = ctx.store.commit(accountId, {
      set: { [key]: state },
      ...(signal ? { signals: [signal] } : {}),
    });
    if (committed.length > 0) ctx.publish(committed);
  }

  /** Summaries of new UIDs: the newest DETAIL_LIMIT with envelope and preview, the rest by UID. */
  async function summaries(c: ImapFlow, m: string, uids: number[]): Promise<ItemSummary[]> {
    if (uids.length === 0) return [];
    const detailed = uids.slice(-DETAIL_LIMIT);
    const plain = uids.slice(0, uids.length - detailed.length).map((u) => ({ id: String(u), unread: true }));
    const details = await fetchDetails(c, m, detailed);
    // A message expunged between the two FETCHes is still announced, by UID.
    const got = new Set(details.map((d) => d.uid));
    const gone = detailed.filter((u) => !got.has(u)).map((u) => ({ id: String(u), unread: true }));
    return [...plain, ...gone, ...(await summariesOf(c, m, details.filter(announceable)))].sort(
      (a, b) => Number(a.id) - Number(b.id),
    );
  }

  async function summariesOf(c: ImapFlow, m: string, msgs: DetailedMessage[]): Promise<ItemSummary[]> {
    const previews = await previewsOf(c, m, msgs);
    return msgs.map((d) => summarize(d, previews.get(d.uid)));
  }

  async function previewsOf(c: ImapFlow, m: string, msgs: DetailedMessage[]): Promise<Map<number, string>> {
    const f = features;
    if (msgs.length === 0) return new Map();
    if (f?.preview) {
      try {
        return await fetchServerPreviews(
          raw(c),
          m,
          msgs.map((x) => x.uid),
          f.preview,
        );
      } catch (err) {
        // A server that advertises PREVIEW and then refuses it: fall back to the body.
        if (toImapError(err).code !== 'IMAP_ERR_COMMAND') throw err;
      }
    }
    const out = new Map<number, string>();
    for (const msg of msgs.slice(-BODY_PREVIEW_LIMIT)) {
      const part = firstTextPart(msg.bodyStructure);
      if (!part) continue;
      const bytes = await fetchPartPrefix(c, m, msg.uid, part.section, PREVIEW_FETCH_BYTES);
      const p = bytes ? previewFromPart(part, bytes) : undefined;
      if (p) out.set(msg.uid, p);
    }
    return out;
  }

  /** Drops the state of mailboxes no longer watched. */
  function forgetUnwatched(): void {
    const before = ctx.store.get<string[]>(accountId, KEY_WATCHED) ?? [];
    const gone = before.filter((m) => !watched.includes(m));
    if (gone.length === 0 && before.length === watched.length) return;
    ctx.store.commit(accountId, { set: { [KEY_WATCHED]: [...watched] }, delete: gone.map(mailboxKey) });
  }

  const watcher: ImapWatcher = {
    accountId,
    start() {
      if (sup.running) return;
      sup.folders(watched.map((m) => ({ id: m, name: mailboxLabel(m), collection: 'mail' })));
      sup.start();
    },
    stop: () => sup.stop(),
    status: () => sup.status(),
    wake: (reason) => sup.wake(reason),
    /**
     * Marks mail read on the server (issue 16's items.markRead): SELECT the mailbox read-write,
     * UID STORE +FLAGS.SILENT (\\Seen), back to EXAMINE of the IDLE mailbox — alone on the
     * connection, between checks. The change coming back (CHANGEDSINCE) is not announced.
     */
    async markRead(folderId, itemIds) {
      const c = client;
      const state = sup.status().state;
      if (stopped() || !c || (state !== 'waiting' && state !== 'syncing'))
        throw new ImapError(
          'IMAP_ERR_NOT_CONNECTED',
          `account ${accountId} is not connected (${state}); try again once it is`,
          { command: 'UID STORE' },
        );
      if (!watched.includes(folderId) || missing.has(folderId))
        throw new ImapError('IMAP_ERR_NO_SUCH_ITEM', `account ${accountId} watches no mailbox ${folderId}`, {
          command: 'UID STORE',
          mailbox: folderId,
        });
      const ids = [...new Set(itemIds)];
      const uids = ids.filter((id) => /^[1-9]\d{0,9}$/.test(id)).map(Number);
      if (uids.length === 0)
        throw new ImapError('IMAP_ERR_NO_SUCH_ITEM', `no message ${ids.join(', ')} in ${folderId}`, {
          command: 'UID STORE',
          mailbox: folderId,
        });
      return exclusive(async () => {
        try {
          await c.mailboxOpen(folderId);
          // Only CONDSTORE reports the echo; an entry it never reports (mail already read) is
          // dropped with the rest when the set grows past 10 000.
          if (features?.condstore) {
            if (selfMarked.size > 10_000) selfMarked.clear();
            for (const u of uids) selfMarked.add(`${folderId}\u0000${u}`);
          }
          const ok = await c.messageFlagsAdd(uids.join(','), ['\\Seen'], { uid: true, silent: true });
          if (!ok)
            throw new ImapError('IMAP_ERR_COMMAND', `UID STORE in ${folderId} was refused`, {
              mailbox: folderId,
            });
        } catch (err) {
          for (const u of uids) selfMarked.delete(`${folderId}\u0000${u}`);
          throw toImapError(err, { command: 'UID STORE', mailbox: folderId });
        } finally {
          if (idleTarget !== undefined && client === c) {
            // Read-only again, so nothing the watcher does can change the mailbox.
            await c.mailboxOpen(idleTarget, { readOnly: true }).catch(() => c.close());
          }
        }
        return {
          marked: uids.map(String),
          failed: ids.filter((id) => !/^[1-9]\d{0,9}$/.test(id)).map((id) => ({ id, status: 0 })),
        };
      });
    },
    check: () => sup.check(),
    checkNow: () => sup.check(),
  };
  return watcher;
}
