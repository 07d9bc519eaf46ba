import { describe, expect, it } from 'vitest';
import { quietHoursConfigSchema } from '../../src/config/rules';
import { isQuiet, localClock, nextQuietChange } from '../../src/hub/quiet-hours';

const q = (input: object) => quietHoursConfigSchema().parse(input);

describe('quiet hours', () => {
  it('covers a same-day window in the configured zone, end exclusive', () => {
    const lunch = q({ start: '12:00', end: '13:00', timeZone: 'Europe/Berlin' });
    // 2026-11-25 is a Wednesday; Berlin is UTC+1 in November.
    expect(isQuiet(lunch, new Date('2026-11-25T10:59:00Z'))).toBe(false);
    expect(isQuiet(lunch, new Date('2026-11-25T11:00:00Z'))).toBe(true);
    expect(isQuiet(lunch, new Date('2026-11-25T11:59:59Z'))).toBe(true);
    expect(isQuiet(lunch, new Date('2026-11-25T12:00:00Z'))).toBe(false);
  });

  it('spans midnight, counting the morning after as part of the evening before', () => {
    const night = q({ start: '22:00', end: '07:00', days: ['fri'], timeZone: 'America/New_York' });
    // Friday 2026-11-27 23:30 New York (UTC−5) → quiet; Saturday 06:59 → still quiet (Friday's window).
    expect(isQuiet(night, new Date('2026-11-28T04:30:00Z'))).toBe(true);
    expect(isQuiet(night, new Date('2026-11-28T11:59:00Z'))).toBe(true);
    expect(isQuiet(night, new Date('2026-11-28T12:00:00Z'))).toBe(false);
    // Thursday night is not listed, and Saturday 23:00 is not either.
    expect(isQuiet(night, new Date('2026-11-27T04:30:00Z'))).toBe(false);
    expect(isQuiet(night, new Date('2026-11-29T04:00:00Z'))).toBe(false);
  });

  it('reads the wall clock across a DST change (Europe/Berlin, 2026-03-29)', () => {
    const early = q({ start: '06:00', end: '08:00', timeZone: 'Europe/Berlin' });
    // Before the change 06:30 local is 05:30Z; after it, 04:30Z.
    expect(isQuiet(early, new Date('2026-03-28T05:30:00Z'))).toBe(true);
    expect(isQuiet(early, new Date('2026-03-29T04:30:00Z'))).toBe(true);
    expect(isQuiet(early, new Date('2026-03-29T06:30:00Z'))).toBe(false);
    expect(localClock(new Date('2026-03-29T04:30:00Z'), 'Europe/Berlin')).toEqual({
      day: 6,
      minute: 6 * 60 + 30,
    });
  });

  it('finds the next change to the minute, in both directions', () => {
    const night = q({ start: '22:00', end: '07:00', timeZone: 'Asia/Kolkata' });
    // Kolkata is UTC+5:30: 22:00 local = 16:30Z, 07:00 local = 01:30Z.
    expect(nextQuietChange(night, new Date('2026-11-25T12:00:10Z'))?.toISOString()).toBe(
      '2026-11-25T16:30:00.000Z',
    );
    expect(nextQuietChange(night, new Date('2026-11-25T16:30:00Z'))?.toISOString()).toBe(
      '2026-11-26T01:30:00.000Z',
    );
  });

  it('finds a change days ahead when only some days are quiet', () => {
    const sunday = q({ start: '09:00', end: '10:00', days: ['sun'], timeZone: 'UTC' });
    expect(nextQuietChange(sunday, new Date('2026-11-25T12:00:00Z'))?.toISOString()).toBe(
      '2026-11-29T09:00:00.000Z',
    );
  });

  it('rejects an empty window and an unknown time zone, naming the field', () => {
    const same = quietHoursConfigSchema().safeParse({ start: '07:00', end: '07:00' });
    expect(same.success).toBe(false);
    expect(same.error?.issues[0]?.path).toEqual(['end']);
    const tz = quietHoursConfigSchema().safeParse({ start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' });
    expect(tz.error?.issues[0]?.path).toEqual(['timeZone']);
    const time = quietHoursConfigSchema().safeParse({ start: '24:00', end: '07:00' });
    expect(time.error?.issues[0]?.path).toEqual(['start']);
  });
});
