import { HubError } from './errors';

/** The longest pause we accept: a week. Longer is "disable the account", not "pause". */
export const MAX_PAUSE_MS = 7 * 24 * 3600_000;

/**
 * Turns a `pause` request (IPC `pause { until? minutes? }`) into an end time, ms since the
 * epoch. Exactly one of the two must be given and lie in the future, within a week.
 */
export function resolvePause(now: number, req: { until?: string; minutes?: number }): number {
  if ((req.until === undefined) === (req.minutes === undefined)) {
    throw new HubError('HUB_ERR_PAUSE_INVALID', 'pause needs exactly one of "until" (ISO time) or "minutes"');
  }
  let end: number;
  if (req.minutes !== undefined) {
    if (!Number.isFinite(req.minutes) || req.minutes <= 0) {
      throw new HubError(
        'HUB_ERR_PAUSE_INVALID',
        `pause minutes must be a positive number, got ${req.minutes}`,
      );
    }
    end = now + req.minutes * 60_000;
  } else {
    end = Date.parse(req.until as string);
    if (Number.isNaN(end))
      throw new HubError('HUB_ERR_PAUSE_INVALID', `pause until "${req.until}" is not an ISO time`);
    if (end <= now) throw new HubError('HUB_ERR_PAUSE_INVALID', `pause until ${req.until} is in the past`);
  }
  if (end - now > MAX_PAUSE_MS) {
    throw new HubError('HUB_ERR_PAUSE_INVALID', 'pause for at most 7 days; disable the account for longer');
  }
  return end;
}

/** True while a pause ending at `pausedUntil` is in force. */
export function isPaused(pausedUntil: number | undefined, now: number): boolean {
  return pausedUntil !== undefined && now < pausedUntil;
}
