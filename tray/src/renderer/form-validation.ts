import { type Account, accountSchema } from '../../../daemon/src/config/account';
import {
  type QuietHoursConfig,
  quietHoursConfigSchema,
  type RuleConfig,
  ruleConfigSchema,
  type Weekday,
} from '../../../daemon/src/config/rules';

/** Field name → message, as the form shows them next to each field. */
export type FieldErrors = Record<string, string>;

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/** What the add-account form holds, as strings straight from its inputs. */
export interface AccountFormValues {
  kind: string;
  id: string;
  name: string;
  email: string;
  url: string;
  username: string;
  password: string;
  authType: string;
  /** JMAP only: `basic` (password) or `bearer` (an API token, e.g. Fastmail's). */
  jmapAuth: string;
  /** IMAP only: host name, port (empty: 993 / 143), `tls` or `starttls`. */
  host: string;
  port: string;
  security: string;
  /** IMAP and JMAP: mailboxes to watch, comma-separated (empty: the Inbox). */
  mailboxes: string;
  clientId: string;
  tenant: string;
  /** IMAP with `authType` `google` (Gmail): the desktop client's id and, optionally, its secret. */
  googleClientId: string;
  googleClientSecret: string;
  webUrl: string;
}

/** Friendlier words for zod's defaults on the fields people type. */
const MESSAGES: Record<string, (raw: string) => string> = {
  email: () => 'enter an e-mail address like name@example.org',
  url: (raw) =>
    raw
      ? 'enter a full URL starting with https://'
      : 'enter the server URL or an e-mail address for discovery',
  webUrl: () => 'enter a full URL starting with https://, or leave it empty',
  username: () => 'enter the user name for this server',
  host: () => 'enter the IMAP server host name, like imap.example.org',
  port: () => 'enter a port from 1 to 65535, or leave it empty for the usual one',
  mailboxes: () => 'enter mailbox names separated by commas, or leave it empty for the Inbox',
  'auth.clientId': () => 'enter the application (client) ID from your Microsoft Entra registration',
  googleClientId: () => 'enter the client ID of your Google desktop client (…apps.googleusercontent.com)',
};

const opt = (v: string) => (v.trim() === '' ? undefined : v.trim());

/**
 * Builds the account the daemon will store from the form, validated with the daemon's own
 * schema (daemon/src/config/account.ts) so the page and the daemon agree on every rule, and
 * the password kept apart: it goes to the keyring, never into the config.
 */
