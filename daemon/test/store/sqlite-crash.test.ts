import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors';
import { SqliteStore } from '../../src/store/sqlite-store';
import { prng } from '../crash/support';
import { SIGNALS_PER_STEP } from './crash-writer';
import { mailSignal } from './signals';

const SEED = Number(process.env.TIDINGS_CRASH_SEED ?? 20261125);
const CYCLES = 20;
const WRITER = join(import.meta.dirname, 'crash-writer.ts');
const ACK_WRITER = join(import.meta.dirname, 'ack-writer.ts');

/** Starts the writer and resolves once it holds the store (printed `ready`). */
function startWriter(path: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.on('error', reject);
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      if (c.includes('ready')) resolve(child);
    });
  });
}

/** Runs the writer until `ready`, lets it commit for `ms`, kills it with SIGKILL; returns the last acked step. */
function runAndKill(
  path: string,
  ms: number,
  syncEveryMs: number,
): Promise<{ lastAck: number; exit: string | null }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', WRITER, path, String(syncEveryMs)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    let lastAck = -1;
    let timer: NodeJS.Timeout | undefined;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready' && !timer) timer = setTimeout(() => child.kill('SIGKILL'), ms);
        else if (line.startsWith('ok ')) lastAck = Number(line.slice(3));
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${err}`));
      else resolve({ lastAck, exit: signal });
    });
  });
}

describe('SqliteStore under SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second daemon process with STORE_ERR_LOCKED, and opens as soon as the holder is killed', async () => {
    const path = join(dir, 'locked.db');
    const writer = await startWriter(path);
    const exited = new Promise((r) => writer.on('close', r));
    try {
      let caught: unknown;
      try {
        SqliteStore.open({ path, lockWaitMs: 100 });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(StoreError);
      expect((caught as StoreError).code).toBe('STORE_ERR_LOCKED');
      expect((caught as StoreError).message).toContain(path);
    } finally {
      writer.kill('SIGKILL');
      await exited;
    }
    // The OS released the lock with the process: a restart after kill -9 just works.
    const store = SqliteStore.open({ path, lockWaitMs: 100 });
    expect(store.get('acct', 'step')).toBeGreaterThanOrEqual(0);
    store.close();
  }, 60_000);

  it(`keeps every acknowledged commit whole across ${CYCLES} kills mid-write (seed ${SEED})`, async () => {
    const path = join(dir, 'state.db');
    const random = prng(SEED);
    let acknowledged = -1;
    let checkedCycles = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Alternate the two durability modes: both must keep every acknowledged commit under SIGKILL.
      const { lastAck } = await runAndKill(path, 5 + Math.floor(random() * 120), cycle % 2 === 0 ? 1000 : 0);
      const previous = acknowledged;
      acknowledged = Math.max(acknowledged, lastAck);

      // Opening runs quick_check: a torn write would surface here as STORE_ERR_CORRUPT.
      const store = SqliteStore.open({ path });
      try {
        const step = store.get<number>('acct', 'step') ?? -1;
        // Nothing acknowledged is lost; at most the one step in flight at the kill is extra.
        expect(step).toBeGreaterThanOrEqual(acknowledged);
        expect(step).toBeLessThanOrEqual(acknowledged + 1);
        expect(store.get('acct', 'syncKey')).toBe(step >= 0 ? `key-${step}` : undefined);
        // Atomic: the outbox ends with exactly the signals of the steps since the last check, in
        // order, and nothing of step + 1 (earlier steps were checked in earlier cycles).
        const from = Math.max(0, (previous + 1) * SIGNALS_PER_STEP);
        const count = (step + 1) * SIGNALS_PER_STEP - from;
        const tail = store.recent?.(count + SIGNALS_PER_STEP).map((s) => s.id) ?? [];
        const expected = Array.from({ length: count }, (_, i) => mailSignal('acct', from + i).id);
        expect(tail.slice(tail.length - count)).toEqual(expected);
        expect(tail.length).toBe(Math.min(count + SIGNALS_PER_STEP, (step + 1) * SIGNALS_PER_STEP));
        // And every one of them is still known for de-dup (acked or not).
        if (step >= 0) {
          const probe = [mailSignal('acct', 0), mailSignal('acct', (step + 1) * SIGNALS_PER_STEP - 1)];
          expect(store.commit('acct', { signals: probe })).toEqual([]);
        }
        acknowledged = step;
        checkedCycles++;
      } finally {
        store.close();
      }
    }
    expect(checkedCycles).toBe(CYCLES);
    expect(acknowledged).toBeGreaterThan(CYCLES);
  }, 300_000);

  it('writes an ack with the next commit or within 100 ms; killed before, the signal stays pending', async () => {
    const expected = { 'with-commit': ['acct:inbox:2'], later: [], 'no-chance': ['acct:inbox:1'] };
    for (const [mode, pending] of Object.entries(expected)) {
      const path = join(dir, `ack-${mode}.db`);
      const child = spawn(process.execPath, ['--import', 'tsx', ACK_WRITER, path, mode], {
        stdio: 'inherit',
      });
      const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_c, sig) => resolve(sig)),
      );
      expect(signal).toBe('SIGKILL');
      const store = SqliteStore.open({ path });
      try {
        expect({ mode, pending: store.pending().map((s) => s.id) }).toEqual({ mode, pending });
      } finally {
        store.close();
      }
    }
  }, 60_000);
});
