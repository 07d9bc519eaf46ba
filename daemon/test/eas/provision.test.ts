import { child, int, path, text } from '@tidings/wbxml';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness, pingParked, sent, waitFor } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const deviceId = (x: Harness) => x.store.get<string>('work', 'eas.deviceId') ?? '';

describe('Provision (MS-ASPROV 3.1.5.1), versions and DeviceInformation', () => {
  it('two phases: temporary key, acknowledgement, final key on every later request; DeviceInformation inside (14.1)', async () => {
    h = await harness({ server: { requireProvision: true } });
    await pingParked(h);
    const [first, ack] = sent(h, 'Provision');
    expect(child(first?.body, 'DeviceInformation', 'Settings')).toBeDefined();
    expect(text(path(first?.body, 'DeviceInformation', 'Set'), 'Model')).toBe('Tidings');
    expect(int(path(ack?.body, 'Policies', 'Policy'), 'Status')).toBe(1);
    const finalKey = h.server.device('alice', deviceId(h)).policyKey;
    expect(finalKey).toBeDefined();
    expect(h.store.get('work', 'eas.policyKey')).toBe(finalKey);
    expect(sent(h, 'Ping').every((r) => r.policyKey === finalKey)).toBe(true);
    expect(sent(h, 'Settings')).toHaveLength(0);
    expect(deviceId(h)).toMatch(/^[A-Za-z0-9]{1,32}$/);
  });

  it('Policy Status 2 (no policy, as SOGo): provisioning stops, nothing more is asked', async () => {
    h = await harness();
    await pingParked(h);
    expect(sent(h, 'Provision')).toHaveLength(1);
    expect(h.store.get('work', 'eas.policy')).toBe('none');
    expect(h.store.get('work', 'eas.policyKey')).toBeUndefined();
    expect(sent(h, 'FolderSync')[0]?.policyKey).toBe('0');
  });

  it('12.1: DeviceInformation through Settings; HTTP 449 re-provisions and the command is retried', async () => {
    h = await harness({ server: { requireProvision: true, versions: ['12.1'] } });
    await pingParked(h);
    expect(sent(h, 'Ping').at(-1)?.version).toBe('12.1');
    expect(child(sent(h, 'Provision')[0]?.body, 'DeviceInformation', 'Settings')).toBeUndefined();
    expect(child(sent(h, 'Settings')[0]?.body, 'DeviceInformation')).toBeDefined();
    h.server.device('alice', deviceId(h)).policyKey = 'revoked';
    h.server.addMail('alice', { subject: 'after 449', from: 'a@b' });
    const s = await waitFor(() => h?.signals[0], 'signal');
    expect(s.added[0]?.title).toBe('after 449');
    expect(sent(h, 'Provision')).toHaveLength(4);
  });

  it('14.1: Status 144 (invalid policy key) re-provisions', async () => {
    h = await harness({ server: { requireProvision: true } });
    await pingParked(h);
    h.server.device('alice', deviceId(h)).policyKey = 'revoked';
    h.server.addMail('alice', { subject: 'after 144', from: 'a@b' });
    const s = await waitFor(() => h?.signals[0], 'signal');
    expect(s.added[0]?.title).toBe('after 144');
    expect(h.store.get('work', 'eas.policyKey')).toBe(h.server.device('alice', deviceId(h)).policyKey);
  });

  it('a server that never accepts the key: capped, EAS_ERR_PROVISION_LOOP, back-off (no loop)', async () => {
    h = await harness({ start: false, server: { requireProvision: true } });
    h.server.handlers.FolderSync = () => ({ status: 449 });
    h.watcher.start();
    const st = await waitFor(
      () => h?.watcher.status().state === 'backing-off' && h.watcher.status(),
      'back-off',
    );
    expect(st.lastError?.code).toBe('EAS_ERR_PROVISION_LOOP');
    expect(sent(h, 'FolderSync')).toHaveLength(3);
  });

  it('policies we cannot honour: acknowledged as not applied (Status 3) and the user is told which', async () => {
    h = await harness({
      server: {
        requireProvision: true,
        policy: { DevicePasswordEnabled: 1, RequireDeviceEncryption: 1, AllowCamera: 1 },
      },
    });
    await pingParked(h);
    const ack = sent(h, 'Provision')[1];
    expect(int(path(ack?.body, 'Policies', 'Policy'), 'Status')).toBe(3);
    expect(h.notices).toEqual([
      {
        level: 'warn',
        code: 'EAS_POLICY_UNMET',
        text: expect.stringContaining('DevicePasswordEnabled, RequireDeviceEncryption'),
      },
    ]);
  });

  it('AccountOnlyRemoteWipe: acknowledged (Status 1), account state and secret deleted, user told, disabled', async () => {
    h = await harness({ server: { requireProvision: true } });
    await pingParked(h);
    h.server.requestWipe('alice', 'account');
    h.server.addMail('alice', { subject: 'x', from: 'a@b' });
    const st = await waitFor(
      () => h?.watcher.status().state === 'disabled' && h.watcher.status(),
      'disabled',
    );
    expect(st.lastError?.code).toBe('EAS_ERR_REMOTE_WIPED');
    const dev = h.server.device('alice', sent(h, 'Ping')[0]?.deviceId ?? '');
    expect(dev.wipeAcknowledged).toBe('account');
    expect(dev.wipeStatus).toBe(1);
    expect(h.store.get('work', 'eas.deviceId')).toBeUndefined();
    expect(h.store.get('work', 'eas.syncKey.2')).toBeUndefined();
    expect(h.secretDeleted()).toBe(true);
    expect(h.notices.map((n) => n.code)).toEqual(['EAS_REMOTE_WIPE']);
    expect(h.signals).toEqual([]);
    expect(h.watcher.armedTimer).toBeUndefined();
  });

  it('RemoteWipe (whole device): never executed — acknowledged as failed (Status 2); account forgotten', async () => {
    h = await harness();
    await pingParked(h);
    h.server.requestWipe('alice', 'device');
    h.server.addMail('alice', { subject: 'x', from: 'a@b' });
    await waitFor(() => h?.watcher.status().state === 'disabled', 'disabled');
    const dev = h.server.device('alice', sent(h, 'Ping')[0]?.deviceId ?? '');
    expect(dev.wipeAcknowledged).toBe('device');
    expect(dev.wipeStatus).toBe(2);
    expect(h.notices[0]?.text).toMatch(/never wipes a computer/);
  });

  it('negotiates the highest common version from OPTIONS', async () => {
    h = await harness({ server: { versions: ['2.5', '12.0', '12.1', '14.0'] } });
    await pingParked(h);
    expect(new Set(h.server.requests.filter((r) => r.command !== 'OPTIONS').map((r) => r.version))).toEqual(
      new Set(['14.0']),
    );
    expect(sent(h, 'Settings')).toHaveLength(1);
  });

  it('16.1: speaks 16.1 and reads the 16.x event location', async () => {
    h = await harness();
    await pingParked(h);
    expect(sent(h, 'Ping').at(-1)?.version).toBe('16.1');
    h.server.addEvent('alice', { subject: 'Offsite', start: '2026-12-03T09:00:00Z', location: 'Lisbon' });
    const s = await waitFor(() => h?.signals[0], 'signal');
    expect(s.added[0]).toMatchObject({ title: 'Offsite', location: 'Lisbon', kind: 'new' });
  });

  it('no common version: disabled with EAS_ERR_NO_COMMON_VERSION', async () => {
    h = await harness({ server: { versions: ['2.5', '12.0'] } });
    const st = await waitFor(
      () => h?.watcher.status().state === 'disabled' && h.watcher.status(),
      'disabled',
    );
    expect(st.lastError?.code).toBe('EAS_ERR_NO_COMMON_VERSION');
    expect(st.lastError?.message).toContain('2.5, 12.0');
  });
});
