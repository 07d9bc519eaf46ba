import { localDateTime, nextLocalTime } from '../../local-time';
import type { CommandContext } from '../command';
import { withDaemon } from '../client';
import { CliError, EXIT } from '../errors';

/**
 * `--until`: a local clock time (`18:00`, its next occurrence) or a date and time; a time
 * without an offset is local, as a person means it. Sent to the daemon as ISO UTC.
 */
export function untilInstant(text: string, now = new Date()): string {
  const next = nextLocalTime(text, now);
  if (next) return next.toISOString();
  // `2026-12-07 18:00` as well as ISO; Date reads a date-time without an offset as local.
  const d = /^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}/.test(text) ? new Date(text.replace(' ', 'T')) : undefined;
  if (!d || Number.isNaN(d.getTime()))
    throw new CliError(
      'CLI_ERR_BAD_VALUE',
      `--until must be a time like 18:00 or a date and time like 2026-12-07T18:00, got "${text}"`,
      { command: 'pause' },
    );
  if (d.getTime() <= now.getTime())
    throw new CliError('CLI_ERR_BAD_VALUE', `--until ${text} is in the past`, { command: 'pause' });
  return d.toISOString();
}

/** `tidings pause`: its name, flags and help are in ../registry.ts. */
export async function pause(ctx: CommandContext): Promise<number> {
  const { minutes, until } = ctx.flags as { minutes?: number; until?: string };
  if (minutes !== undefined && until !== undefined)
    throw new CliError('CLI_ERR_BAD_VALUE', 'give --minutes or --until, not both', { command: 'pause' });
  const params = until !== undefined ? { until: untilInstant(until) } : { minutes: minutes ?? 60 };
  const r = await withDaemon(ctx, (c) => c.call('pause', params));
  ctx.out.result(r, () => `notifications paused until ${localDateTime(r.pausedUntil)}`);
  return EXIT.OK;
}

/** `tidings resume`: its name, flags and help are in ../registry.ts. */
export async function resume(ctx: CommandContext): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call('resume', {}));
  ctx.out.result(r, () => 'notifications resumed');
  return EXIT.OK;
}

/** `tidings reload`: its name, flags and help are in ../registry.ts. */
export async function reload(ctx: CommandContext): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call('reload', {}));
  ctx.out.result(r, () => `config reloaded: ${r.accounts} account(s)`);
  return EXIT.OK;
}

/** `tidings stop`: its name, flags and help are in ../registry.ts. */
export async function stop(ctx: CommandContext): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call('shutdown', {}));
  ctx.out.result(r, () => 'daemon stopping');
  return EXIT.OK;
}
