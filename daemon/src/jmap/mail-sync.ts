import { createHash } from 'node:crypto';
import type { ChangeSignal, ItemSummary } from '../signal';
import type { MethodCall } from './api';
import { type JmapEmail, emailGet, emailGetRef } from './email-get';
import { emailChanges } from './email-changes';
import { emailQuery } from './email-query';
import { mailboxChanges } from './mailbox-changes';
import { type JmapMailbox, mailboxGet } from './mailbox-get';
import { selectMailboxes } from './mailboxes';
import { JmapError } from './errors';

/**
 * The part of one JMAP account's mail state the store keeps, committed together with the
 * signals that moved it (one transaction): the Email and Mailbox states to ask /changes from,
 * and per watched mailbox the ids already known — what tells "arrived" from "was there", and what
 * a reconcile after `cannotCalculateChanges` compares with.
 */
export interface MailState {
  v: 1;
  emailState: string;
  mailboxState: string;
  /** When this state was last moved forward, ms (daemon clock). */
  syncedAt: number;
  mailboxes: Record<string, TrackedMailbox>;
}

export interface TrackedMailbox {
  name: string;
  /** Known ids, oldest first, at most TRACK_CAP. */
  ids: string[];
  /** False when the mailbox holds more than TRACK_CAP: ids then covers only the newest. */
  complete: boolean;
}

/** Ids kept per watched mailbox: about 60 KB of JSON per commit at most. */
export const TRACK_CAP = 2000;
/**
 * How far before the last sync a mail's receivedAt may lie and still count as new when the
 * tracked set is incomplete: clock skew between server and daemon.
 */
const SKEW_MS = 10 * 60_000;

type Results<C extends MethodCall<unknown>[]> = {
  [K in keyof C]: C[K] extends MethodCall<infer T> ? T : never;
};

/** The narrow connection the sync core runs on: tests pass a plain object over a fake server. */
export interface JmapConn {
  accountId: string;
  maxObjectsInGet: number;
  call<C extends MethodCall<unknown>[]>(calls: [...C]): Promise<Results<C>>;
}

/** One step's result: the state to store and the signals to commit with it. */
export interface SyncStep {
  state: MailState;
  signals: ChangeSignal[];
}

export interface SyncOptions {
  /** Signal accountId (the daemon's account id, not the JMAP one). */
  accountId: string;
  /** Configured mailbox names / roles / ids. */
  mailboxes?: readonly string[];
  /**
   * Ids this client itself marked read (mark-read): their next update is our own echo, not a
   * change to announce. changesPage removes the ids it met.
   */
  ownUpdates?: Set<string>;
  now: () => number;
}

function chunks<T>(all: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}

/** Email/get of many ids, split by the server's maxObjectsInGet. */
async function getEmails(conn: JmapConn, emailIds: readonly string[]): Promise<Map<string, JmapEmail>> {
  const found = new Map<string, JmapEmail>();
  for (const part of chunks(emailIds, conn.maxObjectsInGet)) {
    const [got] = await conn.call([emailGet(conn.accountId, part)]);
    for (const e of got.list) found.set(e.id, e);
  }
  return found;
}

function summary(e: JmapEmail): ItemSummary {
  return {
    id: e.id,
    ...(e.subject ? { title: e.subject } : {}),
    ...(e.from ? { from: e.from } : {}),
    ...(e.receivedAt ? { start: e.receivedAt } : {}),
    ...(e.preview ? { preview: e.preview } : {}),
    unread: !e.seen,
  };
}

/**
 * The signal of one mailbox and step. The id hashes account, mailbox, the state the step started
 * from and the items it touched: a replay after kill -9 (same state, same changes) gives the same
 * id, and the store drops it.
 */
