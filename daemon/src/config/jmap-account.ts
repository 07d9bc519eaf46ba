import * as z from 'zod';
import { secretRefSchema, tlsOptionsSchema } from './account';
import { lazySchema } from './lazy-schema';

/**
 * A JMAP mail account (RFC 8620 / RFC 8621; issue 17), in a file of its own so the IMAP and JMAP
 * kinds can be added to account.ts's union without editing each other's lines. The common fields
 * are account.ts's `common()`, spelled out (that one is private there).
 */
export const jmapAccountSchema = lazySchema(() =>
  z
    .object({
      id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ - (max 64)'),
      name: z.string().optional(),
      enabled: z.boolean().default(true),
      tls: tlsOptionsSchema().optional(),
      /** HTTP(S) proxy URL for this account. */
      proxy: z.string().url().optional(),
      /** Web UI to open when a notification is clicked (web mail). */
      webUrl: z.string().url().optional(),
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
