import { stateDir } from '../config/paths';
import { createLogger } from '../log';
import type { CommandContext } from './command';

/** A quiet logger for work the CLI does itself (account tests when no daemon runs). */
export function cliLog(ctx: CommandContext) {
  const level = (ctx.flags['log-level'] as string | undefined) ?? 'silent';
  return createLogger({ level: level as 'silent', pretty: false });
}

/** The state directory this invocation means. */
export function stateDirOf(ctx: CommandContext): string {
  return stateDir({ platform: process.platform, env: ctx.env, home: ctx.env.HOME ?? '' });
}
