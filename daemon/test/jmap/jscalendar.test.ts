import { describe, expect, it } from 'vitest';
import { durationMs, eventTimes } from '../../src/jmap/jscalendar';

describe('JSCalendar event times (RFC 8984 §5.1) as a signal shows them', () => {
  it.each([
    ['PT1H', 3_600_000],
    ['PT1H30M', 5_400_000],
    ['P1D', 86_400_000],
    ['P1W', 7 * 86_400_000],
    ['P1DT2H', 26 * 3_600_000],
    ['PT45S', 45_000],
    ['P', undefined],
    ['PT', undefined],
    ['1H', undefined],
    ['PT1.5H', undefined],
  ])('duration %s → %s ms', (d, ms) => {
    expect(durationMs(d)).toBe(ms);
  });

  it('a zoned start becomes a UTC instant, across a DST change within the event', () => {
    // Europe/Berlin switches to summer time on 2026-03-29 at 02:00 local.
    expect(eventTimes({ start: '2026-03-28T22:00:00', timeZone: 'Europe/Berlin', duration: 'PT6H' })).toEqual(
      { start: '2026-03-28T21:00:00Z', end: '2026-03-29T02:00:00Z' },
    );
    expect(eventTimes({ start: '2026-07-01T09:30:00', timeZone: 'Asia/Kolkata' })).toEqual({
      start: '2026-07-01T04:00:00Z',
    });
  });

  it('floating or unknown zones keep the wall time; all-day events are dates with an inclusive last day', () => {
    expect(eventTimes({ start: '2026-05-02T09:00:00', duration: 'PT30M' })).toEqual({
      start: '2026-05-02T09:00:00',
      end: '2026-05-02T09:30:00',
    });
    expect(eventTimes({ start: '2026-05-02T09:00:00', timeZone: '/custom/zone' })).toEqual({
      start: '2026-05-02T09:00:00',
    });
    expect(eventTimes({ start: '2026-12-24T00:00:00', showWithoutTime: true, duration: 'P1D' })).toEqual({
      start: '2026-12-24',
    });
    expect(eventTimes({ start: '2026-12-24T00:00:00', showWithoutTime: true, duration: 'P3D' })).toEqual({
      start: '2026-12-24',
      end: '2026-12-26',
    });
  });

  it('gives nothing for a start that is not a LocalDateTime', () => {
    expect(eventTimes({ start: '2026-05-02T09:00:00Z' })).toEqual({});
    expect(eventTimes({ start: 42 })).toEqual({});
    expect(eventTimes({})).toEqual({});
  });
});
