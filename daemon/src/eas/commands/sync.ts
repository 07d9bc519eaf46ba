import { all, child, has, int, ns, text, type WbxmlElement } from '@tidings/wbxml/core';
import type { Collection, ItemSummary } from '../../signal';
import type { EasConnection } from '../connection';
import { commonStatusError, EasError, EasStatusError } from '../errors';
import { summarize } from '../items';

const as = ns('AirSync');
const asb = ns('AirSyncBase');
const email = ns('Email');

/** Items per response: small, so a burst arrives in a few quick rounds (MS-ASCMD 2.2.3.199). */
export const WINDOW_SIZE = 25;
/** Body bytes fetched per item: enough for a ≤ 200-char preview (MS-ASAIRS 2.2.2.40.1). */
export const PREVIEW_BYTES = 200;

/**
 * FilterType per collection (MS-ASCMD 2.2.3.68): mail from the last 3 days (2), events from two
 * weeks back on (4). A notifier never needs older items, and the baseline stays cheap.
 */
const FILTER: Partial<Record<Collection, number>> = { mail: 2, calendar: 4 };

/** A change the client makes to an item (MS-ASCMD 2.2.3.24.2 Change): only the read flag today. */
export interface ClientChange {
  /** The item's ServerId. */
  id: string;
  /** Email:Read (MS-ASEMAIL 2.2.2.58): true marks the mail read. */
  read: boolean;
}

export interface SyncRequest {
  id: string;
  collection: Collection;
  syncKey: string;
  /** Client changes sent in this request's Commands (never with SyncKey 0, MS-ASCMD 2.2.3.166.4). */
  changes?: ClientChange[];
}

/** The server's answer to one client command that failed (MS-ASCMD 2.2.3.150 Responses). */
export interface ClientChangeResponse {
  id: string;
  /** Sync Status for this item (MS-ASCMD 2.2.3.177.17): 6 conversion error, 7 conflict, 8 not found. */
  status: number;
}

export interface SyncCollectionResult {
  id: string;
  /** Collection Status (MS-ASCMD 2.2.3.177.17); 1 = success. */
  status: number;
  syncKey: string;
  moreAvailable: boolean;
  added: ItemSummary[];
  changed: ItemSummary[];
  removed: ItemSummary[];
  /** Client changes the server answered on (only failures are answered, MS-ASCMD 2.2.3.24.1). */
  responses: ClientChangeResponse[];
}

function changeElement(c: ClientChange): WbxmlElement {
  return as('Change', as('ServerId', c.id), as('ApplicationData', email('Read', c.read ? 1 : 0)));
}

function collectionElement(r: SyncRequest): WbxmlElement {
  const initial = r.syncKey === '0';
  const filter = FILTER[r.collection];
  const changes = initial ? [] : (r.changes ?? []);
  // MS-ASCMD 2.2.3.79: GetChanges is not sent with SyncKey 0; element order follows the schema
  // (Commands after Options, MS-ASCMD 2.2.3.29.2).
  return as(
    'Collection',
    as('SyncKey', r.syncKey),
    as('CollectionId', r.id),
    !initial && as('DeletesAsMoves', 1),
    !initial && as('GetChanges', 1),
    !initial && as('WindowSize', WINDOW_SIZE),
    as(
      'Options',
      filter !== undefined && as('FilterType', filter),
      asb('BodyPreference', asb('Type', 1), asb('TruncationSize', PREVIEW_BYTES)),
    ),
    changes.length > 0 && as('Commands', changes.map(changeElement)),
  );
}

function parseCollection(
  c: WbxmlElement,
  req: SyncRequest | undefined,
  fallbackKey: string,
): SyncCollectionResult {
  const id = text(c, 'CollectionId') ?? req?.id ?? '';
  const collection = req?.collection ?? 'mail';
  const commands = child(c, 'Commands');
  const read = (tag: string, isAdd: boolean): ItemSummary[] =>
    all(commands, tag).map((e) =>
      summarize(collection, text(e, 'ServerId') ?? '', child(e, 'ApplicationData'), isAdd),
    );
  return {
    id,
    status: int(c, 'Status') ?? 1,
    syncKey: text(c, 'SyncKey') ?? fallbackKey,
    moreAvailable: has(c, 'MoreAvailable'),
    added: read('Add', true),
    changed: read('Change', false),
    removed: [...all(commands, 'Delete'), ...all(commands, 'SoftDelete')].map((e) => ({
      id: text(e, 'ServerId') ?? '',
    })),
    responses: all(child(c, 'Responses'), 'Change').map((e) => ({
      id: text(e, 'ServerId') ?? '',
      status: int(e, 'Status') ?? 1,
    })),
  };
}

/**
 * One Sync request for several collections (MS-ASCMD 2.2.1.21). An empty 200 body means "no
 * changes" for all of them. A top-level Status (12 hierarchy changed, 13 empty request, common
 * statuses) throws; per-collection statuses are returned for the caller to recover.
 */
export async function run(
  conn: EasConnection,
  params: { collections: SyncRequest[]; signal?: AbortSignal },
): Promise<SyncCollectionResult[]> {
  const res = await conn.send(
    'Sync',
    as('Sync', as('Collections', params.collections.map(collectionElement))),
    params.signal ? { signal: params.signal } : {},
  );
  if (!res) {
    return params.collections.map((r) => ({
      id: r.id,
      status: 1,
      syncKey: r.syncKey,
      moreAvailable: false,
      added: [],
      changed: [],
      removed: [],
      responses: [],
    }));
  }
  if (res.tag !== 'Sync')
    throw new EasError('EAS_ERR_BAD_RESPONSE', 'Sync: no Sync element', { command: 'Sync' });
  const top = int(res, 'Status');
  if (top !== undefined && top !== 1) {
    const ctx = { command: 'Sync', easStatus: top };
    if (top === 12)
      throw new EasStatusError(
        'EAS_ERR_HIERARCHY_CHANGED',
        'Sync: folder hierarchy changed (Status 12)',
        ctx,
      );
    throw commonStatusError('Sync', top) ?? new EasStatusError('EAS_ERR_STATUS', `Sync: Status ${top}`, ctx);
  }
  const byId = new Map(params.collections.map((r) => [r.id, r]));
  return all(child(res, 'Collections'), 'Collection').map((c) => {
    const req = byId.get(text(c, 'CollectionId') ?? '');
    return parseCollection(c, req, req?.syncKey ?? '0');
  });
}
