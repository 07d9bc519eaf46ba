import { ids, str } from './api';
import type { ChangesResponse } from './types';

/** Parses a standard /changes answer (RFC 8620 §5.2); shared by Email/changes and Mailbox/changes. */
export function parseChanges(a: Record<string, unknown>): ChangesResponse {
  return {
    accountId: str(a, 'accountId'),
    oldState: str(a, 'oldState'),
    newState: str(a, 'newState'),
    hasMoreChanges: a.hasMoreChanges === true,
    created: ids(a, 'created'),
    updated: ids(a, 'updated'),
    destroyed: ids(a, 'destroyed'),
  };
}
