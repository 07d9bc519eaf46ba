import type { ConfigError } from '../../config/errors';
import { loadConfig } from '../../config/load';
import { testAccountHere } from '../../diagnose/local';
import { connect, type IpcClient } from '../../ipc/client';
import type { TestResult } from '../../ipc/protocol';
import { secretForAccount } from '../../secrets';
import type { CommandContext } from '../command';
import { formatSteps } from '../checks-table';
import { EXIT } from '../errors';
import { checkOptionsOf, cliLog, stateDirOf } from '../local';
import { configPathOf, socketPathOf } from '../paths';

type Step = TestResult['steps'][number];

/**
 * `tidings doctor`, as npm doctor: a table of named checks, each with a note or a fix. The
 * account checks run on the daemon's code path: inside the running daemon (`accounts.test`, its
 * dispatchers and state store), else in the CLI process with the daemon's state store — the same
 * DeviceId, the same dispatcher — so they cannot say "works" where the daemon fails.
 * Its name, flags and help are in ../registry.ts.
 */
export async function doctor(ctx: CommandContext): Promise<number> {
  const file = configPathOf(ctx);
  const general: Step[] = [];
  let accounts: Awaited<ReturnType<typeof loadConfig>>['accounts'] = [];
  try {
    const config = await loadConfig(file);
    accounts = config.accounts;
    general.push({ name: 'config', ok: true, note: `${file}: ${accounts.length} account(s)` });
  } catch (err) {
    const e = err as ConfigError;
    general.push(
      e.code === 'CONFIG_ERR_NOT_FOUND'
        ? {
            name: 'config',
            ok: true,
            note: `no config file at ${file}: the daemon runs the demo`,
            fix: 'tidings account add exchange|caldav|carddav',
          }
        : {
            name: 'config',
            ok: false,
            note: e.message,
            fix: 'fix the field named above; build/config.schema.json describes every field',
          },
    );
  }
  let daemon: IpcClient | undefined;
  try {
    const c = await connect(socketPathOf(ctx), { client: 'cli-doctor' });
    daemon = c;
    const s = await c.call('status', {});
    general.push({
      name: 'daemon',
      ok: true,
      note: `running, pid ${s.pid}, version ${s.version}${s.demo ? ' (demo)' : ''}`,
    });
  } catch (err) {
    daemon?.close();
    daemon = undefined;
    general.push({
      name: 'daemon',
      ok: false,
      note: (err as Error).message,
      fix: 'start it: tidings daemon, or tidings service install',
    });
  }
  const results: { id: string; result: TestResult }[] = [];
  const only = ctx.flags.account as string | undefined;
  const state = stateDirOf(ctx);
  try {
    for (const account of accounts) {
      if (only && account.id !== only) continue;
      results.push({
        id: account.id,
        // The account as the file has it, tested by the daemon's own code in the daemon.
        result: daemon
          ? await daemon.call('accounts.test', { account }).catch(
              (err: Error): TestResult => ({
                ok: false,
                steps: [{ name: 'daemon', ok: false, note: `the daemon did not test it: ${err.message}` }],
              }),
            )
          : await testAccountHere(account, secretForAccount(account, { env: ctx.env }), cliLog(ctx), {
              ...checkOptionsOf(ctx),
              stateDir: state,
            }),
      });
    }
  } finally {
    daemon?.close();
  }
  if (only !== undefined && !accounts.some((a) => a.id === only))
    general.push({
      name: 'account',
      ok: false,
      note: `no account "${only}" in ${file}`,
      fix: `tidings account list names them${accounts.length ? `: ${accounts.map((a) => a.id).join(', ')}` : ''}`,
    });
  const generalResult: TestResult = { ok: general.every((s) => s.ok), steps: general };
  const ok = generalResult.ok && results.every((r) => r.result.ok);
  ctx.out.result({ ok, general: generalResult, accounts: results }, () =>
    [formatSteps('tidings:', generalResult), ...results.map((r) => formatSteps(`${r.id}:`, r.result))].join(
      '\n',
    ),
  );
  return ok ? EXIT.OK : EXIT.CHECK_FAILED;
}
