import { all, child, int, isElement, ns, path, text, type WbxmlElement } from '@tidings/wbxml/core';
import type { EasConnection } from '../connection';
import { commonStatusError, EasError, EasStatusError } from '../errors';
import { atLeast } from '../versions';
import { type DeviceInformation, deviceInformationElement } from './settings';

const p = ns('Provision');
/** MS-ASPROV 2.2.2.43: the WBXML policy format of 12.0 and later. */
const POLICY_TYPE = 'MS-EAS-Provisioning-WBXML';

export interface ProvisionResult {
  /** Final policy key; undefined when the server has no policy for us (Policy Status 2). */
  policyKey: string | undefined;
  /** Policy settings Tidings cannot enforce, reported to the user (and to the server as Status 3). */
  unmet: string[];
  /** A wipe the server requested and we acknowledged. The caller forgets the account. */
  wipe?: 'device' | 'account';
}

/**
 * Settings that ask the device itself to be locked down or wiped. Tidings keeps no mail on disk
 * and does not manage the machine, so it cannot honour these; it says so instead of pretending.
 * (MS-ASPROV 2.2.2.* — the value that demands something, per element.)
 */
const DEMANDS: Record<string, (v: string) => boolean> = {
  DevicePasswordEnabled: (v) => v === '1',
  AlphanumericDevicePasswordRequired: (v) => v === '1',
  RequireDeviceEncryption: (v) => v === '1',
  RequireStorageCardEncryption: (v) => v === '1',
  MaxDevicePasswordFailedAttempts: (v) => v !== '' && v !== '0',
  MaxInactivityTimeDeviceLock: (v) => v !== '' && v !== '0' && v !== '9999',
  RequireSignedSMIMEMessages: (v) => v === '1',
  RequireEncryptedSMIMEMessages: (v) => v === '1',
};

/** Names of the policy settings in an EASProvisionDoc that Tidings cannot honour. */
export function unmetPolicies(doc: WbxmlElement | undefined): string[] {
  if (!doc) return [];
  const out: string[] = [];
  for (const c of doc.children) {
    if (!isElement(c)) continue;
    const demands = DEMANDS[c.tag];
    if (demands?.(text(doc, c.tag)?.trim() ?? '')) out.push(c.tag);
  }
  return out;
}

function check(res: WbxmlElement | undefined, phase: string): WbxmlElement {
  if (res?.tag !== 'Provision') {
    throw new EasError('EAS_ERR_BAD_RESPONSE', `Provision (${phase}): no Provision element`, {
      command: 'Provision',
    });
  }
  const status = int(res, 'Status');
  if (
    status === 1 ||
    (status === undefined && (has(res, 'RemoteWipe') || has(res, 'AccountOnlyRemoteWipe')))
  ) {
    return res;
  }
  if (status !== undefined && status >= 100) {
    const e = commonStatusError('Provision', status);
    if (e) throw e;
  }
  throw new EasStatusError(
    'EAS_ERR_PROVISION',
    `Provision (${phase}) failed with Status ${status ?? 'missing'}`,
    {
      command: 'Provision',
      easStatus: status ?? 0,
    },
  );
}

function has(parent: WbxmlElement, tag: string): boolean {
  return child(parent, tag, 'Provision') !== undefined;
}

/**
 * Provision (MS-ASPROV 3.1.5.1): phase one asks for the policy and gets a temporary key, phase
 * two acknowledges it and gets the final key. A server without a policy for us answers Policy
 * Status 2, which ends provisioning. A RemoteWipe or AccountOnlyRemoteWipe is acknowledged
 * (a device wipe as failed — Tidings never wipes a computer) and reported to the caller.
 */
export async function run(
  conn: EasConnection,
  params: { deviceInfo?: DeviceInformation; signal?: AbortSignal } = {},
): Promise<ProvisionResult> {
  const opts = params.signal ? { signal: params.signal } : {};
  const withInfo = params.deviceInfo && atLeast(conn.version, '14.1');
  const first = check(
    await conn.send(
      'Provision',
      p(
        'Provision',
        withInfo && params.deviceInfo && deviceInformationElement(params.deviceInfo),
        p('Policies', p('Policy', p('PolicyType', POLICY_TYPE))),
      ),
      opts,
    ),
    'request',
  );

  // MS-ASPROV 3.1.5.1.2.1/2: acknowledge the wipe with its own element. Status 1 = done,
  // 2 = failed; an account-only wipe we perform (the caller deletes state and secret), a device
  // wipe we do not.
  const wipe = has(first, 'AccountOnlyRemoteWipe')
    ? 'account'
    : has(first, 'RemoteWipe')
      ? 'device'
      : undefined;
  if (wipe) {
    const tag = wipe === 'account' ? 'AccountOnlyRemoteWipe' : 'RemoteWipe';
    await conn.send('Provision', p('Provision', p(tag, p('Status', wipe === 'account' ? 1 : 2))), opts);
    conn.log.warn({ wipe }, 'server requested a remote wipe; acknowledged');
    return { policyKey: undefined, unmet: [], wipe };
  }

  const policy = path(first, 'Policies', 'Policy');
  const policyStatus = int(policy, 'Status');
  if (policyStatus === 2) return { policyKey: undefined, unmet: [] };
  const tempKey = text(policy, 'PolicyKey')?.trim();
  if (policyStatus !== 1 || !tempKey) {
    throw new EasStatusError('EAS_ERR_PROVISION', `Provision: Policy Status ${policyStatus ?? 'missing'}`, {
      command: 'Provision',
      easStatus: policyStatus ?? 0,
    });
  }
  const unmet = unmetPolicies(child(child(policy, 'Data', 'Provision'), 'EASProvisionDoc', 'Provision'));
  // MS-ASPROV 2.2.2.54.1: 1 = applied, 3 = "did not apply the policy at all". We send 3 when the
  // policy demands what we cannot do; the server then decides (Exchange: AllowNonProvisionableDevices).
  const ack = check(
    await conn.send(
      'Provision',
      p(
        'Provision',
        p(
          'Policies',
          p(
            'Policy',
            p('PolicyType', POLICY_TYPE),
            p('PolicyKey', tempKey),
            p('Status', unmet.length ? 3 : 1),
          ),
        ),
      ),
      opts,
    ),
    'acknowledgement',
  );
  const finalPolicy = all(child(ack, 'Policies'), 'Policy')[0];
  const finalKey = text(finalPolicy, 'PolicyKey')?.trim();
  const finalStatus = int(finalPolicy, 'Status');
  if (finalStatus !== 1 || !finalKey) {
    throw new EasStatusError(
      'EAS_ERR_PROVISION',
      `Provision acknowledgement: Policy Status ${finalStatus ?? 'missing'}`,
      {
        command: 'Provision',
        easStatus: finalStatus ?? 0,
      },
    );
  }
  return { policyKey: finalKey, unmet };
}
