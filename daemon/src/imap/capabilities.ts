/**
 * What the session does with a server, decided once from its capability list after login. Pure.
 */
export interface ImapFeatures {
  /** RFC 5465: one connection hears every watched mailbox. */
  notify: boolean;
  /** RFC 2177. Without it the session polls with NOOP/STATUS. */
  idle: boolean;
  /** RFC 7162: HIGHESTMODSEQ in STATUS tells "nothing changed" for certain, flags included. */
  condstore: boolean;
  /** RFC 7162 §3.2: VANISHED; ENABLE QRESYNC. */
  qresync: boolean;
  /** RFC 8970 PREVIEW (or Dovecot's older PREVIEW=FUZZY / SNIPPET=FUZZY drafts). */
  preview: 'PREVIEW' | 'SNIPPET' | undefined;
}

export function featuresOf(capabilities: Iterable<string>): ImapFeatures {
  const caps = new Set([...capabilities].map((c) => c.toUpperCase()));
  return {
    notify: caps.has('NOTIFY'),
    idle: caps.has('IDLE'),
    condstore: caps.has('CONDSTORE') || caps.has('QRESYNC'),
    qresync: caps.has('QRESYNC'),
    // RFC 8970 is final; SNIPPET=FUZZY is the draft some servers (Dovecot 2.3.0–2.3.8, Fastmail) still speak.
    preview: caps.has('PREVIEW') ? 'PREVIEW' : caps.has('SNIPPET=FUZZY') ? 'SNIPPET' : undefined,
  };
}

/** The way the session listens, as `tidings status` says it. */
export function listenMode(f: ImapFeatures, mailboxes: number): string {
  if (f.notify) return `NOTIFY on ${mailboxes} mailbox${mailboxes === 1 ? '' : 'es'}`;
  if (f.idle) return mailboxes > 1 ? `IDLE on INBOX, STATUS of ${mailboxes - 1} more` : 'IDLE on INBOX';
  return `polling ${mailboxes} mailbox${mailboxes === 1 ? '' : 'es'} (no IDLE)`;
}
