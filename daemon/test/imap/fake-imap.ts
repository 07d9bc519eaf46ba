/**
 * An in-memory stand-in for the parts of imapflow's ImapFlow the IMAP watcher uses, for the
 * state-machine tests that need no socket (connect failures, credentials, back-off, stop). Real
 * protocol behaviour is tested against Dovecot (watcher-dovecot.test.ts).
 */
import { EventEmitter } from 'node:events';
import type { ImapFlow } from 'imapflow';

interface Box {
  uidValidity: number;
  uidNext: number;
  msgs: Map<number, { subject: string; flags: Set<string> }>;
}

export class FakeServer {
  readonly boxes = new Map<string, Box>([['INBOX', { uidValidity: 1, uidNext: 1, msgs: new Map() }]]);
  capabilities = ['IMAP4rev1', 'IDLE'];
  /** STATUS never answers while set. */
  stall = false;
  /** Commands seen, for assertions ("STATUS INBOX", "SEARCH", …). */
  readonly log: string[] = [];
  readonly clients: FakeClient[] = [];

  append(box: string, subject: string, flags: string[] = []): number {
    const b = this.boxes.get(box)!;
    const uid = b.uidNext++;
    b.msgs.set(uid, { subject, flags: new Set(flags) });
    for (const c of this.clients) if (c.mailbox && c.mailbox.path === box) c.emit('exists', { path: box });
    return uid;
  }

  connect(): FakeClient {
    const c = new FakeClient(this);
    this.clients.push(c);
    return c;
  }
}

export class FakeClient extends EventEmitter {
  mailbox: false | { path: string } = false;
  readonly capabilities: Map<string, boolean>;
  readonly enabled = new Set<string>();
  closed = false;
  readonly untaggedHandlers: Record<string, unknown> = {};

  constructor(readonly server: FakeServer) {
    super();
    this.capabilities = new Map(server.capabilities.map((c) => [c, true]));
  }

  #box(path: string) {
    if (this.closed) throw Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
    const b = this.server.boxes.get(path);
    if (!b) throw Object.assign(new Error(`Mailbox doesn't exist: ${path}`), { code: 'NotFound' });
    return b;
  }

  async status(path: string) {
    this.server.log.push(`STATUS ${path}`);
    // A server that takes the command and never answers (until the socket closes).
    if (this.server.stall) await new Promise<void>((resolve) => this.once('close', () => resolve()));
    const b = this.#box(path);
    return { path, messages: b.msgs.size, uidNext: b.uidNext, uidValidity: BigInt(b.uidValidity) };
  }

  async mailboxOpen(path: string) {
    this.server.log.push(`EXAMINE ${path}`);
    this.#box(path);
    this.mailbox = { path };
    return this.mailbox;
  }

  async search() {
    const path = (this.mailbox as { path: string }).path;
    this.server.log.push(`SEARCH ${path}`);
    return [...this.#box(path).msgs.keys()];
  }

  async fetchAll(range: string) {
    const path = (this.mailbox as { path: string }).path;
    const b = this.#box(path);
    this.server.log.push(`FETCH ${path} ${range}`);
    const want = (uid: number) =>
      range.endsWith(':*') ? uid >= Number(range.slice(0, -2)) : range.split(',').map(Number).includes(uid);
    return [...b.msgs]
      .filter(([uid]) => want(uid))
      .map(([uid, m]) => ({
        uid,
        flags: m.flags,
        internalDate: new Date(0),
        envelope: { subject: m.subject, from: [{ name: 'Ann', address: 'ann@example.test' }] },
      }));
  }

  async fetchOne() {
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.emit('close'));
  }

  async logout(): Promise<void> {
    this.close();
  }

  asFlow(): ImapFlow {
    return this as unknown as ImapFlow;
  }
}
