import { wallTimeToInstant } from '../zones';

/**
 * Times of a JSCalendar event (RFC 8984 §5.1): `start` is a LocalDateTime (no offset) in
 * `timeZone` (an IANA name; null means floating), `duration` a positive ISO 8601 duration, and
 * `showWithoutTime` marks an all-day event. A signal carries ISO 8601: an instant in UTC when the
 * zone is known, the wall time as is when it floats, a date for an all-day event.
 */

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/;
/** RFC 8984 §1.4.6 Duration: weeks, or days and a time part. */
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.\d+)?S)?)?$/;

/** A duration in ms, or undefined when it does not parse. Days count as 24 h of wall time. */
export function durationMs(d: string): number | undefined {
  const m = DURATION.exec(d);
  if (!m || d === 'P' || d.endsWith('T')) return undefined;
  const [w, days, h, min, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  return ((((w! * 7 + days!) * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
const localIso = (ms: number) => new Date(ms).toISOString().slice(0, 19);

/** The start and end a signal shows for an event, or {} when `start` is not a LocalDateTime. */
export function eventTimes(e: {
  start?: unknown;
  timeZone?: unknown;
  duration?: unknown;
  showWithoutTime?: unknown;
}): { start?: string; end?: string } {
  const m = typeof e.start === 'string' ? LOCAL.exec(e.start) : null;
  if (!m) return {};
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const dur = typeof e.duration === 'string' ? durationMs(e.duration) : undefined;
  const wallEnd = dur !== undefined && dur > 0 ? wall + dur : undefined;
  if (e.showWithoutTime === true) {
    // All day: dates; the end is exclusive in JSCalendar, the last day shown is the one before.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    return {
      start: day(wall),
      ...(wallEnd !== undefined && wallEnd - wall > 86_400_000 ? { end: day(wallEnd - 1) } : {}),
    };
  }
  const start = typeof e.timeZone === 'string' ? wallTimeToInstant(wall, e.timeZone) : undefined;
  if (start === undefined) {
    // Floating (timeZone null) or a zone Intl does not know: the wall time as written.
    return { start: localIso(wall), ...(wallEnd !== undefined ? { end: localIso(wallEnd) } : {}) };
  }
  const end = wallEnd !== undefined ? wallTimeToInstant(wallEnd, e.timeZone as string) : undefined;
  return { start: iso(start), ...(end !== undefined ? { end: iso(end) } : {}) };
}
