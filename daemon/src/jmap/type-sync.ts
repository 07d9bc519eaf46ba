import { createHash } from 'node:crypto';
import type { ChangeSignal, ItemSummary } from '../signal';
import { type SummaryContext, sessionTypes, type TypeSpec } from './data-types';
import { JmapError, type JmapErrorCode } from './errors';
import type { JmapConn } from './mail-sync';
import type { JmapSession } from './session';
import type { ChangesResponse } from './types';
import { containerChanges, containerGet, type TypeGetResponse, typeChanges, typeGet } from './type-methods';

/**
 * The stored state of one watched calendar or contacts type (data-types.ts), committed together
 * with the signals that moved it: the state to ask /changes from, the containers' state and
 * names, and which container the items seen so far are in — what puts a destroyed item (the
 * server says only its id) in its calendar's or address book's signal.
 */
export interface TypeState {
  state: string;
  /** The container type's state (Calendar/changes, AddressBook/changes); absent without one. */
  containerState?: string;
  /** Container id → name. */
  containers: Record<string, string>;
  /** [item id, container id] of the items met, oldest first, at most ITEM_CAP. */
  items: [string, string][];
  /** When this state was last moved forward, ms (daemon clock). */
  syncedAt: number;
}

/** Every watched type's state, by TypeSpec key: one store value beside the mail state. */
export interface TypeStates {
  v: 1;
  types: Record<string, TypeState>;
}

/** The store key the watcher keeps TypeStates under (beside `jmap:mail`). */
export const KEY_TYPES = 'jmap:types';
/** Item → container pairs kept per type: about 250 KB of JSON at most. */
export const ITEM_CAP = 5000;
/** Faults that concern one type only (see syncTypes). */
const PER_TYPE = new Set<JmapErrorCode>([
  'JMAP_ERR_METHOD',
  'JMAP_ERR_FORBIDDEN',
  'JMAP_ERR_PROTOCOL',
  'JMAP_ERR_TOO_LARGE',
]);
/** /changes pages per type and call; beyond, `more` asks the caller to call again after committing. */
const MAX_PAGES = 8;

export interface TypeSyncOptions {
  /** Signal accountId (the daemon's account id, not the JMAP one). */
  accountId: string;
  /** The user's own addresses: an event that asks one of them to answer is an invitation. */
  self?: readonly string[];
  now: () => number;
}

/**
 * A type that failed this round (a method the server names but refuses, an answer we cannot
 * read or beyond the size cap): its state is kept.
 */
export interface TypeProblem {
  type: string;
  code: JmapErrorCode;
  message: string;
}

export interface TypeSyncResult {
  /** The states to store — the same object as `stored` when nothing moved (no commit needed). */
  states: TypeStates;
  /** The signals to commit with `states` in one transaction. */
  signals: ChangeSignal[];
  /** A type had more changes than one call reads: commit, then call again. */
  more: boolean;
  problems: TypeProblem[];
}

type Bucket = 'added' | 'changed' | 'removed';
interface Touched {
  bucket: Bucket;
  summary: ItemSummary;
  container: { id: string; name: string };
}

/**
 * One round for every calendar and contacts type the session offers (data-types.ts
 * sessionTypes), run beside the mail round: a type without a stored state gets a silent
 * baseline (its state and containers, nothing announced); one with a state asks
 * `${type}/changes` from it (paged by maxChanges and hasMoreChanges) with the `/get` of what it
 * created and updated in the same request (result references, RFC 8620 §3.7), and the
 * container /changes beside them. Created → added, updated → changed, destroyed → removed, one
 * signal per container. `cannotCalculateChanges` re-baselines the type silently: nothing old is
 * announced. Types the session no longer offers are dropped (a later offer starts silent again).
 * The caller commits `states` with `signals` in one store transaction.
 */
