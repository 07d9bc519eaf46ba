import type { JmapMailbox } from './mailbox-get';

/**
 * The mailboxes to watch: each configured entry names a mailbox by id, role (`inbox`, `junk` …,
 * RFC 8457) or name (case-insensitive); without a list, the Inbox — what a Mailnag or
 * goimapnotify user watches by default.
 */
export function selectMailboxes(all: readonly JmapMailbox[], configured?: readonly string[]): JmapMailbox[] {
  const wanted = configured && configured.length > 0 ? configured : ['inbox'];
  const out: JmapMailbox[] = [];
  for (const w of wanted) {
    const lw = w.toLowerCase();
    const m =
      all.find((x) => x.id === w) ??
      all.find((x) => x.role === lw) ??
      all.find((x) => x.name.toLowerCase() === lw);
    if (m && !out.includes(m)) out.push(m);
  }
  return out;
}
