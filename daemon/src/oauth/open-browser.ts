import { spawn } from 'node:child_process';
import { OAuthError } from './errors';

/** The command that opens a URL with the desktop's default browser, as argv (never a shell string). */
export function browserCommand(
  url: string,
  platform: NodeJS.Platform = process.platform,
): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  // `start` is a cmd.exe built-in and would need a shell that re-parses `&` in the URL;
  // url.dll's FileProtocolHandler opens the default browser without one.
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

/**
 * Opens `url` in the system browser (RFC 8252 §4: native apps use the external user-agent).
 * Resolves once the opener started; `EAS_ERR_OAUTH_BROWSER` when it cannot be.
 */
export function openSystemBrowser(url: string): Promise<void> {
  const protocol = new URL(url).protocol;
  if (protocol !== 'https:' && protocol !== 'http:') {
    return Promise.reject(new OAuthError('EAS_ERR_OAUTH_BROWSER', `refusing to open a ${protocol} URL`));
  }
  const [cmd, args] = browserCommand(url);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true, shell: false });
    child.once('error', (err) =>
      reject(
        new OAuthError('EAS_ERR_OAUTH_BROWSER', `cannot start ${cmd} to open the browser`, { cause: err }),
      ),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
