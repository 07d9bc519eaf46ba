import { describe, expect, it } from 'vitest';
import { JmapError } from '../../src/jmap/errors';
import {
  afterPushEnd,
  choosePush,
  GIVE_UP_AFTER,
  NO_HISTORY,
  type PushHistory,
  QUIET_END_MS,
} from '../../src/jmap/push/policy';

const both = { eventSourceUrl: 'https://h/es', webSocketUrl: 'wss://h/ws', webSocketPush: true };
const fail = new JmapError('JMAP_ERR_PUSH', 'boom');

describe('choosePush', () => {
  it.each([
    ['auto, both offered', both, 'auto', NO_HISTORY, 'websocket'],
    ['auto, WebSocket without push', { ...both, webSocketPush: false }, 'auto', NO_HISTORY, 'eventsource'],
    ['eventsource wanted', both, 'eventsource', NO_HISTORY, 'eventsource'],
    [
      'websocket wanted, none offered',
      { webSocketPush: false, eventSourceUrl: 'x' },
      'websocket',
      NO_HISTORY,
      undefined,
    ],
    ['nothing offered', { webSocketPush: false }, 'auto', NO_HISTORY, undefined],
    [
      'WebSocket failed 3× before opening',
      both,
      'auto',
      { quietEnds: 0, webSocketFailures: GIVE_UP_AFTER },
      'eventsource',
    ],
    [
      'WebSocket failed 3×, no EventSource to fall back to',
      { ...both, eventSourceUrl: undefined },
      'auto',
      { quietEnds: 0, webSocketFailures: GIVE_UP_AFTER },
      'websocket',
    ],
  ] as const)('%s', (_name, offer, pref, h, want) => {
    expect(choosePush(offer, pref, h)).toBe(want);
  });
});

describe('afterPushEnd', () => {
  const step = (
    h: PushHistory,
    end: Parameters<typeof afterPushEnd>[0],
    kind: 'websocket' | 'eventsource',
    opened = true,
  ) => afterPushEnd(end, kind, opened, h);

  it("a 204 gives push up at once (HTML's EventSource: do not reconnect)", () => {
    expect(step(NO_HISTORY, { events: 0, openMs: 3, noContent: true }, 'eventsource').decision).toEqual({
      next: 'poll',
      why: 'the EventSource endpoint answers 204 No Content (no push)',
    });
  });

  it(`${GIVE_UP_AFTER} quick, eventless, error-free ends in a row give push up; one that pushed resets the count`, () => {
    let h = NO_HISTORY;
    const quiet = { events: 0, openMs: QUIET_END_MS - 1 };
    for (let i = 1; i < GIVE_UP_AFTER; i++) {
      const r = step(h, quiet, 'eventsource');
      expect(r.decision).toEqual({ next: 'reconnect' });
      h = r.history;
    }
    expect(step(h, { events: 4, openMs: 60_000 }, 'eventsource').history.quietEnds).toBe(0);
    expect(step(h, { events: 0, openMs: QUIET_END_MS }, 'eventsource').history.quietEnds).toBe(0);
    expect(step(h, { ...quiet, error: fail }, 'eventsource').history.quietEnds).toBe(0);
    expect(step(h, quiet, 'eventsource').decision).toEqual({
      next: 'poll',
      why: `the EventSource endpoint closes at once without pushing (${GIVE_UP_AFTER} times)`,
    });
  });

  it('counts WebSocket failures before opening, and forgets them once one opens', () => {
    let h = NO_HISTORY;
    h = step(h, { events: 0, openMs: 10, error: fail }, 'websocket', false).history;
    h = step(h, { events: 0, openMs: 10, error: fail }, 'websocket', false).history;
    expect(h.webSocketFailures).toBe(2);
    expect(
      step(h, { events: 9, openMs: 90_000, error: fail }, 'websocket', true).history.webSocketFailures,
    ).toBe(0);
    // EventSource ends do not touch the WebSocket count.
    expect(
      step(h, { events: 0, openMs: 10, error: fail }, 'eventsource', false).history.webSocketFailures,
    ).toBe(2);
    expect(step(h, { events: 0, openMs: 10, error: fail }, 'websocket', false).decision).toEqual({
      next: 'reconnect',
    });
  });
});
