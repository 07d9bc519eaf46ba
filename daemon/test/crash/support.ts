import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IpcClient } from '../../src/ipc/client';
import { sleep, until } from '../daemon/helpers';

/**
 * The kill -9 suites' rig: the real daemon as a child process (through tsx, as `npm run dev`
 * runs it) in one temp directory, its stderr appended to one log across all its lives.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves once `p` has exited (at once if it already has). */
export function exited(p: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) =>
    p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve()),
  );
}

/** Polls `status` until the first account is `waiting`: its first sync set the baseline. */
export async function baseline(client: IpcClient, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await client.call('status', {})).accounts[0]?.status.state !== 'waiting') {
    if (Date.now() > end) throw new Error('timed out waiting for the first baseline');
    await sleep(50);
  }
}

export class CrashDaemon {
  readonly configPath: string;
  readonly socket: string;
  readonly logFile: string;
  /** The current life; afterAll kills it if a failed test left it running. */
  child: ChildProcess | undefined;

  constructor(
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.configPath = join(dir, 'config.json');
    this.socket = join(dir, 'run', 'tidings.sock');
    this.logFile = join(dir, 'daemon.log');
  }

  /** Starts a new life of the daemon (the state directory and socket of every life). */
  start(): ChildProcess {
    const fd = openSync(this.logFile, 'a');
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'daemon/src/cli/main.ts'),
        'daemon',
        '--no-demo',
        '--config',
        this.configPath,
        '--socket',
        this.socket,
        '--state-dir',
        join(this.dir, 'state'),
      ],
      { cwd: ROOT, env: { ...process.env, ...this.env }, stdio: ['ignore', 'ignore', fd] },
    );
    closeSync(fd);
    this.child = p;
    return p;
  }

  /** How many lives logged "daemon started" (watchers running), the log kept across lives. */
  startedLives(): number {
    return readFileSync(this.logFile, 'utf8').match(/daemon started/g)?.length ?? 0;
  }

  async kill(): Promise<void> {
    const p = this.child;
    if (!p) return;
    p.kill('SIGKILL');
    await exited(p);
  }

  /**
   * Ends the last life with `ask` (an IPC `shutdown`) and waits for it to exit. Retried until the
   * life listens: it may start after everything owed was already delivered, while its socket is
   * not up yet (found by CI on a loaded machine).
   */
  async shutdown(ask: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
    const by = Date.now() + timeoutMs;
    for (;;) {
      try {
        await ask();
        break;
      } catch (err) {
        if (Date.now() > by) throw err;
        await sleep(50);
      }
    }
    if (this.child) await exited(this.child);
  }

  /** Kills a life still running when a test failed before its clean shutdown. */
  stop(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  /**
   * `cycles` lives, each SIGKILLed at a seeded moment; the first life must be running already.
   * Every third life dies while starting (opening the store, mid-migration, before IPC); the
   * others once they logged "daemon started", so the kill is mid-sync, not mid-start.
   */
  async killLives(cycles: number, random: () => number, onKilled?: (cycle: number) => void): Promise<void> {
    let startupMs = 1000;
    for (let cycle = 0; cycle < cycles; cycle++) {
      if (cycle > 0) {
        const spawned = Date.now();
        this.start();
        if (cycle % 3 === 2) {
          await sleep(random() * startupMs);
          await this.kill();
          continue;
        }
        // Up means "daemon started" logged (watchers running), not only the socket answering:
        // the sinks load in between, and a kill there would not be the mid-sync kill we want.
        const before = this.startedLives();
        await until(() => this.startedLives() > before, `daemon life ${cycle} to start`, 30_000);
        startupMs = Date.now() - spawned;
      }
      // Seeded moment: anywhere from just after start (mid-connect, mid-sync) to well into a Ping.
      await sleep(100 + random() * 1400);
      await this.kill();
      onKilled?.(cycle);
    }
  }
}

/**
 * Adds a mail every 20–80 ms (seeded) until the returned `stop` is awaited; `added` holds the
 * server's item ids in order.
 */
export function mailFlow(
  addMail: (n: number) => string,
  random: () => number,
): { added: string[]; stop: () => Promise<void> } {
  const added: string[] = [];
  let flowing = true;
  const flow = (async () => {
    for (let n = 0; flowing; n++) {
      added.push(addMail(n));
      await sleep(20 + random() * 60);
    }
  })();
  return {
    added,
    stop: async () => {
      flowing = false;
      await flow;
    },
  };
}
