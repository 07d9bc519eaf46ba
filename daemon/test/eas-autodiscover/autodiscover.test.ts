import {
  type AutodiscoverServer,
  poxAccountAction,
  poxActionError,
  poxRedirect,
  poxSettings,
  startAutodiscoverServer,
} from '../../../fixtures/src/autodiscover-server';
import type { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AutodiscoverOptions, AutodiscoverError, autodiscover } from '../../src/eas/autodiscover';
import { capturedLogger, fixtureDispatcher } from './helpers';

const HOSTS = [
  'example.com',
  'autodiscover.example.com',
  'mail.example.com',
  'redirected.example.net',
  'srv-target.example.net',
  'other.example.org',
  'autodiscover.other.example.org',
  'mail.other.example.org',
];
const EAS = 'https://eas.example.com/Microsoft-Server-ActiveSync';
const POX = '/autodiscover/autodiscover.xml';
const PASSWORD = 'pw-Zq9!never-logged';

let server: AutodiscoverServer;
let dispatcher: Agent;

beforeAll(async () => {
  server = await startAutodiscoverServer({ hostnames: HOSTS });
  dispatcher = fixtureDispatcher(server.tls.ca);
});

afterAll(async () => {
  await dispatcher.close();
  await server.close();
});

afterEach(() => {
  // Routes are per test: a fresh table means unrouted hosts answer 404 again.
  server.requests.length = 0;
  server.reset();
});

function opts(over: Partial<AutodiscoverOptions> = {}): AutodiscoverOptions {
  return {
    dispatcher,
    baseUrls: (scheme, host) => server.origin(scheme, host),
    password: async () => PASSWORD,
    resolveSrv: async () => [],
    ...over,
  };
}

const seen = () => server.requests.map((r) => `${r.method} ${r.url}`);

async function failure(p: Promise<unknown>): Promise<AutodiscoverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AutodiscoverError);
  return err as AutodiscoverError;
}

