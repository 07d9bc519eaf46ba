import type { Dispatcher } from 'undici';
import type { ImapAccount } from '../config/account';
import { ImapError } from '../imap/errors';
import { imapTokenProvider } from '../imap/oauth';
import { lazyWatcher } from './lazy';
import type { Watcher, WatcherContext } from './types';

/**
 * An IMAP account's watcher whose code (imapflow and its MIME libraries) is imported when it
 * starts (watch/lazy.ts). `dispatcher` carries only OAuth2 token requests.
 */
export function lazyImapWatcher(account: ImapAccount, ctx: WatcherContext, dispatcher: Dispatcher): Watcher {
  return lazyWatcher(
    ctx,
    'IMAP',
    () =>
      import('./imap-watcher').then(({ createImapWatcher }) => {
        const tokens = imapTokenProvider(account, ctx.secret, dispatcher, ctx.log);
        return createImapWatcher(account, ctx, tokens ? { tokens } : {});
      }),
    {
      notReady: () =>
        new ImapError('IMAP_ERR_NOT_CONNECTED', `account ${ctx.accountId} is still starting; try again`),
    },
  );
}
