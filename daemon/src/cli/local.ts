import type { CheckOptions } from '../diagnose/checks';
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

/**
 * Account-test options for this invocation: in a terminal, the person is asked before
 * credentials go to an Autodiscover host outside the address's domain (as Outlook asks).
 */
export function checkOptionsOf(ctx: CommandContext): CheckOptions {
  const ask = ctx.ask;
  if (!ask) return {};
  return {
    trustRedirect: async (url) =>
      /^y(es)?$/i.test(
        (
          await ask(
            `Autodiscover was pointed to ${new URL(url).origin}, outside your address's domain, by an unverified step.\n` +
              'Send your credentials there? [y/N] ',
          )
        ).trim(),
      ),
  };
}
