import { KEYRING_SERVICE, osKeyring } from '../secrets';
import type { CommandContext } from './command';
import { CliError } from './errors';

/** How long the keyring probe may take: a D-Bus call that hangs must not hang set-up. */
const KEYRING_PROBE_MS = 15_000;
const KEYRING_PROBE = 'tidings-keyring-probe';

/**
 * Fails at once — before questions, tests or a browser sign-in — naming the CLI's own flags,
 * when the OS keyring cannot be reached (issue 16): an entry of its own is written and deleted.
 */
export async function requireKeyring(
  ctx: CommandContext,
  what: 'password' | 'oauth',
  command: string,
): Promise<void> {
  const backend = ctx.hooks?.keyring ?? osKeyring;
  let timer: NodeJS.Timeout | undefined;
  const problem = await Promise.race([
    // A write, not a read: without a Secret Service the native store answers reads with "none"
    // and fails only writes ("Couldn't access platform storage").
    backend.set(KEYRING_SERVICE, KEYRING_PROBE, 'probe').then(
      () =>
        backend.delete(KEYRING_SERVICE, KEYRING_PROBE).then(
          () => undefined,
          () => undefined,
        ),
      (err: unknown) => err ?? new Error('keyring error'),
    ),
    new Promise<Error>((resolve) => {
      timer = setTimeout(
        () => resolve(new Error(`no answer within ${KEYRING_PROBE_MS / 1000} s`)),
        KEYRING_PROBE_MS,
      );
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (problem === undefined) return;
  const why = problem instanceof Error ? problem.message : String(problem);
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
