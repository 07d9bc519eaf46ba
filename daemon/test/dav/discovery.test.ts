import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavFixture, startDavFixture } from '../../../fixtures/src/dav-server';
import { candidateUrls, type DiscoveryDns, discover } from '../../src/dav/discovery';
import { DavError } from '../../src/dav/errors';
import { compose, createTransport, type Send } from '../../src/dav/request';
import { withBasicAuth, withRedirects, withStatusErrors } from '../../src/dav/wrappers';

const dns = (
  srv: Record<string, { name: string; port: number; priority?: number; weight?: number }[]>,
  txt: Record<string, string[][]> = {},
): DiscoveryDns => ({
  resolveSrv: async (name) => {
    const r = srv[name];
    if (!r) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    return r.map((x) => ({ priority: 0, weight: 0, ...x }));
  },
  resolveTxt: async (name) => txt[name] ?? [],
});

describe('RFC 6764 candidate URLs', () => {
  it('e-mail address: SRV _caldavs._tcp with TXT path first, then the well-known URI on the domain', async () => {
    const urls = await candidateUrls(
      'ada@Example.org',
      'caldav',
      dns(
        {
          '_caldavs._tcp.example.org': [
            { name: 'dav2.example.org', port: 8443, priority: 10 },
            { name: 'dav.example.org', port: 443, priority: 0 },
          ],
        },
        { '_caldavs._tcp.example.org': [['path=/dav/', 'principals/']] },
      ),
    );
    expect(urls.map(String)).toEqual([
      'https://dav.example.org/dav/principals/',
      'https://example.org/.well-known/caldav',
    ]);
  });

  it('without SRV, or with the "." no-service target, only the well-known URI remains', async () => {
    expect((await candidateUrls('bob@example.net', 'carddav', dns({}))).map(String)).toEqual([
      'https://example.net/.well-known/carddav',
    ]);
    const dot = dns({ '_carddavs._tcp.example.net': [{ name: '.', port: 0 }] });
    expect((await candidateUrls('example.net', 'carddav', dot)).map(String)).toEqual([
      'https://example.net/.well-known/carddav',
    ]);
  });

  it('a URL is tried as given, then its origin’s well-known URI; garbage is a config error', async () => {
    expect((await candidateUrls('https://h.example/dav/', 'caldav', dns({}))).map(String)).toEqual([
      'https://h.example/dav/',
      'https://h.example/.well-known/caldav',
    ]);
    const err = await candidateUrls('not a host!', 'caldav', dns({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DavError);
    expect((err as DavError).code).toBe('DAV_ERR_CONFIG');
  });
});

describe('discovery against the fixture (RFC 5397 principal, RFC 4791 §6.2.1 / RFC 6352 §7.1.1 home sets)', () => {
  let fx: DavFixture;
  let agent: Agent;
  let send: Send;
  beforeAll(async () => {
    fx = await startDavFixture();
    fx.data.addCollection('/cal/alice/work/', 'calendar', 'Work');
    agent = new Agent();
    send = compose(
      createTransport({ dispatcher: agent }),
      withStatusErrors(),
      withRedirects(),
      withBasicAuth('alice', async () => 'secret'),
    );
  });
  afterAll(async () => {
    await agent.close();
    await fx.close();
  });

  it('from the server root: principal, then the kind’s home set and (CalDAV) the user’s addresses', async () => {
    const before = fx.requests.length;
    expect(await discover(send, `${fx.url}/`, 'caldav', dns({}))).toEqual({
      principal: '/principals/alice/',
      homes: [`${fx.url}/cal/alice/`],
      addresses: ['mailto:alice@example.org'],
    });
    // RFC 6638 §2.4.1 calendar-user-address-set rides on the PROPFINDs discovery already sends.
    expect(fx.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'PROPFIND /',
      'PROPFIND /principals/alice/',
    ]);
    expect(fx.requests.at(-1)?.body).toContain('<C:calendar-user-address-set/>');
    expect(await discover(send, `${fx.url}/`, 'carddav', dns({}))).toEqual({
      principal: '/principals/alice/',
      homes: [`${fx.url}/card/alice/`],
    });
  });

  it('from a path without DAV properties, via the well-known redirect', async () => {
    expect((await discover(send, `${fx.url}/nothing-here/`, 'caldav', dns({}))).homes).toEqual([
      `${fx.url}/cal/alice/`,
    ]);
  });

  it('a collection URL watches that collection, listed through its parent home', async () => {
    expect(await discover(send, `${fx.url}/cal/alice/work/`, 'caldav', dns({}))).toEqual({
      homes: [`${fx.url}/cal/alice/`],
      onlyCollection: '/cal/alice/work/',
      addresses: [],
    });
  });

  it('nothing found → DAV_ERR_DISCOVERY naming what was tried; 401 stops at once', async () => {
    fx.faults.push(() => ({ status: 404 }));
    const err = (await discover(send, `${fx.url}/x/`, 'caldav', dns({})).catch(
      (e: unknown) => e,
    )) as DavError;
    fx.faults.length = 0;
    expect(err.code).toBe('DAV_ERR_DISCOVERY');
    expect(err.message).toContain(`${fx.url}/.well-known/caldav`);
    const bad = compose(
      createTransport({ dispatcher: agent }),
      withStatusErrors(),
      withBasicAuth('alice', async () => 'nope'),
    );
    const unauth = (await discover(bad, `${fx.url}/`, 'caldav', dns({})).catch(
      (e: unknown) => e,
    )) as DavError;
    expect(unauth.code).toBe('DAV_ERR_UNAUTHORIZED');
  });
});
