import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { ChangeSignal } from '../signal';
import { type ApplyBatch, CommitQueue, type QueuedCommit } from './commit-queue';
import { encodeValue } from './encode';
import { StoreError, type StoreErrorCode } from './errors';
import { MIGRATIONS } from './schema';
import {
  DEFAULT_KEEP_IDS_MS,
  DEFAULT_KEEP_PAYLOAD_MS,
  type FeedEntry,
  type HandOff,
  type LedgerEntry,
  type RetentionOptions,
  type StateChange,
  type StateStore,
} from './types';

/** Options for {@link SqliteStore.open}. */
export interface SqliteStoreOptions extends RetentionOptions {
  /** The state file, e.g. `$XDG_STATE_HOME/tidings/state.db`. Its directory is created 0700. */
  path: string;
  /**
   * How long to wait for a predecessor that is still exiting before reporting
   * `STORE_ERR_LOCKED`, ms. Default 2 000.
   */
  lockWaitMs?: number;
  /**
   * Durability against power loss, ms. `0`: `synchronous=FULL`, an fsync inside every commit
   * (~5 ms each on an ordinary SSD, blocking the event loop). Default `1000`:
   * `synchronous=NORMAL` plus a checkpoint (which fsyncs) at most this often while there are
   * unsynced commits. Both survive kill -9 exactly; see the class comment for power loss.
   */
  syncEveryMs?: number;
}

const DEFAULT_SYNC_EVERY_MS = 1_000;

/** Largest WAL file kept between checkpoints, bytes: about a second of a 1 000 changes/s burst. */
const WAL_SIZE_LIMIT = 32 * 1024 * 1024;

/** An acked id waiting to be written, with the time it was delivered. */
interface Ack {
  id: string;
  at: number;
}

/**
 * How long an ack may wait for a commit to ride along with, ms. A kill -9 within it delivers
 * those signals once more (same ids) on the next start.
 */
const ACK_DELAY_MS = 100;

/** How often ack() also applies retention, ms: pruning is cheap but need not run per ack. */
const PRUNE_EVERY_MS = 3600_000;

/**
 * The state store on SQLite (better-sqlite3), crash-safe across kill -9:
 *
 * - WAL journal. A commit is written to the WAL before `commit()` returns, so once a watcher
 *   saw it return, killing the process cannot undo it: the bytes are in the kernel's page
 *   cache, which outlives the process (test/store/sqlite-crash.test.ts proves it under SIGKILL).
 * - Power loss is different: only an fsync makes the WAL durable. `synchronous=FULL` fsyncs in
 *   every commit, ~5 ms of blocked event loop each — at a burst of 1 000 changes/s the daemon
 *   would fall seconds behind. So the default is `synchronous=NORMAL` plus a checkpoint (which
 *   fsyncs WAL and database) at most once a second while commits are unsynced. A power cut can
 *   then roll back the last second of commits *as a whole* — sync keys, signals and acks
 *   together — so watchers re-fetch those changes from the server with the older keys: nothing
 *   is missed, at worst something is announced again. `syncEveryMs: 0` chooses FULL instead.
 * - `locking_mode=EXCLUSIVE`: the first write takes the file lock and holds it until close, so a
 *   second daemon on the same file fails at open with `STORE_ERR_LOCKED` instead of
 *   interleaving. The OS drops the lock when a process dies, so a restart after kill -9 works.
 * - Dir 0700, file 0600, owned by us: sync keys and previews are private.
 */
