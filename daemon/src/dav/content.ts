import ICAL from 'ical.js';
import { isoInZone, wallTimeToInstant } from '../zones';

/** What a signal says about one calendar object or contact, and what we keep to classify the next change. */
export interface ItemDigest {
  title?: string;
  /** ISO 8601 in the user's zone; a date ("2026-03-01") for all-day events. */
  start?: string;
  end?: string;
  location?: string;
  /** Organizer as "Name <addr>" (RFC 5545 §3.8.4.3). */
  from?: string;
  /** RFC 5545 §3.8.1.11 STATUS, upper case (CANCELLED, CONFIRMED …). */
  status?: string;
  /** Contacts: first e-mail address, as a preview. */
  preview?: string;
  /** RFC 5546 §1.4 iTIP METHOD of the object (CANCEL in a scheduling message), upper case. */
  method?: string;
  /**
   * The user's own ATTENDEE entry (RFC 5545 §3.8.4.1) when someone else organises the event:
   * PARTSTAT (§3.2.12, NEEDS-ACTION when absent) and RSVP (§3.2.17).
   */
  invite?: { partstat: string; rsvp: boolean };
}

/**
 * Digest of an iCalendar object resource (RFC 4791 §4.1: one UID per resource, possibly with
 * overridden instances). The master component stands for the whole series, so a recurring event
 * yields one digest, not one per occurrence. Returns {} for data ical.js cannot parse: a broken
 * item must not stop the signal for the others. `me` are the user's calendar user addresses
 * (RFC 6638 §2.4.1), to find the user among the attendees.
 */
export function digestCalendar(ics: string, timeZone: string, me: readonly string[] = []): ItemDigest {
  let root: ICAL.Component;
  try {
    root = new ICAL.Component(ICAL.parse(ics));
  } catch {
    return {};
  }
  const comps = [...root.getAllSubcomponents('vevent'), ...root.getAllSubcomponents('vtodo')];
  const master = comps.find((c) => !c.hasProperty('recurrence-id')) ?? comps[0];
  if (master === undefined) return {};
  const d: ItemDigest = {};
  const title = str(master.getFirstPropertyValue('summary'));
  if (title) d.title = title;
  const location = str(master.getFirstPropertyValue('location'));
  if (location) d.location = location;
  const status = str(master.getFirstPropertyValue('status'));
  if (status) d.status = status.toUpperCase();
  const start = timeOf(master.getFirstProperty('dtstart'), timeZone);
  if (start) d.start = start;
  const end = timeOf(master.getFirstProperty('dtend') ?? master.getFirstProperty('due'), timeZone);
  if (end) d.end = end;
  const organizer = master.getFirstProperty('organizer');
  if (organizer) {
    const addr = str(organizer.getFirstValue()).replace(/^mailto:/i, '');
    const cn = str(organizer.getParameter('cn'));
    d.from = cn && addr ? `${cn} <${addr}>` : cn || addr;
  }
  const method = str(root.getFirstPropertyValue('method'));
  if (method) d.method = method.toUpperCase();
  const invite = ownAttendance(master, me);
  if (invite) d.invite = invite;
  return d;
}

/** A calendar user address (RFC 5545 §3.3.3 CAL-ADDRESS) in a comparable form. */
function calAddress(v: unknown): string {
  return str(v)
    .replace(/^mailto:/i, '')
    .toLowerCase();
}

/** The user's ATTENDEE entry, when the event has an organizer who is not the user. */
function ownAttendance(master: ICAL.Component, me: readonly string[]): ItemDigest['invite'] {
  const mine = new Set(me.map(calAddress));
  const organizer = master.getFirstProperty('organizer');
  if (mine.size === 0 || !organizer || mine.has(calAddress(organizer.getFirstValue()))) return undefined;
  const own = master.getAllProperties('attendee').find((a) => mine.has(calAddress(a.getFirstValue())));
  if (!own) return undefined;
  return {
    partstat: str(own.getParameter('partstat')).toUpperCase() || 'NEEDS-ACTION',
    rsvp: str(own.getParameter('rsvp')).toUpperCase() === 'TRUE',
  };
}

/** Digest of a vCard (RFC 6350 §6.2.1 FN, §6.4.2 EMAIL). */
export function digestVcard(vcf: string): ItemDigest {
  let card: ICAL.Component;
  try {
    card = new ICAL.Component(ICAL.parse(vcf));
  } catch {
    return {};
  }
  const d: ItemDigest = {};
  const fn = str(card.getFirstPropertyValue('fn'));
  if (fn) d.title = fn;
  const email = str(card.getFirstPropertyValue('email'));
  if (email) d.preview = email;
  return d;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : v === null || v === undefined ? '' : String(v).trim();
}

function timeOf(prop: ICAL.Property | null, timeZone: string): string | undefined {
  const t = prop?.getFirstValue();
  if (!(t instanceof ICAL.Time)) return undefined;
  if (t.isDate) return t.toString(); // all-day: a date has no time zone (RFC 5545 §3.3.4)
  const tzid = str(prop?.getParameter('tzid'));
  const zone = t.zone?.tzid;
  const wall = { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second };
  // A TZID with no VTIMEZONE leaves ical.js with a floating time; Intl knows IANA names.
  if (tzid && (zone === undefined || zone === 'floating')) {
    const ms = wallTimeToInstant(wall, tzid);
    if (ms !== undefined) return isoInZone(ms, timeZone);
  }
  // Floating times (RFC 5545 §3.3.5 form 1) are wall times wherever the user is.
  if (zone === 'floating') {
    const ms = wallTimeToInstant(wall, timeZone);
    if (ms !== undefined) return isoInZone(ms, timeZone);
  }
  return isoInZone(t.toJSDate().getTime(), timeZone);
}
