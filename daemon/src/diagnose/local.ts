import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Account } from '../config/account';
import type { TestResult } from '../ipc/protocol';
import { DispatcherPool } from '../setup/dispatchers';
import { SqliteStore } from '../store/sqlite-store';
import type { SecretSource } from '../secrets/types';
import { type CheckOptions, testAccount } from './checks';

/**
 * Tests an account in this process (no daemon running) as the daemon would: its dispatcher from
 * a pool built by the daemon's code, and its DeviceId, policy key and hierarchy from the daemon's
 * state store, where what the test learns is kept for the daemon. The store is the daemon's own
 * file: while a daemon holds it (locking_mode EXCLUSIVE), the check says to run through it.
 */
export async function testAccountHere(
  account: Account,
  secret: SecretSource,
  log: Logger,
  opts: CheckOptions & { stateDir: string },
): Promise<TestResult> {
  const { stateDir, ...rest } = opts;
  const path = join(stateDir, 'state.db');
  let store: SqliteStore;
  try {
    store = SqliteStore.open({ path, lockWaitMs: 500 });
  } catch (err) {
    const e = err as { message?: string; code?: string };
    return {
      ok: false,
      steps: [
        {
          name: 'state',
          ok: false,
          note: `cannot open the state store ${path}: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`,
          fix: 'a daemon holds it but does not answer on its socket: restart it (tidings service restart) and check again',
        },
      ],
    };
  }
  const pool = new DispatcherPool();
  try {
    return await testAccount(account, secret, log, { ...rest, store, dispatchers: pool });
  } finally {
    await pool.close();
    store.close();
  }
}
