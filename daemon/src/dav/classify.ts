import type { EventKind, ItemSummary } from '../signal';
import type { ItemDigest } from './content';

/** What we keep per item between checks: its ETag and the digest to classify the next change. */
export interface ItemState extends ItemDigest {
  etag?: string;
}

/**
 * Pure: how a person would name a calendar change.
 * - the resource is gone, or it became cancelled: STATUS:CANCELLED (RFC 5545 §3.8.1.11) or an
 *   iTIP METHOD:CANCEL (RFC 5546 §3.2.5) → cancelled
 * - someone else organises it and asks the user to answer — the user's ATTENDEE has
 *   PARTSTAT=NEEDS-ACTION or RSVP=TRUE (RFC 5545 §3.2.12, §3.2.17) — and it was not such a
 *   request before (new to us, or the user was just added) → invitation
 * - no previous state → new
 * - start or end differ → moved
 * - anything else → updated. An organizer's revision of an invitation (SEQUENCE bumped, RFC 5545
 *   §3.8.7.4, PARTSTAT reset to NEEDS-ACTION by RFC 6638 §3.2.8) is therefore updated or moved,
 *   never a second invitation.
 */
export function classifyEvent(before: ItemState | undefined, after: ItemDigest | undefined): EventKind {
  if (after === undefined) return 'cancelled';
  if (isCancelled(after) && (before === undefined ? after.invite !== undefined : !isCancelled(before)))
    return 'cancelled';
  if (asksAnswer(after) && (before === undefined || before.invite === undefined)) return 'invitation';
  if (before === undefined) return 'new';
  if (before.start !== after.start || before.end !== after.end) return 'moved';
  return 'updated';
}

function isCancelled(d: ItemDigest): boolean {
  return d.status === 'CANCELLED' || d.method === 'CANCEL';
}

/** An invitation that still waits for the user's answer. */
function asksAnswer(d: ItemDigest): boolean {
  return d.invite !== undefined && !isCancelled(d) && (d.invite.partstat === 'NEEDS-ACTION' || d.invite.rsvp);
}

/** The signal's item summary for a digest; calendar items carry their kind. */
export function toSummary(href: string, d: ItemDigest, kind: EventKind | undefined): ItemSummary {
  const s: ItemSummary = { id: href };
  if (d.title) s.title = d.title;
  if (d.from) s.from = d.from;
  if (d.start) s.start = d.start;
  if (d.end) s.end = d.end;
  if (d.location) s.location = d.location;
  if (d.preview) s.preview = d.preview.slice(0, 200);
  if (kind) s.kind = kind;
  return s;
}
