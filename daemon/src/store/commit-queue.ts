import type { ChangeSignal } from '../signal';
import type { StateChange } from './types';

/** One commit waiting for the turn's transaction. */
export interface QueuedCommit {
  readonly accountId: string;
  readonly change: StateChange;
}

/**
 * Applies a batch in one transaction: per commit its fresh signals, or the error that was its
 * own (a value that cannot be encoded). Throws when the transaction itself fails.
 */
export type ApplyBatch = (batch: readonly QueuedCommit[]) => (ChangeSignal[] | Error)[];

interface Waiting extends QueuedCommit {
  resolve: (fresh: ChangeSignal[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for `StateStore.commitSoon`: the commits queued during one event-loop turn are
 * written by one transaction when the turn ends (setImmediate, after the poll phase has read
 * every answer that was ready). A transaction's cost is mostly the WAL pages it writes, and the
 * outbox and its indexes share pages, so under a burst the cost per change falls as the queue
 * grows, which is when it matters. Nothing the caller does waits on less: it sends its next
 * request and publishes only once its promise resolves, so a kill -9 before the write loses only
 * work the server will hand out again for the old sync key.
 */
export class CommitQueue {
  #waiting: Waiting[] = [];
  readonly #accounts = new Set<string>();
  #scheduled: NodeJS.Immediate | undefined;
  readonly #apply: ApplyBatch;

  constructor(apply: ApplyBatch) {
    this.#apply = apply;
  }

  add(accountId: string, change: StateChange): Promise<ChangeSignal[]> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ accountId, change, resolve, reject });
      this.#accounts.add(accountId);
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Whether a commit of this account is waiting (a read of its values must flush first). */
  holds(accountId: string): boolean {
    return this.#accounts.has(accountId);
  }

  /** Writes what is queued now; each caller's promise settles with its own outcome. */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const batch = this.#waiting;
    if (batch.length === 0) return;
    this.#waiting = [];
    this.#accounts.clear();
    let results: (ChangeSignal[] | Error)[];
    try {
      results = this.#apply(batch);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const r = results[i]!;
      if (r instanceof Error) batch[i]!.reject(r);
      else batch[i]!.resolve(r);
    }
  }
}
