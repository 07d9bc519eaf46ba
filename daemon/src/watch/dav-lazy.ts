import type { Dispatcher } from 'undici';
import { systemClock } from '../clock';
import type { DavAccount } from '../config/account';
import type { Watcher, WatcherContext, WatcherStatus } from './types';

/**
 * A DAV account's watcher whose code (DAV client, ical.js, ntfy) is imported when it starts, so a
 * daemon with only Exchange accounts never loads it (the bundle puts it in a chunk of its own).
 * Until then it reports what a DAV watcher reports before it starts; a wake before that is moot.
 */
export function lazyDavWatcher(account: DavAccount, ctx: WatcherContext, dispatcher: Dispatcher): Watcher {
  const idle: WatcherStatus = { state: 'stopped', since: new Date(systemClock.now()).toISOString() };
  let watcher: Watcher | undefined;
  let loading: Promise<void> | undefined;
  let stopped = false;
  return {
    accountId: ctx.accountId,
    start() {
      stopped = false;
      if (watcher) return watcher.start();
      loading ??= import('./dav-account').then(
        ({ createDavAccountWatcher }) => {
          watcher = createDavAccountWatcher(account, ctx, dispatcher);
          if (!stopped) watcher.start();
        },
        (err: unknown) => ctx.log.error({ err }, 'could not load the DAV watcher'),
      );
    },
    status: () => watcher?.status() ?? idle,
    wake: (reason) => watcher?.wake?.(reason),
    async stop() {
      stopped = true;
      await loading;
      await watcher?.stop();
    },
  };
}
