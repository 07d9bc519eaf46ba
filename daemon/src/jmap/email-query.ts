import { ids, type MethodCall } from './api';

export interface EmailQueryResponse {
  ids: string[];
  /** RFC 8620 §5.5 `total` (asked for with calculateTotal). */
  total?: number;
}

/**
 * Email/query (RFC 8621 §4.4) of one mailbox, newest first, at most `limit` ids: the set a
 * baseline or a reconcile compares with what the store holds.
 */
export function emailQuery(
  accountId: string,
  mailboxId: string,
  limit: number,
): MethodCall<EmailQueryResponse> {
  return {
    name: 'Email/query',
    args: {
      accountId,
      filter: { inMailbox: mailboxId },
      sort: [{ property: 'receivedAt', isAscending: false }],
      limit,
      calculateTotal: true,
    },
    parse: (a) => ({
      ids: ids(a, 'ids'),
      ...(typeof a.total === 'number' ? { total: a.total } : {}),
    }),
  };
}
