import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli, splitArgv } from '../../src/cli/main';
import { parseConfig } from '../../src/config/load';
import { startDaemon } from '../../src/daemon';
import { closest } from '../../src/did-you-mean';
import { folderLabels } from '../../src/folder-labels';
import { capturingLog } from '../daemon/helpers';

/** Issue 16, "Set-up and everyday texts": what a person types wrong, and what they are told. */
let root: string;
const cleanups: (() => void | Promise<void>)[] = [];
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tidings-texts-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function freshEnv(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(root, 'home-'));
  mkdirSync(join(dir, 'run'));
  return {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'cfg'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    PATH: process.env.PATH,
  };
}

async function cli(args: string[], env = freshEnv()) {
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

describe('config typos', () => {
  it('lead with the unrecognized key at its path, and name the key meant', () => {
    const text = JSON.stringify({
      accounts: [
        { kind: 'caldav', id: 'a', url: 'https://dav.example.org/', usernme: 'bob', secret: { env: 'X' } },
      ],
    });
    let message = '';
    try {
      parseConfig(text, '/c.json');
    } catch (err) {
      message = (err as Error).message;
    }
    // Not "username: expected string, received undefined (and 1 more)".
    expect(message).toBe(
      '/c.json: accounts[0].usernme: Unrecognized key "usernme" (did you mean "username"?)',
    );
  });

  it('reach the person through the CLI, with global flags before the command', async () => {
    const env = freshEnv();
    const file = join(env.HOME!, 'typo.json');
    writeFileSync(file, JSON.stringify({ logLevl: 'info', accounts: [] }));
    const r = await cli(['--config', file, 'doctor'], env);
    expect(r.code).toBe(EXIT.CHECK_FAILED);
    expect(r.stdout).toContain('logLevl: Unrecognized key "logLevl"');
  });
});

describe('commands', () => {
  it('help, -v and --version', async () => {
    const help = await cli(['help']);
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toContain('usage: tidings <command> [flags]');
    const one = await cli(['help', 'account', 'add']);
    expect(one.stdout).toContain('usage: tidings account add exchange|caldav|carddav');
    for (const flag of ['-v', '--version']) {
      const v = await cli([flag]);
      expect(v.code).toBe(EXIT.OK);
      expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it('`tidings account` lists its sub-commands', async () => {
    const r = await cli(['account']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stdout).toContain('usage: tidings account <sub-command>');
    for (const sub of ['account add', 'account list', 'account remove', 'account test', 'account login'])
      expect(r.stdout).toContain(sub);
    expect(r.stdout).not.toContain('  doctor');
  });

  it('a typo gets "did you mean"', async () => {
    const r = await cli(['stauts']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toBe(
      'tidings: unknown command "stauts"; did you mean "status"? (CLI_ERR_UNKNOWN_COMMAND)\n',
    );
    expect((await cli(['account', 'ad'])).stderr).toContain('did you mean "account add"?');
    expect((await cli(['zzzz'])).stderr).toContain('unknown command "zzzz"; `tidings help` lists them');
    expect(closest('xyz', ['status'])).toBeUndefined();
  });

  it('extra arguments are refused with a usage error', async () => {
    const r = await cli(['status', 'now']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('status takes no arguments; unexpected "now" (CLI_ERR_EXTRA_ARGS)');
    expect(r.stderr).toContain('usage: tidings status');
    const two = await cli(['account', 'test', 'a', 'b']);
    expect(two.stderr).toContain('account test takes at most 1 argument; unexpected "b"');
  });

  it('global flags go before the command (`tidings --log-level trace doctor`)', async () => {
    expect(splitArgv(['--log-level', 'trace', 'doctor', '--account', 'x'])).toEqual({
      words: ['doctor'],
      rest: ['doctor', '--account', 'x'],
      leading: ['--log-level', 'trace'],
      version: false,
      help: false,
    });
    const r = await cli(['--log-level', 'trace', '--json', 'doctor']);
    expect(r.stderr).not.toContain('unknown command');
    expect(JSON.parse(r.stdout).general.steps[0]).toMatchObject({ name: 'config', ok: true });
    // doctor --account names an account that is not there: said, not an empty "ok".
    const none = await cli(['doctor', '--account', 'nope']);
    expect(none.code).toBe(EXIT.CHECK_FAILED);
    expect(none.stdout).toMatch(/FAIL\s+account\s+no account "nope"/);
    // An unknown flag before the command is still refused, by the command's parser.
    expect((await cli(['--bogus', 'status'])).stderr).toContain('unknown flag --bogus');
    const alone = await cli(['--bogus=1']);
    expect(alone.code).toBe(EXIT.USAGE);
    expect(alone.stderr).toBe('tidings: unknown flag --bogus; see tidings help (CLI_ERR_UNKNOWN_FLAG)\n');
  });

  it('account add names the kinds there are', async () => {
    const r = await cli(['account', 'add', 'pop3']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(
      /"pop3" is not a kind of account Tidings can add; the kinds are exchange, caldav, carddav/,
    );
  });
});

describe('errors from the daemon', () => {
  it('keep their own code, not IPC_ERR_REMOTE', async () => {
    const env = freshEnv();
    const configPath = join(env.XDG_CONFIG_HOME!, 'tidings', 'config.json');
    mkdirSync(join(env.XDG_CONFIG_HOME!, 'tidings'), { recursive: true, mode: 0o700 });
    writeFileSync(
      configPath,
      JSON.stringify({
        accounts: [
          { kind: 'caldav', id: 'a', url: 'https://dav.example.org/', username: 'u', secret: { env: 'X' } },
        ],
      }),
      { mode: 0o600 },
    );
    const d = await startDaemon({
      configPath,
      stateDir: env.XDG_STATE_HOME!,
      ipcPath: join(env.XDG_RUNTIME_DIR!, 'tidings', 'tidings.sock'),
      log: capturingLog('fatal').log,
      desktop: false,
    });
    cleanups.push(() => d.stop());
    // The same id again: the daemon refuses with the config room's code.
    const r = await cli(
      [
        'account',
        'add',
        'caldav',
        '--id',
        'a',
        '--url',
        'https://dav.example.org/',
        '--username',
        'u',
      ].concat(['--password-env', 'X', '--no-test', '--json']),
      env,
    );
    expect(JSON.parse(r.stderr).error.code).toBe('CONFIG_ERR_DUPLICATE_ACCOUNT');
    expect(r.code).toBe(EXIT.CONFIG);
  });
});

describe('folders that share a name', () => {
  it('are told apart by their kind; unique names stay bare', () => {
    expect(
      folderLabels([
        { name: 'Personal Calendar', collection: 'calendar' },
        { name: 'Personal Calendar', collection: 'tasks' },
        { name: 'Contacts', collection: 'contacts' },
      ]),
    ).toEqual(['Personal Calendar (calendar)', 'Personal Calendar (tasks)', 'Contacts']);
  });
});
