import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { SecretRef } from '../../src/config/account';
import type { RunningDaemon } from '../../src/daemon';
import { REDACT_PATHS } from '../../src/log';

/** A temp tree for one daemon: config, state and socket paths. */
export function daemonDirs(): {
  root: string;
  configPath: string;
  stateDir: string;
  ipcPath: string;
  cleanup: () => void;
} {
  const root = mkdtempSync(join(tmpdir(), 'tidings-daemon-'));
  mkdirSync(join(root, 'cfg'));
  return {
    root,
    configPath: join(root, 'cfg', 'config.json'),
    stateDir: join(root, 'state'),
    ipcPath: join(root, 'run', 'tidings.sock'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A logger whose lines are kept as text (the daemon's redaction config included). */
export function capturingLog(level: pino.Level = 'trace'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream), lines };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves when `pred` holds (an async one is awaited: an IPC status call), polling every 20 ms
 * up to a generous deadline — never a fixed sleep standing in for an event.
 */
export async function until(
  pred: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The fixture EAS server's user `alice` as a config account; `secret` says where her password is. */
export function aliceEasAccount(url: string, secret: SecretRef) {
  return {
    id: 'alice',
    kind: 'exchange',
    email: 'alice@example.org',
    username: 'alice',
    url,
    auth: { type: 'basic', secret },
  } as const;
}

/** Writes a config file as `tidings` keeps its own: mode 0600 in a 0700 directory. */
export function writeConfig(configPath: string, config: object): void {
  mkdirSync(dirname(configPath), { recursive: true, mode: 0o700 });
  writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
}

/** The fixture EAS server with user alice, a temp tree, and the in-process daemon a test starts. */
export interface EasDaemonRig {
  readonly server: EasFixtureServer;
  readonly dir: string;
  /** `<dir>/cfg/config.json`, for writeConfig. */
  readonly configPath: string;
  readonly ipcPath: string;
  /** Set by the test to the daemon it started; stopped after the suite. */
  daemon: RunningDaemon | undefined;
}

/**
 * Registers the suite's beforeAll (server, temp tree) and afterAll (daemon stopped, server
 * closed, tree removed). Fields are read inside tests and hooks, once beforeAll has run.
 */
export function useEasDaemonRig(name: string, password: string): EasDaemonRig {
  const rig = { daemon: undefined } as { -readonly [K in keyof EasDaemonRig]: EasDaemonRig[K] };
  beforeAll(async () => {
    rig.server = await startEasServer({ users: { alice: password }, record: 0 });
    rig.dir = mkdtempSync(join(tmpdir(), `tidings-${name}-`));
    rig.configPath = join(rig.dir, 'cfg', 'config.json');
    rig.ipcPath = join(rig.dir, 'run', 'tidings.sock');
  });
  afterAll(async () => {
    await rig.daemon?.stop();
    await rig.server?.close();
    if (rig.dir) rmSync(rig.dir, { recursive: true, force: true });
  });
  return rig;
}
