/**
 * Realistic EAS documents, generated deterministically (seeded), for fixtures, the fuzz corpus
 * and the benchmark: a FolderSync response, a calendar Sync, and mail Syncs whose bodies are
 * MIME messages carried as OPAQUE (AirSyncBase:Body Type 4, MS-ASAIRS 2.2.2.20.1).
 */
import { ns, type WbxmlElement } from '../src/tree';

const as = ns('AirSync');
const fh = ns('FolderHierarchy');
const cal = ns('Calendar');
const em = ns('Email');
const em2 = ns('Email2');
const asb = ns('AirSyncBase');

/** mulberry32: a small seeded PRNG, so every run builds the same bytes. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'the quarterly report meeting agenda budget review project status update team lunch deadline release notes customer feedback invoice travel schedule conference call minutes draft proposal design sprint retro roadmap offsite hiring plan security patch server migration backup weekend'.split(
    ' ',
  );
const NAMES = [
  'Anna Berg',
  'Jonas Weber',
  'Maria Rossi',
  'Li Wei',
  'Sofia Novak',
  'Omar Haddad',
  'Élodie Martin',
  'Kenji Sato',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function sentence(r: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(pick(r, WORDS));
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

function email(name: string): string {
  return `${name
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z ]/g, '')
    .replace(' ', '.')}@example.com`;
}

function isoDate(r: () => number): string {
  const d = new Date(
    Date.UTC(2026, Math.floor(r() * 12), 1 + Math.floor(r() * 28), Math.floor(r() * 24), 0, 0),
  );
  return d.toISOString().replace(/\.\d{3}Z$/, '.000Z');
}

function compactDate(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.000Z$/, 'Z');
}

/** FolderSync response with the default folders and some user folders (~1 KB encoded). */
export function folderSyncResponse(folders = 28): WbxmlElement {
  const defaults: [string, number][] = [
    ['Inbox', 2],
    ['Drafts', 3],
    ['Deleted Items', 4],
    ['Sent Items', 5],
    ['Outbox', 6],
    ['Tasks', 7],
    ['Calendar', 8],
    ['Contacts', 9],
    ['Notes', 10],
    ['Journal', 11],
    ['Junk E-mail', 12],
  ];
  const adds: WbxmlElement[] = [];
  for (let i = 0; i < folders; i++) {
    const [name, type] = defaults[i] ?? [`Projects ${i - defaults.length + 1}`, 12];
    adds.push(
      fh(
        'Add',
        fh('ServerId', String(i + 1)),
        fh('ParentId', i < defaults.length ? '0' : '1'),
        fh('DisplayName', name),
        fh('Type', type),
      ),
    );
  }
  return fh('FolderSync', fh('Status', 1), fh('SyncKey', '1'), fh('Changes', fh('Count', folders), adds));
}

const TIMEZONE =
  'xP///0MAZQBuAHQAcgBhAGwAIABFAHUAcgBvAHAAZQAgAFMAdABhAG4AZABhAHIAZAAgAFQAaQBtAGUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAoAAAAFAAMAAAAAAAAAAAAAAEMAZQBuAHQAcgBhAGwAIABFAHUAcgBvAHAAZQAgAEQAYQB5AGwAaQBnAGgAdAAgAFQAaQBtAGUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMAAAAFAAIAAAAAAAAAxP///w==';

