import { type QuietHoursConfig, WEEKDAYS, type Weekday } from '../config/rules';

/**
 * Pure quiet-hours decisions in the configured time zone. A window belongs to the day it starts
 * on: "fri 22:00–07:00" is quiet Friday night until Saturday 07:00, and the days list names
 * the evenings, as people think of them. DST needs no special case because every decision is
 * made from the local wall clock at that instant: a start time skipped by a spring-forward jump
 * simply begins the window at the first local minute past it.
 */

const MINUTE = 60_000;
/** A window repeats at least weekly, so the state flips within 8 days or never. */
const SCAN_LIMIT = 8 * 24 * 60 * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(key, f);
  }
  return f;
}

/** Local weekday (0 = mon) and minute of the day at `at` in `timeZone`. */
export function localClock(at: Date, timeZone?: string): { day: number; minute: number } {
  let weekday = '';
  let hour = 0;
  let minute = 0;
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type === 'weekday') weekday = p.value.toLowerCase().slice(0, 3);
    else if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day: WEEKDAYS.indexOf(weekday as Weekday), minute: hour * 60 + minute };
}

function toMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** True when `at` falls inside a quiet window. */
export function isQuiet(q: QuietHoursConfig, at: Date): boolean {
  const { day, minute } = localClock(at, q.timeZone);
  const start = toMinutes(q.start);
  const end = toMinutes(q.end);
  const on = (d: number) => !q.days || q.days.includes(WEEKDAYS[(d + 7) % 7] as Weekday);
  if (start < end) return on(day) && minute >= start && minute < end;
  // Across midnight: this evening's window, or the tail of yesterday's.
  return (on(day) && minute >= start) || (on(day - 1) && minute < end);
}

/**
 * The next instant after `from` at which `isQuiet` flips, to the minute, or undefined when it
 * never does (which a valid config cannot produce, but a caller need not trust that). Steps a
 * minute at a time: windows may be only minutes long, and boundaries fall on whole local minutes
 * in every zone. A day is 1 440 steps; this runs once per transition.
 */
export function nextQuietChange(q: QuietHoursConfig, from: Date): Date | undefined {
  const state = isQuiet(q, from);
  const first = Math.floor(from.getTime() / MINUTE) * MINUTE + MINUTE;
  for (let t = first; t <= from.getTime() + SCAN_LIMIT; t += MINUTE) {
    if (isQuiet(q, new Date(t)) !== state) return new Date(t);
  }
  return undefined;
}
