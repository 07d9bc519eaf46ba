import { describe, expect, it } from 'vitest';
import type { ChangeSignal } from '../../src/signal';
import { formatSignal, notableChanges, senderName } from '../../src/sinks/format';

const O = { locale: 'en-GB', timeZone: 'UTC' };

function sig(over: Partial<ChangeSignal>): ChangeSignal {
  return {
    id: 's',
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: '5', name: 'Inbox' },
    added: [],
    changed: [],
    removed: [],
    observedAt: '2026-11-25T12:00:00.000Z',
    ...over,
  };
}

describe('formatSignal', () => {
  it('names sender and subject for one new mail, with the preview as body', () => {
    const s = sig({
      added: [
        { id: '1', title: 'Meeting moved', from: 'Alice <alice@example.org>', preview: 'Now at 3 pm.' },
      ],
    });
    expect(formatSignal(s, O)).toEqual({ title: 'Alice — Meeting moved', body: 'Now at 3 pm.' });
  });

  it('falls back to the folder when a mail has no preview, and to the address when there is no name', () => {
    const s = sig({ added: [{ id: '1', title: 'Hi', from: '<bob@example.org>' }] });
    expect(formatSignal(s, O)).toEqual({ title: 'bob@example.org — Hi', body: 'in Inbox' });
  });

  it('counts a burst and lists the first items, then how many more', () => {
    const added = Array.from({ length: 10 }, (_, i) => ({
      id: `${i}`,
      title: `S${i}`,
      from: `"P${i}" <p${i}@x.org>`,
    }));
    const { title, body } = formatSignal(sig({ added }), O);
    expect(title).toBe('10 new mails in Inbox');
    expect(body.split('\n')).toEqual(['P0 — S0', 'P1 — S1', 'P2 — S2', 'P3 — S3', 'and 6 more']);
  });

  it('summarises mixed changes per kind', () => {
    const s = sig({
      collection: 'contacts',
      folder: { id: 'ab', name: 'Contacts' },
      added: [{ id: '1', title: 'Ann' }],
      changed: [
        { id: '2', title: 'Ben' },
        { id: '3', title: 'Cy' },
      ],
    });
    expect(formatSignal(s, O)).toEqual({
      title: 'Contacts: 1 new, 2 changed contacts',
      body: 'New contact: Ann\nContact updated: Ben\nContact updated: Cy',
    });
  });

  it('says what happened to an event, when and where', () => {
    const s = sig({
      collection: 'calendar',
      folder: { id: 'c', name: 'Calendar' },
      changed: [
        {
          id: 'e',
          title: 'Standup',
          kind: 'moved',
          start: '2026-11-26T09:30:00Z',
          end: '2026-11-26T09:45:00Z',
          location: 'Room 4',
        },
      ],
    });
    expect(formatSignal(s, O)).toEqual({ title: 'Moved: Standup', body: 'Thu 26 Nov, 09:30–09:45 · Room 4' });
    const inv = sig({
      collection: 'calendar',
      added: [
        {
          id: 'i',
          title: 'Review',
          kind: 'invitation',
          start: '2026-11-27T14:00:00Z',
          from: 'Carol <c@x.org>',
        },
      ],
    });
    expect(formatSignal(inv, O)).toEqual({
      title: 'Invitation: Review',
      body: 'Fri 27 Nov, 14:00 · from Carol',
    });
    const gone = sig({ collection: 'calendar', removed: [{ id: 'g', title: 'Lunch', kind: 'cancelled' }] });
    expect(formatSignal(gone, O).title).toBe('Cancelled: Lunch');
  });

  it('reads sender names the way mail clients show them', () => {
    expect(senderName('"Doe, Jane" <jane@example.org>')).toBe('Doe, Jane');
    expect(senderName('jane@example.org')).toBe('jane@example.org');
  });
});

describe('notableChanges', () => {
  it('keeps new mail only, every calendar change, and new or changed contacts', () => {
    const mail = sig({ added: [{ id: 'a' }], changed: [{ id: 'b' }], removed: [{ id: 'c' }] });
    expect(notableChanges(mail)).toMatchObject({ added: [{ id: 'a' }], changed: [], removed: [] });
    expect(notableChanges(sig({ changed: [{ id: 'b' }] }))).toBeUndefined();
    const cal = sig({ collection: 'calendar', removed: [{ id: 'x', kind: 'cancelled' }] });
    expect(notableChanges(cal)).toBe(cal);
    expect(notableChanges(sig({ collection: 'contacts', removed: [{ id: 'x' }] }))).toBeUndefined();
  });
});
