/**
 * IANA time-zone arithmetic on Intl alone (no tz database of our own): a zone's wall clock at
 * an instant, and the instant of a wall time in a zone. Shared by CalDAV (DTSTART;TZID without a
 * VTIMEZONE, RFC 7809), JSCalendar starts (RFC 8984 §5.1) and the texts people read.
 */

/** A wall-clock time, fields as people write them (month 1–12). */
export interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * A formatter that shows instants on `tz`'s wall clock, made once per zone; undefined when Intl
 * does not know the name (a custom VTIMEZONE id). The cache is bounded: zone names come from
 * servers.
 */
export function zoneFormat(tz: string): Intl.DateTimeFormat | undefined {
  let f = formats.get(tz);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    return undefined;
  }
  if (formats.size >= 100) formats.clear();
  formats.set(tz, f);
  return f;
}

/** Whether Intl knows the IANA zone name. */
export function isKnownZone(tz: string): boolean {
  return zoneFormat(tz) !== undefined;
}

/** The process time zone (TZ or the system's), which is the user's on a desktop. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** `f`'s wall clock at instant `ms`, as its formatted strings (`"09"`) and as numbers. */
export function wallStrings(ms: number, f: Intl.DateTimeFormat): Record<keyof WallParts, string> {
  const out = { year: '1970', month: '01', day: '01', hour: '00', minute: '00', second: '00' };
  for (const part of f.formatToParts(new Date(ms)))
    if (part.type in out) out[part.type as keyof WallParts] = part.value;
  return out;
}

function wallParts(ms: number, f: Intl.DateTimeFormat): WallParts {
  const s = wallStrings(ms, f);
  return {
    year: Number(s.year),
    month: Number(s.month),
    day: Number(s.day),
    hour: Number(s.hour),
    minute: Number(s.minute),
    second: Number(s.second),
  };
}

const wallMs = (p: WallParts) => Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);

/** Offset of the zone at instant `ms` (wall − UTC), ms. */
function offsetAt(ms: number, f: Intl.DateTimeFormat): number {
  return wallMs(wallParts(ms, f)) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a wall time in a zone; the wall time is given as parts or as a UTC-based ms
 * count. Two passes settle DST edges (a skipped time lands after the gap). Undefined when Intl
 * does not know the zone.
 */
export function wallTimeToInstant(wall: WallParts | number, tz: string): number | undefined {
  const f = zoneFormat(tz);
  if (!f) return undefined;
  const w = typeof wall === 'number' ? wall : wallMs(wall);
  const first = w - offsetAt(w, f);
  return w - offsetAt(first, f);
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** An instant as ISO 8601 with the offset of `tz` ("2026-03-01T10:00:00+01:00"). */
export function isoInZone(ms: number, tz: string): string {
  const f = zoneFormat(tz);
  if (!f) return new Date(ms).toISOString();
  const p = wallParts(ms, f);
  const off = Math.round(offsetAt(ms, f) / 60_000);
  const sign = off < 0 ? '-' : '+';
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `${sign}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}
