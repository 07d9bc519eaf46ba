import { createHash } from 'node:crypto';
import type { ChangeSignal, ItemSummary } from '../signal';

/**
 * Pure burst coalescing (issue 5: "ten mails in two seconds → one signal with ten items").
 * No timers here: the hub passes `now` in and asks what is due.
 */

/** Signals of the same account, collection and folder merge; others never do. */
export function folderKey(s: ChangeSignal): string {
  return `${s.accountId}\u0000${s.collection}\u0000${s.folder.id}`;
}

type ItemState = 'added' | 'changed' | 'removed';

/**
 * What an item is after `next` follows `prev` within one window. An item added and then removed
 * was never worth announcing; one removed and then added again is a change to something the
 * person already knew about.
 */
function follow(prev: ItemState | undefined, next: ItemState): ItemState | undefined {
  if (prev === undefined) return next;
  if (prev === 'added') return next === 'removed' ? undefined : 'added';
  if (prev === 'changed') return next === 'removed' ? 'removed' : 'changed';
  return next === 'removed' ? 'removed' : 'changed';
}

/** Id of a merged signal: a digest of its parts' ids in order, so the same burst gets the same id. */
export function mergedId(a: string, b: string): string {
  return `m-${createHash('sha256').update(a).update('\u0000').update(b).digest('base64url').slice(0, 22)}`;
}

/**
 * Merges `next` into `prev` (same folder). Items are de-duplicated by id, keeping the newest
 * summary and the first position; each list keeps at most `maxItems`, the newest, so a merge
 * that goes on for hours (a stuck sink, quiet hours) stays bounded.
 */
export function mergeSignals(prev: ChangeSignal, next: ChangeSignal, maxItems: number): ChangeSignal {
  const items = new Map<string, { state: ItemState; item: ItemSummary }>();
  const feed = (s: ChangeSignal) => {
    for (const state of ['added', 'changed', 'removed'] as const) {
      for (const item of s[state]) {
        const before = items.get(item.id);
        const after = follow(before?.state, state);
        if (after === undefined) items.delete(item.id);
        // A removal carries little; keep the richer summary we had for the person to recognise it.
        else
          items.set(item.id, {
            state: after,
            item: state === 'removed' && before ? { ...before.item, ...item } : item,
          });
      }
    }
  };
  feed(prev);
  feed(next);
  const lists: Record<ItemState, ItemSummary[]> = { added: [], changed: [], removed: [] };
  for (const { state, item } of items.values()) lists[state].push(item);
  const cap = (l: ItemSummary[]) => (l.length > maxItems ? l.slice(l.length - maxItems) : l);
  return {
    ...next,
    id: mergedId(prev.id, next.id),
    folder: next.folder,
    added: cap(lists.added),
    changed: cap(lists.changed),
    removed: cap(lists.removed),
    observedAt: latest(prev.observedAt, next.observedAt),
  };
}

/** The later of two ISO 8601 times (compared as instants, not as text). */
function latest(a: string, b: string): string {
  return Date.parse(b) >= Date.parse(a) ? b : a;
}

/**
 * One merged signal per folder, in the order folders first appeared. Used for what a busy sink
 * has not taken yet and what quiet hours hold: its size never exceeds the number of folders.
 */
export class FolderSlots {
  readonly #slots = new Map<string, ChangeSignal>();
  readonly #maxItems: number;

  constructor(maxItems: number) {
    this.#maxItems = maxItems;
  }

  get size(): number {
    return this.#slots.size;
  }

  put(signal: ChangeSignal): void {
    const key = folderKey(signal);
    const prev = this.#slots.get(key);
    this.#slots.set(key, prev ? mergeSignals(prev, signal, this.#maxItems) : signal);
  }

  has(signal: ChangeSignal): boolean {
    return this.#slots.has(folderKey(signal));
  }

  /** Removes and returns the oldest slot. */
  shift(): ChangeSignal | undefined {
    for (const [key, signal] of this.#slots) {
      this.#slots.delete(key);
      return signal;
    }
    return undefined;
  }
}

/** A coalesced signal ready to go out, with the outbox ids it stands for (to ack). */
export interface Batch<R = unknown> {
  signal: ChangeSignal;
  ids: string[];
  /** What the caller attached with the latest part (the hub's route). */
  tag: R;
}

interface Window<R> extends Batch<R> {
  dueAt: number;
}

/**
 * Fixed windows per folder: the first signal of a folder opens a window of `windowMs`; every
 * signal of that folder until it closes joins it. A fixed (not sliding) window bounds the delay
 * of the first change at `windowMs` even under a steady trickle.
 */
export class Coalescer<R = unknown> {
  readonly #windows = new Map<string, Window<R>>();
  readonly #windowMs: number;
  readonly #maxItems: number;

  constructor(windowMs: number, maxItems: number) {
    this.#windowMs = windowMs;
    this.#maxItems = maxItems;
  }

  get size(): number {
    return this.#windows.size;
  }

  add(signal: ChangeSignal, originalId: string, tag: R, now: number): void {
    const key = folderKey(signal);
    const w = this.#windows.get(key);
    if (w) {
      w.signal = mergeSignals(w.signal, signal, this.#maxItems);
      w.ids.push(originalId);
      w.tag = tag;
    } else {
      this.#windows.set(key, { signal, ids: [originalId], tag, dueAt: now + this.#windowMs });
    }
  }

  /**
   * Earliest time a window closes, or undefined when none is open. Windows all last `windowMs`
   * and open in insertion order, so the first is the earliest: O(1) per publish even with
   * thousands of folders mid-burst.
   */
  nextDueAt(): number | undefined {
    for (const w of this.#windows.values()) return w.dueAt;
    return undefined;
  }

  /** Removes and returns the windows closed at `now`, oldest first; all of them when `now` is Infinity. */
  due(now: number): Batch<R>[] {
    const out: Batch<R>[] = [];
    for (const [key, w] of this.#windows) {
      if (w.dueAt > now) break;
      this.#windows.delete(key);
      out.push({ signal: w.signal, ids: w.ids, tag: w.tag });
    }
    return out;
  }
}
