/**
 * Whole-second sync tokens. SOGo's DAV sync-token (and getctag) is the Unix second of the
 * collection's newest change, and sync-collection lists what changed *strictly after* the token's
 * second (docs/interop.md, SOGo 8). A listing taken while that second is still running can
 * therefore miss a change made later in the same second, and the token it returned would never
 * report it: PUT, sync, PUT within one second loses the second PUT. (SOGo 5.8's sync-collection
 * answer caps its own token at "now − 1", but its PROPFIND sync-token does not, and the EAS side
 * of the same store has no cap; other servers may use timestamps the same way.)
 *
 * The watcher's answer: a token that may still be open is not stored — the listing's *starting*
 * token is kept for one more round, so the next report repeats everything since it and the stored
 * ETags drop what was already announced (changes.ts, hrefsToFetch / buildDelta); and one extra
 * check is scheduled just after the second has passed, so the late change is not left to the
 * normal interval. Opaque tokens (Radicale's URLs, anything not a bare epoch) never match, so
 * other servers pay nothing.
 */

/** How long after a listing with an open token the watcher looks again: past that second for sure. */
export const SECOND_SETTLE_MS = 1100;

/** Bare Unix seconds between 1973 and 2286, the shape of SOGo's tokens. */
const EPOCH_SECONDS = /^\d{9,10}$/;

/**
 * Pure: whether `token` is a whole-second timestamp whose second may not have ended when the
 * server ran the listing. `listedNotBefore` must be a time the listing cannot precede — the
 * `Date` of the home PROPFIND sent before it (server clock, so no skew) — hence "≥": a token
 * from that second or later may still be filling up.
 */
export function tokenSecondOpen(token: string, listedNotBefore: number): boolean {
  if (!EPOCH_SECONDS.test(token)) return false;
  return Number(token) >= Math.floor(listedNotBefore / 1000);
}

/** Pure: the token to store after a listing from `from` returned `returned` (undefined: store none). */
export function tokenToStore(
  from: string | undefined,
  returned: string | undefined,
  listedNotBefore: number,
): { token: string | undefined; open: boolean } {
  if (returned === undefined || !tokenSecondOpen(returned, listedNotBefore))
    return { token: returned, open: false };
  return { token: from, open: true };
}

/** The server's clock from an HTTP `Date` header (RFC 9110 §6.6.1), when it sent a valid one. */
export function serverDate(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Date.parse(header);
  return Number.isNaN(ms) ? undefined : ms;
}
