import type { MethodCall } from './api';
import { parseChanges } from './changes';
import type { ChangesResponse } from './types';

/** Mailbox/changes (RFC 8621 §2.2, RFC 8620 §5.2). */
export function mailboxChanges(accountId: string, sinceState: string): MethodCall<ChangesResponse> {
  return { name: 'Mailbox/changes', args: { accountId, sinceState }, parse: parseChanges };
}