export async function syncTypes(
  conn: JmapConn,
  session: JmapSession,
  stored: TypeStates | undefined,
  opts: TypeSyncOptions,
): Promise<TypeSyncResult> {
  const specs = sessionTypes(session);
  const before = stored?.v === 1 ? stored.types : {};
  const types: Record<string, TypeState> = {};
  const signals: ChangeSignal[] = [];
  const problems: TypeProblem[] = [];
  let moved = Object.keys(before).some((k) => !specs.some((s) => s.key === k));
  let more = false;
  const ctx: SummaryContext = { self: new Set((opts.self ?? []).map((a) => a.toLowerCase())) };
  for (const spec of specs) {
    const old = before[spec.key];
    try {
      const step = old ? await follow(conn, spec, old, opts, ctx) : await baselineType(conn, spec, opts);
      types[spec.key] = step.state;
      signals.push(...step.signals);
      more ||= step.more;
      moved ||= step.state !== old;
    } catch (err) {
      // A type the server names but refuses, or answers in a shape we cannot read, must not
      // stop mail (or the other type): kept as it was, the problem reported. Network, timeout
      // and server faults go to the caller, which retries the whole round with back-off.
      if (!(err instanceof JmapError) || !PER_TYPE.has(err.code)) throw err;
      problems.push({ type: spec.type, code: err.code, message: err.message });
      if (old) types[spec.key] = old;
    }
  }
  const states = !moved && stored?.v === 1 ? stored : { v: 1 as const, types };
  return { states, signals, more, problems };
}

/** Whether a StateChange (type → state) names a state of a watched type the store does not hold. */
export function typesBehind(
  session: JmapSession,
  stored: TypeStates | undefined,
  pushed: Readonly<Record<string, string>>,
): boolean {
  for (const spec of sessionTypes(session)) {
    const s = stored?.types[spec.key];
    const item = pushed[spec.type];
    if (item !== undefined && item !== s?.state) return true;
    const container = spec.containerType ? pushed[spec.containerType] : undefined;
    if (container !== undefined && container !== s?.containerState) return true;
  }
  return false;
}

/**
 * The first sync of a type: its state (`/get` with `ids: []`) and its containers' names, nothing
 * announced. The state is read first: an item created in between is announced once, by the
 * next /changes.
 */
async function baselineType(
  conn: JmapConn,
  spec: TypeSpec,
  opts: TypeSyncOptions,
  items: [string, string][] = [],
): Promise<{ state: TypeState; signals: ChangeSignal[]; more: boolean }> {
  const acct = conn.accountId;
  if (!spec.containerType) {
    const [got] = await conn.call([typeGet(spec, acct, [])]);
    return {
      state: { state: got.state, containers: {}, items, syncedAt: opts.now() },
      signals: [],
      more: false,
    };
  }
  const [got, boxes] = await conn.call([typeGet(spec, acct, []), containerGet(spec, acct)]);
  return {
    state: {
      state: got.state,
      containerState: boxes.state,
      containers: Object.fromEntries(boxes.list.map((c) => [c.id, c.name])),
      items,
      syncedAt: opts.now(),
    },
    signals: [],
    more: false,
  };
}

function cannotCalculate(err: unknown, method: string): boolean {
  return (
    err instanceof JmapError && err.code === 'JMAP_ERR_CANNOT_CALCULATE' && err.context.request === method
  );
}

/** Re-reads the containers' names (a container /changes moved, or its state is too old). */
async function refreshContainers(conn: JmapConn, spec: TypeSpec, s: TypeState): Promise<TypeState> {
  const [boxes] = await conn.call([containerGet(spec, conn.accountId)]);
  return {
    ...s,
    containerState: boxes.state,
    containers: Object.fromEntries(boxes.list.map((c) => [c.id, c.name])),
  };
}

