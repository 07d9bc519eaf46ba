import * as z from 'zod';
import { accountSchema } from '../config/account';
import { lazySchema } from '../config/lazy-schema';
import type { IpcMethod, IpcMethods } from './protocol';

const empty = lazySchema(() => z.object({}).strict());
const accountId = () => z.string().min(1).max(64);

/**
 * Runtime checks of every method's params, so a client that sends the wrong shape gets
 * JSON-RPC −32602 naming the field instead of a daemon-side TypeError. Typed against
 * protocol.ts: a params type that drifts from its schema fails to compile here. Each is built
 * on first use (lazy-schema.ts).
 */
export const paramSchemas: { [M in IpcMethod]: () => z.ZodType<IpcMethods[M]['params']> } = {
  hello: lazySchema(() =>
    z.object({ protocol: z.number().int(), client: z.string().min(1).max(64) }).strict(),
  ),
  status: empty,
  'accounts.list': empty,
  'accounts.add': lazySchema(() =>
    z.object({ account: accountSchema(), secret: z.string().min(1).optional() }).strict(),
  ),
  'accounts.remove': lazySchema(() => z.object({ id: accountId() }).strict()),
  'accounts.test': lazySchema(() =>
    z
      .object({
        id: accountId().optional(),
        account: accountSchema().optional(),
        secret: z.string().min(1).optional(),
      })
      .strict()
      .refine((p) => (p.id === undefined) !== (p.account === undefined), 'give either id or account'),
  ),
  'accounts.setSecret': lazySchema(() => z.object({ id: accountId(), secret: z.string().min(1) }).strict()),
  'accounts.acceptMove': lazySchema(() => z.object({ id: accountId() }).strict()),
  'items.markRead': lazySchema(() =>
    z
      .object({
        accountId: accountId(),
        folderId: z.string().min(1).max(256),
        // One Sync carries them all; a notification never stands for more than a window.
        itemIds: z.array(z.string().min(1).max(256)).min(1).max(100),
      })
      .strict(),
  ),
  'folders.list': lazySchema(() => z.object({ accountId: accountId() }).strict()),
  'folders.setWatched': lazySchema(() =>
    z.object({ accountId: accountId(), folderIds: z.array(z.string()) }).strict(),
  ),
  pause: lazySchema(() =>
    z
      .object({
        until: z.iso.datetime({ offset: true }).optional(),
        minutes: z.number().positive().optional(),
      })
      .strict(),
  ),
  resume: empty,
  markSeen: lazySchema(() => z.object({ accountId: accountId().optional() }).strict()),
  check: lazySchema(() => z.object({ accountId: accountId().optional() }).strict()),
  subscribe: lazySchema(() =>
    z.object({ replay: z.boolean().optional(), after: z.string().min(1).max(200).optional() }).strict(),
  ),
  reload: empty,
  shutdown: empty,
  'notifications.get': empty,
  // Shapes only; the daemon validates the merged section with the config schema (notificationsConfigSchema).
  'notifications.set': lazySchema(() =>
    z
      .object({
        coalesceMs: z.number().optional(),
        maxItems: z.number().optional(),
        collections: z.record(z.string(), z.boolean()).optional(),
        rules: z.array(z.record(z.string(), z.unknown())).optional(),
        quietHours: z.record(z.string(), z.unknown()).nullable().optional(),
      })
      .strict(),
  ),
} as { [M in IpcMethod]: () => z.ZodType<IpcMethods[M]['params']> };

/** Params as the client sent them; JSON-RPC allows omitting params, which we read as {}. */
export function checkParams<M extends IpcMethod>(
  method: M,
  params: unknown,
):
  | { ok: true; value: IpcMethods[M]['params'] }
  | { ok: false; message: string; issues: { path: string; reason: string }[] } {
  const r = paramSchemas[method]().safeParse(params ?? {});
  if (r.success) return { ok: true, value: r.data };
  const issues = r.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(params)',
    reason: i.message,
  }));
  // Issue messages from zod name the field and the rule, never the value (secrets travel here).
  return { ok: false, message: `invalid params: ${issues[0]?.path}: ${issues[0]?.reason}`, issues };
}
