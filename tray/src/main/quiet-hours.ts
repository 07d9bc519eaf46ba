import { type QuietHours, minutesOf } from '../tray-settings';

/** A moment as the user's wall clock shows it. */
export interface LocalTime {
  /** 0 = Sunday … 6 = Saturday, as Date#getDay(). */
  weekday: number;
  /** Minutes since local midnight. */
  minutes: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * Wall-clock weekday and minutes of `now` in `timeZone` (the system zone when undefined).
 * Intl rather than Date#getHours so tests can pin a zone without touching process.env.TZ.
 */
export function localTime(now: Date, timeZone?: string): LocalTime {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    weekday: WEEKDAYS.indexOf(get('weekday')),
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

/**
 * Whether `at` falls inside the quiet period. A period whose end is before its start runs
 * past midnight; `days` restricts the days it may start on, so "Fri 22:00 → 07:00" also
 * silences Saturday 06:00 but not Friday 06:00.
 */
export function inQuietHours(q: QuietHours, at: LocalTime): boolean {
  if (!q.enabled) return false;
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  const startsOn = (day: number) => q.days.length === 0 || q.days.includes(day);
  if (start < end) return at.minutes >= start && at.minutes < end && startsOn(at.weekday);
  if (at.minutes >= start) return startsOn(at.weekday);
  return at.minutes < end && startsOn((at.weekday + 6) % 7);
}
