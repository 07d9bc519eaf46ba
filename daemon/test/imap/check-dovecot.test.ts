/**
 * `account test` / `doctor` steps for IMAP against Dovecot (scripts/dovecot-imap.sh): the login
 * over verified IMAPS and over STARTTLS, what each failure says and how to fix it.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { checkImap } from '../../src/imap/check';
import { DOVECOT, DOVECOT_USERS, dovecotAccount, ensureDovecot } from './dovecot';

const server = await ensureDovecot();
const unavailable = 'reason' in server ? server.reason : undefined;
const inCi = process.env.CI === 'true';
if (unavailable !== undefined && !inCi) console.warn(`imap check-dovecot: skipped — ${unavailable}`);

const log = pino({ level: 'silent' });
const secret = (pw: string) => ({ get: async () => pw });
const pw = DOVECOT_USERS.get('jon') ?? '';

describe.skipIf(unavailable !== undefined && !inCi)('IMAP account test against Dovecot', () => {
  it('IMAPS with the CA: dns, login, mailboxes, push — all ok, push names NOTIFY and QRESYNC', async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}`);
    const steps = await checkImap(dovecotAccount('jon', 'full'), secret(pw), log, { timeoutMs: 15_000 });
    expect(steps.map((s) => [s.name, s.ok])).toEqual([
      ['dns', true],
      ['login', true],
      ['mailboxes', true],
      ['push', true],
    ]);
    expect(steps[1]!.note).toBe('127.0.0.1:21993 (TLS) as jon');
    expect(steps[3]!.note).toBe('NOTIFY on 1 mailbox; QRESYNC, PREVIEW');
  });

  it('STARTTLS on 143-style port, IDLE only', async () => {
    const account = dovecotAccount('jon', 'plain', { security: 'starttls', port: DOVECOT.plain.imap });
    const steps = await checkImap(account, secret(pw), log, { timeoutMs: 15_000 });
    expect(steps.every((s) => s.ok)).toBe(true);
    expect(steps[1]!.note).toContain('(STARTTLS)');
    expect(steps[3]!.note).toBe('IDLE on INBOX; UID diff, body previews');
  });

  it('a wrong password: login fails with IMAP_ERR_AUTH and says what to do', async () => {
    const steps = await checkImap(dovecotAccount('jon', 'full'), secret('wrong'), log, { timeoutMs: 15_000 });
    expect(steps.at(-1)).toMatchObject({ name: 'login', ok: false });
    expect(steps.at(-1)!.note).toContain('IMAP_ERR_AUTH');
    expect(steps.at(-1)!.fix).toContain('password');
  });

  it('no CA: the certificate does not verify (IMAP_ERR_TLS), verification is never skipped', async () => {
    const account = dovecotAccount('jon', 'full', { tls: { rejectUnauthorized: true } });
    const steps = await checkImap(account, secret(pw), log, { timeoutMs: 15_000 });
    expect(steps.at(-1)).toMatchObject({ name: 'login', ok: false });
    expect(steps.at(-1)!.note).toContain('IMAP_ERR_TLS');
    expect(steps.at(-1)!.fix).toContain('"tls": {"ca"');
  });

  it('a watched mailbox that does not exist fails the mailboxes step', async () => {
    const account = dovecotAccount('jon', 'full', { mailboxes: ['INBOX', 'No such box'] });
    const steps = await checkImap(account, secret(pw), log, { timeoutMs: 15_000 });
    expect(steps.at(-1)).toMatchObject({ name: 'mailboxes', ok: false });
    expect(steps.at(-1)!.fix).toContain('"mailboxes"');
  });
});
