import type { ChangeSignal } from '../signal';
import { CommitQueue } from './commit-queue';
import { encodeValue } from './encode';
import { StoreError } from './errors';
import {
  DEFAULT_KEEP_IDS_MS,
  DEFAULT_KEEP_PAYLOAD_MS,
  type FeedEntry,
  type HandOff,
  type LedgerEntry,
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
  /** Feed by id, insertion-ordered (seq ascending). */
  readonly #feed = new Map<
    string,
    { seq: number; account: string; payload: string; people: boolean; at: number }
  >();
  /** Ledger keyed by `sink\0id`, insertion-ordered. */
  readonly #ledger = new Map<
    string,
    {
      seq: number;
      sink: string;
      account: string;
      payload: string;
      running: boolean;
      attempts: number;
      note?: string;
      at: number;
    }
  >();
  #seq = 0;
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

  handOff(h: HandOff): number[] {
    this.#queue.flush();
    this.#open();
    this.ack(h.ack);
    const at = this.#now();
    for (const l of h.ledger) {
      const key = `${l.sink}\u0000${l.signal.id}`;
      if (this.#ledger.has(key)) continue;
      this.#ledger.set(key, {
        seq: ++this.#seq,
        sink: l.sink,
        account: l.signal.accountId,
        payload: JSON.stringify(l.signal),
        running: false,
        attempts: 0,
        at,
      });
    }
    return h.feed.map((f) => {
      if (this.#feed.has(f.signal.id)) return 0;
      const seq = ++this.#seq;
      this.#feed.set(f.signal.id, {
        seq,
        account: f.signal.accountId,
        payload: JSON.stringify(f.signal),
        people: f.people,
        at,
      });
      return seq;
    });
  }

  feedAfter(afterSeq: number, limit: number): FeedEntry[] {
    this.#open();
    const out: FeedEntry[] = [];
    for (const r of this.#feed.values()) {
      if (out.length >= limit) break;
      if (r.seq > afterSeq) out.push({ seq: r.seq, signal: JSON.parse(r.payload), people: r.people });
    }
    return out;
  }

  feedLatest(limit: number): FeedEntry[] {
    this.#open();
    const all = [...this.#feed.values()];
    return all
      .slice(Math.max(0, all.length - limit))
      .map((r) => ({ seq: r.seq, signal: JSON.parse(r.payload), people: r.people }));
  }

  feedSeq(id: string): number | undefined {
    this.#open();
    return this.#feed.get(id)?.seq;
  }

  ledgerOpen(sink: string, afterSeq: number, limit: number): LedgerEntry[] {
    this.#open();
    const out: LedgerEntry[] = [];
    for (const r of this.#ledger.values()) {
      if (out.length >= limit) break;
      if (r.sink !== sink || r.seq <= afterSeq) continue;
      out.push({
        seq: r.seq,
        sink,
        signal: JSON.parse(r.payload),
        state: r.running ? 'running' : 'pending',
        attempts: r.attempts,
        note: r.note,
      });
    }
    return out;
  }

  ledgerBegin(sink: string, id: string, note?: string): void {
    this.#open();
    const r = this.#ledger.get(`${sink}\u0000${id}`);
    if (!r) return;
    r.running = true;
    r.attempts++;
    if (note === undefined) delete r.note;
    else r.note = note;
  }

  ledgerDone(sink: string, id: string): void {
    this.#open();
    this.#ledger.delete(`${sink}\u0000${id}`);
  }

  deleteAccount(accountId: string): void {
    this.#queue.flush();
    this.#open();
    this.#kv.delete(accountId);
    for (const [id, row] of this.#outbox) if (row.accountId === accountId) this.#outbox.delete(id);
    for (const [id, row] of this.#feed) if (row.account === accountId) this.#feed.delete(id);
    for (const [key, row] of this.#ledger) if (row.account === accountId) this.#ledger.delete(key);
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
    for (const [id, r] of this.#feed) if (r.at < now - this.#keepPayloadMs) this.#feed.delete(id);
    for (const [key, r] of this.#ledger) if (r.at < now - this.#keepIdsMs) this.#ledger.delete(key);
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
