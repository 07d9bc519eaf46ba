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
 * Per-folder windows with a leading edge (issue 14: a 2 s window delayed every first signal).
 * The first signal of a quiet folder goes out at once; the folder then stays "hot" for
 * `windowMs`, and a signal of it in that time opens a window of `windowMs` that every further
 * signal of the folder joins until it closes. When it closes the folder is hot again for
 * `windowMs` from then, so a steady trickle goes out at most once per window while a lone change
 * is never delayed. A fixed (not sliding) window bounds the delay of any change at `windowMs`.
 * With `leading: false` every first signal opens a window (the behaviour before issue 14).
 */
export class Coalescer<R = unknown> {
  readonly #windows = new Map<string, Window<R>>();
  /** Leading-edge signals not yet taken by `due`. */
  #ready: Batch<R>[] = [];
  /** When each hot folder last went out, oldest first (re-inserted on every send). */
  readonly #sent = new Map<string, number>();
  readonly #windowMs: number;
  readonly #maxItems: number;
  readonly #leading: boolean;

  constructor(windowMs: number, maxItems: number, opts: { leading?: boolean } = {}) {
    this.#windowMs = windowMs;
    this.#maxItems = maxItems;
    this.#leading = opts.leading ?? true;
  }

  /** Open windows plus leading-edge signals waiting to be taken. */
  get size(): number {
    return this.#windows.size + this.#ready.length;
  }

  /** Whether a leading-edge signal is waiting: the caller should call `due` now. */
  hasReady(): boolean {
    return this.#ready.length > 0;
  }

  add(signal: ChangeSignal, originalId: string, tag: R, now: number): void {
    const key = folderKey(signal);
    const w = this.#windows.get(key);
    if (w) {
      w.signal = mergeSignals(w.signal, signal, this.#maxItems);
      w.ids.push(originalId);
      w.tag = tag;
      return;
    }
    this.#forget(now);
    if (this.#leading && !this.#sent.has(key)) {
      this.#ready.push({ signal, ids: [originalId], tag });
      this.#markSent(key, now);
      return;
    }
    this.#windows.set(key, { signal, ids: [originalId], tag, dueAt: now + this.#windowMs });
  }

  /**
   * Earliest time something is due, or undefined when nothing is waiting. Windows all last
   * `windowMs` and open in insertion order, so the first is the earliest: O(1) per publish even
   * with thousands of folders mid-burst. A waiting leading-edge signal is due at once (-Infinity).
   */
  nextDueAt(): number | undefined {
    if (this.#ready.length > 0) return Number.NEGATIVE_INFINITY;
    for (const w of this.#windows.values()) return w.dueAt;
    return undefined;
  }

  /**
   * Removes and returns the leading-edge signals and the windows closed at `now`, oldest
   * first; all of them when `now` is Infinity.
   */
  due(now: number): Batch<R>[] {
    const out = this.#ready;
    this.#ready = [];
    for (const [key, w] of this.#windows) {
      if (w.dueAt > now) break;
      this.#windows.delete(key);
      out.push({ signal: w.signal, ids: w.ids, tag: w.tag });
      if (Number.isFinite(now)) this.#markSent(key, now);
    }
    return out;
  }

  #markSent(key: string, now: number): void {
    this.#sent.delete(key);
    this.#sent.set(key, now);
  }

  /** Folders quiet for a whole window are quiet again; the map never outgrows the hot folders. */
  #forget(now: number): void {
    for (const [key, at] of this.#sent) {
      if (now - at < this.#windowMs) break;
      this.#sent.delete(key);
    }
  }
}
