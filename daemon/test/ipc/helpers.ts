import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSONRPCErrorException } from 'json-rpc-2.0';
import pino from 'pino';
import type { Connection } from '../../src/ipc/connection';
import type { AccountSummary, DaemonStatus } from '../../src/ipc/protocol';
import type { IpcHandlers } from '../../src/ipc/server';
import type { ChangeSignal } from '../../src/signal';

export const silentLog = pino({ level: 'silent' });

export function tempDir(prefix = 'tidings-ipc-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sampleStatus(): DaemonStatus {
  return {
    version: 'test',
    pid: process.pid,
    startedAt: new Date(0).toISOString(),
    configPath: '/nonexistent/config.json',
    demo: false,
    accounts: [],
  };
}

export function sampleAccount(
  id: string,
  state: AccountSummary['status']['state'] = 'waiting',
): AccountSummary {
  return {
    id,
    kind: 'exchange',
    name: `${id}@example.com`,
    enabled: true,
    status: { state, since: new Date(0).toISOString() },
    unseen: 0,
  };
}

export function sampleSignal(n: number, folder = 'inbox'): ChangeSignal {
  return {
    id: `sig-${n}`,
    accountId: 'a',
    source: 'eas',
    collection: 'mail',
    folder: { id: folder, name: folder },
    added: [{ id: `m${n}`, title: `Subject ${n} ${'x'.repeat(200)}` }],
    changed: [],
    removed: [],
    observedAt: new Date(0).toISOString(),
  };
}

/** Handlers that answer from fixed data, recording subscribers. */
export function testHandlers(subscribers: Connection[] = []): IpcHandlers {
  const fail = () => {
    throw new JSONRPCErrorException('not in this test', -32006);
  };
  return {
    status: () => sampleStatus(),
    'accounts.list': () => [],
    'accounts.add': fail,
    'accounts.remove': fail,
    'accounts.test': fail,
    'accounts.setSecret': fail,
    'accounts.acceptMove': fail,
    'items.markRead': fail,
    'folders.list': fail,
    'folders.setWatched': fail,
    pause: (p) => ({ pausedUntil: p.until ?? new Date(0).toISOString() }),
    resume: () => ({ ok: true }),
    markSeen: () => ({ ok: true }),
    check: (p) => ({ checking: p.accountId !== undefined ? [p.accountId] : ['work'] }),
    subscribe: (_p, conn) => {
      subscribers.push(conn);
      return { subscribed: true };
    },
    reload: () => ({ ok: true, accounts: 0 }),
    shutdown: () => ({ ok: true }),
    'notifications.get': fail,
    'notifications.set': fail,
  };
}

/** A frame as tests read it: any answer shape, checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: wire-level tests inspect arbitrary answers
export type WireFrame = Record<string, any>;

/** A raw socket speaking lines, for wire-level tests. */
export class RawClient {
  readonly socket: Socket;
  #buf = '';
  #lines: string[] = [];
  #waiters: ((line: string) => void)[] = [];
  readonly closed: Promise<void>;

  constructor(path: string) {
    this.socket = createConnection(path);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => {
      this.#buf += d;
      let nl = this.#buf.indexOf('\n');
      while (nl !== -1) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        const w = this.#waiters.shift();
        if (w) w(line);
        else this.#lines.push(line);
        nl = this.#buf.indexOf('\n');
      }
    });
    this.socket.on('error', () => {});
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The next frame as JSON. */
  next(): Promise<WireFrame> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line));
    return new Promise((resolve) => this.#waiters.push((l) => resolve(JSON.parse(l))));
  }

  async call(method: string, params: unknown, id: number): Promise<WireFrame> {
    this.send(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }
}
