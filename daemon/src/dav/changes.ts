import { createHash } from 'node:crypto';
import type { ChangeSignal, ItemSummary, SignalSource } from '../signal';
import { type ItemState, classifyEvent, toSummary } from './classify';
import type { DavCollection } from './collection';
import type { ItemDigest } from './content';
import { sameEtag } from './etag';

/** What we store per watched collection between checks (one store key per collection). */
export interface CollectionState {
  name: string;
  type: DavCollection['type'];
  /** RFC 6578 sync token of the last commit. */
  token?: string;
  ctag?: string;
  items: Record<string, ItemState>;
  /**
   * Generation: when the baseline was taken (ISO 8601). With `seq` it places every signal of the
   * collection, so two transitions that look alike — a server with content-derived tokens and
   * ETags goes back to an earlier token when a vCard is PUT, DELETEd and PUT again — never share
   * a signal id (issue 14, 2). Both are committed with the state, so a replayed step gets the
   * same id. Absent in states stored before issue 14 (read as '' / 0).
   */
  gen?: string;
  /** Signals announced for this collection since the baseline. */
  seq?: number;
  /** Last time (ms) the whole collection was listed and diffed against `items` (reconcile). */
  reconciledAt?: number;
  /**
   * The server's sync-collection REPORT failed even from the empty token while its PROPFIND
   * works: the token is then only a change marker, and a moved marker is an ETag listing.
   */
  syncBroken?: boolean;
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
    return stored.token === undefined || stored.syncBroken
      ? { kind: 'etag' }
      : { kind: 'sync', from: stored.token };
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
  return changes.upserted.filter((m) => !sameEtag(stored.items[m.href]?.etag, m.etag)).map((m) => m.href);
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
 * changed). The id hashes account, collection, the step's from/to keys, the signal's place in
 * the collection's history (generation and sequence number, committed with the state) and what
 * it announces. A step replayed after a crash starts from the same stored state, so it yields
 * the same id and the store's outbox drops it (store/types.ts). The place makes each observed
 * transition unique: tokens and ETags derived from content come back (PUT, DELETE, PUT of the
 * same bytes repeats the first step's from/to keys and items, issue 14), and SOGo answers two
 * reports within one second with the same token pair.
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
    if (sameEtag(before?.etag, got.etag)) continue;
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
  const seq = (stored.seq ?? 0) + 1;
  state.seq = seq;
  const position = `${stored.gen ?? ''}#${seq}`;
  const signal: ChangeSignal = {
    id: signalId(
      input.accountId,
      collection.href,
      input.fromKey,
      input.toKey,
      `${position}\u0000${etagSetKey(announced)}`,
    ),
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