export class SqliteStore implements StateStore {
  readonly path: string;
  /** `spool/` beside the state file: durable sinks' files (hooks' payload and status files). */
  readonly spoolDir: string;
  readonly #db: Database.Database;
  readonly #keepPayloadMs: number;
  readonly #keepIdsMs: number;
  readonly #now: () => number;
  #lastPrune = 0;
  /** True while commits since the last checkpoint are not yet fsynced (NORMAL mode only). */
  #dirty = false;
  readonly #syncTimer: NodeJS.Timeout | undefined;
  readonly #stmt: ReturnType<typeof prepare>;
  /**
   * Acked ids not written yet. A transaction costs a WAL write of every page it touched, so
   * acks ride along with the next commit's transaction, or get their own ACK_DELAY_MS later
   * (ackTimer), whichever comes first: in a burst, one transaction per change, not two.
   */
  #acks: Ack[] = [];
  #ackTimer: NodeJS.Timeout | undefined;
  /** One transaction for a batch of commits (plus the acks waiting to ride along). */
  readonly #commitTx: (batch: readonly Encoded[], acks: readonly Ack[]) => ChangeSignal[][];
  readonly #queue: CommitQueue;
  readonly #ackTx: (acks: readonly Ack[]) => void;
  readonly #handOffTx: (h: HandOff, acks: readonly Ack[]) => number[];

