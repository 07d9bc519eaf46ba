/**
 * Is there an IMAP server at this endpoint? A TCP connect (with a verified TLS handshake for
 * implicit TLS) and the server's `* OK` greeting, nothing more: discovery uses it to pick the
 * candidate to offer, before any password is sent. Reads at most 4 KB; one deadline for it all.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ImapEndpoint } from './discovery';
import { ImapError } from './errors';

const MAX_GREETING_BYTES = 4096;

export function probeImap(e: ImapEndpoint, opts: { timeoutMs?: number; ca?: Buffer } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 8_000;
  return new Promise((resolve, reject) => {
    let got = '';
    const socket: Socket =
      e.security === 'tls'
        ? tlsConnect({ host: e.host, port: e.port, servername: e.host, ...(opts.ca ? { ca: opts.ca } : {}) })
        : netConnect({ host: e.host, port: e.port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () =>
      done(new ImapError('IMAP_ERR_TIMEOUT', `no greeting within ${timeoutMs} ms`, { host: e.host })),
    );
    socket.once('error', (err) => done(err));
    socket.on('data', (b: Buffer) => {
      got += b.toString('latin1');
      if (got.includes('\n')) {
        if (/^\* (OK|PREAUTH)/i.test(got)) done();
        else
          done(
            new ImapError('IMAP_ERR_PROTOCOL', `not an IMAP greeting: ${got.slice(0, 80).trim()}`, {
              host: e.host,
            }),
          );
      } else if (got.length > MAX_GREETING_BYTES) {
        done(new ImapError('IMAP_ERR_PROTOCOL', 'greeting longer than 4 KB', { host: e.host }));
      }
    });
  });
}
