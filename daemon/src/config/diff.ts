import { isDeepStrictEqual } from 'node:util';
import type { Account } from './account';

export interface AccountDiff {
  added: Account[];
  removed: string[];
  /** Accounts whose entry changed in any field: their watcher restarts. */
  changed: Account[];
  unchanged: string[];
}

/**
 * What a reload must do to the watchers. Pure, so reload restarts only accounts whose entry
 * changed and leaves open Pings of the others alone.
 */
export function diffAccounts(before: readonly Account[], after: readonly Account[]): AccountDiff {
  const old = new Map(before.map((a) => [a.id, a]));
  const diff: AccountDiff = { added: [], removed: [], changed: [], unchanged: [] };
  const kept = new Set<string>();
  for (const a of after) {
    kept.add(a.id);
    const prev = old.get(a.id);
    if (!prev) diff.added.push(a);
    else if (isDeepStrictEqual(prev, a)) diff.unchanged.push(a.id);
    else diff.changed.push(a);
  }
  for (const id of old.keys()) if (!kept.has(id)) diff.removed.push(id);
  return diff;
}
