/**
 * A signal as lines a person reads in a terminal. Its own room below the daemon and the CLI so
 * both print it without the daemon importing cli/ (issue 17, room cycles). The notification
 * wording (title + body) is sinks/format.ts; this is the log-like form with the local clock.
 */
import { clockTime, localDateTime, type ZoneOption } from '../local-time';
import type { ChangeSignal, ItemSummary } from '../signal';

const VERB: Record<ChangeSignal['collection'], string> = {
  mail: 'mail',
  calendar: 'event',
  contacts: 'contact',
  tasks: 'task',
};

function item(s: ChangeSignal, i: ItemSummary, o: ZoneOption): string {
  const parts = [i.title ?? i.id];
  if (i.from) parts.push(`from ${i.from}`);
  // Event starts in local time, one format whatever the source (EAS sends UTC, CalDAV an offset).
  if (i.start && (s.collection === 'calendar' || i.kind !== undefined))
    parts.push(`at ${localDateTime(i.start, o)}`);
  return parts.join(' — ');
}

/**
 * One signal as lines a person reads (`tidings watch` without --json, and the demo daemon's
 * stdout): a head line, then one line per item.
 */
export function formatSignalLines(s: ChangeSignal, o: ZoneOption = {}): string {
  const time = clockTime(s.observedAt, o);
  const counts = [
    s.added.length ? `${s.added.length} new` : '',
    s.changed.length ? `${s.changed.length} changed` : '',
    s.removed.length ? `${s.removed.length} removed` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const head = `${time} ${s.accountId} ${s.folder.name}: ${counts} ${VERB[s.collection]}${s.added.length + s.changed.length + s.removed.length === 1 ? '' : 's'}`;
  const lines = [head];
  for (const i of s.added) lines.push(`  + ${item(s, i, o)}`);
  for (const i of s.changed) lines.push(`  ~ ${item(s, i, o)}`);
  for (const i of s.removed) lines.push(`  - ${i.title ?? i.id}`);
  return lines.join('\n');
}
