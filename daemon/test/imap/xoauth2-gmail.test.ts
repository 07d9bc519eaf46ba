/**
 * Gmail IMAP with OAuth2 (issue 17): an access token from the fake Google authority
 * (imap/oauth.ts → oauth/) logs in to a Gmail-like IMAP server on 127.0.0.1 over verified TLS.
 * The server checks the SASL initial response byte for byte — XOAUTH2 as Gmail's "XOAUTH2
 * protocol" page defines it (`base64("user=" User ^A "auth=Bearer " Token ^A ^A)`), OAUTHBEARER
 * as RFC 7628 §3.1 does — and answers a bad token as Gmail does: a `+` challenge carrying a
 * base64 JSON error, then `NO [AUTHENTICATIONFAILED]` after the client's empty response. A token
 * revoked before its expiry is refused; one forced refresh (what the IMAP watcher asks for after
 * `IMAP_ERR_AUTH`) gets a new one that works; a revoked refresh token ends in needs-credentials.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateTestTls, type TestTls } from '../../../fixtures/src/autodiscover-server/test-tls';
import { type OAuthServer, startOAuthServer } from '../../../fixtures/src/oauth-server';
import { accountSchema, type ImapAccount } from '../../src/config/account';
import { connect } from '../../src/imap/connection';
import { ImapError } from '../../src/imap/errors';
import { imapTokenProvider } from '../../src/imap/oauth';
import { OAuthError } from '../../src/oauth/errors';
import type { SecretSource } from '../../src/secrets/types';

const USER = 'alice@gmail.com';
const SECRET = 'GOCSPX-imap-test';
const log = pino({ level: 'silent' });

let tls: TestTls;
let dir: string;
let caPath: string;
beforeAll(async () => {
  tls = await generateTestTls(['localhost']);
  dir = await mkdtemp(join(tmpdir(), 'tidings-xoauth2-'));
  caPath = join(dir, 'ca.pem');
  await writeFile(caPath, tls.ca);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Gimap {
  port: number;
  /** Decoded SASL initial responses, in order. */
  readonly sasl: string[];
  readonly outcomes: ('OK' | 'NO')[];
}

