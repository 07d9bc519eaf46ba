/**
 * The Radicale interop server run by scripts/radicale.sh: where it listens, its users (the same
 * file the script installs), and the side door the suites use to change calendars and address
 * books behind the watcher's back — plain CalDAV/CardDAV MKCALENDAR, MKCOL, PUT and DELETE.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const RADICALE_URL = 'http://127.0.0.1:5232';
const SCRIPT = fileURLToPath(new URL('../../../../scripts/radicale.sh', import.meta.url));
const USERS_FILE = fileURLToPath(new URL('../../../../scripts/radicale/users', import.meta.url));
const run = promisify(execFile);

/** user → password from scripts/radicale/users (htpasswd, plain). */
export const RADICALE_USERS: ReadonlyMap<string, string> = new Map(
  readFileSync(USERS_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.includes(':'))
    .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string]),
);

async function answering(): Promise<boolean> {
  try {
    const res = await fetch(`${RADICALE_URL}/`, { method: 'OPTIONS', signal: AbortSignal.timeout(3000) });
    return res.status < 600;
  } catch {
    return false;
  }
}

/**
 * Makes sure Radicale answers: uses a running one, else starts it with scripts/radicale.sh.
 * Returns whether we started it (so the suite stops what it started), or why it cannot run.
 */
export async function ensureRadicale(): Promise<{ startedByUs: boolean } | { reason: string }> {
  if (await answering()) return { startedByUs: false };
  let out: string;
  try {
    out = (await run(SCRIPT, ['start'], { timeout: 30_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { reason: `scripts/radicale.sh start failed: ${(e.stderr || e.message).trim()}` };
  }
  // Another suite may have started it meanwhile; only "started (pid …)" makes it ours to stop.
  const ours = /started \(pid \d+\)/.test(out);
  return (await answering())
    ? { startedByUs: ours }
    : { reason: `Radicale does not answer on ${RADICALE_URL}` };
}

/** Stops Radicale if this process started it (by the script's pid file, never by name). */
export async function releaseRadicale(state: { startedByUs: boolean } | { reason: string }): Promise<void> {
  if ('startedByUs' in state && state.startedByUs) await run(SCRIPT, ['stop'], { timeout: 30_000 });
}

/**
 * Radicale for one test user (scripts/radicale/users): started if need be, and that user let in.
 * `unavailable` says why not; `server` goes to releaseRadicale after the suite.
 */
export async function radicaleForUser(user: string): Promise<{
  server: Awaited<ReturnType<typeof ensureRadicale>>;
  unavailable: string | undefined;
}> {
  const server = await ensureRadicale();
  if ('reason' in server) return { server, unavailable: server.reason };
  const res = await fetch(`${RADICALE_URL}/${user}/`, {
    method: 'PROPFIND',
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${RADICALE_USERS.get(user)}`).toString('base64')}`,
      depth: '0',
    },
    signal: AbortSignal.timeout(5000),
  }).catch((err: Error) => ({ status: 0, statusText: err.message }));
  return {
    server,
    unavailable:
      res.status === 207
        ? undefined
        : `Radicale does not let ${user} in (HTTP ${res.status}): restart it with scripts/radicale.sh stop && start, which installs scripts/radicale/users`,
  };
}

/** A tiny DAV client for making changes as another client would. */
export class RadicaleClient {
  readonly #auth: string;
  constructor(readonly user: string) {
    const pw = RADICALE_USERS.get(user);
    if (pw === undefined) throw new Error(`no Radicale test user '${user}' in scripts/radicale/users`);
    this.#auth = `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
  }

  async request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const res = await fetch(`${RADICALE_URL}${path}`, {
      method,
      headers: { authorization: this.#auth, ...headers },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status >= 400 && !(method === 'DELETE' && res.status === 404)) {
      throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    }
    await res.arrayBuffer();
    return res;
  }

  /** Deletes every collection in the user's home, so default selection sees only what a test makes. */
  async clearHome(): Promise<void> {
    const res = await fetch(`${RADICALE_URL}/${this.user}/`, {
      method: 'PROPFIND',
      headers: { authorization: this.#auth, depth: '1' },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const home = `/${this.user}/`;
    for (const m of text.matchAll(/<href>([^<]+)<\/href>/g)) {
      const href = m[1] ?? '';
      if (href !== home && href.startsWith(home) && href.endsWith('/')) await this.request('DELETE', href);
    }
  }

  mkcalendar(path: string, name: string, components: string[] = ['VEVENT']): Promise<Response> {
    return this.request(
      'MKCALENDAR',
      path,
      '<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">' +
        `<D:set><D:prop><D:displayname>${name}</D:displayname><C:supported-calendar-component-set>` +
        components.map((c) => `<C:comp name="${c}"/>`).join('') +
        '</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>',
      { 'content-type': 'application/xml; charset=utf-8' },
    );
  }

  /** RFC 5689 extended MKCOL for an address book (RFC 6352 §6.3.1). */
  mkaddressbook(path: string, name: string): Promise<Response> {
    return this.request(
      'MKCOL',
      path,
      '<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:A="urn:ietf:params:xml:ns:carddav">' +
        `<D:set><D:prop><D:resourcetype><D:collection/><A:addressbook/></D:resourcetype><D:displayname>${name}</D:displayname>` +
        '</D:prop></D:set></D:mkcol>',
      { 'content-type': 'application/xml; charset=utf-8' },
    );
  }

  put(path: string, data: string, type: 'text/calendar' | 'text/vcard'): Promise<Response> {
    return this.request('PUT', path, data, { 'content-type': `${type}; charset=utf-8` });
  }

  delete(path: string): Promise<Response> {
    return this.request('DELETE', path);
  }
}
