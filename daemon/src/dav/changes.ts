import { createHash } from 'node:crypto';
import type { ChangeSignal, ItemSummary, SignalSource } from '../signal';
import { type ItemState, classifyEvent, toSummary } from './classify';
import type { DavCollection } from './collection';
import type { ItemDigest } from './content';

/** What we store per watched collection between checks (one store key per collection). */
export interface CollectionState {
  name: string;
  type: DavCollection['type'];
  /** RFC 6578 sync token of the last commit. */
  token?: string;
  ctag?: string;
  items: Record<string, ItemState>;
}

/** What to do with a collection this check. */
export type CollectionStep =
  | { kind: 'baseline' }
  | { kind: 'sync'; from: string }
  | { kind: 'etag' }
  | { kind: 'none' };

/**
 * Pure: the step for one collection, from the home PROPFIND and the stored state. A first sight
 * takes a baseline; a token that moved syncs from the stored token (RFC 6578 §3.2); a collection
 * without tokens is ETag-diffed when its ctag moved or, lacking a ctag too, on every check.
 */
export function planCollection(live: DavCollection, stored: CollectionState | undefined): CollectionStep {
  if (stored === undefined) return { kind: 'baseline' };
  if (live.syncToken !== undefined) {
    if (stored.token === live.syncToken) return { kind: 'none' };
    return stored.token === undefined ? { kind: 'etag' } : { kind: 'sync', from: stored.token };
  }
  if (live.ctag !== undefined && stored.ctag === live.ctag) return { kind: 'none' };
  return { kind: 'etag' };
}

/** Members that moved since the stored state, as a sync report or ETag diff found them. */
export interface MemberChanges {
  /** Added or changed hrefs with their new ETag when known. */
  upserted: { href: string; etag?: string }[];
  removed: string[];
}

/** Pure: the hrefs whose content must be fetched (new, or an ETag we do not have). */
export function hrefsToFetch(stored: CollectionState, changes: MemberChanges): string[] {
  return changes.upserted
    .filter((m) => m.etag === undefined || stored.items[m.href]?.etag !== m.etag)
    .map((m) => m.href);
}

export interface DeltaInput {
  accountId: string;
  source: SignalSource;
  collection: DavCollection;
  stored: CollectionState;
  changes: MemberChanges;
  /** Digest and ETag of each fetched member; a member missing here vanished meanwhile. */
  fetched: ReadonlyMap<string, { etag?: string; digest: ItemDigest }>;
  /** The token to store: the sync report's (RFC 6578 §6.4), else none. */
  token?: string;
  /** Identifies the step: old → new token, or the ETag-set hash; makes the signal id stable. */
  fromKey: string;
  toKey: string;
  observedAt: string;
}

/**
 * Pure: the next stored state and the signal (undefined when nothing a person would notice
 * changed). The id hashes account, collection, the step's from/to keys and what it announces, so
 * a step replayed after a crash yields the same id and the store's outbox drops it
 * (store/types.ts). The announced items are part of the id because the from/to keys alone can
 * repeat with different news: SOGo answers two reports within one second with the same token
 * pair, and a token kept back for an open second (second-token.ts) starts two rounds.
 */
export function buildDelta(input: DeltaInput): { state: CollectionState; signal?: ChangeSignal } {
  const { stored, changes, fetched, collection } = input;
  const items: Record<string, ItemState> = { ...stored.items };
  const added: ItemSummary[] = [];
  const changed: ItemSummary[] = [];
  const removed: ItemSummary[] = [];
  /** What this step announces, as (href, ETag) pairs: the content part of the signal id. */
  const announced: [string, string | undefined][] = [];
  const calendarish = collection.type !== 'contacts';
  for (const m of changes.upserted) {
    const got = fetched.get(m.href);
    const before = stored.items[m.href];
    // Listed as changed but gone by the time we fetched: the next check reports the delete.
    if (got === undefined) continue;
    if (before?.etag !== undefined && before.etag === got.etag) continue;
    const kind = calendarish ? classifyEvent(before, got.digest) : undefined;
    items[m.href] = { ...got.digest, ...(got.etag !== undefined ? { etag: got.etag } : {}) };
    (before === undefined ? added : changed).push(toSummary(m.href, got.digest, kind));
    announced.push([m.href, got.etag]);
  }
  for (const href of changes.removed) {
    const before = stored.items[href];
    if (before === undefined) continue;
    delete items[href];
    removed.push(toSummary(href, before, calendarish ? 'cancelled' : undefined));
    announced.push([href, '\u0000removed']);
  }
  const state: CollectionState = { ...stored, name: collection.name, type: collection.type, items };
  if (input.token !== undefined) state.token = input.token;
  if (collection.ctag !== undefined) state.ctag = collection.ctag;
  if (added.length + changed.length + removed.length === 0) return { state };
  const signal: ChangeSignal = {
    id: signalId(input.accountId, collection.href, input.fromKey, input.toKey, etagSetKey(announced)),
    accountId: input.accountId,
    source: input.source,
    collection: collection.type,
    folder: { id: collection.href, name: collection.name },
    added,
    changed,
    removed,
    observedAt: input.observedAt,
  };
  return { state, signal };
}

/** Deterministic signal id: `dav-` + 32 hex of SHA-256 over the step and what it announces. */
export function signalId(
  accountId: string,
  href: string,
  fromKey: string,
  toKey: string,
  contentKey: string,
): string {
  const h = createHash('sha256')
    .update([accountId, href, fromKey, toKey, contentKey].join('\u0000'))
    .digest('hex');
  return `dav-${h.slice(0, 32)}`;
}

/** A stable key for an ETag set (the "token" of a collection without sync tokens). */
export function etagSetKey(items: Iterable<[string, string | undefined]>): string {
  const h = createHash('sha256');
  for (const [href, etag] of [...items].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    h.update(`${href}\u0000${etag ?? ''}\u0001`);
  }
  return h.digest('hex').slice(0, 32);
}
