import type { Collection, ItemSummary } from '../signal';
import type { ClientChange, ClientChangeResponse, SyncCollectionResult, SyncRequest } from './commands/sync';
import { EasError, EasStatusError } from './errors';

/** What the Sync loop needs of a connection. */
export interface SyncConnection {
  sync(collections: SyncRequest[], signal?: AbortSignal): Promise<SyncCollectionResult[]>;
}

/** Rounds per drain; a server that keeps sending changes beyond this is asked again next Ping. */
export const MAX_ROUNDS = 40;

/**
 * One Sync round, handed to the caller to commit before the next request: the key it moved to,
 * with the changes it brought. Committing per round is what makes a kill -9 mid-burst safe —
 * the server keeps only the latest key or two, so a replay must start from the last one the
 * server handed out, never from where the burst began.
 */
export interface SyncRound {
  /** Key the round was requested with ("0" for the first of a baseline). */
  fromKey: string;
  /** Key to store. */
  syncKey: string;
  /** This round belongs to a baseline: its items are the folder's existing content, not news. */
  baseline: boolean;
  /** The server has nothing more: the folder is quiet (and a baseline is complete). */
  done: boolean;
  added: ItemSummary[];
  changed: ItemSummary[];
  removed: ItemSummary[];
}

function quiet(r: SyncCollectionResult): boolean {
  return !r.moreAvailable && r.added.length === 0 && r.changed.length === 0 && r.removed.length === 0;
}

/** How a drain ended, for the caller to learn whether its server needs `confirm`. */
export interface DrainResult {
  /** The first answer carried no changes: the Ping that sent us here had nothing to report. */
  firstQuiet: boolean;
  /** The drain ended on an answer without changes (the server has seen us use its last key). */
  confirmed: boolean;
  /**
   * `changes` given: the server's per-item answers to them (only failures are answered,
   * MS-ASCMD 2.2.3.24.1); undefined when the drain ended before a round could carry them.
   */
  responses?: ClientChangeResponse[];
}

/**
 * Syncs one folder until the server has nothing more (MS-ASCMD 2.2.1.21), committing each round
 * through `commit` (awaited) before the next request carries its key; follows MoreAvailable.
 * With `confirm` it keeps asking until an answer carries no changes: SOGo compares a Ping with
 * the last key the client has *used*, so it reports Status 2 to the next Ping until one more Sync
 * presents the new key (issue #3). Exchange and the fixture compare with the last key handed out,
 * where that extra Sync is a wasted round trip per change, so it is off by default and the
 * watcher turns it on when it sees the SOGo pattern (DrainResult).
 * SyncKey "0" (or `baseline`, when a baseline was interrupted) collects nothing and is always
 * confirmed; an invalid key (Status 3) starts a new baseline, so the recovery announces nothing.
 */
export async function drain(
  conn: SyncConnection,
  folder: { id: string; collection: Collection; syncKey: string; baseline?: boolean },
  commit: (round: SyncRound) => unknown,
  signal?: AbortSignal,
  opts: { confirm?: boolean; changes?: ClientChange[] } = {},
): Promise<DrainResult> {
  const confirm = opts.confirm ?? true;
  let key = folder.syncKey;
  let baseline = key === '0' || folder.baseline === true;
  let firstQuiet = false;
  // Client changes ride on the first round that may carry Commands (not SyncKey 0) and again
  // after a Status 3 reset, until a round answers Status 1: then the server has applied them.
  let changes = opts.changes?.length ? opts.changes : undefined;
  let responses: ClientChangeResponse[] | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const carried = key !== '0' ? changes : undefined;
    const [r] = await conn.sync(
      [
        {
          id: folder.id,
          collection: folder.collection,
          syncKey: key,
          ...(carried ? { changes: carried } : {}),
        },
      ],
      signal,
    );
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
    if (carried) {
      changes = undefined;
      responses = r.responses;
    }
    // MS-ASCMD 2.2.3.166.4: the answer to SyncKey 0 carries a key and no items, never "done".
    // A round that carried our changes moved the key even without news: not a confirming
    // answer (SOGo compares Pings with the key used last), so `confirm` asks once more.
    const isQuiet = key !== '0' && quiet(r) && !carried;
    if (round === 0) firstQuiet = isQuiet;
    const done = isQuiet || (!confirm && !baseline && key !== '0' && !r.moreAvailable);
    await commit({
      fromKey: key,
      syncKey: r.syncKey,
      baseline,
      done,
      added: baseline ? [] : r.added,
      changed: baseline ? [] : r.changed,
      removed: baseline ? [] : r.removed,
    });
    key = r.syncKey;
    if (done) return { firstQuiet, confirmed: isQuiet, ...(responses ? { responses } : {}) };
  }
  return { firstQuiet, confirmed: false, ...(responses ? { responses } : {}) };
}