/** Pages of `${type}/changes` from the stored state, turned into one signal per container. */
async function follow(
  conn: JmapConn,
  spec: TypeSpec,
  old: TypeState,
  opts: TypeSyncOptions,
  ctx: SummaryContext,
): Promise<{ state: TypeState; signals: ChangeSignal[]; more: boolean }> {
  const acct = conn.accountId;
  const max = Math.max(1, Math.min(conn.maxObjectsInGet, 256));
  const changesName = `${spec.type}/changes`;
  const ref = (path: string) => ({ resultOf: '0', name: changesName, path });
  let s = old;
  const where = new Map(old.items);
  const touched = new Map<string, Touched>();
  /** Created on a page, but already gone when it was read. */
  const gone = new Set<string>();
  let more = false;
  let containersMoved = false;
  for (let page = 0; ; page++) {
    if (page === MAX_PAGES) {
      more = true;
      break;
    }
    let ch: ChangesResponse;
    let created: TypeGetResponse;
    let updated: TypeGetResponse;
    try {
      const calls = [
        typeChanges(spec, acct, s.state, max),
        typeGet(spec, acct, ref('/created')),
        typeGet(spec, acct, ref('/updated')),
      ] as const;
      if (spec.containerType && s.containerState !== undefined) {
        const [c, g1, g2, box] = await conn.call([...calls, containerChanges(spec, acct, s.containerState)]);
        [ch, created, updated] = [c, g1, g2];
        if (box.created.length + box.updated.length + box.destroyed.length > 0 || box.hasMoreChanges)
          containersMoved = true;
        else s = { ...s, containerState: box.newState };
      } else [ch, created, updated] = await conn.call([...calls]);
    } catch (err) {
      if (spec.containerType && cannotCalculate(err, `${spec.containerType}/changes`)) {
        // A container state too old: read the (short) list again and ask once more.
        s = await refreshContainers(conn, spec, s);
        continue;
      }
      if (!cannotCalculate(err, changesName)) throw err;
      // RFC 8620 §5.2: the state is too old to compare. A silent re-baseline: nothing old is
      // announced (the item → container pairs stay: they still place later removals).
      return baselineType(conn, spec, opts, old.items);
    }
    if (containersMoved) {
      s = await refreshContainers(conn, spec, s);
      containersMoved = false;
    }
    const objects = new Map<string, Record<string, unknown>>();
    for (const o of [...created.list, ...updated.list]) objects.set(String(o.id), o);
    const isNew = new Set(ch.created);
    for (const id of [...ch.created, ...ch.updated]) {
      const o = objects.get(id);
      if (!o) {
        // Not found: destroyed since; a later page says so, and a new one's end is no news.
        if (isNew.has(id)) gone.add(id);
        continue;
      }
      const boxes = spec.containers(o);
      const box = boxes.find((b) => s.containers[b] !== undefined) ?? boxes[0];
      if (box !== undefined) {
        where.delete(id);
        where.set(id, box);
        // Cyrus's contacts have no container type: the address book is named by its id.
        if (s.containers[box] === undefined && !spec.containerType)
          s = { ...s, containers: { ...s.containers, [box]: box } };
      }
      const earlier = touched.get(id);
      const created = isNew.has(id) || earlier?.bucket === 'added';
      touched.set(id, {
        bucket: created ? 'added' : 'changed',
        summary: spec.summary(o, created, ctx),
        container: folderOf(spec, s, box),
      });
    }
    for (const id of ch.destroyed) {
      const earlier = touched.get(id);
      const box = where.get(id);
      where.delete(id);
      // Created and destroyed within this call: nothing to tell.
      if (earlier?.bucket === 'added' || gone.has(id)) {
        touched.delete(id);
        continue;
      }
      touched.set(id, {
        bucket: 'removed',
        summary: spec.collection === 'calendar' ? { id, kind: 'cancelled' } : { id },
        container: earlier?.container ?? folderOf(spec, s, box),
      });
    }
    s = { ...s, state: ch.newState };
    if (!ch.hasMoreChanges) break;
  }
  if (
    touched.size === 0 &&
    s.state === old.state &&
    s.containerState === old.containerState &&
    s.containers === old.containers
  )
    return { state: old, signals: [], more };
  const items = [...where];
  const state: TypeState = {
    ...s,
    items: items.length > ITEM_CAP ? items.slice(items.length - ITEM_CAP) : items,
    syncedAt: touched.size > 0 || s.state !== old.state ? opts.now() : old.syncedAt,
  };
  return { state, signals: signalsOf(spec, opts, old.state, touched), more };
}

