/**
 * What a user runs (issue 16, "Install"): `npm pack` (prepack builds the bundle, with its plugins'
 * checks), `npm install -g` of the tarball into a temporary prefix, then the installed `tidings`:
 * --version, --help, the demo daemon, `status`, `watch --json` receiving a demo signal, log lines
 * with journald priorities when stderr is the journal stream, and `service install` finding its
 * templates from the installed bundle.
 *
 * better-sqlite3 is a native addon. Its install script (prebuild-install) first looks for a
 * "local prebuild"; the test makes one from the addon this checkout already compiled, so the
 * install neither downloads nor spends minutes compiling SQLite (prebuild-install's own
 * offline mechanism: `local-prebuilds`, read from `prebuild-install_local-prebuilds`). Without
 * it the install script compiles the addon, as on a user's machine with no prebuilt binary.
 *
 * Every process is started here and ended by its own handle; the prefix and homes are temporary.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
};
const work = mkdtempSync(join(tmpdir(), 'tidings-install-'));
const prefix = join(work, 'prefix');
const installed = join(prefix, 'lib', 'node_modules', pkg.name);
const bin = join(prefix, 'bin', 'tidings');
const children: ChildProcess[] = [];
const execFileP = promisify(execFile);

/** A person's environment for the installed command: its own home, config, state and runtime dirs. */
const home = join(work, 'home');
const userEnv: NodeJS.ProcessEnv = {
  PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  XDG_RUNTIME_DIR: join(home, 'run'),
  LANG: 'C.UTF-8',
  TZ: 'UTC',
};

/**
 * Runs a command to its end without blocking this worker (vitest's RPC would time out during a
 * minute-long spawnSync); rejects with its output on a non-zero exit or after `timeout` ms.
 */
