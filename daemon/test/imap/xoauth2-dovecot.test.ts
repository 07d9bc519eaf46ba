/**
 * OAuth2 IMAP login against a real peer (issue 17): Dovecot 2.3's `oauth2` passdb checks the
 * bearer token by RFC 7662 introspection at the fake Google authority, so the SASL strings
 * imapflow builds from our token — XOAUTH2 (Gmail's mechanism) where the server offers only that,
 * OAUTHBEARER (RFC 7628) where it offers both, as Gmail does — are parsed by Dovecot's own code,
 * not by a fake. Each configuration is a Dovecot instance of this file's own (a temp dir, `dovecot
 * -F -c`, its pid ended after the suite); scripts/dovecot-imap.sh's instances are left alone.
 * Dovecot's master needs root to bind and to switch to the mail user: the suite skips with a
 * printed reason without Dovecot or root, and fails then when CI=true.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestTls } from '../../../fixtures/src/autodiscover-server/test-tls';
import { type OAuthServer, startOAuthServer } from '../../../fixtures/src/oauth-server';
import { accountSchema, type ImapAccount } from '../../src/config/account';
import { connect } from '../../src/imap/connection';
import { ImapError } from '../../src/imap/errors';
import { imapTokenProvider } from '../../src/imap/oauth';
import type { TokenProvider } from '../../src/oauth';
import type { SecretSource } from '../../src/secrets/types';

const DOVECOT_BIN = '/usr/sbin/dovecot';
const USER = 'alice';
const SECRET = 'GOCSPX-dovecot-test';
const log = pino({ level: 'silent' });

function skipReason(): string | undefined {
  let why: string | undefined;
  if (!existsSync(DOVECOT_BIN)) why = `${DOVECOT_BIN} is missing (apt-get install dovecot-imapd)`;
  else if (process.getuid?.() !== 0) why = "Dovecot's master must start as root to bind and switch users";
  if (why === undefined) return undefined;
  if (process.env.CI === 'true')
    throw new Error(`${why}; the Dovecot OAuth2 suite cannot run in CI without it`);
  console.warn(`skipping Dovecot OAuth2 tests: ${why}`);
  return why;
}
const skip = skipReason();

/** A port free right now (Dovecot takes no port 0 it could report back). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => done(true));
  });
}

interface Instance {
  port: number;
  ca: string;
  child: ChildProcess;
  logPath: string;
}

/** One Dovecot with the oauth2 passdb offering `mechanisms`, on implicit TLS. */
async function startDovecot(dir: string, idp: OAuthServer, mechanisms: string): Promise<Instance> {
  const tls = await generateTestTls(['localhost']);
  const port = await freePort();
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'mail'));
  const mailUid = Number(execFileSync('id', ['-u', 'mail']).toString().trim());
  const mailGid = Number(execFileSync('id', ['-g', 'mail']).toString().trim());
  chownSync(join(dir, 'mail'), mailUid, mailGid);
  writeFileSync(join(dir, 'cert.pem'), tls.cert);
  writeFileSync(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.pem'), tls.ca);
  // Dovecot 2.3 oauth2 passdb: POST token=… to the introspection URL (RFC 7662), `active` must
  // be true and `username` must name the user who logs in.
  writeFileSync(
    join(dir, 'oauth2.conf.ext'),
    [
      'introspection_mode = post',
      `introspection_url = ${idp.authority}/introspect`,
      'username_attribute = username',
      'active_attribute = active',
      'active_value = true',
      '',
    ].join('\n'),
  );
  const logPath = join(dir, 'dovecot.log');
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${logPath}
instance_name = tidings-oauth-${port}
ssl = required
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
auth_mechanisms = ${mechanisms}
passdb {
  driver = oauth2
  mechanisms = ${mechanisms}
  args = ${dir}/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${dir}/mail/%n
}
first_valid_uid = ${Math.min(mailUid, 8)}
first_valid_gid = ${Math.min(mailGid, 8)}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${port}
  }
}
`,
  );
  // Dovecot's unprivileged processes (dovenull, mail) read the config and reach base_dir.
  chmodSync(dir, 0o755);
  const child = spawn(DOVECOT_BIN, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`dovecot exited (${code}); see ${logPath}`))),
  );
  exited.catch(() => {});
  // Polled with a generous deadline: start-up time is the machine's, not a behaviour under test.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await Promise.race([greets(port), exited])) break;
    if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${port}; see ${logPath}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, ca: join(dir, 'ca.pem'), child, logPath };
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

describe.skipIf(skip !== undefined)(
  'OAuth2 IMAP login against Dovecot 2.3 (oauth2 passdb)',
  { timeout: 60_000 },
  () => {
    let idp: OAuthServer;
    let dispatcher: Agent;
    const dirs: string[] = [];
    const instances: Instance[] = [];
    let xoauth2Only: Instance;
    let both: Instance;

    beforeAll(async () => {
      idp = await startOAuthServer({ flavour: 'google', clientSecret: SECRET, subject: USER });
      dispatcher = new Agent();
      for (const mechanisms of ['xoauth2', 'oauthbearer xoauth2']) {
        const dir = mkdtempSync(join(tmpdir(), 'tidings-dovecot-oauth-'));
        dirs.push(dir);
        instances.push(await startDovecot(dir, idp, mechanisms));
      }
      [xoauth2Only, both] = instances as [Instance, Instance];
    });

    afterAll(async () => {
      for (const i of instances) {
        if (i.child.exitCode === null) {
          const gone = new Promise((r) => i.child.once('exit', r));
          i.child.kill('SIGTERM');
          await gone;
        }
      }
      await dispatcher?.close();
      await idp?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    function account(i: Instance): ImapAccount {
      const a = accountSchema().parse({
        id: 'gmail-like',
        kind: 'imap',
        host: 'localhost',
        port: i.port,
        username: USER,
        tls: { ca: i.ca },
        oauth2: {
          provider: 'google',
          clientId: idp.idp.clientId,
          clientSecret: SECRET,
          authority: idp.authority,
        },
      });
      if (a.kind !== 'imap') throw new Error('not imap');
      return a;
    }

    async function login(a: ImapAccount, tokens: TokenProvider, forceRefresh = false) {
      const client = await connect({
        account: a,
        credential: { accessToken: await tokens.getAccessToken({ forceRefresh }) },
        log,
      });
      try {
        const status = await client.status('INBOX', { messages: true });
        return { messages: status ? status.messages : undefined, authenticated: client.authenticated };
      } finally {
        await client.logout();
      }
    }

    it('logs in with XOAUTH2 where the server offers only that', async () => {
      const a = account(xoauth2Only);
      const tokens = imapTokenProvider(a, memorySecret(idp.idp.issueRefreshToken()), dispatcher, log)!;
      const before = idp.idp.counts.introspect;
      await expect(login(a, tokens)).resolves.toEqual({ messages: 0, authenticated: true });
      // Dovecot asked the authority about our token: the login rode on it, not on a password.
      expect(idp.idp.counts.introspect).toBe(before + 1);
      await expect
        .poll(() => readFileSync(xoauth2Only.logPath, 'utf8'))
        .toContain(`user=<${USER}>, method=XOAUTH2`);
    });

    it('logs in with OAUTHBEARER where the server offers both, as Gmail does', async () => {
      const a = account(both);
      const tokens = imapTokenProvider(a, memorySecret(idp.idp.issueRefreshToken()), dispatcher, log)!;
      await expect(login(a, tokens)).resolves.toEqual({ messages: 0, authenticated: true });
      await expect
        .poll(() => readFileSync(both.logPath, 'utf8'))
        .toContain(`user=<${USER}>, method=OAUTHBEARER`);
    });

    it('a token revoked before expiry is refused (IMAP_ERR_AUTH); one forced refresh logs in again', async () => {
      const a = account(xoauth2Only);
      const tokens = imapTokenProvider(a, memorySecret(idp.idp.issueRefreshToken()), dispatcher, log)!;
      await login(a, tokens);
      idp.idp.revokeAccessTokens();
      const refused = await login(a, tokens).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ImapError);
      expect((refused as ImapError).code).toBe('IMAP_ERR_AUTH');
      await expect(login(a, tokens, true)).resolves.toEqual({ messages: 0, authenticated: true });
    });
  },
);
