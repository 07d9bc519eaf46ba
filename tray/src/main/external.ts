import { shell } from 'electron';
import { TrayError } from '../errors';
import { allowedExternalUrl } from './external-url';

/** Opens a URL in the user's browser or mail client, only for allow-listed schemes. */
export async function openExternalSafely(url: string): Promise<void> {
  const allowed = allowedExternalUrl(url);
  if (allowed === undefined) {
    throw new TrayError('TRAY_ERR_URL_NOT_ALLOWED', 'only https and mailto links are opened outside Tidings');
  }
  await shell.openExternal(allowed);
}
