import type { ChangeSignal, Collection, ItemSummary } from '../signal';

/**
 * The words a person reads for a signal: one title and a short body. Pure and shared by the
 * desktop sink, exec hooks (`TIDINGS_TITLE`/`TIDINGS_BODY`) and the tray, so a change reads the
 * same everywhere. Plain text; a sink that renders markup escapes it itself.
 */

/** Locale and zone for dates; defaults are the system's. Tests pin both. */
export interface FormatOptions {
  locale?: string;
  timeZone?: string;
}

export interface FormattedSignal {
  title: string;
  body: string;
}

/** Body lines listed before "and N more". */
const MAX_LINES = 4;

const NOUN: Record<Collection, [string, string]> = {
  mail: ['mail', 'mails'],
  calendar: ['event', 'events'],
  contacts: ['contact', 'contacts'],
  tasks: ['task', 'tasks'],
};

type Change = 'added' | 'changed' | 'removed';

/** "Alice Smith <alice@example.org>" → "Alice Smith"; a bare address stays as it is. */
export function senderName(from: string): string {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(from);
  if (!m) return from.trim();
  return (m[1] as string).trim() || (m[2] as string).trim();
}

function when(item: ItemSummary, o: FormatOptions): string | undefined {
  if (!item.start) return undefined;
  const start = new Date(item.start);
  if (Number.isNaN(start.getTime())) return undefined;
  const day = new Intl.DateTimeFormat(o.locale, {
    timeZone: o.timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(start);
  const end = item.end ? new Date(item.end) : undefined;
  if (!end || Number.isNaN(end.getTime())) return day;
  const endTime = new Intl.DateTimeFormat(o.locale, {
    timeZone: o.timeZone,
    hour: '2-digit',
    minute: '2-digit',
  }).format(end);
  return `${day}–${endTime}`;
}

/** What happened to one item, as a label: "Invitation", "Moved", "New contact" … */
function label(collection: Collection, change: Change, item: ItemSummary): string {
  if (collection === 'calendar') {
    const kind = item.kind ?? (change === 'added' ? 'new' : change === 'changed' ? 'updated' : undefined);
    if (kind === 'invitation') return 'Invitation';
    if (kind === 'new') return 'New event';
    if (kind === 'updated') return 'Updated';
    if (kind === 'moved') return 'Moved';
    if (kind === 'cancelled') return 'Cancelled';
    return 'Deleted';
  }
  const noun = NOUN[collection][0];
  const cap = noun[0]?.toUpperCase() + noun.slice(1);
  if (change === 'added') return `New ${noun}`;
  if (change === 'changed') return `${cap} updated`;
  return `${cap} removed`;
}

function itemTitle(item: ItemSummary): string {
  return item.title?.trim() || '(no title)';
}

/** One line per item in a multi-item body. */
function line(s: ChangeSignal, change: Change, item: ItemSummary, o: FormatOptions): string {
  if (s.collection === 'mail') {
    const who = item.from ? `${senderName(item.from)} — ` : '';
    return change === 'added'
      ? `${who}${itemTitle(item)}`
      : `${label('mail', change, item)}: ${itemTitle(item)}`;
  }
  const at = s.collection === 'calendar' ? when(item, o) : undefined;
  return `${label(s.collection, change, item)}: ${itemTitle(item)}${at ? ` — ${at}` : ''}`;
}

function single(s: ChangeSignal, change: Change, item: ItemSummary, o: FormatOptions): FormattedSignal {
  if (s.collection === 'mail' && change === 'added') {
    const title = item.from ? `${senderName(item.from)} — ${itemTitle(item)}` : itemTitle(item);
    return { title, body: item.preview?.trim() || `in ${s.folder.name}` };
  }
  const title = `${label(s.collection, change, item)}: ${itemTitle(item)}`;
  const parts: string[] = [];
  if (s.collection === 'calendar') {
    const at = when(item, o);
    if (at) parts.push(at);
    if (item.location) parts.push(item.location);
    if (item.from && item.kind === 'invitation') parts.push(`from ${senderName(item.from)}`);
  } else if (item.preview) {
    parts.push(item.preview.trim());
  }
  return { title, body: parts.join(' · ') || `in ${s.folder.name}` };
}

/** Formats a signal for people: "Alice — Meeting moved", "10 new mails in Inbox" … */
export function formatSignal(s: ChangeSignal, o: FormatOptions = {}): FormattedSignal {
  const changes: [Change, ItemSummary][] = [
    ...s.added.map((i): [Change, ItemSummary] => ['added', i]),
    ...s.changed.map((i): [Change, ItemSummary] => ['changed', i]),
    ...s.removed.map((i): [Change, ItemSummary] => ['removed', i]),
  ];
  const [first] = changes;
  if (!first) return { title: `${s.folder.name}: no changes`, body: s.accountId };
  if (changes.length === 1) return single(s, first[0], first[1], o);
  const [one, many] = NOUN[s.collection];
  const counts = (['added', 'changed', 'removed'] as const)
    .map((c) => [c, s[c].length] as const)
    .filter(([, n]) => n > 0);
  const adjective = { added: 'new', changed: 'changed', removed: 'removed' } as const;
  const title =
    counts.length === 1
      ? `${changes.length} ${adjective[counts[0]?.[0] as Change]} ${many} in ${s.folder.name}`
      : `${s.folder.name}: ${counts.map(([c, n]) => `${n} ${adjective[c]}`).join(', ')} ${changes.length === 1 ? one : many}`;
  const lines = changes.slice(0, MAX_LINES).map(([c, i]) => line(s, c, i, o));
  if (changes.length > MAX_LINES) lines.push(`and ${changes.length - MAX_LINES} more`);
  return { title, body: lines.join('\n') };
}

/**
 * The part of a signal worth interrupting a person for, or undefined. New mail is; a mail
 * marked read or deleted elsewhere is not. Every calendar change is (a cancelled meeting
 * matters as much as a new one). New and changed contacts and tasks are; removals are not.
 */
export function notableChanges(s: ChangeSignal): ChangeSignal | undefined {
  const out: ChangeSignal =
    s.collection === 'mail'
      ? { ...s, changed: [], removed: [] }
      : s.collection === 'calendar'
        ? s
        : { ...s, removed: [] };
  return out.added.length + out.changed.length + out.removed.length > 0 ? out : undefined;
}
