/**
 * Child process for sqlite-crash.test.ts: commits steps to the store as fast as it can and
 * prints `ok <n>` only after commit(n) returned — an acknowledged commit. The parent kills it
 * with SIGKILL at a random moment and checks that every acknowledged step survived whole.
 *
 * Each step n sets the "sync key" to n and commits signals n·K … n·K+K−1 in the same
 * transaction, as a watcher does; every few steps it also acks older signals, as the hub does.
 */
import { writeSync } from 'node:fs';
import { SqliteStore } from '../../src/store/sqlite-store';
import { mailSignal } from './signals';

export const SIGNALS_PER_STEP = 25;

/**
 * stdout is a non-blocking pipe: on a loaded machine the parent reads it late, the pipe fills
 * and writeSync throws EAGAIN — which killed the writer and freed the lock the LOCKED test
 * needs it to hold (seen in CI). Wait for room instead.
 */
function say(line: string): void {
  for (;;) {
    try {
      writeSync(1, line);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

const path = process.argv[2];
if (path) {
  const store = SqliteStore.open({ path, syncEveryMs: Number(process.argv[3] ?? 1000) });
  let n = (store.get<number>('acct', 'step') ?? -1) + 1;
  say('ready\n');
  for (;;) {
    const signals = Array.from({ length: SIGNALS_PER_STEP }, (_, i) =>
      mailSignal('acct', n * SIGNALS_PER_STEP + i),
    );
    store.commit('acct', {
      set: { step: n, syncKey: `key-${n}`, blob: 'x'.repeat(2000 + (n % 7) * 500) },
      signals,
    });
    say(`ok ${n}\n`);
    if (n % 3 === 0) store.ack(store.pending(SIGNALS_PER_STEP).map((s) => s.id));
    n++;
  }
}
