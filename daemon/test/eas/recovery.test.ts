import { describe, expect, it } from 'vitest';
import { EasError, type EasErrorCode } from '../../src/eas/errors';
import { recoveryFor } from '../../src/eas/recovery';

const of = (code: EasErrorCode) => recoveryFor(new EasError(code, code));

describe('recoveryFor: error → protocol-level next step (no watcher states)', () => {
  it('credentials problems wait for a new secret, never retry (no lock-out storm)', () => {
    expect(of('EAS_ERR_AUTH')).toEqual({ kind: 'wait-for-user', need: 'credentials' });
    expect(of('EAS_ERR_PASSWORD_EXPIRED')).toEqual({ kind: 'wait-for-user', need: 'credentials' });
  });

  it('a move to another origin waits for the user (issue 13)', () => {
    expect(of('EAS_ERR_MOVE_UNCONFIRMED')).toEqual({ kind: 'wait-for-user', need: 'move' });
  });

  it('refusals by the server or its policy wait until reload', () => {
    for (const code of [
      'EAS_ERR_FORBIDDEN',
      'EAS_ERR_ACCOUNT_BLOCKED',
      'EAS_ERR_POLICY_REFUSED',
      'EAS_ERR_NO_COMMON_VERSION',
      'EAS_ERR_NO_URL',
    ] as const)
      expect(of(code)).toEqual({ kind: 'wait-for-user', need: 'refused' });
  });

  it('wipe, lost state and slow faults each get their own step', () => {
    expect(of('EAS_ERR_REMOTE_WIPED')).toEqual({ kind: 'wiped' });
    expect(of('EAS_ERR_HIERARCHY_CHANGED')).toEqual({ kind: 'resync', reset: false });
    expect(of('EAS_ERR_SYNC_STATE')).toEqual({ kind: 'resync', reset: true });
    expect(of('EAS_ERR_MAILBOX_FULL')).toEqual({ kind: 'retry', baseMs: 300_000, capMs: 3_600_000 });
    expect(of('EAS_ERR_TOO_LARGE')).toEqual({ kind: 'retry', baseMs: 60_000, capMs: 3_600_000 });
  });

  it('anything else backs off from 2 s to 15 min', () => {
    expect(of('EAS_ERR_SERVER')).toEqual({ kind: 'retry', baseMs: 2_000, capMs: 900_000 });
    expect(of('EAS_ERR_TIMEOUT')).toEqual({ kind: 'retry', baseMs: 2_000, capMs: 900_000 });
  });
});
