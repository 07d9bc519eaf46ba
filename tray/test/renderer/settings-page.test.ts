// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators; innerText is the text a person sees.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountSummary } from '../../../daemon/src/ipc/protocol';
import { buildTray } from '../../scripts/build';
import { decodePng } from '../../scripts/png';
import { type Call, type FakeState, installFakeBridge } from './fake-bridge';
import { chromiumOrSkipReason, type Launched, launchChromium } from './chromium';

const skip = chromiumOrSkipReason();
const SCREENSHOTS = join(import.meta.dirname, '..', 'screenshots');
const NOW = new Date().toISOString();

const work: AccountSummary = {
  id: 'work',
  kind: 'exchange',
  name: 'Work mail',
  enabled: true,
  unseen: 3,
  status: { state: 'waiting', since: NOW, detail: 'Ping open, heartbeat 480 s' },
  webUrl: 'https://mail.example.org/owa/',
  auth: 'basic',
};
const calendar: AccountSummary = {
  id: 'cal',
  kind: 'caldav',
  name: 'Family calendar',
  enabled: true,
  unseen: 0,
  auth: 'basic',
  status: {
    state: 'needs-credentials',
    since: NOW,
    lastError: { code: 'DAV_ERR_AUTH', message: 'The server refused the password (HTTP 401).' },
  },
};

function state(extra: Partial<FakeState> = {}): FakeState {
  return {
    accounts: [work, calendar],
    folders: {
      work: [
        { id: '2', name: 'Inbox', collection: 'mail', watched: true },
        { id: '7', name: 'Newsletters', collection: 'mail', watched: false },
        { id: '3', name: 'Calendar', collection: 'calendar', watched: true },
      ],
    },
    rules: [{ folder: 'Newsletters', mute: true }],
    quietHours: { start: '22:00', end: '07:00', during: 'hold' },
    status: {
      connection: { state: 'connected' },
      daemon: {
        version: '0.1.0',
        pid: 4242,
        startedAt: NOW,
        configPath: '/home/me/.config/tidings/config.json',
        demo: false,
        accounts: [work, calendar],
      },
    },
    failingTests: [],
    ...extra,
  };
}

/** Fails the test if a PNG is blank: it must have many distinct colours and real contrast. */
function assertNotBlank(png: Buffer): { colours: number; spread: number } {
  const img = decodePng(png);
  const colours = new Set<number>();
  let min = 255;
  let max = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const r = img.data[i]!;
    const g = img.data[i + 1]!;
    const b = img.data[i + 2]!;
    colours.add((r << 16) | (g << 8) | b);
    const lum = Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
    min = Math.min(min, lum);
    max = Math.max(max, lum);
  }
  expect(img.width).toBeGreaterThan(100);
  expect(colours.size).toBeGreaterThan(20);
  expect(max - min).toBeGreaterThan(100);
  return { colours: colours.size, spread: max - min };
}

