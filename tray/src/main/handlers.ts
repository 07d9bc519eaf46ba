import type { z } from 'zod';
import type { IpcMethod, IpcMethods } from '../../../daemon/src/ipc/protocol';
import { TrayError } from '../errors';
import type { BridgeResult, TrayInvokeChannel, TrayInvokeMap } from '../ipc-contract';
import { firstIssue, QuietHours, Rules, type TraySettings } from '../tray-settings';
import { toTrayError } from './daemon-connection';

/** What the handlers need from the daemon link: one typed call. */
export interface DaemonCaller {
  call<M extends IpcMethod>(method: M, params: IpcMethods[M]['params']): Promise<IpcMethods[M]['result']>;
}

/** What the handlers need from the tray's settings file. */
export interface SettingsAccess {
  get(): Promise<TraySettings>;
  update(change: Partial<TraySettings>): Promise<TraySettings>;
}

export interface HandlerDeps {
  daemon: DaemonCaller;
  settings: SettingsAccess;
  /** Runs the OAuth sign-in for an account in the system browser and stores the token. */
  oauthSignIn(accountId: string): Promise<void>;
  /** Tells the tray the settings changed (quiet hours affect the next notification). */
  onSettingsChanged?(settings: TraySettings): void;
}

export type TrayHandlers = {
  [C in TrayInvokeChannel]: (
    ...args: TrayInvokeMap[C]['args']
  ) => Promise<BridgeResult<TrayInvokeMap[C]['result']>>;
};

/**
 * Runs a handler and turns any failure into a coded value: errors do not survive the bridge
 * intact (contextBridge keeps only the message), so they travel as data.
 */
export async function settle<T>(work: () => Promise<T>): Promise<BridgeResult<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    return { ok: false, error: toTrayError(err).toInfo() };
  }
}

/** Validates renderer input in main too: the page is sandboxed, but main trusts no page. */
function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const { field, message } = firstIssue(r.error);
  throw new TrayError('TRAY_ERR_INVALID_INPUT', field ? `${field}: ${message}` : message, { field });
}

/**
 * Every settings-window call, keyed by channel. Daemon-bound calls are checked by the daemon
 * (its −32602 answer names the field); tray-owned settings are checked here.
 */
export function createHandlers(deps: HandlerDeps): TrayHandlers {
  const { daemon, settings } = deps;
  const saved = async (change: Partial<TraySettings>) => {
    const next = await settings.update(change);
    deps.onSettingsChanged?.(next);
    return next;
  };
  return {
    'tidings:accounts.list': () => settle(() => daemon.call('accounts.list', {})),
    'tidings:accounts.add': (params) => settle(() => daemon.call('accounts.add', params)),
    'tidings:accounts.test': (params) => settle(() => daemon.call('accounts.test', params)),
    'tidings:accounts.remove': (id) => settle(() => daemon.call('accounts.remove', { id })),
    'tidings:accounts.setSecret': (id, secret) =>
      settle(() => daemon.call('accounts.setSecret', { id, secret })),
    'tidings:accounts.oauthSignIn': (id) =>
      settle(async () => {
        await deps.oauthSignIn(id);
        return { opened: true as const };
      }),
    'tidings:folders.list': (accountId) => settle(() => daemon.call('folders.list', { accountId })),
    'tidings:folders.setWatched': (accountId, folderIds) =>
      settle(() => daemon.call('folders.setWatched', { accountId, folderIds })),
    'tidings:rules.get': () => settle(async () => (await settings.get()).rules),
    'tidings:rules.set': (rules) => settle(async () => (await saved({ rules: check(Rules, rules) })).rules),
    'tidings:quietHours.get': () => settle(async () => (await settings.get()).quietHours),
    'tidings:quietHours.set': (q) =>
      settle(async () => (await saved({ quietHours: check(QuietHours, q) })).quietHours),
    'tidings:pause': (params) => settle(() => daemon.call('pause', params)),
    'tidings:resume': () => settle(() => daemon.call('resume', {})),
  };
}
