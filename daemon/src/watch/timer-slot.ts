/** Timer functions, injectable so tests can fire a wait by hand instead of sleeping. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Real timers, unref'd: a waiting watcher never keeps the process alive on its own. */
export const realTimers: Timers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * One timer per watcher, tagged by purpose (STYLE.md, daemon/watch): arming it replaces what
 * was armed, so a watcher can never hold two timers, and `clear()` on stop leaves none.
 */
export class TimerSlot {
  #timers: Timers;
  #handle: unknown;
  #purpose: string | undefined;

  constructor(timers: Timers = realTimers) {
    this.#timers = timers;
  }

  /** What the armed timer is for, or undefined when none is armed. */
  get armed(): string | undefined {
    return this.#purpose;
  }

  arm(purpose: string, ms: number, fn: () => void): void {
    this.clear();
    this.#purpose = purpose;
    this.#handle = this.#timers.set(() => {
      this.#handle = undefined;
      this.#purpose = undefined;
      fn();
    }, ms);
  }

  clear(): void {
    if (this.#purpose !== undefined) this.#timers.clear(this.#handle);
    this.#handle = undefined;
    this.#purpose = undefined;
  }
}
