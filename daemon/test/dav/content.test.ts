import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../src/dav/classify';
import { digestCalendar, digestVcard } from '../../src/dav/content';
import { vcard, vevent } from './support';

const VTIMEZONE_BERLIN = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:STANDARD',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'END:STANDARD',
  'BEGIN:DAYLIGHT',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'END:DAYLIGHT',
  'END:VTIMEZONE',
].join('\r\n');

describe('iCalendar digest (RFC 5545 via ical.js)', () => {
  it('gives summary, location, organizer and UTC times in the user zone', () => {
    const ics = vevent({
      uid: 'u1',
      summary: 'Planning',
      start: '20260301T090000Z',
      end: '20260301T100000Z',
      location: 'Room 4',
      organizer: 'Bob Boss <bob@example.org>',
    });
    expect(digestCalendar(ics, 'Europe/Berlin')).toEqual({
      title: 'Planning',
      location: 'Room 4',
      from: 'Bob Boss <bob@example.org>',
      start: '2026-03-01T10:00:00+01:00',
      end: '2026-03-01T11:00:00+01:00',
    });
    expect(digestCalendar(ics, 'America/New_York').start).toBe('2026-03-01T04:00:00-05:00');
  });

  it('resolves a TZID through its VTIMEZONE, and through Intl when the VTIMEZONE is missing (RFC 7809)', () => {
    const withTz = vevent({
      uid: 'u2',
      summary: 'x',
      start: '20260701T100000',
      end: '20260701T110000',
      tzid: 'Europe/Berlin',
    }).replace('BEGIN:VEVENT', `${VTIMEZONE_BERLIN}\r\nBEGIN:VEVENT`);
    expect(digestCalendar(withTz, 'UTC').start).toBe('2026-07-01T08:00:00+00:00');
    const bare = vevent({
      uid: 'u3',
      summary: 'x',
      start: '20260701T100000',
      end: '20260701T110000',
      tzid: 'Asia/Tokyo',
    });
    expect(digestCalendar(bare, 'UTC').start).toBe('2026-07-01T01:00:00+00:00');
  });

  it('keeps all-day events as dates', () => {
    const ics = vevent({ uid: 'u4', summary: 'Holiday', start: '20260501', end: '20260502' })
      .replace('DTSTART:20260501', 'DTSTART;VALUE=DATE:20260501')
      .replace('DTEND:20260502', 'DTEND;VALUE=DATE:20260502');
    expect(digestCalendar(ics, 'Europe/Berlin')).toMatchObject({ start: '2026-05-01', end: '2026-05-02' });
  });

  it('digests a recurring event with overridden instances as one item: the master', () => {
    const ics = vevent({
      uid: 'r1',
      summary: 'Standup',
      start: '20260302T080000Z',
      end: '20260302T081500Z',
      rrule: 'FREQ=DAILY;COUNT=10',
      overrides: [
        {
          recurrenceId: '20260303T080000Z',
          start: '20260303T090000Z',
          end: '20260303T091500Z',
          summary: 'Standup (late)',
        },
      ],
    });
    expect(digestCalendar(ics, 'UTC')).toMatchObject({
      title: 'Standup',
      start: '2026-03-02T08:00:00+00:00',
    });
  });

  it('reads STATUS and returns an empty digest for unparseable data', () => {
    const ics = vevent({
      uid: 'c',
      summary: 'Gone',
      start: '20260301T090000Z',
      end: '20260301T100000Z',
      status: 'cancelled',
    });
    expect(digestCalendar(ics, 'UTC').status).toBe('CANCELLED');
    expect(digestCalendar('BEGIN:VCALENDAR\r\nthis is not ical', 'UTC')).toEqual({});
  });
});

describe('vCard digest (RFC 6350)', () => {
  it('names the contact by FN and previews the e-mail address', () => {
    expect(digestVcard(vcard('c1', 'Ada Lovelace', 'ada@example.org'))).toEqual({
      title: 'Ada Lovelace',
      preview: 'ada@example.org',
    });
  });
});

describe('event classification', () => {
  const before = { etag: '"1"', start: '2026-03-01T10:00:00+01:00', end: '2026-03-01T11:00:00+01:00' };
  it('tells new, moved, updated and cancelled apart', () => {
    expect(classifyEvent(undefined, { start: before.start })).toBe('new');
    expect(classifyEvent(before, { ...before, start: '2026-03-02T10:00:00+01:00' })).toBe('moved');
    expect(classifyEvent(before, { ...before, end: '2026-03-01T12:00:00+01:00' })).toBe('moved');
    expect(classifyEvent(before, { ...before, title: 'renamed' })).toBe('updated');
    expect(classifyEvent(before, { ...before, status: 'CANCELLED' })).toBe('cancelled');
    expect(classifyEvent(before, undefined)).toBe('cancelled');
  });
});
