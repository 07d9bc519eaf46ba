import { all, child, int, ns, text, type WbxmlElement } from '@tidings/wbxml/core';
import type { EasConnection } from '../connection';
import { commonStatusError, EasError, EasStatusError } from '../errors';
import type { EasFolder, HierarchyChanges } from '../folders';

const fh = ns('FolderHierarchy');

export interface FolderSyncResult extends HierarchyChanges {
  syncKey: string;
}

function folderOf(e: WbxmlElement): EasFolder {
  return {
    id: text(e, 'ServerId') ?? '',
    parentId: text(e, 'ParentId') ?? '0',
    name: text(e, 'DisplayName') ?? '',
    type: int(e, 'Type') ?? 18,
  };
}

/**
 * FolderSync (MS-ASCMD 2.2.1.5): the hierarchy's adds, updates (renames, moves) and deletes
 * since `syncKey` ("0" for all). Status 9 (stale key) throws EAS_ERR_SYNC_STATE so the caller
 * restarts from "0"; Status 6 is a server error.
 */
export async function run(
  conn: EasConnection,
  params: { syncKey: string; signal?: AbortSignal },
): Promise<FolderSyncResult> {
  const res = await conn.send(
    'FolderSync',
    fh('FolderSync', fh('SyncKey', params.syncKey)),
    params.signal ? { signal: params.signal } : {},
  );
  if (!res)
    throw new EasError('EAS_ERR_BAD_RESPONSE', 'FolderSync: empty response', { command: 'FolderSync' });
  const status = int(res, 'Status');
  const ctx = { command: 'FolderSync', easStatus: status ?? 0 };
  if (status === 9)
    throw new EasStatusError('EAS_ERR_SYNC_STATE', 'FolderSync: invalid folder sync key (Status 9)', ctx);
  if (status === 6) throw new EasStatusError('EAS_ERR_SERVER', 'FolderSync: server error (Status 6)', ctx);
  if (status !== 1) {
    throw (
      (status !== undefined && commonStatusError('FolderSync', status)) ||
      new EasStatusError('EAS_ERR_STATUS', `FolderSync: Status ${status ?? 'missing'}`, ctx)
    );
  }
  const changes = child(res, 'Changes');
  return {
    syncKey: text(res, 'SyncKey') ?? params.syncKey,
    added: all(changes, 'Add').map(folderOf),
    updated: all(changes, 'Update').map(folderOf),
    deleted: all(changes, 'Delete').map((d) => text(d, 'ServerId') ?? ''),
  };
}
