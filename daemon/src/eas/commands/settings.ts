import { int, ns, path, type WbxmlElement } from '@tidings/wbxml/core';
import type { EasConnection } from '../connection';
import { commonStatusError, EasError, EasStatusError } from '../errors';

const s = ns('Settings');

/** DeviceInformation we send (MS-ASCMD 2.2.3.46): honest, no IMEI or phone number. */
export interface DeviceInformation {
  model: string;
  friendlyName: string;
  os: string;
  osLanguage: string;
  userAgent: string;
}

/** The `settings:DeviceInformation` element, shared by Settings and Provision (14.1+). */
export function deviceInformationElement(info: DeviceInformation): WbxmlElement {
  return s(
    'DeviceInformation',
    s(
      'Set',
      s('Model', info.model),
      s('FriendlyName', info.friendlyName),
      s('OS', info.os),
      s('OSLanguage', info.osLanguage),
      s('UserAgent', info.userAgent),
    ),
  );
}

/**
 * Settings with DeviceInformation Set: how 12.1 and 14.0 tell the server what the device is
 * (14.1+ put it inside Provision, MS-ASPROV 3.1.5.1.1). Status 1 or throws.
 */
export async function run(
  conn: EasConnection,
  params: { info: DeviceInformation; signal?: AbortSignal },
): Promise<void> {
  const res = await conn.send(
    'Settings',
    s('Settings', deviceInformationElement(params.info)),
    params.signal ? { signal: params.signal } : {},
  );
  if (!res) throw new EasError('EAS_ERR_BAD_RESPONSE', 'Settings: empty response', { command: 'Settings' });
  const status = int(res, 'Status') ?? int(path(res, 'DeviceInformation'), 'Status');
  if (status === 1) return;
  if (status === undefined)
    throw new EasError('EAS_ERR_BAD_RESPONSE', 'Settings: no Status', { command: 'Settings' });
  throw (
    commonStatusError('Settings', status) ??
    new EasStatusError('EAS_ERR_STATUS', `Settings: Status ${status}`, {
      command: 'Settings',
      easStatus: status,
    })
  );
}
