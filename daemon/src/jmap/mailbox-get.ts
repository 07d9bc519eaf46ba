import { list, type MethodCall, str } from './api';

/** A mailbox as the daemon keeps it (RFC 8621 §2.1). */
export interface JmapMailbox {
  id: string;
  name: string;
  /** RFC 8457 role in lower case: inbox, junk, sent … */
  role?: string;
}

export interface MailboxGetResponse {
  state: string;
  list: JmapMailbox[];
}

/** Mailbox/get (RFC 8621 §2.1) of every mailbox (`ids: null`) with the properties the daemon shows. */
export function mailboxGet(accountId: string): MethodCall<MailboxGetResponse> {
  return {
    name: 'Mailbox/get',
    args: { accountId, ids: null, properties: ['id', 'name', 'role'] },
    parse: (a) => ({
      state: str(a, 'state'),
      list: list(a, 'list').map((m) => ({
        id: str(m, 'id'),
        name: typeof m.name === 'string' ? m.name.slice(0, 200) : str(m, 'id'),
        ...(typeof m.role === 'string' ? { role: m.role.toLowerCase() } : {}),
      })),
    }),
  };
}
