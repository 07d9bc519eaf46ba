import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/ipc/connection';
import { IpcError } from '../../src/ipc/errors';
import { IPC_PROTOCOL_VERSION, IpcErrorCode } from '../../src/ipc/protocol';
import { type IpcServer, startIpcServer } from '../../src/ipc/server';
import {
  RawClient,
  sampleAccount,
  sampleSignal,
  sampleStatus,
  silentLog,
  tempDir,
  testHandlers,
  type WireFrame,
} from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(
  opts: { subscribers?: Connection[]; limits?: object; onClientClose?: () => void } = {},
): Promise<IpcServer> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const server = await startIpcServer({
    path: join(t.dir, 'run', 'tidings.sock'),
    log: silentLog,
    version: '9.9.9',
    handlers: testHandlers(opts.subscribers),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.onClientClose ? { onClientClose: opts.onClientClose } : {}),
  });
  cleanups.push(() => server.close());
  return server;
}

function raw(server: IpcServer): RawClient {
  const c = new RawClient(server.path);
  cleanups.push(() => c.close());
  return c;
}

const hello = (c: RawClient, protocol = IPC_PROTOCOL_VERSION) =>
  c.call('hello', { protocol, client: 'test' }, 0);

/** Subscribes: the status snapshot comes first, then the answer. */
async function subscribe(c: RawClient, id = 1): Promise<WireFrame> {
  const snapshot = await c.call('subscribe', {}, id);
  expect(snapshot).toEqual({ jsonrpc: '2.0', method: 'status', params: sampleStatus() });
  expect(await c.next()).toEqual({ jsonrpc: '2.0', id, result: { subscribed: true } });
  return snapshot;
}

/** A subscribed client that stops reading (until a test resumes it), with the server's connection and sink for it. */
async function stalledSubscriber(opts: Omit<Parameters<typeof start>[0] & object, 'subscribers'>) {
  const subscribers: Connection[] = [];
  const server = await start({ ...opts, subscribers });
  const c = raw(server);
  await hello(c);
  await subscribe(c);
  c.socket.pause();
  const conn = subscribers[0]!;
  return { server, c, conn, sink: conn.asSink() };
}

describe('IPC server: hello, step by step', () => {
  it('answers hello with the protocol and daemon version, then serves calls', async () => {
    const server = await start();
    const c = raw(server);
    expect((await hello(c)).result).toEqual({ protocol: IPC_PROTOCOL_VERSION, daemon: '9.9.9' });
    const status = await c.call('status', {}, 1);
    expect(status.result.version).toBe('test');
  });

  it('refuses a call before hello with HELLO_REQUIRED and closes the connection', async () => {
    const server = await start();
    const c = raw(server);
    const r = await c.call('status', {}, 1);
    expect(r.error.code).toBe(IpcErrorCode.HELLO_REQUIRED);
    expect(r.id).toBe(1);
    await c.closed;
  });

  it('refuses another protocol version with PROTOCOL_MISMATCH naming the supported one, then closes', async () => {
    const server = await start();
    const c = raw(server);
    const r = await hello(c, IPC_PROTOCOL_VERSION + 1);
    expect(r.error.code).toBe(IpcErrorCode.PROTOCOL_MISMATCH);
    expect(r.error.data).toEqual({ supported: [IPC_PROTOCOL_VERSION] });
    await c.closed;
  });

  it('refuses a hello without a client name with −32602 naming the field', async () => {
    const server = await start();
    const c = raw(server);
    const r = await c.call('hello', { protocol: IPC_PROTOCOL_VERSION }, 0);
    expect(r.error.code).toBe(-32602);
    expect(r.error.message).toContain('client');
    await c.closed;
  });

  it('checks params of every call and names the bad field', async () => {
    const server = await start();
    const c = raw(server);
    await hello(c);
    const r = await c.call('pause', { minutes: -5 }, 1);
    expect(r.error.code).toBe(-32602);
    expect(r.error.message).toContain('minutes');
    const unknown = await c.call('nope', {}, 2);
    expect(unknown.error.code).toBe(-32601);
  });
});

