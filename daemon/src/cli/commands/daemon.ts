import { createLogger, LOG_LEVELS, type LogLevel } from '../../log';
import { startDaemon } from '../../daemon';
import { stateDir } from '../../config/paths';
import type { Command } from '../command';
import { CliError, EXIT } from '../errors';
import { configPathOf } from '../paths';
import { testAccount } from '../../diagnose/checks';

export const daemon: Command = {
  name: 'daemon',
  description: 'run the daemon in the foreground (systemd, launchd or the tray start it)',
  flags: [
    {
      name: 'state-dir',
      type: 'string',
      placeholder: 'dir',
      description: 'state store directory (default: $XDG_STATE_HOME/tidings)',
    },
    {
      name: 'no-demo',
      type: 'boolean',
      description: 'fail when there is no config file instead of running the demo',
    },
    {
      name: 'empty',
      type: 'boolean',
      description: 'with no config file, run with no accounts (no demo) until one is added (the tray)',
    },
  ],
  details:
    'With no config file the daemon runs a demo account against a bundled EAS test server and prints every\n' +
    'signal to stdout. Logs are JSON on stderr (readable on a terminal). SIGHUP reloads the config;\n' +
    'SIGTERM or SIGINT stop cleanly.',
  async run(ctx) {
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
      tester: testAccount,
    });
    await running.stopped;
    return EXIT.OK;
  },
};
