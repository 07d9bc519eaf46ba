import { createHash } from 'node:crypto';
import type { ChangeSignal, Collection } from '../signal';
import type { SyncRound } from './collection-sync';

/**
 * The signal for one Sync round of a folder, or undefined when it brought nothing to announce.
 * The id is a hash of account, folder, the SyncKey the round was requested with and the items
 * it touched: a replay after kill -9 (same key, same changes) gives the same id and the store
 * drops it.
 */
export function folderSignal(
  accountId: string,
  folder: { id: string; name: string; collection: Collection },
  result: SyncRound,
  observedAt: Date,
): ChangeSignal | undefined {
  if (result.baseline) return undefined;
  if (result.added.length + result.changed.length + result.removed.length === 0) return undefined;
  const h = createHash('sha256');
  h.update(`eas\u0000${accountId}\u0000${folder.id}\u0000${result.fromKey}`);
  for (const [tag, list] of [
    ['a', result.added],
    ['c', result.changed],
    ['r', result.removed],
  ] as const) {
    for (const id of list.map((i) => i.id).sort()) h.update(`\u0000${tag}${id}`);
  }
  return {
    id: h.digest('hex').slice(0, 32),
    accountId,
    source: 'eas',
    collection: folder.collection,
    folder: { id: folder.id, name: folder.name },
    added: result.added,
    changed: result.changed,
    removed: result.removed,
    observedAt: observedAt.toISOString(),
  };
}
