/**
 * A fetched message → the ItemSummary of a ChangeSignal (from, subject, time, preview, unread).
 * Pure.
 */
import type { ItemSummary } from '../signal';

/** The part of imapflow's FETCH answer a summary reads. */
export interface FetchedMessage {
  uid: number;
  flags?: Set<string> | undefined;
  internalDate?: Date | string | undefined;
  envelope?:
    | {
        date?: Date | string | undefined;
        subject?: string | undefined;
        from?: { name?: string | undefined; address?: string | undefined }[] | undefined;
      }
    | undefined;
}

/** "Name <addr>", or the bare address; undefined for a mail without From. */
export function formatFrom(
  from: readonly { name?: string | undefined; address?: string | undefined }[] | undefined,
): string | undefined {
  const a = from?.[0];
  if (!a) return undefined;
  const name = a.name?.trim();
  const addr = a.address?.trim();
  if (name && addr) return `${name} <${addr}>`;
  return name || addr || undefined;
}

function iso(d: Date | string | undefined): string | undefined {
  if (d === undefined) return undefined;
  const t = d instanceof Date ? d : new Date(d);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

export function hasFlag(m: FetchedMessage, flag: string): boolean {
  const want = flag.toLowerCase();
  for (const f of m.flags ?? []) if (f.toLowerCase() === want) return true;
  return false;
}

export function summarize(m: FetchedMessage, preview: string | undefined): ItemSummary {
  const from = formatFrom(m.envelope?.from);
  const title = m.envelope?.subject?.trim();
  const start = iso(m.internalDate) ?? iso(m.envelope?.date);
  return {
    id: String(m.uid),
    ...(title ? { title } : {}),
    ...(from ? { from } : {}),
    ...(start ? { start } : {}),
    ...(preview ? { preview } : {}),
    unread: !hasFlag(m, '\\Seen'),
  };
}

/**
 * Whether new mail is announced: mail that arrives already read (filed by the user's own client,
 * a Sieve rule with \Seen, a copy of sent mail) or already deleted is not "new mail" to a person
 * (what Mailnag and goimapnotify users expect); it still enters the state.
 */
export function announceable(m: FetchedMessage): boolean {
  return !hasFlag(m, '\\Seen') && !hasFlag(m, '\\Deleted');
}
