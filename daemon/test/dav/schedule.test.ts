import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intervalPolicy, nextPollDelay, pushSafetyDelay } from '../../src/dav/schedule';

describe('adaptive interval', () => {
  const policy = intervalPolicy({ min: 30, max: 900 });

  it('checks at the floor right after a change and at the ceiling after an idle hour', () => {
    expect(nextPollDelay(0, policy)).toBe(30_000);
    expect(nextPollDelay(60_000, policy)).toBe(30_000);
    expect(nextPollDelay(10 * 60_000, policy)).toBe(150_000);
    expect(nextPollDelay(3600_000, policy)).toBe(900_000);
  });

  it('never leaves [min, max] and never shortens as idle time grows', () => {
    fc.assert(
      fc.property(fc.nat(10 * 24 * 3600_000), fc.nat(3600_000), (idle, more) => {
        const a = nextPollDelay(idle, policy);
        expect(a).toBeGreaterThanOrEqual(policy.minMs);
        expect(a).toBeLessThanOrEqual(policy.maxMs);
        expect(nextPollDelay(idle + more, policy)).toBeGreaterThanOrEqual(a);
      }),
    );
  });

  it('uses the schema defaults and keeps max ≥ min', () => {
    expect(intervalPolicy(undefined)).toEqual({ minMs: 30_000, maxMs: 900_000 });
    expect(intervalPolicy({ min: 600, max: 60 })).toEqual({ minMs: 600_000, maxMs: 600_000 });
    expect(pushSafetyDelay(policy)).toBe(900_000);
  });
});
