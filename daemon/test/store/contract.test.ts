import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store';
import { SqliteStore } from '../../src/store/sqlite-store';
import { storeContract } from './contract';

storeContract('MemoryStore', (opts) => ({ store: new MemoryStore(opts), cleanup: () => {} }));

storeContract('SqliteStore', (opts) => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-store-'));
  return {
    store: SqliteStore.open({ ...opts, path: join(dir, 'state', 'state.db') }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});
