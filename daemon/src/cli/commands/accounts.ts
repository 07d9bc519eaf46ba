import type { AccountSummary } from '../../ipc/protocol';
import type { CommandContext } from '../command';
import { withDaemon } from '../client';
import { EXIT } from '../errors';

function table(accounts: AccountSummary[]): string {
  if (accounts.length === 0) return 'no accounts (tidings account add exchange|caldav|carddav)';
  return accounts
    .map((a) => `${a.id}\t${a.kind}\t${a.enabled ? a.status.state : 'disabled'}\t${a.name}`)
    .join('\n');
}

/** `tidings accounts` and `tidings account list`: their names and help are in ../registry.ts. */
export async function accounts(ctx: CommandContext): Promise<number> {
  const list = await withDaemon(ctx, (c) => c.call('accounts.list', {}));
  ctx.out.result(list, () => table(list));
  return EXIT.OK;
}
