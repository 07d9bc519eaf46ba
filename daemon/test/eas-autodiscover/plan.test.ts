import { describe, expect, it } from 'vitest';
import { AutodiscoverError } from '../../src/eas/autodiscover/errors';
import {
  type Candidate,
  candidatesFor,
  decide,
  domainOf,
  exhausted,
  needsConsent,
  type SearchState,
  srvCandidates,
} from '../../src/eas/autodiscover/plan';

function start(email = 'ann@example.com', over: Partial<SearchState> = {}): SearchState {
  return {
    email,
    queue: candidatesFor(email),
    hops: 0,
    maxHops: 10,
    probeOptions: true,
    attempts: [],
    tried: [],
    unauthorized: false,
    ...over,
  };
}

const pox: Candidate = {
  kind: 'pox',
  url: 'https://example.com/autodiscover/autodiscover.xml',
  via: 'pox-domain',
};

describe('candidatesFor', () => {
  it('follows MS-OXDSCLI 3.1.5 order, then JSON, SRV and the OPTIONS probe', () => {
    const list = candidatesFor('Ann@Example.COM').map(
      (c) => `${c.kind} ${c.kind === 'srv' ? c.name : c.url}`,
    );
    expect(list).toEqual([
      'pox https://example.com/autodiscover/autodiscover.xml',
      'pox https://autodiscover.example.com/autodiscover/autodiscover.xml',
      'get-redirect http://autodiscover.example.com/autodiscover/autodiscover.xml',
      'json https://example.com/autodiscover/autodiscover.json?Email=Ann%40Example.COM&Protocol=ActiveSync',
      'json https://autodiscover.example.com/autodiscover/autodiscover.json?Email=Ann%40Example.COM&Protocol=ActiveSync',
      'srv _autodiscover._tcp.example.com',
      'options https://example.com/Microsoft-Server-ActiveSync',
      'options https://mail.example.com/Microsoft-Server-ActiveSync',
    ]);
  });

  it('leaves the OPTIONS probe out on request and applies the origin override', () => {
    const list = candidatesFor('a@b.example', {
      probeOptions: false,
      origin: (scheme, host) => `${scheme}://${host}:8443`,
    });
    expect(list.some((c) => c.kind === 'options')).toBe(false);
    expect(list[0]).toMatchObject({ url: 'https://b.example:8443/autodiscover/autodiscover.xml' });
  });

  it('encodes internationalised domains and refuses addresses without a usable domain', () => {
    expect(domainOf('x@bücher.example')).toBe('xn--bcher-kva.example');
    for (const bad of [
      'no-at-sign',
      '@example.com',
      'a@localhost',
      'a@exa mple.com',
      'a@evil.com/x',
      'a@h.com:99',
    ]) {
      expect(() => domainOf(bad), bad).toThrowError(
        expect.objectContaining({ code: 'EAS_ERR_AUTODISCOVER_BAD_EMAIL' }),
      );
    }
  });
});

describe('srvCandidates', () => {
  it('keeps the resolver order, drops "." targets and keeps non-443 ports', () => {
    const c = srvCandidates(
      [
        { name: 'ad1.example.net.', port: 443 },
        { name: '.', port: 0 },
        { name: 'ad2.example.net', port: 8443 },
      ],
      (s, h) => `${s}://${h}`,
    );
    expect(c.map((x) => (x.kind === 'srv' ? x.name : x.url))).toEqual([
      'https://ad1.example.net/autodiscover/autodiscover.xml',
      'https://ad2.example.net:8443/autodiscover/autodiscover.xml',
    ]);
  });
});

