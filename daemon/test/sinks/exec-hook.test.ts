import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execHookConfigSchema } from '../../src/config/rules';
import type { Sink } from '../../src/hub/types';
import type { ChangeSignal } from '../../src/signal';
import { createExecHook } from '../../src/sinks/exec-hook';

function mail(id: string): ChangeSignal {
  return {
    id,
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: '5', name: 'Inbox' },
    added: [
      { id: 'a', title: 'Meeting moved', from: 'Alice <alice@example.org>' },
      { id: 'b', title: 'Lunch?', from: 'Bob <bob@example.org>' },
    ],
    changed: [],
    removed: [{ id: 'c' }],
    observedAt: '2026-11-25T12:00:00.000Z',
  };
}

interface ExecResult {
  sink: string;
  signalId: string;
  exitCode: number | null;
  killedBy: string | null;
  timedOut: boolean;
  error?: { code: string; message: string; context: Record<string, unknown> };
}

describe('exec hook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-hook-'));
  const results: ExecResult[] = [];
  const waiters: (() => void)[] = [];
  const onResult = (m: unknown) => {
    results.push(m as ExecResult);
    for (const w of waiters.splice(0)) w();
  };
  subscribe('tidings:sink:exec', onResult);
  const sinks: Sink[] = [];
  const logLines: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(c, _e, cb) {
        logLines.push(String(c));
        cb();
      },
    }),
  );
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close?.()));
    results.length = 0;
    logLines.length = 0;
  });
  afterAll(() => {
    unsubscribe('tidings:sink:exec', onResult);
    rmSync(dir, { recursive: true, force: true });
  });

  function hook(config: object, extra: { env?: NodeJS.ProcessEnv; killGraceMs?: number } = {}): Sink {
    const sink = createExecHook({ config: execHookConfigSchema().parse(config), log, ...extra });
    sinks.push(sink);
    return sink;
  }

  /** True once `pid` has exited (gone, or a zombie waiting for an init that may never reap it). */
  async function gone(pid: number): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      try {
        if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return true;
      } catch {
        return true;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  async function until(n: number): Promise<ExecResult[]> {
    while (results.length < n) await new Promise<void>((r) => waiters.push(r));
    return results;
  }

  it('runs argv without a shell, with the signal in TIDINGS_* variables and as JSON on stdin', async () => {
    const out = join(dir, 'out.json');
    const script = `
      const fs = require('node:fs');
      const stdin = fs.readFileSync(0, 'utf8');
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('TIDINGS_') || k === 'EXTRA' || k === 'SECRET_PW'));
      fs.writeFileSync(process.argv[1], JSON.stringify({ stdin, env, arg: process.argv[2] }));`;
    const sink = hook(
      {
        name: 'record',
        command: [process.execPath, '-e', script, out, '$HOME;not-expanded'],
        env: { EXTRA: 'x' },
      },
      { env: { ...process.env, SECRET_PW: 'hunter2' } },
    );
    expect(sink.role).toBe('hook');
    expect(sink.deliver(mail('s1'))).toBe(true);
    const [r] = await until(1);
    expect(r).toMatchObject({ sink: 'record', signalId: 's1', exitCode: 0, timedOut: false });
    const seen = JSON.parse(readFileSync(out, 'utf8'));
    expect(JSON.parse(seen.stdin)).toEqual(mail('s1'));
    expect(seen.arg).toBe('$HOME;not-expanded');
    expect(seen.env).toEqual({
      EXTRA: 'x',
      TIDINGS_HOOK: 'record',
      TIDINGS_SIGNAL_ID: 's1',
      TIDINGS_ACCOUNT: 'work',
      TIDINGS_SOURCE: 'eas',
      TIDINGS_COLLECTION: 'mail',
      TIDINGS_FOLDER: 'Inbox',
      TIDINGS_FOLDER_ID: '5',
      TIDINGS_ADDED: '2',
      TIDINGS_CHANGED: '0',
      TIDINGS_REMOVED: '1',
      TIDINGS_COUNT: '3',
      TIDINGS_TITLE: 'Inbox: 2 new, 1 removed mails',
      TIDINGS_BODY: 'Alice — Meeting moved\nBob — Lunch?\nMail removed: (no title)',
      TIDINGS_OBSERVED_AT: '2026-11-25T12:00:00.000Z',
    });
  });

  it('issue 13 §7: a 1 MB subject does not E2BIG the spawn — each variable is cut at 4 KB, stdin keeps it all', async () => {
    const out = join(dir, 'big.json');
    const script = `
      const fs = require('node:fs');
      const stdin = fs.readFileSync(0, 'utf8');
      fs.writeFileSync(process.argv[1], JSON.stringify({ stdin, title: process.env.TIDINGS_TITLE, body: process.env.TIDINGS_BODY, folder: process.env.TIDINGS_FOLDER }));`;
    const sink = hook({ name: 'big', command: [process.execPath, '-e', script, out] });
    const subject = 'é'.repeat(512 * 1024); // 1 MiB of UTF-8, two bytes per character
    const signal = mail('big-1');
    signal.added = [{ id: 'x', title: subject, from: 'Mallory <m@example.org>' }];
    signal.folder = { id: '5', name: `In\u0000box` }; // NUL, which spawn() refuses in the environment
    sink.deliver(signal);
    const [r] = await until(1);
    expect(r).toMatchObject({ signalId: 'big-1', exitCode: 0 });
    expect(r?.error).toBeUndefined();
    const seen = JSON.parse(readFileSync(out, 'utf8'));
    expect(JSON.parse(seen.stdin).added[0].title).toBe(subject);
    expect(Buffer.byteLength(seen.title)).toBeLessThanOrEqual(4096);
    // The body carries the subject: cut to 4 KB, between characters, never inside one.
    expect(Buffer.byteLength(seen.body)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(seen.body)).toBeGreaterThan(4000);
    expect(seen.body.endsWith('…')).toBe(true);
    expect(seen.body).not.toContain('\uFFFD');
    expect(seen.folder).toBe('In\uFFFDbox');
  });

  it('runs a command line through /bin/sh only when shell: true', async () => {
    const out = join(dir, 'shell.txt');
    hook({ name: 'sh', command: [`echo "$TIDINGS_FOLDER:$TIDINGS_ADDED" > '${out}'`], shell: true }).deliver(
      mail('s2'),
    );
    await until(1);
    expect(readFileSync(out, 'utf8')).toBe('Inbox:2\n');
  });

  it('logs a non-zero exit with its code and the tail of stderr', async () => {
    hook({ name: 'fails', command: ['/bin/sh', '-c', 'echo "no route to pager" >&2; exit 3'] }).deliver(
      mail('s3'),
    );
    const [r] = await until(1);
    expect(r?.exitCode).toBe(3);
    expect(r?.error).toMatchObject({ code: 'SINK_ERR_HOOK_EXIT', message: 'hook fails exited with 3' });
    expect(r?.error?.context).toMatchObject({ status: 3, stderr: 'no route to pager' });
    expect(logLines.join('')).toContain('no route to pager');
  });

  it('reports a command that cannot start as SINK_ERR_HOOK_SPAWN', async () => {
    hook({ name: 'missing', command: [join(dir, 'no-such-program')] }).deliver(mail('s4'));
    const [r] = await until(1);
    expect(r?.error?.code).toBe('SINK_ERR_HOOK_SPAWN');
    expect(r?.error?.message).toContain('ENOENT');
  });

  it('kills the whole process group after the timeout, escalating to SIGKILL', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    // The shell ignores SIGTERM and leaves a grandchild behind: both must go.
    const cmd = `trap '' TERM; sleep 30 & echo $! > '${pidFile}'; wait`;
    hook({ name: 'slow', command: ['/bin/sh', '-c', cmd], timeoutSeconds: 1 }, { killGraceMs: 200 }).deliver(
      mail('s5'),
    );
    const [r] = await until(1);
    expect(r).toMatchObject({ timedOut: true, killedBy: 'SIGKILL' });
    expect(r?.error?.code).toBe('SINK_ERR_HOOK_TIMEOUT');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(await gone(grandchild)).toBe(true);
  });

  it('runs at most maxConcurrent at once, reports busy, and drains as they finish', async () => {
    const gate = join(dir, 'gate');
    writeFileSync(gate, '');
    // Each run waits until the gate file is removed.
    const sink = hook({
      name: 'gated',
      command: ['/bin/sh', '-c', `while [ -e '${gate}' ]; do sleep 0.02; done`],
      maxConcurrent: 2,
    });
    let drained = 0;
    sink.onDrain?.(() => drained++);
    expect(sink.deliver(mail('a'))).toBe(true);
    expect(sink.deliver(mail('b'))).toBe(false);
    // A caller that ignores `false` gets its signal queued, not a third process.
    expect(sink.deliver(mail('c'))).toBe(false);
    rmSync(gate);
    await until(3);
    expect(results.map((r) => r.signalId).sort()).toEqual(['a', 'b', 'c']);
    expect(drained).toBe(1);
  });
});
