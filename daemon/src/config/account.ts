import * as z from 'zod';
import { lazySchema } from './lazy-schema';

/**
 * Account entries of the config file. Secrets are never stored here: `secret` says where to
 * fetch one (OS keyring, a command as mbsync/aerc's PassCmd, or an environment variable).
 */
export const secretRefSchema = lazySchema(() =>
  z.union([
    z.object({ keyring: z.literal(true) }).strict(),
    z.object({ command: z.string().min(1) }).strict(),
    z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }).strict(),
  ]),
);
export type SecretRef = z.infer<ReturnType<typeof secretRefSchema>>;

export const tlsOptionsSchema = lazySchema(() =>
  z
    .object({
      /** PEM file with extra CA certificates (enterprise CAs). Verification stays on. */
      ca: z.string().optional(),
      /** PEM client certificate and key files (certificate-based auth). */
      cert: z.string().optional(),
      key: z.string().optional(),
      /** Off only on explicit request; the daemon logs a warning on every connect. */
      rejectUnauthorized: z.boolean().default(true),
    })
    .strict(),
);
export type TlsOptions = z.infer<ReturnType<typeof tlsOptionsSchema>>;

const common = () => ({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ - (max 64)'),
  name: z.string().optional(),
  enabled: z.boolean().default(true),
  tls: tlsOptionsSchema().optional(),
  /** HTTP(S) proxy URL for this account. */
  proxy: z.string().url().optional(),
  /** Web UI to open when a notification is clicked (web mail / calendar). */
  webUrl: z.string().url().optional(),
});

