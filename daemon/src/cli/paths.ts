import { readFileSync } from 'node:fs';
import { resolveConfigPath } from '../config/paths';
import { defaultIpcPath } from '../ipc/paths';
import type { CommandContext } from './command';

/** The config file this invocation means. */
export function configPathOf(ctx: CommandContext): string {
  return resolveConfigPath(ctx.flags.config as string | undefined, {
    platform: process.platform,
    env: ctx.env,
    home: ctx.env.HOME ?? '',
  });
}

/**
 * The socket to talk to: `--socket`, else `ipc.path` from the config file (read leniently: a
 * broken file must not stop `tidings status` from reaching the daemon that still runs), else
 * the per-user default.
 */
export function socketPathOf(ctx: CommandContext): string {
  if (typeof ctx.flags.socket === 'string') return ctx.flags.socket;
  try {
    const raw = JSON.parse(readFileSync(configPathOf(ctx), 'utf8')) as { ipc?: { path?: unknown } };
    if (typeof raw.ipc?.path === 'string') return raw.ipc.path;
  } catch {
    // no file or not JSON: the default socket
  }
  return defaultIpcPath(process.platform, ctx.env);
}
