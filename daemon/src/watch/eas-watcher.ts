import type { Dispatcher } from 'undici';
import type { EasAccount } from '../config/account';
import type { EasAuth, TokenProvider } from '../eas/auth';
import { EasClient } from '../eas/client';
import { drain } from '../eas/collection-sync';
import type { PingFolder, PingResult } from '../eas/commands/ping';
import type { ClientChange, ClientChangeResponse } from '../eas/commands/sync';
import type { ProvisionResult } from '../eas/commands/provision';
import { deviceInformation, isValidDeviceId, newDeviceId } from '../eas/device';
import { EasError, EasStatusError } from '../eas/errors';
import { applyHierarchy, classOf, collectionOf, type EasFolder, watchedFolders } from '../eas/folders';
import {
  type HeartbeatBounds,
  type HeartbeatState,
  initialHeartbeat,
  onCut,
  onExpired,
  onServerBound,
  relearn,
} from '../eas/heartbeat';
import { PHANTOM_DETAIL, phantomPause } from '../eas/phantom';
import { recoveryFor, type UserAction } from '../eas/recovery';
import { folderSignal } from '../eas/signals';
import { CUT_CAUSES, EasHttp, transportError } from '../eas/transport';
import { atLeast } from '../eas/versions';
import { type Clock, systemClock } from '../clock';
import { AccountDispatcher } from '../net/account-dispatcher';
import { createDispatcher, ownConnectionOptions } from '../net/dispatcher';
import {
  type Classified,
  type Life,
  type Session as SupervisedSession,
  type Supervisor,
  supervise,
} from './supervisor';
import { realTimers, type Timers } from './timer-slot';
import {
  type MarkReadResult,
  signInAgain,
  type Watcher,
  type WatcherContext,
  type WatcherState,
  type WatcherStatus,
} from './types';

/** Finds the EAS URL from an address (daemon/src/eas/autodiscover). */
export type AutodiscoverFn = (
  email: string,
  opts: {
    dispatcher?: Dispatcher;
    username?: string;
    password?: () => Promise<string>;
    bearer?: () => Promise<string>;
    signal?: AbortSignal;
  },
) => Promise<{ url: string }>;

export interface EasWatcherDeps {
  /** Shared with Autodiscover; built from the account's tls/proxy when absent (and closed on stop). */
  dispatcher?: Dispatcher;
  /** Monotonic-enough clock for measuring how long a Ping lived, ms. */
  clock?: { now(): number };
  /** Timers for back-off waits (tests fire them by hand). */
  timers?: Timers;
  autodiscover?: AutodiscoverFn;
  /** OAuth2 accounts: the token provider. */
  tokens?: TokenProvider;
  /** Names the current network (SSID, gateway …) so learned heartbeats are kept per network. */
  networkKey?: () => string;
  random?: () => number;
}

/** Immediate reconnects for a changed hierarchy or lost sync state before those back off too. */
const MAX_QUICK_RESYNCS = 2;

/** The watcher state for each reason recovery waits for a person (eas/recovery.ts). */
const WAIT_STATE: Record<UserAction, WatcherState> = {
  credentials: 'needs-credentials',
  move: 'needs-confirmation',
  refused: 'disabled',
};

/** Consecutive Ping cuts tolerated (with a shorter heartbeat each time) before backing off. */
const MAX_CUTS = 3;

/**
 * Sessions of all EAS watchers that may be setting up at once (OPTIONS, Provision, FolderSync,
 * catch-up Sync); the rest queue until one reaches its Ping. A daemon starting 10 000 accounts
 * at once held every account's setup requests, buffers and promises live together: the peak
 * grew V8's old space to several times the steady state, which it then kept (issue #5).
 */
const SETUP_SLOTS = 32;

class SetupGate {
  #free: number;
  readonly #queue = new Set<() => void>();
  constructor(slots: number) {
    this.#free = slots;
  }
  /** Resolves to a release function (idempotent) once a slot is free; rejects when `signal` aborts. */
  acquire(signal: AbortSignal): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.#queue.values().next();
      if (next.done) this.#free++;
      else {
        this.#queue.delete(next.value);
        next.value();
      }
    };
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#queue.delete(grant);
        reject(signal.reason);
      };
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(release);
      };
      if (signal.aborted) return reject(signal.reason);
      this.#queue.add(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const setupGate = new SetupGate(SETUP_SLOTS);

/** Store keys of an EAS account (account-scoped, see store/types.ts). */
const K = {
  deviceId: 'eas.deviceId',
  url: 'eas.url',
  policyKey: 'eas.policyKey',
  policy: 'eas.policy',
  deviceInfo: 'eas.deviceInfo',
  folderSyncKey: 'eas.folderSyncKey',
  folders: 'eas.folders',
  maxFolders: 'eas.maxFolders',
  /** Learned: the server needs a confirming Sync after changes (collection-sync.ts, SOGo). */
  confirmSync: 'eas.confirmSync',
  syncKey: (folderId: string) => `eas.syncKey.${folderId}`,
  baselining: (folderId: string) => `eas.baselining.${folderId}`,
  heartbeat: (network: string) => `eas.heartbeat.${network}`,
} as const;

