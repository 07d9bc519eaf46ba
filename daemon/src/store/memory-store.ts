import type { ChangeSignal } from '../signal';
import { CommitQueue } from './commit-queue';
import { encodeValue } from './encode';
import { StoreError } from './errors';
import {
  DEFAULT_KEEP_IDS_MS,
  DEFAULT_KEEP_PAYLOAD_MS,
  type RetentionOptions,
  type StateChange,
  type StateStore,
} from './types';

interface OutboxRow {
  accountId: string;
  /** JSON of the signal; undefined once pruned. */
  payload: string | undefined;
  committedAt: number;
  deliveredAt: number | undefined;
}

/**
 * The state store in memory, for tests and `--ephemeral` runs. Same contract as the SQLite
 * store (test/store/contract.ts runs against both); nothing survives the process.
 */
export class MemoryStore implements StateStore {
  readonly #kv = new Map<string, Map<string, string>>();
  /** Insertion-ordered, so iteration is commit order (the SQLite store's `seq`). */
  readonly #outbox = new Map<string, OutboxRow>();
  readonly #keepPayloadMs: number;
  readonly #keepIdsMs: number;
  readonly #now: () => number;
  #closed = false;
  /** Same group-commit timing as the SQLite store, so watchers are tested against it. */
  readonly #queue = new CommitQueue((batch) =>
    batch.map(({ accountId, change }) => {
      try {
        return this.#apply(accountId, change);
      } catch (err) {
        return err as Error;
      }
    }),
  );

  constructor(opts: RetentionOptions = {}) {
    this.#keepPayloadMs = opts.keepPayloadMs ?? DEFAULT_KEEP_PAYLOAD_MS;
    this.#keepIdsMs = opts.keepIdsMs ?? DEFAULT_KEEP_IDS_MS;
    this.#now = opts.now ?? Date.now;
  }

  get<T = unknown>(accountId: string, key: string): T | undefined {
    if (this.#queue.holds(accountId)) this.#queue.flush();
    this.#open();
    const text = this.#kv.get(accountId)?.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  commit(accountId: string, change: StateChange): ChangeSignal[] {
    this.#queue.flush();
    return this.#apply(accountId, change);
  }

  commitSoon(accountId: string, change: StateChange): Promise<ChangeSignal[]> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#queue.add(accountId, change);
  }

  #apply(accountId: string, change: StateChange): ChangeSignal[] {
    this.#open();
    // Encode everything before touching state: a bad value must leave nothing half-applied.
    const sets: [string, string | undefined][] = Object.entries(change.set ?? {}).map(([k, v]) => [
      k,
      encodeValue(accountId, k, v),
    ]);
    const fresh: ChangeSignal[] = [];
    const seen = new Set<string>();
    for (const s of change.signals ?? []) {
      if (this.#outbox.has(s.id) || seen.has(s.id)) continue;
      seen.add(s.id);
      fresh.push(s);
    }
    const values = this.#kv.get(accountId) ?? new Map<string, string>();
    this.#kv.set(accountId, values);
    for (const [k, text] of sets) {
      if (text === undefined) values.delete(k);
      else values.set(k, text);
    }
    for (const k of change.delete ?? []) values.delete(k);
    const now = this.#now();
    for (const s of fresh) {
      this.#outbox.set(s.id, {
        accountId,
        payload: JSON.stringify(s),
        committedAt: now,
        deliveredAt: undefined,
      });
    }
    return fresh.map((s) => JSON.parse(JSON.stringify(s)) as ChangeSignal);
  }

  pending(limit = Number.POSITIVE_INFINITY): ChangeSignal[] {
    this.#queue.flush();
    this.#open();
    const out: ChangeSignal[] = [];
    for (const row of this.#outbox.values()) {
      if (out.length >= limit) break;
      if (row.deliveredAt === undefined && row.payload !== undefined) out.push(JSON.parse(row.payload));
    }
    return out;
  }

  ack(ids: readonly string[]): void {
    this.#open();
    const now = this.#now();
    for (const id of ids) {
      const row = this.#outbox.get(id);
      if (row && row.deliveredAt === undefined) row.deliveredAt = now;
    }
  }

  deleteAccount(accountId: string): void {
    this.#queue.flush();
    this.#open();
    this.#kv.delete(accountId);
    for (const [id, row] of this.#outbox) if (row.accountId === accountId) this.#outbox.delete(id);
  }

  recent(limit: number): ChangeSignal[] {
    this.#queue.flush();
    this.#open();
    const rows = [...this.#outbox.values()].filter((r) => r.payload !== undefined);
    return rows.slice(Math.max(0, rows.length - limit)).map((r) => JSON.parse(r.payload as string));
  }

  prune(): void {
    this.#open();
    const now = this.#now();
    for (const [id, row] of this.#outbox) {
      if (row.deliveredAt === undefined) continue;
      if (row.deliveredAt < now - this.#keepIdsMs) this.#outbox.delete(id);
      else if (row.deliveredAt < now - this.#keepPayloadMs) row.payload = undefined;
    }
  }

  close(): void {
    if (!this.#closed) this.#queue.flush();
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): StoreError {
  return new StoreError('STORE_ERR_CLOSED', 'the state store is closed');
}