describe('IPC server: malformed frames', () => {
  it('answers a broken frame with −32700 and keeps serving it and every other client', async () => {
    const server = await start();
    const a = raw(server);
    const b = raw(server);
    await hello(a);
    await hello(b);
    a.send('{"jsonrpc":"2.0", this is not json\n');
    const err = await a.next();
    expect(err.error.code).toBe(-32700);
    expect(err.id).toBeNull();
    expect((await a.call('resume', {}, 5)).result).toEqual({ ok: true });
    expect((await b.call('resume', {}, 6)).result).toEqual({ ok: true });
  });

  it('answers valid JSON that is not JSON-RPC with −32600', async () => {
    const server = await start();
    const c = raw(server);
    await hello(c);
    c.send('{"hello":"world"}\n');
    expect((await c.next()).error.code).toBe(-32600);
  });

  it('closes a client that sends a frame over the size cap with FRAME_TOO_LARGE, others unaffected', async () => {
    const server = await start({ limits: { maxFrameBytes: 4096 } });
    const a = raw(server);
    const b = raw(server);
    await hello(a);
    await hello(b);
    a.send('x'.repeat(10_000));
    const r = await a.next();
    expect(r.error.code).toBe(IpcErrorCode.FRAME_TOO_LARGE);
    await a.closed;
    expect((await b.call('resume', {}, 1)).result).toEqual({ ok: true });
  });
});