  private constructor(db: Database.Database, opts: SqliteStoreOptions) {
    this.path = opts.path;
    this.spoolDir = join(dirname(opts.path), 'spool');
    this.#db = db;
    this.#keepPayloadMs = opts.keepPayloadMs ?? DEFAULT_KEEP_PAYLOAD_MS;
    this.#keepIdsMs = opts.keepIdsMs ?? DEFAULT_KEEP_IDS_MS;
    this.#now = opts.now ?? Date.now;
    this.#stmt = prepare(db);
    const writeAcks = (acks: readonly Ack[]) => {
      for (const a of acks) this.#stmt.ack.run(a.at, a.id);
    };
    this.#ackTx = db.transaction(writeAcks);
    const apply = ({ accountId, sets, change }: Encoded, now: number): ChangeSignal[] => {
      for (const [key, text] of sets) {
        if (text === undefined) this.#stmt.del.run(accountId, key);
        else this.#stmt.set.run(accountId, key, text);
      }
      for (const key of change.delete ?? []) this.#stmt.del.run(accountId, key);
      const fresh: ChangeSignal[] = [];
      for (const s of change.signals ?? []) {
        if (this.#stmt.insert.run(s.id, accountId, JSON.stringify(s), now).changes === 1) fresh.push(s);
      }
      return fresh;
    };
    this.#commitTx = db.transaction((batch: readonly Encoded[], acks: readonly Ack[]) => {
      writeAcks(acks);
      const now = this.#now();
      return batch.map((e) => apply(e, now));
    });
    this.#handOffTx = db.transaction((h: HandOff, acks: readonly Ack[]) => {
      writeAcks(acks);
      const now = this.#now();
      for (const id of h.ack) this.#stmt.ack.run(now, id);
      for (const l of h.ledger)
        this.#stmt.ledgerInsert.run(l.sink, l.signal.id, l.signal.accountId, JSON.stringify(l.signal), now);
      return h.feed.map((f) => {
        const r = this.#stmt.feedInsert.run(
          f.signal.id,
          f.signal.accountId,
          JSON.stringify(f.signal),
          f.people ? 1 : 0,
          now,
        );
        return r.changes === 1 ? Number(r.lastInsertRowid) : 0;
      });
    });
    this.#queue = new CommitQueue(this.#applyBatch);
    const every = opts.syncEveryMs ?? DEFAULT_SYNC_EVERY_MS;
    if (every > 0) {
      this.#syncTimer = setInterval(() => this.#dirty && this.flush(), every);
      this.#syncTimer.unref();
    }
  }

  /** Opens (creating if needed) and migrates the state file; checks it is intact and ours alone. */
  static open(opts: SqliteStoreOptions): SqliteStore {
    const { path } = opts;
    prepareFile(path);
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: opts.lockWaitMs ?? 2_000 });
      // Order matters: EXCLUSIVE before WAL keeps the WAL index in heap memory (no -shm file to
      // share), and the immediate transaction takes the lock now rather than at the first commit.
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${(opts.syncEveryMs ?? DEFAULT_SYNC_EVERY_MS) > 0 ? 'NORMAL' : 'FULL'}`);
      // NORMAL mode checkpoints on its timer (flush): SQLite's own auto-checkpoint every 1 000
      // WAL pages would add a second, unscheduled checkpoint — with two fsyncs inside whichever
      // commit crosses the mark (10–50 ms of blocked event loop in a burst). Commits stay in the
      // WAL either way, so kill -9 safety is unchanged; power loss still loses at most syncEveryMs.
      if ((opts.syncEveryMs ?? DEFAULT_SYNC_EVERY_MS) > 0) db.pragma('wal_autocheckpoint = 0');
      // The checkpoint leaves the WAL file at its size and the next commits overwrite it from the
      // start: regrowing a truncated file made each commit ~15% and the checkpoint ~45% dearer.
      // This bounds what a burst leaves on disk.
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
      db.exec('BEGIN IMMEDIATE; COMMIT');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') {
        throw new StoreError('STORE_ERR_CORRUPT', corruptMessage(path, String(check)), { path });
      }
      migrate(db, path);
      const store = new SqliteStore(db, opts);
      store.prune();
      return store;
    } catch (err) {
      db?.close();
      throw toStoreError(err, path);
    }
  }

  /** The journal's sync mode in force: FULL (fsync per commit) or NORMAL (periodic checkpoint). */
  get synchronous(): 'FULL' | 'NORMAL' {
    return this.#run(() => (this.#db.pragma('synchronous', { simple: true }) === 2 ? 'FULL' : 'NORMAL'));
  }

  get<T = unknown>(accountId: string, key: string): T | undefined {
    if (this.#queue.holds(accountId)) this.#queue.flush();
    return this.#run(() => {
      const row = this.#stmt.get.get(accountId, key) as { value: string } | undefined;
      return row === undefined ? undefined : (JSON.parse(row.value) as T);
    });
  }

  commit(accountId: string, change: StateChange): ChangeSignal[] {
    this.#queue.flush();
    const [fresh] = this.#applyBatch([{ accountId, change }]);
    if (fresh instanceof Error) throw fresh;
    return fresh as ChangeSignal[];
  }

  commitSoon(accountId: string, change: StateChange): Promise<ChangeSignal[]> {
    if (!this.#db.open) return Promise.reject(closedError(this.path));
    return this.#queue.add(accountId, change);
  }

  /** Encodes each commit (a bad value fails only its own), then writes all in one transaction. */
  readonly #applyBatch: ApplyBatch = (batch) => {
    const prepared = batch.map((q): Encoded | Error => {
      try {
        return encode(q);
      } catch (err) {
        return err as Error;
      }
    });
    const encoded = prepared.filter((p): p is Encoded => !(p instanceof Error));
    if (encoded.length === 0) return prepared as Error[];
    const results = this.#run(() => {
      const r = this.#commitTx(encoded, this.#acks);
      // Only once the transaction held: a failed one keeps the acks for the next try.
      this.#acks = [];
      this.#dirty = true;
      return r;
    });
    let k = 0;
    return prepared.map((p) => (p instanceof Error ? p : results[k++]!));
  };

  pending(limit?: number): ChangeSignal[] {
    this.#queue.flush();
    return this.#run(() => {
      this.#writeAcks();
      return (this.#stmt.pending.all(limit ?? -1) as { payload: string }[]).map((r) => JSON.parse(r.payload));
    });
  }

  /**
   * Marks signals delivered, written with the next commit or at most ACK_DELAY_MS later (see
   * #acks). A kill -9 before that leaves them pending, so they are delivered again with their
   * ids: the at-least-once delivery the outbox promises anyway, never a loss.
   */
  ack(ids: readonly string[]): void {
    this.#run(() => {
      if (ids.length === 0) return;
      const at = this.#now();
      for (const id of ids) this.#acks.push({ id, at });
      if (this.#ackTimer === undefined) {
        this.#ackTimer = setTimeout(() => {
          this.#ackTimer = undefined;
          if (!this.#db.open) return;
          try {
            this.#writeAcks();
          } catch {
            // Kept in #acks: the next commit writes them, or reports the disk's failure itself.
          }
        }, ACK_DELAY_MS);
        this.#ackTimer.unref();
      }
      if (at - this.#lastPrune >= PRUNE_EVERY_MS) this.prune();
    });
  }

  /** Writes the acks still queued, in their own transaction. */
  #writeAcks(): void {
    if (this.#acks.length === 0) return;
    this.#ackTx(this.#acks);
    this.#acks = [];
    this.#dirty = true;
  }

  handOff(h: HandOff): number[] {
    this.#queue.flush();
    return this.#run(() => {
      const seqs = this.#handOffTx(h, this.#acks);
      this.#acks = [];
      this.#dirty = true;
      return seqs;
    });
  }

  feedAfter(afterSeq: number, limit: number): FeedEntry[] {
    return this.#run(() => (this.#stmt.feedAfter.all(afterSeq, limit) as FeedRow[]).map(feedEntry));
  }

  feedLatest(limit: number): FeedEntry[] {
    return this.#run(() => (this.#stmt.feedLatest.all(limit) as FeedRow[]).reverse().map(feedEntry));
  }

  feedSeq(id: string): number | undefined {
    return this.#run(() => (this.#stmt.feedSeq.get(id) as { seq: number } | undefined)?.seq);
  }

  ledgerOpen(sink: string, afterSeq: number, limit: number): LedgerEntry[] {
    return this.#run(() =>
      (this.#stmt.ledgerOpen.all(sink, afterSeq, limit) as LedgerRow[]).map((r) => ({
        seq: r.seq,
        sink,
        signal: JSON.parse(r.payload) as ChangeSignal,
        state: r.state === 1 ? 'running' : 'pending',
        attempts: r.attempts,
        note: r.note ?? undefined,
      })),
    );
  }

  ledgerBegin(sink: string, id: string, note?: string): void {
    this.#run(() => {
      this.#stmt.ledgerBegin.run(note ?? null, sink, id);
      this.#dirty = true;
    });
  }

  ledgerDone(sink: string, id: string): void {
    this.#run(() => {
      this.#stmt.ledgerDone.run(sink, id);
      this.#dirty = true;
    });
  }

  deleteAccount(accountId: string): void {
    this.#queue.flush();
    this.#run(() =>
      this.#db.transaction(() => {
        this.#stmt.deleteKv.run(accountId);
        this.#stmt.deleteOutbox.run(accountId);
        this.#stmt.deleteFeed.run(accountId);
        this.#stmt.deleteLedger.run(accountId);
        this.#dirty = true;
      })(),
    );
  }

  recent(limit: number): ChangeSignal[] {
    this.#queue.flush();
    return this.#run(() =>
      (this.#stmt.recent.all(limit) as { payload: string }[]).reverse().map((r) => JSON.parse(r.payload)),
    );
  }

  prune(): void {
    this.#run(() => {
      this.#writeAcks();
      const now = this.#now();
      this.#lastPrune = now;
      this.#db.transaction(() => {
        this.#stmt.dropPayloads.run(now - this.#keepPayloadMs);
        this.#stmt.forgetIds.run(now - this.#keepIdsMs);
        // The feed serves cursors and replays as long as outbox payloads are kept; a ledger
        // entry this old belongs to a sink gone from the config.
        this.#stmt.pruneFeed.run(now - this.#keepPayloadMs);
        this.#stmt.pruneLedger.run(now - this.#keepIdsMs);
      })();
      this.#dirty = true;
    });
  }

  /**
   * Makes every commit so far durable against power loss now: a checkpoint fsyncs the WAL and
   * the database. Runs by itself at most every `syncEveryMs`; a failure (disk full) is retried
   * then and surfaces on the next commit.
   */
  flush(): void {
    if (!this.#db.open) return;
    this.#queue.flush();
    try {
      this.#writeAcks();
      // PASSIVE copies every frame here (EXCLUSIVE: no other connection to wait for), with the
      // same fsync of the WAL before and of the database after as the other modes.
      this.#db.pragma('wal_checkpoint(PASSIVE)');
      this.#dirty = false;
    } catch {
      this.#dirty = true;
    }
  }

  close(): void {
    // Queued commits are written (and their callers answered) before the file closes.
    if (this.#db.open) this.#queue.flush();
    clearInterval(this.#syncTimer);
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (this.#db.open) {
      try {
        this.#writeAcks();
      } catch {
        // Unwritten acks mean a redelivery on the next start, which ids make harmless.
      }
    }
    // Closing the last connection checkpoints the WAL (with fsync) into the main file and removes it.
    if (this.#db.open) this.#db.close();
  }

  #run<T>(fn: () => T): T {
    if (!this.#db.open) throw closedError(this.path);
    try {
      return fn();
    } catch (err) {
      throw toStoreError(err, this.path);
    }
  }
}

interface FeedRow {
  seq: number;
  payload: string;
  people: number;
}

interface LedgerRow {
  seq: number;
  payload: string;
  state: number;
  attempts: number;
  note: string | null;
}

function feedEntry(r: FeedRow): FeedEntry {
  return { seq: r.seq, signal: JSON.parse(r.payload) as ChangeSignal, people: r.people === 1 };
}

/** A commit with its values already JSON text. */
interface Encoded {
  accountId: string;
  sets: [string, string | undefined][];
  change: StateChange;
}

function encode({ accountId, change }: QueuedCommit): Encoded {
  const sets: [string, string | undefined][] = Object.entries(change.set ?? {}).map(([k, v]) => [
    k,
    encodeValue(accountId, k, v),
  ]);
  return { accountId, sets, change };
}

function closedError(path: string): StoreError {
  return new StoreError('STORE_ERR_CLOSED', 'the state store is closed', { path });
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare('SELECT value FROM kv WHERE account = ? AND key = ?'),
    set: db.prepare(
      'INSERT INTO kv (account, key, value) VALUES (?, ?, ?) ON CONFLICT (account, key) DO UPDATE SET value = excluded.value',
    ),
    del: db.prepare('DELETE FROM kv WHERE account = ? AND key = ?'),
    insert: db.prepare(
      'INSERT INTO outbox (id, account, payload, committed_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    pending: db.prepare('SELECT payload FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?'),
    ack: db.prepare('UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL'),
    recent: db.prepare('SELECT payload FROM outbox WHERE payload IS NOT NULL ORDER BY seq DESC LIMIT ?'),
    dropPayloads: db.prepare(
      'UPDATE outbox SET payload = NULL WHERE delivered_at IS NOT NULL AND delivered_at < ? AND payload IS NOT NULL',
    ),
    forgetIds: db.prepare('DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?'),
    deleteKv: db.prepare('DELETE FROM kv WHERE account = ?'),
    deleteOutbox: db.prepare('DELETE FROM outbox WHERE account = ?'),
    deleteFeed: db.prepare('DELETE FROM feed WHERE account = ?'),
    deleteLedger: db.prepare('DELETE FROM ledger WHERE account = ?'),
    feedInsert: db.prepare(
      'INSERT INTO feed (id, account, payload, people, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    feedAfter: db.prepare('SELECT seq, payload, people FROM feed WHERE seq > ? ORDER BY seq LIMIT ?'),
    feedLatest: db.prepare('SELECT seq, payload, people FROM feed ORDER BY seq DESC LIMIT ?'),
    feedSeq: db.prepare('SELECT seq FROM feed WHERE id = ?'),
    pruneFeed: db.prepare('DELETE FROM feed WHERE created_at < ?'),
    ledgerInsert: db.prepare(
      'INSERT INTO ledger (sink, id, account, payload, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (sink, id) DO NOTHING',
    ),
    ledgerOpen: db.prepare(
      'SELECT seq, payload, state, attempts, note FROM ledger WHERE sink = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    ledgerBegin: db.prepare(
      'UPDATE ledger SET state = 1, attempts = attempts + 1, note = ? WHERE sink = ? AND id = ?',
    ),
    ledgerDone: db.prepare('DELETE FROM ledger WHERE sink = ? AND id = ?'),
    pruneLedger: db.prepare('DELETE FROM ledger WHERE created_at < ?'),
  };
}

function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StoreError(
      'STORE_ERR_TOO_NEW',
      `state file ${path} has schema version ${version}, this Tidings knows up to ${MIGRATIONS.length}: run the newer Tidings or move the file aside`,
      { path },
    );
  }
  db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] as string);
    // user_version is written inside the transaction, so a crash mid-migration leaves the old version.
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

/** Creates the dir 0700 and the file 0600 before SQLite does (it would use 0644 & umask). */
function prepareFile(path: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    ensureOwned(dir, 0o700);
    closeSync(openSync(path, 'a', 0o600));
    ensureOwned(path, 0o600);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(
      'STORE_ERR_PERMISSIONS',
      `cannot create the state file ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}

