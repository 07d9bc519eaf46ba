/**
 * Retry decisions shared by the watchers, the protocol transports (Retry-After), webhooks and
 * the IPC client — a room of its own below all of them, so none imports upward for it. Pure: the
 * caller passes the attempt number, what the server said and a random source, and gets a
 * delay — so tests need no timers.
 */
/** The longest Retry-After we honour: beyond it a server is more likely wrong than busy. */
export const MAX_RETRY_AFTER_MS = 6 * 3600_000;

export interface BackoffOptions {
  /** First delay, ms. */
  baseMs?: number;
  /** Upper bound, ms. */
  capMs?: number;
  /** Random in [0, 1); injected for tests. */
  random?: () => number;
}

/**
 * Exponential back-off with "full jitter" (AWS architecture blog, 2015): uniform in
 * [base/2, min(cap, base·2^attempt)], so a fleet of clients that failed together does not
 * retry together. A server's Retry-After wins when it is longer, but is capped too, so a
 * lying server cannot park us for a week.
 */
export function backoffDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  opts: BackoffOptions = {},
): number {
  const base = opts.baseMs ?? 2_000;
  const cap = opts.capMs ?? 15 * 60_000;
  const random = opts.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  const jittered = base / 2 + random() * Math.max(0, ceiling - base / 2);
  const told = retryAfterMs === undefined ? undefined : Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  return Math.round(told !== undefined && told > jittered ? told : jittered);
}

/**
 * Parses an HTTP Retry-After value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 * Returns milliseconds from `now`, or undefined when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number.parseInt(v, 10) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
