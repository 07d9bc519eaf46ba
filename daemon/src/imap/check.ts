/**
 * `tidings account test` / `doctor` for an IMAP account: the steps the watcher takes, each with
 * what it found or what to do (diagnose/checks.ts runs them). Connects as the watcher does
 * (imap/connection.ts), so TLS, the CA file and the login get the daemon's verdict.
 */
import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { ImapAccount } from '../config/account';
import type { TokenProvider } from '../oauth';
import type { SecretSource } from '../secrets/types';
import { featuresOf, listenMode } from './capabilities';
import { mailboxStatus } from './commands/status';
import { connect, defaultPort } from './connection';
import { toImapError } from './errors';

export interface ImapCheckStep {
  name: string;
  ok: boolean;
  warn?: boolean;
  note: string;
  fix?: string;
}

const FIX: Partial<Record<string, string>> = {
  IMAP_ERR_TLS:
    'put the server\'s CA certificate (PEM) in the account\'s "tls": {"ca": …}, or fix "host" to the name on the certificate',
  IMAP_ERR_AUTH:
    'check "username" and the password (tidings account set-password <id>), or sign in again for OAuth2',
  IMAP_ERR_SECRET: 'fix the account\'s "secret" source (keyring, command or env)',
  IMAP_ERR_NETWORK:
    'check "host", "port" and "security" (tls: 993, starttls: 143), and that this machine reaches the server',
  IMAP_ERR_TIMEOUT: 'check "host" and "port"; a firewall may drop the connection',
  IMAP_ERR_NO_MAILBOX:
    'fix "mailboxes" in the account: names as the server lists them (e.g. "INBOX", "Lists/dev")',
};

export async function checkImap(
  account: ImapAccount,
  secret: SecretSource,
  log: Logger,
  opts: { timeoutMs: number; tokens?: TokenProvider },
): Promise<ImapCheckStep[]> {
  const steps: ImapCheckStep[] = [];
  try {
    const addrs = await lookup(account.host, { all: true });
    steps.push({
      name: 'dns',
      ok: true,
      note: `${account.host} → ${addrs.map((a) => a.address).join(', ')}`,
    });
  } catch (err) {
    steps.push({
      name: 'dns',
      ok: false,
      note: `${account.host} does not resolve: ${(err as NodeJS.ErrnoException).code}`,
      fix: 'check "host" in the account, and that this machine has network and DNS',
    });
    return steps;
  }
  const where = `${account.host}:${defaultPort(account)} (${account.security === 'tls' ? 'TLS' : 'STARTTLS'})`;
  let client: Awaited<ReturnType<typeof connect>>;
  try {
    const credential = opts.tokens
      ? { accessToken: await opts.tokens.getAccessToken() }
      : { pass: await secret.get() };
    client = await connect({ account, credential, log, connectTimeoutMs: opts.timeoutMs });
  } catch (err) {
    const e = toImapError(err);
    const fix = FIX[e.code];
    steps.push({
      name: 'login',
      ok: false,
      note: `${where}: ${e.code}: ${e.message}`,
      ...(fix ? { fix } : {}),
    });
    return steps;
  }
  try {
    const f = featuresOf(client.capabilities.keys());
    const insecure = account.tls?.rejectUnauthorized === false;
    steps.push({
      name: 'login',
      ok: true,
      ...(insecure
        ? { warn: true, fix: 'remove "rejectUnauthorized": false and give "tls": {"ca": …}' }
        : {}),
      note: `${where} as ${account.username}${insecure ? ' — certificate NOT verified' : ''}`,
    });
    const mailboxes = account.mailboxes ?? ['INBOX'];
    const notes: string[] = [];
    for (const m of mailboxes) {
      try {
        const st = await mailboxStatus(client, m, f.condstore);
        notes.push(`${m}: ${st.messages} messages`);
      } catch (err) {
        const e = toImapError(err, { mailbox: m });
        const fix = FIX[e.code];
        steps.push({ name: 'mailboxes', ok: false, note: `${m}: ${e.message}`, ...(fix ? { fix } : {}) });
        return steps;
      }
    }
    steps.push({ name: 'mailboxes', ok: true, note: notes.join(', ') });
    const extras = [
      f.condstore ? (f.qresync ? 'QRESYNC' : 'CONDSTORE') : 'UID diff',
      f.preview ?? 'body previews',
    ];
    steps.push({
      name: 'push',
      ok: f.notify || f.idle,
      ...(f.notify || f.idle
        ? {}
        : { fix: 'the server offers neither NOTIFY nor IDLE: the account is polled' }),
      note: `${listenMode(f, mailboxes.length)}; ${extras.join(', ')}`,
    });
  } finally {
    await client.logout().catch(() => client.close());
  }
  return steps;
}
