import * as z from 'zod';
import { secretRefSchema } from './account';
import { lazySchema } from './lazy-schema';

/**
 * The `notifications` section of the config file: how the hub coalesces, mutes, routes and
 * quietens signals, and the sinks it fans out to (docs/daemon-state.md, "Hub" and "Sinks").
 * No transforms here, so the section converts to JSON Schema with the rest of the config.
 */

const COLLECTIONS = ['mail', 'calendar', 'contacts', 'tasks'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A local wall-clock time, 24-hour `HH:MM`. */
const localTime = () => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time as HH:MM (24-hour)');

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A sink name: `desktop`, or an exec hook's / webhook's own name. */
const sinkName = () =>
  z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ - (max 64)');

export const quietHoursConfigSchema = lazySchema(() =>
  z
    .object({
      /** Quiet from this local time … */
      start: localTime(),
      /** … until this one; an end before the start spans midnight (22:00–07:00). */
      end: localTime(),
      /** Days on which a quiet window starts; a window across midnight ends on the next day. Default: every day. */
      days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
      /** IANA time zone (Europe/Berlin); default: the system's. */
      timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Berlin').optional(),
      /**
       * What people-facing sinks get meanwhile: `hold` keeps one summary per folder and delivers it
       * when quiet hours end; `drop` discards (unseen counts still grow). Hooks are never held.
       */
      during: z.enum(['hold', 'drop']).default('hold'),
    })
    .strict()
    .refine((q) => q.start !== q.end, { path: ['end'], message: 'end must differ from start' }),
);
export type QuietHoursConfig = z.infer<ReturnType<typeof quietHoursConfigSchema>>;

export const ruleConfigSchema = lazySchema(() =>
  z
    .object({
      /** Shown in logs and diagnostics. */
      name: z.string().optional(),
      /** Account id; `*` and `?` globs. Absent: every account. */
      account: z.string().min(1).optional(),
      /** Folder display name or server id, case-insensitive; `*` and `?` globs. Absent: every folder. */
      folder: z.string().min(1).optional(),
      collection: z.union([z.enum(COLLECTIONS), z.array(z.enum(COLLECTIONS)).min(1)]).optional(),
      /** Drop this folder's signals entirely: no notification, no hook, no unseen count. */
      mute: z.boolean().default(false),
      /** Keep only items whose sender/organizer matches one of these addresses or globs (`*@example.org`). */
      senders: z.array(z.string().min(1)).min(1).optional(),
      /** Only these sinks (`desktop`, hook and webhook names) get the signal; IPC subscribers always do. */
      sinks: z.array(sinkName()).optional(),
    })
    .strict(),
);
export type RuleConfig = z.infer<ReturnType<typeof ruleConfigSchema>>;

export const desktopSinkConfigSchema = lazySchema(() =>
  z
    .object({
      enabled: z.boolean().default(true),
      urgency: z.enum(['low', 'normal', 'critical']).default('normal'),
      /** How long the notification stays, seconds (the notification server may ignore it). */
      expireSeconds: z.number().int().min(1).max(3600).default(10),
    })
    .strict(),
);
export type DesktopSinkConfig = z.infer<ReturnType<typeof desktopSinkConfigSchema>>;

export const execHookConfigSchema = lazySchema(() =>
  z
    .object({
      name: sinkName(),
      /** argv, run without a shell: `["/usr/local/bin/on-mail", "--quiet"]`. */
      command: z.array(z.string().min(1)).min(1),
      /** Run `command[0]` through `/bin/sh -c` (then `command` must have exactly one element). */
      shell: z.boolean().default(false),
      /** Killed (SIGTERM, then SIGKILL 2 s later) when it runs longer, seconds. */
      timeoutSeconds: z.number().int().min(1).max(3600).default(30),
      /** Runs at once at most; further signals are coalesced per folder meanwhile. */
      maxConcurrent: z.number().int().min(1).max(64).default(2),
      /** Extra environment variables for the command. */
      env: z.record(z.string(), z.string()).optional(),
      cwd: z.string().optional(),
    })
    .strict()
    .refine((h) => !h.shell || h.command.length === 1, {
      path: ['command'],
      message: 'with shell: true, give the whole command line as one string',
    }),
);
export type ExecHookConfig = z.infer<ReturnType<typeof execHookConfigSchema>>;

export const webhookConfigSchema = lazySchema(() =>
  z
    .object({
      name: sinkName(),
      url: z
        .string()
        .url()
        .refine((u) => /^https?:$/.test(new URL(u).protocol), 'an http:// or https:// URL'),
      /** HMAC-SHA256 key for `X-Tidings-Signature`; fetched when needed, never logged. */
      secret: secretRefSchema().optional(),
      /** Per attempt, seconds. */
      timeoutSeconds: z.number().int().min(1).max(300).default(10),
      /** Attempts per signal before giving up (5xx, 408, 429, network errors are retried). */
      maxAttempts: z.number().int().min(1).max(20).default(5),
      /** Signals queued at most; beyond it the hub coalesces per folder. */
      queueSize: z.number().int().min(1).max(10_000).default(32),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
);
export type WebhookConfig = z.infer<ReturnType<typeof webhookConfigSchema>>;

export const sinksConfigSchema = lazySchema(() =>
  z
    .object({
      desktop: desktopSinkConfigSchema().prefault({}),
      exec: z.array(execHookConfigSchema()).default([]),
      webhooks: z.array(webhookConfigSchema()).default([]),
    })
    .strict()
    .superRefine((s, ctx) => {
      const seen = new Set<string>(['desktop']);
      const check = (kind: 'exec' | 'webhooks', name: string, i: number) => {
        if (seen.has(name))
          ctx.addIssue({
            code: 'custom',
            path: [kind, i, 'name'],
            message: `sink name "${name}" is used twice`,
          });
        seen.add(name);
      };
      for (const [i, h] of s.exec.entries()) check('exec', h.name, i);
      for (const [i, h] of s.webhooks.entries()) check('webhooks', h.name, i);
    }),
);
export type SinksConfig = z.infer<ReturnType<typeof sinksConfigSchema>>;

export const notificationsConfigSchema = lazySchema(() =>
  z
    .object({
      /** Signals of one folder within this window become one signal, ms. 0 delivers at once. */
      coalesceMs: z.number().int().min(0).max(60_000).default(2_000),
      /** Items kept per list (added/changed/removed) in a merged signal; the newest win. */
      maxItems: z.number().int().min(1).max(10_000).default(100),
      /** Per-collection switch: `{ "contacts": false }` silences every address book. */
      collections: z
        .object(
          Object.fromEntries(COLLECTIONS.map((c) => [c, z.boolean().default(true)])) as Record<
            (typeof COLLECTIONS)[number],
            z.ZodDefault<z.ZodBoolean>
          >,
        )
        .strict()
        .prefault({}),
      /** Per-folder rules; the first rule that matches a signal decides. */
      rules: z.array(ruleConfigSchema()).default([]),
      quietHours: quietHoursConfigSchema().optional(),
      /**
       * The tray runs this (sh -c) when a notification without a web URL is clicked: the user's
       * mail client (`thunderbird -mail`), with TIDINGS_ACCOUNT, TIDINGS_FOLDER … in its
       * environment. Not a bare mailto:, which opens a blank message (issue 16).
       */
      openCommand: z.string().trim().min(1).max(4096).optional(),
      sinks: sinksConfigSchema().prefault({}),
    })
    .strict()
    .superRefine((n, ctx) => {
      const names = new Set([
        'desktop',
        ...n.sinks.exec.map((h) => h.name),
        ...n.sinks.webhooks.map((h) => h.name),
      ]);
      n.rules.forEach((r, i) => {
        r.sinks?.forEach((name, j) => {
          if (!names.has(name))
            ctx.addIssue({
              code: 'custom',
              path: ['rules', i, 'sinks', j],
              message: `no sink named "${name}"`,
            });
        });
      });
    }),
);
export type NotificationsConfig = z.infer<ReturnType<typeof notificationsConfigSchema>>;
