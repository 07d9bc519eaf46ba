import { ids, list, type MethodCall, str } from './api';
import type { ResultReference } from './types';

/** The small property list the daemon reads (issue 17): enough for a notification, no body. */
export const EMAIL_PROPERTIES = [
  'id',
  'mailboxIds',
  'keywords',
  'from',
  'subject',
  'preview',
  'receivedAt',
] as const;

/** One Email as the daemon keeps it (RFC 8621 §4.1). */
export interface JmapEmail {
  id: string;
  mailboxIds: string[];
  /** `$seen` absent: unread. */
  seen: boolean;
  /** "Name <address>" of the first From address. */
  from?: string;
  subject?: string;
  /** RFC 8621 §4.1.4 `preview`: up to 256 characters of plain text. */
  preview?: string;
  receivedAt?: string;
}

export interface EmailGetResponse {
  state: string;
  list: JmapEmail[];
  notFound: string[];
}

/** Cuts a server string to a size a notification can hold. */
function bounded(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function address(v: unknown): string | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const a = v[0] as { name?: unknown; email?: unknown } | null;
  if (typeof a !== 'object' || a === null) return undefined;
  const name = bounded(a.name, 100);
  const email = bounded(a.email, 200);
  if (name && email) return `${name} <${email}>`;
  return name ?? email;
}

function email(o: Record<string, unknown>): JmapEmail {
  const mailboxes = o.mailboxIds;
  const keywords = o.keywords;
  const from = address(o.from);
  const subject = bounded(o.subject, 300);
  const preview = bounded(o.preview, 200);
  return {
    id: str(o, 'id'),
    mailboxIds:
      typeof mailboxes === 'object' && mailboxes !== null
        ? Object.entries(mailboxes)
            .filter(([, on]) => on === true)
            .map(([id]) => id)
        : [],
    seen:
      typeof keywords === 'object' &&
      keywords !== null &&
      (keywords as Record<string, unknown>).$seen === true,
    ...(from ? { from } : {}),
    ...(subject ? { subject } : {}),
    ...(preview ? { preview } : {}),
    ...(typeof o.receivedAt === 'string' ? { receivedAt: o.receivedAt } : {}),
  };
}

/**
 * Email/get (RFC 8621 §4.2) of `emailIds` with the small property list. `ids: []` asks only for
 * the current state (RFC 8620 §5.1), which is how a baseline learns where to start.
 */
export function emailGet(accountId: string, emailIds: readonly string[]): MethodCall<EmailGetResponse> {
  return {
    name: 'Email/get',
    args: { accountId, ids: emailIds, properties: EMAIL_PROPERTIES },
    parse: (a) => ({
      state: str(a, 'state'),
      list: list(a, 'list').map(email),
      notFound: ids(a, 'notFound'),
    }),
  };
}

/**
 * Email/get of the ids an earlier call of the same request answered (RFC 8620 §3.7 result
 * reference): Email/changes and the Email/get of what it names go in one round trip.
 */
export function emailGetRef(accountId: string, ref: ResultReference): MethodCall<EmailGetResponse> {
  return { ...emailGet(accountId, []), args: { accountId, '#ids': ref, properties: EMAIL_PROPERTIES } };
}