export const easAccountSchema = lazySchema(() =>
  z
    .object({
      ...common(),
      kind: z.literal('exchange'),
      email: z.string().email(),
      /** Login name when it differs from the e-mail address (DOMAIN\\user or UPN). */
      username: z.string().optional(),
      /** EAS endpoint (https://host/Microsoft-Server-ActiveSync); found by Autodiscover when absent. */
      url: z.string().url().optional(),
      auth: z
        .discriminatedUnion('type', [
          z.object({ type: z.literal('basic'), secret: secretRefSchema() }).strict(),
          z
            .object({
              type: z.literal('oauth2'),
              clientId: z.string().min(1),
              tenant: z.string().default('common'),
              /** Override for tests / sovereign clouds. */
              authority: z.string().url().optional(),
              scope: z.string().default('https://outlook.office.com/EAS.AccessAsUser.All offline_access'),
            })
            .strict(),
        ])
        .default({ type: 'basic', secret: { keyring: true } }),
      /** Pin a protocol version instead of negotiating from OPTIONS. */
      protocolVersion: z.enum(['12.1', '14.0', '14.1', '16.0', '16.1']).optional(),
      /** Folder display names or server ids; default: Inbox, Calendar, Contacts (+ Tasks). */
      folders: z.array(z.string()).optional(),
      heartbeat: z
        .object({
          initial: z.number().int().min(60).max(3540).default(480),
          min: z.number().int().min(60).max(3540).default(60),
          max: z.number().int().min(60).max(3540).default(3540),
        })
        .strict()
        .optional(),
      /** What one answer may cost (issue 13); other answers are capped at 1 MB. */
      limits: z
        .object({
          /** Largest Sync answer, bytes (default 16 MiB). */
          syncBytes: z
            .number()
            .int()
            .min(64 * 1024)
            .max(1024 * 1024 * 1024)
            .optional(),
          /** Total deadline of every request but Ping, seconds (default 120). */
          requestTimeout: z.number().int().min(1).max(3600).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);
export type EasAccount = z.infer<ReturnType<typeof easAccountSchema>>;

export const davAccountSchema = lazySchema(() =>
  z
    .object({
      ...common(),
      kind: z.enum(['caldav', 'carddav']),
      /** Server URL or an e-mail address for RFC 6764 discovery. */
      url: z.string().min(1),
      username: z.string().min(1),
      secret: secretRefSchema().default({ keyring: true }),
      /** Collection hrefs or display names to watch; default: owned calendars/task lists, all address books. */
      collections: z.array(z.string()).optional(),
      /**
       * WebDAV-Push: the ntfy (UnifiedPush) topic URL the server POSTs to and the daemon listens on.
       * Use a long random topic name: anyone who knows it can read the pushes. Without it the
       * account polls.
       */
      push: z.object({ ntfy: z.string().url() }).strict().optional(),
      interval: z
        .object({
          /** Seconds; the floor that is fair to servers. */
          min: z.number().int().min(15).default(30),
          /** Seconds; set it above `min` for the adaptive schedule (fewer requests, later signals). */
          max: z.number().int().min(30).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);
export type DavAccount = z.infer<ReturnType<typeof davAccountSchema>>;

export const imapAccountSchema = lazySchema(() =>
  z
    .object({
      ...common(),
      kind: z.literal('imap'),
      /** The address mail is for; `account add imap` finds the server from it (RFC 6186). */
      email: z.string().email().optional(),
      /** IMAP server host name. */
      host: z.string().min(1),
      /** Default 993 with `tls`, 143 with `starttls`. */
      port: z.number().int().min(1).max(65535).optional(),
      /** Implicit TLS (RFC 8314) or STARTTLS; certificate verification stays on either way. */
      security: z.enum(['tls', 'starttls']).default('tls'),
      username: z.string().min(1),
      /** The password's source; with `oauth2` the refresh token lives in the keyring instead. */
      secret: secretRefSchema().default({ keyring: true }),
      /** XOAUTH2 / OAUTHBEARER with an access token from oauth/ (Gmail, Microsoft 365). */
      oauth2: z
        .object({
          /**
           * Who signs the person in. Default from `host`: Gmail's IMAP hosts → `google`, any
           * other → `microsoft` (what every config written before Google existed meant).
           */
          provider: z.enum(['microsoft', 'google']).optional(),
          /** Entra application (client) id, or a Google desktop client's id. */
          clientId: z.string().min(1),
          /**
           * Google desktop clients only: the client secret Google issues with them (it ships in
           * every copy of an app, so Google treats it as non-confidential). Default the
           * environment's `TIDINGS_GOOGLE_CLIENT_SECRET` or the build's.
           */
          clientSecret: z.string().min(1).optional(),
          /** Entra tenant (Microsoft only). */
          tenant: z.string().default('common'),
          /** Endpoint override (tests, sovereign clouds; oauth/providers.ts). */
          authority: z.string().url().optional(),
          /**
           * Default by provider: `https://outlook.office.com/IMAP.AccessAsUser.All offline_access`
           * (Microsoft) or `https://mail.google.com/` (Google).
           */
          scope: z.string().min(1).optional(),
        })
        .strict()
        .optional(),
      /** Mailboxes to watch (full names, e.g. "INBOX", "Lists/dev"); default INBOX. */
      mailboxes: z.array(z.string().min(1)).min(1).max(200).optional(),
      /**
       * Seconds between STATUS checks of the mailboxes other than INBOX when the server has no
       * NOTIFY (RFC 5465); default 120.
       */
      statusInterval: z.number().int().min(30).max(3600).optional(),
      /** Largest literal the server may send in one answer, bytes (default 4 MiB). */
      maxLiteralBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .max(256 * 1024 * 1024)
        .optional(),
    })
    .strict(),
);
export type ImapAccount = z.infer<ReturnType<typeof imapAccountSchema>>;

/** A JMAP mail account (RFC 8620 / RFC 8621; issue 17, docs/jmap.md). */
export const jmapAccountSchema = lazySchema(() =>
  z
    .object({
      ...common(),
      kind: z.literal('jmap'),
      /**
       * The server (https://host: the session is read from /.well-known/jmap, RFC 8620 §2.2) or
       * the session URL itself (https://api.fastmail.com/jmap/session). Redirects are followed
       * within this origin only: credentials never go to another one.
       */
      url: z.string().url(),
      /** Login name (Basic), or the address shown for the account. */
      username: z.string().min(1),
      /**
       * `basic`: user name + password from `secret`; `bearer`: a static token from `secret`
       * (Fastmail API tokens); `oauth2`: access tokens refreshed at `<authority>/token` with the
       * refresh token in `secret`.
       */
      auth: z
        .discriminatedUnion('type', [
          z.object({ type: z.literal('basic') }).strict(),
          z.object({ type: z.literal('bearer') }).strict(),
          z
            .object({
              type: z.literal('oauth2'),
              clientId: z.string().min(1),
              authority: z.string().url(),
              scope: z.string().min(1),
            })
            .strict(),
        ])
        .default({ type: 'basic' }),
      secret: secretRefSchema().default({ keyring: true }),
      /** Mailboxes to watch by name, role (inbox, junk …) or id; default the Inbox. */
      mailboxes: z.array(z.string().min(1)).min(1).max(100).optional(),
      /**
       * How to hear of changes: `auto` (WebSocket where the session offers push over it, else
       * EventSource), one of them only, or `off` (Email/changes every `interval` seconds).
       */
      push: z.enum(['auto', 'websocket', 'eventsource', 'off']).default('auto'),
      /** Seconds between push keep-alives (EventSource `ping`, WebSocket Core/echo). */
      ping: z.number().int().min(10).max(600).default(60),
      /** Seconds between Email/changes checks when there is no working push. */
      interval: z.number().int().min(15).max(3600).default(60),
    })
    .strict(),
);
export type JmapAccount = z.infer<ReturnType<typeof jmapAccountSchema>>;

export const accountSchema = lazySchema(() =>
  z.discriminatedUnion('kind', [
    easAccountSchema(),
    davAccountSchema(),
    imapAccountSchema(),
    jmapAccountSchema(),
  ]),
);
export type Account = z.infer<ReturnType<typeof accountSchema>>;

/**
 * How an account proves who it is, as people see it: `oauth2` signs in through a browser, `token`
 * is a static API token (JMAP `bearer`, e.g. a Fastmail API token), `basic` a password. Pure.
 */
export function accountAuthKind(account: Account): 'basic' | 'token' | 'oauth2' {
  switch (account.kind) {
    case 'exchange':
      return account.auth.type === 'oauth2' ? 'oauth2' : 'basic';
    case 'imap':
      return account.oauth2 ? 'oauth2' : 'basic';
    case 'jmap':
      return account.auth.type === 'oauth2' ? 'oauth2' : account.auth.type === 'bearer' ? 'token' : 'basic';
    default:
      return 'basic';
  }
}
