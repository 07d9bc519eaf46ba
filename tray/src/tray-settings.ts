import { z } from 'zod';

/**
 * The little the tray keeps for itself, in its own file under Electron's userData. Everything
 * about notifications (rules, quiet hours, pause) lives in the daemon, whose hub applies it to
 * the tray's subscription as to every other sink.
 */
export const TraySettings = z
  .object({
    /** Start the tray when the user logs in (app.setLoginItemSettings / XDG autostart). */
    openAtLogin: z.boolean().default(false),
  })
  .strict();
export type TraySettings = z.infer<typeof TraySettings>;

/** First "path: message" of a zod error, for one-line messages. */
export function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  return { field: issue ? issue.path.join('.') : '', message: issue ? issue.message : 'invalid value' };
}
