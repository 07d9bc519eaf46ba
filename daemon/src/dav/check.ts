import type { ChangeSignal, SignalSource } from '../signal';
import {
  type CollectionState,
  buildDelta,
  etagSetKey,
  hrefsToFetch,
  type MemberChanges,
  planCollection,
} from './changes';
import type { DavCollection } from './collection';
import { type ItemDigest, digestCalendar, digestVcard } from './content';
import { DavError } from './errors';
import { diffEtags, listEtags } from './etag-diff';
import { hrefUrl } from './href';
import { multiget } from './multiget';
import type { Send } from './request';
import { tokenToStore } from './second-token';
import { syncCollection } from './sync-collection';

export interface CheckDeps {
  send: Send;
  accountId: string;
  source: SignalSource;
  /** IANA zone for event times in signals. */
  timeZone: string;
  /** The user's calendar user addresses (discovery), to tell invitations (classify.ts). */
  addresses?: readonly string[];
  now(): number;
}

/** The result of one collection's check: the state to commit and the signal to commit with it. */
export interface CollectionOutcome {
  step: 'baseline' | 'sync' | 'rebaseline' | 'etag' | 'none';
  state: CollectionState;
  signal?: ChangeSignal;
  /**
   * The listing's token was a whole second that may not have ended (second-token.ts): the
   * starting token was kept, and the watcher should look again once the second is over.
   */
  openSecond?: boolean;
}

/**
 * Checks one collection the home PROPFIND reported: baseline on first sight (announces nothing),
 * sync-collection when the token moved, ETag diff without tokens. An invalid token (RFC 6578
 * §3.2 valid-sync-token) re-lists the collection and diffs against what we stored, so only real
 * changes are announced, never the whole collection.
 */
export async function checkCollection(
  deps: CheckDeps,
  base: URL,
  live: DavCollection,
  stored: CollectionState | undefined,
): Promise<CollectionOutcome> {
  const url = hrefUrl(live.href, base);
  const step = planCollection(live, stored);
  if (step.kind === 'none' && stored !== undefined) {
    // Renames and ctag-only moves are kept without announcing anything.
    const state = { ...stored, name: live.name, ...(live.ctag !== undefined ? { ctag: live.ctag } : {}) };
    return { step: 'none', state };
  }
  // A time the listings below cannot precede: the home PROPFIND's Date, else our own clock.
  const listedNotBefore = live.listedAt ?? deps.now();
  if (step.kind === 'baseline' || stored === undefined)
    return await baseline(deps, url, live, listedNotBefore);

  if (step.kind === 'sync') {
    try {
      const delta = await syncCollection(deps.send, url, step.from);
      const changes: MemberChanges = { upserted: delta.changed, removed: delta.removed };
      const kept = tokenToStore(step.from, delta.token, listedNotBefore);
      return await apply(deps, url, live, stored, changes, step.from, delta.token, kept, 'sync');
    } catch (err) {
      if (!(err instanceof DavError && err.code === 'DAV_ERR_INVALID_SYNC_TOKEN')) throw err;
      const full = await syncCollection(deps.send, url, '');
      const now = new Map(full.changed.map((m) => [m.href, m.etag ?? '']));
      const changes = etagChanges(stored, now);
      const kept = tokenToStore('', full.token, listedNotBefore);
      return await apply(deps, url, live, stored, changes, step.from, full.token, kept, 'rebaseline');
    }
  }
  const now = await listEtags(deps.send, url);
  const before = etagSetKey(Object.entries(stored.items).map(([h, s]) => [h, s.etag]));
  const after = etagSetKey(now);
  const kept = tokenToStore(undefined, live.syncToken, listedNotBefore);
  return apply(deps, url, live, stored, etagChanges(stored, now), before, after, kept, 'etag');
}

function etagChanges(stored: CollectionState, now: Map<string, string>): MemberChanges {
  const before = new Map(Object.entries(stored.items).map(([h, s]) => [h, s.etag]));
  const diff = diffEtags(before, now);
  return {
    upserted: [...diff.added, ...diff.changed].map((href) => ({ href, etag: now.get(href) })),
    removed: diff.removed,
  };
}

async function apply(
  deps: CheckDeps,
  url: URL,
  live: DavCollection,
  stored: CollectionState,
  changes: MemberChanges,
  fromKey: string,
  toKey: string,
  kept: { token: string | undefined; open: boolean },
  step: CollectionOutcome['step'],
): Promise<CollectionOutcome> {
  const fetched = await fetchDigests(deps, url, live.type, hrefsToFetch(stored, changes));
  const { state, signal } = buildDelta({
    accountId: deps.accountId,
    source: deps.source,
    collection: live,
    stored,
    changes,
    fetched,
    fromKey,
    toKey,
    ...(kept.token !== undefined ? { token: kept.token } : {}),
    observedAt: new Date(deps.now()).toISOString(),
  });
  return {
    step,
    state,
    ...(signal ? { signal } : {}),
    ...(kept.open ? { openSecond: true } : {}),
  };
}

/**
 * Baseline: every member's ETag and digest, so the next change can be told new, moved or
 * cancelled. An open whole-second token is replaced by '' (RFC 6578 §3.4 initial
 * synchronisation): the next report lists everything again and the ETags keep it silent.
 */
async function baseline(
  deps: CheckDeps,
  url: URL,
  live: DavCollection,
  listedNotBefore: number,
): Promise<CollectionOutcome> {
  let kept: { token: string | undefined; open: boolean } = { token: undefined, open: false };
  let members: Map<string, string | undefined>;
  if (live.syncToken !== undefined) {
    const full = await syncCollection(deps.send, url, '');
    kept = tokenToStore('', full.token, listedNotBefore);
    members = new Map(full.changed.map((m) => [m.href, m.etag]));
  } else {
    members = await listEtags(deps.send, url);
  }
  const fetched = await fetchDigests(deps, url, live.type, [...members.keys()]);
  const items: CollectionState['items'] = {};
  for (const [href, etag] of members) {
    const got = fetched.get(href);
    const e = got?.etag ?? etag;
    items[href] = { ...(got?.digest ?? {}), ...(e !== undefined ? { etag: e } : {}) };
  }
  const state: CollectionState = { name: live.name, type: live.type, items };
  if (kept.token !== undefined) state.token = kept.token;
  if (live.ctag !== undefined) state.ctag = live.ctag;
  return { step: 'baseline', state, ...(kept.open ? { openSecond: true } : {}) };
}

async function fetchDigests(
  deps: CheckDeps,
  url: URL,
  type: DavCollection['type'],
  hrefs: string[],
): Promise<Map<string, { etag?: string; digest: ItemDigest }>> {
  const out = new Map<string, { etag?: string; digest: ItemDigest }>();
  if (hrefs.length === 0) return out;
  const got = await multiget(deps.send, url, type, hrefs);
  for (const [href, item] of got) {
    if (item.data === undefined) continue;
    const digest =
      type === 'contacts' ? digestVcard(item.data) : digestCalendar(item.data, deps.timeZone, deps.addresses);
    out.set(href, item.etag !== undefined ? { etag: item.etag, digest } : { digest });
  }
  return out;
}
