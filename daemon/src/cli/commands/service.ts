import { spawnSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../config/write';
import type { Command } from '../command';
import { CliError, EXIT } from '../errors';
import { SERVICE_TEMPLATES, servicePlan, TIDINGS_BIN } from '../service';

export const serviceInstall: Command = {
  name: 'service install',
  description: 'write and enable the systemd user unit (Linux) or launchd agent (macOS)',
  flags: [
    {
      name: 'dry-run',
      type: 'boolean',
      description: 'print the file and the commands instead of running them',
    },
  ],
  async run(ctx) {
    const platform = process.platform;
    if (platform === 'win32')
      throw new CliError(
        'CLI_ERR_FAILED',
        'no service manager support on Windows: let the tray start the daemon at login',
      );
    const template = await readFile(
      platform === 'darwin' ? SERVICE_TEMPLATES.darwin : SERVICE_TEMPLATES.linux,
      'utf8',
    );
    const plan = servicePlan(platform, template, {
      node: process.execPath,
      tidings: TIDINGS_BIN,
      home: ctx.env.HOME ?? '',
      uid: process.getuid?.() ?? 0,
      env: ctx.env,
    })!;
    if (ctx.flags['dry-run']) {
      ctx.out.result({ path: plan.path, content: plan.content, commands: plan.commands }, () =>
        [
          `# would write ${plan.path}:`,
          plan.content,
          '# then run:',
          ...plan.commands.map((c) => c.join(' ')),
        ].join('\n'),
      );
      return EXIT.OK;
    }
    await mkdir(dirname(plan.path), { recursive: true });
    await writeFileAtomic(plan.path, plan.content, 0o644);
    ctx.out.info(`wrote ${plan.path}`);
    const ran: { command: string; status: number | null }[] = [];
    for (const [i, cmd] of plan.commands.entries()) {
      const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
      ran.push({ command: cmd.join(' '), status: r.status });
      // launchctl bootout of an agent that is not loaded fails; only the last command must succeed.
      const mustSucceed = platform !== 'darwin' || i === plan.commands.length - 1;
      if (mustSucceed && (r.error || r.status !== 0)) {
        throw new CliError(
          'CLI_ERR_FAILED',
          `\`${cmd.join(' ')}\` failed (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`}); the unit is at ${plan.path}`,
        );
      }
    }
    ctx.out.result({ path: plan.path, ran }, () => `service installed and started: ${plan.path}`);
    return EXIT.OK;
  },
};
