/**
 * imapflow's raw command path, typed narrowly. `exec` and the untagged-handler table are how
 * imapflow's own commands (lib/commands/*.js) talk to the wire; they are not in its .d.ts, so
 * the two extensions imapflow lacks — NOTIFY (RFC 5465) and PREVIEW (RFC 8970) — reach them
 * through this one file and no other.
 */
import type { ImapFlow } from 'imapflow';

/** A token of imapflow's parser/compiler: ATOM, STRING, LITERAL, SEQUENCE, NUMBER, or a list. */
export type RawToken = { type: string; value: unknown } | RawToken[];

export interface RawUntagged {
  /** "STATUS", "LIST", or the sequence number of a FETCH/EXISTS. */
  command: string;
  attributes?: RawToken[];
}

export type UntaggedHandler = (untagged: RawUntagged) => void | Promise<void>;

export interface RawConnection {
  exec(
    command: string,
    attributes: RawToken[] | false,
    options?: { untagged?: Record<string, UntaggedHandler>; comment?: string },
  ): Promise<{ next(): void }>;
  untaggedHandlers: Record<string, UntaggedHandler | null | undefined>;
}

export function raw(c: ImapFlow): RawConnection {
  const r = c as unknown as Partial<RawConnection>;
  if (typeof r.exec !== 'function' || typeof r.untaggedHandlers !== 'object' || r.untaggedHandlers === null)
    throw new Error('imapflow no longer has exec()/untaggedHandlers: see daemon/src/imap/raw.ts');
  return r as RawConnection;
}

/** The text of an atom, string or literal token; undefined for a list or NIL. */
export function tokenText(t: RawToken | undefined): string | undefined {
  if (t === undefined || Array.isArray(t)) return undefined;
  const v = t.value;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}