function ensureOwned(path: string, mode: number): void {
  const st = statSync(path);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new StoreError(
      'STORE_ERR_PERMISSIONS',
      `${path} belongs to uid ${st.uid}, not to this user (uid ${uid}): state must be private; fix its owner or choose another state dir`,
      { path },
    );
  }
  if ((st.mode & 0o777) !== mode) chmodSync(path, mode);
}

function corruptMessage(path: string, detail: string): string {
  return `state file ${path} is damaged (${detail}): stop the daemon and move the file aside; the next start re-baselines every account without announcing old changes`;
}

/** SQLite primary result codes (extended ones such as SQLITE_IOERR_WRITE map by their prefix). */
const CODE_MAP: Record<string, StoreErrorCode> = {
  SQLITE_NOTADB: 'STORE_ERR_CORRUPT',
  SQLITE_CORRUPT: 'STORE_ERR_CORRUPT',
  SQLITE_BUSY: 'STORE_ERR_LOCKED',
  SQLITE_LOCKED: 'STORE_ERR_LOCKED',
  SQLITE_CANTOPEN: 'STORE_ERR_PERMISSIONS',
  SQLITE_PERM: 'STORE_ERR_PERMISSIONS',
  SQLITE_AUTH: 'STORE_ERR_PERMISSIONS',
};

/** Maps SQLite's errors (code SQLITE_*) to a StoreError that says what to do. */
function toStoreError(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err;
  const raw = (err as { code?: unknown }).code;
  const sqliteCode = typeof raw === 'string' && raw.startsWith('SQLITE_') ? raw : undefined;
  const primary = sqliteCode?.split('_').slice(0, 2).join('_');
  const code: StoreErrorCode = (primary && CODE_MAP[primary]) || 'STORE_ERR_IO';
  const what = sqliteCode ?? (err as Error).message;
  const message =
    code === 'STORE_ERR_CORRUPT'
      ? corruptMessage(path, what)
      : code === 'STORE_ERR_LOCKED'
        ? `state file ${path} is in use by another Tidings daemon: stop it (\`tidings status\` shows its pid) or use another state dir`
        : code === 'STORE_ERR_PERMISSIONS'
          ? `cannot open the state file ${path} (${what}): check it is yours and writable`
          : `the state file ${path} could not be read or written (${what}): check free space and the disk`;
  return new StoreError(code, message, { path, ...(sqliteCode ? { sqliteCode } : {}) }, { cause: err });
}
