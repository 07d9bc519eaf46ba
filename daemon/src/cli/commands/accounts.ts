import type { AccountSummary } from '../../ipc/protocol';
import type { Command } from '../command';
import { withDaemon } from '../client';
import { EXIT } from '../errors';

function table(accounts: AccountSummary[]): string {
  if (accounts.length === 0) return 'no accounts (tidings account add exchange|caldav|carddav)';
  return accounts
    .map((a) => `${a.id}\t${a.kind}\t${a.enabled ? a.status.state : 'disabled'}\t${a.name}`)
    .join('\n');
}

const list: Omit<Command, 'name'> = {
  description: 'list configured accounts and their state',
  flags: [],
  async run(ctx) {
    const accounts = await withDaemon(ctx, (c) => c.call('accounts.list', {}));
    ctx.out.result(accounts, () => table(accounts));
    return EXIT.OK;
  },
};

export const accounts: Command = { name: 'accounts', ...list };
export const accountList: Command = { name: 'account list', ...list };
