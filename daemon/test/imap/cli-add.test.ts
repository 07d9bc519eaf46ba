/**
 * `tidings account add imap` against Dovecot (scripts/dovecot-imap.sh): the account is tested the
 * way the daemon connects (verified TLS with --ca, login, STATUS, push mode) before it is written;
 * a wrong password is not added.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { DOVECOT, DOVECOT_CA, DOVECOT_USERS, ensureDovecot } from './dovecot';

const server = await ensureDovecot();
const unavailable = 'reason' in server ? server.reason : undefined;
const inCi = process.env.CI === 'true';
if (unavailable !== undefined && !inCi) console.warn(`imap cli-add: skipped — ${unavailable}`);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function cli(args: string[], password: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-imap-add-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'cfg', 'tidings'), { recursive: true });
  const configPath = join(dir, 'cfg', 'tidings', 'config.json');
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(String(t)),
    stderr: (t) => err.push(t),
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'cfg'),
      XDG_STATE_HOME: join(dir, 'state'),
      XDG_RUNTIME_DIR: join(dir, 'run'),
      PATH: process.env.PATH,
      IMAP_TEST_PW: password,
    },
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
  };
  const code = await runCli(
    [
      ...args,
      '--config',
      configPath,
      '--socket',
      join(dir, 'run', 'd.sock'),
      '--password-env',
      'IMAP_TEST_PW',
    ],
    io,
  );
  return { code, out: out.join(''), err: err.join(''), configPath };
}

describe.skipIf(unavailable !== undefined && !inCi)('tidings account add imap against Dovecot', () => {
  const base = [
    'account',
    'add',
    'imap',
    '--email',
    'kim@example.test',
    '--username',
    'kim',
    '--host',
    '127.0.0.1',
  ];

  it('tests the account over verified TLS with --ca, then writes it', async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}`);
    const r = await cli(
      [...base, '--port', String(DOVECOT.full.imaps), '--ca', DOVECOT_CA, '--mailboxes', 'INBOX'],
      DOVECOT_USERS.get('kim') ?? '',
    );
    expect(r.code, r.out + r.err).toBe(EXIT.OK);
    expect(r.err).toContain('NOTIFY on 1 mailbox');
    const config = JSON.parse(readFileSync(r.configPath, 'utf8')) as { accounts: Record<string, unknown>[] };
    expect(config.accounts).toEqual([
      expect.objectContaining({
        id: 'kim-example.test',
        kind: 'imap',
        host: '127.0.0.1',
        port: DOVECOT.full.imaps,
        security: 'tls',
        username: 'kim',
        secret: { env: 'IMAP_TEST_PW' },
        mailboxes: ['INBOX'],
        tls: expect.objectContaining({ ca: DOVECOT_CA }),
      }),
    ]);
  });

  it('a wrong password is not added', async () => {
    const r = await cli([...base, '--port', String(DOVECOT.full.imaps), '--ca', DOVECOT_CA], 'wrong');
    expect(r.code).toBe(EXIT.CHECK_FAILED);
    expect(r.err).toContain('IMAP_ERR_AUTH');
  });
});
