import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksIn, intervalPolicy, nextPollDelay, pushSafetyDelay } from '../../src/dav/schedule';

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

  it('keeps max ≥ min; with push polls every 15 minutes or the configured max', () => {
    expect(intervalPolicy({ min: 600, max: 60 })).toEqual({ minMs: 600_000, maxMs: 600_000 });
    expect(pushSafetyDelay(policy)).toBe(900_000);
    expect(pushSafetyDelay(intervalPolicy(undefined))).toBe(900_000);
    expect(pushSafetyDelay(intervalPolicy({ min: 60, max: 3600 }))).toBe(3600_000);
  });
});

describe('default schedule (issue 14: p50 ≤ 15 s, p95 ≤ 60 s at ≤ 120 requests per account-hour)', () => {
  const policy = intervalPolicy(undefined);

  it('is a fixed 30 s, idle or not', () => {
    expect(policy).toEqual({ minMs: 30_000, maxMs: 30_000 });
    expect([0, 60_000, 3600_000, 86_400_000].map((idle) => nextPollDelay(idle, policy))).toEqual([
      30_000, 30_000, 30_000, 30_000,
    ]);
    expect(intervalPolicy({ min: 20 })).toEqual({ minMs: 20_000, maxMs: 20_000 });
  });

  it('makes 120 checks in an idle hour (one PROPFIND each); the adaptive one 4', () => {
    expect(checksIn(3600_000, policy)).toBe(120);
    expect(checksIn(3600_000, intervalPolicy({ min: 30, max: 900 }), 3600_000)).toBe(4);
  });
});
