import { randomBytes } from 'node:crypto';
import { hostname, platform, release } from 'node:os';
import type { DeviceInformation } from './commands/settings';
import { DEVICE_TYPE, USER_AGENT } from './transport';

/**
 * A new DeviceId: 32 alphanumerics (MS-ASHTTP 2.2.1.1.1.1.3 allows up to 32), random so two
 * installs never share one. The watcher stores it per account, so it stays stable for the
 * account's life on this install.
 */
export function newDeviceId(): string {
  return `TDG${randomBytes(16).toString('hex').toUpperCase().slice(0, 29)}`;
}

/** True for an id a server will accept. */
export function isValidDeviceId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9]{1,32}$/.test(id);
}

/** What we tell the server about this device (Provision 14.1+ / Settings 12.1–14.0). */
export function deviceInformation(host: string = hostname()): DeviceInformation {
  return {
    model: DEVICE_TYPE,
    friendlyName: `Tidings on ${host}`.slice(0, 64),
    os: `${platform()} ${release()}`,
    osLanguage: 'en',
    userAgent: USER_AGENT,
  };
}