describe('decide', () => {
  it('ends with the URL and the via of the candidate that found it', () => {
    const d = decide(start(), pox, {
      kind: 'found',
      url: 'https://eas.example.com/Microsoft-Server-ActiveSync',
    });
    expect(d).toMatchObject({
      kind: 'done',
      via: 'pox-domain',
      url: 'https://eas.example.com/Microsoft-Server-ActiveSync',
    });
    expect(d.state.attempts).toEqual([
      {
        url: pox.kind === 'pox' ? pox.url : '',
        outcome: 'found https://eas.example.com/Microsoft-Server-ActiveSync',
      },
    ]);
  });

  it('refuses a cleartext EAS URL and moves on', () => {
    const d = decide(start(), pox, {
      kind: 'found',
      url: 'http://eas.example.com/Microsoft-Server-ActiveSync',
    });
    expect(d.kind).toBe('continue');
    expect(d.state.attempts[0]?.outcome).toMatch(/refused non-https/);
  });

  it('restarts the whole search for a redirected address and counts the hop', () => {
    const d = decide(start(), pox, { kind: 'redirect-addr', email: 'bob@other.example.org' });
    expect(d.state.email).toBe('bob@other.example.org');
    expect(d.state.hops).toBe(1);
    expect(d.state.queue[0]).toMatchObject({
      url: 'https://other.example.org/autodiscover/autodiscover.xml',
    });
    expect(d.state.queue).toHaveLength(8);
  });

  it('ignores a redirect to an address without a usable domain', () => {
    const d = decide(start(), pox, { kind: 'redirect-addr', email: 'bob@localhost' });
    expect(d.state).toMatchObject({ email: 'ann@example.com', hops: 0 });
    expect(d.state.attempts[0]?.outcome).toBe('redirected to unusable address "bob@localhost"; ignored');
  });

  it('puts a followed redirect first, as the same kind (GET redirect target is POSTed)', () => {
    const get: Candidate = {
      kind: 'get-redirect',
      url: 'http://autodiscover.example.com/a.xml',
      via: 'http-redirect',
    };
    const d = decide(start(), get, {
      kind: 'redirect-url',
      url: 'https://ad.example.net/a.xml',
      how: 'HTTP 302 redirect',
    });
    expect(d.state.queue[0]).toEqual({
      kind: 'pox',
      url: 'https://ad.example.net/a.xml',
      via: 'http-redirect',
      unverified: true,
    });
    const json: Candidate = { kind: 'json', url: 'https://example.com/j', via: 'json' };
    const j = decide(start(), json, {
      kind: 'redirect-url',
      url: 'https://outlook.example.net/j',
      how: 'HTTP 302 redirect',
    });
    expect(j.state.queue[0]).toEqual({ kind: 'json', url: 'https://outlook.example.net/j', via: 'json' });
  });

  it('never follows a redirect to http', () => {
    const d = decide(start(), pox, {
      kind: 'redirect-url',
      url: 'http://ad.example.net/a.xml',
      how: 'HTTP 301 redirect',
    });
    expect(d.state.hops).toBe(0);
    expect(d.state.queue).toEqual(start().queue);
    expect(d.state.attempts[0]?.outcome).toBe(
      'refused HTTP 301 redirect to non-https http://ad.example.net/a.xml',
    );
  });

  it('ignores a redirect back to a URL already tried', () => {
    const d = decide(start(), pox, {
      kind: 'redirect-url',
      url: pox.kind === 'pox' ? pox.url : '',
      how: 'redirectUrl',
    });
    expect(d.state.hops).toBe(0);
    expect(d.state.attempts[0]?.outcome).toMatch(/loops back/);
  });

  it('throws TOO_MANY_HOPS past maxHops, with every attempt', () => {
    const s = start('ann@example.com', { hops: 2, maxHops: 2 });
    try {
      decide(s, pox, { kind: 'redirect-url', url: 'https://ad.example.net/3', how: 'redirectUrl' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AutodiscoverError);
      expect((err as AutodiscoverError).code).toBe('EAS_ERR_AUTODISCOVER_TOO_MANY_HOPS');
      expect((err as AutodiscoverError).attempts).toHaveLength(1);
    }
  });

  it('turns SRV targets into POX candidates ahead of the rest', () => {
    const srv: Candidate = { kind: 'srv', name: '_autodiscover._tcp.example.com', via: 'srv' };
    const d = decide(start(), srv, { kind: 'srv-targets', targets: [{ name: 'ad.example.net', port: 443 }] });
    expect(d.state.queue[0]).toEqual({
      kind: 'pox',
      url: 'https://ad.example.net/autodiscover/autodiscover.xml',
      via: 'srv',
      unverified: true,
    });
    expect(d.state.attempts[0]).toEqual({
      url: 'dns:SRV _autodiscover._tcp.example.com',
      outcome: 'SRV: ad.example.net:443',
    });
  });
});

describe('needsConsent', () => {
  const at = (url: string, unverified = true): Candidate => ({ kind: 'pox', url, via: 'srv', unverified });
  it('trusts the address domain, its subdomains and Microsoft 365 without asking', () => {
    for (const url of [
      'https://example.com/a.xml',
      'https://ad.eu.example.com/a.xml',
      'https://autodiscover-s.outlook.com/autodiscover/autodiscover.xml',
      'https://outlook.office365.com/autodiscover/autodiscover.xml',
    ]) {
      expect(needsConsent(at(url), 'ann@example.com'), url).toBe(false);
    }
  });

  it('asks for anything else found by an unauthenticated step, but not for verified candidates', () => {
    expect(needsConsent(at('https://evil.net/a.xml'), 'ann@example.com')).toBe(true);
    expect(needsConsent(at('https://notexample.com/a.xml'), 'ann@example.com')).toBe(true);
    expect(needsConsent(at('https://evil.net/a.xml', false), 'ann@example.com')).toBe(false);
  });

  it('keeps a redirect from an unverified candidate unverified', () => {
    const d = decide(start(), at('https://evil.net/a.xml'), {
      kind: 'redirect-url',
      url: 'https://evil2.net/a.xml',
      how: 'HTTP 302 redirect',
    });
    expect(d.state.queue[0]).toMatchObject({ url: 'https://evil2.net/a.xml', unverified: true });
  });
});

describe('exhausted', () => {
  it('prefers refused credentials, then a server error, then not found', () => {
    expect(exhausted(start('a@example.com', { unauthorized: true, serverError: 'x' })).code).toBe(
      'EAS_ERR_AUTODISCOVER_UNAUTHORIZED',
    );
    const se = exhausted(start('a@example.com', { serverError: 'Cannot find mobile mailbox (code 1)' }));
    expect(se.code).toBe('EAS_ERR_AUTODISCOVER_SERVER_ERROR');
    expect(se.message).toContain('Cannot find mobile mailbox');
    expect(exhausted(start()).code).toBe('EAS_ERR_AUTODISCOVER_NOT_FOUND');
  });
});
