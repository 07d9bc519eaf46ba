import type { CommandContext } from '../command';
import { withDaemon } from '../client';
import { EXIT } from '../errors';
import { formatStatus } from '../format';

/** `tidings status`: its name, flags and help are in ../registry.ts. */
export async function status(ctx: CommandContext): Promise<number> {
  const s = await withDaemon(ctx, (c) => c.call('status', {}));
  ctx.out.result(s, () => formatStatus(s));
  return EXIT.OK;
}
