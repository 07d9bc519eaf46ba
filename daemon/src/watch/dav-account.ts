import type { Dispatcher } from 'undici';
import type { DavAccount } from '../config/account';
import { createNtfyInbox } from '../dav/ntfy-inbox';
import { createDavWatcher } from './dav-watcher';
import type { Watcher, WatcherContext } from './types';

/** A DAV account's watcher as the daemon runs it: polling, or woken by its ntfy topic. */
export function createDavAccountWatcher(
  account: DavAccount,
  ctx: WatcherContext,
  dispatcher: Dispatcher,
): Watcher {
  if (!account.push) return createDavWatcher(account, ctx, { dispatcher });
  const inbox = createNtfyInbox({
    topicUrl: account.push.ntfy,
    dispatcher,
    onError: (err) => ctx.log.debug({ error: String(err) }, 'ntfy stream failed; reconnecting'),
  });
  const w = createDavWatcher(account, ctx, { dispatcher, push: inbox });
  // The inbox's stream belongs to this watcher: closed with it.
  return {
    accountId: w.accountId,
    start: () => w.start(),
    status: () => w.status(),
    wake: (reason) => w.wake?.(reason),
    check: () => w.check(),
    stop: async () => {
      await w.stop();
      await inbox.close();
    },
  };
}