function mailboxSignal(
  opts: SyncOptions,
  kind: 'changes' | 'reconcile',
  mailbox: { id: string; name: string },
  fromState: string,
  added: ItemSummary[],
  changed: ItemSummary[],
  removed: ItemSummary[],
): ChangeSignal | undefined {
  if (added.length + changed.length + removed.length === 0) return undefined;
  const h = createHash('sha256');
  h.update(`jmap\u0000${opts.accountId}\u0000${mailbox.id}\u0000${kind}\u0000${fromState}`);
  for (const [tag, items] of [
    ['a', added],
    ['c', changed],
    ['r', removed],
  ] as const) {
    for (const id of items.map((i) => i.id).sort()) h.update(`\u0000${tag}${id}`);
  }
  return {
    id: h.digest('hex').slice(0, 32),
    accountId: opts.accountId,
    source: 'jmap',
    collection: 'mail',
    folder: { id: mailbox.id, name: mailbox.name },
    added,
    changed,
    removed,
    observedAt: new Date(opts.now()).toISOString(),
  };
}

/** Newest-first query ids → a tracked set (oldest first). */
function tracked(name: string, q: { ids: string[]; total?: number }): TrackedMailbox {
  const ids = q.ids.slice(0, TRACK_CAP).reverse();
  return { name, ids, complete: q.total !== undefined ? q.total <= TRACK_CAP : q.ids.length < TRACK_CAP };
}

function trim(m: TrackedMailbox): TrackedMailbox {
  if (m.ids.length <= TRACK_CAP) return m;
  return { ...m, ids: m.ids.slice(m.ids.length - TRACK_CAP), complete: false };
}

/** Queries each watched mailbox (silently: a baseline announces nothing). */
async function queryAll(
  conn: JmapConn,
  watched: readonly JmapMailbox[],
): Promise<Record<string, TrackedMailbox>> {
  const out: Record<string, TrackedMailbox> = {};
  for (const part of chunks(watched, Math.max(1, 8))) {
    const results = await conn.call(part.map((m) => emailQuery(conn.accountId, m.id, TRACK_CAP)));
    part.forEach((m, i) => {
      out[m.id] = tracked(m.name, results[i]!);
    });
  }
  return out;
}

/**
 * The first sync: the Email state is read BEFORE the mailboxes are listed, so a mail that arrives
 * in between is both in the tracked set and in the next Email/changes — and announced by neither,
 * which is what a silent baseline means. Nothing is lost: what arrives after the query is not in
 * the set.
 */
export async function baseline(conn: JmapConn, opts: SyncOptions): Promise<SyncStep> {
  const [state, boxes] = await conn.call([emailGet(conn.accountId, []), mailboxGet(conn.accountId)]);
  const watched = selectMailboxes(boxes.list, opts.mailboxes);
  if (watched.length === 0) throw noMailbox(opts.mailboxes);
  return {
    state: {
      v: 1,
      emailState: state.state,
      mailboxState: boxes.state,
      syncedAt: opts.now(),
      mailboxes: await queryAll(conn, watched),
    },
    signals: [],
  };
}

function noMailbox(configured?: readonly string[]): JmapError {
  return new JmapError(
    'JMAP_ERR_SESSION',
    configured?.length
      ? `none of the configured mailboxes (${configured.join(', ')}) exists on the server`
      : 'the server has no Inbox (no mailbox with role inbox)',
  );
}

/**
 * Follows Mailbox/changes: renamed watched mailboxes get their new name, a configured mailbox that
 * appeared gets a silent baseline, a deleted one is forgotten. Returns the state unchanged (same
 * object) when nothing moved.
 */
