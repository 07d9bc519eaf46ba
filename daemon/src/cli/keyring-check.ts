import { osKeyring, probeKeyring } from '../secrets/keyring';
import type { CommandContext } from './command';
import { CliError } from './errors';

/**
 * Fails at once — before questions, tests or a browser sign-in — naming the CLI's own flags,
 * when the OS keyring cannot be reached (issue 16). The probe (a write and delete of its own
 * entry, 15 s deadline) is the one secrets/keyring.ts runs on an empty read.
 */
export async function requireKeyring(
  ctx: CommandContext,
  what: 'password' | 'oauth',
  command: string,
): Promise<void> {
  const problem = await probeKeyring(ctx.hooks?.keyring ?? osKeyring);
  if (problem === undefined) return;
  const why = problem.message;
  throw new CliError(
    'CLI_ERR_NO_KEYRING',
    what === 'oauth'
      ? `no OS keyring is reachable (${why}); an OAuth2 account keeps its refresh token there, as it changes ` +
          `with every sign-in. Run ${command} where a keyring is unlocked (a desktop session); a password ` +
          'account can do without one (--password-command or --password-env)'
      : `no OS keyring is reachable to store the password (${why}). On a server, tell the daemon where to ` +
          "read it instead: --password-command 'pass show mail/work' (a command printing it) or " +
          "--password-env VAR (a variable in the daemon's environment)",
    { command, cause: problem },
  );
}
