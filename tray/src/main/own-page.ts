import { pathToFileURL } from 'node:url';

/**
 * True for our own settings page only — the file main loaded, with any #route — so IPC from
 * any other frame or URL (an injected iframe, a navigated window) is refused.
 */
export function isOwnPage(pagePath: string, url: string): boolean {
  try {
    const u = new URL(url);
    u.hash = '';
    return u.href === pathToFileURL(pagePath).href;
  } catch {
    return false;
  }
}
