import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { backoffDelay } from '../retry/backoff';
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
  /** Aborts on stop and on restart; made on first read (an AbortController is ~1 KB). */
  readonly signal: AbortSignal;
  /** True once stop or restart has ended this run (without making `signal`). */
  readonly aborted: boolean;
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
  onAbort(fn: (reason: unknown) => void): void;
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

/*
 * Memory (issue 5: 10 000 EAS accounts in one daemon, each waiting hours in a Ping): per account
 * the supervisor is one object of a fixed shape and one small Life per run, with their methods
 * on the prototypes — no closures per instance, no suspended async frame for the loop (it is a
 * chain of callbacks: run → classify → wait → run), no AbortController unless a session reads
 * `life.signal`, and none kept once the run has ended (a parked account holds none).
 */

export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #session: Session;
  #status: WatcherStatus;
  #phase: Phase = 'stopped';
  #attempt = 0;
  /** The run under way; undefined between runs (back-off, park, classification). */
  #life: RunLife | undefined = undefined;
  /** A run, its classification or the start of the next one is under way (stop() waits for it). */
  #busy = false;
  /** stop() waiting for the run under way to end. */
  #stopped: Deferred | undefined = undefined;
  /** When the run under way began (healthyAfterMs). */
  #began = 0;
  /** Set when the run under way is ended on purpose (wake, check): reconnect, no back-off. */
  #restart = false;
  /** The one timer slot (STYLE.md, daemon/watch): the back-off wait or the session's idle wait. */
  #timer: unknown = undefined;
  /** What the timer is for ('retry', 'idle' …); undefined when none is armed. */
  #purpose: string | undefined = undefined;
  /** The idle wait under way: its promise's resolve and reject. */
  #idleResolve: ((why: 'timer' | 'check') => void) | undefined = undefined;
  #idleReject: ((reason: unknown) => void) | undefined = undefined;
  /** A check asked for that no round has begun yet. */
  #pending: Deferred | undefined = undefined;
  /** Checks the round under way answers. */
  #inFlight: Deferred | undefined = undefined;
  /** The round an idle wait just released, until the session has resumed into it. */
  #joinable: Deferred | undefined = undefined;

  constructor(session: Session, opts: SupervisorOptions) {
    this.#session = session;
    this.#o = opts;
    this.#status = { state: 'stopped', since: new Date(opts.clock.now()).toISOString() };
  }

  get accountId(): string {
    return this.#o.accountId;
  }

  /** What the timer slot holds ('retry', 'idle' …), undefined when nothing is armed. */
  get armed(): string | undefined {
    return this.#purpose;
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
    this.#schedule();
  }

  async stop(): Promise<void> {
    if (this.#phase === 'stopped' && this.#status.state === 'stopped') return;
    this.#phase = 'stopped';
    this.#clearTimer();
    const reason = new Error('the account is stopping');
    this.#life?.abort(reason);
    this.#cancelIdle(reason);
    // A back-off or park has no run to wait for: stopping it is clearing its timer.
    if (this.#busy) {
      this.#stopped ??= deferred();
      await this.#stopped.promise;
    }
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
      this.#release('check');
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
        if (this.#phase === 'idle') this.#release('check');
        else this.#begin();
        return p.promise;
      }
      if (own) return own;
    }
    if (this.#joinable && this.#phase === 'running') return this.#joinable.promise;
    this.#pending ??= deferred();
    const p = this.#pending;
    if (this.#phase === 'idle' || this.#phase === 'backoff' || this.#phase === 'park') this.#release('check');
    else if (this.#phase === 'running' && this.#o.checkBy === 'reconnect') this.restart();
    return p.promise;
  }

  /** Ends a back-off or park at once (a move the user accepted); `fresh` restarts the back-off. */
  retryNow(fresh = true): void {
    if (fresh) this.#attempt = 0;
    if (this.#phase === 'backoff' || this.#phase === 'park') this.#release('check');
  }

  /**
   * Gives an idle wait without a timer one (a push channel that went down: look on the
   * interval until it is back). Does nothing outside an idle wait or when a timer is armed.
   */
  armIdle(ms: number): void {
    if (this.#phase === 'idle' && this.#purpose === undefined) this.#arm('idle', ms);
  }

  /** Ends the run under way and starts a new one at once, without back-off. */
  restart(): void {
    if (this.#phase !== 'running' && this.#phase !== 'idle') return;
    this.#restart = true;
    const reason = new Error('reconnecting');
    this.#life?.abort(reason);
    this.#cancelIdle(reason);
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

  #arm(purpose: string, ms: number): void {
    this.#clearTimer();
    this.#purpose = purpose;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#purpose = undefined;
      this.#release('timer');
    }, ms);
  }

  #clearTimer(): void {
    if (this.#purpose !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#purpose = undefined;
  }

  /** Ends the wait under way: an idle wait resumes its run; a back-off or park starts the next. */
  #release(why: 'timer' | 'check'): void {
    const phase = this.#phase;
    if (phase === 'idle') {
      const resolve = this.#idleResolve;
      this.#endIdle();
      this.#begin();
      // The round this starts has not begun until the session resumes (a microtask later): a
      // check() asked before that joins it rather than queueing one more.
      const round = this.#inFlight ?? deferred();
      this.#inFlight = round;
      this.#joinable = round;
      queueMicrotask(() => {
        if (this.#joinable === round) this.#joinable = undefined;
      });
      resolve?.(why);
    } else if (phase === 'backoff' || phase === 'park') {
      this.#clearTimer();
      this.#phase = 'running';
      this.#schedule();
    }
  }

  /** Rejects the idle wait under way (stop, restart). */
  #cancelIdle(reason: unknown): void {
    const reject = this.#idleReject;
    if (!reject) return;
    this.#endIdle();
    reject(reason);
  }

  #endIdle(): void {
    this.#clearTimer();
    this.#idleResolve = undefined;
    this.#idleReject = undefined;
    if (this.#phase === 'idle') this.#phase = 'running';
  }

  #idle(life: RunLife, ms: number | undefined, purpose: string): Promise<'timer' | 'check'> {
    if (life.aborted) return Promise.reject(life.reason);
    this.#settle();
    if (this.#pending) {
      this.#begin();
      return Promise.resolve('check');
    }
    return new Promise<'timer' | 'check'>((resolve, reject) => {
      this.#phase = 'idle';
      this.#idleResolve = resolve;
      this.#idleReject = reject;
      if (ms !== undefined) this.#arm(purpose, ms);
    });
  }

  /** The next run, from a later microtask (start, the end of a back-off or park). */
  #schedule(): void {
    this.#busy = true;
    queueMicrotask(() => this.#next());
  }

  /**
   * One run, from connect to failure. The restart loop is a chain of callbacks, never
   * recursion on the stack (STYLE.md, daemon/watch): each run's end, classified, starts the next.
   */
  #next(): void {
    if (this.#phase !== 'running') {
      this.#loopEnded();
      return;
    }
    this.#busy = true;
    this.#began = this.#o.clock.now();
    const life: RunLife = new Supervisor.#Life(this);
    this.#life = life;
    this.#restart = false;
    this.#begin();
    let run: Promise<void>;
    try {
      run = this.#session.run(life);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      () => this.#ran(life, new Error(`the ${this.#o.kind} session ended`)),
      (err: unknown) => this.#ran(life, err),
    );
  }

  #ran(life: RunLife, failure: unknown): void {
    try {
      // The run's controller goes with it: nothing between runs holds one.
      if (this.#life === life) this.#life = undefined;
      if (this.#phase === 'stopped') {
        this.#loopEnded();
        return;
      }
      this.#phase = 'running';
      if (this.#restart) {
        this.#next();
        return;
      }
      const healthy = this.#o.healthyAfterMs;
      if (healthy !== undefined && this.#o.clock.now() - this.#began >= healthy) this.#attempt = 0;
      Promise.resolve(this.#session.classify(failure, this.#attempt)).then(
        (c) => this.#apply(c),
        (err: unknown) => this.#internal(err),
      );
    } catch (err) {
      this.#internal(err);
    }
  }

  /** Every session error is classified; reaching here is a bug, shown rather than swallowed. */
  #internal(err: unknown): void {
    this.#o.log.error({ accountId: this.#o.accountId, err }, `${this.#o.kind} watcher loop failed`);
    if (this.#phase !== 'stopped') {
      this.#phase = 'ended';
      this.set('error', { detail: `internal error: ${(err as Error).message}` });
    }
    this.#loopEnded();
  }

  #loopEnded(): void {
    this.#busy = false;
    const s = this.#stopped;
    this.#stopped = undefined;
    s?.resolve();
  }

  #apply({ error: lastError, verdict: v }: Classified): void {
    try {
      if (this.#phase !== 'running') {
        this.#loopEnded();
        return;
      }
      switch (v.kind) {
        case 'now':
          if (v.bump) this.#attempt++;
          if (v.status) this.set(v.status.state, { detail: v.status.detail, lastError });
          this.#settle();
          this.#next();
          return;
        case 'end':
          this.#phase = 'ended';
          this.set(v.state, { detail: v.detail, lastError });
          this.#settle(true);
          this.#loopEnded();
          return;
        case 'park':
          this.set(v.state, { detail: v.detail, lastError, ...(v.move ? { move: v.move } : {}) });
          this.#settle();
          this.#wait('park');
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
          this.#wait('backoff', delay);
          return;
        }
      }
    } catch (err) {
      this.#internal(err);
    }
  }

  /** Waits for the retry timer (when given), wake(), check() or stop(); a check asked for ends it at once. */
  #wait(phase: 'backoff' | 'park', ms?: number): void {
    if (this.#pending) {
      this.#next();
      return;
    }
    this.#phase = phase;
    // No run is under way while waiting: stop() only clears the timer.
    this.#busy = false;
    if (ms !== undefined) this.#arm('retry', ms);
  }

  /** A run's Life: one small object, its methods on the prototype (see "Memory" above). */
  static #Life = class implements Life {
    readonly sup: Supervisor;
    aborted = false;
    reason: unknown = undefined;
    /** Made when a session first reads `signal`; EAS never does while its Ping waits. */
    controller: AbortController | undefined = undefined;
    abortFn: ((reason: unknown) => void) | undefined = undefined;

    constructor(sup: Supervisor) {
      this.sup = sup;
    }

    get signal(): AbortSignal {
      if (!this.controller) {
        this.controller = new AbortController();
        if (this.aborted) this.controller.abort(this.reason);
      }
      return this.controller.signal;
    }

    abort(reason: unknown): void {
      if (this.aborted) return;
      this.aborted = true;
      this.reason = reason;
      this.controller?.abort(reason);
      this.abortFn?.(reason);
    }

    set(state: WatcherState, extra?: StatusExtra, now?: number): void {
      this.sup.set(state, extra, now);
    }

    folders(list: WatcherStatus['folders']): void {
      this.sup.folders(list);
    }

    healthy(): void {
      this.sup.#attempt = 0;
    }

    onAbort(fn: (reason: unknown) => void): void {
      this.abortFn = fn;
    }

    roundDone(): boolean {
      const sup = this.sup;
      sup.#settle();
      if (!sup.#pending) return false;
      sup.#begin();
      return true;
    }

    idle(ms: number | undefined, purpose = 'idle'): Promise<'timer' | 'check'> {
      return this.sup.#idle(this, ms, purpose);
    }

    pause(
      ms: number,
      why: { detail: string; lastError: { code: string; message: string } },
    ): Promise<unknown> {
      // One instant for both: retryAt − since is exactly the pause a person is told.
      const now = this.sup.#o.clock.now();
      this.sup.set('backing-off', { ...why, retryAt: new Date(now + ms).toISOString() }, now);
      return this.idle(ms, 'retry');
    }
  };
}

/** A Life as the supervisor drives it. */
interface RunLife extends Life {
  readonly reason: unknown;
  abort(reason: unknown): void;
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
  // One literal, every property in the same order for every account and kind: the spread of a
  // rest object it was gave each account's options a hidden class of its own (~300 B each,
  // issue 5's heap snapshot at 1 000 accounts: 989 such maps).
  return new Supervisor(session, {
    accountId: ctx.accountId,
    kind: o.kind,
    clock: o.clock,
    log: ctx.log,
    setStatus: (st) => ctx.setStatus(st),
    random: o.random,
    baseMs: o.baseMs,
    capMs: o.capMs,
    retryVerb: o.retryVerb,
    healthyAfterMs: o.healthyAfterMs,
    checkBy: o.checkBy,
    onNetwork: o.onNetwork,
    disabled: o.enabled === false ? (o.disabledDetail ?? 'Account disabled in the config') : undefined,
  });
}
