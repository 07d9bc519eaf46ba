import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../config/write';
import type { CommandContext } from '../command';
import { CliError, EXIT } from '../errors';
import {
  SYSTEM_PATHS,
  serviceFiles,
  serviceKind,
  servicePlan,
  systemPathProblem,
  userBusProblem,
} from '../service';

/** `tidings service install`: its name, flags and help are in ../registry.ts. */
export async function serviceInstall(ctx: CommandContext): Promise<number> {
  const platform = process.platform;
  const system = ctx.flags.system === true;
  const kind = serviceKind(platform, system);
  if (kind === undefined)
    throw new CliError(
      'CLI_ERR_FAILED',
      'no service manager support on Windows: let the tray start the daemon at login',
    );
  if (system && kind !== 'systemd-system')
    throw new CliError('CLI_ERR_BAD_VALUE', '--system is for Linux (systemd)', {
      command: 'service install',
    });
  const uid = process.getuid?.() ?? 0;
  const dryRun = ctx.flags['dry-run'] === true;
  if (!dryRun && kind === 'systemd-system' && uid !== 0)
    throw new CliError(
      'CLI_ERR_FAILED',
      `the system unit is written to ${SYSTEM_PATHS.unit} and needs root: sudo tidings service install --system`,
    );
  if (!dryRun && kind === 'systemd-user') {
    // Checked before anything is written: as root over SSH `systemctl --user` fails with
    // "Failed to connect to bus" after the unit file is already in place.
    const problem = userBusProblem(ctx.env, uid, existsSync);
    if (problem) throw new CliError('CLI_ERR_FAILED', problem);
  }
  const files = serviceFiles(kind);
  if (kind === 'systemd-system') {
    const problem = systemPathProblem({ node: process.execPath, tidings: files.tidings });
    if (problem && !dryRun) throw new CliError('CLI_ERR_FAILED', problem);
    if (problem) ctx.out.info(`warning: ${problem}`);
  }
  const template = await readFile(files.template, 'utf8');
  const user = ctx.env.USER ?? ctx.env.LOGNAME ?? safeUserName();
  const plan = servicePlan(kind, template, {
    node: process.execPath,
    tidings: files.tidings,
    home: ctx.env.HOME ?? '',
    uid,
    ...(user ? { user } : {}),
    env: ctx.env,
    configExists: kind === 'systemd-system' && existsSync(SYSTEM_PATHS.config),
    // logind keeps one flag file per lingering user (loginctl enable-linger).
    lingering: kind === 'systemd-user' && user !== undefined && existsSync(`/var/lib/systemd/linger/${user}`),
  });
  if (dryRun) {
    ctx.out.result(
      {
        kind: plan.kind,
        path: plan.path,
        content: plan.content,
        files: plan.files,
        dirs: plan.dirs,
        commands: plan.commands,
        notes: plan.notes,
      },
      () =>
        [
          ...plan.files.flatMap((f) => [`# would write ${f.path}:`, f.content]),
          `# would write ${plan.path}:`,
          plan.content,
          '# then run:',
          ...plan.commands.map((c) => c.join(' ')),
          ...plan.notes.map((n) => `# ${n}`),
        ].join('\n'),
    );
    return EXIT.OK;
  }
  for (const d of plan.dirs) await mkdir(d, { recursive: true, mode: 0o700 });
  for (const f of [...plan.files, { path: plan.path, content: plan.content, mode: 0o644 }]) {
    await mkdir(dirname(f.path), { recursive: true });
    await writeFileAtomic(f.path, f.content, f.mode);
    ctx.out.info(`wrote ${f.path}`);
  }
  const ran: { command: string; status: number | null }[] = [];
  for (const [i, cmd] of plan.commands.entries()) {
    const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
    ran.push({ command: cmd.join(' '), status: r.status });
    if (!plan.mayFail.includes(i) && (r.error || r.status !== 0)) {
      throw new CliError(
        'CLI_ERR_FAILED',
        `\`${cmd.join(' ')}\` failed (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`}); the unit is at ${plan.path}`,
      );
    }
  }
  for (const note of plan.notes) ctx.out.info(note);
  ctx.out.result(
    { kind: plan.kind, path: plan.path, ran, notes: plan.notes },
    () => `service installed: ${plan.path}`,
  );
  return EXIT.OK;
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