describe('issue 13 §4: idle, numerous and never-ending clients are bounded', () => {
  async function poll(pred: () => boolean, what: string): Promise<void> {
    for (const end = Date.now() + 10_000; !pred(); ) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('closes a connection that says no hello within the deadline with HELLO_TIMEOUT', async () => {
    const server = await start({ limits: { helloTimeoutMs: 150 } });
    const polite = raw(server);
    await hello(polite);
    const idle = raw(server);
    const partial = raw(server);
    partial.send('{"jsonrpc":"2.0","id":1,"meth'); // half a hello never counts
    for (const c of [idle, partial]) {
      const r = await c.next();
      expect(r.error).toMatchObject({ code: IpcErrorCode.HELLO_TIMEOUT, message: 'no hello within 150 ms' });
      await c.closed;
    }
    // polite connected first, so its deadline passed first: hello stopped it.
    expect((await polite.call('resume', {}, 1)).result).toEqual({ ok: true });
    expect(server.clients()).toHaveLength(1);
    expect(server.bufferedBytes()).toBe(0);
  });

  it('holds at most maxConnections: more are answered TOO_MANY_CLIENTS and closed, a freed slot is reused', async () => {
    const server = await start({ limits: { maxConnections: 3 } });
    const kept = [raw(server), raw(server), raw(server)];
    for (const c of kept) await hello(c);
    for (let i = 0; i < 10; i++) {
      const extra = raw(server);
      expect((await extra.next()).error.code).toBe(IpcErrorCode.TOO_MANY_CLIENTS);
      await extra.closed;
      expect(server.clients().length).toBeLessThanOrEqual(3);
    }
    kept[0]?.close();
    await poll(() => server.clients().length === 2, 'the slot to free');
    const next = raw(server);
    expect((await hello(next)).result.protocol).toBe(IPC_PROTOCOL_VERSION);
  });

  it('caps unfinished frames over all connections: the one that would pass it gets OVERLOADED, the rest carry on', async () => {
    const server = await start({ limits: { maxFrameBytes: 32_000, maxBufferedBytes: 64_000 } });
    const head = '{"jsonrpc":"2.0","id":7,"method":"resume","params":{},"pad":"';
    const part = head + 'x'.repeat(20_000 - head.length);
    const clients = [raw(server), raw(server), raw(server), raw(server)];
    for (const c of clients) await hello(c);
    const [a, b, c, d] = clients as [RawClient, RawClient, RawClient, RawClient];
    for (const x of [a, b, c]) x.send(part);
    await poll(() => server.bufferedBytes() === 60_000, '60 000 bytes held');
    d.send(part);
    expect((await d.next()).error.code).toBe(IpcErrorCode.OVERLOADED);
    await d.closed;
    expect(server.bufferedBytes()).toBe(60_000);
    // a finishes its line: answered, and its bytes are given back.
    a.send('"}\n');
    expect((await a.next()).result).toEqual({ ok: true });
    expect(server.bufferedBytes()).toBe(40_000);
    // A closed connection gives its bytes back too.
    b.close();
    await poll(() => server.bufferedBytes() === 20_000, 'b to release its bytes');
    const e = raw(server);
    await hello(e);
    e.send(part);
    await poll(() => server.bufferedBytes() === 40_000, 'e to be held');
    e.send('"}\n');
    expect((await e.next()).result).toEqual({ ok: true });
  });
});

describe('IPC server: a client that never reads', () => {
  it('says busy past the high-water mark (bounded memory), then drops the client that stays stuck', async () => {
    let left!: () => void;
    const dropped = new Promise<void>((resolve) => {
      left = resolve;
    });
    const { server, conn, sink } = await stalledSubscriber({
      limits: { highWaterBytes: 16 * 1024, stuckMs: 300 },
      onClientClose: () => left(),
    });
    // As the hub does: deliver until the sink says busy, then wait for a drain that never comes.
    let i = 0;
    while (sink.deliver(sampleSignal(i))) {
      i++;
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    // Never more than the high-water mark plus the one frame that crossed it.
    expect(conn.unsentBytes).toBeGreaterThan(16 * 1024);
    expect(conn.unsentBytes).toBeLessThan(16 * 1024 + 2048);
    await dropped;
    expect(server.clients()).toHaveLength(0);
  });

  it('drops at once a client whose unsent bytes pass the hard limit when a caller ignores busy', async () => {
    let gone = false;
    const { server, conn, sink } = await stalledSubscriber({
      limits: { highWaterBytes: 16 * 1024, hardLimitBytes: 64 * 1024, stuckMs: 60_000 },
      onClientClose: () => {
        gone = true;
      },
    });
    let maxUnsent = 0;
    for (let i = 0; !gone; i++) {
      sink.deliver(sampleSignal(i));
      maxUnsent = Math.max(maxUnsent, conn.unsentBytes);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(maxUnsent).toBeLessThan(64 * 1024 + 2048);
    expect(server.clients()).toHaveLength(0);
  });

  it('still sends a signal offered while a large status delta fills the socket', async () => {
    // The hub cannot know a status broadcast filled the socket: a signal it offers then must be
    // taken (and the answer be "busy"), not refused and lost.
    const { server, c, sink } = await stalledSubscriber({
      limits: { highWaterBytes: 16 * 1024, stuckMs: 60_000 },
    });
    const big = { ...sampleAccount('a'), name: 'x'.repeat(2 * 1024 * 1024) };
    server.broadcastStatusDelta({ accounts: [big] });
    expect(sink.deliver(sampleSignal(1))).toBe(false);
    c.socket.resume();
    expect((await c.next()).method).toBe('status.changed');
    expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'signal', params: sampleSignal(1) });
  });

  it('resumes delivery through onDrain when a busy client catches up', async () => {
    const { c, sink } = await stalledSubscriber({
      limits: { highWaterBytes: 16 * 1024, stuckMs: 60_000 },
    });
    const resumed = new Promise<void>((resolve) => sink.onDrain?.(resolve));
    let i = 0;
    while (sink.deliver(sampleSignal(i))) i++;
    c.socket.resume();
    await resumed;
    expect(sink.deliver(sampleSignal(i + 1))).toBe(true);
  });
});

describe('IPC server: notifications', () => {
  it('after a drain sends the held signals, then the status deltas held meanwhile merged into one', async () => {
    const { server, c, sink } = await stalledSubscriber({
      limits: { highWaterBytes: 16 * 1024, stuckMs: 60_000 },
    });
    let i = 0;
    while (sink.deliver(sampleSignal(i))) i++;
    // Busy: merged per account, the last state of each wins, removals kept.
    const { accounts: _, ...header } = sampleStatus();
    const daemon = { ...header, pausedUntil: new Date(1).toISOString() };
    server.broadcastStatusDelta({ accounts: [sampleAccount('a', 'connecting'), sampleAccount('gone')] });
    server.broadcastStatusDelta({ accounts: [sampleAccount('a', 'syncing'), sampleAccount('b')], daemon });
    server.broadcastStatusDelta({ accounts: [sampleAccount('a', 'waiting')], removed: ['gone', 'old'] });
    sink.onDrain?.(() => sink.deliver(sampleSignal(999)));
    c.socket.resume();
    const order: string[] = [];
    const deltas: WireFrame[] = [];
    while (order.length < 2) {
      const f = await c.next();
      if (f.method === 'status.changed') {
        order.push('status');
        deltas.push(f.params);
      } else if (f.params?.id === 'sig-999') order.push('held');
    }
    expect(order).toEqual(['held', 'status']);
    expect(deltas).toEqual([
      { daemon, accounts: [sampleAccount('a', 'waiting'), sampleAccount('b')], removed: ['gone', 'old'] },
    ]);
  });

  it('sends one status delta object to every subscriber as the same frame', async () => {
    const subscribers: Connection[] = [];
    const server = await start({ subscribers });
    const [a, b, idle] = [raw(server), raw(server), raw(server)];
    for (const [i, c] of [a, b].entries()) {
      await hello(c);
      await subscribe(c, i + 1);
    }
    await hello(idle);
    const delta = { accounts: [sampleAccount('a')], removed: ['z'] };
    server.broadcastStatusDelta(delta);
    for (const c of [a, b])
      expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'status.changed', params: delta });
    // Not subscribed: no notifications, its next frame is the answer to its call.
    expect((await idle.call('resume', {}, 5)).result).toEqual({ ok: true });
  });

  it('writes the signals of one event-loop turn together, as the same JSON-RPC frames, in order', async () => {
    const subscribers: Connection[] = [];
    const server = await start({ subscribers });
    const c = raw(server);
    await hello(c);
    await subscribe(c);
    const conn = subscribers[0]!;
    const sink = conn.asSink();
    const signals = [1, 2, 3].map((n) => sampleSignal(n));
    for (const s of signals) expect(sink.deliver(s)).toBe(true);
    // Gathered for one write at the end of the turn, not handed to the kernel one by one.
    const frames = signals.map((s) => `${JSON.stringify({ jsonrpc: '2.0', method: 'signal', params: s })}\n`);
    expect(conn.unsentBytes).toBe(frames.join('').length);
    await new Promise((r) => setImmediate(r));
    expect(conn.unsentBytes).toBe(0);
    for (const s of signals) expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'signal', params: s });
  });

  it('sends one signal object to every subscriber', async () => {
    const subscribers: Connection[] = [];
    const server = await start({ subscribers });
    const [a, b] = [raw(server), raw(server)];
    for (const [i, c] of [a, b].entries()) {
      await hello(c);
      await subscribe(c, i + 1);
    }
    const s = sampleSignal(7);
    for (const conn of subscribers) conn.asSink().deliver(s);
    for (const c of [a, b]) expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'signal', params: s });
  });
});