function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(p);
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    p.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeout);
    p.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    p.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}:\n${stdout}\n${stderr}`));
    });
  });
}

/** The installed `tidings`, as a person runs it. */
async function tidings(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileP(bin, args, { env: userEnv, timeout: 30_000, encoding: 'utf8' });
}

/** Polls `check` until it returns a value; fails with the last reason after `ms`. No fixed sleeps decide. */
async function poll<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function exited(p: ChildProcess): Promise<number | null> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((resolve) => p.once('exit', (code) => resolve(code)));
}

/**
 * A local prebuild (prebuild-install's tarball layout) of the addon this checkout compiled, and
 * the `.prebuild-installrc` in the prefix that points prebuild-install at it (rc(1) files are
 * looked for in the install script's directory and its parents; npm does not pass an environment
 * variable named `prebuild-install_…` through to scripts).
 */
async function localPrebuild(): Promise<boolean> {
  const dir = join(ROOT, 'node_modules', 'better-sqlite3');
  const addon = join(dir, 'build', 'Release', 'better_sqlite3.node');
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string })
    .version;
  // Only the version the package pins: another one would be a different addon.
  if (!existsSync(addon) || version !== pkg.dependencies['better-sqlite3']) return false;
  const out = join(work, 'prebuilds');
  const stage = join(out, 'stage');
  mkdirSync(join(stage, 'build', 'Release'), { recursive: true });
  copyFileSync(addon, join(stage, 'build', 'Release', 'better_sqlite3.node'));
  // prebuild-install's asset name: {name}-v{version}-{runtime}-v{abi}-{platform}{libc}-{arch}.tar.gz
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['-C', stage, '-czf', join(out, name), 'build'], { timeout: 60_000 });
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, '.prebuild-installrc'), `local-prebuilds=${out}\n`);
  return true;
}

let tarball: string;
let packed: string[];

beforeAll(async () => {
  mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
  // npm pack runs prepack: the bundle is built (and its plugins' checks run) right here.
  await run('npm', ['pack', '--pack-destination', work, '--loglevel', 'warn'], {
    cwd: ROOT,
    timeout: 240_000,
  });
  tarball = join(work, `${pkg.name}-${pkg.version}.tgz`);
  packed = (await run('tar', ['-tzf', tarball], { timeout: 60_000 })).stdout.trim().split('\n');
  if (!(await localPrebuild()))
    console.log('install test: no local better-sqlite3 prebuild; the install compiles it');
  await run(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel',
      'error',
      // npm 11 asks for install scripts to be allowed; better-sqlite3's fetches or builds the addon.
      '--allow-scripts=better-sqlite3',
      tarball,
    ],
    { cwd: work, timeout: 600_000 },
  );
}, 900_000);

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await exited(c);
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the bundle, the launcher and the service files, and no TypeScript', () => {
    for (const f of [
      'package/package.json',
      'package/bin/tidings.js',
      'package/dist/tidings.mjs',
      'package/build/tidings.service',
      'package/build/tidings-system.service',
      'package/build/com.tidings.daemon.plist',
    ])
      expect(packed).toContain(f);
    expect(packed.filter((f) => f.endsWith('.ts'))).toEqual([]);
  });
});

describe('the globally installed tidings', () => {
  it('runs the bundle with plain node: --version, --help, and no tsx installed', async () => {
    expect((await tidings('--version')).stdout.trim()).toBe(pkg.version);
    expect((await tidings('--help')).stdout).toContain('usage: tidings <command>');
    expect(existsSync(join(installed, 'dist', 'tidings.mjs'))).toBe(true);
    expect(existsSync(join(installed, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(installed, 'node_modules', 'better-sqlite3'))).toBe(true);
  });

  it('runs the demo daemon: status shows the demo account, watch --json receives a signal, logs carry journald priorities', async () => {
    // stderr is a file standing in for journald's stream: JOURNAL_STREAM names its device:inode.
    const errFile = join(work, 'daemon.stderr');
    const errFd = openSync(errFile, 'w');
    const st = fstatSync(errFd, { bigint: true });
    const daemon = spawn(bin, ['daemon'], {
      env: { ...userEnv, JOURNAL_STREAM: `${st.dev}:${st.ino}` },
      stdio: ['ignore', 'pipe', errFd],
    });
    closeSync(errFd);
    children.push(daemon);
    let daemonOut = '';
    daemon.stdout?.setEncoding('utf8').on('data', (c: string) => {
      daemonOut += c;
    });
    const early = exited(daemon).then((code) => {
      throw new Error(`the daemon exited (${code}):\n${daemonOut}\n${readFileSync(errFile, 'utf8')}`);
    });
    early.catch(() => {});

    const status = await Promise.race([
      early,
      poll('the demo account to wait on its Ping', 90_000, async () => {
        const s = JSON.parse((await tidings('status', '--json')).stdout) as {
          demo: boolean;
          accounts: { id: string; status: { state: string } }[];
        };
        return s.accounts[0]?.status.state === 'waiting' ? s : undefined;
      }),
    ]);
    expect(status.demo).toBe(true);
    expect(status.accounts.map((a) => a.id)).toEqual(['demo']);

    const watch = spawn(bin, ['watch', '--json'], { env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(watch);
    let watchOut = '';
    let watchErr = '';
    watch.stderr?.setEncoding('utf8').on('data', (c: string) => {
      watchErr += c;
    });
    const signal = await Promise.race([
      early,
      new Promise<{ accountId: string; source: string; added: unknown[] }>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no signal on watch --json within 90 s: ${watchOut} ${watchErr}`)),
          90_000,
        );
        watch.stdout?.setEncoding('utf8').on('data', (c: string) => {
          watchOut += c;
          const line = watchOut.split('\n').find((l) => l.startsWith('{"id"'));
          if (line) {
            clearTimeout(timer);
            resolve(JSON.parse(line));
          }
        });
        watch.once('exit', (code) => reject(new Error(`watch exited (${code}): ${watchErr}`)));
      }),
    ]);
    expect(signal).toMatchObject({ accountId: 'demo', source: 'eas' });
    expect(signal.added.length).toBeGreaterThan(0);
    watch.kill('SIGTERM');
    await exited(watch);

    daemon.kill('SIGTERM');
    expect(await exited(daemon)).toBe(0);
    const lines = readFileSync(errFile, 'utf8').trim().split('\n');
    // Every line has its priority; the demo's notice is a warning (pino 40 → <4>).
    expect(lines.filter((l) => !/^<[2-7]>\{"level":\d+/.test(l))).toEqual([]);
    expect(lines.some((l) => l.startsWith('<4>{"level":40') && l.includes('DEMO MODE'))).toBe(true);
    expect(lines.some((l) => l.startsWith('<6>{"level":30'))).toBe(true);
  }, 240_000);

  it('as a service with no config: exit 4 (the units do not restart it), the reason at error priority', async () => {
    const errFile = join(work, 'no-config.stderr');
    const errFd = openSync(errFile, 'w');
    const st = fstatSync(errFd, { bigint: true });
    const daemon = spawn(bin, ['daemon', '--no-demo'], {
      env: { ...userEnv, JOURNAL_STREAM: `${st.dev}:${st.ino}` },
      stdio: ['ignore', 'ignore', errFd],
    });
    closeSync(errFd);
    children.push(daemon);
    expect(await exited(daemon)).toBe(4);
    expect(readFileSync(errFile, 'utf8')).toMatch(/^<3>tidings: .*\(CONFIG_ERR_NOT_FOUND\)$/m);
  }, 60_000);

  it('service install finds its templates in the installed package', async () => {
    const plan = JSON.parse((await tidings('service', 'install', '--dry-run', '--json')).stdout) as {
      content: string;
    };
    expect(plan.content).toContain(`${join(installed, 'bin', 'tidings.js')} daemon --no-demo`);
    const system = JSON.parse(
      (await tidings('service', 'install', '--system', '--dry-run', '--json')).stdout,
    ) as {
      content: string;
    };
    expect(system.content).toContain('User=tidings');
  });
});
