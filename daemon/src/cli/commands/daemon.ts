import { createLogger, LOG_LEVELS, type LogLevel } from '../../log';
import { type AccountTester, startDaemon } from '../../daemon';
import { stateDir } from '../../config/paths';
import type { CommandContext } from '../command';
import { CliError, EXIT } from '../errors';
import { configPathOf } from '../paths';

/** `tidings daemon`: its name, flags and help are in ../registry.ts. */
export async function daemon(ctx: CommandContext): Promise<number> {
  const level = ctx.flags['log-level'] as string | undefined;
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level))
    throw new CliError('CLI_ERR_BAD_VALUE', `--log-level must be one of ${LOG_LEVELS.join(', ')}`, {
      command: 'daemon',
    });
  const log = createLogger({ level: (level as LogLevel | undefined) ?? 'info' });
  const running = await startDaemon({
    configPath: configPathOf(ctx),
    stateDir:
      (ctx.flags['state-dir'] as string | undefined) ??
      stateDir({ platform: process.platform, env: ctx.env, home: ctx.env.HOME ?? '' }),
    ...(typeof ctx.flags.socket === 'string' ? { ipcPath: ctx.flags.socket } : {}),
    log,
    // --no-demo wins: a service without its config must fail loudly, whoever added --empty.
    demo: ctx.flags['no-demo'] === true ? false : ctx.flags.empty === true ? 'empty' : true,
    logLevelOverride: level !== undefined,
    handleSignals: true,
    out: (text) => ctx.out.write(`${text}\n`),
    // The checks (DNS, Autodiscover, DAV discovery, …) run on an `accounts.test` call only: loaded
    // then, so an idle daemon does not hold their code (issue 5, RSS).
    tester: lazyTester,
  });
  await running.stopped;
  return EXIT.OK;
}

const lazyTester: AccountTester = async (...args) =>
  (await import('../../diagnose/checks')).testAccount(...args);
