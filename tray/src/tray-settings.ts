import { z } from 'zod';

/**
 * Settings the tray owns (not the daemon): when desktop notifications stay silent and which
 * signals become one. They live in the tray's own file because the tray is the process that
 * posts desktop notifications; the daemon's pause and quiet-hours flag are honoured on top.
 * The same schemas validate the settings form in the renderer and the IPC input in main.
 */

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use 24-hour time, e.g. 22:00');

/** Days are numbered as `Date#getDay()`: 0 = Sunday … 6 = Saturday. */
export const Weekday = z.number().int().min(0).max(6);

export const QuietHours = z
  .object({
    enabled: z.boolean(),
    /** Local time the quiet period starts; it may end the next day (22:00 → 07:00). */
    start: hhmm,
    end: hhmm,
    /** Days on which a quiet period may START; empty means every day. */
    days: z.array(Weekday).max(7).default([]),
  })
  .strict()
  .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] });
export type QuietHours = z.infer<typeof QuietHours>;

export const RuleAction = z.enum(['notify', 'mute']);

/** One rule: the first rule whose every given condition matches decides. */
export const Rule = z
  .object({
    accountId: z.string().min(1).optional(),
    collection: z.enum(['mail', 'calendar', 'contacts', 'tasks']).optional(),
    /** Folder display name or server id, compared case-insensitively. */
    folder: z.string().min(1).max(200).optional(),
    /** Substring of the sender / organizer, case-insensitive. */
    from: z.string().min(1).max(200).optional(),
    action: RuleAction,
  })
  .strict();
export type Rule = z.infer<typeof Rule>;

export const Rules = z.array(Rule).max(200);
export type Rules = z.infer<typeof Rules>;

export const TraySettings = z
  .object({
    quietHours: QuietHours.default({ enabled: false, start: '22:00', end: '07:00', days: [] }),
    rules: Rules.default([]),
    /** Start the tray when the user logs in (app.setLoginItemSettings). */
    openAtLogin: z.boolean().default(false),
  })
  .strict();
export type TraySettings = z.infer<typeof TraySettings>;

/** Minutes since local midnight of an "HH:MM" string already validated by QuietHours. */
export function minutesOf(hhmmValue: string): number {
  const [h, m] = hhmmValue.split(':');
  return Number(h) * 60 + Number(m);
}

/** First "path: message" of a zod error, for one-line messages. */
export function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  return { field: issue ? issue.path.join('.') : '', message: issue ? issue.message : 'invalid value' };
}
