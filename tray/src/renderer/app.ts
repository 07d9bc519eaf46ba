import { z } from 'zod';
import type { TrayStatus } from '../ipc-contract';
import { formatDelay } from '../main/tray-model';
import { byId } from './dom';
import { setupAccountsPage } from './pages/accounts';
import { setupFoldersPage } from './pages/folders';
import { setupQuietHoursPage } from './pages/quiet-hours';
import { setupRulesPage } from './pages/rules';

// The CSP has no 'unsafe-eval': tell zod not to probe `new Function` for its fast path.
z.config({ jitless: true });

const PAGES = ['accounts', 'folders', 'rules', 'quiet-hours'] as const;
type Page = (typeof PAGES)[number];

function connectionText(s: TrayStatus): string {
  const c = s.connection;
  if (c.state !== 'connected' && s.problem !== undefined) return s.problem;
  if (c.state === 'connected') {
    const v = s.daemon ? ` ${s.daemon.version}${s.daemon.demo ? ' (demo mode)' : ''}` : '';
    return `Connected to the Tidings daemon${v}.`;
  }
  if (c.state === 'connecting') return 'Connecting to the Tidings daemon…';
  const wait = formatDelay(Date.parse(c.retryAt) - Date.now());
  return `Cannot reach the Tidings daemon: ${c.reason}. Retrying in ${wait}. Changes cannot be saved until it is back.`;
}

function start(): void {
  const accounts = setupAccountsPage();
  const folders = setupFoldersPage();
  const rules = setupRulesPage();
  const quiet = setupQuietHoursPage();
  const banner = byId('connection');

  const show = async (page: Page, detail?: string) => {
    for (const section of document.querySelectorAll<HTMLElement>('main > section')) {
      section.hidden = section.dataset.page !== page;
    }
    for (const link of document.querySelectorAll<HTMLElement>('nav a')) {
      if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const list = await window.tidings.listAccounts();
    const all = list.ok ? list.value : [];
    if (page === 'accounts') {
      await accounts.reload();
      if (detail) accounts.focusAccount(detail);
    } else if (page === 'folders') await folders.reload(all);
    else if (page === 'rules') await rules.reload(all);
    else await quiet.reload();
  };

  // #accounts/work: the tray's "needs password" item opens the password form of that account.
  // #first-account: the first start (no accounts yet) opens the accounts page on its add form.
  // (Not the form's own id: Chromium's scroll to a fragment target takes the focus away again.)
  const route = () => {
    if (location.hash === '#first-account') {
      void show('accounts').then(() => accounts.focusAdd());
      return;
    }
    const [name, detail] = location.hash.slice(1).split('/');
    const page = (PAGES as readonly string[]).includes(name ?? '') ? (name as Page) : 'accounts';
    void show(page, detail);
  };
  window.addEventListener('hashchange', route);
  route();

  const controller = new AbortController();
  window.addEventListener('pagehide', () => controller.abort(), { once: true });
  let wasConnected = false;
  window.tidings.onStatus(
    (status) => {
      banner.textContent = connectionText(status);
      banner.className = `banner ${status.connection.state}`;
      // Back after an outage: what the page shows may be stale, so read it again.
      const connected = status.connection.state === 'connected';
      if (connected && !wasConnected) route();
      wasConnected = connected;
    },
    { signal: controller.signal },
  );
}

start();
