/**
 * The SOGo interop server started by scripts/sogo.sh: where it listens, its test users, and the
 * side doors the suites use to make changes behind the daemon's back — IMAP APPEND into Dovecot,
 * CalDAV/CardDAV PUT and DELETE into SOGo. Nothing here speaks ActiveSync: that is the daemon's
 * own code path, which the suites exercise.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Ports and paths fixed by scripts/sogo.sh (sogod on 20000 as assigned). */
export const SOGO = {
  origin: 'http://127.0.0.1:20000',
  /**
   * sogod serves ActiveSync under its application name; the bare `/Microsoft-Server-ActiveSync`
   * of a production install is an Apache rewrite (Installation Guide, "Microsoft Enterprise
   * ActiveSync"), and there is no proxy here.
   */
  easUrl: 'http://127.0.0.1:20000/SOGo/Microsoft-Server-ActiveSync',
  davRoot: 'http://127.0.0.1:20000/SOGo/dav',
  imapHost: '127.0.0.1',
  imapPort: 20143,
  mailDomain: 'tidings.test',
  /** SOGoMaximumPingInterval in scripts/sogo/sogo.conf.in. */
  maxPingInterval: 3540,
  /** SOGoInternalSyncInterval: how often a hanging Ping looks for changes. */
  internalSyncInterval: 5,
  /** sogod's own log (scripts/sogo.sh RUN_DIR): one line per request, with its query string. */
  logPath: `${process.env.TIDINGS_SOGO_RUN ?? '/tmp/tidings-sogo'}/sogod.log`,
} as const;

/** One ActiveSync request as sogod logged it. */
export interface SogoEasRequest {
  cmd: string;
  user: string;
  deviceId: string;
  status: number;
}

/** Where sogod's log ends now: {@link sogoEasRequestsSince} reads what comes after. */
export function sogoLogMark(): number {
  return existsSync(SOGO.logPath) ? statSync(SOGO.logPath).size : 0;
}

/**
 * The DeviceIds sogod logged before `mark`: a run's own device is new (a fresh state store), and
 * sogod logs a request when it ends, so a Ping of an earlier run can show up after `mark`.
 */
export function sogoDevicesBefore(mark: number): Set<string> {
  if (!existsSync(SOGO.logPath)) return new Set();
  const text = readFileSync(SOGO.logPath).subarray(0, mark).toString('utf8');
  return new Set([...text.matchAll(/[?&]DeviceId=([A-Za-z0-9]+)/g)].map((m) => m[1]!));
}

/**
 * The ActiveSync commands sogod logged since `mark`, read from its own log: what the daemon
 * sent, seen by the server, with no recording proxy or dispatcher in between.
 */
export function sogoEasRequestsSince(mark: number, uid?: string): SogoEasRequest[] {
  if (!existsSync(SOGO.logPath)) return [];
  const text = readFileSync(SOGO.logPath).subarray(mark).toString('utf8');
  const out: SogoEasRequest[] = [];
  for (const m of text.matchAll(
    /"POST \/SOGo\/Microsoft-Server-ActiveSync\?([^" ]*) HTTP\/1\.[01]" (\d{3})/g,
  )) {
    const q = new URLSearchParams(m[1]);
    const r = {
      cmd: q.get('Cmd') ?? '',
      user: q.get('User') ?? '',
      deviceId: q.get('DeviceId') ?? '',
      status: Number(m[2]),
    };
    if (uid === undefined || r.user === uid) out.push(r);
  }
  return out;
}

export interface SogoUser {
  uid: string;
  password: string;
  name: string;
  email: string;
}

/** Test users, read from the same file scripts/sogo.sh loads into PostgreSQL. */
export const USERS: ReadonlyMap<string, SogoUser> = loadUsers(
  fileURLToPath(new URL('../../../../scripts/sogo/users.tsv', import.meta.url)),
);

function loadUsers(path: string): Map<string, SogoUser> {
  const users = new Map<string, SogoUser>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [uid, password, name] = line.split('\t');
    if (!uid || !password || !name) throw new Error(`malformed line in ${path}: ${JSON.stringify(line)}`);
    users.set(uid, { uid, password, name, email: `${uid}@${SOGO.mailDomain}` });
  }
  return users;
}

