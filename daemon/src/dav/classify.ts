import type { EventKind, ItemSummary } from '../signal';
import type { ItemDigest } from './content';

/** What we keep per item between checks: its ETag and the digest to classify the next change. */
export interface ItemState extends ItemDigest {
  etag?: string;
}

/**
 * Pure: how a person would name a calendar change.
 * - no previous state → new
 * - STATUS became CANCELLED (RFC 5545 §3.8.1.11), or the resource is gone → cancelled
 * - start or end differ → moved
 * - anything else → updated
 */
export function classifyEvent(before: ItemState | undefined, after: ItemDigest | undefined): EventKind {
  if (after === undefined) return 'cancelled';
  if (before === undefined) return 'new';
  if (after.status === 'CANCELLED' && before.status !== 'CANCELLED') return 'cancelled';
  if (before.start !== after.start || before.end !== after.end) return 'moved';
  return 'updated';
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
