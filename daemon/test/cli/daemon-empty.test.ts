import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';

/**
 * Issue 16: the tray starts `tidings daemon --empty`. With no config file that daemon watches
 * nothing — no demo, whose notifications went on after the tray quit — and waits for the first
 * account, which the tray's "Add an account" page adds through it.
 */
const root = mkdtempSync(join(tmpdir(), 'tidings-empty-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function io(env: NodeJS.ProcessEnv, out: string[]): CliIo {
  return {
    stdout: (t) => out.push(String(t)),
    stderr: (t) => out.push(t),
    env,
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
  };
}

describe('daemon --empty', () => {
  it('runs with no accounts and no demo, then takes the first account added', async () => {
    const home = mkdtempSync(join(root, 'home-'));
    mkdirSync(join(home, 'run'), { mode: 0o700 });
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'cfg'),
      XDG_STATE_HOME: join(home, 'state'),
      XDG_RUNTIME_DIR: join(home, 'run'),
      PW: 'pw',
    };
    // The daemon's default socket comes from the process environment: name it for both sides.
    const socket = ['--socket', join(home, 'run', 'tidings.sock')];
    const daemonOut: string[] = [];
    const running = runCli(['daemon', '--empty', '--log-level', 'silent', ...socket], io(env, daemonOut));
    const cli = async (args: string[]) => {
      const out: string[] = [];
      const code = await runCli([...args, ...socket], io(env, out));
      return { code, text: out.join('') };
    };
    // Polled with a generous deadline: the daemon needs a moment to listen on a loaded machine.
    let status: { code: number; text: string } | undefined;
    for (let i = 0; i < 200; i++) {
      status = await cli(['status', '--json']);
      if (status.code === EXIT.OK) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status?.code).toBe(EXIT.OK);
    expect(JSON.parse(status!.text)).toMatchObject({ demo: false, accounts: [] });
    expect(existsSync(join(home, 'cfg', 'tidings', 'config.json'))).toBe(false);

    const add = await cli([
      'account',
      'add',
      'caldav',
      '--url',
      'https://dav.example.org/',
      '--username',
      'u',
      '--password-env',
      'PW',
      '--no-test',
    ]);
    expect(add.code).toBe(EXIT.OK);
    const after = JSON.parse((await cli(['status', '--json'])).text);
    expect(after.accounts.map((a: { id: string }) => a.id)).toEqual(['caldav-u']);

    // pause --until a local clock time, answered in local time (issue 16: it answered in UTC).
    const paused = await cli(['pause', '--until', '18:00']);
    expect(paused.code).toBe(EXIT.OK);
    expect(paused.text).toMatch(/^notifications paused until \d{4}-\d{2}-\d{2} 18:00\n$/);
    expect((await cli(['stop'])).code).toBe(EXIT.OK);
    expect(await running).toBe(EXIT.OK);
    // No demo signal was printed.
    expect(daemonOut.join('')).not.toContain('demo');
  }, 30_000);
});