describe('autodiscover over HTTPS fixtures', () => {
  it('finds the endpoint by POX on the domain, sending the mobilesync request with Basic auth', async () => {
    server.route('POST', `https://example.com${POX}`, () => ({
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: poxSettings(EAS, { displayName: 'Ann Lee', email: 'ann@example.com' }),
    }));
    const r = await autodiscover('ann@example.com', opts({ username: 'EXAMPLE\\ann' }));
    expect(r).toEqual({
      url: EAS,
      via: 'pox-domain',
      displayName: 'Ann Lee',
      attempts: [{ url: `https://example.com:${server.httpsPort}${POX}`, outcome: `found ${EAS}` }],
    });
    const req = server.requests[0]!;
    expect(req.body).toContain('<EMailAddress>ann@example.com</EMailAddress>');
    expect(req.body).toContain('mobilesync/responseschema/2006</AcceptableResponseSchema>');
    expect(req.headers.authorization).toBe(
      `Basic ${Buffer.from(`EXAMPLE\\ann:${PASSWORD}`).toString('base64')}`,
    );
  });

  it('sends a bearer token instead of Basic when one is given', async () => {
    server.route('POST', `https://example.com${POX}`, (req) =>
      req.headers.authorization === 'Bearer at-123'
        ? { status: 200, body: poxSettings(EAS) }
        : { status: 401, body: '' },
    );
    const { log, text } = capturedLogger();
    const r = await autodiscover('ann@example.com', opts({ log, bearer: async () => 'at-123' }));
    expect(r.url).toBe(EAS);
    expect(text()).toContain('autodiscover found the ActiveSync endpoint');
    expect(`${text()}${JSON.stringify(r)}`).not.toContain('at-123');
  });

  it('falls back to autodiscover.<domain> when the domain has no Autodiscover', async () => {
    server.route('POST', `https://autodiscover.example.com${POX}`, () => ({
      status: 200,
      body: poxSettings(EAS),
    }));
    const r = await autodiscover('ann@example.com', opts());
    expect(r.via).toBe('pox-autodiscover-host');
    expect(r.attempts.map((a) => a.outcome)).toEqual(['HTTP 404', `found ${EAS}`]);
  });

  it('tries every step in order and ends with the OPTIONS probe on mail.<domain>', async () => {
    const srvNames: string[] = [];
    server.route('OPTIONS', 'https://mail.example.com/Microsoft-Server-ActiveSync', () => ({
      status: 200,
      headers: { 'ms-asprotocolversions': '12.1,14.0,14.1,16.0,16.1' },
    }));
    const r = await autodiscover(
      'ann@example.com',
      opts({
        trustRedirect: async () => true,
        resolveSrv: async (name) => {
          srvNames.push(name);
          return [];
        },
      }),
    );
    expect(r).toMatchObject({
      url: 'https://mail.example.com:' + server.httpsPort + '/Microsoft-Server-ActiveSync',
      via: 'options-probe',
    });
    expect(srvNames).toEqual(['_autodiscover._tcp.example.com']);
    const q = 'Email=ann%40example.com&Protocol=ActiveSync';
    expect(seen()).toEqual([
      `POST https://example.com${POX}`,
      `POST https://autodiscover.example.com${POX}`,
      `GET http://autodiscover.example.com${POX}`,
      `GET https://example.com/autodiscover/autodiscover.json?${q}`,
      `GET https://autodiscover.example.com/autodiscover/autodiscover.json?${q}`,
      'OPTIONS https://example.com/Microsoft-Server-ActiveSync',
      'OPTIONS https://mail.example.com/Microsoft-Server-ActiveSync',
    ]);
    expect(r.attempts[5]).toEqual({
      url: 'dns:SRV _autodiscover._tcp.example.com',
      outcome: 'no SRV records',
    });
  });

  it('follows the unauthenticated HTTP GET redirect to https and POSTs there (MS-OXDSCLI 3.1.5.4)', async () => {
    server.route('GET', `http://autodiscover.example.com${POX}`, () => ({
      status: 302,
      headers: { location: `${server.origin('https', 'redirected.example.net')}${POX}` },
    }));
    server.route('POST', `https://redirected.example.net${POX}`, () => ({
      status: 200,
      body: poxSettings(EAS),
    }));
    const asked: string[] = [];
    const r = await autodiscover(
      'ann@example.com',
      opts({
        trustRedirect: async (url) => {
          asked.push(url);
          return true;
        },
      }),
    );
    expect(r.via).toBe('http-redirect');
    expect(asked).toEqual([`${server.origin('https', 'redirected.example.net')}${POX}`]);
    const get = server.requests.find((q) => q.method === 'GET')!;
    expect(get.headers.authorization).toBeUndefined();
    const post = server.requests.at(-1)!;
    expect(post.url).toBe(`https://redirected.example.net${POX}`);
    expect(post.headers.authorization).toMatch(/^Basic /);
  });

  it('sends no credentials to a GET-redirect target outside the domain unless the person confirms', async () => {
    server.route('GET', `http://autodiscover.example.com${POX}`, () => ({
      status: 302,
      headers: { location: `${server.origin('https', 'redirected.example.net')}${POX}` },
    }));
    server.route('POST', `https://redirected.example.net${POX}`, () => ({
      status: 200,
      body: poxSettings(EAS),
    }));
    const err = await failure(
      autodiscover('ann@example.com', opts({ probeOptions: false, trustRedirect: async () => false })),
    );
    expect(err.code).toBe('EAS_ERR_AUTODISCOVER_NOT_FOUND');
    expect(err.attempts[3]).toEqual({
      url: `${server.origin('https', 'redirected.example.net')}${POX}`,
      outcome: 'skipped: found by an unauthenticated step outside the address domain, and not confirmed',
    });
    expect(server.requests.some((q) => q.url.startsWith('https://redirected.example.net'))).toBe(false);
  });

  it('refuses an HTTP GET redirect to cleartext', async () => {
    server.route('GET', `http://autodiscover.example.com${POX}`, () => ({
      status: 302,
      headers: { location: `${server.origin('http', 'redirected.example.net')}${POX}` },
    }));
    const err = await failure(autodiscover('ann@example.com', opts({ probeOptions: false })));
    expect(err.code).toBe('EAS_ERR_AUTODISCOVER_NOT_FOUND');
    expect(err.attempts[2]?.outcome).toMatch(/^refused HTTP 302 redirect to non-https http:\/\/redirected/);
    expect(seen()).not.toContain(`POST http://redirected.example.net${POX}`);
  });

  it('restarts with the new address on a mobilesync Redirect', async () => {
    server.route('POST', `https://example.com${POX}`, () => ({
      status: 200,
      body: poxRedirect('bob@other.example.org'),
    }));
    server.route('POST', `https://other.example.org${POX}`, (req) =>
      req.body.includes('<EMailAddress>bob@other.example.org</EMailAddress>')
        ? { status: 200, body: poxSettings(EAS) }
        : { status: 500 },
    );
    const r = await autodiscover('ann@example.com', opts());
    expect(r.url).toBe(EAS);
    expect(r.attempts[0]?.outcome).toBe('redirected to address bob@other.example.org');
    // Basic auth follows the new address when no separate user name was configured.
    const auth = server.requests.at(-1)!.headers.authorization as string;
    expect(Buffer.from(auth.slice(6), 'base64').toString()).toBe(`bob@other.example.org:${PASSWORD}`);
  });

  it('restarts on an Outlook-style redirectAddr and follows a redirectUrl', async () => {
    server.route('POST', `https://example.com${POX}`, () => ({
      status: 200,
      body: poxAccountAction('redirectAddr', 'bob@other.example.org'),
    }));
    server.route('POST', `https://other.example.org${POX}`, () => ({
      status: 200,
      body: poxAccountAction('redirectUrl', `${server.origin('https', 'redirected.example.net')}${POX}`),
    }));
    server.route('POST', `https://redirected.example.net${POX}`, () => ({
      status: 200,
      body: poxSettings(EAS),
    }));
    const r = await autodiscover('ann@example.com', opts());
    expect(r.url).toBe(EAS);
    expect(r.attempts.map((a) => a.outcome.split(' to ')[0])).toEqual([
      'redirected',
      'redirectUrl',
      `found ${EAS}`,
    ]);
  });

  it('follows an HTTP 302 on the POX POST and POSTs again', async () => {
    server.route('POST', `https://example.com${POX}`, () => ({
      status: 302,
      headers: {
        location: `${server.origin('https', 'redirected.example.net')}/Autodiscover/Autodiscover.xml`,
      },
    }));
    server.route('POST', `https://redirected.example.net${POX}`, (req) => ({
      status: 200,
      body: req.body.includes('ann@example.com') ? poxSettings(EAS) : '',
    }));
    const r = await autodiscover('ann@example.com', opts());
    expect(r).toMatchObject({ url: EAS, via: 'pox-domain' });
    expect(r.attempts[0]?.outcome).toMatch(/^HTTP 302 redirect to https:\/\/redirected\.example\.net/);
  });

  it('stops at the hop cap when redirects never end', async () => {
    let n = 0;
    server.route('POST', `https://example.com${POX}`, () => ({
      status: 200,
      body: poxAccountAction('redirectUrl', `${server.origin('https', 'redirected.example.net')}${POX}?n=0`),
    }));
    server.route('POST', `https://redirected.example.net${POX}`, () => {
      n += 1;
      return {
        status: 301,
        headers: { location: `${server.origin('https', 'redirected.example.net')}${POX}?n=${n}` },
      };
    });
    const err = await failure(autodiscover('ann@example.com', opts({ maxHops: 4 })));
    expect(err.code).toBe('EAS_ERR_AUTODISCOVER_TOO_MANY_HOPS');
    expect(err.message).toBe('Autodiscover followed more than 4 redirects');
    expect(err.attempts).toHaveLength(5);
    expect(n).toBe(4);
  });

  it("uses Microsoft 365's JSON endpoint, following its redirect", async () => {
    server.route('GET', 'https://example.com/autodiscover/autodiscover.json', (req) => ({
      status: 302,
      headers: {
        location: `${server.origin('https', 'redirected.example.net')}/autodiscover/autodiscover.json/v1.0/ann@example.com?${new URL(req.url).search.slice(1)}`,
      },
    }));
    server.route(
      'GET',
      'https://redirected.example.net/autodiscover/autodiscover.json/v1.0/ann@example.com',
      (req) =>
        new URL(req.url).searchParams.get('Protocol') === 'ActiveSync'
          ? {
              status: 200,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                Protocol: 'ActiveSync',
                Url: 'https://outlook.office365.com/Microsoft-Server-ActiveSync',
              }),
            }
          : { status: 400 },
    );
    const r = await autodiscover('ann@example.com', opts());
    expect(r).toMatchObject({
      url: 'https://outlook.office365.com/Microsoft-Server-ActiveSync',
      via: 'json',
    });
    // The JSON endpoint is anonymous: no credentials go to it.
    const jsonReqs = server.requests.filter((q) => q.url.includes('autodiscover.json'));
    expect(jsonReqs).toHaveLength(2);
    expect(jsonReqs.every((q) => q.headers.authorization === undefined)).toBe(true);
  });

  it('follows DNS SRV _autodiscover._tcp to the named host and port', async () => {
    server.route('POST', `https://srv-target.example.net${POX}`, () => ({
      status: 200,
      body: poxSettings(EAS),
    }));
    const r = await autodiscover(
      'ann@example.com',
      opts({
        trustRedirect: async () => true,
        resolveSrv: async (name) =>
          name === '_autodiscover._tcp.example.com'
            ? [
                { name: 'backup.example.net', port: server.httpsPort, priority: 10, weight: 0 },
                { name: 'srv-target.example.net', port: server.httpsPort, priority: 0, weight: 5 },
              ]
            : [],
      }),
    );
    expect(r.via).toBe('srv');
    expect(r.attempts.at(-2)?.outcome).toBe(
      `SRV: srv-target.example.net:${server.httpsPort}, backup.example.net:${server.httpsPort}`,
    );
  });

  it('skips a billion-laughs answer and an oversized one, and carries on', async () => {
    server.route('POST', `https://example.com${POX}`, () => ({
      status: 200,
      body: '<!DOCTYPE a [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><Autodiscover>&b;</Autodiscover>',
    }));
    server.route('POST', `https://autodiscover.example.com${POX}`, () => ({
      status: 200,
      body: `<Autodiscover>${'x'.repeat(300_000)}</Autodiscover>`,
    }));
    server.route('POST', `https://srv-target.example.net${POX}`, () => ({
      status: 200,
      body: poxSettings(EAS),
    }));
    const r = await autodiscover(
      'ann@example.com',
      opts({
        trustRedirect: async () => true,
        resolveSrv: async () => [
          { name: 'srv-target.example.net', port: server.httpsPort, priority: 0, weight: 0 },
        ],
      }),
    );
    expect(r.url).toBe(EAS);
    expect(r.attempts[0]?.outcome).toBe(
      'rejected response: response declares a DOCTYPE or entities; refused',
    );
    expect(r.attempts[1]?.outcome).toMatch(/^rejected response: response larger than 131072 bytes/);
  });

  it('reports the server error when the mailbox is unknown everywhere', async () => {
    server.route('POST', `https://example.com${POX}`, () => ({
      status: 200,
      body: poxActionError(1, 'Cannot find the e-mail address'),
    }));
    const err = await failure(autodiscover('ann@example.com', opts({ probeOptions: false })));
    expect(err.code).toBe('EAS_ERR_AUTODISCOVER_SERVER_ERROR');
    expect(err.message).toBe('Autodiscover for ann@example.com: Cannot find the e-mail address (code 1)');
    expect(err.attempts).toHaveLength(6);
  });

  it('says the credentials were refused, and never leaks the password', async () => {
    const { log, text } = capturedLogger();
    server.route('POST', `https://autodiscover.example.com${POX}`, () => ({
      status: 401,
      headers: { 'www-authenticate': 'Basic' },
    }));
    const err = await failure(autodiscover('ann@example.com', opts({ log, probeOptions: false })));
    expect(err.code).toBe('EAS_ERR_AUTODISCOVER_UNAUTHORIZED');
    expect(err.attempts[1]).toEqual({
      url: `https://autodiscover.example.com:${server.httpsPort}${POX}`,
      outcome: 'HTTP 401: credentials refused',
    });
    const b64 = Buffer.from(`ann@example.com:${PASSWORD}`).toString('base64');
    const everything = `${text()}${JSON.stringify(err.attempts)}${err.message}${String(err.stack)}`;
    expect(text()).toContain('autodiscover attempt');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(b64);
  });

  it('keeps TLS verification on: an untrusted certificate is a failed attempt', async () => {
    server.route('POST', `https://example.com${POX}`, () => ({ status: 200, body: poxSettings(EAS) }));
    const untrusting = fixtureDispatcher(undefined);
    try {
      const err = await failure(
        autodiscover('ann@example.com', opts({ dispatcher: untrusting, probeOptions: false })),
      );
      expect(err.code).toBe('EAS_ERR_AUTODISCOVER_NOT_FOUND');
      expect(err.attempts[0]?.outcome).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
      expect(server.requests.some((q) => q.url === `https://example.com${POX}`)).toBe(false);
    } finally {
      await untrusting.close();
    }
  });

  it('stops at once when aborted', async () => {
    const ac = new AbortController();
    server.route('POST', `https://example.com${POX}`, () => {
      ac.abort();
      return { status: 404 };
    });
    const err = await failure(autodiscover('ann@example.com', opts({ signal: ac.signal })));
    expect(err.code).toBe('EAS_ERR_AUTODISCOVER_ABORTED');
    expect(seen()).toEqual([`POST https://example.com${POX}`]);
  });
});
