/**
 * The daemon as users run it, for the interop suites: the bundle (`dist/tidings.mjs`, built by
 * support/global-setup.ts) started as `node dist/tidings.mjs daemon` with its own
 * XDG_CONFIG_HOME / XDG_STATE_HOME / XDG_RUNTIME_DIR and a config file, secrets from environment
 * variables (`secret: {env: …}`), the production dispatcher (nothing injected, no proxy), and
 * signals read from a `tidings watch --json` process — what a person's script would read.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DaemonStatus } from '../../../src/ipc/protocol';
import type { ChangeSignal } from '../../../src/signal';
import { DAEMON_NODE_FLAGS } from '../../../src/v8-tuning';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/**
 * The bundle the suites run; TIDINGS_INTEROP_BUNDLE runs another build instead (one made from an
 * older commit, to see a suite fail without a fix), and the global set-up then builds nothing.
 */
export const BUNDLE = process.env.TIDINGS_INTEROP_BUNDLE ?? join(ROOT, 'dist', 'tidings.mjs');
const run = promisify(execFile);

/** A signal as `tidings watch --json` printed it, and when the test read it. */
export interface SeenSignal {
  signal: ChangeSignal;
  at: number;
}

export interface DaemonHomeOptions {
  /** The config file's `accounts` (and anything else the file should hold). */
  config: Record<string, unknown>;
  /** Environment variables the config's `secret: {env: …}` names. */
  secrets: Record<string, string>;
  /** A name for the temp directory and log lines. */
  name: string;
}

