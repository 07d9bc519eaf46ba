import { all, child, int, ns, textOf, type WbxmlElement } from '@tidings/wbxml/core';
import type { EasConnection } from '../connection';
import { commonStatusError, EasError } from '../errors';
import { PING_MARGIN } from '../heartbeat';

const pg = ns('Ping');

export interface PingFolder {
  id: string;
  class: 'Email' | 'Calendar' | 'Contacts' | 'Tasks';
}

export interface PingRequest {
  /** Seconds the server may hold the request (MS-ASCMD 2.2.3.84.2). */
  heartbeat: number;
  /**
   * Folders to watch, or `'cached'` for the empty-Ping shortcut: no body, the server reuses the
   * last full request (MS-ASCMD 2.2.1.13) and answers Status 3 if it has none.
   */
  folders: PingFolder[] | 'cached';
  /** Told when the Ping went out again after a reused socket died: its lifetime starts anew. */
  onResend?: () => void;
  signal?: AbortSignal;
}

export interface PingResult {
  /** MS-ASCMD 2.2.3.177.11: 1 expired, 2 changes, 3 missing parameters, 4 syntax error,
   * 5 heartbeat out of bounds, 6 too many folders, 7 hierarchy sync needed, 8 server error. */
  status: number;
  /** Folders with changes (Status 2). */
  changed: string[];
  /** Server's bound for Status 5. */
  heartbeat?: number;
  /** Server's limit for Status 6. */
  maxFolders?: number;
}

/**
 * Ping (MS-ASCMD 2.2.1.13): one hanging request for every watched folder. The HTTP deadline is
 * the heartbeat plus a margin, set per request. Statuses 1–8 are returned for the watcher to act
 * on; common statuses (≥ 101) throw.
 */
export function run(conn: EasConnection, params: PingRequest): Promise<PingResult> {
  const body =
    params.folders === 'cached'
      ? undefined
      : pg(
          'Ping',
          pg('HeartbeatInterval', params.heartbeat),
          pg(
            'Folders',
            params.folders.map((f) => pg('Folder', pg('Id', f.id), pg('Class', f.class))),
          ),
        );
  // Not async: a parked Ping keeps every async frame above it alive (eas/client.ts, send).
  return conn
    .send('Ping', body, {
      timeoutMs: (params.heartbeat + PING_MARGIN) * 1000,
      ...(params.onResend ? { onResend: params.onResend } : {}),
      ...(params.signal ? { signal: params.signal } : {}),
    })
    .then(result);
}

function result(res: WbxmlElement | undefined): PingResult {
  const status = int(res, 'Status');
  if (!res || status === undefined)
    throw new EasError('EAS_ERR_BAD_RESPONSE', 'Ping: no Status', { command: 'Ping' });
  if (status > 100) {
    const e = commonStatusError('Ping', status);
    if (e) throw e;
  }
  const out: PingResult = {
    status,
    changed: all(child(res, 'Folders'), 'Folder').map((f) => textOf(f)?.trim() ?? ''),
  };
  const hb = int(res, 'HeartbeatInterval');
  if (hb !== undefined) out.heartbeat = hb;
  const max = int(res, 'MaxFolders');
  if (max !== undefined) out.maxFolders = max;
  return out;
}
