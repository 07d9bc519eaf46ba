import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { backoffDelay } from '../retry/backoff';
import { TimerSlot } from './timer-slot';
import type { WatcherContext, WatcherState, WatcherStatus } from './types';

/**
 * The one supervisor every watcher runs under (issue 17, "one engine, not four copies"). A
 * protocol supplies a {@link Session}: one connection's life, from connect through baseline to
 * waiting for changes, which ends by throwing why. The supervisor owns what is the same for every
 * protocol: the status record, the restart loop (never recursion, STYLE.md daemon/watch), back-off
 * with Retry-After, the attempt counter and its reset, the park states that wait for a person,
 * wake(), check() and stop(). One timer slot: the back-off wait or the session's idle wait.
 *
 *   start → run ──throws──▶ classify ─┬─ backoff ──(timer | wake | check)──▶ run
 *                 ▲                   ├─ now ─────────────────────────────▶ run
 *                 │                   ├─ park ───(wake | check | retryNow)─▶ run
 *                 └── restart ────────┴─ end (nothing starts it again but start after stop)
 */

/** What a session's failure means, decided by the protocol (its error codes, its recovery table). */
export type Verdict =
  /** Try again after a back-off delay (full jitter; the server's Retry-After wins when longer). */
  | { kind: 'backoff'; retryAfterMs?: number; baseMs?: number; capMs?: number }
  /** Try again at once; `bump` counts it as an attempt (a bounded run of quick resyncs). */
  | { kind: 'now'; bump?: boolean; status?: { state: WatcherState; detail: string } }
  /** Wait for a person: wake(), check() or retryNow() (acceptMove) tries again. No timer. */
  | {
      kind: 'park';
      state: 'needs-credentials' | 'needs-confirmation' | 'disabled' | 'error';
      detail: string;
      move?: { from: string; to: string };
    }
  /** Nothing may reconnect this account (a remote wipe): the loop ends. */
  | { kind: 'end'; state: 'disabled' | 'error'; detail: string };

export interface Classified {
  error: { code: string; message: string };
  verdict: Verdict;
}

/** What a running session may do; made per run, its `signal` aborts on stop and on restart. */
export interface Life {
  readonly signal: AbortSignal;
  /** Sets the status (`since` now, or `now` when given; the folder list is kept unless replaced). */
  set(state: WatcherState, extra?: StatusExtra, now?: number): void;
  /** The watched folders shown in status from now on. */
  folders(list: WatcherStatus['folders']): void;
  /** A good round: the back-off starts over at the next failure. */
  healthy(): void;
  /**
   * Called when `signal` aborts: a plain callback, no EventTarget listener, for a session that
   * aborts a controller of its own with it (EAS: the Ping's, which a check also ends).
   */
  onAbort(fn: () => void): void;
  /**
   * A round is done: the check() calls it answers resolve. True when a check was asked during
   * it: the session owes one more round, and a roundDone (or idle) after it.
   */
  roundDone(): boolean;
  /**
   * Ends a round (as roundDone) and waits `ms` in the timer slot under `purpose` (no timer when
   * undefined: a push wakes the session, see armIdle), or less when
   * check()/wake('manual') asks for a look now. Resolves 'timer' or 'check'; rejects with the
   * abort reason on stop or restart.
   */
  idle(ms: number | undefined, purpose?: string): Promise<'timer' | 'check'>;
  /**
   * A pause inside a working session (EAS phantom changes): backing-off with `retryAt` and the
   * reason, then an idle wait of `ms` in the 'retry' slot — cut short by check()/wake.
   */
  pause(ms: number, why: { detail: string; lastError: { code: string; message: string } }): Promise<unknown>;
}

export type StatusExtra = Omit<WatcherStatus, 'state' | 'since'>;

export interface Session {
  /**
   * One connection's life: connect, baseline or catch up, then wait for changes (with
   * `life.idle` or the protocol's own wait) until it fails — it ends by throwing why. Returning
   * without being stopped counts as a failure too.
   */
  run(life: Life): Promise<void>;
  /** What the error that ended a run means; may log and keep its own notes (a pending move). */
  classify(err: unknown, attempt: number): Classified | Promise<Classified>;
  /**
   * `check()` while a run is under way, for a protocol whose wait is not (only) `life.idle`: a
   * promise of its own (IMAP: every mailbox checked on the open connection), or 'round' — it has
   * begun a round itself (EAS: the open Ping ended, every folder to be synced), and the check
   * resolves at the next roundDone. Undefined: a check that finds no idle wait to cut short
   * either waits for the round under way (`checkBy: 'round'`) or reconnects (`'reconnect'`).
   */
  check?(): Promise<void> | 'round' | undefined;
  /** wake('network' | 'resume') while running: forget what the old network taught. */
  onWake?(reason: 'network' | 'resume' | 'manual'): void;
  /** After the loop has ended on stop: close what the session owns. */
  close?(): Promise<void>;
}

