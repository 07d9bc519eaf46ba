import type { CommandContext } from '../command';
import { connect } from '../../ipc/client';
import { EXIT } from '../errors';
import { formatSignalLines } from '../../text/signal-lines';
import { socketPathOf } from '../paths';

/** `tidings watch`: its name, flags and help are in ../registry.ts. */
export async function watch(ctx: CommandContext): Promise<number> {
  // A daemon not running at all is exit 3 at once; one that restarts later is waited for
  // and the watch resumes from the last signal it printed (issue 13 §8: it used to exit with
  // IPC_ERR_CLOSED and lose whatever the restart caught up on).
  const client = await connect(socketPathOf(ctx), {
    client: 'cli-watch',
    reconnect: true,
    waitForDaemon: false,
  });
  client.onSignal((s) => ctx.out.result(s, () => formatSignalLines(s)));
  client.onConnection((up) => {
    if (up) ctx.out.info('reconnected to the daemon; resuming after the last signal shown');
    else ctx.out.info('the daemon went away; reconnecting …');
  });
  const after = typeof ctx.flags.after === 'string' ? ctx.flags.after : undefined;
  await client.subscribe(ctx.flags.replay === true, after);
  ctx.out.info(`watching ${client.path} (Ctrl-C to stop)`);
  await ctx.interrupted();
  client.close();
  return EXIT.OK;
}
