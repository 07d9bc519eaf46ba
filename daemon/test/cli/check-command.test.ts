import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDavFixture } from '../../../fixtures/src/dav-server';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { startDaemon } from '../../src/daemon';
import { capturingLog, daemonDirs, until } from '../daemon/helpers';

/** Issue 14: `tidings check [account]` checks a DAV account now, not at its next 30 s poll. */

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

describe('tidings check', () => {
  it('checks the named account at once, and every DAV account on reload; an unknown account is an error', async () => {
    const fx = await startDavFixture();
    cleanups.push(() => fx.close());
    fx.data.addCollection('/card/alice/book/', 'contacts', 'Friends');
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [
          {
            id: 'book',
            kind: 'carddav',
            url: fx.url,
            username: 'alice',
            secret: { env: 'TIDINGS_TEST_DAV_SECRET' },
          },
        ],
      }),
    );
    // The CLI finds the socket where it always does: $XDG_RUNTIME_DIR/tidings/tidings.sock.
    const runtime = join(dirs.root, 'xdg');
    mkdirSync(runtime, { mode: 0o700 });
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: join(runtime, 'tidings', 'tidings.sock'),
      log: capturingLog('fatal').log,
      desktop: false,
      wakeMonitor: false,
      secrets: { env: { TIDINGS_TEST_DAV_SECRET: 'secret' } },
    });
    cleanups.push(() => d.stop());
    const env = { XDG_RUNTIME_DIR: runtime, HOME: dirs.root, PATH: process.env.PATH };
    const homeListings = () =>
      fx.requests.filter((r) => r.method === 'PROPFIND' && r.path === '/card/alice/').length;
    // The first check (discovery + baseline) runs on start; the next is 30 s away.
    await until(() => homeListings() >= 1 && fx.requests.some((r) => r.method === 'REPORT'), 'the baseline');
    const before = homeListings();

    const r = await cli(['check', 'book', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout)).toEqual({ checking: ['book'] });
    await until(() => homeListings() > before, 'the check');

    const afterBook = homeListings();
    const all = await cli(['check'], env);
    expect(all.stdout).toContain('checking book now');
    await until(() => homeListings() > afterBook, 'the check of every account');

    // A reload checks DAV accounts at once too (the config is unchanged: the watcher keeps running).
    const beforeReload = homeListings();
    expect((await cli(['reload'], env)).code).toBe(EXIT.OK);
    await until(() => homeListings() > beforeReload, 'the check after reload');

    const bad = await cli(['check', 'nope'], env);
    expect(bad.code).not.toBe(EXIT.OK);
    expect(bad.stderr).toContain('nope');
  });
});
