import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type DiscoveryDns, discoverImap, domainOf, imapCandidates } from '../../src/imap/discovery';
import { ImapError } from '../../src/imap/errors';
import { probeImap } from '../../src/imap/probe';
import { DOVECOT, DOVECOT_CA, ensureDovecot } from './dovecot';

const dns = (
  records: Record<string, { name: string; port: number; priority?: number; weight?: number }[]>,
): DiscoveryDns => ({
  resolveSrv: async (name) => {
    const r = records[name];
    if (!r) throw Object.assign(new Error(`queryNotFound ${name}`), { code: 'ENOTFOUND' });
    return r.map((x) => ({ priority: 0, weight: 0, ...x }));
  },
});

describe('imapCandidates (RFC 6186)', () => {
  it('_imaps._tcp before _imap._tcp, by priority then weight, then imap./mail. host names', async () => {
    const c = await imapCandidates(
      'Ann@Example.TEST',
      dns({
        '_imaps._tcp.example.test': [
          { name: 'b.example.test.', port: 993, priority: 20 },
          { name: 'a.example.test.', port: 993, priority: 10 },
        ],
        '_imap._tcp.example.test': [{ name: 'plain.example.test', port: 143 }],
      }),
    );
    expect(c.slice(0, 3).map((e) => `${e.host}:${e.port}:${e.security}`)).toEqual([
      'a.example.test:993:tls',
      'b.example.test:993:tls',
      'plain.example.test:143:starttls',
    ]);
    expect(c.slice(3).map((e) => `${e.host}:${e.port}`)).toEqual([
      'imap.example.test:993',
      'imap.example.test:143',
      'mail.example.test:993',
      'mail.example.test:143',
    ]);
  });

  it('a "." target says there is no such service (RFC 6186 §3.4)', async () => {
    const c = await imapCandidates(
      'a@example.test',
      dns({ '_imaps._tcp.example.test': [{ name: '.', port: 0 }] }),
    );
    expect(c[0]?.host).toBe('imap.example.test');
  });

  it('refuses what is not an address', () => {
    expect(() => domainOf('no-at-sign')).toThrow(ImapError);
  });

  it('offers the first candidate that greets; says what it tried otherwise', async () => {
    const tried: string[] = [];
    const found = await discoverImap(
      'a@example.test',
      async (e) => {
        tried.push(`${e.host}:${e.port}`);
        if (e.host !== 'mail.example.test' || e.port !== 993) throw new Error('ECONNREFUSED');
      },
      dns({}),
    );
    expect(found).toMatchObject({
      host: 'mail.example.test',
      port: 993,
      security: 'tls',
      via: 'host name mail.example.test',
    });
    expect(tried).toEqual(['imap.example.test:993', 'imap.example.test:143', 'mail.example.test:993']);
    const err = await discoverImap(
      'a@example.test',
      async () => Promise.reject(new Error('ECONNREFUSED')),
      dns({}),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImapError);
    expect((err as ImapError).code).toBe('IMAP_ERR_DISCOVERY');
    expect((err as ImapError).message).toContain(
      'mail.example.test:143 (host name mail.example.test): ECONNREFUSED',
    );
  });
});

const server = await ensureDovecot();
const unavailable = 'reason' in server ? server.reason : undefined;
if (unavailable !== undefined && process.env.CI !== 'true')
  console.warn(`imap probe: skipped — ${unavailable}`);

describe.skipIf(unavailable !== undefined && process.env.CI !== 'true')('probeImap against Dovecot', () => {
  it('greets over STARTTLS port and over verified TLS with the CA; an unknown CA is refused', async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}`);
    const base = { host: '127.0.0.1', via: 'test' };
    await expect(
      probeImap({ ...base, port: DOVECOT.full.imap, security: 'starttls' }),
    ).resolves.toBeUndefined();
    await expect(
      probeImap({ ...base, port: DOVECOT.full.imaps, security: 'tls' }, { ca: readFileSync(DOVECOT_CA) }),
    ).resolves.toBeUndefined();
    const err = await probeImap({ ...base, port: DOVECOT.full.imaps, security: 'tls' }).catch(
      (e: unknown) => e,
    );
    expect((err as NodeJS.ErrnoException).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });
});
