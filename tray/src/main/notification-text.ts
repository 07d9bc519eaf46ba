import type { ChangeSignal, EventKind, ItemSummary } from '../../../daemon/src/signal';

/**
 * The words of a desktop notification for one coalesced signal. Pure: locale and time zone
 * are passed in so the same signal always reads the same in tests.
 */
export interface NotificationText {
  title: string;
  body: string;
}

export interface TextOptions {
  locale?: string;
  timeZone?: string;
  /** Shown in multi-item titles so a person with two accounts knows which one. */
  accountName?: string;
}

/** How many item lines a multi-item body lists before "and N more". */
const MAX_LINES = 3;

/** "Alice Example <alice@example.org>" → "Alice Example"; a bare address stays as it is. */
export function senderName(from: string | undefined): string | undefined {
  if (from === undefined) return undefined;
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(from);
  if (!m) return from.trim() || undefined;
  return m[1]?.trim() || m[2]?.trim();
}

/** "Thu 27 Nov, 14:00–15:00" (end omitted when absent or on another day). */
export function formatWhen(start: string | undefined, end: string | undefined, opts: TextOptions): string {
  if (start === undefined) return '';
  const s = new Date(start);
  if (Number.isNaN(s.getTime())) return '';
  const day = new Intl.DateTimeFormat(opts.locale, {
    timeZone: opts.timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
  });
  const time = new Intl.DateTimeFormat(opts.locale, {
    timeZone: opts.timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const head = `${day.format(s)}, ${time.format(s)}`;
  if (end === undefined) return head;
  const e = new Date(end);
  if (Number.isNaN(e.getTime()) || day.format(e) !== day.format(s)) return head;
  return `${head}–${time.format(e)}`;
}

/** The calendar change as a person says it; a removed event is a cancelled one. */
function eventKind(item: ItemSummary, bucket: 'added' | 'changed' | 'removed'): EventKind {
  if (bucket === 'removed') return 'cancelled';
  return item.kind ?? (bucket === 'added' ? 'new' : 'updated');
}

const EVENT_PREFIX: Record<EventKind, string> = {
  invitation: 'Invitation',
  new: 'New event',
  updated: 'Updated',
  moved: 'Moved',
  cancelled: 'Cancelled',
};

function listBody(lines: string[]): string {
  const shown = lines.slice(0, MAX_LINES);
  if (lines.length > MAX_LINES) shown.push(`and ${lines.length - MAX_LINES} more`);
  return shown.join('\n');
}

function inAccount(opts: TextOptions): string {
  return opts.accountName ? ` — ${opts.accountName}` : '';
}

function mailText(s: ChangeSignal, opts: TextOptions): NotificationText | undefined {
  // Read-flag changes and deletions are not news: only arrivals are announced.
  const items = s.added;
  const [first] = items;
  if (first === undefined) return undefined;
  if (items.length === 1) {
    return {
      title: senderName(first.from) ?? 'New message',
      body: first.title?.trim() || '(no subject)',
    };
  }
  return {
    title: `${items.length} new messages in ${s.folder.name}${inAccount(opts)}`,
    body: listBody(
      items.map((i) => `${senderName(i.from) ?? 'Unknown sender'}: ${i.title?.trim() || '(no subject)'}`),
    ),
  };
}

function calendarText(s: ChangeSignal, opts: TextOptions): NotificationText | undefined {
  const items = [
    ...s.added.map((i) => ({ i, kind: eventKind(i, 'added') })),
    ...s.changed.map((i) => ({ i, kind: eventKind(i, 'changed') })),
    ...s.removed.map((i) => ({ i, kind: eventKind(i, 'removed') })),
  ];
  const [first] = items;
  if (first === undefined) return undefined;
  const title = (i: ItemSummary) => i.title?.trim() || '(untitled event)';
  if (items.length === 1) {
    const when = formatWhen(first.i.start, first.i.end, opts);
    const lines = [when, first.i.location, first.i.from ? `from ${senderName(first.i.from)}` : undefined];
    return {
      title: `${EVENT_PREFIX[first.kind]}: ${title(first.i)}`,
      body: lines.filter((l): l is string => !!l).join('\n'),
    };
  }
  return {
    title: `${items.length} calendar changes in ${s.folder.name}${inAccount(opts)}`,
    body: listBody(
      items.map(({ i, kind }) => {
        const when = formatWhen(i.start, undefined, opts);
        return `${EVENT_PREFIX[kind]}: ${title(i)}${when ? ` — ${when}` : ''}`;
      }),
    ),
  };
}

function namedItemsText(
  s: ChangeSignal,
  noun: { one: string; many: string; untitled: string },
  opts: TextOptions,
): NotificationText | undefined {
  const items = [
    ...s.added.map((i) => ({ i, verb: 'New' })),
    ...s.changed.map((i) => ({ i, verb: 'Updated' })),
    ...s.removed.map((i) => ({ i, verb: 'Removed' })),
  ];
  const [first] = items;
  if (first === undefined) return undefined;
  const name = (i: ItemSummary) => i.title?.trim() || noun.untitled;
  if (items.length === 1) return { title: `${first.verb} ${noun.one}`, body: name(first.i) };
  return {
    title: `${items.length} ${noun.many} changed${inAccount(opts)}`,
    body: listBody(items.map(({ i, verb }) => `${verb}: ${name(i)}`)),
  };
}

/**
 * Title and body for a signal, or undefined when it carries nothing worth a notification
 * (a mail signal with only read-flag changes or deletions).
 */
export function notificationText(s: ChangeSignal, opts: TextOptions = {}): NotificationText | undefined {
  switch (s.collection) {
    case 'mail':
      return mailText(s, opts);
    case 'calendar':
      return calendarText(s, opts);
    case 'contacts':
      return namedItemsText(s, { one: 'contact', many: 'contacts', untitled: '(no name)' }, opts);
    case 'tasks':
      return namedItemsText(s, { one: 'task', many: 'tasks', untitled: '(untitled task)' }, opts);
  }
}
