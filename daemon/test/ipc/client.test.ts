import { mkdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/ipc/client';
import type { Connection } from '../../src/ipc/connection';
import { IpcError } from '../../src/ipc/errors';
import type { DaemonStatus } from '../../src/ipc/protocol';
import { startIpcServer } from '../../src/ipc/server';
import type { ChangeSignal } from '../../src/signal';
import { sampleAccount, sampleSignal, sampleStatus, silentLog, tempDir, testHandlers } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function socketPath(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, 'run', 'tidings.sock');
}

async function serve(path: string, subscribers: Connection[] = [], status = sampleStatus()) {
  const server = await startIpcServer({
    path,
    log: silentLog,
    version: '1.2.3',
    handlers: { ...testHandlers(subscribers), status: () => status },
  });
  cleanups.push(() => server.close());
  return server;
}

describe('IpcClient', () => {
  it('says hello, makes typed calls and maps JSON-RPC errors to IPC_ERR_REMOTE with the code', async () => {
    const path = socketPath();
    await serve(path);
    const client = await connect(path, { client: 'cli' });
    cleanups.push(() => client.close());
    expect(client.daemonVersion).toBe('1.2.3');
    const paused = await client.call('pause', { until: '2030-01-01T00:00:00Z' });
    expect(paused.pausedUntil).toBe('2030-01-01T00:00:00Z');
    const err = await client.call('pause', { minutes: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcError);
    expect((err as IpcError).code).toBe('IPC_ERR_REMOTE');
    expect((err as IpcError).rpcCode).toBe(-32602);
  });

  it('says IPC_ERR_NOT_RUNNING when no daemon listens', async () => {
    const err = await connect(socketPath()).catch((e: unknown) => e);
    expect((err as IpcError).code).toBe('IPC_ERR_NOT_RUNNING');
    expect((err as IpcError).message).toContain('tidings daemon');
  });

  it('delivers signal notifications to onSignal after subscribe', async () => {
    const path = socketPath();
    const subscribers: Connection[] = [];
    await serve(path, subscribers);
    const client = await connect(path);
    cleanups.push(() => client.close());
    const got = new Promise<ChangeSignal>((resolve) => client.onSignal(resolve));
    await client.subscribe();
    subscribers[0]!.deliver(sampleSignal(7));
    expect((await got).id).toBe('sig-7');
  });

  it('has the status snapshot once subscribed and merges each status delta into it', async () => {
    const path = socketPath();
    const snapshot = { ...sampleStatus(), accounts: [sampleAccount('a', 'connecting'), sampleAccount('b')] };
    const server = await serve(path, [], snapshot);
    const client = await connect(path);
    cleanups.push(() => client.close());
    const seen: DaemonStatus[] = [];
    client.onStatus((s) => seen.push(s));
    await client.subscribe();
    expect(client.status).toEqual(snapshot);
    const next = new Promise<DaemonStatus>((resolve) => client.onStatus(resolve));
    const { accounts: _, ...header } = snapshot;
    server.broadcastStatusDelta({
      daemon: { ...header, pausedUntil: '2030-01-01T00:00:00.000Z' },
      accounts: [sampleAccount('a'), sampleAccount('c', 'connecting')],
      removed: ['b'],
    });
    const merged = await next;
    expect(merged).toEqual({
      ...snapshot,
      pausedUntil: '2030-01-01T00:00:00.000Z',
      accounts: [sampleAccount('a'), sampleAccount('c', 'connecting')],
    });
    expect(client.status).toEqual(merged);
    expect(seen).toEqual([snapshot, merged]);
  });

  it('reconnects with back-off after the daemon restarts, says hello again and re-subscribes', async () => {
    const path = socketPath();
    const subscribers: Connection[] = [];
    const first = await startIpcServer({
      path,
      log: silentLog,
      version: 'a',
      handlers: testHandlers(subscribers),
    });
    const client = await connect(path, { reconnect: true, backoff: { baseMs: 20, capMs: 100 } });
    cleanups.push(() => client.close());
    await client.subscribe();
    const states: boolean[] = [];
    const back = new Promise<void>((resolve) =>
      client.onConnection((up) => {
        states.push(up);
        if (up) resolve();
      }),
    );
    await first.close();
    await serve(path, subscribers);
    await back;
    expect(states).toEqual([false, true]);
    expect(client.daemonVersion).toBe('1.2.3');
    const got = new Promise<ChangeSignal>((resolve) => client.onSignal(resolve));
    expect(subscribers).toHaveLength(2); // re-subscribed on the new server
    subscribers[1]!.deliver(sampleSignal(9));
    expect((await got).id).toBe('sig-9');
  });

  it('issue 13 §8: a daemon dying between hello and subscribe leaves one connection, one subscription, each signal once', async () => {
    const path = socketPath();
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    let connections = 0;
    const subscribed = new Set<Socket>();
    const subscribeParams: unknown[] = [];
    // A hand-made daemon: the first connection dies on subscribe; later ones answer, and the
    // second subscription gets one signal right away.
    const server = createServer((sock) => {
      const n = ++connections;
      let buf = '';
      sock.on('error', () => {});
      sock.on('close', () => subscribed.delete(sock));
      sock.on('data', (d) => {
        buf += d.toString('utf8');
        for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
          const msg = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (msg.method === 'hello')
            sock.write(
              `${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { protocol: 2, daemon: 't' } })}\n`,
            );
          else if (msg.method === 'subscribe') {
            subscribeParams.push(msg.params);
            if (n === 2) {
              sock.destroy(); // the daemon dies mid-way through the client's reconnect
              continue;
            }
            subscribed.add(sock);
            if (n === 3)
              sock.write(
                `${JSON.stringify({ jsonrpc: '2.0', method: 'signal', params: sampleSignal(2) })}\n`,
              );
            sock.write(
              `${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { subscribed: true, cursor: 'sig-1' } })}\n`,
            );
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(path, () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const client = await connect(path, { reconnect: true, backoff: { baseMs: 10, capMs: 20 } });
    cleanups.push(() => client.close());
    const got: string[] = [];
    client.onSignal((s) => got.push(s.id));
    await client.subscribe();
    // Drop the first, fully up connection: the client reconnects; that attempt dies on subscribe.
    for (const s of subscribed) s.destroy();
    for (const end = Date.now() + 10_000; got.length === 0; ) {
      if (Date.now() > end) throw new Error('timed out waiting for the signal');
      await new Promise((r) => setTimeout(r, 10));
    }
    // Let any second retry chain show itself: it would open a fourth connection and subscribe again.
    for (const end = Date.now() + 500; Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    expect(connections).toBe(3);
    expect(subscribed.size).toBe(1);
    expect(got).toEqual(['sig-2']);
    // Every resubscription resumed from the cursor the first subscribe answered.
    expect(subscribeParams).toEqual([{}, { after: 'sig-1' }, { after: 'sig-1' }]);
  });
});