/**
 * What one session (connect … the last Ping) carries from Ping to Ping: one object of a fixed
 * shape per account (issue 5, 10 000 parked Pings), made when the run begins.
 */
class Session {
  readonly life: Life;
  /**
   * The session's one controller, for every request it makes (no run signal is made for it):
   * aborted with the run (Life.onAbort, a plain callback) and by a check while a Ping is open,
   * after which the next round gets a new one.
   */
  cut = new AbortController();
  /** A Ping is open (a check cuts it). */
  pinging = false;
  /** Frees the setup slot; undefined once the first Ping is out. */
  release: (() => void) | undefined = undefined;
  client!: EasClient;
  folders: EasFolder[] = [];
  /** Set through {@link watch}, which also renews the lists derived from it. */
  watched: EasFolder[] = [];
  /** The watched folders as status shows them and as the Ping names them (made once per list). */
  listed: { id: string; name: string; collection: string }[] = [];
  pinged: PingFolder[] = [];
  /** The last full Ping request the server holds (for the empty-Ping shortcut). */
  sentKey = '';
  /** Consecutive Pings cut before their heartbeat. */
  cuts = 0;
  /** Consecutive Ping Status 2 answers whose Syncs found nothing (eas/phantom.ts). */
  phantoms = 0;
  /** When the open Ping went out (again, after a resend): a cut is measured from here. */
  pingSent = 0;
  /** check() asked: the next round syncs every watched folder before it Pings. */
  checkAsked = false;
  /** Made once per session, not per Ping or round: the Ping's resend hook, the loop's steps. */
  onResend: () => void;
  next: () => void;
  fail: (err: unknown) => void;

  constructor(life: Life, onResend: () => void, next: () => void, fail: (err: unknown) => void) {
    this.life = life;
    this.onResend = onResend;
    this.next = next;
    this.fail = fail;
  }

  /** The signal for the round that begins: a new controller after a check cut the last Ping. */
  signal(): AbortSignal {
    if (this.cut.signal.aborted && !this.life.aborted) this.cut = new AbortController();
    return this.cut.signal;
  }
}

/** The Change that marks one mail read (MS-ASEMAIL 2.2.2.58 Read). */
function read(id: string): ClientChange {
  return { id, read: true };
}

/** Sets the watched folders of a session and what is derived from them. */
function watch(s: Pick<Session, 'watched' | 'listed' | 'pinged'>, watched: EasFolder[]): void {
  s.watched = watched;
  s.listed = watched.map((f) => ({ id: f.id, name: f.name, collection: collectionOf(f.type) ?? '' }));
  s.pinged = watched.map((f) => ({ id: f.id, class: classOf(collectionOf(f.type) ?? 'mail') }));
}

/** The wall clock when the deps name none: one for every account, not one object each. */
const systemNow = { now: () => Date.now() };

class EasWatcher implements Watcher {
  readonly accountId: string;
  #account: EasAccount;
  #ctx: WatcherContext;
  #deps: EasWatcherDeps;
  #sup: Supervisor;
  #clock: { now(): number };
  #dispatcher: Dispatcher | undefined;
  #ownDispatcher = false;
  /** The run under way (its abort signal, healthy(), roundDone()); none between runs. */
  #life: Life | undefined;
  #hb: HeartbeatState | undefined;
  #network = 'default';
  /** Set by wake('network' | 'resume'): the next heartbeat load forgets the learned bracket. */
  #relearn = false;
  /** The wipe order that removed the account: nothing may reconnect it (a start after stop neither). */
  #wiped: EasError | undefined;
  /** Folders whose last drain ended without a confirming Sync; made on first use (10 000 accounts). */
  #unconfirmedSet: Set<string> | undefined;
  /** K.confirmSync, read once per session rather than from the store on every change. */
  #confirmSync = false;
  /** needs-confirmation: the move the user is asked to accept (never stored before that). */
  #pendingMove: { from: string; to: string } | undefined;
  /** The session that has a client and a folder list (for markRead); none between sessions. */
  #live: Session | undefined;
  /**
   * The Sync under way per folder: the next one waits for it, so two Syncs never present one
   * folder's key at once (MS-ASCMD 2.2.3.166: each answer's key replaces the one sent). Made
   * on first use; entries go when their Sync ends.
   */
  #folderBusy: Map<string, Promise<unknown>> | undefined;

