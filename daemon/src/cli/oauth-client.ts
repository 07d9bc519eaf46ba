/**
 * The Entra ID application (client) id `account add exchange --oauth` uses when no `--client-id`
 * is given: a distributor registers one multi-tenant public client (docs/microsoft-365.md) and
 * builds with `TIDINGS_OAUTH_CLIENT_ID=<id> npm run build`, which esbuild pastes in as a constant
 * (scripts/build-daemon.ts `define`). Run from the sources, the same variable is read at run time.
 */
declare const __TIDINGS_OAUTH_CLIENT_ID__: string | undefined;

/** An Entra application id: a GUID. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks a client id's shape (the build script refuses a malformed one too). */
export function isClientId(id: string): boolean {
  return GUID.test(id);
}

/** The built-in client id, if this build has one; else, from the sources, the environment's. */
export function defaultClientId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // `typeof` of an undeclared global is safe: from the sources nothing defines it.
  const built = typeof __TIDINGS_OAUTH_CLIENT_ID__ === 'string' ? __TIDINGS_OAUTH_CLIENT_ID__ : undefined;
  const id = built !== undefined ? built : env.TIDINGS_OAUTH_CLIENT_ID;
  return id && isClientId(id.trim()) ? id.trim() : undefined;
}

/** Where the registration is explained (docs/ ships in the package). */
export const M365_GUIDE = 'docs/microsoft-365.md';
export const M365_GUIDE_URL = 'https://github.com/tidings/tidings/blob/main/docs/microsoft-365.md';
