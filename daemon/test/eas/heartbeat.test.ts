import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialHeartbeat, onCut, onExpired, onServerBound, relearn } from '../../src/eas/heartbeat';

const B = { min: 60, max: 3540 };

describe('heartbeat learning (pure)', () => {
  it('starts at 480 s and grows by 240 s per clean expiry up to the bound', () => {
    let s = initialHeartbeat(480, B);
    const seen = [s.current];
    for (let i = 0; i < 20; i++) {
      s = onExpired(s, B);
      seen.push(s.current);
    }
    expect(seen.slice(0, 4)).toEqual([480, 720, 960, 1200]);
    expect(s.current).toBe(3540);
  });

  it('a cut after 300 s puts the next heartbeat under it and bisects towards the last good value', () => {
    let s = initialHeartbeat(480, B);
    s = onExpired(s, B); // good 480, now 720
    s = onCut(s, 600, B);
    expect(s).toMatchObject({ bad: 600, good: 480, current: 480 });
    s = onExpired(s, B);
    expect(s.current).toBe(540);
    s = onExpired(s, B);
    expect(s.current).toBe(540); // bracket narrower than 60 s: converged
  });

  it('a cut below the last good value forgets it (the path changed)', () => {
    let s = onExpired(initialHeartbeat(480, B), B);
    s = onCut(s, 200, B);
    expect(s.good).toBeUndefined();
    expect(s.current).toBe(160);
  });

  it("Status 5 adopts the server's bound as maximum or minimum", () => {
    expect(onServerBound(initialHeartbeat(480, B), 300, B)).toMatchObject({ current: 300, serverMax: 300 });
    expect(onServerBound({ current: 60 }, 120, B)).toMatchObject({ current: 120, serverMin: 120 });
  });

  it('relearn keeps the value and the server bounds, drops the bracket', () => {
    expect(relearn({ current: 900, good: 900, bad: 1200, serverMax: 1800 }, B)).toEqual({
      current: 900,
      serverMax: 1800,
    });
  });

  it('never leaves the configured and server bounds, whatever happens', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant<['e']>(['e']),
            fc.tuple(fc.constant('c' as const), fc.integer({ min: 0, max: 5000 })),
          ),
        ),
        (events) => {
          let s = initialHeartbeat(480, B);
          for (const e of events) s = e[0] === 'e' ? onExpired(s, B) : onCut(s, e[1], B);
          return s.current >= 60 && s.current <= 3540 && Number.isInteger(s.current);
        },
      ),
    );
  });
});
