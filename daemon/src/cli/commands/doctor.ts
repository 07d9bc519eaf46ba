import type { ConfigError } from '../../config/errors';
import { loadConfig } from '../../config/load';
import { testAccount } from '../../diagnose/checks';
import { connect } from '../../ipc/client';
import type { TestResult } from '../../ipc/protocol';
import { secretForAccount } from '../../secrets';
import type { Command } from '../command';
import { formatSteps } from '../checks-table';
import { EXIT } from '../errors';
import { checkOptionsOf, cliLog } from '../local';
import { configPathOf, socketPathOf } from '../paths';

type Step = TestResult['steps'][number];

/**
 * `tidings doctor`, as npm doctor: a table of named checks, each with a note or a fix. Runs in
 * the CLI process, so it works when the daemon does not.
 */
export const doctor: Command = {
  name: 'doctor',
  description:
    'check config, daemon and every account (DNS, TLS, Autodiscover, auth, OPTIONS, Ping); say what to fix',
  flags: [{ name: 'account', type: 'string', placeholder: 'id', description: 'check only this account' }],
  async run(ctx) {
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
    try {
      const c = await connect(socketPathOf(ctx), { client: 'cli-doctor' });
      const s = await c.call('status', {});
      c.close();
      general.push({
        name: 'daemon',
        ok: true,
        note: `running, pid ${s.pid}, version ${s.version}${s.demo ? ' (demo)' : ''}`,
      });
    } catch (err) {
      general.push({
        name: 'daemon',
        ok: false,
        note: (err as Error).message,
        fix: 'start it: tidings daemon, or tidings service install',
      });
    }
    const results: { id: string; result: TestResult }[] = [];
    const only = ctx.flags.account as string | undefined;
    for (const account of accounts) {
      if (only && account.id !== only) continue;
      results.push({
        id: account.id,
        result: await testAccount(
          account,
          secretForAccount(account, { env: ctx.env }),
          cliLog(ctx),
          checkOptionsOf(ctx),
        ),
      });
    }
    const generalResult: TestResult = { ok: general.every((s) => s.ok), steps: general };
    const ok = generalResult.ok && results.every((r) => r.result.ok);
    ctx.out.result({ ok, general: generalResult, accounts: results }, () =>
      [formatSteps('tidings:', generalResult), ...results.map((r) => formatSteps(`${r.id}:`, r.result))].join(
        '\n',
      ),
    );
    return ok ? EXIT.OK : EXIT.CHECK_FAILED;
  },
};
