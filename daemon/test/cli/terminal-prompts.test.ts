import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `account add` asking on a real terminal: the CLI runs under util-linux `script`, which gives it
 * a pseudo-terminal, so readline's prompts, echo and line editing are the real ones (the other
 * CLI tests inject `ask`).
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const missing = spawnSync('sh', ['-c', 'command -v script']).status !== 0;
const skip = missing && process.env.CI !== 'true';
if (skip) console.warn('skipping the terminal prompt tests: `script` (util-linux) is missing');

const root = mkdtempSync(join(tmpdir(), 'tidings-pty-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Session {
  code: number | null;
  /** Everything the terminal showed, escape sequences included. */
  screen: string;
  home: string;
}

/** Runs `tidings <args>` on a pseudo-terminal and types each answer once its prompt shows. */
function onTerminal(
  args: string,
  answers: [prompt: string, typed: string][],
  opts: { memoryKeyring?: boolean } = {},
): Promise<Session> {
  const home = mkdtempSync(join(root, 'home-'));
  mkdirSync(join(home, 'run'), { mode: 0o700 });
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    // No Secret Service: the keyring step must fail with its own error, after the prompt.
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-bus')}`,
    TERM: 'xterm',
  };
  const entry = opts.memoryKeyring
    ? '--import tsx daemon/test/cli/support/memory-keyring-cli.ts'
    : 'bin/tidings.js';
  const cmd = `${JSON.stringify(process.execPath)} ${entry} ${args}`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env, stdio: 'pipe' });
  let screen = '';
  const pending = [...answers];
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString('utf8');
    const next = pending[0];
    if (next && screen.includes(next[0])) {
      pending.shift();
      child.stdin.write(`${next[1]}\r`);
    }
  });
  const timer = setTimeout(() => child.kill(), 30_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, screen, home });
    }),
  );
}

describe.skipIf(skip)('account add on a terminal', () => {
  it('asks for what the flags do not give and writes the account', async () => {
    const s = await onTerminal('account add caldav --no-test --password-env DAV_PW', [
      ['server URL', 'https://dav.example.org/'],
      ['Login name', 'alice'],
    ]);
    expect(s.screen).toContain('CalDAV server URL (or your e-mail address): ');
    expect(s.code).toBe(0);
    const config = JSON.parse(readFileSync(join(s.home, 'config', 'tidings', 'config.json'), 'utf8'));
    expect(config.accounts).toEqual([
      expect.objectContaining({
        kind: 'caldav',
        url: 'https://dav.example.org/',
        username: 'alice',
        secret: { env: 'DAV_PW' },
      }),
    ]);
  }, 40_000);

  it('does not echo the password, and stores it in the keyring, not the config', async () => {
    const s = await onTerminal(
      'account add caldav --no-test',
      [
        ['server URL', 'https://dav.example.org/'],
        ['Login name', 'alice'],
        ['Password', 'hunter2-not-echoed'],
      ],
      { memoryKeyring: true },
    );
    expect(s.screen).toContain('Password (stored in the OS keyring, not in the config): ');
    expect(s.screen).toContain('alice'); // ordinary answers are echoed
    expect(s.screen).not.toContain('hunter2');
    expect(s.screen).toContain('keyring entries: tidings/caldav-alice');
    expect(s.code).toBe(0);
    const config = readFileSync(join(s.home, 'config', 'tidings', 'config.json'), 'utf8');
    expect(config).not.toContain('hunter2');
  }, 40_000);

  it('without a keyring, says so before asking anything, and names the flags that work instead', async () => {
    // Issue 16: it asked for everything, tested, and only then failed with a config-file hint.
    const s = await onTerminal('account add caldav', [['server URL', 'https://dav.example.org/']]);
    expect(s.screen).toContain('no OS keyring is reachable to store the password');
    expect(s.screen).toContain('--password-command');
    expect(s.screen).toContain('--password-env');
    expect(s.screen).toContain('(CLI_ERR_NO_KEYRING)');
    expect(s.screen).not.toContain('server URL');
    expect(s.code).toBe(1);
  }, 40_000);
});
