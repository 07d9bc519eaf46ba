import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
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

/** Resolves when `pred` holds, checking on every event-loop turn batch (no fixed sleeps). */
export async function until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
