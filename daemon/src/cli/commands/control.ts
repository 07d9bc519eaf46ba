import type { Command } from '../command';
import { withDaemon } from '../client';
import { CliError, EXIT } from '../errors';

export const pause: Command = {
  name: 'pause',
  description: 'hold back notifications for a while (hooks keep running)',
  flags: [
    { name: 'minutes', type: 'number', placeholder: 'n', description: 'pause for n minutes (default 60)' },
    {
      name: 'until',
      type: 'string',
      placeholder: 'time',
      description: 'pause until an ISO time (2026-11-25T18:00:00Z)',
    },
  ],
  async run(ctx) {
    const { minutes, until } = ctx.flags as { minutes?: number; until?: string };
    if (minutes !== undefined && until !== undefined)
      throw new CliError('CLI_ERR_BAD_VALUE', 'give --minutes or --until, not both', { command: 'pause' });
    const params = until !== undefined ? { until } : { minutes: minutes ?? 60 };
    const r = await withDaemon(ctx, (c) => c.call('pause', params));
    ctx.out.result(r, () => `notifications paused until ${r.pausedUntil}`);
    return EXIT.OK;
  },
};

export const resume: Command = {
  name: 'resume',
  description: 'end a pause',
  flags: [],
  async run(ctx) {
    const r = await withDaemon(ctx, (c) => c.call('resume', {}));
    ctx.out.result(r, () => 'notifications resumed');
    return EXIT.OK;
  },
};

export const reload: Command = {
  name: 'reload',
  description: 're-read the config file (a broken file is refused and the running config kept)',
  flags: [],
  async run(ctx) {
    const r = await withDaemon(ctx, (c) => c.call('reload', {}));
    ctx.out.result(r, () => `config reloaded: ${r.accounts} account(s)`);
    return EXIT.OK;
  },
};

export const stop: Command = {
  name: 'stop',
  description: 'ask the running daemon to shut down',
  flags: [],
  async run(ctx) {
    const r = await withDaemon(ctx, (c) => c.call('shutdown', {}));
    ctx.out.result(r, () => 'daemon stopping');
    return EXIT.OK;
  },
};
