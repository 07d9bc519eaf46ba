import { describe, expect, it } from 'vitest';
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/retry/backoff';

describe('backoffDelay', () => {
  const opts = (r: number) => ({ baseMs: 1_000, capMs: 60_000, random: () => r });

  it('stays in [base/2, min(cap, base·2^attempt)] (full jitter)', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(60_000, 1_000 * 2 ** attempt);
      expect(backoffDelay(attempt, undefined, opts(0))).toBe(500);
      expect(backoffDelay(attempt, undefined, opts(0.999999))).toBe(
        Math.round(500 + 0.999999 * (ceiling - 500)),
      );
    }
  });

  it('grows with the attempt until the cap', () => {
    const at = (n: number) => backoffDelay(n, undefined, opts(0.5));
    expect(at(1)).toBeLessThan(at(2));
    expect(at(2)).toBeLessThan(at(4));
    expect(at(6)).toBe(at(60));
    expect(at(1_000_000)).toBeLessThanOrEqual(60_000);
  });

  it("a longer Retry-After wins, a shorter one does not, and a lying server's is capped", () => {
    expect(backoffDelay(0, 30_000, opts(0))).toBe(30_000);
    expect(backoffDelay(5, 10, opts(0.5))).toBe(backoffDelay(5, undefined, opts(0.5)));
    expect(backoffDelay(0, 7 * 24 * 3600_000, opts(0))).toBe(MAX_RETRY_AFTER_MS);
  });

  it('uses the defaults (2 s base, 15 min cap) and Math.random without options', () => {
    const d = backoffDelay(3, undefined);
    expect(d).toBeGreaterThanOrEqual(1_000);
    expect(d).toBeLessThanOrEqual(16_000);
    expect(backoffDelay(40, undefined, { random: () => 1 })).toBe(15 * 60_000);
  });
});

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent or unparseable', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
