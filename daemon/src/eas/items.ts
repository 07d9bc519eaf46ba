import { child, textOf, text, type WbxmlElement } from '@tidings/wbxml/core';
import type { Collection, EventKind, ItemSummary } from '../signal';

/** Longest preview a signal carries (signal.ts: ≤ 200 chars). */
export const PREVIEW_CHARS = 200;

/** Collapses whitespace and cuts a body excerpt to a one-line preview. */
export function toPreview(body: string | undefined): string | undefined {
  if (!body) return undefined;
  const flat = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat === '') return undefined;
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS - 1)}…` : flat;
}

/**
 * EAS dates come as ISO (`2026-11-25T12:00:00.000Z`, Email DateReceived) or in the compact
 * form (`20261125T120000Z`, Calendar StartTime, MS-ASDTYPE 2.7.1); both become ISO 8601.
 */
export function toIso(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim();
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  const d = new Date(m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function bodyPreview(data: WbxmlElement | undefined): string | undefined {
  return toPreview(textOf(child(child(data, 'Body', 'AirSyncBase'), 'Data', 'AirSyncBase')));
}

/** `"Bob Smith" <bob@x>` → `Bob Smith <bob@x>`. */
function cleanAddress(v: string | undefined): string | undefined {
  const s = v?.replace(/"/g, '').trim();
  return s === '' ? undefined : s;
}

function set<K extends keyof ItemSummary>(o: ItemSummary, k: K, v: ItemSummary[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

/**
 * MeetingStatus (MS-ASCMD 2.2.3.110): bit 0 a meeting, bit 1 received (we are an attendee),
 * bit 2 cancelled. An added received meeting is an invitation; a changed one an update.
 */
export function eventKind(meetingStatus: number | undefined, isAdd: boolean): EventKind {
  const s = meetingStatus ?? 0;
  if (s & 4) return 'cancelled';
  if (!isAdd) return 'updated';
  return s & 2 ? 'invitation' : 'new';
}

/** Meeting messages in a mail folder (MS-ASEMAIL 2.2.2.46 MessageClass). */
function meetingMailKind(messageClass: string | undefined): EventKind | undefined {
  if (!messageClass) return undefined;
  if (messageClass.startsWith('IPM.Schedule.Meeting.Canceled')) return 'cancelled';
  if (messageClass.startsWith('IPM.Schedule.Meeting.Request')) return 'invitation';
  return undefined;
}

/**
 * Reads an item's ApplicationData into the summary a signal carries: subject, sender, time and
 * preview for mail; title, start, end, location, organizer and kind for events; display name
 * for contacts; title and due date for tasks.
 */
export function summarize(
  collection: Collection,
  id: string,
  data: WbxmlElement | undefined,
  isAdd: boolean,
): ItemSummary {
  const out: ItemSummary = { id };
  if (!data) return out;
  switch (collection) {
    case 'mail': {
      set(out, 'title', text(data, 'Subject', 'Email'));
      set(out, 'from', cleanAddress(text(data, 'From', 'Email')));
      set(out, 'start', toIso(text(data, 'DateReceived', 'Email')));
      set(out, 'preview', bodyPreview(data));
      const read = text(data, 'Read', 'Email');
      if (read !== undefined) out.unread = read.trim() === '0';
      // MessageClass names the meeting message; a MeetingRequest element alone (some servers omit
      // the class) still marks an invitation (MS-ASEMAIL 2.2.2.48).
      set(
        out,
        'kind',
        meetingMailKind(text(data, 'MessageClass', 'Email')) ??
          (child(data, 'MeetingRequest', 'Email') ? 'invitation' : undefined),
      );
      break;
    }
    case 'calendar': {
      set(out, 'title', text(data, 'Subject', 'Calendar'));
      set(out, 'start', toIso(text(data, 'StartTime', 'Calendar')));
      set(out, 'end', toIso(text(data, 'EndTime', 'Calendar')));
      // 16.x moved Location to AirSyncBase (MS-ASAIRS 2.2.2.27); 12.1–14.1 keep Calendar:Location.
      const loc =
        text(data, 'Location', 'Calendar') ??
        text(child(data, 'Location', 'AirSyncBase'), 'DisplayName', 'AirSyncBase');
      set(out, 'location', loc?.trim() || undefined);
      const name = text(data, 'OrganizerName', 'Calendar')?.trim();
      const mail = text(data, 'OrganizerEmail', 'Calendar')?.trim();
      set(out, 'from', name && mail ? `${name} <${mail}>` : name || mail || undefined);
      set(out, 'preview', bodyPreview(data));
      const ms = text(data, 'MeetingStatus', 'Calendar');
      out.kind = eventKind(ms === undefined ? undefined : Number.parseInt(ms, 10), isAdd);
      break;
    }
    case 'contacts': {
      const fileAs = text(data, 'FileAs', 'Contacts')?.trim();
      const name = [text(data, 'FirstName', 'Contacts'), text(data, 'LastName', 'Contacts')]
        .map((s) => s?.trim())
        .filter(Boolean)
        .join(' ');
      set(out, 'title', fileAs || name || text(data, 'Email1Address', 'Contacts') || undefined);
      break;
    }
    case 'tasks': {
      set(out, 'title', text(data, 'Subject', 'Tasks'));
      set(out, 'start', toIso(text(data, 'UtcDueDate', 'Tasks') ?? text(data, 'DueDate', 'Tasks')));
      break;
    }
  }
  return out;
}
