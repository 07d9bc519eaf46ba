/**
 * Heartbeat learning, pure (issue #3): start near 8 minutes, grow after clean expiries up to
 * the server's bound, shrink when a hanging Ping dies early (a NAT or firewall dropped the idle
 * flow), and remember the result per network. The watcher stores a {@link HeartbeatState} under
 * `heartbeat.<networkKey>` and feeds it outcomes.
 *
 * The search is a bracket: `good` is the longest heartbeat that expired cleanly, `bad` the
 * shortest one that was cut. Growth jumps by GROW_STEP until something is cut, then bisects the
 * bracket; a cut sets the next heartbeat just under the observed idle lifetime.
 */

/** Seconds. Exchange accepts 60–3540 (MS-ASCMD 2.2.3.84.2). */
export interface HeartbeatBounds {
  min: number;
  max: number;
}

export interface HeartbeatState {
  /** Heartbeat for the next Ping, seconds. */
  current: number;
  /** Longest heartbeat that expired cleanly on this network. */
  good?: number;
  /** Shortest heartbeat that was cut on this network. */
  bad?: number;
  /** Bounds learned from Ping Status 5 (MS-ASCMD 2.2.3.177.11). */
  serverMin?: number;
  serverMax?: number;
}

/** Upward step while no cut is known: AOSP Exchange grows by a few minutes per clean expiry. */
export const GROW_STEP = 240;
/** Stop bisecting when the bracket is this narrow, seconds. */
const RESOLUTION = 60;
/** Margin added to the heartbeat for the HTTP deadline of a Ping, seconds. */
export const PING_MARGIN = 30;

function clamp(v: number, b: HeartbeatBounds, s: HeartbeatState): number {
  const lo = Math.max(b.min, s.serverMin ?? b.min);
  const hi = Math.min(b.max, s.serverMax ?? b.max);
  return Math.round(Math.min(Math.max(v, lo), Math.max(lo, hi)));
}

/** A fresh state for a network we know nothing of. */
export function initialHeartbeat(initial: number, b: HeartbeatBounds): HeartbeatState {
  return { current: clamp(initial, b, {} as HeartbeatState) };
}

/** The Ping expired cleanly (Status 1): the flow lived `current` seconds, try longer. */
export function onExpired(s: HeartbeatState, b: HeartbeatBounds): HeartbeatState {
  const good = Math.max(s.good ?? 0, s.current);
  let next: number;
  if (s.bad === undefined) next = s.current + GROW_STEP;
  else if (s.bad - good <= RESOLUTION) next = good;
  else next = Math.floor((good + s.bad) / 2);
  return { ...s, good, current: clamp(next, b, s) };
}

/**
 * The Ping died after `elapsedS` seconds, before its heartbeat: something on the path cuts idle
 * flows near that age. Next time stay under it.
 */
export function onCut(s: HeartbeatState, elapsedS: number, b: HeartbeatBounds): HeartbeatState {
  const bad = Math.min(s.bad ?? Number.POSITIVE_INFINITY, Math.max(1, Math.floor(elapsedS)), s.current);
  const { good: _old, ...rest } = s;
  const good = s.good !== undefined && s.good < bad ? s.good : undefined;
  const next = Math.max(good ?? 0, Math.floor(bad * 0.8));
  return { ...rest, ...(good !== undefined ? { good } : {}), bad, current: clamp(next, b, s) };
}

/**
 * Ping Status 5: the server rejected our heartbeat and named its bound. A bound below what we
 * asked is its maximum, above is its minimum.
 */
export function onServerBound(s: HeartbeatState, bound: number, b: HeartbeatBounds): HeartbeatState {
  const next = bound < s.current ? { ...s, serverMax: bound } : { ...s, serverMin: bound };
  return { ...next, current: clamp(bound, b, next) };
}

/**
 * After a network change or resume from sleep the path may differ: keep what the server said
 * and the stored value as a start, but forget the bracket so it is probed again.
 */
export function relearn(s: HeartbeatState, b: HeartbeatBounds): HeartbeatState {
  const out: HeartbeatState = { current: clamp(s.current, b, s) };
  if (s.serverMin !== undefined) out.serverMin = s.serverMin;
  if (s.serverMax !== undefined) out.serverMax = s.serverMax;
  return out;
}
