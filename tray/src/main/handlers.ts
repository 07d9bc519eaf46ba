import type { IpcMethod, IpcMethods } from '../../../daemon/src/ipc/protocol';
import type { BridgeResult, TrayInvokeChannel, TrayInvokeMap } from '../ipc-contract';
import { toTrayError } from './daemon-connection';
import type { NotificationSettings } from './notification-config';

/** What the handlers need from the daemon link: one typed call. */
export interface DaemonCaller {
  call<M extends IpcMethod>(method: M, params: IpcMethods[M]['params']): Promise<IpcMethods[M]['result']>;
}

export interface HandlerDeps {
  daemon: DaemonCaller;
  /** Rules and quiet hours, kept in the daemon's config. */
  notifications: NotificationSettings;
  /** Runs the OAuth sign-in for an account in the system browser and hands the token to the daemon. */
  oauthSignIn(accountId: string): Promise<void>;
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

/**
 * Every settings-window call, keyed by channel. Input is validated where it lands: the
 * daemon checks params (its −32602 answer names the field) and the daemon's config parser
 * checks rules and quiet hours before anything is written.
 */
export function createHandlers(deps: HandlerDeps): TrayHandlers {
  const { daemon, notifications } = deps;
  return {
    'tidings:accounts.list': () => settle(() => daemon.call('accounts.list', {})),
    'tidings:accounts.add': (params) => settle(() => daemon.call('accounts.add', params)),
    'tidings:accounts.test': (params) => settle(() => daemon.call('accounts.test', params)),
    'tidings:accounts.remove': (id) => settle(() => daemon.call('accounts.remove', { id })),
    'tidings:accounts.setSecret': (id, secret) =>
      settle(() => daemon.call('accounts.setSecret', { id, secret })),
    'tidings:accounts.acceptMove': (id) => settle(() => daemon.call('accounts.acceptMove', { id })),
    'tidings:accounts.oauthSignIn': (id) =>
      settle(async () => {
        await deps.oauthSignIn(id);
        return { opened: true as const };
      }),
    'tidings:folders.list': (accountId) => settle(() => daemon.call('folders.list', { accountId })),
    'tidings:folders.setWatched': (accountId, folderIds) =>
      settle(() => daemon.call('folders.setWatched', { accountId, folderIds })),
    'tidings:rules.get': () => settle(() => notifications.getRules()),
    'tidings:rules.set': (rules) => settle(() => notifications.setRules(rules)),
    'tidings:quietHours.get': () => settle(() => notifications.getQuietHours()),
    'tidings:quietHours.set': (q) => settle(() => notifications.setQuietHours(q)),
    'tidings:pause': (params) => settle(() => daemon.call('pause', params)),
    'tidings:resume': () => settle(() => daemon.call('resume', {})),
  };
}