export async function followMailboxes(
  conn: JmapConn,
  state: MailState,
  opts: SyncOptions,
): Promise<MailState> {
  let moved = true;
  let newState = state.mailboxState;
  try {
    for (let pages = 0; pages < 50; pages++) {
      const [ch] = await conn.call([mailboxChanges(conn.accountId, newState)]);
      newState = ch.newState;
      moved = ch.created.length + ch.updated.length + ch.destroyed.length > 0 || pages > 0;
      if (!ch.hasMoreChanges) break;
    }
  } catch (err) {
    // A mailbox state too old to compare: read the whole list again (it is small).
    if (!(err instanceof JmapError && err.code === 'JMAP_ERR_CANNOT_CALCULATE')) throw err;
    moved = true;
  }
  if (!moved) return newState === state.mailboxState ? state : { ...state, mailboxState: newState };
  const [boxes] = await conn.call([mailboxGet(conn.accountId)]);
  const watched = selectMailboxes(boxes.list, opts.mailboxes);
  if (watched.length === 0) throw noMailbox(opts.mailboxes);
  const fresh = watched.filter((m) => state.mailboxes[m.id] === undefined);
  const added = fresh.length > 0 ? await queryAll(conn, fresh) : {};
  const mailboxes: Record<string, TrackedMailbox> = {};
  for (const m of watched) mailboxes[m.id] = added[m.id] ?? { ...state.mailboxes[m.id]!, name: m.name };
  return { ...state, mailboxState: boxes.state, mailboxes };
}

/**
 * One page of Email/changes from the stored state, turned into per-mailbox signals:
 * - created or updated, now in a watched mailbox, not known there → added (a new or moved-in mail),
 *   unless it is already read ($seen);
 * - updated, known there and still there → changed (keywords: read, flagged);
 * - destroyed, or no longer there while known there → removed.
 *
 * One request per round (an idle poll costs one request): Email/changes, the Email/get of what it
 * created and updated by result reference (RFC 8620 §3.7), and Mailbox/changes. Returns undefined
 * when nothing is newer, or 'mailboxes' when the mailboxes changed — the caller follows them
 * (followMailboxes) and asks again, so the page is read against the mailboxes as they are now.
 * Throws JMAP_ERR_CANNOT_CALCULATE (context.request names Email/changes or Mailbox/changes).
 */
export async function changesPage(
  conn: JmapConn,
  state: MailState,
  opts: SyncOptions,
): Promise<(SyncStep & { more: boolean }) | 'mailboxes' | undefined> {
  const max = Math.max(1, Math.min(conn.maxObjectsInGet, 256));
  const ref = (path: string) => ({ resultOf: '0', name: 'Email/changes', path });
  const [ch, gotCreated, gotUpdated, mb] = await conn.call([
    emailChanges(conn.accountId, state.emailState, max),
    emailGetRef(conn.accountId, ref('/created')),
    emailGetRef(conn.accountId, ref('/updated')),
    mailboxChanges(conn.accountId, state.mailboxState),
  ]);
  if (mb.created.length + mb.updated.length + mb.destroyed.length > 0 || mb.hasMoreChanges)
    return 'mailboxes';
  if (mb.newState !== state.mailboxState) state = { ...state, mailboxState: mb.newState };
  if (ch.newState === state.emailState && ch.created.length + ch.updated.length + ch.destroyed.length === 0)
    return undefined;
  const touched = [...new Set([...ch.created, ...ch.updated])];
  const emails = new Map<string, JmapEmail>();
  for (const e of [...gotCreated.list, ...gotUpdated.list]) emails.set(e.id, e);
  const created = new Set(ch.created);
  const destroyed = new Set(ch.destroyed);
  const signals: ChangeSignal[] = [];
  const mailboxes: Record<string, TrackedMailbox> = {};
  const recent = state.syncedAt - SKEW_MS;
  for (const [id, box] of Object.entries(state.mailboxes)) {
    const known = new Set(box.ids);
    const added: ItemSummary[] = [];
    const changed: ItemSummary[] = [];
    const removed: ItemSummary[] = [];
    const ids = box.ids.filter((x) => {
      if (destroyed.has(x)) {
        removed.push({ id: x });
        return false;
      }
      return true;
    });
    for (const eid of touched) {
      const e = emails.get(eid);
      const inside = e !== undefined && e.mailboxIds.includes(id);
      if (known.has(eid)) {
        if (!inside) {
          // Moved out, or gone between the two calls (not found): no longer here.
          removed.push(e ? summary(e) : { id: eid });
          const at = ids.indexOf(eid);
          if (at >= 0) ids.splice(at, 1);
        } else if (!created.has(eid) && !opts.ownUpdates?.has(eid)) changed.push(summary(e));
        continue;
      }
      if (!inside) continue;
      ids.push(eid);
      // An incomplete set cannot tell a moved-in mail from an old one it no longer tracks.
      const receivedAt = e.receivedAt ? Date.parse(e.receivedAt) : Number.NaN;
      // Mail that arrives already read (sent by the user, read elsewhere first, filed read by a
      // rule) is no news: tracked, not announced — as the IMAP accounts do (issue 17).
      if (e.seen) continue;
      if (box.complete || created.has(eid) || !(receivedAt < recent)) added.push(summary(e));
    }
    mailboxes[id] = trim({ ...box, ids });
    const s = mailboxSignal(
      opts,
      'changes',
      { id, name: box.name },
      state.emailState,
      added,
      changed,
      removed,
    );
    if (s) signals.push(s);
  }
  for (const eid of ch.updated) opts.ownUpdates?.delete(eid);
  return {
    state: { ...state, emailState: ch.newState, syncedAt: opts.now(), mailboxes },
    signals,
    more: ch.hasMoreChanges,
  };
}