async function waitFor<T>(
  what: string,
  ms: number,
  check: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One user's home for the daemon: config, state and runtime directories that outlive daemon
 * restarts (a restart must resume from the same state store), the daemon process and a watch
 * process reading its signals.
 */
export class DaemonHome {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly configPath: string;
  readonly socket: string;
  readonly logPath: string;
  /** Every signal every watch process printed, in order. */
  readonly signals: SeenSignal[] = [];
  #daemon: ChildProcess | undefined;
  #daemonExit: Promise<number | null> | undefined;
  #watch: ChildProcess | undefined;
  #watchReady: Promise<void> | undefined;
  #stopped = false;

  constructor(readonly opts: DaemonHomeOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `tidings-interop-${opts.name}-`));
    const cfg = join(this.dir, 'config');
    const run = join(this.dir, 'run');
    mkdirSync(join(cfg, 'tidings'), { recursive: true, mode: 0o700 });
    mkdirSync(join(this.dir, 'state'), { mode: 0o700 });
    mkdirSync(run, { mode: 0o700 });
    this.configPath = join(cfg, 'tidings', 'config.json');
    writeFileSync(this.configPath, JSON.stringify(opts.config, null, 2), { mode: 0o600 });
    this.env = {
      HOME: this.dir,
      PATH: process.env.PATH,
      XDG_CONFIG_HOME: cfg,
      XDG_STATE_HOME: join(this.dir, 'state'),
      XDG_RUNTIME_DIR: run,
      ...opts.secrets,
    };
    // ipc/paths.ts: $XDG_RUNTIME_DIR/tidings/tidings.sock.
    this.socket = join(run, 'tidings', 'tidings.sock');
    this.logPath = join(this.dir, 'daemon.log');
  }

  /** Runs a CLI command through the bundle and returns its stdout (throws on a non-zero exit). */
  async cli(args: string[], timeoutMs = 60_000): Promise<string> {
    const r = await this.run(args, timeoutMs);
    if (r.code !== 0)
      throw new Error(`tidings ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Runs a CLI command through the bundle: exit code and output, whatever the code. */
  async run(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [BUNDLE, ...args], {
        env: this.env,
        timeout: timeoutMs,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? String(err),
      };
    }
  }

  /** `tidings status --json`. */
  async status(): Promise<DaemonStatus> {
    return JSON.parse(await this.cli(['status', '--json'], 15_000)) as DaemonStatus;
  }

  /** Starts `node dist/tidings.mjs daemon` (as the service units do) and waits for its socket. */
  async startDaemon(): Promise<void> {
    if (this.#daemon) throw new Error('daemon already running');
    const child = spawn(
      process.execPath,
      [...DAEMON_NODE_FLAGS, BUNDLE, 'daemon', '--no-demo', '--log-level', 'debug'],
      { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#daemon = child;
    const log = (chunk: Buffer) => appendFileSync(this.logPath, chunk);
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);
    this.#daemonExit = new Promise((r) => child.once('exit', (code) => r(code)));
    appendFileSync(this.logPath, `--- daemon started, pid ${child.pid}\n`);
    await waitFor(`the daemon's socket (log: ${this.logPath})`, 30_000, async () => {
      if (child.exitCode !== null)
        throw new Error(`the daemon exited with ${child.exitCode}: ${this.logTail()}`);
      if (!existsSync(this.socket)) return undefined;
      return (await this.status().then(
        () => true,
        () => undefined,
      )) as true | undefined;
    });
    await this.#ensureWatch();
  }

  /** SIGTERM, and waits for a clean exit. */
  async stopDaemon(): Promise<number | null> {
    const child = this.#daemon;
    if (!child) return null;
    child.kill('SIGTERM');
    const code = await this.#daemonExit;
    this.#daemon = undefined;
    appendFileSync(this.logPath, `--- daemon stopped, exit ${code}\n`);
    return code ?? null;
  }

  /** kill -9: no shutdown at all. */
  async killDaemon(): Promise<void> {
    const child = this.#daemon;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#daemonExit;
    this.#daemon = undefined;
    appendFileSync(this.logPath, '--- daemon killed (SIGKILL)\n');
  }

  /**
   * A `tidings watch --json` process that stays subscribed. When the daemon goes away, watch
   * exits (until it reconnects by itself, issue 13 §8): the next start begins a new one.
   */
  #ensureWatch(): Promise<void> {
    if (this.#watch && this.#watch.exitCode === null && this.#watch.signalCode === null)
      return this.#watchReady ?? Promise.resolve();
    const child = spawn(process.execPath, [BUNDLE, 'watch', '--json'], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#watch = child;
    child.stderr?.on('data', (c: Buffer) => appendFileSync(this.logPath, `[watch] ${c}`));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.trim()) return;
      try {
        const value = JSON.parse(line) as ChangeSignal;
        if (typeof value?.id === 'string' && typeof value.collection === 'string')
          this.signals.push({ signal: value, at: Date.now() });
      } catch {
        appendFileSync(this.logPath, `[watch] not JSON: ${line}\n`);
      }
    });
    // Subscribed: the daemon logs it at debug (daemon.ts, `subscribe`); from then on this watch
    // gets every signal.
    const before = this.#subscribedCount();
    this.#watchReady = waitFor(`the watch to subscribe (log: ${this.logPath})`, 30_000, () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`tidings watch exited (${child.exitCode ?? child.signalCode})`);
      return this.#subscribedCount() > before ? true : undefined;
    }).then(() => undefined);
    return this.#watchReady;
  }

  #subscribedCount(): number {
    if (!existsSync(this.logPath)) return 0;
    return readFileSync(this.logPath, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"client subscribed"') && l.includes('"cli-watch"')).length;
  }

  /** Everything the daemon (and watch) logged in this home, over every start. */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  /** The daemon's log so far (the end of it), for failure messages. */
  logTail(chars = 4000): string {
    try {
      // Without the IPC connect/leave lines the status polling writes.
      return readFileSync(this.logPath, 'utf8')
        .split('\n')
        .filter((l) => !l.includes('"room":"ipc"'))
        .join('\n')
        .slice(-chars);
    } catch {
      return '(no log)';
    }
  }

  /** Waits until the account reaches `state` (from `tidings status --json`); fails fast on a dead end. */
  async accountState(id: string, state: string, ms = 90_000): Promise<void> {
    let last = '(no status)';
    await waitFor(`account ${id} to be ${state}`, ms, async () => {
      const s = await this.status().catch(() => undefined);
      const a = s?.accounts.find((x) => x.id === id);
      if (a) last = `${a.status.state} — ${a.status.detail ?? ''}`;
      if (a && (a.status.state === 'needs-credentials' || a.status.state === 'error'))
        throw new Error(`account ${id} is ${last}`);
      return a?.status.state === state ? true : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last status: ${last}\n--- daemon log:\n${this.logTail()}`);
    });
  }

  /** Stops both processes and removes the home. */
  async close(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#watch?.kill('SIGTERM');
    await this.stopDaemon();
    if (process.env.TIDINGS_INTEROP_KEEP) console.log(`interop: kept ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

export { waitFor };
