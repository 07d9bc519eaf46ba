import { describe, expect, it } from 'vitest';
import { FixtureData } from '../../../fixtures/src/dav-server';
import { serverDate, tokenSecondOpen, tokenToStore } from '../../src/dav/second-token';

const S = 1_795_611_734; // a Unix second (2026-11-25T13:02:14Z)
const at = (second: number, ms = 0) => second * 1000 + ms;

describe('whole-second sync tokens (SOGo, second-token.ts)', () => {
  it.each([
    ['the listing second itself', String(S), at(S, 400), true],
    ['a later second (listing straddled a tick)', String(S + 1), at(S, 999), true],
    ['the second before: over when the listing ran', String(S - 1), at(S), false],
    ['opaque URL token (Radicale, fixture)', 'http://radicale.org/ns/sync/3f2a', at(S), false],
    ['digits inside an opaque token', `data:,${S}`, at(S), false],
    ['a counter, not an epoch', '42', at(S), false],
    ['milliseconds are not whole seconds', String(S * 1000), at(S), false],
  ])('%s → open %s', (_what, token, listed, open) => {
    expect(tokenSecondOpen(token, listed)).toBe(open);
  });

  it('keeps the starting token while the returned one is open, else stores the returned one', () => {
    expect(tokenToStore(String(S - 30), String(S), at(S, 10))).toEqual({ token: String(S - 30), open: true });
    expect(tokenToStore('', String(S), at(S))).toEqual({ token: '', open: true });
    expect(tokenToStore(undefined, String(S), at(S))).toEqual({ token: undefined, open: true });
    expect(tokenToStore(String(S - 30), String(S - 1), at(S))).toEqual({ token: String(S - 1), open: false });
    expect(tokenToStore('opaque-1', 'opaque-2', at(S))).toEqual({ token: 'opaque-2', open: false });
    expect(tokenToStore('x', undefined, at(S))).toEqual({ token: undefined, open: false });
  });

  it('reads the server clock from a Date header', () => {
    expect(serverDate('Wed, 25 Nov 2026 13:02:14 GMT')).toBe(at(S));
    expect(serverDate(undefined)).toBeUndefined();
    expect(serverDate('soon')).toBeUndefined();
  });

  it('the fixture mode reproduces the loss: a change later in the token second is not listed from it', () => {
    let now = at(S, 100);
    const data = new FixtureData({ now: () => now, secondTokens: true });
    const col = data.addCollection('/cal/alice/work/', 'calendar', 'Work');
    data.put(col.href, 'a.ics', 'A');
    const token = data.token(col);
    expect(token).toBe(String(S));
    now = at(S, 600);
    data.put(col.href, 'b.ics', 'B');
    expect(data.token(col)).toBe(token);
    expect(data.since(col, token)).toEqual({ changed: [], removed: [] });
    expect(data.since(col, String(S - 1))?.changed.sort()).toEqual(['a.ics', 'b.ics']);
    now = at(S + 1);
    data.delete(col.href, 'a.ics');
    expect(data.since(col, token)).toEqual({ changed: [], removed: ['a.ics'] });
  });
});