/** A Gmail-like IMAP server: verified TLS, SASL-IR, the given AUTH= mechanisms. */
async function gimap(idp: OAuthServer, mechanisms: string[]): Promise<Gimap> {
  const state = { port: 0, sasl: [] as string[], outcomes: [] as ('OK' | 'NO')[] };
  const caps = `IMAP4rev1 UNSELECT IDLE NAMESPACE SASL-IR ${mechanisms.map((m) => `AUTH=${m}`).join(' ')}`;
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (socket: Socket) => {
    socket.on('error', () => undefined);
    socket.write(`* OK [CAPABILITY ${caps}] Gimap ready for requests\r\n`);
    let buf = '';
    let failing: string | undefined;
    socket.on('data', (b: Buffer) => {
      buf += b.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (failing !== undefined) {
          // The client's empty (XOAUTH2) or ^A (OAUTHBEARER) answer to the error challenge.
          socket.write(`${failing} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n`);
          state.outcomes.push('NO');
          failing = undefined;
          continue;
        }
        const [tag, cmd, mech, ir] = line.split(' ');
        const c = (cmd ?? '').toUpperCase();
        if (c === 'AUTHENTICATE') {
          const decoded = Buffer.from(ir ?? '', 'base64').toString('latin1');
          state.sasl.push(`${mech} ${decoded}`);
          const token =
            mech === 'XOAUTH2'
              ? /^user=([^\x01]+)\x01auth=Bearer ([^\x01]+)\x01\x01$/.exec(decoded)
              : /^n,a=([^,]+),\x01host=[^\x01]+\x01port=\d+\x01auth=Bearer ([^\x01]+)\x01\x01$/.exec(decoded);
          if (token && token[1] === USER && idp.idp.isValidAccessToken(token[2]!)) {
            socket.write(`${tag} OK ${USER} authenticated (Success)\r\n`);
            state.outcomes.push('OK');
          } else {
            const why = { status: '400', schemes: 'Bearer', scope: 'https://mail.google.com/' };
            socket.write(`+ ${Buffer.from(JSON.stringify(why)).toString('base64')}\r\n`);
            failing = tag;
          }
        } else if (c === 'CAPABILITY') socket.write(`* CAPABILITY ${caps}\r\n${tag} OK Success\r\n`);
        else if (c === 'LOGOUT') socket.end(`* BYE LOGOUT Requested\r\n${tag} OK 73 good day (Success)\r\n`);
        else socket.write(`${tag} OK Success\r\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as { port: number }).port;
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
      }),
  );
  return state;
}

function memorySecret(initial: string): SecretSource {
  let v = initial;
  return {
    get: async () => v,
    set: async (next: string) => {
      v = next;
    },
  };
}

function gmailAccount(port: number, authority: string): ImapAccount {
  const a = accountSchema().parse({
    id: 'gmail',
    kind: 'imap',
    host: 'localhost',
    port,
    username: USER,
    tls: { ca: caPath },
    oauth2: { provider: 'google', clientId: 'tidings-test-client', clientSecret: SECRET, authority },
  });
  if (a.kind !== 'imap') throw new Error('not imap');
  return a;
}

async function setup(mechanisms: string[]) {
  const idp = await startOAuthServer({ flavour: 'google', clientSecret: SECRET });
  closers.push(() => idp.close());
  const imap = await gimap(idp, mechanisms);
  const dispatcher = new Agent();
  closers.push(() => dispatcher.close());
  const account = gmailAccount(imap.port, idp.authority);
  const tokens = imapTokenProvider(account, memorySecret(idp.idp.issueRefreshToken()), dispatcher, log)!;
  const login = async (forceRefresh = false) => {
    const client = await connect({
      account,
      credential: { accessToken: await tokens.getAccessToken({ forceRefresh }) },
      log,
    });
    await client.logout();
  };
  return { idp, imap, tokens, login };
}

async function failure<E>(p: Promise<unknown>, type: new (...a: never[]) => E): Promise<E> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

describe('Gmail IMAP with an OAuth2 access token', () => {
  it('logs in with XOAUTH2 in the form Gmail documents', async () => {
    const { imap, login } = await setup(['XOAUTH2', 'PLAIN']);
    await login();
    expect(imap.outcomes).toEqual(['OK']);
    expect(imap.sasl[0]).toMatch(new RegExp(`^XOAUTH2 user=${USER}\\x01auth=Bearer at-[\\w-]+\\x01\\x01$`));
  });

  it('prefers OAUTHBEARER (RFC 7628) where the server advertises it, as Gmail does', async () => {
    const { imap, login } = await setup(['XOAUTH2', 'PLAIN', 'PLAIN-CLIENTTOKEN', 'OAUTHBEARER']);
    await login();
    expect(imap.outcomes).toEqual(['OK']);
    expect(imap.sasl[0]).toMatch(
      /^OAUTHBEARER n,a=alice@gmail\.com,\x01host=localhost\x01port=\d+\x01auth=Bearer at-/,
    );
  });

  it('a token revoked before expiry is refused (IMAP_ERR_AUTH); one forced refresh logs in again', async () => {
    const { idp, imap, login } = await setup(['XOAUTH2']);
    await login();
    // The access token dies before its expiry; the refresh token stays good.
    idp.idp.revokeAccessTokens();
    const refused = await failure(login(), ImapError);
    expect(refused.code).toBe('IMAP_ERR_AUTH');
    await login(true);
    expect(imap.outcomes).toEqual(['OK', 'NO', 'OK']);
    expect(idp.idp.counts.refreshToken).toBe(2);
  });

  it('a revoked refresh token ends in invalid_grant, which asks for a new sign-in', async () => {
    const { idp, tokens, login } = await setup(['XOAUTH2']);
    await login();
    idp.idp.revokeAll();
    const err = await failure(tokens.getAccessToken({ forceRefresh: true }), OAuthError);
    expect(err.code).toBe('EAS_ERR_OAUTH_INVALID_GRANT');
    expect(err.needsCredentials).toBe(true);
  });
});
