/**
 * The Google desktop OAuth client a build carries, if any. A distributor registers one "Desktop
 * app" client in Google Cloud (docs/gmail.md) and builds with
 * `TIDINGS_GOOGLE_CLIENT_ID=… TIDINGS_GOOGLE_CLIENT_SECRET=… npm run build`; esbuild pastes the
 * two in as constants (scripts/build-daemon.ts `define`). Run from the sources, the same
 * variables are read at run time. Google calls a desktop client's secret non-confidential (it
 * ships in every copy of the app), but it still never goes to logs or error messages.
 */
declare const __TIDINGS_GOOGLE_CLIENT_ID__: string | undefined;
declare const __TIDINGS_GOOGLE_CLIENT_SECRET__: string | undefined;

/** Google client ids end in `.apps.googleusercontent.com`. */
const GOOGLE_CLIENT_ID = /^[0-9A-Za-z-]+\.apps\.googleusercontent\.com$/;

/** Checks a Google client id's shape. */
export function isGoogleClientId(id: string): boolean {
  return GOOGLE_CLIENT_ID.test(id);
}

function pick(built: string | undefined, fromEnv: string | undefined): string | undefined {
  const v = (built !== undefined && built !== '' ? built : fromEnv)?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/**
 * The built-in Google client id alone (the tray's add form fills it in): the settings page never
 * needs the secret, so its bundle does not carry it.
 */
export function builtInGoogleClientId(): string | undefined {
  const id = typeof __TIDINGS_GOOGLE_CLIENT_ID__ === 'string' ? __TIDINGS_GOOGLE_CLIENT_ID__.trim() : '';
  return isGoogleClientId(id) ? id : undefined;
}

/** The built-in Google client, else the environment's (`TIDINGS_GOOGLE_CLIENT_ID` / `_SECRET`). */
export function googleClientDefaults(env: NodeJS.ProcessEnv = process.env): {
  clientId?: string;
  clientSecret?: string;
} {
  // `typeof` of an undeclared global is safe: from the sources nothing defines them.
  const id = pick(
    typeof __TIDINGS_GOOGLE_CLIENT_ID__ === 'string' ? __TIDINGS_GOOGLE_CLIENT_ID__ : undefined,
    env.TIDINGS_GOOGLE_CLIENT_ID,
  );
  const secret = pick(
    typeof __TIDINGS_GOOGLE_CLIENT_SECRET__ === 'string' ? __TIDINGS_GOOGLE_CLIENT_SECRET__ : undefined,
    env.TIDINGS_GOOGLE_CLIENT_SECRET,
  );
  return {
    ...(id !== undefined && isGoogleClientId(id) ? { clientId: id } : {}),
    ...(secret === undefined ? {} : { clientSecret: secret }),
  };
}