/**
 * After `cannotCalculateChanges` (RFC 8620 §5.2): a new baseline that still announces what
 * happened since the last known state — each watched mailbox's newest ids compared with the
 * stored set. Ids new to the set are added (when the set was complete, or the mail arrived after
 * the last sync); ids of the set the query no longer lists are checked with Email/get and removed
 * when gone or moved out. Nothing known is announced again.
 */
export async function reconcile(conn: JmapConn, state: MailState, opts: SyncOptions): Promise<SyncStep> {
  const [now, boxes] = await conn.call([emailGet(conn.accountId, []), mailboxGet(conn.accountId)]);
  const watched = selectMailboxes(boxes.list, opts.mailboxes);
  if (watched.length === 0) throw noMailbox(opts.mailboxes);
  const fresh = await queryAll(conn, watched);
  const candidates = new Set<string>();
  for (const m of watched) {
    const before = state.mailboxes[m.id];
    if (!before) continue;
    const known = new Set(before.ids);
    const listed = new Set(fresh[m.id]!.ids);
    for (const x of fresh[m.id]!.ids) if (!known.has(x)) candidates.add(x);
    for (const x of before.ids) if (!listed.has(x)) candidates.add(x);
  }
  const emails = await getEmails(conn, [...candidates]);
  const recent = state.syncedAt - SKEW_MS;
  const signals: ChangeSignal[] = [];
  const mailboxes: Record<string, TrackedMailbox> = {};
  for (const m of watched) {
    const before = state.mailboxes[m.id];
    const after = fresh[m.id]!;
    if (!before) {
      mailboxes[m.id] = after;
      continue;
    }
    const known = new Set(before.ids);
    const listed = new Set(after.ids);
    const added: ItemSummary[] = [];
    const removed: ItemSummary[] = [];
    const keep = [...after.ids];
    for (const x of after.ids) {
      if (known.has(x)) continue;
      const e = emails.get(x);
      if (!e) continue;
      const receivedAt = e.receivedAt ? Date.parse(e.receivedAt) : Number.NaN;
      if (!e.seen && (before.complete || !(receivedAt < recent))) added.push(summary(e));
    }
    for (const x of before.ids) {
      if (listed.has(x)) continue;
      const e = emails.get(x);
      if (e?.mailboxIds.includes(m.id)) {
        // Still here, only beyond the newest TRACK_CAP of the query: keep knowing it.
        keep.unshift(x);
        continue;
      }
      removed.push(e ? summary(e) : { id: x });
    }
    mailboxes[m.id] = trim({ ...after, ids: keep });
    const s = mailboxSignal(
      opts,
      'reconcile',
      { id: m.id, name: m.name },
      state.emailState,
      added,
      [],
      removed,
    );
    if (s) signals.push(s);
  }
  return {
    state: { v: 1, emailState: now.state, mailboxState: boxes.state, syncedAt: opts.now(), mailboxes },
    signals,
  };
}
