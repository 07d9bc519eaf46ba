import type { Collection, ItemSummary } from '../signal';
import type { SyncCollectionResult, SyncRequest } from './commands/sync';
import { EasError, EasStatusError } from './errors';

/** What the Sync loop needs of a connection. */
export interface SyncConnection {
  sync(collections: SyncRequest[], signal?: AbortSignal): Promise<SyncCollectionResult[]>;
}

/** Rounds per drain; a server that keeps sending changes beyond this is asked again next Ping. */
export const MAX_ROUNDS = 40;

export interface DrainResult {
  /** Key to store. */
  syncKey: string;
  /** True when this drain set a baseline (first sync or recovery from an invalid key). */
  baseline: boolean;
  added: ItemSummary[];
  changed: ItemSummary[];
  removed: ItemSummary[];
}

/** Folds successive rounds into one net change per item. */
class Changes {
  readonly added = new Map<string, ItemSummary>();
  readonly changed = new Map<string, ItemSummary>();
  readonly removed = new Map<string, ItemSummary>();

  apply(r: SyncCollectionResult): void {
    for (const i of r.added) {
      this.removed.delete(i.id);
      this.added.set(i.id, i);
    }
    for (const i of r.changed) {
      if (this.added.has(i.id)) this.added.set(i.id, { ...this.added.get(i.id), ...i });
      else this.changed.set(i.id, i);
    }
    for (const i of r.removed) {
      // Added and removed within one burst: nothing to tell.
      if (this.added.delete(i.id)) continue;
      this.changed.delete(i.id);
      this.removed.set(i.id, i);
    }
  }
}

function quiet(r: SyncCollectionResult): boolean {
  return !r.moreAvailable && r.added.length === 0 && r.changed.length === 0 && r.removed.length === 0;
}

/**
 * Syncs one folder until the server has nothing more (MS-ASCMD 2.2.1.21): follows MoreAvailable
 * and keeps asking until an answer carries no changes — SOGo reports Status 2 to the next Ping
 * otherwise (issue #3). SyncKey "0" sets a baseline and collects nothing; an invalid key
 * (Status 3) starts a new baseline, so the recovery announces nothing.
 */
export async function drain(
  conn: SyncConnection,
  folder: { id: string; collection: Collection; syncKey: string },
  signal?: AbortSignal,
): Promise<DrainResult> {
  let key = folder.syncKey;
  let baseline = key === '0';
  const changes = new Changes();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const [r] = await conn.sync([{ id: folder.id, collection: folder.collection, syncKey: key }], signal);
    if (!r)
      throw new EasError('EAS_ERR_BAD_RESPONSE', `Sync: no answer for folder ${folder.id}`, {
        command: 'Sync',
      });
    const ctx = { command: 'Sync', easStatus: r.status };
    if (r.status === 3) {
      if (key === '0')
        throw new EasStatusError('EAS_ERR_SYNC_STATE', 'Sync: the server rejects SyncKey 0', ctx);
      key = '0';
      baseline = true;
      continue;
    }
    if (r.status === 12 || r.status === 8) {
      throw new EasStatusError(
        'EAS_ERR_HIERARCHY_CHANGED',
        `Sync: folder ${folder.id} changed or vanished`,
        ctx,
      );
    }
    if (r.status === 5 || r.status === 16) {
      throw new EasStatusError('EAS_ERR_SERVER', `Sync: server error (Status ${r.status})`, ctx);
    }
    if (r.status !== 1) throw new EasStatusError('EAS_ERR_STATUS', `Sync: Status ${r.status}`, ctx);
    const wasInitial = key === '0';
    key = r.syncKey;
    if (wasInitial) continue;
    if (!baseline) changes.apply(r);
    if (quiet(r)) break;
  }
  return {
    syncKey: key,
    baseline,
    added: [...changes.added.values()],
    changed: [...changes.changed.values()],
    removed: [...changes.removed.values()],
  };
}
