/**
 * Phantom changes: a Ping that answers Status 2 (changes) while the Sync it asks for finds none.
 * One or two in a row are normal — SOGo reports a folder as changed until the client presents
 * its new SyncKey once more, which is how the watcher learns `confirmSync` — but a server whose
 * change detection is broken answers Status 2 at once, forever: 63 583 requests in 20 s
 * (issue 13). Pure: the watcher counts, this decides how long to wait before the next Ping.
 */

/** Phantom answers in a row that cost nothing (the confirmSync lesson needs one). */
export const PHANTOM_FREE = 2;

export interface PhantomBounds {
  /** First pause, ms: a phantom round is a Ping and a Sync, so 500 ms keeps it to ~4 requests/s. */
  firstMs: number;
  /** Longest pause, ms. */
  capMs: number;
}

export const PHANTOM_BOUNDS: PhantomBounds = { firstMs: 500, capMs: 5 * 60_000 };

/**
 * The pause before the next Ping after `streak` phantom answers in a row (this one included):
 * none for the first {@link PHANTOM_FREE}, then `firstMs`, doubling up to `capMs`.
 */
export function phantomPause(streak: number, bounds: PhantomBounds = PHANTOM_BOUNDS): number {
  if (streak <= PHANTOM_FREE) return 0;
  const doublings = Math.min(streak - PHANTOM_FREE - 1, 30);
  return Math.min(bounds.capMs, bounds.firstMs * 2 ** doublings);
}

/** What a person reads in status while phantom pauses run. */
export const PHANTOM_DETAIL = 'the server reports changes that Sync does not find';
