// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators; innerText is the text a person sees.
/**
 * The settings page's sign-in choices (issue 17), in Chromium behind the fake bridge: an IMAP
 * account added with "Sign in with Google" (Gmail) stores Google's client and no password, and its
 * card offers "Sign in with Google"; a JMAP account with an API token offers "Replace API token",
 * never "Re-enter password".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountSummary } from '../../../daemon/src/ipc/protocol';
import { buildTray } from '../../scripts/build';
import { chromiumOrSkipReason, type Launched, launchChromium } from './chromium';
import { type Call, type FakeState, installFakeBridge } from './fake-bridge';

const skip = chromiumOrSkipReason();
const NOW = new Date().toISOString();

function state(accounts: AccountSummary[]): FakeState {
  return {
    accounts,
    folders: {},
    rules: [],
    quietHours: null,
    status: {
      connection: { state: 'connected' },
      daemon: {
        version: '0.1.0',
        pid: 4242,
        startedAt: NOW,
        configPath: '/home/me/.config/tidings/config.json',
        demo: false,
        accounts,
      },
    },
    failingTests: [],
  };
}

describe.skipIf(skip !== undefined)(
  'sign-in choices in Chromium (fake preload bridge)',
  { timeout: 60_000 },
  () => {
    let chrome: Launched;
    let out: string;
    let pageUrl: string;
    let page: Page | undefined;

    beforeAll(async () => {
      out = await mkdtemp(join(tmpdir(), 'tidings-renderer-signin-'));
      const built = await buildTray({ outdir: out, rendererOnly: true });
      pageUrl = pathToFileURL(built.page).href;
      chrome = await launchChromium();
    });
    afterAll(async () => {
      await chrome?.close();
      if (out) await rm(out, { recursive: true, force: true });
    });
    beforeEach(async () => {
      await page?.close();
    });

    const errors: string[] = [];
    async function open(s: FakeState): Promise<Page> {
      page = await chrome.context.newPage();
      errors.length = 0;
      page.on('pageerror', (e) => errors.push(e.message));
      await page.addInitScript(installFakeBridge, s);
      await page.goto(`${pageUrl}#accounts`);
      return page;
    }
    const callsOf = async (p: Page, verb: Call[0]) =>
      (await p.evaluate(() => window.__calls)).filter((c) => c[0] === verb);

    it('adds a Gmail account with "Sign in with Google": no password, Google\u2019s client, the sign-in on its card', async () => {
      const p = await open(state([]));
      const form = '#add-account';
      const google = `${form} input[name="authType"][value="google"]`;
      // Offered for IMAP only.
      await p.selectOption(`${form} select[name="kind"]`, 'exchange');
      expect(await p.locator(google).isVisible()).toBe(false);
      await p.selectOption(`${form} select[name="kind"]`, 'imap');
      await p.fill(`${form} input[name="id"]`, 'gmail');
      await p.fill(`${form} input[name="email"]`, 'me@gmail.com');
      await p.fill(`${form} input[name="host"]`, 'imap.gmail.com');
      await p.check(google);
      expect(await p.locator(`${form} input[name="password"]`).isVisible()).toBe(false);
      expect(await p.locator(`${form} input[name="clientId"]`).isVisible()).toBe(false);
      await p.getByRole('button', { name: 'Add account' }).click();
      expect(await p.locator('[data-error-for="googleClientId"]').innerText()).toContain(
        'Google desktop client',
      );
      await p.fill(`${form} input[name="googleClientId"]`, '1234-abc.apps.googleusercontent.com');
      await p.fill(`${form} input[name="googleClientSecret"]`, 'GOCSPX-typed');
      await p.getByRole('button', { name: 'Add account' }).click();
      await expect.poll(() => p.locator('#add-notice').innerText()).toContain('Sign in with Google');
      const [add] = await callsOf(p, 'addAccount');
      expect(add?.[1]).toMatchObject({
        account: {
          kind: 'imap',
          host: 'imap.gmail.com',
          username: 'me@gmail.com',
          oauth2: {
            provider: 'google',
            clientId: '1234-abc.apps.googleusercontent.com',
            clientSecret: 'GOCSPX-typed',
          },
        },
      });
      expect(add?.[1]).not.toHaveProperty('secret');
      const card = p.locator('[data-account="gmail"]');
      expect(await card.getByRole('button', { name: 'Sign in with Microsoft' }).count()).toBe(0);
      await card.getByRole('button', { name: 'Sign in with Google' }).click();
      await expect.poll(() => callsOf(p, 'startOAuthSignIn')).toEqual([['startOAuthSignIn', 'gmail']]);
      // Switching to another kind drops the Google choice back to the password.
      await p.selectOption(`${form} select[name="kind"]`, 'exchange');
      expect(await p.locator(`${form} input[name="password"]`).isVisible()).toBe(true);
      expect(errors).toEqual([]);
    });

    it('a JMAP account with an API token offers "Replace API token", not "Re-enter password"', async () => {
      const token: AccountSummary = {
        id: 'fm',
        kind: 'jmap',
        name: 'Fastmail',
        enabled: true,
        unseen: 0,
        auth: 'token',
        status: {
          state: 'needs-credentials',
          since: NOW,
          lastError: { code: 'JMAP_ERR_AUTH', message: 'The server refused the token (HTTP 401).' },
        },
      };
      const p = await open(state([token]));
      const card = p.locator('[data-account="fm"]');
      await expect.poll(() => card.innerText()).toContain('needs new token');
      expect(await card.getByRole('button', { name: 'Re-enter password' }).count()).toBe(0);
      await card.getByRole('button', { name: 'Replace API token' }).click();
      await expect.poll(() => card.getByLabel('New API token for Fastmail').count()).toBe(1);
      await card.getByLabel('New API token for Fastmail').fill('fmu1-new');
      await card.getByRole('button', { name: 'Save API token' }).click();
      await expect.poll(() => callsOf(p, 'setSecret')).toEqual([['setSecret', 'fm', 'fmu1-new']]);
      expect(errors).toEqual([]);
    });
  },
);
