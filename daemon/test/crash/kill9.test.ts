import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type IpcClient } from '../../src/ipc/client';
import type { ChangeSignal } from '../../src/signal';
import { aliceEasAccount, until, writeConfig } from '../daemon/helpers';
import { baseline, CrashDaemon, mailFlow, prng } from './support';

/**
 * The real daemon as a child process against the fixture EAS server while mail keeps arriving,
 * killed with SIGKILL at seeded random moments. One IPC subscriber (reconnecting, resuming from
 * the last signal id it saw, issue 13 §8) collects every signal across all lives of the daemon.
 * Proof: every mail added on the server appears in exactly one announced signal, and the
 * subscriber — its client's own de-duplication turned off — never receives a signal id twice:
 * nothing missed, nothing announced twice, one id per signal whether live or caught up.
 */

const CYCLES = Number(process.env.TIDINGS_CRASH_CYCLES ?? 15);
const SEED = Number(process.env.TIDINGS_CRASH_SEED ?? 0x5eed);
const PASSWORD = 'crash-test-password';

describe('kill -9 while changes flow', () => {
  let server: EasFixtureServer;
  let rig: CrashDaemon;
  let client: IpcClient | undefined;

  beforeAll(async () => {
    server = await startEasServer({ users: { alice: PASSWORD }, record: 0 });
    rig = new CrashDaemon(mkdtempSync(join(tmpdir(), 'tidings-crash-')), { TIDINGS_CRASH_PW: PASSWORD });
  });
  afterAll(async () => {
    client?.close();
    rig.stop();
    await server.close();
    rmSync(rig.dir, { recursive: true, force: true });
  });

  it(`${CYCLES} SIGKILLs at random moments: every change announced exactly once (seed ${SEED})`, async () => {
    const random = prng(SEED);
    writeConfig(rig.configPath, {
      logLevel: 'info',
      // No coalescing window: a signal is handed on as soon as it is committed, so a kill can
      // land between commit and delivery, between delivery and ack — the moments that matter.
      notifications: { coalesceMs: 0, sinks: { desktop: { enabled: false } } },
      accounts: [aliceEasAccount(server.url, { env: 'TIDINGS_CRASH_PW' })],
    });

    const received = new Map<string, ChangeSignal>();
    let deliveries = 0;

    rig.start();
    client = await connect(rig.socket, {
      client: 'crash-test',
      reconnect: true,
      backoff: { baseMs: 50, capMs: 300 },
      dedupe: false, // observe the daemon's own delivery
    });
    // What the subscriber saw, in order: printed around a repeat if one ever shows.
    const trace: string[] = [];
    client.onConnection((up) => trace.push(up ? 'UP' : 'DOWN'));
    client.onSignal((s) => {
      trace.push(`${s.id}${received.has(s.id) ? ' REPEAT' : ''}`);
      deliveries++;
      received.set(s.id, s);
    });
    // Every reconnect resumes from the last id seen (the client's cursor).
    await client.subscribe(false);
    // Changes count only after the first sync set the baseline (which announces nothing).
    await baseline(client);
    const t0 = Date.now();

    const { added, stop } = mailFlow(
      (n) => server.addMail('alice', { subject: `crash ${n}`, from: 'Load <load@example.org>' }),
      random,
    );
    await rig.killLives(CYCLES, random, (cycle) => {
      if (process.env.TIDINGS_CRASH_DEBUG)
        console.log(
          `cycle ${cycle} at ${Date.now() - t0} ms, ${added.length} added, ${received.size} signals`,
        );
    });

    await stop();
    // A last, peaceful life: everything still owed must arrive now.
    rig.start();
    const announcedItems = () => {
      const ids = new Set<string>();
      for (const s of received.values()) for (const i of s.added) ids.add(i.id);
      return ids;
    };
    await until(
      () => added.every((id) => announcedItems().has(id)),
      'every change to be announced',
      30_000,
    ).catch((err: Error) => {
      const missing = added.filter((id) => !announcedItems().has(id));
      throw new Error(
        `${err.message}: ${missing.length} of ${added.length} never announced (${missing.slice(0, 5).join(', ')} …); daemon log: ${rig.logFile}`,
      );
    });
    // The last life may start after every change was already announced: asked until it is back.
    await rig.shutdown(() => client!.call('shutdown', {}));

    // Exactly once: no item in two different signals.
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const s of received.values())
      for (const i of s.added) {
        const other = seen.get(i.id);
        if (other !== undefined && other !== s.id) twice.push(`${i.id} in ${other} and ${s.id}`);
        seen.set(i.id, s.id);
      }
    expect(twice).toEqual([]);
    // Nothing announced that the server did not have, and everything it had.
    expect([...seen.keys()].sort()).toEqual([...added].sort());
    expect(added.length).toBeGreaterThan(CYCLES * 5);
    expect(rig.startedLives()).toBeGreaterThanOrEqual(CYCLES - Math.floor(CYCLES / 3) + 1);
    const i = trace.findIndex((t) => t.endsWith('REPEAT'));
    if (i >= 0) console.log(trace.slice(Math.max(0, i - 12), i + 3).join('\n'));
    // The cursor makes delivery exactly once, not at-least-once-then-de-duplicated.
    expect(deliveries).toBe(received.size);
    console.log(
      `kill9: seed ${SEED}, ${CYCLES} SIGKILLs, ${added.length} mails, ${received.size} distinct signals, ` +
        `${deliveries - received.size} ids received twice`,
    );
  }, 240_000); // ~25 s on an idle 2-core machine; daemon start-up through tsx dominates under load
});
