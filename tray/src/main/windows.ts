import { BrowserWindow, session } from 'electron';
import { isOwnPage } from './own-page';

export interface SettingsWindowPaths {
  /** dist/renderer/index.html */
  page: string;
  /** dist/preload/preload.cjs */
  preload: string;
}

let settingsWindow: BrowserWindow | undefined;

/**
 * Locks the default session down once: the settings page needs no permission at all
 * (camera, notifications, geolocation …), so every request and check is refused.
 */
export function setupSessionPolicy(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

/**
 * Shows the settings window, creating it on first use. Every webPreferences switch that
 * matters is set explicitly rather than left to Electron's defaults (STYLE.md, tray/main).
 */
export function showSettingsWindow(paths: SettingsWindowPaths, hash?: string): BrowserWindow {
  if (settingsWindow && !settingsWindow.isDestroyed()) {
    if (hash) void settingsWindow.loadFile(paths.page, { hash });
    settingsWindow.show();
    settingsWindow.focus();
    return settingsWindow;
  }
  const win = new BrowserWindow({
    width: 820,
    height: 640,
    minWidth: 560,
    minHeight: 420,
    title: 'Tidings settings',
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: paths.preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  const contents = win.webContents;
  // The page never leaves itself: links to the outside go through main's allow-listed opener.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isOwnPage(paths.page, url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (settingsWindow === win) settingsWindow = undefined;
  });
  void win.loadFile(paths.page, hash ? { hash } : undefined);
  settingsWindow = win;
  return win;
}

/** The open settings window's contents, for status pushes; undefined when closed. */
export function settingsContents(): Electron.WebContents | undefined {
  return settingsWindow && !settingsWindow.isDestroyed() ? settingsWindow.webContents : undefined;
}
