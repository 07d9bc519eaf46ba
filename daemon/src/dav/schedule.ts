/**
 * The adaptive check interval, pure. After a change people tend to make more (an invitation and
 * its updates, a batch of contacts), so we look again soon; the longer an account stays quiet,
 * the longer we wait, up to the configured maximum. The minimum is the floor that is fair to
 * servers (config: interval.min ≥ 15 s, default 30 s).
 */
export interface IntervalPolicy {
  minMs: number;
  maxMs: number;
}

/** Share of the idle time we wait next: idle 2 min → 30 s, idle 1 h → 15 min. */
const IDLE_FRACTION = 1 / 4;

/** Delay before the next poll, given how long the account has been quiet. */
export function nextPollDelay(idleMs: number, policy: IntervalPolicy): number {
  const wanted = Math.max(0, idleMs) * IDLE_FRACTION;
  return Math.round(Math.min(policy.maxMs, Math.max(policy.minMs, wanted)));
}

/**
 * With WebDAV-Push the server tells us about changes; polling remains only as the safety net
 * the draft asks for ("a client must not rely on WebDAV-Push notifications").
 */
export function pushSafetyDelay(policy: IntervalPolicy): number {
  return policy.maxMs;
}

/** Policy from the account's interval config (seconds) with the schema's defaults. */
export function intervalPolicy(interval: { min?: number; max?: number } | undefined): IntervalPolicy {
  const min = (interval?.min ?? 30) * 1000;
  const max = Math.max(min, (interval?.max ?? 900) * 1000);
  return { minMs: min, maxMs: max };
}
