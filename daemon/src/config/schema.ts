import * as z from 'zod';
import { LOG_LEVELS } from '../log';
import { accountSchema } from './account';
import { lazySchema } from './lazy-schema';
import { notificationsConfigSchema } from './rules';

/**
 * The whole config file (`config.json`). Published as a JSON Schema in
 * `build/config.schema.json` (generated from this by `npm run gen:schema`), so editors can
 * complete and check the file; `$schema` may point at it.
 */
export const configSchema = lazySchema(() =>
  z
    .object({
      $schema: z.string().optional(),
      /** A note for people (JSON has no comments); kept as written by every edit the CLI or tray makes. */
      $comment: z.string().optional(),
      /** pino level; `--log-level` overrides it for one run. */
      logLevel: z.enum(LOG_LEVELS).default('info'),
      ipc: z
        .object({
          /** Socket path (or `\\.\pipe\name` on Windows) instead of the per-user default. */
          path: z.string().min(1).optional(),
        })
        .strict()
        .optional(),
      accounts: z
        .array(accountSchema())
        .default([])
        .superRefine((accounts, ctx) => {
          const seen = new Set<string>();
          accounts.forEach((a, i) => {
            if (seen.has(a.id))
              ctx.addIssue({
                code: 'custom',
                path: [i, 'id'],
                message: `account id "${a.id}" is used twice`,
              });
            seen.add(a.id);
          });
        }),
      /** Coalescing, rules, quiet hours and sinks (config/rules.ts). */
      notifications: notificationsConfigSchema().prefault({}),
    })
    .strict(),
);
export type Config = z.infer<ReturnType<typeof configSchema>>;
/** The file as a person writes it (defaults not yet applied). */
export type ConfigInput = z.input<ReturnType<typeof configSchema>>;
