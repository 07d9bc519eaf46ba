import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { accountSchema } from '../../src/config/account';
import {
  commandSecret,
  envSecret,
  KEYRING_SERVICE,
  type KeyringBackend,
  keyringSecret,
  SecretError,
  secretForAccount,
  secretFromRef,
} from '../../src/secrets';
import { KEYRING_PROBE_ACCOUNT, probeKeyring } from '../../src/secrets/keyring';

const SECRET = 'correct-horse-battery-staple-7c1f';

function memoryKeyring(): KeyringBackend & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    get: async (s, a) => entries.get(`${s}/${a}`) ?? null,
    set: async (s, a, v) => {
      entries.set(`${s}/${a}`, v);
    },
    delete: async (s, a) => entries.delete(`${s}/${a}`),
  };
}

const deadKeyring: KeyringBackend = {
  get: async () => {
    throw new Error("Couldn't access platform storage: AccessDenied GenericFailure");
  },
  set: async () => {
    throw new Error("Couldn't access platform storage");
  },
  delete: async () => {
    throw new Error("Couldn't access platform storage");
  },
};

async function rejection(p: Promise<unknown>): Promise<SecretError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecretError);
  return err as SecretError;
}

describe('keyring secrets', () => {
  it('stores under service "tidings", account <id> and <id>:oauth-refresh', async () => {
    const kr = memoryKeyring();
    await keyringSecret('work', 'password', kr).set!(SECRET);
    await keyringSecret('work', 'oauth-refresh', kr).set!('refresh');
    expect([...kr.entries.keys()].sort()).toEqual([
      `${KEYRING_SERVICE}/work`,
      `${KEYRING_SERVICE}/work:oauth-refresh`,
    ]);
    expect(await keyringSecret('work', 'password', kr).get()).toBe(SECRET);
    await keyringSecret('work', 'password', kr).delete!();
    const err = await rejection(keyringSecret('work', 'password', kr).get());
    expect(err.code).toBe('SECRET_ERR_NOT_FOUND');
  });

  it('says to use a password command or env var when no keyring is reachable (headless)', async () => {
    const err = await rejection(keyringSecret('srv', 'password', deadKeyring).get());
    expect(err.code).toBe('SECRET_ERR_KEYRING_UNAVAILABLE');
    expect(err.message).toContain('"command"');
    expect(err.message).toContain('"env"');
    expect(err.accountId).toBe('srv');
  });

  it('tells "no keyring" from "no entry" when reads answer none and only writes fail (no Secret Service)', async () => {
    // @napi-rs/keyring without a Secret Service: get → null, delete → true, set throws.
    const writes: string[] = [];
    const readsNone: KeyringBackend = {
      get: async () => null,
      set: async (_s, a) => {
        writes.push(a);
        throw new Error("Couldn't access platform storage: AccessDenied GenericFailure");
      },
      delete: async () => true,
    };
    const err = await rejection(keyringSecret('srv', 'password', readsNone).get());
    expect(err.code).toBe('SECRET_ERR_KEYRING_UNAVAILABLE');
    expect(err.message).toContain('--password-command');
    expect(err.message).toContain('--password-env');
    expect(err.message).toContain('{"command": "…"}');
    expect(err.message).toContain('{"env": "VAR"}');
    expect(err.message).toContain("Couldn't access platform storage");
    expect(err.message).not.toContain('account add`');
    // The probe wrote its own entry, never the account's.
    expect(writes).toEqual([KEYRING_PROBE_ACCOUNT]);
  });

  it('an OAuth2 refresh token with no keyring says it needs one (it rotates), not a password command', async () => {
    const readsNone: KeyringBackend = {
      get: async () => null,
      set: async () => {
        throw new Error("Couldn't access platform storage");
      },
      delete: async () => true,
    };
    const err = await rejection(keyringSecret('m365', 'oauth-refresh', readsNone).get());
    expect(err.code).toBe('SECRET_ERR_KEYRING_UNAVAILABLE');
    expect(err.message).toContain('refresh token');
  });

  it('a reachable keyring without the entry is SECRET_ERR_NOT_FOUND, and the probe entry is gone again', async () => {
    const kr = memoryKeyring();
    const err = await rejection(keyringSecret('work', 'password', kr).get());
    expect(err.code).toBe('SECRET_ERR_NOT_FOUND');
    expect(err.message).toContain('tidings account add');
    expect(kr.entries.size).toBe(0);
  });

  it('a probe that never answers becomes KEYRING_UNAVAILABLE at its deadline', async () => {
    vi.useFakeTimers();
    try {
      const hangs: KeyringBackend = {
        get: async () => null,
        set: () => new Promise<void>(() => {}),
        delete: async () => true,
      };
      const got = probeKeyring(hangs, 5_000);
      await vi.advanceTimersByTimeAsync(5_000);
      const problem = await got;
      expect(problem?.message).toContain('no answer within 5 s');
    } finally {
      vi.useRealTimers();
    }
  });

  it('maps the real @napi-rs/keyring failure on this headless machine to the typed error', async () => {
    // No Secret Service on the bus here: the OS backend must fail with our code, not a raw native error.
    const got = await keyringSecret('tidings-test-probe')
      .get()
      .catch((e: unknown) => e);
    expect(got).toBeInstanceOf(SecretError);
    // With a session bus (a desktop) the keyring may be reachable and simply lack the entry;
    // without one (this CI's headless container) it must say "unreachable", not "not found".
    const headless = !process.env.DBUS_SESSION_BUS_ADDRESS && process.platform === 'linux';
    if (headless) expect((got as SecretError).code).toBe('SECRET_ERR_KEYRING_UNAVAILABLE');
    else
      expect(['SECRET_ERR_KEYRING_UNAVAILABLE', 'SECRET_ERR_NOT_FOUND']).toContain((got as SecretError).code);
  });
});

