import type { AccountSummary, DaemonStatus } from '../ipc/protocol';
import { localDateTime, type ZoneOption } from '../local-time';

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
