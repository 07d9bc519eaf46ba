/**
 * The Cyrus 3.6 JMAP server run by scripts/cyrus.sh: where it listens, its users (the script's
 * own file), and a side door for the suites — plain JMAP (RFC 8620 upload, RFC 8621 Email/import,
 * Email/set) as another mail client would use it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CYRUS_URL = 'http://127.0.0.1:22080';
const SCRIPT = fileURLToPath(new URL('../../../../scripts/cyrus.sh', import.meta.url));
const USERS_FILE = fileURLToPath(new URL('../../../../scripts/cyrus/users', import.meta.url));
const run = promisify(execFile);

/** user → password from scripts/cyrus/users. */
export const CYRUS_USERS: ReadonlyMap<string, string> = new Map(
  readFileSync(USERS_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.includes(':'))
    .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string]),
);

async function answering(): Promise<boolean> {
  try {
    const res = await fetch(`${CYRUS_URL}/.well-known/jmap`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(3000),
    });
    return res.status < 600;
  } catch {
    return false;
  }
}

/** Uses a running Cyrus, else installs (unpacks) and starts it with scripts/cyrus.sh. */
export async function ensureCyrus(): Promise<{ startedByUs: boolean } | { reason: string }> {
  if (await answering()) return { startedByUs: false };
  let out: string;
  try {
    await run('bash', [SCRIPT, 'install'], { timeout: 600_000 });
    out = (await run('bash', [SCRIPT, 'start'], { timeout: 60_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { reason: `scripts/cyrus.sh failed: ${(e.stderr || e.message).trim()}` };
  }
  const ours = /started \(pid \d+\)/.test(out);
  return (await answering()) ? { startedByUs: ours } : { reason: `Cyrus does not answer on ${CYRUS_URL}` };
}

/** Stops Cyrus if this process started it (by the script's pid file, never by name). */
export async function releaseCyrus(state: { startedByUs: boolean } | { reason: string }): Promise<void> {
  if ('startedByUs' in state && state.startedByUs) await run('bash', [SCRIPT, 'stop'], { timeout: 30_000 });
}

type Invocation = [string, Record<string, unknown>, string];

/** JMAP as another client: what the suites do behind the daemon's back. */
export class CyrusJmap {
  readonly #auth: string;
  constructor(readonly user: string) {
    const pw = CYRUS_USERS.get(user);
    if (pw === undefined) throw new Error(`no Cyrus test user '${user}' in scripts/cyrus/users`);
    this.#auth = `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
  }

  async call(calls: [string, Record<string, unknown>][]): Promise<Record<string, unknown>[]> {
    const res = await fetch(`${CYRUS_URL}/jmap/`, {
      method: 'POST',
      headers: { authorization: this.#auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
        methodCalls: calls.map(([n, a], i) => [n, { accountId: this.user, ...a }, String(i)]),
      }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new Error(`JMAP ${calls.map((c) => c[0]).join(',')}: HTTP ${res.status}`);
    const body = (await res.json()) as { methodResponses: Invocation[] };
    return body.methodResponses.map(([name, args]) => {
      if (name === 'error') throw new Error(`JMAP error ${JSON.stringify(args)}`);
      return args;
    });
  }

  async mailbox(role: string | undefined, name?: string): Promise<string> {
    const [got] = await this.call([['Mailbox/get', { ids: null }]]);
    const list = got!.list as { id: string; name: string; role: string | null }[];
    const m = list.find((x) => (role ? x.role === role : x.name === name));
    if (!m) throw new Error(`no mailbox ${role ?? name}`);
    return m.id;
  }

  /** RFC 8620 §6.1 upload + RFC 8621 §4.8 Email/import into `mailboxId`; returns the Email id. */
  async importMail(mailboxId: string, m: { subject: string; from?: string; body?: string }): Promise<string> {
    const raw = [
      `From: ${m.from ?? 'Bob Example <bob@example.org>'}`,
      'To: alice@example.org',
      `Subject: ${m.subject}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${Math.random().toString(36).slice(2)}@tidings.test>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      m.body ?? `Body of ${m.subject}.`,
      '',
    ].join('\r\n');
    const up = await fetch(`${CYRUS_URL}/jmap/upload/${this.user}/`, {
      method: 'POST',
      headers: { authorization: this.#auth, 'content-type': 'message/rfc822' },
      body: raw,
      signal: AbortSignal.timeout(15_000),
    });
    if (!up.ok) throw new Error(`upload: HTTP ${up.status}`);
    const { blobId } = (await up.json()) as { blobId: string };
    const [imported] = await this.call([
      ['Email/import', { emails: { k: { blobId, mailboxIds: { [mailboxId]: true }, keywords: {} } } }],
    ]);
    const created = (imported!.created as Record<string, { id: string }> | null)?.k;
    if (!created) throw new Error(`Email/import: ${JSON.stringify(imported!.notCreated)}`);
    return created.id;
  }

  async destroy(ids: string[]): Promise<void> {
    if (ids.length) await this.call([['Email/set', { destroy: ids }]]);
  }

  async move(id: string, to: string): Promise<void> {
    await this.call([['Email/set', { update: { [id]: { mailboxIds: { [to]: true } } } }]]);
  }

  /** Empties a mailbox (a clean start for the suite). */
  async clear(mailboxId: string): Promise<void> {
    const [q] = await this.call([['Email/query', { filter: { inMailbox: mailboxId }, limit: 1000 }]]);
    await this.destroy(q!.ids as string[]);
  }
}
