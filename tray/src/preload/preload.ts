import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import {
  type BridgeResult,
  READY_CHANNEL,
  TRAY_EVENTS,
  type TidingsBridge,
  type TrayInvokeChannel,
  type TrayInvokeMap,
  type TrayStatus,
} from '../ipc-contract';

/**
 * The settings window's only door to main. It exposes verbs, never `ipcRenderer` itself
 * (Electron security checklist §"Do not expose Electron APIs to untrusted web content"), and
 * every call is typed by the channel map in ipc-contract.ts.
 */
function invoke<C extends TrayInvokeChannel>(
  channel: C,
  ...args: TrayInvokeMap[C]['args']
): Promise<BridgeResult<TrayInvokeMap[C]['result']>> {
  return ipcRenderer.invoke(channel, ...args);
}

const bridge: TidingsBridge = {
  listAccounts: () => invoke('tidings:accounts.list'),
  addAccount: (params) => invoke('tidings:accounts.add', params),
  testConnection: (params) => invoke('tidings:accounts.test', params),
  removeAccount: (id) => invoke('tidings:accounts.remove', id),
  discoverImap: (email) => invoke('tidings:accounts.discoverImap', email),
  setSecret: (id, secret) => invoke('tidings:accounts.setSecret', id, secret),
  startOAuthSignIn: (id) => invoke('tidings:accounts.oauthSignIn', id),
  acceptMove: (id) => invoke('tidings:accounts.acceptMove', id),
  listFolders: (accountId) => invoke('tidings:folders.list', accountId),
  setWatchedFolders: (accountId, folderIds) => invoke('tidings:folders.setWatched', accountId, folderIds),
  getRules: () => invoke('tidings:rules.get'),
  setRules: (rules) => invoke('tidings:rules.set', rules),
  getQuietHours: () => invoke('tidings:quietHours.get'),
  setQuietHours: (quietHours) => invoke('tidings:quietHours.set', quietHours),
  pause: (params) => invoke('tidings:pause', params),
  resume: () => invoke('tidings:resume'),
  onStatus(cb, { signal }) {
    if (signal.aborted) return;
    const listener = (_event: IpcRendererEvent, status: TrayStatus) => cb(status);
    ipcRenderer.on(TRAY_EVENTS.status, listener);
    signal.addEventListener('abort', () => ipcRenderer.off(TRAY_EVENTS.status, listener), { once: true });
    // Main queues pushes until the page listens (Fiddle's WEBCONTENTS_READY_FOR_IPC_SIGNAL).
    ipcRenderer.send(READY_CHANNEL);
  },
};

contextBridge.exposeInMainWorld('tidings', bridge);
