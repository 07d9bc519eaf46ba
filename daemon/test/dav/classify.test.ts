import { describe, expect, it } from 'vitest';
import { classifyEvent, type ItemState } from '../../src/dav/classify';
import { digestCalendar, type ItemDigest } from '../../src/dav/content';

const T1 = { start: '2026-03-02T12:00:00+00:00', end: '2026-03-02T13:00:00+00:00' };
const T2 = { start: '2026-03-03T12:00:00+00:00', end: '2026-03-03T13:00:00+00:00' };
const asked = { partstat: 'NEEDS-ACTION', rsvp: true };
const accepted = { partstat: 'ACCEPTED', rsvp: false };

describe('classifyEvent (RFC 5545 / RFC 5546 / RFC 6638)', () => {
  const table: [string, ItemState | undefined, ItemDigest | undefined, string][] = [
    ['first sight, no attendee entry of the user', undefined, { ...T1 }, 'new'],
    ['first sight, someone else organises, NEEDS-ACTION', undefined, { ...T1, invite: asked }, 'invitation'],
    [
      'first sight, RSVP=TRUE even with a PARTSTAT',
      undefined,
      { ...T1, invite: { partstat: 'TENTATIVE', rsvp: true } },
      'invitation',
    ],
    ['first sight, already answered, no RSVP', undefined, { ...T1, invite: accepted }, 'new'],
    [
      'first sight, a cancelled invitation (STATUS)',
      undefined,
      { ...T1, status: 'CANCELLED', invite: asked },
      'cancelled',
    ],
    [
      'first sight, an iTIP CANCEL message',
      undefined,
      { ...T1, method: 'CANCEL', invite: accepted },
      'cancelled',
    ],
    ['first sight, own event already cancelled', undefined, { ...T1, status: 'CANCELLED' }, 'new'],
    ['the user was added as attendee to a known event', { ...T1 }, { ...T1, invite: asked }, 'invitation'],
    [
      'organizer revision: SEQUENCE bumped, PARTSTAT reset, same times',
      { ...T1, title: 'a', invite: accepted },
      { ...T1, title: 'b', invite: asked },
      'updated',
    ],
    ['organizer moved the invitation', { ...T1, invite: asked }, { ...T2, invite: asked }, 'moved'],
    ['the user answered (PARTSTAT only)', { ...T1, invite: asked }, { ...T1, invite: accepted }, 'updated'],
    [
      'organizer cancelled (STATUS:CANCELLED)',
      { ...T1, invite: accepted },
      { ...T1, status: 'CANCELLED', invite: accepted },
      'cancelled',
    ],
    ['iTIP METHOD:CANCEL', { ...T1, invite: asked }, { ...T1, method: 'CANCEL', invite: asked }, 'cancelled'],
    ['deleted', { ...T1, invite: asked }, undefined, 'cancelled'],
    ['own event moved', { ...T1 }, { ...T2 }, 'moved'],
    ['own event cancelled', { ...T1 }, { ...T1, status: 'CANCELLED' }, 'cancelled'],
    ['own event retitled', { ...T1, title: 'a' }, { ...T1, title: 'b' }, 'updated'],
  ];
  it.each(table)('%s', (_what, before, after, kind) => {
    expect(classifyEvent(before, after)).toBe(kind);
  });
});

const ME = ['mailto:Alice@Example.org', '/principals/alice/'];
const ics = (lines: string[], method?: string) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//tidings//test//EN',
    ...(method ? [`METHOD:${method}`] : []),
    'BEGIN:VEVENT',
    'UID:x',
    'DTSTAMP:20260101T000000Z',
    'DTSTART:20260302T120000Z',
    'DTEND:20260302T130000Z',
    'SUMMARY:Review',
    ...lines,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');

describe('digestCalendar: the user among the attendees', () => {
  const table: [string, string, ItemDigest['invite'] | undefined][] = [
    [
      'someone else organises; the user needs to act (address compared without case or mailto:)',
      ics([
        'ORGANIZER;CN=Bob:mailto:bob@example.org',
        'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org',
        'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.org',
      ]),
      { partstat: 'NEEDS-ACTION', rsvp: true },
    ],
    [
      'PARTSTAT absent means NEEDS-ACTION (RFC 5545 §3.2.12)',
      ics(['ORGANIZER:mailto:bob@example.org', 'ATTENDEE:MAILTO:ALICE@EXAMPLE.ORG']),
      { partstat: 'NEEDS-ACTION', rsvp: false },
    ],
    [
      'the user organises',
      ics(['ORGANIZER:mailto:alice@example.org', 'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org']),
      undefined,
    ],
    [
      'the user is not an attendee',
      ics(['ORGANIZER:mailto:bob@example.org', 'ATTENDEE:mailto:carol@example.org']),
      undefined,
    ],
    ['no organizer: not a scheduled event', ics(['ATTENDEE:mailto:alice@example.org']), undefined],
  ];
  it.each(table)('%s', (_what, data, invite) => {
    expect(digestCalendar(data, 'UTC', ME).invite).toEqual(invite);
  });

  it('without the user’s addresses nothing is an invitation; METHOD is kept', () => {
    const data = ics(['ORGANIZER:mailto:bob@example.org', 'ATTENDEE:mailto:alice@example.org'], 'CANCEL');
    expect(digestCalendar(data, 'UTC').invite).toBeUndefined();
    expect(digestCalendar(data, 'UTC', ME)).toMatchObject({ method: 'CANCEL', title: 'Review' });
  });
});
