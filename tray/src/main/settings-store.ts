import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TrayError } from '../errors';
import { firstIssue, TraySettings } from '../tray-settings';

/**
 * The tray's own settings file (quiet hours, notification rules, start at login) in Electron's
 * userData directory. Plain Node I/O so it is tested without Electron.
 */
export class SettingsStore {
  readonly #path: string;
  #current: TraySettings | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  /** Reads the file once; a missing file gives the defaults, a corrupt one is an error with the field. */
  async get(): Promise<TraySettings> {
    if (this.#current) return this.#current;
    let raw: unknown = {};
    try {
      raw = JSON.parse(await readFile(this.#path, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        throw new TrayError(
          'TRAY_ERR_INVALID_INPUT',
          `cannot read ${this.#path}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    const parsed = TraySettings.safeParse(raw);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error);
      throw new TrayError('TRAY_ERR_INVALID_INPUT', `${this.#path}: ${field}: ${message}`, { field });
    }
    this.#current = parsed.data;
    return parsed.data;
  }

  /** Validates and merges a change, then writes atomically (temp file + rename) so a crash leaves the old file. */
  async update(change: Partial<TraySettings>): Promise<TraySettings> {
    const next = TraySettings.safeParse({ ...(await this.get()), ...change });
    if (!next.success) {
      const { field, message } = firstIssue(next.error);
      throw new TrayError('TRAY_ERR_INVALID_INPUT', `${field}: ${message}`, { field });
    }
    await mkdir(dirname(this.#path), { recursive: true });
    const tmp = `${this.#path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(next.data, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.#path);
    this.#current = next.data;
    return next.data;
  }
}