/** A test user by uid; throws on a typo rather than returning undefined. */
export function user(uid: string): SogoUser {
  const u = USERS.get(uid);
  if (!u) throw new Error(`no SOGo test user '${uid}' in scripts/sogo/users.tsv`);
  return u;
}

function basic(u: SogoUser): string {
  return 'Basic ' + Buffer.from(`${u.uid}:${u.password}`).toString('base64');
}

/**
 * Why the server cannot be used, or undefined when SOGo answers ActiveSync OPTIONS with its
 * protocol versions for `u`.
 */
export async function sogoUnreachableReason(u: SogoUser = user('alice')): Promise<string | undefined> {
  try {
    const res = await fetch(SOGO.easUrl, {
      method: 'OPTIONS',
      headers: { authorization: basic(u) },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) return `OPTIONS ${SOGO.easUrl} answered HTTP ${res.status}`;
    if (!res.headers.get('ms-asprotocolversions'))
      return `OPTIONS ${SOGO.easUrl} lacks MS-ASProtocolVersions`;
    return undefined;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return `SOGo is not reachable at ${SOGO.origin} (${cause}); start it with: bash scripts/sogo.sh install && bash scripts/sogo.sh start`;
  }
}

// ---------------------------------------------------------------------------------------------
// IMAP (RFC 9051), just enough to log in, APPEND and SELECT: the mail side door.

/** One IMAP connection driven command by command; tagged completions resolve `command`. */
class ImapSession {
  readonly #socket: Socket;
  #buffer = '';
  #tag = 0;
  #waiters: { test: (line: string) => boolean; resolve: (lines: string[]) => void; lines: string[] }[] = [];
  #error: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('IMAP connection closed')));
  }

  static async open(): Promise<ImapSession> {
    const socket = connect({ host: SOGO.imapHost, port: SOGO.imapPort });
    socket.setTimeout(15_000, () => socket.destroy(new Error('IMAP timeout')));
    const session = new ImapSession(socket);
    await session.#until((l) => l.startsWith('* OK'));
    return session;
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (let i = this.#buffer.indexOf('\r\n'); i >= 0; i = this.#buffer.indexOf('\r\n')) {
      const line = this.#buffer.slice(0, i);
      this.#buffer = this.#buffer.slice(i + 2);
      const w = this.#waiters[0];
      if (!w) continue;
      w.lines.push(line);
      if (w.test(line)) {
        this.#waiters.shift();
        w.resolve(w.lines);
      }
    }
  }

  #fail(err: Error): void {
    this.#error ??= err;
    for (const w of this.#waiters.splice(0)) w.resolve(w.lines);
  }

  #until(test: (line: string) => boolean): Promise<string[]> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#waiters.push({
        test,
        lines: [],
        resolve: (lines) => (this.#error ? reject(this.#error) : resolve(lines)),
      });
    });
  }

  /** Sends one command (and its literal, if any) and returns the untagged lines on OK. */
  async command(text: string, literal?: string): Promise<string[]> {
    const tag = `t${++this.#tag}`;
    const done = (l: string) => l.startsWith(`${tag} `);
    if (literal === undefined) {
      this.#socket.write(`${tag} ${text}\r\n`);
    } else {
      // Synchronising literal: wait for the continuation before sending the bytes (RFC 9051 §4.3).
      const cont = this.#until((l) => l.startsWith('+') || done(l));
      this.#socket.write(`${tag} ${text} {${Buffer.byteLength(literal)}}\r\n`);
      const lines = await cont;
      if (!lines.at(-1)?.startsWith('+'))
        throw new Error(`IMAP ${text.split(' ')[0]} refused: ${lines.at(-1)}`);
      this.#socket.write(`${literal}\r\n`);
    }
    const lines = await this.#until(done);
    const last = lines.at(-1) ?? '';
    if (!last.startsWith(`${tag} OK`)) throw new Error(`IMAP ${text.split(' ')[0]} failed: ${last}`);
    return lines;
  }

  async close(): Promise<void> {
    try {
      await this.command('LOGOUT');
    } catch {
      // The server may close first after BYE; the socket is destroyed below either way.
    }
    this.#socket.destroy();
  }
}