function calendarEvent(r: () => number, i: number): WbxmlElement {
  const start = isoDate(r);
  const organizer = pick(r, NAMES);
  const attendees = 1 + Math.floor(r() * 4);
  const body = `${sentence(r, 12)}\r\n${sentence(r, 18)}`;
  return as(
    'Add',
    as('ServerId', `2:${i + 1}`),
    as(
      'ApplicationData',
      cal('Timezone', TIMEZONE),
      cal('DtStamp', compactDate(start)),
      cal('StartTime', compactDate(start)),
      cal(
        'EndTime',
        compactDate(start).replace(
          /T(\d\d)/,
          (_m, h: string) => `T${String((Number(h) + 1) % 24).padStart(2, '0')}`,
        ),
      ),
      cal('Subject', sentence(r, 4)),
      cal('UID', `040000008200E00074C5B7101A82E008000000000${(1000000 + i).toString(16).toUpperCase()}`),
      cal('OrganizerName', organizer),
      cal('OrganizerEmail', email(organizer)),
      cal(
        'Attendees',
        Array.from({ length: attendees }, () => {
          const n = pick(r, NAMES);
          return cal(
            'Attendee',
            cal('Email', email(n)),
            cal('Name', n),
            cal('AttendeeStatus', 0),
            cal('AttendeeType', 1),
          );
        }),
      ),
      cal('Location', `Room ${100 + Math.floor(r() * 400)}`),
      cal('Reminder', 15),
      cal('BusyStatus', 2),
      cal('AllDayEvent', 0),
      cal('Sensitivity', 0),
      cal('MeetingStatus', 1),
      asb('Body', asb('Type', 1), asb('EstimatedDataSize', body.length), asb('Data', body)),
      asb('NativeBodyType', 1),
    ),
  );
}

/** A calendar Sync response with `events` meetings (the default is about 30 KB encoded). */
export function calendarSync(events = 34, seed = 7): WbxmlElement {
  const r = rng(seed);
  return as(
    'Sync',
    as(
      'Collections',
      as(
        'Collection',
        as('SyncKey', '1458239873'),
        as('CollectionId', '2'),
        as('Status', 1),
        as(
          'Commands',
          Array.from({ length: events }, (_, i) => calendarEvent(r, i)),
        ),
      ),
    ),
  );
}

const enc = new TextEncoder();

/** A multipart/alternative MIME message with an optional base64 attachment, about `size` bytes. */
export function mimeMessage(
  r: () => number,
  from: string,
  to: string,
  subject: string,
  size: number,
): Uint8Array {
  const boundary = `----=_Part_${Math.floor(r() * 1e9)}`;
  const head =
    `From: ${from} <${email(from)}>\r\nTo: ${to} <${email(to)}>\r\nSubject: ${subject}\r\n` +
    `Date: Tue, 24 Nov 2026 10:${String(Math.floor(r() * 60)).padStart(2, '0')}:00 +0100\r\n` +
    `Message-ID: <${Math.floor(r() * 1e12)}@example.com>\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`;
  const lines: string[] = [];
  let n = head.length;
  const textBudget = Math.min(size * 0.4, 6000);
  while (n < textBudget) {
    const s = sentence(r, 10 + Math.floor(r() * 6));
    lines.push(s);
    n += s.length + 2;
  }
  const text = lines.join('\r\n');
  const html = `<html><body><p>${lines.join('</p>\r\n<p>')}</p></body></html>`;
  let body =
    `${head}--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n` +
    `--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`;
  const rest = size - body.length - boundary.length * 2 - 120;
  if (rest > 200) {
    const raw = new Uint8Array(Math.floor((rest * 3) / 4));
    for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(r() * 256);
    const b64 = Buffer.from(raw).toString('base64').replace(/.{76}/g, '$&\r\n');
    body +=
      `--${boundary}\r\nContent-Type: application/pdf; name="report.pdf"\r\n` +
      `Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="report.pdf"\r\n\r\n${b64}\r\n`;
  }
  body += `--${boundary}--\r\n`;
  return enc.encode(body);
}

function mailAdd(r: () => number, i: number, mimeSize: number): WbxmlElement {
  const from = pick(r, NAMES);
  const to = pick(r, NAMES);
  const subject = sentence(r, 5);
  const mime = mimeMessage(r, from, to, subject, mimeSize);
  const conversationId = new Uint8Array(16).map(() => Math.floor(r() * 256));
  return as(
    'Add',
    as('ServerId', `1:${i + 1}`),
    as(
      'ApplicationData',
      em('To', `"${to}" <${email(to)}>`),
      em('From', `"${from}" <${email(from)}>`),
      em('Subject', subject),
      em('DateReceived', isoDate(r)),
      em('DisplayTo', to),
      em('ThreadTopic', subject),
      em('Importance', 1),
      em('Read', r() < 0.5 ? 1 : 0),
      asb('Body', asb('Type', 4), asb('EstimatedDataSize', mime.length), asb('Data', mime)),
      em('MessageClass', 'IPM.Note'),
      em('InternetCPID', 65001),
      em('Flag'),
      em('ContentClass', 'urn:content-classes:message'),
      asb('NativeBodyType', 2),
      em2('ConversationId', conversationId),
      em2('ConversationIndex', conversationId.subarray(0, 5)),
      em('Categories'),
    ),
  );
}

