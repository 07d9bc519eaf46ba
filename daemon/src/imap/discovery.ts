/**
 * The IMAP server of an e-mail address (issue 17, `account add imap`): RFC 6186 SRV records
 * (`_imaps._tcp` for implicit TLS first, RFC 8314 §5.1, then `_imap._tcp` for STARTTLS), then
 * the host names people use (imap.<domain>, mail.<domain>). Each candidate is checked with a
 * real TLS connection and greeting (`probe`) before it is offered.
 */
import { promises as dns } from 'node:dns';
import { ImapError } from './errors';

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export interface DiscoveryDns {
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

export const systemImapDns: DiscoveryDns = { resolveSrv: (n) => dns.resolveSrv(n) };

export interface ImapEndpoint {
  host: string;
  port: number;
  security: 'tls' | 'starttls';
  /** How it was found, for the person adding the account. */
  via: string;
}

/** The domain of an address, lower-cased; IMAP_ERR_DISCOVERY when there is none. */
export function domainOf(email: string): string {
  const at = email.lastIndexOf('@');
  const d =
    at < 0
      ? ''
      : email
          .slice(at + 1)
          .trim()
          .toLowerCase();
  if (!d || !/^[a-z0-9.-]+$/.test(d))
    throw new ImapError('IMAP_ERR_DISCOVERY', `"${email}" is not an e-mail address`);
  return d;
}

/**
 * Candidates in the order to try. RFC 6186 §3.4: a target of "." means "no service here", and
 * records are sorted by priority (lower first), then weight (higher first). Pure apart from DNS.
 */
export async function imapCandidates(
  email: string,
  resolver: DiscoveryDns = systemImapDns,
): Promise<ImapEndpoint[]> {
  const domain = domainOf(email);
  const out: ImapEndpoint[] = [];
  for (const [service, security] of [
    ['_imaps._tcp', 'tls'],
    ['_imap._tcp', 'starttls'],
  ] as const) {
    const records = await resolver.resolveSrv(`${service}.${domain}`).catch(() => [] as SrvRecord[]);
    const usable = records
      .filter((r) => r.name && r.name !== '.' && r.port > 0)
      .sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    for (const r of usable)
      out.push({ host: r.name.replace(/\.$/, ''), port: r.port, security, via: `SRV ${service}.${domain}` });
  }
  for (const host of [`imap.${domain}`, `mail.${domain}`]) {
    out.push({ host, port: 993, security: 'tls', via: `host name ${host}` });
    out.push({ host, port: 143, security: 'starttls', via: `host name ${host}` });
  }
  const seen = new Set<string>();
  return out.filter((e) => {
    const k = `${e.host}:${e.port}:${e.security}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The first candidate that answers `probe` (a TLS handshake and an IMAP greeting); errors say
 * what was tried.
 */
export async function discoverImap(
  email: string,
  probe: (e: ImapEndpoint) => Promise<void>,
  resolver: DiscoveryDns = systemImapDns,
): Promise<ImapEndpoint> {
  const tried: string[] = [];
  for (const e of await imapCandidates(email, resolver)) {
    try {
      await probe(e);
      return e;
    } catch (err) {
      tried.push(`${e.host}:${e.port} (${e.via}): ${(err as Error).message}`);
    }
  }
  throw new ImapError('IMAP_ERR_DISCOVERY', `No IMAP server found for ${email}; tried ${tried.join('; ')}`);
}
