import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diffAccounts } from '../../src/config/diff';
import { ConfigError } from '../../src/config/errors';
import { configJsonSchemaText, SCHEMA_FILE } from '../../src/config/json-schema';
import { loadConfig, parseConfig } from '../../src/config/load';
import { configDir, resolveConfigPath, stateDir } from '../../src/config/paths';
import { configSchema } from '../../src/config/schema';
import { addAccountToFile, removeAccountFromFile } from '../../src/config/write';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tidings-config-'));
  dirs.push(d);
  return d;
}

const eas = { id: 'work', kind: 'exchange', email: 'me@example.org' };
const dav = {
  id: 'cal',
  kind: 'caldav',
  url: 'https://dav.example.org/',
  username: 'me',
  secret: { env: 'DAV_PASS' },
};

function caught(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config validation', () => {
  it('accepts a minimal file and fills defaults', () => {
    const c = parseConfig(JSON.stringify({ accounts: [eas] }), '/x/config.json');
    expect(c.logLevel).toBe('info');
    expect(c.accounts[0]).toMatchObject({
      id: 'work',
      enabled: true,
      auth: { type: 'basic', secret: { keyring: true } },
    });
    expect(c.notifications.coalesceMs).toBe(2000);
  });

  it('names the file, the field path and the reason', () => {
    const bad = { accounts: [eas, { ...dav, url: '', username: 'me' }] };
    const err = caught(() => parseConfig(JSON.stringify(bad), '/home/me/.config/tidings/config.json'));
    expect(err.code).toBe('CONFIG_ERR_INVALID');
    expect(err.message).toMatch(/^\/home\/me\/\.config\/tidings\/config\.json: accounts\[1\]\.url: /);
    expect(err.issues[0]).toMatchObject({ path: 'accounts[1].url' });
  });

  it('refuses unknown keys (a typo must not be ignored silently)', () => {
    const err = caught(() => parseConfig(JSON.stringify({ acounts: [] }), 'c.json'));
    expect(err.code).toBe('CONFIG_ERR_INVALID');
    expect(err.message).toContain('acounts');
  });

  it('refuses the same account id twice, naming the second', () => {
    const err = caught(() => parseConfig(JSON.stringify({ accounts: [eas, { ...eas }] }), 'c.json'));
    expect(err.issues.map((i) => i.path)).toContain('accounts[1].id');
    expect(err.message).toContain('used twice');
  });

  it('refuses a secret written into the config (only keyring, command or env)', () => {
    const err = caught(() =>
      parseConfig(JSON.stringify({ accounts: [{ ...dav, secret: { password: 'hunter2' } }] }), 'c.json'),
    );
    expect(err.issues[0]?.path).toBe('accounts[0].secret');
    expect(err.message).not.toContain('hunter2');
  });

  it('reports JSON syntax errors with line and column when V8 gives a position', () => {
    const err = caught(() => parseConfig('{\n  "accounts": [,]\n}', 'c.json'));
    expect(err.code).toBe('CONFIG_ERR_PARSE');
    expect(err.message).toMatch(/^c\.json: not valid JSON/);
  });

  it('loadConfig says CONFIG_ERR_NOT_FOUND for a missing file', async () => {
    const err = await loadConfig(join(temp(), 'none.json')).catch((e: unknown) => e);
    expect((err as ConfigError).code).toBe('CONFIG_ERR_NOT_FOUND');
  });
});

describe('issue 13 §4: a config another user can write is refused', () => {
  const config = JSON.stringify({ accounts: [dav] });

  async function refusal(file: string): Promise<ConfigError> {
    const err = await loadConfig(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }

  it('refuses a group- or world-writable file, naming the chmod that fixes it', async () => {
    const dir = temp();
    const file = join(dir, 'config.json');
    writeFileSync(file, config);
    chmodSync(file, 0o666);
    const err = await refusal(file);
    expect(err.code).toBe('CONFIG_ERR_PERMISSIONS');
    expect(err.message).toContain(`the config file ${file} is writable by group and others (mode 0666)`);
    expect(err.message).toContain(`chmod go-w '${file}'`);
    chmodSync(file, 0o620);
    expect((await refusal(file)).message).toContain('writable by group (mode 0620)');
    // The fix the message names makes it load.
    chmodSync(file, 0o600);
    expect((await loadConfig(file)).accounts.map((a) => a.id)).toEqual(['cal']);
    chmodSync(file, 0o644); // readable by others is fine: the config holds no secrets
    expect((await loadConfig(file)).accounts).toHaveLength(1);
  });

  it('refuses a config directory writable by others (the file could be swapped)', async () => {
    const dir = temp();
    const file = join(dir, 'config.json');
    writeFileSync(file, config, { mode: 0o600 });
    chmodSync(dir, 0o777);
    const err = await refusal(file);
    expect(err.code).toBe('CONFIG_ERR_PERMISSIONS');
    expect(err.message).toContain(`the config directory ${dir} is writable by group and others (mode 0777)`);
    expect(err.message).toContain(`chmod go-w '${dir}'`);
    chmodSync(dir, 0o755);
    expect((await loadConfig(file)).accounts).toHaveLength(1);
  });

  it('refuses a file owned by another user (needs root to plant one)', async (ctx) => {
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') throw new Error('this test needs root in CI (chown to another uid)');
      console.log('skipped: planting a file owned by another uid needs root');
      return ctx.skip();
    }
    // A file of root's is allowed (as OpenSSH allows); one of uid 65534 is not ours.
    const dir = temp();
    const file = join(dir, 'config.json');
    writeFileSync(file, config, { mode: 0o600 });
    chownSync(file, 65534, 65534);
    const err = await refusal(file);
    expect(err.code).toBe('CONFIG_ERR_PERMISSIONS');
    expect(err.message).toContain(`belongs to uid 65534`);
    expect(err.message).toContain(`chown 0 '${file}'`);
  });
});

