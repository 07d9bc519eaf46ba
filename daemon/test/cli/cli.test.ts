import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, el } from '@tidings/wbxml';
import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { COMMANDS } from '../../src/cli/registry';
import { servicePlan } from '../../src/cli/service';
import { startDaemon } from '../../src/daemon';
import { DAEMON_NODE_FLAGS } from '../../src/v8-tuning';
import { capturingLog } from '../daemon/helpers';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let root: string;
let env: NodeJS.ProcessEnv;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tidings-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function freshEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(root, 'home-'));
  mkdirSync(join(dir, 'run'));
  return {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'cfg'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    PATH: process.env.PATH,
    ...extra,
  };
}

async function cli(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const out: (string | Uint8Array)[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: opts.env ?? env,
    stdin: async () => new TextEncoder().encode(opts.stdin ?? ''),
    interrupted: () => new Promise(() => {}),
  };
  const code = await runCli(args, io);
  return {
    code,
    stdout: out.map((c) => (typeof c === 'string' ? c : Buffer.from(c).toString('latin1'))).join(''),
    stderr: err.join(''),
  };
}

describe('usage and flags', () => {
  it('generates usage from the command modules and lists every command', async () => {
    env = freshEnv();
    const r = await cli(['--help']);
    expect(r.code).toBe(EXIT.OK);
    for (const c of COMMANDS) expect(r.stdout).toContain(c.name);
  });

  it('answers --help for every command with its own flags', async () => {
    env = freshEnv();
    for (const c of COMMANDS.filter((c) => !c.passthrough)) {
      const r = await cli([...c.name.split(' '), '--help']);
      expect(r.code).toBe(EXIT.OK);
      expect(r.stdout).toContain(`usage: tidings ${c.name}`);
      for (const f of c.flags) expect(r.stdout).toContain(`--${f.name}`);
    }
  });

  it('rejects an unknown flag with a code, usage and exit 2', async () => {
    env = freshEnv();
    const r = await cli(['status', '--bogus']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('unknown flag --bogus (CLI_ERR_UNKNOWN_FLAG)');
    expect(r.stderr).toContain('usage: tidings status');
    const j = await cli(['status', '--bogus', '--json']);
    expect(JSON.parse(j.stderr).error.code).toBe('CLI_ERR_UNKNOWN_FLAG');
  });

  it('rejects an unknown command with exit 2, and prints the version', async () => {
    env = freshEnv();
    expect((await cli(['frobnicate'])).code).toBe(EXIT.USAGE);
    const v = await cli(['--version']);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('says exit 3 when no daemon runs', async () => {
    env = freshEnv();
    const r = await cli(['status', '--json']);
    expect(r.code).toBe(EXIT.NOT_RUNNING);
    expect(JSON.parse(r.stderr).error.code).toBe('IPC_ERR_NOT_RUNNING');
  });
});

describe('talking to a running daemon', () => {
  it('status --json and text, pause, resume, reload with a broken file', async () => {
    env = freshEnv();
    const configPath = join(env.XDG_CONFIG_HOME!, 'tidings', 'config.json');
    mkdirSync(join(env.XDG_CONFIG_HOME!, 'tidings'), { recursive: true });
    writeFileSync(configPath, JSON.stringify({ accounts: [] }));
    const d = await startDaemon({
      configPath,
      stateDir: env.XDG_STATE_HOME!,
      ipcPath: join(env.XDG_RUNTIME_DIR!, 'tidings', 'tidings.sock'),
      log: capturingLog('fatal').log,
      desktop: false,
    });
    cleanups.push(() => d.stop());
    const j = await cli(['status', '--json']);
    expect(j.code).toBe(EXIT.OK);
    expect(JSON.parse(j.stdout)).toMatchObject({ pid: process.pid, demo: false, accounts: [] });
    expect((await cli(['status'])).stdout).toContain('no accounts configured');
    const p = await cli(['pause', '--minutes', '5', '--json']);
    expect(Date.parse(JSON.parse(p.stdout).pausedUntil)).toBeGreaterThan(Date.now());
    expect((await cli(['pause', '--minutes', 'soon'])).code).toBe(EXIT.USAGE);
    expect((await cli(['resume'])).code).toBe(EXIT.OK);
    writeFileSync(configPath, '{"accounts": [{"id": "BAD"}]}');
    const bad = await cli(['reload']);
    // The daemon's config error keeps its own code and exit (issue 16), not IPC_ERR_REMOTE.
    expect(bad.code).toBe(EXIT.CONFIG);
    expect(bad.stderr).toContain('accounts[0]');
    expect(bad.stderr).toContain('(CONFIG_ERR_INVALID)');
  });
});

describe('watch', () => {
  it('--json prints each signal of the demo daemon as one JSON line, until interrupted', async () => {
    env = freshEnv();
    const d = await startDaemon({
      configPath: join(env.XDG_CONFIG_HOME!, 'tidings', 'config.json'),
      stateDir: env.XDG_STATE_HOME!,
      ipcPath: join(env.XDG_RUNTIME_DIR!, 'tidings', 'tidings.sock'),
      log: capturingLog('fatal').log,
      demo: { intervalMs: 100 },
      desktop: false,
    });
    cleanups.push(() => d.stop());
    const out: string[] = [];
    let stop!: () => void;
    const interrupted = new Promise<void>((r) => {
      stop = r;
    });
    const code = await runCli(['watch', '--json'], {
      stdout: (t) => {
        out.push(String(t));
        if (out.length === 2) stop();
      },
      stderr: () => {},
      env,
      stdin: async () => new Uint8Array(),
      interrupted: () => interrupted,
    });
    expect(code).toBe(EXIT.OK);
    const signals = out.map((l) => JSON.parse(l));
    expect(signals[0]).toMatchObject({ accountId: 'demo', source: 'eas' });
    expect(out.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
  });
});

describe('accounts against the EAS fixture server (no daemon running)', () => {
  let server: EasFixtureServer;
  beforeAll(async () => {
    server = await startEasServer({ users: { alice: 'wonderland' } });
  });
  afterAll(() => server.close());

  it('account add tests the server, writes the config without the secret; test and doctor pass; remove', async () => {
    env = freshEnv({ ALICE_PW: 'wonderland' });
    const add = await cli([
      'account',
      'add',
      'exchange',
      '--email',
      'alice@example.org',
      '--username',
      'alice',
      '--url',
      server.url,
      '--password-env',
      'ALICE_PW',
      '--json',
    ]);
    expect(add.code).toBe(EXIT.OK);
    const added = JSON.parse(add.stdout);
    expect(added).toMatchObject({ added: true, id: 'alice-example.org', test: { ok: true } });
    expect(added.test.steps.find((s: { name: string }) => s.name === 'auth').ok).toBe(true);
    const file = readFileSync(join(env.XDG_CONFIG_HOME!, 'tidings', 'config.json'), 'utf8');
    expect(file).toContain('"env": "ALICE_PW"');
    expect(file).not.toContain('wonderland');

    const test = await cli(['account', 'test', 'alice-example.org', '--json']);
    expect(test.code).toBe(EXIT.OK);
    expect(JSON.parse(test.stdout).steps.map((s: { name: string }) => s.name)).toEqual([
      'dns',
      'tls',
      'options',
      'auth',
      'ping',
    ]);

    const doc = await cli(['doctor']);
    expect(doc.stdout).toMatch(/ok +ping/);
    expect(doc.stdout).toMatch(/FAIL +daemon .*\n.*→ start it/);
    expect(doc.code).toBe(EXIT.CHECK_FAILED); // the daemon is not running

    const rm = await cli(['account', 'remove', 'alice-example.org']);
    expect(rm.code).toBe(EXIT.OK);
    expect(readFileSync(join(env.XDG_CONFIG_HOME!, 'tidings', 'config.json'), 'utf8')).not.toContain('alice');
  });

  it('on a terminal, account add asks for what the flags leave out, the password without echo, and keeps it out of the config', async () => {
    env = freshEnv();
    const asked: { question: string; secret: boolean }[] = [];
    const answers = new Map([
      ['Kind', 'exchange'],
      ['E-mail address', 'alice@example.org'],
      ['Login name', 'alice'],
      ['Password', 'wonderland'],
    ]);
    const keyring = new Map<string, string>();
    const out: string[] = [];
    const io: CliIo = {
      stdout: (t) => out.push(String(t)),
      stderr: (t) => out.push(String(t)),
      env,
      stdin: async () => new Uint8Array(),
      interrupted: () => new Promise(() => {}),
      ask: async (question, o) => {
        asked.push({ question, secret: o?.secret === true });
        const key = [...answers.keys()].find((k) => question.startsWith(k));
        return key ? answers.get(key)! : '';
      },
      hooks: {
        keyring: {
          get: async (service, account) => keyring.get(`${service}/${account}`) ?? null,
          set: async (service, account, value) => void keyring.set(`${service}/${account}`, value),
          delete: async (service, account) => keyring.delete(`${service}/${account}`),
        },
      },
    };
    const code = await runCli(['account', 'add', '--url', server.url], io);
    expect(code, out.join('')).toBe(EXIT.OK);
    expect(asked.map((a) => a.question.split(' (')[0]!.replace(/: $/, ''))).toEqual([
      'Kind',
      'E-mail address',
      'Login name',
      'Password',
    ]);
    expect(asked.filter((a) => a.secret).map((a) => a.question)).toEqual([
      'Password (stored in the OS keyring, not in the config): ',
    ]);
    expect(keyring.get('tidings/alice-example.org')).toBe('wonderland');
    const file = readFileSync(join(env.XDG_CONFIG_HOME!, 'tidings', 'config.json'), 'utf8');
    expect(JSON.parse(file).accounts[0]).toMatchObject({
      id: 'alice-example.org',
      email: 'alice@example.org',
      username: 'alice',
      auth: { type: 'basic', secret: { keyring: true } },
    });
    expect(file + out.join('')).not.toContain('wonderland');
    // Removing the account takes its password out of the keyring too.
    expect(await runCli(['account', 'remove', 'alice-example.org'], io)).toBe(EXIT.OK);
    expect(keyring.size).toBe(0);
  });

  it('a wrong password fails the auth check with a fix, and nothing is added', async () => {
    env = freshEnv({ ALICE_PW: 'not-it' });
    const add = await cli([
      'account',
      'add',
      'exchange',
      '--email',
      'alice@example.org',
      '--username',
      'alice',
      '--url',
      server.url,
      '--password-env',
      'ALICE_PW',
    ]);
    expect(add.code).toBe(EXIT.CHECK_FAILED);
    expect(add.stderr).toMatch(/FAIL +auth/);
    expect(add.stderr).toContain('→ the server refused the user name or password');
    expect(add.stderr).not.toContain('not-it');
  });

  it('without a terminal, a missing field is a usage error naming the flag', async () => {
    env = freshEnv();
    // (--password-env: a keyring-bound password would be refused first where no keyring is.)
    const r = await cli([
      'account',
      'add',
      'caldav',
      '--url',
      'https://dav.example.org/',
      '--password-env',
      'PW',
    ]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('--username is required');
  });
});

describe('service install', () => {
  it('--dry-run prints the systemd user unit with real paths and the enable commands', async () => {
    env = freshEnv();
    const r = await cli(['service', 'install', '--dry-run', '--json']);
    expect(r.code).toBe(EXIT.OK);
    const plan = JSON.parse(r.stdout);
    expect(plan.path).toBe(join(env.XDG_CONFIG_HOME!, 'systemd', 'user', 'tidings.service'));
    expect(plan.content).toContain(`ExecStart=${process.execPath} ${DAEMON_NODE_FLAGS.join(' ')} `);
    expect(plan.content).toMatch(/bin\/tidings\.js daemon --no-demo/);
    expect(plan.content).not.toMatch(/@(NODE|TIDINGS|HOME)@/);
    expect(plan.commands).toEqual([
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', 'tidings.service'],
    ]);
  });

  it('plans the launchd agent on macOS', () => {
    const template = readFileSync(
      join(import.meta.dirname, '..', '..', '..', 'build', 'com.tidings.daemon.plist'),
      'utf8',
    );
    const plan = servicePlan('launchd', template, {
      node: '/n',
      tidings: '/t.js',
      home: '/Users/a',
      uid: 501,
      env: {},
    })!;
    expect(plan.path).toBe('/Users/a/Library/LaunchAgents/com.tidings.daemon.plist');
    expect(plan.content).toContain('<string>/t.js</string>');
    for (const flag of DAEMON_NODE_FLAGS) expect(plan.content).toContain(`<string>${flag}</string>`);
    expect(plan.content).toContain('/Users/a/Library/Logs/Tidings/daemon.log');
    expect(plan.commands.at(-1)).toEqual(['launchctl', 'bootstrap', 'gui/501', plan.path]);
  });
});

describe('wbxml', () => {
  it('delegates decode to the codec CLI (flags are its own)', async () => {
    env = freshEnv();
    const bytes = encode(el('FolderHierarchy', 'FolderSync', el('FolderHierarchy', 'SyncKey', '0')));
    const file = join(root, 'fs.wbxml');
    writeFileSync(file, bytes);
    const r = await cli(['wbxml', 'decode', '--compact', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>');
  });
});
