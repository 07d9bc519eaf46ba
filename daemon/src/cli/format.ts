import type { AccountSummary, DaemonStatus } from '../ipc/protocol';
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
export function formatSignal(s: ChangeSignal, o: ZoneOption = {}): string {
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

function accountLine(a: AccountSummary, o: ZoneOption): string {
  const st = a.status;
  const detail = st.detail ? ` — ${st.detail}` : '';
  const retry = st.retryAt ? ` (retry at ${localDateTime(st.retryAt, { ...o, seconds: true })})` : '';
  const err = st.lastError ? ` [${st.lastError.code}: ${st.lastError.message}]` : '';
  const unseen = a.unseen ? `, ${a.unseen} unseen` : '';
  return `  ${a.id} (${a.kind}${a.enabled ? '' : ', disabled'}): ${st.state}${detail}${retry}${err}${unseen}`;
}

/** `tidings status` as text. */
export function formatStatus(s: DaemonStatus, o: ZoneOption = {}): string {
  const lines = [
    `tidings ${s.version} (pid ${s.pid}) up since ${localDateTime(s.startedAt, { ...o, seconds: true })}${s.demo ? ' — DEMO mode' : ''}`,
    `config: ${s.configPath}`,
  ];
  if (s.pausedUntil) lines.push(`notifications paused until ${localDateTime(s.pausedUntil, o)}`);
  if (s.quietHours)
    lines.push(
      `quiet hours ${s.quietHours.start}–${s.quietHours.end}${s.quietHours.active ? ' (now quiet)' : ''}`,
    );
  lines.push(
    s.accounts.length ? 'accounts:' : 'no accounts configured (tidings account add exchange|caldav|carddav)',
  );
  for (const a of s.accounts) lines.push(accountLine(a, o));
  return lines.join('\n');
}
