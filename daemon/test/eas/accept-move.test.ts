import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { movedTo, startEasServer } from '@tidings/fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { startDaemon } from '../../src/daemon';
import { capturingLog, daemonDirs, until } from '../daemon/helpers';

/** Issue 13 §2 through the shipped path: the daemon holds the move, the CLI verb accepts it. */

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(typeof t === 'string' ? t : Buffer.from(t).toString()),
    stderr: (t) => err.push(t),
    env,
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('tidings account accept-move', () => {
  it('a cross-origin 451: the account waits in needs-confirmation, no request reaches the new origin until the CLI accepts', async () => {
    const home = await startEasServer({ pingTimeScale: 5 });
    cleanups.push(() => home.close());
    const other = await startEasServer({ pingTimeScale: 5 });
    cleanups.push(() => other.close());
    home.handlers['*'] = (req, next) => (req.command === 'OPTIONS' ? next() : movedTo(other.url));

    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [
          {
            id: 'work',
            kind: 'exchange',
            email: 'alice@example.com',
            username: 'alice',
            url: home.url,
            auth: { type: 'basic', secret: { env: 'TIDINGS_TEST_EAS_SECRET' } },
          },
        ],
      }),
    );
    const runtime = join(dirs.root, 'xdg');
    mkdirSync(runtime, { mode: 0o700 });
    const logged = capturingLog('warn');
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: join(runtime, 'tidings', 'tidings.sock'),
      log: logged.log,
      desktop: false,
      wakeMonitor: false,
      secrets: { env: { TIDINGS_TEST_EAS_SECRET: 'alice-password' } },
    });
    cleanups.push(() => d.stop());
    const env = { XDG_RUNTIME_DIR: runtime, HOME: dirs.root, PATH: process.env.PATH };
    const account = () => d.status().accounts[0]!;
    await until(() => account().status.state === 'needs-confirmation', 'needs-confirmation');
    expect(account().status.move).toEqual({ from: home.url, to: other.url });
    expect(other.requests).toHaveLength(0);
    expect(logged.lines.some((l) => l.includes('"level":40') && l.includes(other.url))).toBe(true);

    const status = await cli(['status', '--json'], env);
    expect(status.stdout).toContain(other.url);

    const r = await cli(['account', 'accept-move', 'work', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, url: other.url, id: 'work' });
    await until(
      () => other.parkedPings === 1 && account().status.state === 'waiting',
      'Ping on the new server',
    );
    expect(home.requests.filter((q) => q.command === 'Ping')).toHaveLength(0);

    // Nothing waits any more: a second accept is refused with a reason.
    const again = await cli(['account', 'accept-move', 'work'], env);
    expect(again.code).not.toBe(EXIT.OK);
    expect(again.stderr).toContain('no server move waiting');
  });
});