/**
 * The folder a change is shown in: its container, else — an item of a container nobody named, a
 * removal of an item never met — the type's only container, or one folder for the whole type.
 */
function folderOf(spec: TypeSpec, s: TypeState, box: string | undefined): { id: string; name: string } {
  if (box !== undefined) return { id: box, name: s.containers[box] ?? box };
  const all = Object.entries(s.containers);
  if (all.length === 1) return { id: all[0]![0], name: all[0]![1] };
  return { id: spec.key, name: spec.folderName };
}

/**
 * One signal per container. The id hashes account, type, container, the state the call started
 * from and the items it touched: a replay after kill -9 (same state, same changes) gives the same
 * id, and the store drops it.
 */
function signalsOf(
  spec: TypeSpec,
  opts: TypeSyncOptions,
  fromState: string,
  touched: Map<string, Touched>,
): ChangeSignal[] {
  const byFolder = new Map<string, { folder: { id: string; name: string }; items: Touched[] }>();
  for (const t of touched.values()) {
    const f = byFolder.get(t.container.id) ?? { folder: t.container, items: [] };
    f.items.push(t);
    byFolder.set(t.container.id, f);
  }
  const out: ChangeSignal[] = [];
  for (const { folder, items } of byFolder.values()) {
    const pick = (b: Bucket) => items.filter((t) => t.bucket === b).map((t) => t.summary);
    const added = pick('added');
    const changed = pick('changed');
    const removed = pick('removed');
    const h = createHash('sha256');
    h.update(`jmap\u0000${opts.accountId}\u0000${spec.key}\u0000${folder.id}\u0000${fromState}`);
    for (const [tag, list] of [
      ['a', added],
      ['c', changed],
      ['r', removed],
    ] as const)
      for (const id of list.map((i) => i.id).sort()) h.update(`\u0000${tag}${id}`);
    out.push({
      id: h.digest('hex').slice(0, 32),
      accountId: opts.accountId,
      source: 'jmap',
      collection: spec.collection,
      folder,
      added,
      changed,
      removed,
      observedAt: new Date(opts.now()).toISOString(),
    });
  }
  return out;
}

/** Where followTypes reads and commits the states: the watcher's store under KEY_TYPES. */
export interface TypeStore {
  get(): TypeStates | undefined;
  /** One transaction: the states with the signals that moved them (then published). */
  commit(states: TypeStates, signals: ChangeSignal[]): void;
}

export interface FollowTypesOptions extends TypeSyncOptions {
  /** A type the server refused this round (logged by the caller). */
  onProblem?: (p: TypeProblem) => void;
  /** Checked between calls: the watcher stopping. */
  stopped?: () => boolean;
}

/**
 * The watcher's whole calendar and contacts round: syncTypes from the stored states, each call
 * committed with its signals before the next (so a kill -9 repeats at most one call, under the
 * same signal ids), until no type has more. Nothing is committed when nothing moved.
 */
export async function followTypes(
  conn: JmapConn,
  session: JmapSession,
  store: TypeStore,
  opts: FollowTypesOptions,
): Promise<void> {
  for (let calls = 0; calls < 1000 && !opts.stopped?.(); calls++) {
    const stored = store.get();
    const r = await syncTypes(conn, session, stored, opts);
    for (const p of r.problems) opts.onProblem?.(p);
    if (r.states !== stored || r.signals.length > 0) store.commit(r.states, r.signals);
    if (!r.more) return;
  }
}
