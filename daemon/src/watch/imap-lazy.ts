import type { Dispatcher } from 'undici';
import { systemClock } from '../clock';
import type { ImapAccount } from '../config/account';
import { ImapError } from '../imap/errors';
import { imapTokenProvider } from '../imap/oauth';
import type { Watcher, WatcherContext, WatcherStatus } from './types';

/**
 * An IMAP account's watcher whose code (imapflow and its MIME libraries) is imported when it
 * starts, so a daemon without IMAP accounts never loads it (the bundle puts it in a chunk of its
 * own), as dav-lazy.ts does for DAV. `dispatcher` carries only OAuth2 token requests.
 */
export function lazyImapWatcher(account: ImapAccount, ctx: WatcherContext, dispatcher: Dispatcher): Watcher {
  const idle: WatcherStatus = { state: 'stopped', since: new Date(systemClock.now()).toISOString() };
  let watcher: Watcher | undefined;
  let loading: Promise<void> | undefined;
  let stopped = false;
  return {
    accountId: ctx.accountId,
    start() {
      stopped = false;
      if (watcher) return watcher.start();
      loading ??= import('./imap-watcher').then(
        ({ createImapWatcher }) => {
          const tokens = imapTokenProvider(account, ctx.secret, dispatcher, ctx.log);
          watcher = createImapWatcher(account, ctx, tokens ? { tokens } : {});
          if (!stopped) watcher.start();
        },
        (err: unknown) => ctx.log.error({ err }, 'could not load the IMAP watcher'),
      );
    },
    status: () => watcher?.status() ?? idle,
    wake: (reason) => watcher?.wake?.(reason),
    markRead: (folderId, itemIds) =>
      watcher?.markRead
        ? watcher.markRead(folderId, itemIds)
        : Promise.reject(
            new ImapError('IMAP_ERR_NOT_CONNECTED', `account ${ctx.accountId} is still starting; try again`),
          ),
    async stop() {
      stopped = true;
      await loading;
      await watcher?.stop();
    },
  };
}