// Each test opens a fresh page in a real browser; on a busy CI machine that takes seconds.
describe.skipIf(skip !== undefined)(
  'settings window pages in Chromium (fake preload bridge)',
  { timeout: 60_000 },
  () => {
    let chrome: Launched;
    let out: string;
    let pageUrl: string;
    let page: Page;

    beforeAll(async () => {
      out = await mkdtemp(join(tmpdir(), 'tidings-renderer-'));
      const built = await buildTray({ outdir: out, rendererOnly: true });
      pageUrl = pathToFileURL(built.page).href;
      chrome = await launchChromium();
      await mkdir(SCREENSHOTS, { recursive: true });
    });

    afterAll(async () => {
      await chrome?.close();
      if (out) await rm(out, { recursive: true, force: true });
    });

    const errors: string[] = [];
    async function open(s: FakeState, hash = 'accounts'): Promise<Page> {
      page = await chrome.context.newPage();
      errors.length = 0;
      page.on('pageerror', (e) => errors.push(e.message));
      await page.addInitScript(installFakeBridge, s);
      await page.goto(`${pageUrl}#${hash}`);
      return page;
    }
    const calls = (p: Page) => p.evaluate(() => window.__calls);
    const callsOf = async (p: Page, verb: Call[0]) => (await calls(p)).filter((c) => c[0] === verb);

    beforeEach(async () => {
      await page?.close();
    });

    it('has a strict CSP that blocks inline script, while the page script itself runs', async () => {
      const p = await open(state());
      const csp = await p.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
      expect(csp?.startsWith("default-src 'none';")).toBe(true);
      for (const d of [
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
      ]) {
        expect(csp).toContain(d);
      }
      // The bundled app.js ran ('self' allows it): the account list is rendered.
      await expect.poll(() => p.locator('#account-list > li').count()).toBe(2);
      const violation = await p.evaluate(
        () =>
          new Promise<{ directive: string; ran: boolean; fetched: string }>((resolve) => {
            document.addEventListener(
              'securitypolicyviolation',
              (e) => {
                // Give the blocked script its chance to run before looking.
                setTimeout(async () => {
                  const fetched = await fetch('https://example.org/').then(
                    () => 'allowed',
                    () => 'blocked',
                  );
                  resolve({
                    directive: e.effectiveDirective,
                    ran: (window as unknown as { inlineRan?: boolean }).inlineRan === true,
                    fetched,
                  });
                }, 50);
              },
              { once: true },
            );
            const s = document.createElement('script');
            s.textContent = 'window.inlineRan = true';
            document.body.append(s);
          }),
      );
      expect(violation).toEqual({ directive: 'script-src-elem', ran: false, fetched: 'blocked' });
      expect(errors).toEqual([]);
    });

    it('lists accounts with their state in plain words and the daemon connection', async () => {
      const p = await open(state());
      await expect.poll(() => p.locator('#account-list > li').count()).toBe(2);
      expect(await p.locator('[data-account="work"] .title').innerText()).toMatch(
        /Work mail\s+Exchange\s+3 new/,
      );
      const cal = p.locator('[data-account="cal"]');
      expect(await cal.locator('.state').innerText()).toBe('needs password');
      expect(await cal.locator('.state').getAttribute('class')).toContain('attention');
      expect(await cal.innerText()).toContain('The server refused the password (HTTP 401).');
      expect(await p.locator('#connection').innerText()).toBe('Connected to the Tidings daemon 0.1.0.');
      assertNotBlank(await p.screenshot({ path: join(SCREENSHOTS, 'accounts.png'), fullPage: true }));
    });

    it('the first start opens on the add form; with no daemon installed the banner says so (issue 16)', async () => {
      const p = await open(
        state({
          accounts: [],
          status: {
            connection: {
              state: 'unreachable',
              attempt: 2,
              reason: 'The daemon is not running',
              retryAt: new Date(Date.now() + 30_000).toISOString(),
            },
            problem: 'The Tidings daemon is not installed: install it (npm install -g tidings).',
          },
        }),
        'first-account',
      );
      await p.locator('#accounts-empty').waitFor();
      expect(await p.locator('#page-accounts').isVisible()).toBe(true);
      await expect
        .poll(() => p.evaluate(() => document.activeElement?.getAttribute('name')), { timeout: 10_000 })
        .toBe('kind');
      expect(await p.locator('#connection').innerText()).toBe(
        'The Tidings daemon is not installed: install it (npm install -g tidings).',
      );
      expect(errors).toEqual([]);
    });

    it('fills in the Microsoft 365 application id the build carries (issue 16)', async () => {
      const id = '3f1c2a9e-8b7d-4c6e-9a5f-0123456789ab';
      const dir = await mkdtemp(join(tmpdir(), 'tidings-renderer-id-'));
      try {
        const built = await buildTray({ outdir: dir, rendererOnly: true, oauthClientId: id });
        const withId = await chrome.context.newPage();
        await withId.addInitScript(installFakeBridge, state());
        await withId.goto(`${pathToFileURL(built.page).href}#accounts`);
        await withId.locator('#add-account input[value="oauth2"]').check();
        expect(await withId.locator('#add-account input[name="clientId"]').inputValue()).toBe(id);
        await withId.close();
        // The default build carries none: the field starts empty.
        const plain = await open(state());
        await plain.locator('#add-account input[value="oauth2"]').check();
        expect(await plain.locator('#add-account input[name="clientId"]').inputValue()).toBe('');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('shows clear validation errors and calls nothing when the add form is incomplete', async () => {
      const p = await open(state({ accounts: [] }));
      await p.locator('#accounts-empty').waitFor();
      await p.getByRole('button', { name: 'Add account' }).click();
      const errorFor = (f: string) => p.locator(`#add-account [data-error-for="${f}"]`);
      expect(await errorFor('id').innerText()).toBe('lowercase letters, digits, . _ - (max 64)');
      expect(await errorFor('email').innerText()).toBe('enter an e-mail address like name@example.org');
      expect(await errorFor('password').innerText()).toBe(
        'enter the password (it is stored in the system keyring)',
      );
      expect(await p.locator('#add-account input[name="id"]').getAttribute('aria-invalid')).toBe('true');
      // The first bad field gets the focus, so a keyboard user lands where the fix is.
      expect(await p.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('id');

      await p.fill('#add-account input[name="id"]', 'Work Mail');
      await p.fill('#add-account input[name="email"]', 'not-an-address');
      await p.fill('#add-account input[name="url"]', 'mail.example.org');
      await p.fill('#add-account input[name="webUrl"]', 'ftp://example.org');
      await p.getByRole('button', { name: 'Add account' }).click();
      expect(await errorFor('id').isVisible()).toBe(true);
      expect(await errorFor('email').isVisible()).toBe(true);
      expect(await errorFor('url').innerText()).toBe('enter a full URL starting with https://');
      expect(await errorFor('webUrl').innerText()).toBe(
        'enter a full URL starting with https://, or leave it empty',
      );
      assertNotBlank(
        await p.screenshot({ path: join(SCREENSHOTS, 'add-account-errors.png'), fullPage: true }),
      );

      // CalDAV needs a server and a user name instead of an e-mail address.
      await p.selectOption('#add-account select[name="kind"]', 'caldav');
      expect(await p.locator('#add-account input[name="email"]').isVisible()).toBe(false);
      await p.fill('#add-account input[name="id"]', 'family');
      await p.fill('#add-account input[name="url"]', '');
      await p.getByRole('button', { name: 'Add account' }).click();
      expect(await errorFor('url').innerText()).toBe(
        'enter the server URL or an e-mail address for discovery',
      );
      expect(await errorFor('username').innerText()).toBe('enter the user name for this server');
      expect(await errorFor('id').isVisible()).toBe(false);
      expect(await callsOf(p, 'addAccount')).toEqual([]);
      expect(await callsOf(p, 'testConnection')).toEqual([]);
    });

    it('tests the connection through the daemon and shows each step with its fix', async () => {
      const p = await open(state({ accounts: [], failingTests: ['lab'] }));
      await p.fill('#add-account input[name="id"]', 'lab');
      await p.fill('#add-account input[name="email"]', 'me@example.org');
      await p.fill('#add-account input[name="password"]', 'hunter2');
      await p.getByRole('button', { name: 'Test connection' }).click();
      await p.locator('#test-steps li').nth(2).waitFor();
      expect(await p.locator('#test-steps li.failed').innerText()).toContain('auth: HTTP 401');
      expect(await p.locator('#test-steps li.failed').innerText()).toContain(
        'What to do: re-enter the password',
      );
      expect(await p.locator('#add-notice').innerText()).toBe('The test failed; see the steps above.');
      const [test] = await callsOf(p, 'testConnection');
      expect(test?.[1]).toEqual({
        account: {
          id: 'lab',
          kind: 'exchange',
          email: 'me@example.org',
          enabled: true,
          auth: { type: 'basic', secret: { keyring: true } },
        },
        secret: 'hunter2',
      });
    });

    it('adds an account: the bridge gets the validated account and the password apart from it', async () => {
      const p = await open(state({ accounts: [] }));
      await p.fill('#add-account input[name="id"]', 'work');
      await p.fill('#add-account input[name="name"]', 'Work mail');
      await p.fill('#add-account input[name="email"]', 'me@example.org');
      await p.fill('#add-account input[name="password"]', 'correct horse');
      await p.fill('#add-account input[name="webUrl"]', 'https://mail.example.org/owa/');
      await p.getByRole('button', { name: 'Add account' }).click();
      await expect.poll(() => p.locator('#add-notice').innerText()).toBe('Work mail added.');
      const adds = await callsOf(p, 'addAccount');
      expect(adds).toHaveLength(1);
      expect(adds[0]?.[1]).toEqual({
        account: {
          id: 'work',
          kind: 'exchange',
          name: 'Work mail',
          email: 'me@example.org',
          enabled: true,
          webUrl: 'https://mail.example.org/owa/',
          auth: { type: 'basic', secret: { keyring: true } },
        },
        secret: 'correct horse',
      });
      // The list was read again and shows the new account; the form is empty for the next one.
      await expect.poll(() => p.locator('[data-account="work"]').count()).toBe(1);
      expect(await p.inputValue('#add-account input[name="password"]')).toBe('');
      expect(await p.locator('#accounts-empty').isVisible()).toBe(false);
    });

    it('adds a Microsoft 365 account without a password and offers the browser sign-in', async () => {
      const p = await open(state({ accounts: [] }));
      await p.fill('#add-account input[name="id"]', 'o365');
      await p.fill('#add-account input[name="email"]', 'me@contoso.com');
      await p.check('#add-account input[value="oauth2"]');
      expect(await p.locator('#add-account input[name="password"]').isVisible()).toBe(false);
      await p.getByRole('button', { name: 'Add account' }).click();
      expect(await p.locator('[data-error-for="auth.clientId"]').innerText()).toContain(
        'application (client) ID',
      );
      await p.fill('#add-account input[name="clientId"]', '0d6a2a36-6f5e-4f1b-9a3e-2b1c9d1e7f00');
      await p.getByRole('button', { name: 'Add account' }).click();
      await expect.poll(() => p.locator('#add-notice').innerText()).toContain('Sign in with Microsoft');
      const [add] = await callsOf(p, 'addAccount');
      expect(add?.[1]).toMatchObject({
        account: {
          auth: { type: 'oauth2', clientId: '0d6a2a36-6f5e-4f1b-9a3e-2b1c9d1e7f00', tenant: 'common' },
        },
      });
      expect(add?.[1]).not.toHaveProperty('secret');
      // Only the OAuth2 account offers the browser sign-in; the Basic one keeps its password button.
      expect(
        await p.locator('[data-account="o365"]').getByRole('button', { name: 'Re-enter password' }).count(),
      ).toBe(0);
      await p
        .locator('[data-account="o365"]')
        .getByRole('button', { name: 'Sign in with Microsoft' })
        .click();
      await expect.poll(() => callsOf(p, 'startOAuthSignIn')).toEqual([['startOAuthSignIn', 'o365']]);
    });

    it('adds an IMAP account: validation under each field, then the account object and the password apart (issue 17)', async () => {
      const p = await open(state({ accounts: [], failingTests: [] }));
      const form = '#add-account';
      const errorFor = (f: string) => p.locator(`${form} [data-error-for="${f}"]`);
      await p.selectOption(`${form} select[name="kind"]`, 'imap');
      // IMAP asks for the host and mailboxes, not the URL; JMAP's token choice is not offered.
      expect(await p.locator(`${form} input[name="host"]`).isVisible()).toBe(true);
      expect(await p.locator(`${form} input[name="mailboxes"]`).isVisible()).toBe(true);
      expect(await p.locator(`${form} input[name="url"]`).isVisible()).toBe(false);
      expect(await p.locator(`${form} input[value="bearer"]`).isVisible()).toBe(false);
      await p.fill(`${form} input[name="id"]`, 'home');
      await p.fill(`${form} input[name="email"]`, 'not-an-address');
      await p.fill(`${form} input[name="port"]`, '99999');
      await p.getByRole('button', { name: 'Add account' }).click();
      expect(await errorFor('email').innerText()).toContain('e-mail address');
      expect(await errorFor('host').innerText()).toContain('IMAP server host name');
      expect(await errorFor('port').innerText()).toContain('1 to 65535');
      expect(await errorFor('password').innerText()).toContain('password');
      expect(await p.locator(`${form} input[name="email"]`).getAttribute('aria-invalid')).toBe('true');
      expect(await callsOf(p, 'addAccount')).toEqual([]);
      assertNotBlank(await p.locator(form).screenshot({ path: join(SCREENSHOTS, 'add-imap-errors.png') }));

      await p.fill(`${form} input[name="email"]`, 'me@example.org');
      await p.fill(`${form} input[name="host"]`, 'mail.example.org');
      await p.fill(`${form} input[name="port"]`, '1143');
      await p.selectOption(`${form} select[name="security"]`, 'starttls');
      await p.fill(`${form} input[name="mailboxes"]`, 'INBOX, Lists/dev ,');
      await p.fill(`${form} input[name="password"]`, 'imap-pass');
      await p.getByRole('button', { name: 'Test connection' }).click();
      await p.locator('#test-steps li').nth(2).waitFor();
      expect(await p.locator('#add-notice').innerText()).toBe('Connection works.');
      const account = {
        id: 'home',
        kind: 'imap',
        email: 'me@example.org',
        host: 'mail.example.org',
        port: 1143,
        security: 'starttls',
        username: 'me@example.org',
        enabled: true,
        secret: { keyring: true },
        mailboxes: ['INBOX', 'Lists/dev'],
      };
      expect((await callsOf(p, 'testConnection'))[0]?.[1]).toEqual({ account, secret: 'imap-pass' });
      await p.getByRole('button', { name: 'Add account' }).click();
      await expect.poll(() => p.locator('#add-notice').innerText()).toBe('home added.');
      expect((await callsOf(p, 'addAccount'))[0]?.[1]).toEqual({ account, secret: 'imap-pass' });
      const card = p.locator('[data-account="home"]');
      await expect.poll(() => card.locator('.badge').innerText()).toBe('IMAP');
      expect(await card.getByRole('button', { name: 'Re-enter password' }).count()).toBe(1);
    });

    it('finds the IMAP server from the address, or says it found none and asks for it (issue 17)', async () => {
      const p = await open(
        state({
          accounts: [],
          imapServers: {
            'example.org': { host: 'mail.example.org', port: 993, security: 'tls', via: 'SRV _imaps._tcp' },
          },
        }),
      );
      const form = '#add-account';
      await p.selectOption(`${form} select[name="kind"]`, 'imap');
      await p.fill(`${form} input[name="id"]`, 'lab');
      // No address yet: the button asks for one and calls nothing.
      await p.getByRole('button', { name: 'Find the server from the address' }).click();
      expect(await p.locator(`${form} [data-error-for="email"]`).innerText()).toContain('e-mail address');
      expect(await callsOf(p, 'discoverImap')).toEqual([]);
      // Nothing answers for this domain: the reason shows, and the server field asks to be filled.
      await p.fill(`${form} input[name="email"]`, 'me@nowhere.test');
      await p.getByRole('button', { name: 'Find the server from the address' }).click();
      await expect
        .poll(() => p.locator(`${form} [data-error-for="host"]`).innerText())
        .toContain('enter the server here');
      expect(await p.locator('#add-notice').innerText()).toContain(
        'No IMAP server found for me@nowhere.test',
      );
      // Adding with no server but a findable address finds it first, then adds.
      await p.fill(`${form} input[name="email"]`, 'me@example.org');
      await p.fill(`${form} input[name="port"]`, '');
      await p.fill(`${form} input[name="password"]`, 'pw');
      await p.getByRole('button', { name: 'Add account' }).click();
      await expect.poll(() => p.locator('#add-notice').innerText()).toBe('lab added.');
      expect(await callsOf(p, 'discoverImap')).toEqual([
        ['discoverImap', 'me@nowhere.test'],
        ['discoverImap', 'me@example.org'],
      ]);
      expect((await callsOf(p, 'addAccount'))[0]?.[1]).toMatchObject({
        account: { kind: 'imap', host: 'mail.example.org', security: 'tls', username: 'me@example.org' },
        secret: 'pw',
      });
      expect((await callsOf(p, 'addAccount'))[0]?.[1]).not.toHaveProperty('account.port');
    });

    it('adds an IMAP account with Microsoft 365 OAuth: no password, the browser sign-in on its card', async () => {
      const p = await open(state({ accounts: [] }));
      const form = '#add-account';
      await p.selectOption(`${form} select[name="kind"]`, 'imap');
      await p.fill(`${form} input[name="id"]`, 'm365');
      await p.fill(`${form} input[name="email"]`, 'me@contoso.com');
      await p.fill(`${form} input[name="host"]`, 'outlook.office365.com');
      await p.check(`${form} input[value="oauth2"]`);
      expect(await p.locator(`${form} input[name="password"]`).isVisible()).toBe(false);
      await p.fill(`${form} input[name="clientId"]`, '');
      await p.getByRole('button', { name: 'Add account' }).click();
      expect(await p.locator('[data-error-for="auth.clientId"]').innerText()).toContain(
        'application (client) ID',
      );
      await p.fill(`${form} input[name="clientId"]`, '0d6a2a36-6f5e-4f1b-9a3e-2b1c9d1e7f00');
      await p.getByRole('button', { name: 'Add account' }).click();
      await expect.poll(() => p.locator('#add-notice').innerText()).toContain('Sign in with Microsoft');
      const [add] = await callsOf(p, 'addAccount');
      expect(add?.[1]).toMatchObject({
        account: {
          kind: 'imap',
          host: 'outlook.office365.com',
          security: 'tls',
          oauth2: { clientId: '0d6a2a36-6f5e-4f1b-9a3e-2b1c9d1e7f00', tenant: 'common' },
        },
      });
      expect(add?.[1]).not.toHaveProperty('secret');
      await p
        .locator('[data-account="m365"]')
        .getByRole('button', { name: 'Sign in with Microsoft' })
        .click();
      await expect.poll(() => callsOf(p, 'startOAuthSignIn')).toEqual([['startOAuthSignIn', 'm365']]);
    });

    it('adds a JMAP account with an API token; the URL is checked first (issue 17)', async () => {
      const p = await open(state({ accounts: [], failingTests: ['fm'] }));
      const form = '#add-account';
      const errorFor = (f: string) => p.locator(`${form} [data-error-for="${f}"]`);
      await p.selectOption(`${form} select[name="kind"]`, 'jmap');
      expect(await p.locator(`${form} input[name="email"]`).isVisible()).toBe(false);
      expect(await p.locator(`${form} input[name="host"]`).isVisible()).toBe(false);
      expect(await p.locator(`${form} input[value="oauth2"]`).isVisible()).toBe(false);
      await p.fill(`${form} input[name="id"]`, 'fm');
      await p.fill(`${form} input[name="url"]`, 'api.fastmail.com');
      await p.check(`${form} input[value="bearer"]`);
      // The secret's field is now the token's.
      expect(await p.getByRole('textbox', { name: 'API token', exact: true }).isVisible()).toBe(true);
      await p.getByRole('button', { name: 'Add account' }).click();
      expect(await errorFor('url').innerText()).toContain('JMAP server or session URL');
      expect(await errorFor('username').innerText()).toContain('user name');
      expect(await errorFor('password').innerText()).toContain('API token');
      expect(await callsOf(p, 'addAccount')).toEqual([]);

      await p.fill(`${form} input[name="url"]`, 'https://api.fastmail.com/jmap/session');
      await p.fill(`${form} input[name="username"]`, 'me@fastmail.com');
      await p.fill(`${form} input[name="password"]`, 'fmu1-token');
      await p.getByRole('button', { name: 'Test connection' }).click();
      await p.locator('#test-steps li.failed').waitFor();
      expect(await p.locator('#test-steps li.failed').innerText()).toContain('auth: HTTP 401');
      expect(await p.locator('#add-notice').innerText()).toBe('The test failed; see the steps above.');
      assertNotBlank(await p.locator(form).screenshot({ path: join(SCREENSHOTS, 'add-jmap-test.png') }));
      await p.getByRole('button', { name: 'Add account' }).click();
      await expect.poll(() => p.locator('#add-notice').innerText()).toBe('fm added.');
      const [add] = await callsOf(p, 'addAccount');
      expect(add?.[1]).toEqual({
        account: {
          id: 'fm',
          kind: 'jmap',
          url: 'https://api.fastmail.com/jmap/session',
          username: 'me@fastmail.com',
          enabled: true,
          auth: { type: 'bearer' },
          secret: { keyring: true },
          push: 'auto',
          ping: 60,
          interval: 60,
        },
        secret: 'fmu1-token',
      });
      await expect.poll(() => p.locator('[data-account="fm"] .badge').innerText()).toBe('JMAP');
    });

    it('re-enters a password and removes an account only on the second click', async () => {
      const p = await open(state(), 'accounts/cal');
      // The tray's "needs password" item opens #accounts/cal: the password form is already open.
      const card = p.locator('[data-account="cal"]');
      await card.locator('form input[type="password"]').waitFor();
      await card.getByRole('button', { name: 'Save password' }).click();
      expect(await card.locator('[data-error-for="secret"]').innerText()).toBe('enter the new password');
      await card.locator('form input[type="password"]').fill('n3w-secret');
      await card.getByRole('button', { name: 'Save password' }).click();
      await expect.poll(() => callsOf(p, 'setSecret')).toEqual([['setSecret', 'cal', 'n3w-secret']]);

      const remove = p.locator('[data-account="work"]').getByRole('button', { name: 'Remove' });
      await remove.click();
      expect(await callsOf(p, 'removeAccount')).toEqual([]);
      await p
        .locator('[data-account="work"]')
        .getByRole('button', { name: 'Really remove Work mail?' })
        .click();
      await expect.poll(() => p.locator('[data-account="work"]').count()).toBe(0);
      expect(await callsOf(p, 'removeAccount')).toEqual([['removeAccount', 'work']]);
    });

    it('accepts a server move only on a click that names the target; #accounts/<id> focuses, never clicks', async () => {
      const moved: AccountSummary = {
        id: 'moved',
        kind: 'exchange',
        name: 'Moved mail',
        enabled: true,
        unseen: 0,
        auth: 'basic',
        status: {
          state: 'needs-confirmation',
          since: NOW,
          move: {
            from: 'https://mail.example.org/Microsoft-Server-ActiveSync',
            to: 'http://mail2.example.net:8080/Microsoft-Server-ActiveSync',
          },
          lastError: {
            code: 'EAS_ERR_MOVE_UNCONFIRMED',
            message: 'the server moved the account to another origin',
          },
        },
      };
      const p = await open(state({ accounts: [work, moved] }), 'accounts/moved');
      const card = p.locator('[data-account="moved"]');
      const accept = card.getByRole('button', {
        name: 'Accept move to http://mail2.example.net:8080 (unencrypted)',
      });
      await accept.waitFor();
      // The tray's menu item leads here: the button has the focus, and nothing was accepted.
      await expect.poll(() => accept.evaluate((b) => b === document.activeElement)).toBe(true);
      expect(await callsOf(p, 'acceptMove')).toEqual([]);
      expect(await card.locator('.move').innerText()).toContain(
        'from https://mail.example.org to http://mail2.example.net:8080',
      );
      expect(await card.locator('.move').innerText()).toContain('clear text');
      // A healthy account offers no such button.
      expect(await p.locator('[data-account="work"] button.accept-move').count()).toBe(0);

      await accept.click();
      await expect.poll(() => callsOf(p, 'acceptMove')).toEqual([['acceptMove', 'moved']]);
      await expect
        .poll(() => p.locator('#accounts-notice').innerText())
        .toBe(
          'Moved mail now uses http://mail2.example.net:8080/Microsoft-Server-ActiveSync. Tidings reconnects there.',
        );
      // The list was read again: the account no longer waits, so the button is gone.
      await expect.poll(() => card.locator('button.accept-move').count()).toBe(0);
      expect(errors).toEqual([]);
    });

    it('chooses folders to watch', async () => {
      const p = await open(state(), 'folders');
      await p.locator('#folder-list input').nth(2).waitFor();
      expect(await p.locator('#folder-list').innerText()).toContain('Newsletters');
      await p.getByRole('checkbox', { name: 'Newsletters mail' }).check();
      await p.getByRole('checkbox', { name: 'Calendar calendar' }).uncheck();
      await p.getByRole('button', { name: 'Save folders' }).click();
      await expect.poll(() => p.locator('#folders-notice').innerText()).toBe('Watching 2 folder(s).');
      expect(await callsOf(p, 'setWatchedFolders')).toEqual([['setWatchedFolders', 'work', ['2', '7']]]);
      for (const box of await p.locator('#folder-list input').all()) await box.uncheck();
      await p.getByRole('button', { name: 'Save folders' }).click();
      expect(await p.locator('#folders-notice').innerText()).toContain('Choose at least one folder');
      expect(await callsOf(p, 'setWatchedFolders')).toHaveLength(1);
    });

    it('adds and removes rules, refusing a rule without a condition', async () => {
      const p = await open(state(), 'rules');
      await expect
        .poll(() => p.locator('#rule-list > li').innerText())
        .toBe('anything in Newsletters → stay silent\nRemove');
      await p.getByRole('button', { name: 'Add rule' }).click();
      expect(await p.locator('#add-rule [data-error-for="folder"]').innerText()).toBe(
        'choose at least one condition: account, kind, folder or sender',
      );
      expect(await callsOf(p, 'setRules')).toEqual([]);
      await p.selectOption('#add-rule select[name="accountId"]', 'work');
      await p.selectOption('#add-rule select[name="collection"]', 'mail');
      // A silent rule with a sender filter makes no sense: the page says so.
      await p.fill('#add-rule input[name="from"]', 'boss@example.org, *@board.example.org');
      await p.getByRole('button', { name: 'Add rule' }).click();
      expect(await p.locator('#add-rule [data-error-for="from"]').innerText()).toBe(
        'a silent rule silences the whole folder; leave the sender empty',
      );
      await p.selectOption('#add-rule select[name="action"]', 'notify');
      await p.getByRole('button', { name: 'Add rule' }).click();
      await expect.poll(() => p.locator('#rule-list > li').count()).toBe(2);
      expect(await p.locator('#rule-list > li').nth(1).innerText()).toContain(
        'mail from "boss@example.org", "*@board.example.org" of Work mail → notify',
      );
      expect(await callsOf(p, 'setRules')).toEqual([
        [
          'setRules',
          [
            { folder: 'Newsletters', mute: true },
            {
              account: 'work',
              collection: 'mail',
              senders: ['boss@example.org', '*@board.example.org'],
              mute: false,
            },
          ],
        ],
      ]);
      assertNotBlank(await p.screenshot({ path: join(SCREENSHOTS, 'rules.png'), fullPage: true }));
      await p.locator('#rule-list > li').first().getByRole('button', { name: 'Remove' }).click();
      await expect.poll(() => p.locator('#rule-list > li').count()).toBe(1);
    });

    it('saves quiet hours and rejects a period that starts when it ends', async () => {
      const p = await open(state(), 'quiet-hours');
      await expect.poll(() => p.inputValue('#quiet-form input[name="start"]')).toBe('22:00');
      await p.fill('#quiet-form input[name="end"]', '22:00');
      await p.getByRole('button', { name: 'Save quiet hours' }).click();
      expect(await p.locator('#quiet-form [data-error-for="end"]').innerText()).toBe(
        'end must differ from start',
      );
      expect(await callsOf(p, 'setQuietHours')).toEqual([]);
      await p.fill('#quiet-form input[name="end"]', '06:30');
      await p.getByLabel('Sat').check();
      await p.getByLabel('Sun').check();
      await p.selectOption('#quiet-form select[name="during"]', 'drop');
      await p.getByRole('button', { name: 'Save quiet hours' }).click();
      await expect.poll(() => p.locator('#quiet-notice').innerText()).toBe('Quiet from 22:00 until 06:30.');
      expect(await callsOf(p, 'setQuietHours')).toEqual([
        ['setQuietHours', { start: '22:00', end: '06:30', days: ['sat', 'sun'], during: 'drop' }],
      ]);
      // Off means no quiet hours at all in the daemon's config.
      await p.getByLabel('No notifications during quiet hours').uncheck();
      await p.getByRole('button', { name: 'Save quiet hours' }).click();
      await expect.poll(() => p.locator('#quiet-notice').innerText()).toBe('Quiet hours are off.');
      expect((await callsOf(p, 'setQuietHours')).at(-1)).toEqual(['setQuietHours', null]);
      assertNotBlank(await p.screenshot({ path: join(SCREENSHOTS, 'quiet-hours.png'), fullPage: true }));
    });

    it('says plainly when the daemon cannot be reached', async () => {
      const p = await open(state());
      await p.locator('#connection.connected').waitFor();
      await p.evaluate(() =>
        window.__pushStatus({
          connection: {
            state: 'unreachable',
            attempt: 4,
            reason: 'The daemon is not running',
            retryAt: new Date(Date.now() + 20_000).toISOString(),
          },
        }),
      );
      const text = await p.locator('#connection.unreachable').innerText();
      expect(text).toMatch(
        /^Cannot reach the Tidings daemon: The daemon is not running\. Retrying in (19|20) s\./,
      );
      assertNotBlank(await p.screenshot({ path: join(SCREENSHOTS, 'daemon-unreachable.png') }));
    });

    it('keeps every screenshot it wrote', async () => {
      for (const name of [
        'accounts',
        'add-account-errors',
        'add-imap-errors',
        'add-jmap-test',
        'rules',
        'quiet-hours',
        'daemon-unreachable',
      ]) {
        const stats = assertNotBlank(await readFile(join(SCREENSHOTS, `${name}.png`)));
        expect(stats.colours).toBeGreaterThan(20);
      }
    });
  },
);
