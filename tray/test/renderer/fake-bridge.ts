import type { AccountSummary, FolderInfo } from '../../../daemon/src/ipc/protocol';
import type { TidingsBridge, TrayStatus } from '../../src/ipc-contract';
import type { QuietHoursConfig, RuleConfig } from '../../../daemon/src/config/rules';

/** What the fake daemon behind the fake bridge starts with. */
export interface FakeState {
  accounts: AccountSummary[];
  folders: Record<string, FolderInfo[]>;
  rules: RuleConfig[];
  quietHours: QuietHoursConfig | null;
  status: TrayStatus;
  /** Account ids whose connection test fails at the auth step. */
  failingTests: string[];
  /** What IMAP discovery finds, by the address's domain; other domains find nothing. */
  imapServers?: Record<string, { host: string; port: number; security: 'tls' | 'starttls'; via: string }>;
}

export type Call = [verb: keyof TidingsBridge, ...args: unknown[]];

declare global {
  interface Window {
    __calls: Call[];
    __pushStatus(status: TrayStatus): void;
  }
}

/**
 * Installed with page.addInitScript before the page's own script runs, in place of the
 * preload's contextBridge object. It keeps a tiny in-page daemon (accounts, folders, rules)
 * and records every call, so a test asserts what the page asked for, with which arguments.
 * Must be self-contained: Playwright serialises it into the page.
 */
export function installFakeBridge(initial: FakeState): void {
  const state = structuredClone(initial);
  const calls: Call[] = [];
  window.__calls = calls;
  const ok = <T>(value: T) => Promise.resolve({ ok: true as const, value: structuredClone(value) });
  let listener: ((s: TrayStatus) => void) | undefined;
  window.__pushStatus = (s) => listener?.(s);
  const bridge: TidingsBridge = {
    listAccounts() {
      calls.push(['listAccounts']);
      return ok(state.accounts);
    },
    addAccount(params) {
      calls.push(['addAccount', params]);
      if (state.accounts.some((a) => a.id === params.account.id)) {
        return Promise.resolve({
          ok: false as const,
          error: {
            code: 'TRAY_ERR_INVALID_INPUT' as const,
            message: `account "${params.account.id}" exists already`,
            field: 'account.id',
          },
        });
      }
      const summary: AccountSummary = {
        id: params.account.id,
        kind: params.account.kind,
        name: params.account.name ?? params.account.id,
        enabled: true,
        unseen: 0,
        status: { state: 'connecting', since: new Date().toISOString() },
        auth:
          (params.account.kind === 'exchange' && params.account.auth.type === 'oauth2') ||
          (params.account.kind === 'imap' && params.account.oauth2 !== undefined)
            ? 'oauth2'
            : params.account.kind === 'jmap' && params.account.auth.type === 'bearer'
              ? 'token'
              : 'basic',
        ...(params.account.kind === 'imap' && params.account.oauth2
          ? { oauthProvider: params.account.oauth2.provider ?? 'microsoft' }
          : params.account.kind === 'exchange' && params.account.auth.type === 'oauth2'
            ? { oauthProvider: 'microsoft' as const }
            : {}),
      };
      state.accounts.push(summary);
      return ok(summary);
    },
    testConnection(params) {
      calls.push(['testConnection', params]);
      const id = params.id ?? params.account?.id ?? '';
      const fails = state.failingTests.includes(id);
      return ok({
        ok: !fails,
        steps: [
          { name: 'dns', ok: true, note: 'mail.example.org resolves' },
          { name: 'tls', ok: true, note: 'certificate valid until 2027-03-01' },
          fails
            ? { name: 'auth', ok: false, note: 'HTTP 401', fix: 're-enter the password' }
            : { name: 'auth', ok: true, note: 'signed in' },
        ],
      });
    },
    discoverImap(email) {
      calls.push(['discoverImap', email]);
      const domain = email.slice(email.lastIndexOf('@') + 1);
      const found = state.imapServers?.[domain];
      if (found) return ok(found);
      return Promise.resolve({
        ok: false as const,
        error: {
          code: 'TRAY_ERR_DISCOVERY' as const,
          message: `No IMAP server found for ${email}; tried imap.${domain}:993 (host name): ECONNREFUSED`,
          field: 'host',
        },
      });
    },
    removeAccount(id) {
      calls.push(['removeAccount', id]);
      state.accounts = state.accounts.filter((a) => a.id !== id);
      return ok({ removed: true });
    },
    setSecret(id, secret) {
      calls.push(['setSecret', id, secret]);
      return ok({ ok: true as const });
    },
    startOAuthSignIn(id) {
      calls.push(['startOAuthSignIn', id]);
      return ok({ opened: true as const });
    },
    acceptMove(id) {
      calls.push(['acceptMove', id]);
      const a = state.accounts.find((x) => x.id === id);
      const to = a?.status.state === 'needs-confirmation' ? a.status.move?.to : undefined;
      if (!a || to === undefined)
        return Promise.resolve({
          ok: false as const,
          error: { code: 'TRAY_ERR_INVALID_INPUT' as const, message: `account ${id} has no move waiting` },
        });
      a.status = { state: 'connecting', since: new Date().toISOString() };
      return ok({ ok: true as const, url: to });
    },
    listFolders(accountId) {
      calls.push(['listFolders', accountId]);
      return ok(state.folders[accountId] ?? []);
    },
    setWatchedFolders(accountId, folderIds) {
      calls.push(['setWatchedFolders', accountId, folderIds]);
      const folders = (state.folders[accountId] ?? []).map((f) => ({
        ...f,
        watched: folderIds.includes(f.id),
      }));
      state.folders[accountId] = folders;
      return ok(folders);
    },
    getRules() {
      calls.push(['getRules']);
      return ok(state.rules);
    },
    setRules(rules) {
      calls.push(['setRules', rules]);
      state.rules = rules;
      return ok(rules);
    },
    getQuietHours() {
      calls.push(['getQuietHours']);
      return ok(state.quietHours);
    },
    setQuietHours(q) {
      calls.push(['setQuietHours', q]);
      state.quietHours = q;
      return ok(q);
    },
    pause(params) {
      calls.push(['pause', params]);
      return ok({ pausedUntil: new Date(Date.now() + 3600_000).toISOString() });
    },
    resume() {
      calls.push(['resume']);
      return ok({ ok: true as const });
    },
    onStatus(cb, { signal }) {
      calls.push(['onStatus']);
      listener = cb;
      signal.addEventListener('abort', () => {
        listener = undefined;
      });
      cb(state.status);
    },
  };
  Object.defineProperty(window, 'tidings', { value: Object.freeze(bridge) });
}
