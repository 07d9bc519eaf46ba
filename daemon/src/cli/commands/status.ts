import type { Command } from '../command';
import { withDaemon } from '../client';
import { EXIT } from '../errors';
import { formatStatus } from '../format';

export const status: Command = {
  name: 'status',
  description: 'show the daemon and every account: state, since when, why, unseen counts',
  flags: [],
  async run(ctx) {
    const s = await withDaemon(ctx, (c) => c.call('status', {}));
    ctx.out.result(s, () => formatStatus(s));
    return EXIT.OK;
  },
};
