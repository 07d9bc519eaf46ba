import type { Logger } from 'pino';
import { DaemonError } from './errors';

/** Undoes one setup step: closes what it opened, removes what it added. */
export type Disposer = () => void | Promise<void>;

/** What a `setupX()` module returns: what it made, and how to undo it. */
export interface Setup<T> {
  value: T;
  dispose: Disposer;
}

/**
 * The daemon's start as a stack of undo steps (Electron Fiddle's `setupX` modules, undici's
 * close chains): each setup step pushes its disposer as soon as it has something to undo, so a
 * start that fails half-way tears down exactly what it had started, in reverse order, and a
 * normal stop runs the same steps. A disposer that throws is logged and the rest still run.
 */
export class DisposerStack {
  readonly #steps: { name: string; dispose: Disposer }[] = [];
  readonly #log: Logger | undefined;
  #disposing: Promise<void> | undefined;

  constructor(log?: Logger) {
    this.#log = log;
  }

  /** Pushes a setup's disposer and hands back what it made. */
  use<T>(name: string, setup: Setup<T>): T {
    this.defer(name, setup.dispose);
    return setup.value;
  }

  /** Pushes an undo step; it runs before every step pushed earlier. */
  defer(name: string, dispose: Disposer): void {
    if (this.#disposing)
      throw new DaemonError('DAEMON_ERR_STOPPING', `setup "${name}" after the daemon began to stop`);
    this.#steps.push({ name, dispose });
  }

  /** Names of the steps still to undo, latest first (tests, logs). */
  get pending(): string[] {
    return this.#steps.map((s) => s.name).reverse();
  }

  /** Runs every disposer, latest first; idempotent (a second call waits for the first). */
  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
        try {
          await step.dispose();
        } catch (err) {
          this.#log?.error({ err, step: step.name }, `stopping ${step.name} failed; going on with the rest`);
        }
      }
    })();
    return this.#disposing;
  }
}
