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
import { normalizeEtag, sameEtag } from './etag';
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

/** Per-collection history the watcher keeps between checks (not stored). */
export interface CheckHistory {
  /** Token REPORTs of this collection that failed in a row while the home PROPFIND worked. */
  tokenFailures?: number;
}

/**
 * After this many failed token REPORTs in a row (the home PROPFIND answering), the next check
 * re-baselines instead of asking for the token again: a server restored from a backup or wiped
 * may answer an unknown token with HTTP 500 rather than RFC 6578 §3.2 valid-sync-token
 * (issue 14, 3). Two failures leave room for a passing server hiccup.
 */
export const REBASELINE_AFTER_FAILURES = 2;

/**
 * How often a collection whose token moved is listed in full and reconciled even when nothing
 * looked wrong. A server that prunes old tokens and answers them with a plain full listing
 * (issue 14, 4) is caught at once when the listing repeats a member we know unchanged; one whose
 * every remaining member changed as well cannot be told from a real delta, and this bounds how
 * late such a deletion is announced.
 */
export const RECONCILE_MS = 24 * 3600_000;

/**
 * Pure: whether a delta from `from` looks like a full listing rather than what changed. A real
 * delta lists a member only when it changed, so a member listed with the very ETag we stored is
 * a re-listing (or a change and its undo; either way a reconcile is right). A delta listing at
 * least half of what we stored, with no removal, is what a full listing of a collection whose
 * members mostly changed looks like; checking costs one listing of a small collection.
 */
export function looksLikeFullListing(
  stored: CollectionState,
  delta: { changed: { href: string; etag?: string }[]; removed: string[] },
): boolean {
  const known = Object.keys(stored.items).length;
  if (known === 0 || delta.removed.length > 0) return false;
  if (delta.changed.some((m) => sameEtag(stored.items[m.href]?.etag, m.etag))) return true;
  return delta.changed.filter((m) => stored.items[m.href] !== undefined).length * 2 >= known;
}

/**
 * Errors of a token REPORT that a re-baseline may cure: the server failed or answered something
 * we cannot use. Rate limits, network faults, credentials and hostile bodies are not the token's
 * fault and keep their own handling (back-off, needs-credentials).
 */
export function isTokenReportFault(err: unknown): boolean {
  if (!(err instanceof DavError)) return false;
  return (
    err.code === 'DAV_ERR_SERVER' ||
    err.code === 'DAV_ERR_HTTP' ||
    err.code === 'DAV_ERR_FORBIDDEN' ||
    err.code === 'DAV_ERR_NOT_FOUND' ||
    err.code === 'DAV_ERR_BAD_MULTISTATUS' ||
    err.code === 'DAV_ERR_XML_MALFORMED'
  );
}

/**
 * The server says it has no sync-collection REPORT although it lists a sync-token: RFC 3253
 * §3.6 DAV:supported-report, 405 or 501. Nothing to wait for: the reconcile's ETag fallback at once.
 */
function reportUnsupported(err: DavError): boolean {
  const { status, condition } = err.context;
  return condition === 'supported-report' || status === 405 || status === 501;
}

/** A failed token REPORT, so the watcher can count it (CheckHistory.tokenFailures). */
export class TokenReportError extends Error {
  constructor(readonly error: DavError) {
    super(error.message, { cause: error });
  }
}

/**
 * Checks one collection the home PROPFIND reported: baseline on first sight (announces nothing),
 * sync-collection when the token moved, ETag diff without tokens. An invalid token (RFC 6578
 * §3.2 valid-sync-token), a token REPORT that keeps failing, a delta that looks like a full
 * listing and the daily reconcile all re-list the collection and diff it against what we stored
 * (hrefs and ETags), so what changed — deletions included — is announced, and only that.
 */
export async function checkCollection(
  deps: CheckDeps,
  base: URL,
  live: DavCollection,
  stored: CollectionState | undefined,
  history: CheckHistory = {},
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
    return await baseline(deps, url, live, listedNotBefore, history);

  if (step.kind === 'sync') {
    const due = deps.now() - (stored.reconciledAt ?? 0) >= RECONCILE_MS;
    if ((history.tokenFailures ?? 0) >= REBASELINE_AFTER_FAILURES || due)
      return await reconcile(deps, url, live, stored, step.from, listedNotBefore);
    let delta: Awaited<ReturnType<typeof syncCollection>>;
    try {
      delta = await syncCollection(deps.send, url, step.from, fallback(live));
    } catch (err) {
      if (err instanceof DavError && (err.code === 'DAV_ERR_INVALID_SYNC_TOKEN' || reportUnsupported(err)))
        return await reconcile(deps, url, live, stored, step.from, listedNotBefore);
      if (err instanceof DavError && isTokenReportFault(err)) throw new TokenReportError(err);
      throw err;
    }
    // From '' every report is a full listing; the kept-back token of an open second (SOGo)
    // repeats known members by design and the stored ETags drop them.
    if (step.from !== '' && looksLikeFullListing(stored, delta))
      return await reconcile(deps, url, live, stored, step.from, listedNotBefore);
    const changes: MemberChanges = { upserted: delta.changed, removed: delta.removed };
    const kept = tokenToStore(step.from, delta.token, listedNotBefore);
    return await apply(deps, url, live, stored, changes, step.from, delta.token, kept, 'sync');
  }
  // Once a day a collection whose REPORT was given up tries it again (reconcile starts with one):
  // a server that was restored or upgraded gets its tokens used again.
  if (
    stored.syncBroken &&
    live.syncToken !== undefined &&
    deps.now() - (stored.reconciledAt ?? 0) >= RECONCILE_MS
  )
    return await reconcile(deps, url, live, stored, stored.token ?? '', listedNotBefore);
  const now = await listEtags(deps.send, url);
  const before = etagSetKey(Object.entries(stored.items).map(([h, s]) => [h, s.etag]));
  const after = etagSetKey(now);
  const kept = tokenToStore(undefined, live.syncToken, listedNotBefore);
  const out = await apply(deps, url, live, stored, etagChanges(stored, now), before, after, kept, 'etag');
  out.state.reconciledAt = deps.now();
  return out;
}

