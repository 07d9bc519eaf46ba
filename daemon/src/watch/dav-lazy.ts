import type { Dispatcher } from 'undici';
import type { DavAccount } from '../config/account';
import { lazyWatcher } from './lazy';
import type { Watcher, WatcherContext } from './types';

/** A DAV account's watcher whose code (DAV client, ical.js, ntfy) is imported when it starts (watch/lazy.ts). */
export function lazyDavWatcher(account: DavAccount, ctx: WatcherContext, dispatcher: Dispatcher): Watcher {
  return lazyWatcher(ctx, 'DAV', () =>
    import('./dav-account').then(({ createDavAccountWatcher }) =>
      createDavAccountWatcher(account, ctx, dispatcher),
    ),
  );
}
