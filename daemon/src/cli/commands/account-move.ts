import type { CommandContext } from '../command';
import { withDaemon } from '../client';
import { CliError, EXIT } from '../errors';

/**
 * `tidings account accept-move <id>`: the user's yes to a server that moved an Exchange account
 * to another origin or to plain http (issue 13 §2). Until then the account waits in
 * `needs-confirmation` and no password goes there; `tidings status` shows both addresses. The
 * move lives in the running daemon only (nothing is stored before it is accepted), so this needs
 * the daemon.
 * Its name, flags and help are in ../registry.ts.
 */
export async function accountAcceptMove(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  if (!id)
    throw new CliError('CLI_ERR_MISSING', 'which account? tidings account accept-move <id>', {
      command: 'account accept-move',
    });
  const r = await withDaemon(ctx, (c) => c.call('accounts.acceptMove', { id }));
  ctx.out.result({ ...r, id }, () => `${id} now uses ${r.url}`);
  return EXIT.OK;
}