  constructor(account: EasAccount, ctx: WatcherContext, deps: EasWatcherDeps) {
    this.accountId = ctx.accountId;
    this.#account = account;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemNow;
    const timers = deps.timers ?? realTimers;
    // Production: Node's clock, shared (its timers are unref'd as realTimers are).
    const clock: Clock =
      deps.clock === undefined && deps.timers === undefined
        ? systemClock
        : {
            now: () => this.#clock.now(),
            setTimeout: (fn, ms) => timers.set(fn, ms),
            clearTimeout: (h) => timers.clear(h),
          };
    this.#sup = supervise(new EasWatcher.#Session(this), ctx, {
      kind: 'eas',
      clock,
      random: deps.random,
      // A check before the session is set up starts it over; a new network always does.
      checkBy: 'reconnect',
      onNetwork: 'reconnect',
      enabled: account.enabled,
      disabledDetail: 'Account disabled in the configuration',
    });
  }

  /** The supervisor's view of this watcher: one field, its methods on the prototype. */
  static #Session = class implements SupervisedSession {
    readonly w: EasWatcher;
    constructor(w: EasWatcher) {
      this.w = w;
    }
    run(life: Life): Promise<void> {
      return this.w.#run(life);
    }
    check(): 'round' | undefined {
      return this.w.#check();
    }
    classify(err: unknown, attempt: number): Promise<Classified> {
      return this.w.#classify(err, attempt);
    }
    onWake(reason: 'network' | 'resume' | 'manual'): void {
      // Reloaded for the (maybe new) network on the next Ping, bracket forgotten.
      if (reason === 'manual') return;
      this.w.#hb = undefined;
      this.w.#relearn = true;
    }
    close(): Promise<void> {
      return this.w.#closeDispatcher();
    }
  };

  /** What the one timer slot holds (tests assert none is left after stop). */
  get armedTimer(): string | undefined {
    return this.#sup.armed;
  }

  status(): WatcherStatus {
    return this.#sup.status();
  }

  start(): void {
    this.#sup.start();
  }

  stop(): Promise<void> {
    return this.#sup.stop();
  }

  wake(reason: 'network' | 'resume' | 'manual'): void {
    this.#sup.wake(reason);
  }

  /**
   * Ends the open Ping, syncs every watched folder and Pings again; resolves once the new Ping is
   * out. Before the session is set up (or while backing off) it is the next attempt, made now.
   */
  check(): Promise<void> {
    return this.#sup.check();
  }

  acceptMove(): string | undefined {
    const move = this.#pendingMove;
    if (!move || !this.#sup.running) return undefined;
    this.#pendingMove = undefined;
    this.#put({ [K.url]: move.to });
    this.#ctx.log.warn({ from: move.from, to: move.to }, 'the user accepted the move; following it');
    this.#sup.retryNow();
    return move.to;
  }

  /** The session's part of check(): see check(). Undefined until a session is set up. */
  #check(): 'round' | undefined {
    const s = this.#live;
    if (!s) return undefined;
    s.checkAsked = true;
    if (s.pinging) s.cut.abort(new Error('tidings check'));
    return 'round';
  }

  /** A check's round: a Sync of every watched folder (announced as any change is). */
  async #syncAll(s: Session, signal: AbortSignal): Promise<void> {
    s.checkAsked = false;
    s.sentKey = '';
    this.#set('syncing', { detail: `Checking ${s.watched.length} folders`, folders: s.listed });
    for (const f of s.watched) await this.#syncFolder(s.client, f, signal);
  }

  async #closeDispatcher(): Promise<void> {
    if (this.#ownDispatcher && this.#dispatcher) {
      await this.#dispatcher.close().catch(() => undefined);
      this.#dispatcher = undefined;
      this.#ownDispatcher = false;
    }
  }

  async markRead(folderId: string, itemIds: string[]): Promise<MarkReadResult> {
    const s = this.#live;
    const life = this.#life;
    if (!s || !life || life.aborted || !this.#sup.running)
      throw new EasError(
        'EAS_ERR_NOT_CONNECTED',
        `account ${this.accountId} is not connected (${this.#sup.status().state}); try again once it is`,
        { command: 'Sync' },
      );
    const folder = s.watched.find((f) => f.id === folderId);
    if (!folder || collectionOf(folder.type) !== 'mail')
      throw new EasError(
        'EAS_ERR_NO_SUCH_ITEM',
        `account ${this.accountId} watches no mail folder ${folderId}`,
        { command: 'Sync' },
      );
    const ids = [...new Set(itemIds)];
    // The same drain as the watcher's own Syncs: what the server sends back in the same answer
    // is committed with the new key and announced once, as any change is.
    // The run's signal (made now, for the few accounts that mark read): a check that cuts the
    // open Ping must not end this Sync.
    const { responses } = await this.#syncFolder(s.client, folder, life.signal, false, ids.map(read));
    const failed = (responses ?? []).filter((r) => r.status !== 1 && ids.includes(r.id));
    const marked = ids.filter((id) => !failed.some((f) => f.id === id));
    this.#ctx.log.info({ folder: folderId, marked: marked.length, failed: failed.length }, 'marked read');
    if (marked.length === 0 && failed.length > 0) {
      const status = failed[0]?.status ?? 0;
      throw new EasStatusError(
        status === 8 ? 'EAS_ERR_NO_SUCH_ITEM' : 'EAS_ERR_STATUS',
        `Sync: the server did not mark ${failed.map((f) => f.id).join(', ')} read (Status ${status}${status === 8 ? ': no such item' : ''})`,
        { command: 'Sync', easStatus: status },
      );
    }
    return { marked, failed };
  }

  /** Runs `work` once no other Sync of the folder is under way (see #folderBusy). */
  async #exclusive<T>(folderId: string, work: () => Promise<T>): Promise<T> {
    this.#folderBusy ??= new Map();
    const busy = this.#folderBusy;
    for (let ahead = busy.get(folderId); ahead; ahead = busy.get(folderId))
      await ahead.catch(() => undefined);
    const mine = work();
    busy.set(folderId, mine);
    try {
      return await mine;
    } finally {
      if (busy.get(folderId) === mine) busy.delete(folderId);
    }
  }

  #set(state: WatcherState, extra: Omit<WatcherStatus, 'state' | 'since'>, now = this.#clock.now()): void {
    this.#sup.set(state, extra, now);
  }

  #get<T>(key: string): T | undefined {
    return this.#ctx.store.get<T>(this.accountId, key);
  }

  #put(set: Record<string, unknown>, del: string[] = []): void {
    this.#ctx.store.commit(this.accountId, { set, ...(del.length ? { delete: del } : {}) });
  }

  /**
   * One session from connect to failure, under the supervisor (which restarts it). Set-up is an
   * async function; the Ping rounds after it are a chain of callbacks (#round), so a waiting
   * account holds no suspended async frame, only its open Ping's promise (issue 5).
   */
  #run(life: Life): Promise<void> {
    // A move not accepted while parked is asked again if the server still wants it.
    this.#pendingMove = undefined;
    if (this.#wiped) return Promise.reject(this.#wiped);
    this.#life = life;
    return new Promise<void>((_, reject) => {
      const s: Session = new Session(
        life,
        () => {
          s.pingSent = this.#clock.now();
        },
        () => this.#round(s),
        (err) => {
          s.release?.();
          s.release = undefined;
          if (this.#live === s) this.#live = undefined;
          if (this.#life === life) this.#life = undefined;
          reject(err);
        },
      );
      life.onAbort((reason) => s.cut.abort(reason));
      this.#setUp(s).then(s.next, s.fail);
    });
  }

  /** One round: a check's Sync of every folder when asked, then a Ping; the next round after it. */
  #round(s: Session): void {
    try {
      if (s.life.aborted) {
        s.fail(s.cut.signal.reason);
        return;
      }
      const signal = s.signal();
      const round = s.checkAsked
        ? this.#syncAll(s, signal).then(() => this.#pingRound(s, signal))
        : this.#pingRound(s, signal);
      round.then(s.next, s.fail);
    } catch (err) {
      s.fail(err);
    }
  }

  async #classify(err: unknown, attempt: number): Promise<Classified> {
    const e = transportError('session', err, undefined);
    const error = { code: e.code, message: e.message };
    const wiped = { kind: 'end', state: 'disabled', detail: 'Removed by a remote wipe order' } as const;
    if (e === this.#wiped) return { error, verdict: wiped };
    const r = recoveryFor(e);
    this.#ctx.log.warn(
      { code: e.code, command: e.command, httpStatus: e.httpStatus, easStatus: e.easStatus },
      e.message,
    );
    if (r.kind === 'wiped') {
      this.#wiped = e;
      await this.#forgetAccount(e.serverText === 'account' ? 'account' : 'device');
      return { error, verdict: wiped };
    }
    if (r.kind === 'resync' && attempt < MAX_QUICK_RESYNCS) {
      if (r.reset) this.#put({}, [K.folderSyncKey]);
      return { error, verdict: { kind: 'now', bump: true } };
    }
    if (r.kind === 'wait-for-user' && r.need === 'move' && e.location) {
      const move = { from: this.#get<string>(K.url) ?? this.#account.url ?? '', to: e.location };
      this.#pendingMove = move;
      this.#ctx.log.warn(move, 'the server moves the account to another origin; waiting for the user');
      return {
        error,
        verdict: {
          kind: 'park',
          state: 'needs-confirmation',
          detail: `${e.message}: tidings account accept-move ${this.accountId}`,
          move,
        },
      };
    }
    if (r.kind === 'wait-for-user') {
      const state = WAIT_STATE[r.need] as 'needs-credentials' | 'needs-confirmation' | 'disabled';
      // An OAuth2 account has no password to fix: name the sign-in, as IMAP and JMAP do.
      const detail =
        r.need === 'credentials' && this.#account.auth.type === 'oauth2'
          ? `${e.message}. ${signInAgain(this.accountId)}`
          : e.message;
      return { error, verdict: { kind: 'park', state, detail } };
    }
    return {
      error,
      verdict: {
        kind: 'backoff',
        ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
        baseMs: r.kind === 'retry' ? r.baseMs : 2_000,
        capMs: r.kind === 'retry' ? r.capMs : 15 * 60_000,
      },
    };
  }

  /**
   * AccountOnlyRemoteWipe (and a device RemoteWipe, which we never execute on the machine):
   * the account's state and stored secret are deleted and the user is told (issue #3).
   */
  async #forgetAccount(kind: 'account' | 'device'): Promise<void> {
    this.#ctx.store.deleteAccount(this.accountId);
    await this.#ctx.secret.delete?.().catch((cause: unknown) => {
      this.#ctx.log.warn({ err: String(cause) }, 'could not delete the stored secret after a wipe order');
    });
    this.#ctx.notice?.({
      level: 'warn',
      code: 'EAS_REMOTE_WIPE',
      text:
        kind === 'account'
          ? `The server removed account ${this.accountId} from this device. Tidings deleted its state and password.`
          : `The server ordered a full device wipe for ${this.accountId}. Tidings never wipes a computer; it deleted this account's state and password instead.`,
    });
  }

  #auth(): EasAuth {
    if (this.#account.auth.type === 'basic') {
      return {
        kind: 'basic',
        username: this.#account.username ?? this.#account.email,
        password: () => this.#ctx.secret.get(),
      };
    }
    const tokens = this.#deps.tokens;
    if (!tokens) {
      throw new EasError('EAS_ERR_AUTH', 'OAuth2 account without a token provider: sign in again', {
        command: 'session',
      });
    }
    return { kind: 'bearer', tokens };
  }

  #dispatch(): Dispatcher {
    if (!this.#dispatcher) {
      const shared = this.#deps.dispatcher;
      const own = shared && ownConnectionOptions(shared);
      // The schema's promise for `tls.rejectUnauthorized: false`: a warning on every connect.
      const onConnect =
        this.#account.tls?.rejectUnauthorized === false
          ? (origin: string) => this.#insecureConnect(origin)
          : undefined;
      if (shared && own) {
        this.#dispatcher = new AccountDispatcher(shared, own, onConnect);
        this.#ownDispatcher = true;
      } else if (shared) this.#dispatcher = shared;
      else {
        this.#dispatcher = createDispatcher({
          ...(this.#account.tls ? { tls: this.#account.tls } : {}),
          ...(this.#account.proxy ? { proxy: this.#account.proxy } : {}),
        });
        if (onConnect) this.#dispatcher.on('connect', (origin) => onConnect(String(origin)));
        this.#ownDispatcher = true;
      }
    }
    return this.#dispatcher;
  }

  /**
   * Per connection; a shared dispatcher we cannot watch gets it per session (#connect). A method,
   * bound only for the accounts that turn verification off (not a closure per account).
   */
  #insecureConnect(origin: string): void {
    this.#ctx.log.warn(
      { account: this.accountId, origin },
      `account ${this.accountId}: TLS certificate verification is OFF (tls.rejectUnauthorized: false); anyone on the path can read the password`,
    );
  }

  #deviceId(): string {
    const stored = this.#get<string>(K.deviceId);
    if (isValidDeviceId(stored)) return stored;
    const id = newDeviceId();
    this.#put({ [K.deviceId]: id });
    return id;
  }

  async #url(auth: EasAuth, signal: AbortSignal): Promise<string> {
    const url = this.#get<string>(K.url) ?? this.#account.url;
    if (url) return url;
    if (!this.#deps.autodiscover) {
      throw new EasError('EAS_ERR_NO_URL', 'No server address: set `url` for this account', {
        command: 'session',
      });
    }
    const found = await this.#deps.autodiscover(this.#account.email, {
      dispatcher: this.#dispatch(),
      signal,
      ...(this.#account.username ? { username: this.#account.username } : {}),
      ...(auth.kind === 'basic'
        ? { password: auth.password }
        : { bearer: () => auth.tokens.getAccessToken() }),
    });
    this.#put({ [K.url]: found.url });
    return found.url;
  }

  #onProvisioned = (r: ProvisionResult): void => {
    if (r.wipe) return;
    this.#put(
      {
        [K.policy]: r.policyKey ? 'applied' : 'none',
        ...(r.policyKey ? { [K.policyKey]: r.policyKey } : {}),
      },
      r.policyKey ? [] : [K.policyKey],
    );
    if (r.unmet.length > 0) {
      this.#ctx.notice?.({
        level: 'warn',
        code: 'EAS_POLICY_UNMET',
        text: `The server's security policy asks for ${r.unmet.join(', ')}. Tidings cannot enforce these on this computer and told the server so.`,
      });
    }
  };

  /** OPTIONS, Provision when never done, DeviceInformation for 12.1/14.0. */
  async #connect(signal: AbortSignal): Promise<EasClient> {
    this.#set('connecting', { detail: 'Connecting' });
    const auth = this.#auth();
    const url = await this.#url(auth, signal);
    const dispatcher = this.#dispatch();
    const home = (u: string) => {
      if (dispatcher instanceof AccountDispatcher) dispatcher.home(u);
    };
    home(url);
    if (
      this.#account.tls?.rejectUnauthorized === false &&
      !(dispatcher instanceof AccountDispatcher) &&
      dispatcher === this.#deps.dispatcher
    )
      this.#insecureConnect(new URL(url).origin);
    const limits = this.#account.limits;
    let current = url;
    const http = new EasHttp({
      url,
      user: this.#account.username ?? this.#account.email,
      deviceId: this.#deviceId(),
      auth,
      dispatcher,
      // MS-ASHTTP 3.1.5.2.2: keep the new address for every later request. Only same-origin
      // moves get here (transport.ts); each is logged, as every move is (issue 13).
      onRedirect: (next) => {
        this.#ctx.log.warn(
          { from: current, to: next },
          'the server moved the account (same origin); following',
        );
        current = next;
        home(next);
        this.#put({ [K.url]: next });
      },
      ...(limits
        ? {
            limits: {
              ...(limits.syncBytes !== undefined ? { syncBytes: limits.syncBytes } : {}),
              ...(limits.requestTimeout !== undefined
                ? { requestTimeoutMs: limits.requestTimeout * 1000 }
                : {}),
            },
          }
        : {}),
    });
    const policyKey = this.#get<string>(K.policyKey);
    const client = new EasClient({
      http,
      version: this.#account.protocolVersion ?? '14.1',
      ...(policyKey ? { policyKey } : {}),
      log: this.#ctx.log,
      deviceInfo: deviceInformation(),
      onProvisioned: this.#onProvisioned,
    });
    await client.options(this.#account.protocolVersion, signal);
    if (this.#get(K.policy) === undefined) await client.provision(signal);
    if (!atLeast(client.version, '14.1') && this.#get(K.deviceInfo) !== client.version) {
      await client.settings(signal);
      this.#put({ [K.deviceInfo]: client.version });
    }
    return client;
  }

  /** FolderSync; a stale key (Status 9) restarts from "0" and forgets every folder's SyncKey. */
  async #folderSync(client: EasClient, signal: AbortSignal): Promise<EasFolder[]> {
    let key = this.#get<string>(K.folderSyncKey) ?? '0';
    let folders = key === '0' ? [] : (this.#get<EasFolder[]>(K.folders) ?? []);
    let result: Awaited<ReturnType<EasClient['folderSync']>>;
    try {
      result = await client.folderSync(key, signal);
    } catch (err) {
      if (!(err instanceof EasError) || err.code !== 'EAS_ERR_SYNC_STATE' || key === '0') throw err;
      this.#ctx.log.info({}, 'folder sync key rejected; starting the hierarchy again');
      key = '0';
      folders = [];
      result = await client.folderSync('0', signal);
    }
    const previous = this.#get<EasFolder[]>(K.folders) ?? [];
    const next = applyHierarchy(folders, result);
    // A hierarchy restart resets every collection's state on the server (MS-ASCMD 2.2.1.5).
    const gone = key === '0' ? previous : previous.filter((f) => !next.some((n) => n.id === f.id));
    this.#put(
      { [K.folderSyncKey]: result.syncKey, [K.folders]: next },
      gone.flatMap((f) => [K.syncKey(f.id), K.baselining(f.id)]),
    );
    return next;
  }

  #watched(folders: EasFolder[]): EasFolder[] {
    return watchedFolders(folders, this.#account.folders, this.#get<number>(K.maxFolders));
  }

  /**
   * Syncs one folder; every round is committed as the new SyncKey together with its signal in
   * one store commit (transactional outbox), then handed to the hub. An interrupted baseline is
   * marked, so after a crash its remaining rounds are still not announced. `afterPing`: the drain
   * answers a Ping's Status 2, the only kind that can teach `confirmSync`.
   */
  #syncFolder(
    client: EasClient,
    folder: EasFolder,
    signal: AbortSignal,
    afterPing = false,
    changes?: ClientChange[],
  ): Promise<{ found: boolean; responses?: ClientChangeResponse[] }> {
    const collection = collectionOf(folder.type);
    if (!collection) return Promise.resolve({ found: false });
    return this.#exclusive(folder.id, () =>
      this.#drainFolder(client, folder, collection, signal, afterPing, changes),
    );
  }

  async #drainFolder(
    client: EasClient,
    folder: EasFolder,
    collection: NonNullable<ReturnType<typeof collectionOf>>,
    signal: AbortSignal,
    afterPing: boolean,
    changes: ClientChange[] | undefined,
  ): Promise<{ found: boolean; responses?: ClientChangeResponse[] }> {
    const from = this.#get<string>(K.syncKey(folder.id)) ?? '0';
    const baseline = this.#get<boolean>(K.baselining(folder.id)) === true;
    const confirm = this.#confirmSync;
    const unconfirmed = this.#unconfirmedSet?.delete(folder.id) === true;
    const result = await drain(
      client,
      { id: folder.id, collection, syncKey: from, baseline },
      async (round) => {
        const s = folderSignal(
          this.accountId,
          { id: folder.id, name: folder.name, collection },
          round,
          new Date(this.#clock.now()),
        );
        const unfinishedBaseline = round.baseline && !round.done;
        // A group commit: the rounds that finish in the same turn share one transaction.
        const committed = await this.#ctx.store.commitSoon(this.accountId, {
          set: {
            [K.syncKey(folder.id)]: round.syncKey,
            ...(unfinishedBaseline ? { [K.baselining(folder.id)]: true } : {}),
          },
          ...(unfinishedBaseline ? {} : { delete: [K.baselining(folder.id)] }),
          ...(s ? { signals: [s] } : {}),
        });
        if (committed.length > 0) this.#ctx.publish(committed);
      },
      signal,
      { confirm, ...(changes ? { changes } : {}) },
    );
    if (!result.confirmed) {
      this.#unconfirmedSet ??= new Set();
      this.#unconfirmedSet.add(folder.id);
    }
    // The last drain stopped without presenting its new key, and the Ping that brought us here
    // had nothing new: the server compares Pings with the last key *used* (SOGo). Confirm from now on.
    if (afterPing && unconfirmed && result.firstQuiet && !confirm) {
      this.#confirmSync = true;
      this.#put({ [K.confirmSync]: true });
      this.#ctx.log.info(
        { folder: folder.id },
        'server reports a synced folder as changed until the next Sync; confirming every Sync from now on',
      );
    }
    return { found: !result.firstQuiet, ...(result.responses ? { responses: result.responses } : {}) };
  }

  #bounds(): HeartbeatBounds {
    const hb = this.#account.heartbeat;
    return { min: hb?.min ?? 60, max: hb?.max ?? 3540 };
  }

  #heartbeat(): HeartbeatState {
    if (!this.#hb) {
      this.#network = this.#deps.networkKey?.() ?? 'default';
      const stored = this.#get<HeartbeatState>(K.heartbeat(this.#network));
      const fresh = initialHeartbeat(this.#account.heartbeat?.initial ?? 480, this.#bounds());
      // After a network change or resume the path may differ: start from the stored value, re-probe.
      this.#hb = stored ? (this.#relearn ? relearn(stored, this.#bounds()) : stored) : fresh;
      this.#relearn = false;
    }
    return this.#hb;
  }

  #learn(next: HeartbeatState): void {
    this.#hb = next;
    this.#put({ [K.heartbeat(this.#network)]: next });
  }

  /** Set-up: a setup slot, connect, FolderSync and the catch-up Sync; the slot goes with the first Ping. */
  async #setUp(s: Session): Promise<void> {
    const signal = s.cut.signal;
    s.release = await setupGate.acquire(signal);
    const client = await this.#connect(signal);
    const folders = await this.#folderSync(client, signal);
    s.client = client;
    s.folders = folders;
    // What the last session left unconfirmed says nothing about this one's first Ping.
    this.#unconfirmedSet = undefined;
    this.#confirmSync = this.#get<boolean>(K.confirmSync) === true;
    watch(s, this.#watched(folders));
    this.#live = s;
    this.#set('syncing', { detail: `Syncing ${s.watched.length} folders`, folders: s.listed });
    // Catch up on what changed while we were away: announced once (baseline for new folders).
    for (const f of s.watched) await this.#syncFolder(client, f, signal);
  }

  /** One Ping and what its answer asks for. Not async: the wait holds only the closures below. */
  #pingRound(s: Session, signal: AbortSignal): Promise<void> {
    const hb = this.#heartbeat();
    const pingFolders = s.pinged;
    const requestKey = JSON.stringify([hb.current, pingFolders]);
    // Empty-Ping shortcut (MS-ASCMD 2.2.1.13): only when the server already holds exactly this request.
    const cached = requestKey === s.sentKey;
    this.#set('waiting', { detail: `Ping open, heartbeat ${hb.current} s`, folders: s.listed });
    s.pingSent = this.#clock.now();
    // The first Ping frees the setup slot.
    s.release?.();
    s.release = undefined;
    s.life.roundDone();
    const folders = cached ? 'cached' : pingFolders;
    // A session already stopped (or a round a check already cut) must not send a Ping that hangs.
    if (signal.aborted) return Promise.reject(signal.reason);
    s.pinging = true;
    return s.client.ping({ heartbeat: hb.current, folders, onResend: s.onResend, signal }).then(
      (r) => {
        s.pinging = false;
        s.cuts = 0;
        this.#life?.healthy();
        s.sentKey = requestKey;
        return this.#onPing(s, r, hb, cached, signal);
      },
      (err: unknown) => {
        s.pinging = false;
        // Ended by check(): the next round syncs every folder and Pings again.
        if (signal.aborted && !s.life.aborted) return;
        const e = transportError('Ping', err, signal);
        // A trickled answer (its total deadline passed after the headers came) is no cut: the
        // path held, the server is slow or hostile; a shorter heartbeat would not help.
        const cut =
          (e.code === 'EAS_ERR_TIMEOUT' && e.serverText !== 'NET_ERR_DEADLINE') ||
          (e.code === 'EAS_ERR_NETWORK' && CUT_CAUSES.has(e.serverText ?? ''));
        if (!cut || s.life.aborted) throw e;
        const elapsed = (this.#clock.now() - s.pingSent) / 1000;
        this.#learn(onCut(hb, e.code === 'EAS_ERR_TIMEOUT' ? hb.current : elapsed, this.#bounds()));
        this.#ctx.log.info(
          { elapsed, heartbeat: this.#hb?.current },
          'Ping cut before its heartbeat; shortening',
        );
        s.sentKey = '';
        if (++s.cuts >= MAX_CUTS) throw e;
      },
    );
  }

  async #onPing(
    s: Session,
    r: PingResult,
    hb: HeartbeatState,
    cached: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    switch (r.status) {
      case 1:
        s.phantoms = 0;
        this.#learn(onExpired(hb, this.#bounds()));
        return;
      case 2: {
        this.#set('syncing', { detail: `Changes in ${r.changed.length} folder(s)`, folders: s.listed });
        let found = false;
        for (const id of r.changed) {
          const f = s.watched.find((w) => w.id === id);
          if (f && (await this.#syncFolder(s.client, f, signal, true)).found) found = true;
        }
        if (found) s.phantoms = 0;
        else await this.#phantom(s);
        return;
      }
      case 3:
        if (!cached) throw this.#pingError(r.status, 'the server says the Ping lacks parameters');
        s.sentKey = '';
        return;
      case 4:
        throw this.#pingError(r.status, 'the server rejected the Ping as malformed');
      case 5:
        if (r.heartbeat === undefined)
          throw this.#pingError(r.status, 'heartbeat out of bounds, no bound given');
        this.#learn(onServerBound(hb, r.heartbeat, this.#bounds()));
        s.sentKey = '';
        return;
      case 6: {
        if (r.maxFolders === undefined || r.maxFolders < 1)
          throw this.#pingError(r.status, 'too many folders');
        this.#put({ [K.maxFolders]: r.maxFolders });
        watch(s, this.#watched(s.folders));
        this.#ctx.log.info({ maxFolders: r.maxFolders }, 'server limits Ping folders; trimmed');
        s.sentKey = '';
        return;
      }
      case 7: {
        s.folders = await this.#folderSync(s.client, signal);
        watch(s, this.#watched(s.folders));
        for (const f of s.watched)
          if (this.#get(K.syncKey(f.id)) === undefined) await this.#syncFolder(s.client, f, signal);
        s.sentKey = '';
        return;
      }
      case 8:
        throw new EasStatusError('EAS_ERR_SERVER', 'Ping: server error (Status 8)', {
          command: 'Ping',
          easStatus: 8,
        });
      default:
        throw this.#pingError(r.status, `unexpected Status ${r.status}`);
    }
  }

  /** A Status 2 whose Syncs found nothing: after the free ones, a growing pause (eas/phantom.ts). */
  async #phantom(s: Session): Promise<void> {
    const pause = phantomPause(++s.phantoms);
    if (pause === 0) return;
    const message = `Ping: ${PHANTOM_DETAIL} (${s.phantoms} times in a row)`;
    this.#ctx.log.warn({ phantoms: s.phantoms, pauseMs: pause }, message);
    // The timer slot's 'retry'; a check or wake ends it early, stop rejects it.
    await this.#life?.pause(pause, {
      detail: `${PHANTOM_DETAIL}; next Ping in ${Math.max(1, Math.round(pause / 1000))} s`,
      lastError: { code: 'EAS_ERR_PHANTOM_CHANGES', message },
    });
  }

  #pingError(status: number, what: string): EasStatusError {
    return new EasStatusError('EAS_ERR_STATUS', `Ping: ${what} (Status ${status})`, {
      command: 'Ping',
      easStatus: status,
    });
  }
}

/** The watcher as tests see it: the Watcher contract plus the timer slot's contents. */
export type EasWatcherHandle = Watcher & { readonly armedTimer: string | undefined };

/**
 * One EAS account's watcher (issue #3): connect (OPTIONS, Provision, DeviceInformation),
 * FolderSync, catch-up Sync, then one Ping for every watched folder, forever; faults map to the
 * states connecting / syncing / waiting / backing-off / needs-credentials / disabled.
 */
export function createEasWatcher(
  account: EasAccount,
  ctx: WatcherContext,
  deps: EasWatcherDeps = {},
): EasWatcherHandle {
  return new EasWatcher(account, ctx, deps);
}
