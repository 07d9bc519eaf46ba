import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Account } from './account';
import { ConfigError } from './errors';
import { parseConfig } from './load';
import type { Config } from './schema';

/**
 * Writes text atomically: temp file in the same directory, fsync, rename, fsync the directory
 * (write-file-atomic skips the last step; without it a crash can lose the rename).
 */
export async function writeFileAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (cause) {
    await unlink(tmp).catch(() => {});
    throw new ConfigError(
      'CONFIG_ERR_WRITE',
      file,
      `cannot write (${(cause as NodeJS.ErrnoException).code})`,
      {
        cause,
      },
    );
  }
  // Directory fsync is not supported on Windows; the rename is still atomic there.
  if (process.platform !== 'win32') {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

/** The file as JSON, or a fresh document when absent. Keeps keys the person wrote (comments in `$comment`). */
async function readRaw(file: string): Promise<Record<string, unknown>> {
  try {
    const text = await readFile(file, 'utf8');
    parseConfig(text, file); // refuse to edit a file that does not validate
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ConfigError && err.code === 'CONFIG_ERR_NOT_FOUND') return {};
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

/**
 * Applies an edit to the accounts list and writes the file back, validated before the write,
 * so `account add` can never leave a file the daemon refuses.
 */
export async function editAccounts(
  file: string,
  edit: (accounts: Record<string, unknown>[]) => Record<string, unknown>[],
): Promise<void> {
  const raw = await readRaw(file);
  const accounts = Array.isArray(raw.accounts) ? (raw.accounts as Record<string, unknown>[]) : [];
  const next = { ...raw, accounts: edit(accounts) };
  const text = `${JSON.stringify(next, null, 2)}\n`;
  parseConfig(text, file);
  await writeFileAtomic(file, text);
}

/**
 * Applies an edit to the `notifications` section (other sections and keys kept as written),
 * validates the whole file, writes it atomically and returns the parsed config.
 */
export async function editNotifications(
  file: string,
  edit: (section: Record<string, unknown>) => Record<string, unknown>,
): Promise<Config> {
  const raw = await readRaw(file);
  const section = (raw.notifications ?? {}) as Record<string, unknown>;
  const text = `${JSON.stringify({ ...raw, notifications: edit(section) }, null, 2)}\n`;
  const parsed = parseConfig(text, file);
  await writeFileAtomic(file, text);
  return parsed;
}

/** Adds an account entry; CONFIG_ERR_DUPLICATE_ACCOUNT when the id exists. */
export function addAccountToFile(file: string, account: Account): Promise<void> {
  return editAccounts(file, (accounts) => {
    if (accounts.some((a) => a.id === account.id))
      throw new ConfigError('CONFIG_ERR_DUPLICATE_ACCOUNT', file, `account "${account.id}" exists already`);
    return [...accounts, account as unknown as Record<string, unknown>];
  });
}

/** Removes an account entry; CONFIG_ERR_NO_SUCH_ACCOUNT when absent. */
export function removeAccountFromFile(file: string, id: string): Promise<void> {
  return editAccounts(file, (accounts) => {
    if (!accounts.some((a) => a.id === id))
      throw new ConfigError('CONFIG_ERR_NO_SUCH_ACCOUNT', file, `no account "${id}"`);
    return accounts.filter((a) => a.id !== id);
  });
}
