import type { Command } from '../command';
import { withDaemon } from '../client';
import { EXIT } from '../errors';

/**
 * `tidings check [account]`: look now instead of at the next interval. CalDAV / CardDAV have no
 * Ping (issue 14), so this is how a person who just changed something skips the poll; for EAS
 * it ends the hanging Ping and syncs. What the check finds arrives as signals (`tidings watch`).
 */
export const check: Command = {
  name: 'check',
  synopsis: '[account]',
  description: 'check an account (or every account) for changes now',
  flags: [],
  maxArgs: 1,
  async run(ctx) {
    const accountId = ctx.args[0];
    const r = await withDaemon(ctx, (c) => c.call('check', accountId !== undefined ? { accountId } : {}));
    ctx.out.result(r, () =>
      r.checking.length === 0
        ? 'no running account to check'
        : `checking ${r.checking.join(', ')} now; tidings watch shows what it finds`,
    );
    return EXIT.OK;
  },
};
