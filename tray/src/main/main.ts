import { app, nativeTheme } from 'electron';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultIpcPath } from '../../../daemon/src/ipc/paths';
import type { TraySettings } from '../tray-settings';
import { setLinuxAutostart } from './autostart';
import { DaemonConnection } from './daemon-connection';
import { chooseDaemon, launchDaemon, NO_DAEMON } from './daemon-launcher';
import { openExternalSafely } from './external';
import { createHandlers } from './handlers';
import { TrayIpc } from './ipc';
import { DaemonNotificationConfig } from './notification-config';
import { clickTarget, decideNotification, type NotificationAction } from './notification-policy';
import { postNotification } from './notifications';
import { runOpenCommand } from './open-command';
import { signInWithOAuth } from './oauth-sign-in';
import { SettingsStore } from './settings-store';
import { TrayView } from './tray';
import { type MenuAction, trayModel, wantsSetup } from './tray-model';
import { isOwnPage } from './own-page';
import {
  type SettingsWindowPaths,
  settingsContents,
  setupSessionPolicy,
  showSettingsWindow,
} from './windows';

/**
 * The tray's entry point: one setupX() per feature (Fiddle's src/main/main.ts), each wiring a
 * pure core to a thin Electron adapter. Bundled to dist/main/main.cjs by scripts/build.ts.
 */

const APP_ID = 'org.tidings.tray';

/** dist/main/main.cjs → dist/renderer, dist/preload; icons ship as extraResources when packaged. */
function resolvePaths(): { window: SettingsWindowPaths; icons: string } {
  const dist = join(__dirname, '..');
  return {
    window: { page: join(dist, 'renderer', 'index.html'), preload: join(dist, 'preload', 'preload.cjs') },
    icons: app.isPackaged ? join(process.resourcesPath, 'icons') : join(dist, '..', '..', 'build', 'icons'),
  };
}

function logError(err: unknown): void {
  console.error('[tidings-tray]', err instanceof Error ? err.message : err);
}

/** Why no daemon can be started, when none can; the tray shows it instead of endless retries. */
let daemonProblem: string | undefined;

function setupDaemon(): DaemonConnection {
  const socketPath = process.env.TIDINGS_SOCKET || defaultIpcPath();
  const launch = chooseDaemon({
    env: process.env,
    execPath: process.execPath,
    resourcesPath: app.isPackaged ? process.resourcesPath : undefined,
    platform: process.platform,
    isFile: (p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    },
  });
  if (!launch.ok) daemonProblem = launch.reason;
  const daemon = new DaemonConnection({
    socketPath,
    ...(launch.ok
      ? {
          startDaemon: () => {
            launchDaemon(
              launch.command,
              (err) => {
                daemonProblem = `${NO_DAEMON} (${launch.command[0]}: ${err.message})`;
                logError(err);
              },
              launch.env,
            );
          },
        }
      : {}),
  });
  // Reached after all (a daemon someone else started): the problem no longer stands.
  daemon.onState((s) => {
    if (s.state === 'connected') daemonProblem = undefined;
  });
  daemon.start();
  return daemon;
}

/** Opens set-up once when the daemon has no accounts and no config (first start). */
function setupFirstRun(daemon: DaemonConnection, open: (hash: string) => void): void {
  let shown = false;
  daemon.onStatus(() => {
    if (
      shown ||
      !wantsSetup({ connection: daemon.state, ...(daemon.status ? { daemon: daemon.status } : {}) })
    )
      return;
    shown = true;
    open('first-account');
  });
}

async function setupLoginItem(
  settings: SettingsStore,
  initial: boolean,
): Promise<(enabled: boolean) => Promise<void>> {
  const apply = async (enabled: boolean) => {
    if (process.platform === 'linux') {
      await setLinuxAutostart(enabled, process.env.APPIMAGE ?? process.execPath);
    } else {
      app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
    }
  };
  await apply(initial).catch(logError);
  return async (enabled) => {
    await settings.update({ openAtLogin: enabled });
    await apply(enabled);
  };
}

function setupTray(
  daemon: DaemonConnection,
  settings: () => TraySettings,
  iconsDir: string,
  act: (action: MenuAction) => void,
): () => void {
  const model = () =>
    trayModel({
      connection: daemon.state,
      ...(daemon.status ? { daemon: daemon.status } : {}),
      now: new Date(),
      theme: nativeTheme.shouldUseDarkColors ? 'dark' : 'light',
      platform: process.platform,
      openAtLogin: settings().openAtLogin,
      ...(daemonProblem !== undefined ? { daemonProblem } : {}),
    });
  const view = new TrayView(iconsDir, model(), act);
  const refresh = () => view.render(model());
  daemon.onState(refresh);
  daemon.onStatus(refresh);
  nativeTheme.on('updated', refresh);
  // "retrying in 40 s" counts down; a rebuilt menu is cheap next to a stale one.
  const ticker = setInterval(refresh, 5_000);
  app.on('before-quit', () => {
    clearInterval(ticker);
    view.destroy();
  });
  return refresh;
}