/** A mail Sync response whose messages are MIME bodies as OPAQUE, about `targetBytes` encoded. */
export function mailSync(targetBytes: number, seed = 11): WbxmlElement {
  const r = rng(seed);
  const adds: WbxmlElement[] = [];
  let total = 0;
  for (let i = 0; total < targetBytes - 600; i++) {
    const size = Math.min(4000 + Math.floor(r() * 16000), Math.max(800, targetBytes - total - 600));
    adds.push(mailAdd(r, i, size));
    total += size + 420;
  }
  return as(
    'Sync',
    as(
      'Collections',
      as(
        'Collection',
        as('SyncKey', '927364'),
        as('CollectionId', '1'),
        as('Status', 1),
        as('MoreAvailable'),
        as('Commands', adds),
      ),
    ),
  );
}

const GREETINGS = ['Hi', 'Hello', 'Dear', 'Hallo', 'Bonjour', 'Ciao', 'Hej'];
const SIGN_OFFS = ['Best regards', 'Cheers', 'Thanks', 'Mit freundlichen Grüßen', 'Cordialement', 'Saluti'];

/**
 * A mail body as SOGo and Z-Push send it (AirSyncBase:Body Type 2, MS-ASAIRS 2.2.2.20.1): HTML
 * text, not MIME, carried as an inline string. Mostly ASCII with the odd accented name, dash or
 * euro sign, as European mail is; about `size` characters.
 */
function htmlBody(r: () => number, from: string, to: string, size: number): string {
  const paras: string[] = [`<p>${pick(r, GREETINGS)} ${to.split(' ')[0]},</p>`];
  let n = 80;
  while (n < size - 120) {
    let p = sentence(r, 8 + Math.floor(r() * 14));
    if (r() < 0.3) p += ` ${sentence(r, 6)}`;
    if (r() < 0.15) p = p.replace(' the ', ' – the ');
    if (r() < 0.1) p += ` Budget: ${Math.floor(r() * 9000) + 100} €.`;
    paras.push(`<p>${p}</p>`);
    n += p.length + 9;
  }
  paras.push(`<p>${pick(r, SIGN_OFFS)},<br>\r\n${from}</p>`);
  return `<html><head><meta charset="utf-8"></head><body>\r\n${paras.join('\r\n')}\r\n</body></html>`;
}

function textMailAdd(r: () => number, i: number, bodySize: number): WbxmlElement {
  const from = pick(r, NAMES);
  const to = pick(r, NAMES);
  const subject = sentence(r, 3 + Math.floor(r() * 6));
  const body = htmlBody(r, from, to, bodySize);
  const conversationId = new Uint8Array(16).map(() => Math.floor(r() * 256));
  return as(
    'Add',
    as('ServerId', `5:${i + 1}`),
    as(
      'ApplicationData',
      em('To', `"${to}" <${email(to)}>`),
      em('From', `"${from}" <${email(from)}>`),
      em('Subject', subject),
      em('DateReceived', isoDate(r)),
      em('DisplayTo', to),
      em('ThreadTopic', subject),
      em('Importance', 1),
      em('Read', r() < 0.5 ? 1 : 0),
      asb('Body', asb('Type', 2), asb('EstimatedDataSize', body.length), asb('Data', body)),
      em('MessageClass', 'IPM.Note'),
      em('InternetCPID', 65001),
      em('Flag'),
      em('ContentClass', 'urn:content-classes:message'),
      asb('NativeBodyType', 2),
      em2('ConversationId', conversationId),
      em2('ConversationIndex', conversationId.subarray(0, 5)),
      em('Categories'),
    ),
  );
}