export interface SupervisorOptions {
  accountId: string;
  kind: string;
  clock: Clock;
  log: Logger;
  setStatus(status: WatcherStatus): void;
  random?: () => number;
  /** Back-off bounds unless the verdict names its own; default 2 s … 15 min. */
  baseMs?: number;
  capMs?: number;
  /** The word in "…; retrying in 30 s" (IMAP says "reconnecting"). */
  retryVerb?: string;
  /** A run that lasted this long counts as healthy (a server's idle limit is no failure). */
  healthyAfterMs?: number;
  /** How check() reaches a run without `session.check` that is not idle. Default 'round'. */
  checkBy?: 'round' | 'reconnect';
  /**
   * wake('network' | 'resume') while running: 'reconnect' (a socket of the old network is likely
   * dead) or 'check' (nothing is held open). Default 'reconnect'.
   */
  onNetwork?: 'reconnect' | 'check';
  /** Status `detail` when the account is disabled in the config; start() then runs nothing. */
  disabled?: string;
}

type Phase = 'stopped' | 'running' | 'idle' | 'backoff' | 'park' | 'ended';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #session: Session;
  readonly #slot: TimerSlot;
  #status: WatcherStatus;
  #phase: Phase = 'stopped';
  #attempt = 0;
  #loop: Promise<void> | undefined;
  #abort: AbortController | undefined;
  /** The run's Life.onAbort callback. */
  #onAbort: (() => void) | undefined;
  /** Set when the run under way is ended on purpose (wake, check): reconnect, no back-off. */
  #restart = false;
  /** Ends the wait under way (idle, back-off, park). */
  #release: ((why: 'timer' | 'check') => void) | undefined;
  /** Rejects the idle wait under way (stop, restart). */
  #cancelIdle: ((reason: unknown) => void) | undefined;
  /** A check asked for that no round has begun yet. */
  #pending: Deferred | undefined;
  /** Checks the round under way answers. */
  #inFlight: Deferred | undefined;
  /** The round an idle wait just released, until the session has resumed into it. */
  #joinable: Deferred | undefined;

  constructor(session: Session, opts: SupervisorOptions) {
    this.#session = session;
    this.#o = opts;
    this.#slot = new TimerSlot({
      set: (fn, ms) => opts.clock.setTimeout(fn, ms),
      clear: (h) => opts.clock.clearTimeout(h),
    });
    this.#status = { state: 'stopped', since: new Date(opts.clock.now()).toISOString() };
  }

  get accountId(): string {
    return this.#o.accountId;
  }

  /** What the timer slot holds ('retry', 'idle' …), undefined when nothing is armed. */
  get armed(): string | undefined {
    return this.#slot.armed;
  }

  get attempt(): number {
    return this.#attempt;
  }

  status(): WatcherStatus {
    return this.#status;
  }

  /** True between start() and stop(), a disabled account and an ended loop included. */
  get running(): boolean {
    return this.#phase !== 'stopped';
  }

  /** Sets the status; `folders` is kept from the last status unless `extra` names it. */
  set(state: WatcherState, extra: StatusExtra = {}, now = this.#o.clock.now()): void {
    // A late callback of a stopped session (a push, a closing socket) must not overwrite 'stopped'.
    if (this.#phase === 'stopped' && state !== 'stopped') return;
    const folders = this.#status.folders;
    this.#status = { state, since: new Date(now).toISOString(), ...(folders ? { folders } : {}), ...extra };
    this.#o.setStatus(this.#status);
  }

  /** The watched folders shown from the next status on (and in the current one). */
  folders(list: WatcherStatus['folders']): void {
    this.#status = { ...this.#status, ...(list ? { folders: list } : {}) };
  }

  start(): void {
    if (this.#phase !== 'stopped') return;
    if (this.#o.disabled !== undefined) {
      this.#phase = 'ended';
      this.set('disabled', { detail: this.#o.disabled });
      return;
    }
    this.#attempt = 0;
    this.#phase = 'running';
    this.set('connecting');
    // From the next microtask: a check() asked right after start() joins the first round.
    this.#loop = Promise.resolve()
      .then(() => this.#run())
      .catch((err: unknown) => {
        // Every session error is classified; reaching here is a bug, shown rather than swallowed.
        this.#o.log.error({ accountId: this.#o.accountId, err }, `${this.#o.kind} watcher loop failed`);
        this.#phase = 'ended';
        this.set('error', { detail: `internal error: ${(err as Error).message}` });
      });
  }

  async stop(): Promise<void> {
    if (this.#phase === 'stopped' && this.#status.state === 'stopped') return;
    this.#phase = 'stopped';
    this.#slot.clear();
    this.#abort?.abort(new Error('the account is stopping'));
    this.#onAbort?.();
    this.#cancelIdle?.(new Error('the account is stopping'));
    this.#release?.('check');
    await this.#loop;
    this.#loop = undefined;
    this.#settle(true);
    await this.#session.close?.();
    this.set('stopped');
  }

  /** Network change, resume or a person asking: see SupervisorOptions.onNetwork / checkBy. */
  wake(reason: 'network' | 'resume' | 'manual'): void {
    if (this.#phase === 'stopped' || this.#phase === 'ended') return;
    this.#o.log.debug({ accountId: this.#o.accountId, reason }, `${this.#o.kind} wake`);
    if (reason !== 'manual') this.#attempt = 0;
    this.#session.onWake?.(reason);
    if (this.#phase === 'backoff' || this.#phase === 'park') {
      this.#release?.('check');
      return;
    }
    if (reason !== 'manual' && (this.#o.onNetwork ?? 'reconnect') === 'reconnect') {
      this.restart();
      return;
    }
    void this.check();
  }

  /**
   * Makes the account look now and resolves once it has (or could not: the failure is in the
   * status). During a back-off or park it is the next attempt, made at once.
   */
  check(): Promise<void> {
    if (this.#phase === 'stopped' || this.#phase === 'ended') return Promise.resolve();
    if ((this.#phase === 'running' || this.#phase === 'idle') && this.#session.check) {
      const own = this.#session.check();
      if (own === 'round') {
        this.#pending ??= deferred();
        const p = this.#pending;
        if (this.#phase === 'idle') this.#release?.('check');
        else this.#begin();
        return p.promise;
      }
      if (own) return own;
    }
    if (this.#joinable && this.#phase === 'running') return this.#joinable.promise;
    this.#pending ??= deferred();
    const p = this.#pending;
    if (this.#phase === 'idle' || this.#phase === 'backoff' || this.#phase === 'park')
      this.#release?.('check');
    else if (this.#phase === 'running' && this.#o.checkBy === 'reconnect') this.restart();
    return p.promise;
  }

  /** Ends a back-off or park at once (a move the user accepted); `fresh` restarts the back-off. */
  retryNow(fresh = true): void {
    if (fresh) this.#attempt = 0;
    if (this.#phase === 'backoff' || this.#phase === 'park') this.#release?.('check');
  }

  /**
   * Gives an idle wait without a timer one (a push channel that went down: look on the
   * interval until it is back). Does nothing outside an idle wait or when a timer is armed.
   */
  armIdle(ms: number): void {
    if (this.#phase === 'idle' && this.#slot.armed === undefined)
      this.#slot.arm('idle', ms, () => this.#release?.('timer'));
  }

  /** Ends the run under way and starts a new one at once, without back-off. */
  restart(): void {
    if (this.#phase !== 'running' && this.#phase !== 'idle') return;
    this.#restart = true;
    const reason = new Error('reconnecting');
    this.#abort?.abort(reason);
    this.#onAbort?.();
    this.#cancelIdle?.(reason);
  }

  /** Moves the asked-for check to the round that begins now. */
  #begin(): void {
    if (!this.#pending) return;
    const p = this.#pending;
    this.#pending = undefined;
    const before = this.#inFlight;
    this.#inFlight = before
      ? {
          promise: before.promise,
          resolve: () => {
            before.resolve();
            p.resolve();
          },
        }
      : p;
  }

  /** Resolves the checks the finished round answered; with `all`, the asked-for ones too. */
  #settle(all = false): void {
    const f = this.#inFlight;
    this.#inFlight = undefined;
    f?.resolve();
    if (all) {
      const p = this.#pending;
      this.#pending = undefined;
      p?.resolve();
    }
  }

  #life(signal: AbortSignal): Life {
    const life: Life = {
      signal,
      set: (state, extra, now) => this.set(state, extra, now),
      folders: (list) => this.folders(list),
      healthy: () => {
        this.#attempt = 0;
      },
      pause: (ms, why) => {
        // One instant for both: retryAt − since is exactly the pause a person is told.
        const now = this.#o.clock.now();
        this.set('backing-off', { ...why, retryAt: new Date(now + ms).toISOString() }, now);
        return life.idle(ms, 'retry');
      },
      onAbort: (fn) => {
        this.#onAbort = fn;
      },
      roundDone: () => {
        this.#settle();
        if (!this.#pending) return false;
        this.#begin();
        return true;
      },
      idle: (ms, purpose = 'idle') => {
        if (signal.aborted) return Promise.reject(signal.reason);
        this.#settle();
        if (this.#pending) {
          this.#begin();
          return Promise.resolve('check');
        }
        return new Promise<'timer' | 'check'>((resolve, reject) => {
          this.#phase = 'idle';
          const done = () => {
            this.#slot.clear();
            this.#release = undefined;
            this.#cancelIdle = undefined;
            if (this.#phase === 'idle') this.#phase = 'running';
          };
          this.#release = (why) => {
            done();
            this.#begin();
            // The round this starts has not begun until the session resumes (a microtask
            // later): a check() asked before that joins it rather than queueing one more.
            const round = this.#inFlight ?? deferred();
            this.#inFlight = round;
            this.#joinable = round;
            queueMicrotask(() => {
              if (this.#joinable === round) this.#joinable = undefined;
            });
            resolve(why);
          };
          this.#cancelIdle = (reason) => {
            done();
            reject(reason);
          };
          if (ms !== undefined) this.#slot.arm(purpose, ms, () => this.#release?.('timer'));
        });
      },
    };
    return life;
  }

  /** Restarts in a loop, never by recursion; each turn is one run from connect to failure. */
  async #run(): Promise<void> {
    while (this.#phase === 'running') {
      const began = this.#o.clock.now();
      const abort = new AbortController();
      this.#abort = abort;
      this.#onAbort = undefined;
      this.#restart = false;
      this.#begin();
      let failure: unknown;
      try {
        await this.#session.run(this.#life(abort.signal));
        failure = new Error(`the ${this.#o.kind} session ended`);
      } catch (err) {
        failure = err;
      }
      // stop() may have come while the run was under way (TS narrowed #phase at the loop's test).
      if ((this.#phase as Phase) === 'stopped') return;
      this.#phase = 'running';
      if (this.#restart) continue;
      const healthy = this.#o.healthyAfterMs;
      if (healthy !== undefined && this.#o.clock.now() - began >= healthy) this.#attempt = 0;
      const { error, verdict } = await this.#session.classify(failure, this.#attempt);
      if (this.#phase !== 'running') return;
      await this.#apply(error, verdict);
    }
  }

  async #apply(lastError: Classified['error'], v: Verdict): Promise<void> {
    switch (v.kind) {
      case 'now':
        if (v.bump) this.#attempt++;
        if (v.status) this.set(v.status.state, { detail: v.status.detail, lastError });
        this.#settle();
        return;
      case 'end':
        this.#phase = 'ended';
        this.set(v.state, { detail: v.detail, lastError });
        this.#settle(true);
        return;
      case 'park':
        this.set(v.state, { detail: v.detail, lastError, ...(v.move ? { move: v.move } : {}) });
        this.#settle();
        await this.#wait('park');
        return;
      case 'backoff': {
        const delay = backoffDelay(this.#attempt++, v.retryAfterMs, {
          baseMs: v.baseMs ?? this.#o.baseMs ?? 2_000,
          capMs: v.capMs ?? this.#o.capMs ?? 15 * 60_000,
          ...(this.#o.random ? { random: this.#o.random } : {}),
        });
        // One instant for both: retryAt − since is exactly the delay a person is told.
        const now = this.#o.clock.now();
        this.set(
          'backing-off',
          {
            detail: `${lastError.message}; ${this.#o.retryVerb ?? 'retrying'} in ${Math.round(delay / 1000)} s`,
            retryAt: new Date(now + delay).toISOString(),
            lastError,
          },
          now,
        );
        this.#settle();
        await this.#wait('backoff', delay);
        return;
      }
    }
  }

  /** Waits for the retry timer (when given), wake(), check() or stop(); a check asked for ends it at once. */
  #wait(phase: 'backoff' | 'park', ms?: number): Promise<void> {
    if (this.#pending) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#phase = phase;
      this.#release = () => {
        this.#slot.clear();
        this.#release = undefined;
        if (this.#phase === phase) this.#phase = 'running';
        resolve();
      };
      if (ms !== undefined) this.#slot.arm('retry', ms, () => this.#release?.('timer'));
    });
  }
}

/** What a watcher says of its kind when it puts a session under a supervisor for its account. */
export type AccountSupervision = Omit<
  SupervisorOptions,
  'accountId' | 'log' | 'setStatus' | 'disabled' | 'random'
> & {
  random?: (() => number) | undefined;
  /** The account's `enabled` from the config. */
  enabled: boolean | undefined;
  /** Status detail of a disabled account; default "Account disabled in the config". */
  disabledDetail?: string;
};

/** The supervisor of one account's session, reporting through the watcher context. */
export function supervise(
  session: Session,
  ctx: Pick<WatcherContext, 'accountId' | 'log' | 'setStatus'>,
  o: AccountSupervision,
): Supervisor {
  const { random, enabled, disabledDetail, ...rest } = o;
  return new Supervisor(session, {
    ...rest,
    accountId: ctx.accountId,
    log: ctx.log,
    setStatus: (st) => ctx.setStatus(st),
    ...(random ? { random } : {}),
    ...(enabled === false ? { disabled: disabledDetail ?? 'Account disabled in the config' } : {}),
  });
}
