/**
 * The Dovecot 2.3 instances of scripts/dovecot-imap.sh for the IMAP tests and the interop suite:
 * where they listen, their users (the file the script installs), the CA that signed their
 * certificate, and a plain imapflow client to change mail behind the watcher's back (APPEND,
 * EXPUNGE, MOVE, mailbox delete) as another mail client would.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import type { ImapAccount } from '../../src/config/account';

const SCRIPT = fileURLToPath(new URL('../../../scripts/dovecot-imap.sh', import.meta.url));
const USERS_FILE = fileURLToPath(new URL('../../../scripts/dovecot-imap/users', import.meta.url));
export const DOVECOT_ROOT = process.env.TIDINGS_DOVECOT_ROOT ?? '/tmp/tidings-dovecot-imap';
export const DOVECOT_CA = join(DOVECOT_ROOT, 'ca.pem');
const run = promisify(execFile);

/** The configurations: Dovecot's own capabilities, imap_capability without NOTIFY, and IDLE only. */
export const DOVECOT = {
  full: { imap: 21143, imaps: 21993 },
  nonotify: { imap: 21144, imaps: 21994 },
  /** IDLE only: no NOTIFY, CONDSTORE, QRESYNC or PREVIEW (the UID-diff path, previews from the body). */
  plain: { imap: 21145, imaps: 21995 },
} as const;
export type DovecotConfig = keyof typeof DOVECOT;

/** user → password from scripts/dovecot-imap/users. */
export const DOVECOT_USERS: ReadonlyMap<string, string> = new Map(
  readFileSync(USERS_FILE, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && l.includes(':'))
    .map((l) => {
      const [user, pw] = l.split(':');
      return [user!, (pw ?? '').replace(/^\{PLAIN\}/, '')] as [string, string];
    }),
);

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(3000, () => done(false));
    s.once('error', () => done(false));
    s.once('data', (b) => done(b.toString('latin1').startsWith('* OK')));
  });
}

/** All three configurations greet. */
export async function dovecotUp(): Promise<boolean> {
  return (
    (await greets(DOVECOT.full.imap)) &&
    (await greets(DOVECOT.nonotify.imap)) &&
    (await greets(DOVECOT.plain.imap))
  );
}

/** Stops the instances by the script's pid files, never by name. */
export async function stopDovecot(): Promise<void> {
  await run('bash', [SCRIPT, 'stop'], { timeout: 60_000 });
}

/**
 * Makes sure the Dovecot instances answer: uses running ones, else starts them with the script.
 * Returns whether we started them, or why they cannot run (the suite then skips locally and
 * fails with CI=true).
 */
export async function ensureDovecot(): Promise<{ startedByUs: boolean } | { reason: string }> {
  const up = dovecotUp;
  if ((await up()) && existsSync(DOVECOT_CA)) return { startedByUs: false };
  if (!existsSync('/usr/sbin/dovecot'))
    return { reason: 'dovecot is not installed (scripts/sogo.sh install installs dovecot-imapd)' };
  let out: string;
  try {
    out = (await run('bash', [SCRIPT, 'start'], { timeout: 60_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { reason: `scripts/dovecot-imap.sh start failed: ${(e.stderr || e.message).trim()}` };
  }
  if (!(await up())) return { reason: 'Dovecot does not answer on 127.0.0.1:21143/21144/21145' };
  const startedByUs = /started \(pid \d+\)/.test(out);
  // The run that started them is named in the owner file, so only that run's teardown stops
  // them: another vitest run on the same machine must not stop instances this one uses.
  const token = process.env[OWNER_ENV];
  if (startedByUs && token) writeFileSync(OWNER_FILE, token);
  return { startedByUs };
}

/** Set by the unit suite's globalSetup to a token of its own run (workers inherit it). */
export const OWNER_ENV = 'TIDINGS_DOVECOT_RUN';
/** Which run started the instances now up (its token), written by ensureDovecot. */
export const OWNER_FILE = join(DOVECOT_ROOT, 'started-by-run');

/** Whether the instances now up were started by the run with this token. */
export function startedByRun(token: string): boolean {
  try {
    return readFileSync(OWNER_FILE, 'utf8') === token;
  } catch {
    return false;
  }
}

/** Stops Dovecot if this process started it (by the script's pid files, never by name). */
export async function releaseDovecot(state: { startedByUs: boolean } | { reason: string }): Promise<void> {
  if ('startedByUs' in state && state.startedByUs) await stopDovecot();
}

/** Ends the user's sessions on one configuration (doveadm kick): the server says BYE and closes. */
export async function kick(config: DovecotConfig, user: string): Promise<void> {
  await run('bash', [SCRIPT, 'kick', config, user], { timeout: 30_000 });
}

/** A `kind: imap` account for a test user on one configuration, over IMAPS with the script's CA. */
export function dovecotAccount(
  user: string,
  config: DovecotConfig = 'full',
  extra: Partial<ImapAccount> = {},
): ImapAccount {
  return {
    id: `imap-${user}-${config}`,
    kind: 'imap',
    enabled: true,
    host: '127.0.0.1',
    port: DOVECOT[config].imaps,
    security: 'tls',
    username: user,
    secret: { env: 'UNUSED' },
    tls: { ca: DOVECOT_CA, rejectUnauthorized: true },
    ...extra,
  };
}

/** Another mail client of the same user: plain IMAP on loopback, for making changes. */
export async function otherClient(user: string, config: DovecotConfig = 'full'): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: DOVECOT[config].imap,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: DOVECOT_USERS.get(user) ?? '' },
    logger: false,
    disableAutoIdle: true,
  });
  await c.connect();
  return c;
}

/** A small RFC 5322 message. */
export function mail(o: {
  subject: string;
  from?: string;
  body?: string;
  date?: Date;
  messageId?: string;
}): string {
  const date = (o.date ?? new Date()).toUTCString().replace('GMT', '+0000');
  return [
    `From: ${o.from ?? 'Ann Sender <ann@example.test>'}`,
    'To: someone@example.test',
    `Subject: ${o.subject}`,
    `Date: ${date}`,
    `Message-ID: <${o.messageId ?? `${Math.random().toString(36).slice(2)}@example.test`}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    o.body ?? `Body of ${o.subject}.`,
    '',
  ].join('\r\n');
}

/** Deletes every message of the mailbox (creating it if needed) and every other mailbox of the user but INBOX and the auto ones. */
export async function resetUser(c: ImapFlow, keep: string[] = ['INBOX', 'Junk', 'Trash']): Promise<void> {
  for (const box of await c.list()) {
    if (!keep.includes(box.path)) await c.mailboxDelete(box.path).catch(() => undefined);
  }
  for (const path of keep) {
    const lock = await c.getMailboxLock(path);
    try {
      await c.messageDelete('1:*');
    } finally {
      lock.release();
    }
  }
}
