import type { Command } from '../command';
import { connect } from '../../ipc/client';
import { EXIT } from '../errors';
import { formatSignal } from '../format';
import { socketPathOf } from '../paths';

export const watch: Command = {
  name: 'watch',
  description: 'print change signals as they come (JSON lines with --json) until Ctrl-C',
  flags: [
    { name: 'replay', type: 'boolean', description: 'first print the most recent signals the daemon keeps' },
  ],
  async run(ctx) {
    const client = await connect(socketPathOf(ctx), { client: 'cli-watch' });
    client.onSignal((s) => ctx.out.result(s, () => formatSignal(s)));
    const closed = client.closed();
    await client.subscribe(ctx.flags.replay === true);
    ctx.out.info(`watching ${client.path} (Ctrl-C to stop)`);
    const how = await Promise.race([
      closed.then(() => 'closed' as const),
      ctx.interrupted().then(() => 'interrupted' as const),
    ]);
    client.close();
    if (how === 'closed') {
      ctx.out.error('IPC_ERR_CLOSED', 'the daemon closed the connection');
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  },
};
