import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock';
import {
  type Classified,
  type Life,
  type Session,
  Supervisor,
  type SupervisorOptions,
  type Verdict,
} from '../../src/watch/supervisor';
import type { WatcherStatus } from '../../src/watch/types';

class ManualClock implements Clock {
  t = Date.UTC(2026, 11, 7, 12, 0, 0);
  seq = 0;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers.delete(h as number);
  };
  armedDelay(): number | undefined {
    const [x] = [...this.timers.values()];
    return x === undefined ? undefined : x.at - this.t;
  }
  advance(ms: number): void {
    this.t += ms;
    for (const [id, x] of [...this.timers].sort(([, a], [, b]) => a.at - b.at)) {
      if (x.at <= this.t) {
        this.timers.delete(id);
        x.fn();
      }
    }
  }
}

/** Lets queued promise callbacks run (no timers involved). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never: ${what}`);
}

class Failure extends Error {
  constructor(
    readonly code: string,
    readonly verdict: Verdict,
  ) {
    super(`${code} happened`);
  }
}

/**
 * A session scripted run by run: each run calls the next step with its Life; a step that
 * resolves without throwing idles forever (like a healthy poller) until the test does something.
 */
function scripted(steps: ((life: Life, n: number) => Promise<void>)[], extra: Partial<Session> = {}) {
  const lives: Life[] = [];
  let runs = 0;
  const session: Session = {
    async run(life) {
      lives.push(life);
      const step = steps[Math.min(runs, steps.length - 1)]!;
      runs++;
      await step(life, runs);
    },
    classify(err): Classified {
      const f = err as Failure;
      return {
        error: { code: f.code ?? 'X', message: f.message },
        verdict: f.verdict ?? { kind: 'backoff' },
      };
    },
    ...extra,
  };
  return { session, lives, runs: () => runs };
}

function make(session: Session, opts: Partial<SupervisorOptions> = {}) {
  const clock = new ManualClock();
  const statuses: WatcherStatus[] = [];
  const sup = new Supervisor(session, {
    accountId: 'acct',
    kind: 'test',
    clock,
    log: pino({ level: 'silent' }),
    setStatus: (s) => statuses.push(s),
    random: () => 0.5,
    ...opts,
  });
  return { sup, clock, statuses };
}

/** A healthy poller: rounds of `onRound`, then idle for 30 s, forever. */
function poller(onRound: (life: Life) => void | Promise<void> = () => undefined) {
  return async (life: Life) => {
    for (;;) {
      life.set('syncing');
      await onRound(life);
      life.healthy();
      life.set('waiting', { detail: 'next check in 30 s' });
      await life.idle(30_000);
    }
  };
}

/** A healthy poller that counts its rounds. */
function counting(extra: Partial<Session> = {}) {
  const n = { rounds: 0 };
  const s = scripted(
    [
      poller(() => {
        n.rounds++;
      }),
    ],
    extra,
  );
  return { ...s, rounds: () => n.rounds };
}