/**
 * A mail Sync response of the shape SOGo and Z-Push send: bodies as inline HTML strings, so the
 * document is ~95 % text (a 5 MB one has ~48 000 elements and ~4.8 M characters of text), about
 * `targetBytes` encoded. The opaque-heavy shape is `mailSync`.
 */
export function textMailSync(targetBytes: number, seed = 13): WbxmlElement {
  const r = rng(seed);
  const adds: WbxmlElement[] = [];
  let total = 0;
  for (let i = 0; total < targetBytes - 500; i++) {
    const size = Math.min(700 + Math.floor(r() * 2800), Math.max(300, targetBytes - total - 500));
    adds.push(textMailAdd(r, i, size));
    total += size + 400;
  }
  return as(
    'Sync',
    as(
      'Collections',
      as(
        'Collection',
        as('SyncKey', '{7a1c6e52-33f0-4c1b-9f0e-5b2a7d9c8e11}3'),
        as('CollectionId', '5'),
        as('Status', 1),
        as('MoreAvailable'),
        as('Commands', adds),
      ),
    ),
  );
}

/** The smaller documents every client sends and receives: Ping, Provision, Settings, Find. */
export function everydayDocuments(): Record<string, WbxmlElement> {
  const ping = ns('Ping');
  const prov = ns('Provision');
  const set = ns('Settings');
  const find = ns('Find');
  const io = ns('ItemOperations');
  return {
    'ping-request': ping(
      'Ping',
      ping('HeartbeatInterval', 900),
      ping(
        'Folders',
        ping('Folder', ping('Id', '1'), ping('Class', 'Email')),
        ping('Folder', ping('Id', '2'), ping('Class', 'Calendar')),
        ping('Folder', ping('Id', '3'), ping('Class', 'Contacts')),
      ),
    ),
    'ping-response': ping(
      'Ping',
      ping('Status', 2),
      ping('Folders', ping('Folder', '1'), ping('Folder', '2')),
    ),
    'provision-response': prov(
      'Provision',
      prov('Status', 1),
      prov(
        'Policies',
        prov(
          'Policy',
          prov('PolicyType', 'MS-EAS-Provisioning-WBXML'),
          prov('Status', 1),
          prov('PolicyKey', '3942919513'),
          prov(
            'Data',
            prov(
              'EASProvisionDoc',
              prov('DevicePasswordEnabled', 1),
              prov('AlphanumericDevicePasswordRequired', 0),
              prov('RequireStorageCardEncryption', 0),
              prov('MinDevicePasswordLength', 4),
              prov('MaxInactivityTimeDeviceLock', 900),
              prov('AllowSimpleDevicePassword', 1),
              prov('MaxEmailHTMLBodyTruncationSize', -1),
              prov('AllowHTMLEmail', 1),
              prov('AccountOnlyRemoteWipe'),
            ),
          ),
        ),
      ),
    ),
    'settings-request': set(
      'Settings',
      set(
        'DeviceInformation',
        set(
          'Set',
          set('Model', 'Tidings'),
          set('FriendlyName', 'Tidings push daemon'),
          set('OS', 'Linux'),
          set('UserAgent', 'Tidings/0.1'),
        ),
      ),
      set('UserInformation', set('Get')),
    ),
    'find-request': find(
      'Find',
      find('SearchId', '5b9e3b9a-0c1f-4a3e-9a55-3f1f9e0c2d11'),
      find(
        'ExecuteSearch',
        find(
          'MailBoxSearchCriterion',
          find('Query', as('Class', 'Email'), as('CollectionId', '1'), find('FreeText', 'quarterly report')),
          find('Options', find('Range', '0-24'), find('DeepTraversal')),
        ),
      ),
    ),
    'itemoperations-fetch-response': io(
      'ItemOperations',
      io('Status', 1),
      io(
        'Response',
        io(
          'Fetch',
          io('Status', 1),
          asb('FileReference', 'att%3a1%3a2'),
          io('Properties', asb('ContentType', 'application/pdf'), io('Data', 'JVBERi0xLjQKJcfsj6IK')),
        ),
      ),
    ),
  };
}