function setupNotifications(daemon: DaemonConnection): void {
  daemon.onSignal((signal) => {
    const account = () => daemon.status?.accounts.find((a) => a.id === signal.accountId);
    const found = account();
    const decision = decideNotification(signal, {
      ...(found ? { account: found } : {}),
      platform: process.platform,
    });
    if (!decision.show) return;
    // What a click opens is decided on the click: the account's web URL, else the user's
    // `notifications.openCommand` as the daemon's config says now (a reload may have changed it).
    const open = async () => {
      const { openCommand } = await daemon.call('notifications.get', {});
      const target = clickTarget(signal, account()?.webUrl, openCommand);
      if (target?.kind === 'url') await openExternalSafely(target.url);
      else if (target?.kind === 'command') runOpenCommand(target, logError);
      daemon.call('markSeen', { accountId: signal.accountId }).catch(logError);
    };
    // "Mark as read" goes from main straight to the daemon (no page, no preload involved).
    const act = (action: NotificationAction) => {
      if (action.kind === 'mark-read')
        daemon
          .call('items.markRead', action.params)
          .then(() => daemon.call('markSeen', { accountId: action.params.accountId }))
          .catch(logError);
    };
    postNotification(decision, () => void open().catch(logError), logError, act);
  });
}

function setupStatusPush(daemon: DaemonConnection, ipc: TrayIpc): void {
  const push = () => {
    const target = settingsContents();
    if (target)
      ipc.send(target, 'status', {
        connection: daemon.state,
        ...(daemon.status ? { daemon: daemon.status } : {}),
        ...(daemonProblem !== undefined ? { problem: daemonProblem } : {}),
      });
  };
  daemon.onState(push);
  daemon.onStatus(push);
  app.on('browser-window-created', (_e, win) => win.webContents.once('did-finish-load', push));
}

async function start(): Promise<void> {
  const paths = resolvePaths();
  setupSessionPolicy();
  const store = new SettingsStore(join(app.getPath('userData'), 'settings.json'));
  let current = await store.get().catch((err: unknown) => {
    logError(err);
    return undefined;
  });
  const settings = (): TraySettings => current ?? { openAtLogin: false };
  const setOpenAtLogin = await setupLoginItem(store, settings().openAtLogin);
  const daemon = setupDaemon();
  const openSettings = (hash?: string) => showSettingsWindow(paths.window, hash);

  const refreshTray = setupTray(daemon, settings, paths.icons, (action) => {
    switch (action.kind) {
      case 'open-account': {
        const url = daemon.status?.accounts.find((a) => a.id === action.accountId)?.webUrl;
        if (url) openExternalSafely(url).catch(logError);
        daemon.call('markSeen', { accountId: action.accountId }).catch(logError);
        return;
      }
      case 'open-settings':
        openSettings(
          action.page ? `${action.page}${action.accountId ? `/${action.accountId}` : ''}` : undefined,
        );
        return;
      case 'mark-seen':
        daemon.call('markSeen', {}).catch(logError);
        return;
      case 'accept-move':
        daemon.call('accounts.acceptMove', { id: action.accountId }).catch(logError);
        return;
      case 'check':
        daemon.call('check', {}).catch(logError);
        return;
      case 'pause':
        daemon.call('pause', { minutes: action.minutes }).catch(logError);
        return;
      case 'pause-until':
        daemon.call('pause', { until: action.until }).catch(logError);
        return;
      case 'resume':
        daemon.call('resume', {}).catch(logError);
        return;
      case 'reconnect':
        daemon.reconnectNow();
        return;
      case 'toggle-open-at-login':
        setOpenAtLogin(!settings().openAtLogin)
          .then(async () => {
            current = await store.get();
            refreshTray();
          })
          .catch(logError);
        return;
      case 'quit':
        app.quit();
        return;
    }
  });
  setupNotifications(daemon);
  setupFirstRun(daemon, openSettings);

  const ipc = new TrayIpc((url) => isOwnPage(paths.window.page, url));
  ipc.register(
    createHandlers({
      daemon,
      notifications: new DaemonNotificationConfig(daemon),
      oauthSignIn: (accountId) => signInWithOAuth(accountId, daemon, openExternalSafely),
    }),
  );
  setupStatusPush(daemon, ipc);
  app.on('second-instance', () => openSettings());
  app.on('before-quit', () => daemon.stop());
}

// One tray per user session: a second launch (clicking the app icon again) opens settings instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.setAppUserModelId(APP_ID); // Windows toasts are attributed by AppUserModelID.
  // A tray app lives on without windows; closing settings must not quit it.
  app.on('window-all-closed', () => {});
  app.whenReady().then(start, (err: unknown) => {
    logError(err);
    app.exit(1);
  });
}