describe('supervisor: lifecycle', () => {
  it('holds one timer (the slot): a new wait replaces the armed one, armIdle adds none, stop leaves none', async () => {
    const s = counting();
    const { sup, clock } = make(s.session);
    sup.start();
    await until(() => sup.armed === 'idle', 'idle');
    sup.armIdle(5_000);
    expect(clock.timers.size).toBe(1);
    expect(clock.armedDelay()).toBe(30_000);
    await sup.check();
    await until(() => s.rounds() === 2 && sup.armed === 'idle', 'idle again after the check');
    expect(clock.timers.size).toBe(1);
    await sup.stop();
    expect(clock.timers.size).toBe(0);
    expect(sup.armed).toBeUndefined();
  });

  it('a run that never reads life.signal is still told of stop and restart (onAbort with the reason); a signal read late is already aborted', async () => {
    // Issue 5: the run's AbortController (~1 KB) is made only when a session reads `signal`.
    const told: string[] = [];
    const s = scripted([
      (life) => {
        life.set('waiting');
        return new Promise<void>((_, reject) =>
          life.onAbort((reason) => {
            told.push((reason as Error).message);
            reject(reason);
          }),
        );
      },
      (life) => {
        life.onAbort((reason) => told.push((reason as Error).message));
        life.set('waiting');
        return new Promise<void>(() => undefined);
      },
    ]);
    const { sup } = make(s.session);
    sup.start();
    await until(() => sup.status().state === 'waiting', 'first run waiting');
    const first = s.lives[0]!;
    expect(first.aborted).toBe(false);
    sup.restart();
    expect(first.aborted).toBe(true);
    expect(first.signal.aborted).toBe(true);
    expect((first.signal.reason as Error).message).toBe('reconnecting');
    await until(() => s.runs() === 2 && sup.status().state === 'waiting', 'second run waiting');
    const second = s.lives[1];
    void sup.stop();
    expect(second?.aborted).toBe(true);
    expect(told).toEqual(['reconnecting', 'the account is stopping']);
  });

  it('start → connecting, the session sets syncing and waiting; stop leaves no timer and is idempotent', async () => {
    const s = counting();
    const { sup, clock, statuses } = make(s.session);
    sup.start();
    sup.start();
    await until(() => sup.status().state === 'waiting', 'waiting');
    expect(statuses.map((x) => x.state)).toEqual(['connecting', 'syncing', 'waiting']);
    expect(sup.armed).toBe('idle');
    expect(clock.armedDelay()).toBe(30_000);
    clock.advance(30_000);
    await until(() => s.rounds() === 2, 'a second round on the timer');
    await sup.stop();
    await sup.stop();
    expect(sup.status().state).toBe('stopped');
    expect(clock.timers.size).toBe(0);
    expect(s.runs()).toBe(1);
  });

  it('a disabled account never runs', async () => {
    const s = scripted([poller()]);
    const { sup, clock } = make(s.session, { disabled: 'Account disabled in the config' });
    sup.start();
    expect(sup.status()).toMatchObject({ state: 'disabled', detail: 'Account disabled in the config' });
    sup.wake('manual');
    await sup.check();
    expect(s.runs()).toBe(0);
    await sup.stop();
    expect(sup.status().state).toBe('stopped');
    expect(clock.timers.size).toBe(0);
  });

  it('keeps the folder list across states until the session replaces it', async () => {
    const s = scripted([
      async (life) => {
        life.folders([{ id: 'INBOX', name: 'Inbox', collection: 'mail' }]);
        life.set('waiting');
        await life.idle(1000);
      },
    ]);
    const { sup } = make(s.session);
    sup.start();
    await until(() => sup.status().state === 'waiting', 'waiting');
    expect(sup.status().folders).toEqual([{ id: 'INBOX', name: 'Inbox', collection: 'mail' }]);
    await sup.stop();
  });
});

