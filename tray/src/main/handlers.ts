import { discoverImap, type ImapEndpoint } from '../../../daemon/src/imap/discovery';
import { probeImap } from '../../../daemon/src/imap/probe';
import type { IpcMethod, IpcMethods } from '../../../daemon/src/ipc/protocol';
import { TrayError } from '../errors';
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
  /**
   * The IMAP server of an address; default the daemon's own discovery (imap/discovery.ts) with
   * its greeting probe. Run in main, not the daemon: it needs no credential and the daemon's
   * protocol has no call for it (`account add imap` runs the same code in the CLI).
   */
  discoverImap?(email: string): Promise<ImapEndpoint>;
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
    'tidings:accounts.discoverImap': (email) =>
      settle(async () => {
        if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email.trim()))
          throw new TrayError('TRAY_ERR_INVALID_INPUT', 'enter an e-mail address like name@example.org', {
            field: 'email',
          });
        const discover = deps.discoverImap ?? ((e: string) => discoverImap(e, (c) => probeImap(c)));
        try {
          return await discover(email.trim());
        } catch (err) {
          throw new TrayError('TRAY_ERR_DISCOVERY', (err as Error).message, { field: 'host', cause: err });
        }
      }),
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