describe('password commands (sh -c, as mbsync PassCmd)', () => {
  it('returns the first line of stdout, shell syntax allowed', async () => {
    const s = commandSecret('a', `printf '%s\\nsecond line\\n' ${SECRET} | cat`);
    expect(await s.get()).toBe(SECRET);
  });

  it('fails with the exit code and withholds stderr (it may echo the secret)', async () => {
    const err = await rejection(commandSecret('a', `echo ${SECRET} >&2; exit 3`).get());
    expect(err.code).toBe('SECRET_ERR_COMMAND_FAILED');
    expect(err.message).toContain('exited with 3');
    expect(err.message).not.toContain(SECRET);
    expect(err.message).toContain('withheld');
  });

  it('kills a command that hangs (and its children) after the timeout', async () => {
    const err = await rejection(commandSecret('a', 'sleep 30 & sleep 30', { timeoutMs: 200 }).get());
    expect(err.code).toBe('SECRET_ERR_COMMAND_TIMEOUT');
  });

  it('refuses an empty first line', async () => {
    const err = await rejection(commandSecret('a', 'echo; echo later').get());
    expect(err.code).toBe('SECRET_ERR_EMPTY');
  });
});

describe('issue 13 §7: a password command runs once per session', () => {
  function counted() {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-passcmd-'));
    const runs = join(dir, 'runs');
    const count = () => {
      try {
        return readFileSync(runs, 'utf8').length;
      } catch {
        return 0;
      }
    };
    return { dir, runs, count, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('keeps the secret for the session: 500 requests, concurrent and sequential, one run', async () => {
    const t = counted();
    try {
      const source = secretFromRef('work', { command: `printf x >> '${t.runs}'; echo ${SECRET}` });
      const first = await Promise.all(Array.from({ length: 250 }, () => source.get()));
      for (let i = 0; i < 250; i++) expect(await source.get()).toBe(SECRET);
      expect(new Set(first)).toEqual(new Set([SECRET]));
      expect(t.count()).toBe(1);
      // After a 401 the daemon forgets it: exactly one more run, then kept again.
      source.forget?.();
      await Promise.all([source.get(), source.get(), source.get()]);
      expect(t.count()).toBe(2);
      // A new session (an account restarted on reload or new credentials) runs it once itself.
      const next = secretFromRef('work', { command: `printf x >> '${t.runs}'; echo ${SECRET}` });
      await next.get();
      await next.get();
      expect(t.count()).toBe(3);
    } finally {
      t.cleanup();
    }
  });

  it('does not keep a failure: the next request runs the command again', async () => {
    const t = counted();
    try {
      // Fails on its first run (the counter file is empty), succeeds after.
      const cmd = `test -s '${t.runs}'; ok=$?; printf x >> '${t.runs}'; [ $ok -eq 0 ] && echo ${SECRET}`;
      const source = secretFromRef('work', { command: cmd });
      await expect(source.get()).rejects.toMatchObject({ code: 'SECRET_ERR_COMMAND_FAILED' });
      expect(await source.get()).toBe(SECRET);
      expect(await source.get()).toBe(SECRET);
      expect(t.count()).toBe(2);
    } finally {
      t.cleanup();
    }
  });
});

describe('environment variables', () => {
  it('reads at each use and names an unset variable without a value', async () => {
    const env: NodeJS.ProcessEnv = {};
    const s = envSecret('a', 'TIDINGS_PW', env);
    const err = await rejection(s.get());
    expect(err.code).toBe('SECRET_ERR_ENV_UNSET');
    expect(err.message).toContain('TIDINGS_PW');
    env.TIDINGS_PW = SECRET;
    expect(await s.get()).toBe(SECRET);
  });
});

describe('secretForAccount', () => {
  it('picks the source the config names; OAuth2 refresh tokens always from the keyring', async () => {
    const kr = memoryKeyring();
    await kr.set(KEYRING_SERVICE, 'o365:oauth-refresh', 'rt');
    const oauth = accountSchema().parse({
      id: 'o365',
      kind: 'exchange',
      email: 'a@b.org',
      auth: { type: 'oauth2', clientId: 'c' },
    });
    expect(await secretForAccount(oauth, { keyring: kr }).get()).toBe('rt');
    const dav = accountSchema().parse({
      id: 'd',
      kind: 'carddav',
      url: 'https://x/',
      username: 'u',
      secret: { env: 'P' },
    });
    expect(await secretForAccount(dav, { env: { P: SECRET } }).get()).toBe(SECRET);
    expect(secretForAccount(dav, { env: {} }).set).toBeUndefined();
  });
});
