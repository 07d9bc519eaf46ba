import { describe, expect, it } from 'vitest';
import { HubError } from '../../src/hub/errors';
import { isPaused, resolvePause } from '../../src/hub/pause';

const NOW = Date.parse('2026-11-25T12:00:00Z');

function invalid(req: { until?: string; minutes?: number }): HubError {
  try {
    resolvePause(NOW, req);
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('HUB_ERR_PAUSE_INVALID');
    return err as HubError;
  }
  throw new Error('expected HUB_ERR_PAUSE_INVALID');
}

describe('pause', () => {
  it('resolves minutes and an ISO time to an end time', () => {
    expect(resolvePause(NOW, { minutes: 90 })).toBe(NOW + 90 * 60_000);
    expect(resolvePause(NOW, { until: '2026-11-25T18:00:00Z' })).toBe(Date.parse('2026-11-25T18:00:00Z'));
  });

  it('rejects neither, both, past, unparseable, non-positive and over-long requests', () => {
    expect(invalid({}).message).toContain('exactly one');
    expect(invalid({ minutes: 5, until: '2026-11-25T18:00:00Z' }).message).toContain('exactly one');
    expect(invalid({ until: '2026-11-25T11:00:00Z' }).message).toContain('in the past');
    expect(invalid({ until: 'tomorrow' }).message).toContain('not an ISO time');
    expect(invalid({ minutes: 0 }).message).toContain('positive');
    expect(invalid({ minutes: 8 * 24 * 60 }).message).toContain('7 days');
  });

  it('is in force until, not at, its end', () => {
    expect(isPaused(undefined, NOW)).toBe(false);
    expect(isPaused(NOW + 1, NOW)).toBe(true);
    expect(isPaused(NOW, NOW)).toBe(false);
  });
});