describe('config paths', () => {
  it('follows XDG on Linux, Application Support on macOS, APPDATA on Windows', () => {
    expect(configDir({ platform: 'linux', env: { XDG_CONFIG_HOME: '/x' }, home: '/h' })).toBe('/x/tidings');
    expect(configDir({ platform: 'linux', env: {}, home: '/h' })).toBe('/h/.config/tidings');
    expect(configDir({ platform: 'darwin', env: {}, home: '/Users/a' })).toBe(
      '/Users/a/Library/Application Support/Tidings',
    );
    expect(
      configDir({
        platform: 'win32',
        env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' },
        home: 'C:\\Users\\a',
      }),
    ).toContain('Tidings');
    expect(stateDir({ platform: 'linux', env: { XDG_STATE_HOME: '/s' }, home: '/h' })).toBe('/s/tidings');
  });

  it('lets --config win over TIDINGS_CONFIG over the default', () => {
    const p = { platform: 'linux' as const, env: { TIDINGS_CONFIG: '/env.json' }, home: '/h' };
    expect(resolveConfigPath('/flag.json', p)).toBe('/flag.json');
    expect(resolveConfigPath(undefined, p)).toBe('/env.json');
    expect(resolveConfigPath(undefined, { ...p, env: {} })).toBe('/h/.config/tidings/config.json');
  });
});

describe('reload diff', () => {
  it('restarts only accounts whose entry changed', () => {
    const before = configSchema().parse({ accounts: [eas, dav] }).accounts;
    const after = configSchema().parse({
      accounts: [eas, { ...dav, username: 'other' }, { ...eas, id: 'new' }],
    }).accounts;
    const d = diffAccounts(before, after);
    expect(d.unchanged).toEqual(['work']);
    expect(d.changed.map((a) => a.id)).toEqual(['cal']);
    expect(d.added.map((a) => a.id)).toEqual(['new']);
    expect(diffAccounts(after, before).removed).toEqual(['new']);
  });
});

describe('editing the file', () => {
  it('adds and removes accounts, keeping the file valid and private', async () => {
    const file = join(temp(), 'tidings', 'config.json');
    await addAccountToFile(file, configSchema().parse({ accounts: [eas] }).accounts[0]!);
    expect((await loadConfig(file)).accounts.map((a) => a.id)).toEqual(['work']);
    const dup = await addAccountToFile(file, configSchema().parse({ accounts: [eas] }).accounts[0]!).catch(
      (e: unknown) => e,
    );
    expect((dup as ConfigError).code).toBe('CONFIG_ERR_DUPLICATE_ACCOUNT');
    await removeAccountFromFile(file, 'work');
    expect((await loadConfig(file)).accounts).toEqual([]);
    const none = await removeAccountFromFile(file, 'work').catch((e: unknown) => e);
    expect((none as ConfigError).code).toBe('CONFIG_ERR_NO_SUCH_ACCOUNT');
  });

  it('refuses to edit a file that does not validate (never makes it worse)', async () => {
    const file = join(temp(), 'config.json');
    writeFileSync(file, '{"accounts": "oops"}');
    const err = await addAccountToFile(file, configSchema().parse({ accounts: [eas] }).accounts[0]!).catch(
      (e: unknown) => e,
    );
    expect((err as ConfigError).code).toBe('CONFIG_ERR_INVALID');
    expect(readFileSync(file, 'utf8')).toBe('{"accounts": "oops"}');
  });
});

describe('published JSON Schema', () => {
  it(`${SCHEMA_FILE} is up to date with the zod schema (npm run gen:schema)`, () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', '..', SCHEMA_FILE), 'utf8');
    expect(committed).toBe(configJsonSchemaText());
  });

  it('describes accounts as a oneOf of the account kinds and forbids unknown keys', () => {
    const schema = JSON.parse(configJsonSchemaText());
    expect(schema.additionalProperties).toBe(false);
    const kinds = (schema.properties.accounts.items.oneOf ?? schema.properties.accounts.items.anyOf) as {
      properties: { kind: { const?: string; enum?: string[] } };
    }[];
    expect(kinds.flatMap((k) => k.properties.kind.enum ?? [k.properties.kind.const])).toEqual([
      'exchange',
      'caldav',
      'carddav',
      'imap',
      'jmap',
    ]);
  });
});
