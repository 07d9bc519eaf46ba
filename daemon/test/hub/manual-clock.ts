import type { Clock } from '../../src/clock';

/** A clock the test moves by hand; `armed` tells whether any timer is left. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get armed(): number {
    return this.#timers.size;
  }

  /** Moves time forward without firing anything: a timer that is late (a suspended machine). */
  jump(ms: number): void {
    this.#now += ms;
  }

  /** Moves time forward, firing due timers in time order (timers they arm fire too if due). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const t of this.#timers) if (t[1].at <= end && (!next || t[1].at < next[1].at)) next = t;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
    }
    this.#now = end;
  }
}