export function checkAccountForm(v: AccountFormValues): Checked<{ account: Account; secret?: string }> {
  const common = { id: v.id.trim(), name: opt(v.name), webUrl: opt(v.webUrl) };
  // Exchange and IMAP both sign in to Microsoft 365 through the browser (XOAUTH2 for IMAP);
  // no secret is typed then: the refresh token reaches the daemon after the sign-in.
  // Gmail: "Sign in with Google" (IMAP only); the client secret, when typed, goes to the config
  // (Google calls a desktop client's secret non-confidential), else the daemon's built-in one.
  const google = v.kind === 'imap' && v.authType === 'google';
  const oauth = ((v.kind === 'exchange' || v.kind === 'imap') && v.authType === 'oauth2') || google;
  const oauthSettings = {
    type: 'oauth2',
    clientId: v.clientId.trim(),
    ...(opt(v.tenant) ? { tenant: opt(v.tenant) } : {}),
  };
  const mailboxList = v.mailboxes
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  const mailboxes = mailboxList.length ? { mailboxes: mailboxList } : {};
  const portText = v.port.trim();
  // A port that is not a whole number stays a string, so the schema rejects it at `port`.
  const port = portText === '' ? {} : { port: /^\d+$/.test(portText) ? Number(portText) : portText };
  let raw: unknown;
  if (v.kind === 'exchange') {
    raw = {
      ...common,
      kind: 'exchange',
      email: v.email.trim(),
      username: opt(v.username),
      url: opt(v.url),
      auth: oauth ? oauthSettings : { type: 'basic', secret: { keyring: true } },
    };
  } else if (v.kind === 'imap') {
    const { type: _t, ...microsoft } = oauthSettings;
    const oauth2 = google
      ? {
          provider: 'google',
          clientId: v.googleClientId.trim(),
          ...(opt(v.googleClientSecret) ? { clientSecret: opt(v.googleClientSecret) } : {}),
        }
      : // Explicit, so a Microsoft 365 choice stays Microsoft whatever the host (imap.gmail.com → google).
        { provider: 'microsoft', ...microsoft };
    raw = {
      ...common,
      kind: 'imap',
      email: opt(v.email),
      host: v.host.trim(),
      ...port,
      security: v.security === 'starttls' ? 'starttls' : 'tls',
      // As `tidings account add imap`: the login name is the address unless given.
      username: opt(v.username) ?? v.email.trim(),
      secret: { keyring: true },
      ...(oauth ? { oauth2 } : {}),
      ...mailboxes,
    };
  } else if (v.kind === 'jmap') {
    raw = {
      ...common,
      kind: 'jmap',
      url: v.url.trim(),
      username: v.username.trim(),
      auth: { type: v.jmapAuth === 'bearer' ? 'bearer' : 'basic' },
      secret: { keyring: true },
      ...mailboxes,
    };
  } else {
    raw = {
      ...common,
      kind: v.kind,
      url: v.url.trim(),
      username: v.username.trim(),
      secret: { keyring: true },
    };
  }
  const errors: FieldErrors = {};
  const parsed = accountSchema().safeParse(JSON.parse(JSON.stringify(raw)));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      let field = issue.path.filter((p) => p !== 'secret' && p !== 'type' && typeof p !== 'number').join('.');
      // IMAP keeps its OAuth settings under `oauth2`; the form has one client id field.
      if (field === 'oauth2.clientId' && google) field = 'googleClientId';
      else if (field.startsWith('oauth2.')) field = `auth.${field.slice('oauth2.'.length)}`;
      if (errors[field]) continue;
      if (field === 'url' && v.kind === 'jmap') {
        errors.url = 'enter the JMAP server or session URL, like https://api.fastmail.com/jmap/session';
        continue;
      }
      if (field === 'username' && v.kind === 'imap') {
        errors.email = 'enter the e-mail address, or a user name below';
        continue;
      }
      const friendly = MESSAGES[field];
      const value = field === 'url' ? v.url.trim() : '';
      errors[field] = friendly ? friendly(value) : issue.message;
    }
  }
  const bearer = v.kind === 'jmap' && v.jmapAuth === 'bearer';
  if (!oauth && v.password === '')
    errors.password = bearer
      ? 'enter the API token (it is stored in the system keyring)'
      : 'enter the password (it is stored in the system keyring)';
  // A click opens only https (main's allow-list); say so here rather than ignore the link later.
  if (common.webUrl && !common.webUrl.startsWith('https://')) errors.webUrl ??= MESSAGES.webUrl!('');
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: oauth ? { account: parsed.data } : { account: parsed.data, secret: v.password } };
}

/** Quiet hours from the form, checked with the daemon's schema; off means none at all. */
export function checkQuietHours(v: {
  enabled: boolean;
  start: string;
  end: string;
  days: Weekday[];
  during: string;
}): Checked<QuietHoursConfig | null> {
  if (!v.enabled) return { ok: true, value: null };
  // No day ticked means every day: the schema wants the key left out rather than empty.
  const raw = { start: v.start, end: v.end, during: v.during, ...(v.days.length ? { days: v.days } : {}) };
  const parsed = quietHoursConfigSchema().safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? 'end');
    errors[name] ??=
      name === 'start' || name === 'end' ? (v[name] ? issue.message : 'enter a time') : issue.message;
  }
  return { ok: false, errors };
}

/**
 * One rule from the form, checked with the daemon's schema. Empty inputs mean "any"; a rule
 * must narrow something, and a silent rule cannot also filter senders (it drops the folder).
 */
export function checkRule(v: {
  accountId: string;
  collection: string;
  folder: string;
  from: string;
  action: string;
}): Checked<RuleConfig> {
  const senders = v.from
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  const mute = v.action === 'mute';
  const raw = {
    ...(opt(v.accountId) ? { account: opt(v.accountId) } : {}),
    ...(opt(v.collection) ? { collection: opt(v.collection) } : {}),
    ...(opt(v.folder) ? { folder: opt(v.folder) } : {}),
    ...(senders.length ? { senders } : {}),
    mute,
  };
  const errors: FieldErrors = {};
  if (!raw.account && !raw.collection && !raw.folder && !raw.senders) {
    errors.folder = 'choose at least one condition: account, kind, folder or sender';
  }
  if (mute && raw.senders) errors.from = 'a silent rule silences the whole folder; leave the sender empty';
  const parsed = ruleConfigSchema().safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path[0] === 'senders' ? 'from' : String(issue.path[0] ?? 'folder');
      errors[name] ??= issue.message;
    }
  }
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: parsed.data };
}
