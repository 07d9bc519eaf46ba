import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/jmap/push/sse';
import { parseStateChange } from '../../src/jmap/push/statechange';

const STREAM =
  ': comment\r\nevent: ping\r\ndata: {"interval":30}\r\n\r\n' +
  'event: state\nid: 7\ndata: {"@type":"StateChange",\ndata: "changed":{"A1":{"Email":"5"}}}\n\n' +
  'data: no type\r\rid: 8\nevent: state\ndata: x\n\n';

describe('SseParser (HTML "server-sent events" §9.2.6)', () => {
  it('parses CRLF, LF and CR line ends, comments, multi-line data and sticky ids', () => {
    const events = new SseParser().feed(STREAM);
    expect(events).toEqual([
      { type: 'ping', data: '{"interval":30}', lastEventId: '' },
      { type: 'state', data: '{"@type":"StateChange",\n"changed":{"A1":{"Email":"5"}}}', lastEventId: '7' },
      { type: 'message', data: 'no type', lastEventId: '7' },
      { type: 'state', data: 'x', lastEventId: '8' },
    ]);
  });

  it('gives the same events however the bytes are split (every split point, CRLF across chunks)', () => {
    const whole = new SseParser().feed(STREAM);
    for (let i = 1; i < STREAM.length; i++) {
      const p = new SseParser();
      expect([...p.feed(STREAM.slice(0, i)), ...p.feed(STREAM.slice(i))], `split at ${i}`).toEqual(whole);
    }
  });

  it('keeps the Last-Event-ID it was started with until the stream names another', () => {
    const p = new SseParser({ lastEventId: '41' });
    expect(p.feed('data: a\n\n')).toEqual([{ type: 'message', data: 'a', lastEventId: '41' }]);
    p.feed('id: 42\ndata: b\n\n');
    expect(p.lastEventId).toBe('42');
  });

  it('stops an endless line at the cap, and an event whose data grows past it', () => {
    const p = new SseParser({ maxBytes: 100 });
    expect(() => p.feed('data: '.padEnd(101, 'x'))).toThrow(RangeError);
    const q = new SseParser({ maxBytes: 100 });
    expect(q.feed(`data: ${'x'.repeat(50)}\n`)).toEqual([]);
    expect(() => q.feed(`data: ${'x'.repeat(60)}\n`)).toThrow(/larger than 100/);
    // At the cap exactly: accepted.
    expect(new SseParser({ maxBytes: 100 }).feed(`data: ${'x'.repeat(99)}\n\n`)[0]!.data).toHaveLength(99);
  });
});

describe('parseStateChange (RFC 8620 §7.1)', () => {
  it("returns the account's type states and ignores other accounts and junk", () => {
    const sc = {
      '@type': 'StateChange',
      changed: { A1: { Email: '5', Mailbox: 3, Thread: 't' }, B2: { Email: '9' } },
    };
    expect(parseStateChange(sc, 'A1')).toEqual({ Email: '5', Thread: 't' });
    expect(parseStateChange(sc, 'C3')).toBeUndefined();
    expect(parseStateChange({ '@type': 'Response', changed: {} }, 'A1')).toBeUndefined();
    expect(parseStateChange(null, 'A1')).toBeUndefined();
  });
});
