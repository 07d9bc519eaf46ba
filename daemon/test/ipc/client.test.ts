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
});