describe('supervisor: back-off', () => {
  it('honours Retry-After: retryAt − since is the delay, and the timer is that long', async () => {
    const s = scripted([
      async () => {
        throw new Failure('E_RATE', { kind: 'backoff', retryAfterMs: 120_000 });
      },
      poller(),
    ]);
    const { sup, clock } = make(s.session);
    sup.start();
    await until(() => sup.status().state === 'backing-off', 'backing-off');
    const st = sup.status();
    expect(st).toMatchObject({
      detail: 'E_RATE happened; retrying in 120 s',
      lastError: { code: 'E_RATE', message: 'E_RATE happened' },
    });
    expect(Date.parse(st.retryAt!) - Date.parse(st.since)).toBe(120_000);
    expect(sup.armed).toBe('retry');
    expect(clock.armedDelay()).toBe(120_000);
    clock.advance(119_999);
    expect(s.runs()).toBe(1);
    clock.advance(1);
    await until(() => sup.status().state === 'waiting', 'recovered');
    expect(s.runs()).toBe(2);
    await sup.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('delays grow with each failure, within the verdict bounds, and the verb is the session’s', async () => {
    const s = scripted([
      async () => {
        throw new Failure('E_NET', { kind: 'backoff', baseMs: 1000, capMs: 8000 });
      },
    ]);
    const { sup, clock } = make(s.session, { retryVerb: 'reconnecting' });
    sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await until(() => sup.armed === 'retry' && s.runs() === i + 1, `failure ${i + 1}`);
      delays.push(clock.armedDelay()!);
      clock.advance(clock.armedDelay()!);
    }
    // random 0.5: base/2 + 0.5·(min(cap, base·2^n) − base/2)
    expect(delays).toEqual([750, 1250, 2250, 4250, 4250]);
    expect(sup.status().detail).toMatch(/; reconnecting in \d+ s$/);
    await sup.stop();
  });

  it('healthy() starts the back-off over', async () => {
    let fail = false;
    const s = scripted([
      async (life) => {
        for (;;) {
          if (fail) throw new Failure('E', { kind: 'backoff', baseMs: 1000, capMs: 60_000 });
          life.healthy();
          await life.idle(10_000);
        }
      },
    ]);
    const { sup, clock } = make(s.session);
    fail = true;
    sup.start();
    await until(() => sup.attempt === 1, 'one failure');
    clock.advance(clock.armedDelay()!);
    await until(() => sup.attempt === 2, 'two failures');
    fail = false;
    clock.advance(clock.armedDelay()!);
    await until(() => sup.armed === 'idle', 'a good round');
    expect(sup.attempt).toBe(0);
    await sup.stop();
  });

  it('a run that lasted healthyAfterMs resets the attempt before the next back-off', async () => {
    const s = scripted([
      async () => {
        throw new Failure('E', { kind: 'backoff', baseMs: 1000 });
      },
      async () => {
        throw new Failure('E', { kind: 'backoff', baseMs: 1000 });
      },
      async (life) => {
        // A long session that ends with BYE.
        await life.idle(120_000, 'session').catch(() => undefined);
        throw new Failure('E_BYE', { kind: 'backoff', baseMs: 1000 });
      },
      poller(),
    ]);
    const { sup, clock } = make(s.session, { healthyAfterMs: 60_000 });
    sup.start();
    await until(() => sup.attempt === 1, 'first');
    clock.advance(clock.armedDelay()!);
    await until(() => sup.attempt === 2, 'second');
    clock.advance(clock.armedDelay()!);
    await until(() => sup.armed === 'session', 'a long session');
    clock.advance(120_000);
    await until(() => sup.armed === 'retry', 'ended, backing off');
    // Reset to 0, then counted once: the first delay again.
    expect(sup.attempt).toBe(1);
    expect(clock.armedDelay()).toBe(750);
    await sup.stop();
  });

  it('stop during back-off ends the wait, runs nothing more and leaves no timer', async () => {
    const s = scripted([
      async () => {
        throw new Failure('E', { kind: 'backoff' });
      },
    ]);
    const { sup, clock } = make(s.session);
    sup.start();
    await until(() => sup.status().state === 'backing-off', 'backing-off');
    await sup.stop();
    expect(sup.status().state).toBe('stopped');
    expect(clock.timers.size).toBe(0);
    expect(s.runs()).toBe(1);
  });

  it('wake during back-off tries at once; network and resume start the back-off over, manual does not', async () => {
    const s = scripted([
      async () => {
        throw new Failure('E', { kind: 'backoff' });
      },
    ]);
    const { sup, clock } = make(s.session);
    sup.start();
    await until(() => sup.attempt === 1, 'first');
    sup.wake('manual');
    await until(() => sup.attempt === 2, 'woken by hand: counted on');
    expect(s.runs()).toBe(2);
    sup.wake('network');
    await until(() => s.runs() === 3 && sup.armed === 'retry', 'woken by the network');
    expect(sup.attempt).toBe(1);
    await sup.stop();
    expect(clock.timers.size).toBe(0);
  });

  it("'now' tries again at once, counted when asked, with the status it names", async () => {
    const s = scripted([
      async () => {
        throw new Failure('E_TOKEN', {
          kind: 'now',
          bump: true,
          status: { state: 'backing-off', detail: 'Access token refused; refreshing it' },
        });
      },
      poller(),
    ]);
    const { sup, statuses } = make(s.session);
    sup.start();
    await until(() => sup.status().state === 'waiting', 'waiting');
    expect(statuses.map((x) => [x.state, x.detail])).toContainEqual([
      'backing-off',
      'Access token refused; refreshing it',
    ]);
    expect(statuses.find((x) => x.state === 'backing-off')?.retryAt).toBeUndefined();
    expect(s.runs()).toBe(2);
    await sup.stop();
  });
});

describe('supervisor: park and end', () => {
  for (const state of ['needs-credentials', 'needs-confirmation', 'disabled', 'error'] as const) {
    it(`${state}: no timer; wake tries again`, async () => {
      const s = scripted([
        async () => {
          throw new Failure('E_PARK', {
            kind: 'park',
            state,
            detail: 'waiting for you',
            ...(state === 'needs-confirmation' ? { move: { from: 'https://a/', to: 'https://b/' } } : {}),
          });
        },
        poller(),
      ]);
      const { sup, clock } = make(s.session);
      sup.start();
      await until(() => sup.status().state === state, state);
      expect(sup.status()).toMatchObject({ detail: 'waiting for you', lastError: { code: 'E_PARK' } });
      if (state === 'needs-confirmation')
        expect(sup.status().move).toEqual({ from: 'https://a/', to: 'https://b/' });
      expect(clock.timers.size).toBe(0);
      sup.wake('manual');
      await until(() => sup.status().state === 'waiting', 'tried again');
      await sup.stop();
      expect(clock.timers.size).toBe(0);
    });
  }

  it('retryNow ends a park (an accepted move) and starts the back-off over', async () => {
    const s = scripted([
      async () => {
        throw new Failure('E', { kind: 'backoff' });
      },
      async () => {
        throw new Failure('E_MOVE', { kind: 'park', state: 'needs-confirmation', detail: 'moved' });
      },
      poller(),
    ]);
    const { sup, clock } = make(s.session);
    sup.start();
    await until(() => sup.armed === 'retry', 'backing off');
    clock.advance(clock.armedDelay()!);
    await until(() => sup.status().state === 'needs-confirmation', 'parked');
    expect(sup.attempt).toBe(1);
    sup.retryNow();
    expect(sup.attempt).toBe(0);
    await until(() => sup.status().state === 'waiting', 'running again');
    await sup.stop();
  });

  it("'end' stops the loop for good: wake and check do nothing", async () => {
    const s = scripted([
      async () => {
        throw new Failure('E_WIPE', {
          kind: 'end',
          state: 'disabled',
          detail: 'Removed by a remote wipe order',
        });
      },
    ]);
    const { sup, clock } = make(s.session);
    sup.start();
    await until(() => sup.status().state === 'disabled', 'ended');
    sup.wake('network');
    await sup.check();
    expect(s.runs()).toBe(1);
    expect(clock.timers.size).toBe(0);
    await sup.stop();
    expect(sup.status().state).toBe('stopped');
  });
});

describe('supervisor: check', () => {
  it('cuts an idle wait short and resolves once that round is done', async () => {
    const s = counting();
    const { sup, clock } = make(s.session);
    sup.start();
    await sup.check();
    expect(s.rounds()).toBe(1);
    await sup.check();
    expect(s.rounds()).toBe(2);
    expect(clock.armedDelay()).toBe(30_000);
    await sup.stop();
  });

  it('asked right after the idle timer fired: joins the round it starts', async () => {
    const s = counting();
    const { sup, clock } = make(s.session);
    sup.start();
    await sup.check();
    for (let i = 0; i < 3; i++) {
      clock.advance(30_000);
      await sup.check();
    }
    expect(s.rounds()).toBe(4);
    await sup.stop();
  });

  it('asked during a round: one more round after it; asked twice before it begins: joined', async () => {
    let rounds = 0;
    let gate: (() => void) | undefined;
    const s = scripted([
      poller(async () => {
        rounds++;
        if (rounds === 2) await new Promise<void>((r) => (gate = r));
      }),
    ]);
    const { sup } = make(s.session);
    sup.start();
    await sup.check();
    const second = sup.check();
    await until(() => gate !== undefined, 'the second round under way');
    const third = sup.check();
    const joined = sup.check();
    gate!();
    await second;
    await Promise.all([third, joined]);
    expect(rounds).toBe(3);
    await sup.stop();
  });

  it('during a back-off: the next attempt now, counted on; resolves when it failed again', async () => {
    const s = scripted([
      async () => {
        throw new Failure('E', { kind: 'backoff', baseMs: 1000 });
      },
    ]);
    const { sup, clock } = make(s.session);
    sup.start();
    await sup.check();
    expect(sup.status().state).toBe('backing-off');
    const first = clock.armedDelay()!;
    await sup.check();
    expect(s.runs()).toBe(2);
    expect(clock.armedDelay()).toBeGreaterThan(first);
    await sup.stop();
  });

  it("checkBy 'reconnect': a check during a run that has no idle wait reconnects, resolved at its roundDone", async () => {
    let aborted = 0;
    const s = scripted([
      async (life) => {
        life.set('waiting', { detail: 'Ping open' });
        life.roundDone();
        await new Promise<void>((_, reject) =>
          life.signal.addEventListener('abort', () => {
            aborted++;
            reject(life.signal.reason);
          }),
        );
      },
    ]);
    const { sup, clock } = make(s.session, { checkBy: 'reconnect' });
    sup.start();
    await until(() => sup.status().state === 'waiting', 'waiting');
    await sup.check();
    expect(aborted).toBe(1);
    expect(s.runs()).toBe(2);
    expect(sup.attempt).toBe(0);
    expect(clock.timers.size).toBe(0);
    await sup.stop();
  });

  it("the session's own check is used while it runs", async () => {
    let own = 0;
    const s = scripted(
      [
        async (life) => {
          life.set('waiting');
          await new Promise<void>((_, reject) =>
            life.signal.addEventListener('abort', () => reject(life.signal.reason)),
          );
        },
      ],
      {
        check: () => {
          own++;
          return Promise.resolve();
        },
      },
    );
    const { sup } = make(s.session);
    sup.start();
    await until(() => sup.status().state === 'waiting', 'waiting');
    await sup.check();
    expect(own).toBe(1);
    expect(s.runs()).toBe(1);
    await sup.stop();
  });

  it("wake('network') while running: 'reconnect' restarts without back-off, 'check' looks again", async () => {
    for (const onNetwork of ['reconnect', 'check'] as const) {
      const woken: string[] = [];
      const s = counting({ onWake: (r) => woken.push(r) });
      const { sup } = make(s.session, { onNetwork });
      sup.start();
      await until(() => sup.armed === 'idle', 'idle');
      sup.wake('network');
      await until(() => s.rounds() === 2 && sup.armed === 'idle', 'looked again');
      expect(s.runs()).toBe(onNetwork === 'reconnect' ? 2 : 1);
      expect(sup.status().state).toBe('waiting');
      expect(woken).toEqual(['network']);
      await sup.stop();
    }
  });

  it("a session check that begins its own round ('round') resolves at the next roundDone, and ends an idle wait", async () => {
    let asked = 0;
    let rounds = 0;
    const s = scripted(
      [
        async (life) => {
          for (;;) {
            rounds++;
            life.set('waiting');
            life.roundDone();
            // Alternates a hanging wait the session itself ends (a Ping) with an idle pause.
            if (rounds % 2 === 1)
              await new Promise<void>((resolve, reject) => {
                wakeRun = resolve;
                life.signal.addEventListener('abort', () => reject(life.signal.reason));
              });
            else await life.idle(60_000, 'retry');
          }
        },
      ],
      {
        check: () => {
          asked++;
          wakeRun?.();
          return 'round';
        },
      },
    );
    let wakeRun: (() => void) | undefined;
    const { sup } = make(s.session, { checkBy: 'reconnect' });
    sup.start();
    await until(() => rounds === 1, 'the first round');
    await sup.check();
    expect(rounds).toBe(2);
    expect(sup.armed).toBe('retry');
    await sup.check();
    expect(rounds).toBe(3);
    expect(asked).toBe(2);
    expect(s.runs()).toBe(1);
    await sup.stop();
  });

  it('pause: backing-off inside a working session, retryAt − since is the pause; a check ends it', async () => {
    let rounds = 0;
    const s = scripted([
      async (life) => {
        for (;;) {
          rounds++;
          life.set('waiting');
          await life.pause(90_000, {
            detail: 'phantom; next Ping in 90 s',
            lastError: { code: 'E_PH', message: 'ph' },
          });
        }
      },
    ]);
    const { sup, clock } = make(s.session);
    sup.start();
    await until(() => sup.armed === 'retry', 'paused');
    const st = sup.status();
    expect(st).toMatchObject({
      state: 'backing-off',
      detail: 'phantom; next Ping in 90 s',
      lastError: { code: 'E_PH' },
    });
    expect(Date.parse(st.retryAt!) - Date.parse(st.since)).toBe(90_000);
    expect(clock.armedDelay()).toBe(90_000);
    await sup.check();
    expect(rounds).toBe(2);
    expect(sup.attempt).toBe(0);
    await sup.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('stop resolves a check still waiting', async () => {
    const s = scripted([
      async (life) => {
        await new Promise<void>((_, reject) =>
          life.signal.addEventListener('abort', () => reject(life.signal.reason)),
        );
      },
    ]);
    const { sup } = make(s.session);
    sup.start();
    const c = sup.check();
    await sup.stop();
    await c;
    expect(sup.status().state).toBe('stopped');
  });
});