/** The home PROPFIND's token, for a sync answer that leaves its own out (sync-collection.ts). */
function fallback(live: DavCollection): { fallbackToken?: string } {
  return live.syncToken !== undefined ? { fallbackToken: live.syncToken } : {};
}

/**
 * Re-baseline without losing anything: list every member (RFC 6578 §3.4 initial sync; an ETag
 * PROPFIND when even that REPORT fails, after which the token is only a change marker) and
 * announce the difference to the stored hrefs and ETags: added, changed and removed since the
 * last state we know, nothing that was announced before.
 */
async function reconcile(
  deps: CheckDeps,
  url: URL,
  live: DavCollection,
  stored: CollectionState,
  fromKey: string,
  listedNotBefore: number,
): Promise<CollectionOutcome> {
  let now: Map<string, string>;
  let token: string | undefined;
  let kept: { token: string | undefined; open: boolean };
  let syncBroken = false;
  try {
    const full = await syncCollection(deps.send, url, '', fallback(live));
    now = new Map(full.changed.map((m) => [m.href, m.etag ?? '']));
    token = full.token;
    kept = tokenToStore('', full.token, listedNotBefore);
  } catch (err) {
    if (!isTokenReportFault(err)) throw err;
    now = await listEtags(deps.send, url);
    token = live.syncToken;
    kept = tokenToStore(undefined, live.syncToken, listedNotBefore);
    syncBroken = true;
  }
  const toKey = token ?? etagSetKey(now);
  const out = await apply(
    deps,
    url,
    live,
    stored,
    etagChanges(stored, now),
    fromKey,
    toKey,
    kept,
    'rebaseline',
  );
  out.state.reconciledAt = deps.now();
  if (syncBroken) out.state.syncBroken = true;
  else delete out.state.syncBroken;
  return out;
}

function etagChanges(stored: CollectionState, now: Map<string, string>): MemberChanges {
  const before = new Map(Object.entries(stored.items).map(([h, s]) => [h, normalizeEtag(s.etag)]));
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
  history: CheckHistory,
): Promise<CollectionOutcome> {
  let kept: { token: string | undefined; open: boolean } = { token: undefined, open: false };
  let members: Map<string, string | undefined> | undefined;
  let syncBroken = false;
  if (live.syncToken !== undefined) {
    try {
      const full = await syncCollection(deps.send, url, '', fallback(live));
      kept = tokenToStore('', full.token, listedNotBefore);
      members = new Map(full.changed.map((m) => [m.href, m.etag]));
    } catch (err) {
      if (!(err instanceof DavError) || !isTokenReportFault(err)) throw err;
      // A server listing tokens whose REPORT is unsupported, or keeps failing: ETags instead,
      // the token kept as a change marker only.
      const givenUp = (history.tokenFailures ?? 0) >= REBASELINE_AFTER_FAILURES;
      if (!reportUnsupported(err) && !givenUp) throw new TokenReportError(err);
      kept = tokenToStore(undefined, live.syncToken, listedNotBefore);
      syncBroken = true;
    }
  }
  members ??= await listEtags(deps.send, url);
  const fetched = await fetchDigests(deps, url, live.type, [...members.keys()]);
  const items: CollectionState['items'] = {};
  for (const [href, etag] of members) {
    const got = fetched.get(href);
    const e = got?.etag ?? etag;
    items[href] = { ...(got?.digest ?? {}), ...(e !== undefined ? { etag: e } : {}) };
  }
  const at = deps.now();
  const state: CollectionState = {
    name: live.name,
    type: live.type,
    items,
    gen: new Date(at).toISOString(),
    seq: 0,
    reconciledAt: at,
  };
  if (kept.token !== undefined) state.token = kept.token;
  if (live.ctag !== undefined) state.ctag = live.ctag;
  if (syncBroken) state.syncBroken = true;
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
