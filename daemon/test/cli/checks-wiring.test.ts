import type { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AutodiscoverServer,
  poxSettings,
  startAutodiscoverServer,
} from '../../../fixtures/src/autodiscover-server';
import { startEasServer } from '../../../fixtures/src/eas-server';
import { startOAuthServer } from '../../../fixtures/src/oauth-server';
import { accountSchema } from '../../src/config/account';
import { type CheckOptions, testAccount } from '../../src/diagnose/checks';
import type { SecretSource } from '../../src/secrets/types';
import { capturingLog } from '../daemon/helpers';
import { fixtureDispatcher } from '../eas-autodiscover/helpers';

const POX = '/autodiscover/autodiscover.xml';
let ad: AutodiscoverServer;
let agent: Agent;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  ad = await startAutodiscoverServer({
    hostnames: ['example.com', 'autodiscover.example.com', 'elsewhere.example.net'],
  });
  agent = fixtureDispatcher(ad.tls.ca);
});
afterAll(async () => {
  await agent.close();
  await ad.close();
});
afterEach(async () => {
  ad.reset();
  ad.requests.length = 0;
  for (const c of cleanups.splice(0).reverse()) await c();
});

const log = () => capturingLog('fatal').log;
const password: SecretSource = { get: async () => 'pw' };
const basic = accountSchema().parse({ id: 'work', kind: 'exchange', email: 'ann@example.com' });

function opts(over: Partial<CheckOptions> = {}): CheckOptions {
  return {
    dispatcher: agent,
    timeoutMs: 5_000,
    autodiscover: {
      baseUrls: (scheme, host) => ad.origin(scheme, host),
      resolveSrv: async () => [],
      probeOptions: false,
    },
    ...over,
  };
}

/** The GET on http://autodiscover.<domain> points outside the domain (a network attacker could). */
function redirectOutside(): void {
  ad.route('GET', `http://autodiscover.example.com${POX}`, () => ({
    status: 302,
    headers: { location: `${ad.origin('https', 'elsewhere.example.net')}${POX}` },
  }));
  ad.route('POST', `https://elsewhere.example.net${POX}`, () => ({
    status: 200,
    body: poxSettings('https://127.0.0.1:1/Microsoft-Server-ActiveSync'),
  }));
}

describe('account test / doctor: Autodiscover and OAuth2', () => {
  it('a failed Autodiscover lists every URL tried and why it failed', async () => {
    const r = await testAccount(basic, password, log(), opts());
    expect(r.ok).toBe(false);
    const step = r.steps[0]!;
    expect(step.name).toBe('autodiscover');
    expect(step.note).toContain('EAS_ERR_AUTODISCOVER_NOT_FOUND');
    expect(step.note).toContain(`tried https://example.com:${ad.httpsPort}${POX}: `);
    expect(step.note).toContain(`tried https://autodiscover.example.com:${ad.httpsPort}${POX}: `);
    expect(step.note).toContain('tried dns:SRV _autodiscover._tcp.example.com: no SRV records');
    expect(step.fix).toContain('--url');
  });

  it('without a terminal a redirect outside the domain is refused, with a fix', async () => {
    redirectOutside();
    const r = await testAccount(basic, password, log(), opts());
    expect(r.steps[0]).toMatchObject({ name: 'autodiscover', ok: false });
    expect(r.steps[0]!.note).toContain('not confirmed');
    expect(r.steps[0]!.fix).toContain('run this in a terminal');
    expect(ad.requests.some((q) => q.url === `https://elsewhere.example.net${POX}`)).toBe(false);
  });

  it('when the person trusts the redirect, Autodiscover goes on there', async () => {
    redirectOutside();
    const asked: string[] = [];
    const r = await testAccount(
      basic,
      password,
      log(),
      opts({
        trustRedirect: async (url) => {
          asked.push(url);
          return true;
        },
      }),
    );
    expect(asked).toEqual([`${ad.origin('https', 'elsewhere.example.net')}${POX}`]);
    expect(r.steps[0]).toMatchObject({ name: 'autodiscover', ok: true });
    expect(r.steps[0]!.note).toContain('found https://127.0.0.1:1/Microsoft-Server-ActiveSync');
  });

  it('an oauth2 account is tested with bearer tokens; without a refresh token the fix is account login', async () => {
    const oauth = await startOAuthServer();
    cleanups.push(() => oauth.close());
    const eas = await startEasServer({
      tokens: (t) => (oauth.idp.isValidAccessToken(t) ? 'alice' : undefined),
    });
    cleanups.push(() => eas.close());
    const account = accountSchema().parse({
      id: 'o365',
      kind: 'exchange',
      email: 'alice@example.com',
      url: eas.url,
      auth: { type: 'oauth2', clientId: oauth.idp.clientId, authority: oauth.authority },
    });
    let stored = oauth.idp.issueRefreshToken();
    const secret: SecretSource = {
      get: async () => stored,
      set: async (v) => {
        stored = v;
      },
    };
    const ok = await testAccount(account, secret, log(), { pingHoldMs: 200 });
    expect(ok.steps.find((s) => s.name === 'auth')).toMatchObject({ ok: true });
    expect(oauth.idp.counts.refreshToken).toBe(1);

    oauth.idp.revokeAll();
    const bad = await testAccount(account, secret, log(), { pingHoldMs: 200 });
    const auth = bad.steps.find((s) => s.name === 'auth');
    expect(auth).toMatchObject({ ok: false, fix: 'sign in again: tidings account login o365' });
    expect(auth!.note).toContain('EAS_ERR_OAUTH_INVALID_GRANT');
  });
});