const quote = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

async function withImap<T>(u: SogoUser, run: (s: ImapSession) => Promise<T>): Promise<T> {
  const s = await ImapSession.open();
  try {
    await s.command(`LOGIN ${quote(u.uid)} ${quote(u.password)}`);
    return await run(s);
  } finally {
    await s.close();
  }
}

/**
 * Dovecot reports HIGHESTMODSEQ only once a CONDSTORE-enabled session has selected a mailbox
 * (RFC 7162 §3.1.2.1 lets a server start mod-sequences lazily); until then SOGo's EAS sees no
 * mail changes. Returns the HIGHESTMODSEQ Dovecot now reports.
 */
export async function imapPrimeCondstore(u: SogoUser, mailbox = 'INBOX'): Promise<number> {
  return withImap(u, async (s) => {
    await s.command('ENABLE CONDSTORE');
    const lines = await s.command(`SELECT ${quote(mailbox)} (CONDSTORE)`);
    const m = lines.map((l) => /HIGHESTMODSEQ (\d+)/.exec(l)).find(Boolean);
    if (!m) throw new Error(`Dovecot reported no HIGHESTMODSEQ for ${u.uid}/${mailbox}`);
    return Number(m[1]);
  });
}

export interface MailSpec {
  from: { name: string; email: string };
  to: SogoUser;
  subject: string;
  body: string;
  date?: Date;
}

