import type { Dispatcher } from 'undici';
import { systemClock } from '../clock';
import type { JmapAccount } from '../config/account';
import type { TokenProvider } from '../oauth/token-provider';
import { JmapError } from '../jmap/errors';
import type { Watcher, WatcherContext, WatcherStatus } from './types';

/**
 * A JMAP account's watcher whose code is imported when it starts (as dav-lazy.ts does), so a
 * daemon without JMAP accounts never loads it. Until then it reports what a stopped watcher does.
 */
export function lazyJmapWatcher(
  account: JmapAccount,
  ctx: WatcherContext,
  dispatcher: Dispatcher,
  tokens?: TokenProvider,
): Watcher {
  const idle: WatcherStatus = { state: 'stopped', since: new Date(systemClock.now()).toISOString() };
  let watcher: Watcher | undefined;
  let loading: Promise<void> | undefined;
  let stopped = false;
  return {
    accountId: ctx.accountId,
    start() {
      stopped = false;
      if (watcher) return watcher.start();
      loading ??= import('./jmap-watcher').then(
        ({ createJmapWatcher }) => {
          watcher = createJmapWatcher(account, ctx, { dispatcher, ...(tokens ? { tokens } : {}) });
          if (!stopped) watcher.start();
        },
        (err: unknown) => ctx.log.error({ err }, 'could not load the JMAP watcher'),
      );
    },
    status: () => watcher?.status() ?? idle,
    wake: (reason) => watcher?.wake?.(reason),
    // A redirect to another origin waits for `tidings account accept-move` (issue 13 §2).
    acceptMove: () => watcher?.acceptMove?.(),
    markRead: (folderId, itemIds) =>
      watcher?.markRead
        ? watcher.markRead(folderId, itemIds)
        : Promise.reject(
            new JmapError('JMAP_ERR_NOT_CONNECTED', `account ${ctx.accountId} is still starting; try again`),
          ),
    async stop() {
      stopped = true;
      await loading;
      await watcher?.stop();
    },
  };
}
