import { join } from 'node:path';
import { DEMO_ACCOUNT_ID } from '../demo/demo';
import { SqliteStore } from '../store/sqlite-store';
import type { StateStore } from '../store/types';
import type { Setup } from './disposers';

/**
 * The state store (`state.db` in `stateDir`); disposing closes it. A running demo's sync state
 * goes first: it is as ephemeral as the demo's in-memory server.
 */
export function setupStore(stateDir: string, demoRunning: () => boolean): Setup<StateStore> {
  const store = SqliteStore.open({ path: join(stateDir, 'state.db') });
  return {
    value: store,
    dispose: () => {
      if (demoRunning()) store.deleteAccount(DEMO_ACCOUNT_ID);
      store.close();
    },
  };
}