/** An RFC 5322 message with CRLF line ends, a unique Message-ID and an ASCII-safe subject. */
export function buildMail(m: MailSpec): string {
  const id = `${Date.now()}.${Math.random().toString(36).slice(2)}@${SOGO.mailDomain}`;
  return [
    `From: ${m.from.name} <${m.from.email}>`,
    `To: ${m.to.name} <${m.to.email}>`,
    `Subject: ${m.subject}`,
    `Date: ${(m.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${id}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    ...m.body.split('\n'),
  ].join('\r\n');
}

/** APPENDs a message to `mailbox` of `u` as unseen, as a delivery agent would. */
export async function imapAppend(u: SogoUser, message: string, mailbox = 'INBOX'): Promise<void> {
  await withImap(u, (s) => s.command(`APPEND ${quote(mailbox)} ()`, message));
}

/**
 * Deletes every message of `mailbox` whose subject contains `subject` (STORE \Deleted, then
 * EXPUNGE), as another mail client would. Returns how many went.
 */
export async function imapExpunge(u: SogoUser, subject: string, mailbox = 'INBOX'): Promise<number> {
  return withImap(u, async (s) => {
    await s.command(`SELECT ${quote(mailbox)}`);
    const found = (await s.command(`UID SEARCH SUBJECT ${quote(subject)}`))
      .filter((l) => l.startsWith('* SEARCH'))
      .flatMap((l) => l.slice('* SEARCH'.length).trim().split(/\s+/).filter(Boolean));
    if (found.length === 0) return 0;
    await s.command(`UID STORE ${found.join(',')} +FLAGS.SILENT (\\Deleted)`);
    await s.command('EXPUNGE');
    return found.length;
  });
}

// ---------------------------------------------------------------------------------------------
// CalDAV/CardDAV side door into SOGo.

/** SOGo's default collections of a user (created by SOGo on first access). */
export function calendarUrl(u: SogoUser): string {
  return `${SOGO.davRoot}/${u.uid}/Calendar/personal/`;
}
export function contactsUrl(u: SogoUser): string {
  return `${SOGO.davRoot}/${u.uid}/Contacts/personal/`;
}

export interface PutResult {
  status: number;
  etag: string | undefined;
}

/** PUTs a resource as `u`, creating or replacing it. */
export async function davPut(
  u: SogoUser,
  url: string,
  body: string,
  contentType: 'text/calendar' | 'text/vcard',
): Promise<PutResult> {
  // No `If-None-Match: *` for create-only: SOGo 5.8 ignores it and overwrites (answers 204).
  const res = await fetch(url, {
    method: 'PUT',
    headers: { authorization: basic(u), 'content-type': `${contentType}; charset=utf-8` },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`PUT ${url} as ${u.uid}: HTTP ${res.status}`);
  return { status: res.status, etag: res.headers.get('etag') ?? undefined };
}

/** Whether a resource exists (GET answers 2xx) for `u`. */
export async function davExists(u: SogoUser, url: string): Promise<boolean> {
  const res = await fetch(url, { headers: { authorization: basic(u) }, signal: AbortSignal.timeout(15_000) });
  await res.arrayBuffer();
  if (res.status === 404) return false;
  if (!res.ok) throw new Error(`GET ${url} as ${u.uid}: HTTP ${res.status}`);
  return true;
}

/** DELETEs a resource as `u`; a missing resource is not an error. */
export async function davDelete(u: SogoUser, url: string): Promise<number> {
  const res = await fetch(url, {
    method: 'DELETE',
    headers: { authorization: basic(u) },
    signal: AbortSignal.timeout(15_000),
  });
  await res.arrayBuffer();
  if (!res.ok && res.status !== 404) throw new Error(`DELETE ${url} as ${u.uid}: HTTP ${res.status}`);
  return res.status;
}

const icsDate = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

export interface EventSpec {
  uid: string;
  summary: string;
  start: Date;
  end: Date;
  location?: string;
  /** Bumped on every change of the same event (RFC 5545 §3.8.7.4). */
  sequence?: number;
  /** A meeting: its organizer, and attendees asked to answer (PARTSTAT=NEEDS-ACTION, RSVP=TRUE). */
  organizer?: SogoUser;
  invite?: SogoUser[];
}

/** A single VEVENT in UTC, CRLF line ends. */
export function eventIcs(e: EventSpec): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Tidings//interop//EN',
    'BEGIN:VEVENT',
    `UID:${e.uid}`,
    `DTSTAMP:${icsDate(new Date())}`,
    `DTSTART:${icsDate(e.start)}`,
    `DTEND:${icsDate(e.end)}`,
    `SUMMARY:${e.summary}`,
    ...(e.location ? [`LOCATION:${e.location}`] : []),
    `SEQUENCE:${e.sequence ?? 0}`,
    ...(e.organizer
      ? [
          `ORGANIZER;CN=${e.organizer.name}:mailto:${e.organizer.email}`,
          `ATTENDEE;CN=${e.organizer.name};PARTSTAT=ACCEPTED:mailto:${e.organizer.email}`,
        ]
      : []),
    ...(e.invite ?? []).map((u) => `ATTENDEE;CN=${u.name};PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${u.email}`),
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

export interface ContactSpec {
  uid: string;
  given: string;
  family: string;
  email?: string;
}

/** A vCard 3.0 (the version SOGo stores natively). */
export function contactVcf(c: ContactSpec): string {
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    'PRODID:-//Tidings//interop//EN',
    `UID:${c.uid}`,
    `FN:${c.given} ${c.family}`,
    `N:${c.family};${c.given};;;`,
    ...(c.email ? [`EMAIL;TYPE=INTERNET:${c.email}`] : []),
    'END:VCARD',
    '',
  ].join('\r\n');
}

/**
 * The IMAP flags of every message of `mailbox` whose subject contains `subject`, as another mail
 * client sees them (UID FETCH FLAGS): one entry per message, e.g. [['\\Seen']]. `\Recent` is
 * left out: it says which session saw the message first, not what anyone did to it.
 */
export async function imapFlags(u: SogoUser, subject: string, mailbox = 'INBOX'): Promise<string[][]> {
  return withImap(u, async (s) => {
    await s.command(`EXAMINE ${quote(mailbox)}`);
    const found = (await s.command(`UID SEARCH SUBJECT ${quote(subject)}`))
      .filter((l) => l.startsWith('* SEARCH'))
      .flatMap((l) => l.slice('* SEARCH'.length).trim().split(/\s+/).filter(Boolean));
    if (found.length === 0) return [];
    return (await s.command(`UID FETCH ${found.join(',')} (FLAGS)`))
      .map((l) => /FLAGS \(([^)]*)\)/.exec(l)?.[1])
      .filter((f): f is string => f !== undefined)
      .map((f) => f.split(/\s+/).filter((x) => x !== '' && x !== '\\Recent'));
  });
}
