/**
 * JMAP push through the shipped daemon (issue 17): the bundle as a process, as users run it,
 * against the project's own JMAP fixture server (fixtures/src/jmap-server) — the only place JMAP
 * push is verified, since Debian's Cyrus is built without it. One account on EventSource
 * (RFC 8620 §7.3), one on WebSocket (RFC 8887); `interval` is an hour, so only push can deliver
 * within the test's wait. A dropped stream, a clean restart and a kill -9 neither lose nor repeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JmapFixture, startJmapFixture } from '../../../fixtures/src/jmap-server';
import { DaemonHome, waitFor } from './support/daemon-process';

const SIGNAL_WITHIN_MS = 20_000;
const QUIET_MS = 3_000;

describe('JMAP push through the shipped daemon (fixture server)', () => {
  let es: JmapFixture;
  let ws: JmapFixture;
  let home: DaemonHome;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const titles = (account: string) =>
    home.signals
      .filter((s) => s.signal.accountId === account)
      .flatMap((s) => s.signal.added.map((i) => i.title));
  const announced = (account: string, title: string) =>
    waitFor(`"${title}" on ${account}`, SIGNAL_WITHIN_MS, () =>
      titles(account).includes(title) ? true : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; seen ${JSON.stringify(titles(account))}\n${home.logTail()}`);
    });
  const once = (account: string, title: string) =>
    expect(
      titles(account).filter((t) => t === title),
      `${title} on ${account}`,
    ).toHaveLength(1);

  beforeAll(async () => {
    es = await startJmapFixture();
    ws = await startJmapFixture({ webSocket: true });
    es.data.add({ subject: 'was there' });
    ws.data.add({ subject: 'was there' });
    const account = (id: string, url: string) => ({
      id,
      kind: 'jmap',
      url,
      username: 'alice',
      secret: { env: 'TIDINGS_INTEROP_JMAP' },
      interval: 3600,
      ping: 10,
    });
    home = new DaemonHome({
      name: 'jmap-fixture',
      config: { accounts: [account('push-es', es.url), account('push-ws', ws.url)] },
      secrets: { TIDINGS_INTEROP_JMAP: 'secret' },
    });
    await home.startDaemon();
    await home.accountState('push-es', 'waiting');
    await home.accountState('push-ws', 'waiting');
    await waitFor('both push channels', SIGNAL_WITHIN_MS, () =>
      es.openStreams === 1 && ws.webSocketPushes === 1 ? true : undefined,
    );
  }, 120_000);

  afterAll(async () => {
    await home?.close();
    await es?.close();
    await ws?.close();
  });

  it('says which push it uses, and a new mail is pushed: exactly one signal each', async () => {
    const s = await home.status();
    const detail = (id: string) => s.accounts.find((a) => a.id === id)?.status.detail ?? '';
    expect(detail('push-es')).toMatch(/EventSource push open \(ping 10 s\)/);
    expect(detail('push-ws')).toMatch(/WebSocket push \(RFC 8887\) open/);
    es.data.add({ subject: 'pushed es', from: { name: 'Bob', email: 'bob@example.org' } });
    ws.data.add({ subject: 'pushed ws' });
    await announced('push-es', 'pushed es');
    await announced('push-ws', 'pushed ws');
    await sleep(QUIET_MS);
    once('push-es', 'pushed es');
    once('push-ws', 'pushed ws');
    expect(titles('push-es')).not.toContain('was there');
  });

  it('a dropped stream: the change made while it was down arrives once after the reconnect', async () => {
    es.dropStreams();
    ws.dropStreams();
    es.data.add({ subject: 'during the drop es' });
    ws.data.add({ subject: 'during the drop ws' });
    await announced('push-es', 'during the drop es');
    await announced('push-ws', 'during the drop ws');
    await waitFor('streams back', SIGNAL_WITHIN_MS, () =>
      es.openStreams === 1 && ws.openStreams === 1 ? true : undefined,
    );
    es.data.add({ subject: 'after the drop es' });
    await announced('push-es', 'after the drop es');
    await sleep(QUIET_MS);
    once('push-es', 'during the drop es');
    once('push-ws', 'during the drop ws');
  });

  it('kill -9 between two pushes, then a restart: nothing lost, nothing repeated', async () => {
    es.data.add({ subject: 'before the kill' });
    await announced('push-es', 'before the kill');
    es.data.add({ subject: 'at the kill' });
    await home.killDaemon();
    es.data.add({ subject: 'while dead' });
    ws.data.add({ subject: 'while dead ws' });
    await home.startDaemon();
    await announced('push-es', 'at the kill');
    await announced('push-es', 'while dead');
    await announced('push-ws', 'while dead ws');
    await sleep(QUIET_MS);
    for (const t of ['before the kill', 'at the kill', 'while dead']) once('push-es', t);
    const ids = home.signals.map((s) => s.signal.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
