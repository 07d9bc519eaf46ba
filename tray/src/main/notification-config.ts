import type { QuietHoursConfig, RuleConfig } from '../../../daemon/src/config/rules';
import type { IpcMethods } from '../../../daemon/src/ipc/protocol';

/** The daemon calls this module needs: read and change the `notifications` section. */
export interface ConfigDaemon {
  call<M extends 'notifications.get' | 'notifications.set'>(
    method: M,
    params: IpcMethods[M]['params'],
  ): Promise<IpcMethods[M]['result']>;
}

/** The notification settings the settings window edits. */
export interface NotificationSettings {
  getRules(): Promise<RuleConfig[]>;
  setRules(rules: RuleConfig[]): Promise<RuleConfig[]>;
  getQuietHours(): Promise<QuietHoursConfig | null>;
  setQuietHours(q: QuietHoursConfig | null): Promise<QuietHoursConfig | null>;
}

/**
 * Rules and quiet hours through the daemon's `notifications.get` / `notifications.set`: the
 * daemon validates the change with its config schema, writes its config file atomically (other
 * sections and keys kept as written) and applies it like a reload. The tray never touches the
 * file itself; a refused change comes back as TRAY_ERR_INVALID_INPUT naming the field.
 */
export class DaemonNotificationConfig implements NotificationSettings {
  readonly #daemon: ConfigDaemon;

  constructor(daemon: ConfigDaemon) {
    this.#daemon = daemon;
  }

  async getRules(): Promise<RuleConfig[]> {
    return (await this.#daemon.call('notifications.get', {})).rules;
  }

  async getQuietHours(): Promise<QuietHoursConfig | null> {
    return (await this.#daemon.call('notifications.get', {})).quietHours ?? null;
  }

  async setRules(rules: RuleConfig[]): Promise<RuleConfig[]> {
    return (await this.#daemon.call('notifications.set', { rules })).rules;
  }

  async setQuietHours(q: QuietHoursConfig | null): Promise<QuietHoursConfig | null> {
    return (await this.#daemon.call('notifications.set', { quietHours: q })).quietHours ?? null;
  }
}
