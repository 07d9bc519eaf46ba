import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../../daemon/src/config/errors';
import { parseConfig } from '../../../daemon/src/config/load';
import type { QuietHoursConfig, RuleConfig } from '../../../daemon/src/config/rules';
import { writeFileAtomic } from '../../../daemon/src/config/write';
import type { IpcMethods } from '../../../daemon/src/ipc/protocol';
import { TrayError } from '../errors';

/** The daemon calls this module needs: where the config is, and "read it again". */
export interface ConfigDaemon {
  call<M extends 'status' | 'reload'>(
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

function asTrayError(err: unknown): unknown {
  if (!(err instanceof ConfigError)) return err;
  // The daemon's issue paths read "notifications.rules[0].folder"; that is the field to fix.
  const field = err.issues?.[0]?.path;
  return new TrayError('TRAY_ERR_INVALID_INPUT', err.message, { cause: err, ...(field ? { field } : {}) });
}

/**
 * Reads and edits the `notifications` section of the daemon's own config file — the one
 * source of truth the hub applies — then asks the daemon to reload it. The daemon's parser
 * validates the whole file before it is written, so the tray can never leave a file the
 * daemon refuses; other sections and keys the person wrote are kept as they are.
 */
export class DaemonNotificationConfig implements NotificationSettings {
  readonly #daemon: ConfigDaemon;

  constructor(daemon: ConfigDaemon) {
    this.#daemon = daemon;
  }

  async getRules(): Promise<RuleConfig[]> {
    return (await this.#read()).config.notifications.rules;
  }

  async getQuietHours(): Promise<QuietHoursConfig | null> {
    return (await this.#read()).config.notifications.quietHours ?? null;
  }

  async setRules(rules: RuleConfig[]): Promise<RuleConfig[]> {
    return (await this.#edit((n) => ({ ...n, rules }))).rules;
  }

  async setQuietHours(q: QuietHoursConfig | null): Promise<QuietHoursConfig | null> {
    const next = await this.#edit((n) => {
      const { quietHours: _old, ...rest } = n;
      return q === null ? rest : { ...rest, quietHours: q };
    });
    return next.quietHours ?? null;
  }

  async #read() {
    const status = await this.#daemon.call('status', {});
    const file = status.configPath;
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      const raw = text === undefined ? {} : (JSON.parse(text) as Record<string, unknown>);
      return { file, raw, demo: status.demo, config: parseConfig(text ?? '{}', file) };
    } catch (err) {
      throw asTrayError(err);
    }
  }

  async #edit(change: (n: Record<string, unknown>) => Record<string, unknown>) {
    const { file, raw, demo } = await this.#read();
    if (demo) {
      // A file with only notifications would end the demo and leave no account: add one first.
      throw new TrayError(
        'TRAY_ERR_INVALID_INPUT',
        'the daemon runs the demo (no config file yet); add an account first',
      );
    }
    const section = (raw.notifications ?? {}) as Record<string, unknown>;
    const text = `${JSON.stringify({ ...raw, notifications: change(section) }, null, 2)}\n`;
    let parsed: ReturnType<typeof parseConfig>;
    try {
      parsed = parseConfig(text, file);
      await writeFileAtomic(file, text);
    } catch (err) {
      throw asTrayError(err);
    }
    await this.#daemon.call('reload', {});
    return parsed.notifications;
  }
}
