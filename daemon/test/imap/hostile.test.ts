/**
 * A hostile IMAP server on 127.0.0.1 (port 0): answers beyond the caps the account sets are cut
 * off while they arrive (imapflow's parser limits, configured by imap/connection.ts) and surface
 * as IMAP_ERR_TOO_LARGE, at the cap and not one byte later. Plain TCP: the caps sit above TLS.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { mailboxStatus } from '../../src/imap/commands/status';
import { flowOptions } from '../../src/imap/connection';
import { toImapError } from '../../src/imap/errors';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(() => r(undefined)));
});

/** A server that logs anyone in and answers STATUS with `statusAnswer(tag)`. */
async function hostile(statusAnswer: (tag: string, socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    socket.write('* OK [CAPABILITY IMAP4rev1 IDLE] hostile ready\r\n');
    let buf = '';
    socket.on('error', () => undefined);
    socket.on('data', (b) => {
      buf += b.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const [tag, cmd] = line.split(' ');
        const c = (cmd ?? '').toUpperCase();
        if (c === 'STATUS') statusAnswer(tag!, socket);
        else if (c === 'CAPABILITY') socket.write(`* CAPABILITY IMAP4rev1 IDLE\r\n${tag} OK done\r\n`);
        else if (c === 'LOGOUT') socket.end(`* BYE\r\n${tag} OK bye\r\n`);
        else socket.write(`${tag} OK done\r\n`);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

async function client(port: number, maxLiteralBytes: number): Promise<{ c: ImapFlow; errors: unknown[] }> {
  const account = {
    id: 'h',
    kind: 'imap' as const,
    enabled: true,
    host: '127.0.0.1',
    port,
    security: 'tls' as const,
    username: 'u',
    secret: { env: 'UNUSED' },
    maxLiteralBytes,
  };
  const c = new ImapFlow({
    ...flowOptions({ account, credential: { pass: 'p' }, log: pino({ level: 'silent' }) }),
    secure: false,
    doSTARTTLS: false,
  });
  const errors: unknown[] = [];
  c.on('error', (e: unknown) => errors.push(e));
  await c.connect();
  return { c, errors };
}

describe('caps on what a server may send', () => {
  it('a literal one byte over maxLiteralBytes ends the connection with IMAP_ERR_TOO_LARGE before it is read', async () => {
    const cap = 64 * 1024;
    let sent = 0;
    const port = await hostile((_tag, socket) => {
      // Announce cap + 1 bytes and start sending them: the client must stop at the announcement.
      socket.write(`* STATUS {${cap + 1}}\r\n`);
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      for (let i = 0; i < 8 && !socket.destroyed; i++) {
        socket.write(chunk);
        sent += chunk.length;
      }
    });
    const { c, errors } = await client(port, cap);
    const err = await mailboxStatus(c, 'INBOX', false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    await new Promise<void>((resolve) => (c.usable ? c.once('close', () => resolve()) : resolve()));
    const codes = [toImapError(err).code, ...errors.map((e) => toImapError(e).code)];
    expect(codes).toContain('IMAP_ERR_TOO_LARGE');
    expect(sent).toBeGreaterThan(0);
  });

  it('a literal exactly at the cap is read', async () => {
    const cap = 64 * 1024;
    const port = await hostile((tag, socket) => {
      const name = 'x'.repeat(cap);
      socket.write(`* STATUS {${cap}}\r\n${name} (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 3)\r\n${tag} OK done\r\n`);
    });
    const { c } = await client(port, cap);
    await expect(mailboxStatus(c, 'x'.repeat(cap), false)).resolves.toMatchObject({
      messages: 1,
      uidNext: 2,
      uidValidity: '3',
    });
    c.close();
  });
});
