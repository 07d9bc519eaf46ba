/**
 * Every time a person reads (`watch`, `status`, `pause`, event starts in texts) goes through
 * here: local to the process's zone (TZ, else the system's), in one numeric format that does not
 * depend on the locale. Signals and `--json` keep ISO 8601 UTC; only text for people is local
 * (issue 16: `watch` printed the UTC clock, EAS and CalDAV starts read differently).
 */

import { localTimeZone, wallStrings, zoneFormat } from './zones';

/** Tests inject a zone; without one Intl uses the process's (Node re-reads TZ when it changes). */
export interface ZoneOption {
  timeZone?: string;
}

type Parts = ReturnType<typeof wallStrings>;

function parts(t: Date, timeZone: string | undefined): Parts {
  // A cached formatter would pin the zone it was built in; key by the zone Intl resolves now.
  const zone = timeZone ?? localTimeZone();
  const f = zoneFormat(zone);
  if (!f) throw new RangeError(`Invalid time zone specified: ${zone}`);
  return wallStrings(t.getTime(), f);
}

function toDate(t: string | number | Date): Date | undefined {
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `09:05:48`: the local clock time of an instant (watch's head line). */
export function clockTime(t: string | number | Date, o: ZoneOption = {}): string {
  const d = toDate(t);
  if (!d) return String(t);
  const p = parts(d, o.timeZone);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/**
 * `2026-12-07 10:00`: a local date and time to the minute (event starts, pause ends, retries).
 * A date alone (`2026-12-07`, an all-day event) is a calendar day, not an instant: kept as is.
 */
export function localDateTime(t: string | number | Date, o: ZoneOption & { seconds?: boolean } = {}): string {
  if (typeof t === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(t)) return t;
  const d = toDate(t);
  if (!d) return String(t);
  const p = parts(d, o.timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${o.seconds ? `:${p.second}` : ''}`;
}

/**
 * The next instant after `now` at which the local clock shows `hh:mm` (`pause --until 18:00`):
 * today if that is still ahead, else tomorrow. Walks whole minutes, so a DST change lands right:
 * a repeated hour gives its first pass, a skipped time the first minute after it.
 */
export function nextLocalTime(hhmm: string, now: Date, o: ZoneOption = {}): Date | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
  if (!m) return undefined;
  const want = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[1]) > 23 || Number(m[2]) > 59) return undefined;
  // Minutes past the wanted time, on the local clock: it wraps round to 0 (or to just past 0
  // over a skipped hour) exactly when the wanted time is reached.
  const past = (t: number) => {
    const p = parts(new Date(t), o.timeZone);
    return (Number(p.hour) * 60 + Number(p.minute) - want + 1440) % 1440;
  };
  let t = Math.floor(now.getTime() / 60_000) * 60_000 + 60_000;
  let prev = past(t);
  if (prev === 0) return new Date(t);
  // 26 h of minutes covers a full local day plus any offset change.
  for (let i = 0; i < 26 * 60; i++) {
    t += 60_000;
    const d = past(t);
    // A wrap, not the hour a fall-back DST change repeats (which steps back only 60 minutes).
    if (prev - d > 720) return new Date(t);
    prev = d;
  }
  return undefined;
}
