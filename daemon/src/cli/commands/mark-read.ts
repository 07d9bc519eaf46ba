import type { CommandContext } from '../command';
import { withDaemon } from '../client';
import { CliError, EXIT } from '../errors';

/**
 * `tidings mark-read <account> <folder> <item>…`: marks mail read on the server where the
 * protocol allows it (Exchange: a Sync Change of Email:Read, issue 16) — what the tray's
 * notification button does, for hooks and scripts. The ids are the ones signals carry
 * (`tidings watch --json`: `accountId`, `folder.id`, `added[].id`).
 * Its name, flags and help are in ../registry.ts.
 */
export async function markRead(ctx: CommandContext): Promise<number> {
  const [accountId, folderId, ...itemIds] = ctx.args;
  if (!accountId || !folderId || itemIds.length === 0)
    throw new CliError(
      'CLI_ERR_MISSING',
      'which mail? tidings mark-read <account> <folder> <item> (the ids of a signal: tidings watch --json)',
      { command: 'mark-read' },
    );
  const r = await withDaemon(ctx, (c) => c.call('items.markRead', { accountId, folderId, itemIds }));
  ctx.out.result(r, () =>
    [
      `marked ${r.marked.length} read`,
      ...r.failed.map((f) => `not marked: ${f.id} (server Status ${f.status})`),
    ].join('\n'),
  );
  return r.failed.length > 0 ? EXIT.FAILURE : EXIT.OK;
}
