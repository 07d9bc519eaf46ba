import type { CommandContext } from '../command';
import { withDaemon } from '../client';
import { EXIT } from '../errors';

/**
 * `tidings check [account]`: look now instead of at the next interval. CalDAV / CardDAV have no
 * Ping (issue 14), so this is how a person who just changed something skips the poll; for EAS
 * it ends the hanging Ping and syncs. What the check finds arrives as signals (`tidings watch`).
 * Its name, flags and help are in ../registry.ts.
 */
export async function check(ctx: CommandContext): Promise<number> {
  const accountId = ctx.args[0];
  const r = await withDaemon(ctx, (c) => c.call('check', accountId !== undefined ? { accountId } : {}));
  ctx.out.result(r, () =>
    r.checking.length === 0
      ? 'no running account to check'
      : `checking ${r.checking.join(', ')} now; tidings watch shows what it finds`,
  );
  return EXIT.OK;
}
