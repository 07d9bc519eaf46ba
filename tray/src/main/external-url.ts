/**
 * The only schemes the tray hands to `shell.openExternal`. Anything else (file:, javascript:,
 * smb:, custom handlers) could run code or leak credentials through the OS handler, which is
 * Electron's own security checklist item "do not use openExternal with untrusted content".
 */
export const ALLOWED_EXTERNAL_SCHEMES = ['https:', 'mailto:'] as const;

/**
 * Returns the normalised URL when it may be opened outside the app, else undefined.
 * https URLs that embed a user name or password are refused: the OS would log them.
 */
export function allowedExternalUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (!(ALLOWED_EXTERNAL_SCHEMES as readonly string[]).includes(url.protocol)) return undefined;
  if (url.protocol === 'https:' && (url.username !== '' || url.password !== '')) return undefined;
  return url.href;
}
