import {
  chmodSync,
  chownSync,
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors';
import { MIGRATIONS } from '../../src/store/schema';
import { SqliteStore } from '../../src/store/sqlite-store';
import { mailSignal } from './signals';

function catchStoreError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

describe('SqliteStore (file-specific behaviour)', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'tidings-sqlite-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps values and pending signals across close and reopen', () => {
    const path = join(tmp(), 'state.db');
    const a = SqliteStore.open({ path });
    a.commit('acct', { set: { syncKey: '42' }, signals: [mailSignal('acct', 1), mailSignal('acct', 2)] });
    a.ack(['acct:inbox:1']);
    a.close();
    const b = SqliteStore.open({ path });
    expect(b.get('acct', 'syncKey')).toBe('42');
    expect(b.pending()).toEqual([mailSignal('acct', 2)]);
    expect(b.commit('acct', { signals: [mailSignal('acct', 1)] })).toEqual([]);
    b.close();
  });

  it('creates the directory 0700 and the file 0600, and tightens looser modes', () => {
    const dir = join(tmp(), 'nested', 'tidings');
    const path = join(dir, 'state.db');
    SqliteStore.open({ path }).close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o644);
    SqliteStore.open({ path }).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('writes a WAL journal with synchronous=FULL and records the schema version', () => {
    const path = join(tmp(), 'state.db');
    SqliteStore.open({ path }).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('uses NORMAL with periodic checkpoints by default and FULL when syncEveryMs is 0', async () => {
    const path = join(tmp(), 'state.db');
    const normal = SqliteStore.open({ path, syncEveryMs: 20 });
    expect(normal.synchronous).toBe('NORMAL');
    normal.commit('a', { signals: Array.from({ length: 50 }, (_, i) => mailSignal('a', i)) });
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    // The checkpoint fsyncs and copies the WAL into the database file once the interval has passed.
    const before = statSync(path).size;
    while (statSync(path).size === before) await new Promise((r) => setTimeout(r, 10));
    normal.close();
    const full = SqliteStore.open({ path, syncEveryMs: 0 });
    expect(full.synchronous).toBe('FULL');
    expect(full.pending()).toHaveLength(50);
    full.close();
  });

  it('refuses a second instance on the same file with STORE_ERR_LOCKED, and opens once the first is gone', () => {
    const path = join(tmp(), 'state.db');
    const first = SqliteStore.open({ path });
    const err = catchStoreError(() => SqliteStore.open({ path, lockWaitMs: 50 }));
    expect(err.code).toBe('STORE_ERR_LOCKED');
    expect(err.message).toContain(path);
    expect(err.message).toContain('another Tidings daemon');
    // The first keeps working: the failed open did not disturb it.
    first.commit('a', { set: { k: 1 } });
    first.close();
    const again = SqliteStore.open({ path });
    expect(again.get('a', 'k')).toBe(1);
    again.close();
  });

  it('reports a file that is not a database as STORE_ERR_CORRUPT, naming the file and the remedy', () => {
    const path = join(tmp(), 'state.db');
    writeFileSync(path, Buffer.alloc(8192, 0x5a), { mode: 0o600 });
    const err = catchStoreError(() => SqliteStore.open({ path }));
    expect(err.code).toBe('STORE_ERR_CORRUPT');
    expect(err.message).toContain(path);
    expect(err.message).toContain('move the file aside');
    expect(err.context.sqliteCode).toBe('SQLITE_NOTADB');
  });

  it('reports damaged pages found by quick_check as STORE_ERR_CORRUPT', () => {
    const path = join(tmp(), 'state.db');
    const s = SqliteStore.open({ path });
    s.commit('a', { signals: Array.from({ length: 400 }, (_, i) => mailSignal('a', i)) });
    s.close();
    // Overwrite the middle of the file (past the header, inside b-tree pages) with garbage.
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    const err = catchStoreError(() => SqliteStore.open({ path }));
    expect(err.code).toBe('STORE_ERR_CORRUPT');
    expect(err.message).toContain(path);
  });

  it('refuses a file written by a newer schema with STORE_ERR_TOO_NEW', () => {
    const path = join(tmp(), 'state.db');
    SqliteStore.open({ path }).close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const err = catchStoreError(() => SqliteStore.open({ path }));
    expect(err.code).toBe('STORE_ERR_TOO_NEW');
    expect(err.message).toContain(`schema version ${MIGRATIONS.length + 1}`);
  });

  it('says which path it could not create', () => {
    const blocker = join(tmp(), 'not-a-dir');
    writeFileSync(blocker, '');
    const err = catchStoreError(() => SqliteStore.open({ path: join(blocker, 'state.db') }));
    expect(err.code).toBe('STORE_ERR_PERMISSIONS');
    expect(err.message).toContain(`cannot create the state file ${join(blocker, 'state.db')}`);
  });

  const root = process.getuid?.() === 0;
  if (!root) console.warn('skipping the foreign-owner test: it needs root to chown a file to another user');
  it.skipIf(!root)('refuses a state file owned by another user with STORE_ERR_PERMISSIONS', () => {
    const path = join(tmp(), 'state.db');
    SqliteStore.open({ path }).close();
    chownSync(path, 65534, 65534);
    const err = catchStoreError(() => SqliteStore.open({ path }));
    expect(err.code).toBe('STORE_ERR_PERMISSIONS');
    expect(err.message).toContain('uid 65534');
  });
});
