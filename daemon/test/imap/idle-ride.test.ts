/**
 * IDLE renewal rides the server's keep-alive (connection.ts rideIdleRenewal): real imapflow
 * against a scripted plain-TCP server on 127.0.0.1, fake timers and clock (sockets stay real).
 * The server records when (on the fake clock) each command arrived and sends `* OK Still here`
 * when the test says so, as Dovecot does every imap_idle_notify_interval.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDLE_RENEW_MS, IDLE_RIDE_AFTER_MS, type IdleRide, rideIdleRenewal } from '../../src/imap/connection';

const MIN = 60_000;

interface Scripted {
  server: Server;
  port: number;
  /** Commands seen, with the fake clock's time in minutes since the test began. */
  seen: { at: number; line: string }[];
  keepAlive(): void;
  send(text: string): void;
  close(): Promise<void>;
}

async function scriptedServer(t0: number): Promise<Scripted> {
  const seen: Scripted['seen'] = [];
  let conn: Socket | undefined;
  let idleTag: string | undefined;
  const server = createServer((s) => {
    conn = s;
    let buf = '';
    s.write('* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] ready\r\n');
    s.on('data', (b: Buffer) => {
      buf += b.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        seen.push({ at: (Date.now() - t0) / MIN, line });
        if (line === 'DONE') {
          s.write(`${idleTag} OK Idle completed\r\n`);
          continue;
        }
        const [tag, cmd] = line.split(' ');
        switch (cmd?.toUpperCase()) {
          case 'CAPABILITY':
            s.write(`* CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN\r\n${tag} OK done\r\n`);
            break;
          case 'LOGIN':
            s.write(`${tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n`);
            break;
          case 'EXAMINE':
          case 'SELECT':
            s.write(
              `* 0 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n* OK [UIDNEXT 1] ok\r\n${tag} OK [READ-ONLY] done\r\n`,
            );
            break;
          case 'IDLE':
            idleTag = tag;
            s.write('+ idling\r\n');
            break;
          case 'LOGOUT':
            s.write(`* BYE bye\r\n${tag} OK done\r\n`);
            s.end();
            break;
          default:
            s.write(`${tag} OK done\r\n`);
        }
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as { port: number }).port,
    seen,
    keepAlive: () => conn?.write('* OK Still here\r\n'),
    send: (text) => conn?.write(text),
    close: () =>
      new Promise<void>((r) => {
        conn?.destroy();
        server.close(() => r());
      }),
  };
}

/** Real-time wait for a condition on real sockets (vi.waitFor runs on the real timers). */
const until = (check: () => boolean) =>
  vi.waitFor(() => expect(check()).toBe(true), { timeout: 10_000, interval: 5 });

describe('IDLE renewal rides a server keep-alive', () => {
  let srv: Scripted;
  let client: ImapFlow;
  let ride: IdleRide;
  /** Minutes since the first IDLE went out (the fake clock), to 1/100 min. */
  let base = 0;
  const since = (s: { at: number }) => Math.round((s.at - base) * 100) / 100;
  const idles = () => srv.seen.filter((s) => / IDLE$/.test(s.line));
  const dones = () => srv.seen.filter((s) => s.line === 'DONE');

  beforeEach(async () => {
    // Only what imapflow's IDLE timers and our clock use; socket I/O and setImmediate stay real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    srv = await scriptedServer(Date.now());
    client = new ImapFlow({
      host: '127.0.0.1',
      port: srv.port,
      secure: false,
      auth: { user: 'u', pass: 'p' },
      logger: false,
      maxIdleTime: IDLE_RENEW_MS,
      socketTimeout: IDLE_RENEW_MS + 3 * MIN,
      autoIdleDelay: 500,
    });
    client.on('error', () => undefined);
    await client.connect();
    ride = rideIdleRenewal(client);
    await client.mailboxOpen('INBOX', { readOnly: true });
    await vi.advanceTimersByTimeAsync(500); // auto-IDLE
    await until(() => idles().length === 1 && client.idling);
    base = idles()[0]!.at;
  });

  afterEach(async () => {
    client.close();
    await srv.close();
    vi.useRealTimers();
  });

  /** Advances the fake clock by `min` minutes, sending a keep-alive at the end when asked. */
  async function minutes(min: number, keepAlive: boolean): Promise<void> {
    await vi.advanceTimersByTimeAsync(min * MIN);
    if (keepAlive) {
      const before = ride.keepAlives;
      srv.keepAlive();
      await until(() => ride.keepAlives === before + 1);
    }
  }

  it('renews on the first keep-alive after 24 min, and later IDLEs need no timer', async () => {
    expect(IDLE_RIDE_AFTER_MS).toBe(24 * MIN);
    // Dovecot's 2-minute keep-alives: none renews before the IDLE is 24 min old.
    for (let m = 2; m < 24; m += 2) await minutes(2, true);
    expect(dones()).toHaveLength(0);
    await minutes(2, true); // minute 24
    await until(() => idles().length === 2);
    expect(dones().map(since)).toEqual([24]);
    expect(since(idles()[1]!)).toBe(24);
    expect(ride.rides).toBe(1);
    expect(client.maxIdleTime).toBe(false);
    // The old IDLE's 29-min timer is gone: nothing happens at minute 29 without a keep-alive.
    await minutes(6, false); // minute 30
    await until(() => client.idling);
    expect(dones().map(since)).toEqual([24]);
    // The next renewal rides a keep-alive again, 24+ min after the last IDLE went out.
    for (let m = 30; m < 46; m += 2) await minutes(2, true); // minutes 32 … 46
    expect(dones()).toHaveLength(1);
    await minutes(2, true); // minute 48: that IDLE is 24 min old
    await until(() => idles().length === 3);
    expect(dones().map(since)).toEqual([24, 48]);
    expect(ride.rides).toBe(2);
  });

  it('a silent server gets the fallback timer, never later than 29 min', async () => {
    expect(IDLE_RENEW_MS).toBeLessThanOrEqual(29 * MIN);
    await minutes(29, false);
    await until(() => idles().length === 2);
    await minutes(29, false);
    await until(() => idles().length === 3);
    const at = idles().map(since);
    expect(dones().map(since)).toEqual([29, 58]);
    // Each IDLE went out right after the previous one's DONE (imapflow's restart loop).
    expect(at.slice(1)).toEqual([29, 58]);
    expect(ride).toEqual({ keepAlives: 0, rides: 0 });
    expect(client.maxIdleTime).toBe(IDLE_RENEW_MS);
  });

  it('a keep-alive before 24 min, or mailbox news, does not renew', async () => {
    await minutes(10, true);
    await minutes(14, false); // minute 24, and mail arrives instead of a keep-alive
    const exists = new Promise<void>((r) => client.once('exists', () => r()));
    srv.send('* 1 EXISTS\r\n');
    await exists;
    expect(dones()).toHaveLength(0);
    expect(ride).toEqual({ keepAlives: 1, rides: 0 });
    expect(client.maxIdleTime).toBe(IDLE_RENEW_MS);
  });
});
