import { createHmac } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { webhookConfigSchema } from '../../src/config/rules';
import type { Sink } from '../../src/hub/types';
import type { ChangeSignal } from '../../src/signal';
import { createWebhook, signBody } from '../../src/sinks/webhook';
import { MemoryStore } from '../../src/store/memory-store';

function mail(id: string): ChangeSignal {
  return {
    id,
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: '5', name: 'Inbox' },
    added: [{ id: `m-${id}`, title: 'Meeting moved', from: 'Alice <alice@example.org>' }],
    changed: [],
    removed: [],
    observedAt: '2026-11-25T12:00:00.000Z',
  };
}

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

interface Event {
  sink: string;
  signalId: string;
  attempt: number;
  outcome: string;
  status?: number;
  delayMs?: number;
  error?: { code: string; message: string };
}

const SECRET = 's3cr3t-webhook-key';

describe('webhook sink', () => {
  const servers: Server[] = [];
  const sinks: Sink[] = [];
  const events: Event[] = [];
  const waiters: (() => void)[] = [];
  const onEvent = (m: unknown) => {
    events.push(m as Event);
    for (const w of waiters.splice(0)) w();
  };
  subscribe('tidings:sink:webhook', onEvent);
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
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    // The secret never reaches a log line, whatever happened in the test.
    expect(logLines.join('')).not.toContain(SECRET);
    events.length = 0;
    logLines.length = 0;
  });
  afterAll(() => unsubscribe('tidings:sink:webhook', onEvent));

  /** A receiver on 127.0.0.1:0 answering with `respond` (called once per request). */
  async function receiver(
    respond: (req: Received, n: number, res: ServerResponse) => void,
  ): Promise<{ url: string; got: Received[] }> {
    const got: Received[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        const r = { headers: req.headers, body };
        got.push(r);
        respond(r, got.length, res);
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=abc`, got };
  }

  function webhook(config: object, secret?: () => Promise<string>): Sink {
    const sink = createWebhook({
      config: webhookConfigSchema().parse({ name: 'ops', ...config }),
      log,
      secret: secret ? { get: secret } : undefined,
      backoff: { baseMs: 20, capMs: 50, random: () => 0 },
    });
    sinks.push(sink);
    return sink;
  }

  async function until(pred: () => boolean): Promise<void> {
    while (!pred()) await new Promise<void>((r) => waiters.push(r));
  }

  it('POSTs the signal as JSON with an HMAC-SHA256 signature of the exact body', async () => {
    const { url, got } = await receiver((_r, _n, res) => res.writeHead(204).end());
    webhook({ url, secret: { keyring: true }, headers: { 'x-team': 'ops' } }, async () => SECRET).deliver(
      mail('s1'),
    );
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({
      sink: 'ops',
      signalId: 's1',
      attempt: 1,
      outcome: 'delivered',
      status: 204,
    });
    const [req] = got;
    expect(JSON.parse(req?.body ?? '')).toEqual(mail('s1'));
    expect(req?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-tidings-event': 'signal',
      'x-tidings-delivery': 's1',
      'x-team': 'ops',
    });
    const expected = `sha256=${createHmac('sha256', SECRET)
      .update(req?.body ?? '')
      .digest('hex')}`;
    expect(req?.headers['x-tidings-signature']).toBe(expected);
    expect(signBody(SECRET, req?.body ?? '')).toBe(expected);
  });

  it('sends no signature header without a secret', async () => {
    const { url, got } = await receiver((_r, _n, res) => res.writeHead(200).end('ok'));
    webhook({ url }).deliver(mail('s1'));
    await until(() => events.length === 1);
    expect(got[0]?.headers['x-tidings-signature']).toBeUndefined();
  });

  it('retries a 503 after the Retry-After it was given, then delivers', async () => {
    const { url, got } = await receiver((_r, n, res) =>
      n === 1 ? res.writeHead(503, { 'retry-after': '1' }).end() : res.writeHead(200).end(),
    );
    webhook({ url }).deliver(mail('s1'));
    await until(() => events.some((e) => e.outcome === 'delivered'));
    expect(events.map((e) => [e.outcome, e.attempt, e.status])).toEqual([
      ['retry', 1, 503],
      ['delivered', 2, 200],
    ]);
    // Retry-After (1 s) beats the 20 ms back-off.
    expect(events[0]?.delayMs).toBe(1_000);
    expect(events[0]?.error?.code).toBe('SINK_ERR_WEBHOOK_NETWORK');
    expect(got).toHaveLength(2);
    expect(got[1]?.body).toBe(got[0]?.body);
  });

  it('gives up after maxAttempts and moves on to the next signal', async () => {
    const { url, got } = await receiver((r, _n, res) =>
      JSON.parse(r.body).id === 's1' ? res.writeHead(500).end() : res.writeHead(200).end(),
    );
    const sink = webhook({ url, maxAttempts: 3 });
    sink.deliver(mail('s1'));
    sink.deliver(mail('s2'));
    await until(() => events.some((e) => e.signalId === 's2'));
    expect(events.map((e) => [e.signalId, e.outcome, e.attempt])).toEqual([
      ['s1', 'retry', 1],
      ['s1', 'retry', 2],
      ['s1', 'failed', 3],
      ['s2', 'delivered', 1],
    ]);
    expect(events[2]?.error?.code).toBe('SINK_ERR_WEBHOOK_GAVE_UP');
    expect(got).toHaveLength(4);
    // The log names the URL without its query (a token may live there).
    expect(logLines.join('')).toContain('/hook');
    expect(logLines.join('')).not.toContain('token=abc');
  });

  it('drops a signal the receiver refuses (4xx) without retrying', async () => {
    const { url, got } = await receiver((_r, _n, res) => res.writeHead(404).end());
    webhook({ url }).deliver(mail('s1'));
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ outcome: 'failed', status: 404 });
    expect(events[0]?.error?.code).toBe('SINK_ERR_WEBHOOK_HTTP');
    expect(got).toHaveLength(1);
  });

  it('retries when the connection is refused', async () => {
    const { url } = await receiver(() => {});
    await new Promise((r) => servers.pop()?.close(r));
    webhook({ url, maxAttempts: 2 }).deliver(mail('s1'));
    await until(() => events.length === 2);
    expect(events.map((e) => [e.outcome, e.error?.code])).toEqual([
      ['retry', 'SINK_ERR_WEBHOOK_NETWORK'],
      ['failed', 'SINK_ERR_WEBHOOK_GAVE_UP'],
    ]);
    expect(events[0]?.error?.message).toContain('ECONNREFUSED');
  });

  it('retries when the secret cannot be fetched, and never sends unsigned', async () => {
    const { url, got } = await receiver((_r, _n, res) => res.writeHead(200).end());
    let calls = 0;
    webhook({ url, secret: { keyring: true } }, async () => {
      calls++;
      if (calls === 1) throw new Error('keyring locked');
      return SECRET;
    }).deliver(mail('s1'));
    await until(() => events.some((e) => e.outcome === 'delivered'));
    expect(events[0]).toMatchObject({ outcome: 'retry' });
    expect(events[0]?.error?.code).toBe('SINK_ERR_SECRET');
    expect(got).toHaveLength(1);
    expect(got[0]?.headers['x-tidings-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('holds queueSize signals, reports busy, keeps order, and resumes the hub when one is done', async () => {
    const pending: ServerResponse[] = [];
    const { url, got } = await receiver((_r, _n, res) => pending.push(res));
    const sink = webhook({ url, queueSize: 2 });
    let resumed = 0;
    sink.onDrain?.(() => resumed++);
    expect(sink.deliver(mail('s1'))).toBe(true);
    expect(sink.deliver(mail('s2'))).toBe(false);
    expect(sink.deliver(mail('s3'))).toBe(false);
    expect(logLines.join('')).toContain('SINK_ERR_WEBHOOK_OVERFLOW');
    while (pending.length === 0) await new Promise((r) => setTimeout(r, 5));
    pending.shift()?.writeHead(200).end();
    await until(() => events.length === 1);
    expect(resumed).toBe(1);
    while (pending.length === 0) await new Promise((r) => setTimeout(r, 5));
    pending.shift()?.writeHead(200).end();
    await until(() => events.length === 2);
    expect(got.map((r) => JSON.parse(r.body).id)).toEqual(['s1', 's2']);
  });

  it('aborts the request in flight on close', async () => {
    let arrived = false;
    let aborted = false;
    const { url } = await receiver((_r, _n, res) => {
      arrived = true;
      res.on('close', () => {
        aborted = !res.writableEnded;
      });
    });
    const sink = webhook({ url });
    sink.deliver(mail('s1'));
    while (!arrived) await new Promise((r) => setTimeout(r, 5));
    await sink.close?.();
    while (!aborted) await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([]);
  });

  it('issue 13 §7: durable — the ledger is the queue, in order; attempts count across lives; settled entries leave it', async () => {
    const store = new MemoryStore();
    const ledger = {
      open: (after: number, limit: number) => store.ledgerOpen('ops', after, limit),
      begin: (id: string, note?: string) => store.ledgerBegin('ops', id, note),
      done: (id: string) => store.ledgerDone('ops', id),
      spoolDir: undefined,
    };
    // A previous life began s1 (its POST may have arrived) and never settled it.
    store.handOff({
      ack: [],
      feed: [],
      ledger: ['s1', 's2', 's3'].map((id) => ({ sink: 'ops', signal: mail(id) })),
    });
    store.ledgerBegin('ops', 's1');
    // s2 fails once with a 503, then everything succeeds.
    const { url, got } = await receiver((r, _n, res) =>
      r.headers['x-tidings-delivery'] === 's2' && r.headers['x-tidings-attempt'] === '1'
        ? res.writeHead(503).end()
        : res.writeHead(204).end(),
    );
    const sink = webhook({ url, queueSize: 1 });
    sink.attachLedger?.(ledger);
    await until(() => store.ledgerOpen('ops', 0, 10).length === 0);
    expect(got.map((r) => [r.headers['x-tidings-delivery'], r.headers['x-tidings-attempt']])).toEqual([
      ['s1', '2'], // a resend: the receiver may have it, and drops it by the delivery id
      ['s2', '1'],
      ['s2', '2'],
      ['s3', '1'],
    ]);
    // Never busy to the hub, whatever queueSize says: the ledger holds the queue.
    store.handOff({ ack: [], feed: [], ledger: [{ sink: 'ops', signal: mail('s4') }] });
    expect(sink.deliver(mail('s4'))).toBe(true);
    await until(() => got.length === 5);
    await until(() => store.ledgerOpen('ops', 0, 10).length === 0);
  });
});
