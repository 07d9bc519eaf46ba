import { describe, expect, it } from 'vitest';
import { demoItem } from '../../src/demo/items';

describe('demo items', () => {
  it('cycles mail, event, contact and is the same for the same n', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    expect([0, 1, 2, 3, 4, 5].map((n) => demoItem(n, now).kind)).toEqual([
      'mail',
      'event',
      'contact',
      'mail',
      'event',
      'contact',
    ]);
    expect(demoItem(7, now)).toEqual(demoItem(7, now));
  });

  it('gives events a future start and an end after it, and mails a sender', () => {
    const now = new Date('2026-11-25T12:34:00Z');
    const event = demoItem(1, now);
    if (event.kind !== 'event') throw new Error('expected an event');
    const start = new Date(event.event.start).getTime();
    expect(start).toBeGreaterThan(now.getTime());
    expect(new Date(event.event.end!).getTime()).toBeGreaterThan(start);
    const mail = demoItem(0, now);
    if (mail.kind !== 'mail') throw new Error('expected a mail');
    expect(mail.mail.from).toMatch(/^.+ <.+@example\.org>$/);
  });
});
