import type { Dispatcher } from 'undici';
import type { JmapAccount } from '../config/account';
import { JmapError } from '../jmap/errors';
import type { TokenProvider } from '../oauth/token-provider';
import { lazyWatcher } from './lazy';
import type { Watcher, WatcherContext } from './types';

/** A JMAP account's watcher whose code is imported when it starts (watch/lazy.ts). */
export function lazyJmapWatcher(
  account: JmapAccount,
  ctx: WatcherContext,
  dispatcher: Dispatcher,
  tokens?: TokenProvider,
): Watcher {
  return lazyWatcher(
    ctx,
    'JMAP',
    () =>
      import('./jmap-watcher').then(({ createJmapWatcher }) =>
        createJmapWatcher(account, ctx, { dispatcher, ...(tokens ? { tokens } : {}) }),
      ),
    {
      acceptMove: true,
      notReady: () =>
        new JmapError('JMAP_ERR_NOT_CONNECTED', `account ${ctx.accountId} is still starting; try again`),
    },
  );
}
