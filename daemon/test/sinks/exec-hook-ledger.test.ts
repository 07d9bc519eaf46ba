import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { execHookConfigSchema } from '../../src/config/rules';
import type { Sink, SinkLedger } from '../../src/hub/types';
import type { ChangeSignal } from '../../src/signal';
import { createExecHook } from '../../src/sinks/exec-hook';
import { spoolDirFor, spoolFiles, WRAPPER } from '../../src/sinks/hook-spool';
import { MemoryStore } from '../../src/store/memory-store';

/**
 * Issue 13 §7: a durable exec hook works through its ledger and settles each entry once — by
 * its own run, or after a restart by the status file the wrapper left, by waiting for a wrapper
 * that outlived the daemon, or by running again (flagged) when the run died with it.
 */

const HOOK = 'record';

function signal(n: number): ChangeSignal {
  return {
    id: `sig-${n}`,
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: 'inbox', name: 'Inbox' },
    added: [{ id: `m${n}`, title: `Subject ${n}` }],
    changed: [],
    removed: [],
    observedAt: '2026-12-07T10:00:00.000Z',
  };
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-hook-ledger-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new MemoryStore();
  const ledger: SinkLedger = {
    open: (after, limit) => store.ledgerOpen(HOOK, after, limit),
    begin: (id, note) => store.ledgerBegin(HOOK, id, note),
    done: (id) => store.ledgerDone(HOOK, id),
    spoolDir: join(dir, 'spool'),
  };
  const out = join(dir, 'runs.log');
  // Appends "<signal id> <attempt> <redelivery> <items from stdin>" per run.
  const script = `
    const fs = require('node:fs');
    const s = JSON.parse(fs.readFileSync(0, 'utf8'));
    const e = process.env;
    fs.appendFileSync(process.argv[1], [e.TIDINGS_SIGNAL_ID, e.TIDINGS_DELIVERY_ATTEMPT, e.TIDINGS_REDELIVERY ?? '-', s.added.map((i) => i.id).join(',')].join(' ') + '\\n');`;
  const hook = (): Sink => {
    const sink = createExecHook({
      config: execHookConfigSchema().parse({ name: HOOK, command: [process.execPath, '-e', script, out] }),
      log: pino({ level: 'silent' }),
    });
    cleanups.push(() => sink.close?.());
    return sink;
  };
  const owe = (...signals: ChangeSignal[]) =>
    store.handOff({ ack: [], feed: [], ledger: signals.map((s) => ({ sink: HOOK, signal: s })) });
  const runs = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : []);
  return { dir, store, ledger, out, hook, owe, runs };
}

async function until(pred: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 20_000; !pred(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(process.platform === 'win32')('durable exec hook (ledger)', () => {
  it('runs each ledger entry once, stdin from the spool, and settles it: ledger and spool empty after', async () => {
    const t = setup();
    t.owe(signal(1), signal(2), signal(3));
    const sink = t.hook();
    sink.attachLedger?.(t.ledger);
    await until(() => t.store.ledgerOpen(HOOK, 0, 10).length === 0, 'the ledger to empty');
    expect(t.runs().sort()).toEqual(['sig-1 1 - m1', 'sig-2 1 - m2', 'sig-3 1 - m3']);
    // A poke for an entry added later, as the hub does after its hand-off.
    t.owe(signal(4));
    expect(sink.deliver(signal(4))).toBe(true); // never busy: the ledger is the queue
    await until(() => t.runs().length === 4, 'the fourth run');
    await until(() => t.store.ledgerOpen(HOOK, 0, 10).length === 0, 'the ledger to empty');
    const spool = spoolDirFor(t.ledger.spoolDir, HOOK);
    await until(() => readdirSync(spool).length === 0, 'the spool to empty');
  });

  it('after a restart: a run that finished is settled without running again, one that died runs again flagged', async () => {
    const t = setup();
    t.owe(signal(1), signal(2));
    const spool = spoolDirFor(t.ledger.spoolDir, HOOK);
    // Life 1 began both, then died: sig-1's wrapper had written its status, sig-2's had not.
    for (const n of [1, 2]) {
      const f = spoolFiles(spool, `sig-${n}`);
      t.store.ledgerBegin(HOOK, `sig-${n}`, JSON.stringify({ status: f.status }));
      writeFileSync(f.payload, JSON.stringify(signal(n)));
    }
    writeFileSync(spoolFiles(spool, 'sig-1').status, '0\n');
    t.hook().attachLedger?.(t.ledger);
    await until(() => t.store.ledgerOpen(HOOK, 0, 10).length === 0, 'the ledger to empty');
    expect(t.runs()).toEqual(['sig-2 2 1 m2']); // attempt 2, TIDINGS_REDELIVERY=1; sig-1 not again
  });

  it('after a restart: waits for a wrapper that outlived the daemon instead of running the hook again', async () => {
    const t = setup();
    t.owe(signal(7));
    const spool = spoolDirFor(t.ledger.spoolDir, HOOK);
    const f = spoolFiles(spool, 'sig-7');
    t.store.ledgerBegin(HOOK, 'sig-7', JSON.stringify({ status: f.status }));
    writeFileSync(f.payload, JSON.stringify(signal(7)));
    // The previous life's run, still going: the real wrapper around a hook that waits for a file.
    const gate = join(t.dir, 'gate');
    const slow = `const fs=require('node:fs');const t=setInterval(()=>{if(fs.existsSync(process.argv[1])){clearInterval(t);fs.appendFileSync(process.argv[2],'sig-7 1 - m7\\n')}},20)`;
    const orphan = spawn(
      '/bin/sh',
      ['-c', WRAPPER, f.status, f.payload, process.execPath, '-e', slow, gate, t.out],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    cleanups.push(() => {
      if (orphan.exitCode === null) orphan.kill('SIGKILL');
    });
    t.hook().attachLedger?.(t.ledger);
    // Recognised as running: still owed. (Had it been run again, the log below would show a
    // second line, attempt 2 with TIDINGS_REDELIVERY=1.)
    expect(t.store.ledgerOpen(HOOK, 0, 10)).toHaveLength(1);
    writeFileSync(gate, '');
    await until(() => t.store.ledgerOpen(HOOK, 0, 10).length === 0, 'the ledger to empty');
    expect(t.runs()).toEqual(['sig-7 1 - m7']);
  });
});