describe('IPC server: the socket is private', () => {
  it('creates the directory 0700 and the socket 0600', async () => {
    const server = await start();
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(server.path, '..')).mode & 0o777).toBe(0o700);
  });

  it('refuses a socket directory owned by another user', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'run');
    mkdirSync(dir, { mode: 0o700 });
    if (process.getuid?.() !== 0) {
      console.warn('skipping chown case: needs root to give a directory to another user');
      return;
    }
    chownSync(dir, 65534, 65534);
    const err = await startIpcServer({
      path: join(dir, 'tidings.sock'),
      log: silentLog,
      version: 'x',
      handlers: testHandlers(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcError);
    expect((err as IpcError).code).toBe('IPC_ERR_UNSAFE_PATH');
    expect((err as IpcError).message).toContain('uid 65534');
  });

  it('replaces a stale socket but refuses one a live daemon answers on', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const path = join(t.dir, 'run', 'tidings.sock');
    const first = await startIpcServer({ path, log: silentLog, version: '1', handlers: testHandlers() });
    const err = await startIpcServer({ path, log: silentLog, version: '2', handlers: testHandlers() }).catch(
      (e: unknown) => e,
    );
    expect((err as IpcError).code).toBe('IPC_ERR_IN_USE');
    await first.close();
    // A crashed daemon leaves its socket file behind: a child listens, then is SIGKILLed.
    const child = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(process.argv[1], () => console.log('up'))`, path],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(statSync(path).isSocket()).toBe(true);
    const second = await startIpcServer({ path, log: silentLog, version: '3', handlers: testHandlers() });
    cleanups.push(() => second.close());
    const c = raw(second);
    expect((await hello(c)).result.daemon).toBe('3');
  });

  it('refuses to replace a path that is not a socket', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    mkdirSync(join(t.dir, 'run'), { mode: 0o700 });
    const path = join(t.dir, 'run', 'tidings.sock');
    writeFileSync(path, 'precious');
    const err = await startIpcServer({ path, log: silentLog, version: '1', handlers: testHandlers() }).catch(
      (e: unknown) => e,
    );
    expect((err as IpcError).code).toBe('IPC_ERR_UNSAFE_PATH');
  });

  const canSwitchUser = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
  if (!canSwitchUser)
    console.warn('other-user test skipped: needs root and setpriv to run a client as nobody');
  it.skipIf(!canSwitchUser)('another Unix user cannot connect (directory 0700 and socket 0600)', async () => {
    const server = await start();
    // The test temp dir is under /tmp (world-traversable): only our two guards stand in the way.
    chmodSync(join(server.path, '..', '..'), 0o755);
    const probe = `require('net').createConnection(process.argv[1]).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
    const asNobody = (path: string) =>
      execFileSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe, path],
        { encoding: 'utf8' },
      ).trim();
    expect(asNobody(server.path)).toBe('EACCES');
    // Even with the directory opened up, the socket's own 0600 mode refuses.
    chmodSync(join(server.path, '..'), 0o755);
    expect(asNobody(server.path)).toBe('EACCES');
    // And the same probe as ourselves connects, so the refusals above are about the user.
    const self = execFileSync(process.execPath, ['-e', probe, server.path], { encoding: 'utf8' }).trim();
    expect(self).toBe('CONNECTED');
  });
});
