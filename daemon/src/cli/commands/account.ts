import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountSchema } from '../../config/account';
import { loadConfig, toIssues } from '../../config/load';
import { addAccountToFile, removeAccountFromFile } from '../../config/write';
import { davUrlProblem } from '../../diagnose/dav-setup';
import { testAccountHere } from '../../diagnose/local';
import { IpcError } from '../../ipc/errors';
import type { TestResult } from '../../ipc/protocol';
import { keyringSecret, secretForAccount } from '../../secrets';
import { SqliteStore } from '../../store/sqlite-store';
import type { SecretSource } from '../../secrets/types';
import type { CommandContext } from '../command';
import { withDaemon } from '../client';
import { formatSteps } from '../checks-table';
import { CliError, EXIT } from '../errors';
import { requireKeyring } from '../keyring-check';
import { defaultClientId, M365_GUIDE, M365_GUIDE_URL } from '../oauth-client';
import { providerForHost } from '../../oauth';
import { googleClientDefaults } from '../../oauth/google-client';
import { checkOptionsOf, cliLog, stateDirOf } from '../local';
import { configPathOf } from '../paths';

const KINDS = ['exchange', 'caldav', 'carddav', 'imap', 'jmap'] as const;
type Kind = (typeof KINDS)[number];

/** Runs `fn` against the daemon when it runs, else `offline` (the CLI does the work itself). */
async function daemonOr<T>(
  ctx: CommandContext,
  online: Parameters<typeof withDaemon<T>>[1],
  offline: () => Promise<T>,
): Promise<T> {
  try {
    return await withDaemon(ctx, online);
  } catch (err) {
    if (err instanceof IpcError && err.code === 'IPC_ERR_NOT_RUNNING') return offline();
    throw err;
  }
}

async function value(
  ctx: CommandContext,
  flag: string,
  question: string,
  required: boolean,
): Promise<string | undefined> {
  const v = ctx.flags[flag];
  if (typeof v === 'string' && v !== '') return v;
  if (ctx.ask) {
    const answer = await ctx.ask(question);
    if (answer !== '') return answer;
  }
  if (required)
    throw new CliError('CLI_ERR_MISSING', `--${flag} is required (no terminal to ask on)`, {
      command: 'account add',
    });
  return undefined;
}

/** Account ids are lowercase [a-z0-9._-]: derived from the address when not given. */
export function deriveId(from: string): string {
  const id = from
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64);
  return id || 'account';
}

async function readPassword(ctx: CommandContext): Promise<string> {
  if (ctx.flags['password-stdin']) {
    const text = Buffer.from(await ctx.stdin()).toString('utf8');
    const first = text.split(/\r?\n/, 1)[0] ?? '';
    if (first === '')
      throw new CliError('CLI_ERR_MISSING', '--password-stdin: stdin was empty', { command: 'account add' });
    return first;
  }
  if (ctx.ask) return ctx.ask('Password (stored in the OS keyring, not in the config): ', { secret: true });
  throw new CliError(
    'CLI_ERR_MISSING',
    'no password: give --password-command, --password-env or --password-stdin (no terminal to ask on)',
    { command: 'account add' },
  );
}

/**
 * `--client-id`, else the id this build carries (oauth-client.ts), else asked on a terminal after
 * saying where the registration is explained; without a terminal, an error pointing there.
 */
async function oauthClientId(ctx: CommandContext): Promise<string> {
  const flag = ctx.flags['client-id'];
  if (typeof flag === 'string' && flag !== '') return flag;
  const built = defaultClientId(ctx.env);
  if (built) return built;
  const guide = `${M365_GUIDE} (${M365_GUIDE_URL})`;
  if (ctx.ask) {
    ctx.out.info(
      'This build has no Microsoft 365 application registered. Your administrator registers one in\n' +
        `Entra ID (step by step: ${guide}) and gives you its Application (client) id.`,
    );
    const answer = await ctx.ask('Application (client) id: ');
    if (answer !== '') return answer;
  }
  throw new CliError(
    'CLI_ERR_MISSING',
    `--oauth needs --client-id <Application (client) id>: this build has none built in. ` +
      `Registering the app in Entra ID, step by step: ${guide}`,
    { command: 'account add' },
  );
}

const GMAIL_GUIDE = 'docs/gmail.md (https://github.com/tidings/tidings/blob/main/docs/gmail.md)';

/**
 * The `oauth2` settings of a Gmail IMAP account: `--client-id`, else the build's or
 * TIDINGS_GOOGLE_CLIENT_ID, else asked. The client secret from `--client-secret` or an answer is
 * written to the config (Google calls a desktop client's secret non-confidential); one from the
 * build or TIDINGS_GOOGLE_CLIENT_SECRET is not, so a rebuilt or re-configured client takes over.
 */
async function googleOAuth(ctx: CommandContext): Promise<Record<string, unknown>> {
  const defaults = googleClientDefaults(ctx.env);
  const ask = async (flag: string, fallback: string | undefined, question: string, what: string) => {
    const v = ctx.flags[flag];
    if (typeof v === 'string' && v !== '') return { value: v, written: true };
    if (fallback !== undefined) return { value: fallback, written: false };
    if (ctx.ask) {
      ctx.out.info(
        `This build has no Google OAuth client. Register a "Desktop app" client in Google Cloud (step by step: ${GMAIL_GUIDE}).`,
      );
      const answer = await ctx.ask(question, flag === 'client-secret' ? { secret: true } : undefined);
      if (answer !== '') return { value: answer, written: true };
    }
    throw new CliError(
      'CLI_ERR_MISSING',
      `--oauth for Gmail needs --${flag} <${what}>: this build has none built in. Registering a Google desktop client, step by step: ${GMAIL_GUIDE}`,
      { command: 'account add' },
    );
  };
  const id = await ask('client-id', defaults.clientId, 'Google OAuth client id: ', 'client id');
  const secret = await ask(
    'client-secret',
    defaults.clientSecret,
    'Google OAuth client secret: ',
    'client secret',
  );
  return {
    provider: 'google',
    clientId: id.value,
    ...(secret.written ? { clientSecret: secret.value } : {}),
  };
}

/**
 * The fields of a new JMAP account (issue 17): the server (its session is read from
 * /.well-known/jmap) or the session URL, the login, and whether the secret is a Bearer token.
 */
async function jmapAccountFields(
  ctx: CommandContext,
  secret: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const url = await value(ctx, 'url', 'JMAP server URL (https://host, or its session URL): ', true);
  if (!/^https?:\/\//i.test(url!))
    throw new CliError('CLI_ERR_BAD_VALUE', `--url: "${url}" is not an http(s) URL; JMAP runs over https`, {
      command: 'account add',
    });
  const username = await value(ctx, 'username', 'Login name (usually your address): ', true);
  const mailboxes = (ctx.flags.mailboxes as string | undefined)
    ?.split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  return {
    kind: 'jmap',
    id: (ctx.flags.id as string | undefined) ?? deriveId(`jmap-${username}`),
    url,
    username,
    ...(ctx.flags.bearer === true ? { auth: { type: 'bearer' } } : {}),
    secret,
    ...(mailboxes?.length ? { mailboxes } : {}),
  };
}

/**
 * The fields of a new IMAP account: the address, then the server from --host or found from the
 * address (RFC 6186 SRV, then imap./mail. host names, each checked for a greeting: issue 17).
 */
async function imapAccountFields(
  ctx: CommandContext,
  secret: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const email = await value(ctx, 'email', 'E-mail address: ', true);
  const username = (await value(ctx, 'username', 'Login name (empty: the address): ', false)) ?? email!;
  let host = ctx.flags.host as string | undefined;
  let security: 'tls' | 'starttls' = ctx.flags.starttls === true ? 'starttls' : 'tls';
  let port = ctx.flags.port !== undefined ? Number(ctx.flags.port) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    throw new CliError('CLI_ERR_BAD_VALUE', `--port: "${ctx.flags.port}" is not a port`, {
      command: 'account add',
    });
  if (!host) {
    const { discoverImap } = await import('../../imap/discovery');
    const { probeImap } = await import('../../imap/probe');
    ctx.out.info(`looking for the IMAP server of ${email} …`);
    try {
      const ca = ctx.flags.ca ? readFileSync(ctx.flags.ca as string) : undefined;
      const found = await discoverImap(email!, (e) => probeImap(e, ca ? { ca } : {}));
      ctx.out.info(`found ${found.host}:${found.port} (${found.security}) by ${found.via}`);
      host = found.host;
      security = found.security;
      port = found.port === (security === 'tls' ? 993 : 143) ? undefined : found.port;
    } catch (err) {
      throw new CliError('CLI_ERR_BAD_VALUE', `${(err as Error).message}; give --host`, {
        command: 'account add',
      });
    }
  }
  const mailboxes = (ctx.flags.mailboxes as string | undefined)
    ?.split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  return {
    kind: 'imap',
    id: (ctx.flags.id as string | undefined) ?? deriveId(email!),
    email,
    host,
    ...(port !== undefined ? { port } : {}),
    security,
    username,
    secret,
    ...(mailboxes?.length ? { mailboxes } : {}),
    ...(ctx.flags.ca ? { tls: { ca: ctx.flags.ca } } : {}),
  };
}

/** `tidings account add`: its name, flags and help are in ../registry.ts. */
export async function accountAdd(ctx: CommandContext): Promise<number> {
  const kind = (ctx.args[0] ??
    (ctx.ask ? await ctx.ask('Kind (exchange, caldav, carddav, imap, jmap): ') : undefined)) as
    | Kind
    | undefined;
  if (!kind)
    throw new CliError(
      'CLI_ERR_MISSING',
      'say which kind: tidings account add exchange|caldav|carddav|imap|jmap',
      {
        command: 'account add',
      },
    );
  if (!KINDS.includes(kind))
    throw new CliError(
      'CLI_ERR_BAD_VALUE',
      `"${kind}" is not a kind of account Tidings can add; the kinds are ${KINDS.join(', ')}` +
        (/^(pop3?|smtp)$/i.test(kind) ? ' (mail is watched over IMAP: tidings account add imap)' : ''),
      { command: 'account add' },
    );
  const cmd = ctx.flags['password-command'] as string | undefined;
  const env = ctx.flags['password-env'] as string | undefined;
  if (cmd !== undefined && env !== undefined)
    throw new CliError('CLI_ERR_BAD_VALUE', 'give --password-command or --password-env, not both', {
      command: 'account add',
    });
  const secretRef =
    cmd !== undefined ? { command: cmd } : env !== undefined ? { env } : { keyring: true as const };
  const oauth = ctx.flags.oauth === true;
  if (oauth && kind !== 'exchange' && kind !== 'imap')
    throw new CliError('CLI_ERR_BAD_VALUE', '--oauth is for exchange and imap accounts', {
      command: 'account add',
    });
  if (oauth && (cmd !== undefined || env !== undefined || ctx.flags['password-stdin']))
    throw new CliError(
      'CLI_ERR_BAD_VALUE',
      '--oauth takes no password: sign in with `tidings account login`',
      {
        command: 'account add',
      },
    );
  // Before any question or test: a password (or an OAuth2 refresh token) bound for the keyring
  // must have somewhere to go (issue 16: on a headless server it failed after everything).
  if ('keyring' in secretRef || oauth) await requireKeyring(ctx, oauth ? 'oauth' : 'password', 'account add');
  let raw: Record<string, unknown>;
  if (kind === 'exchange' && oauth) {
    const email = await value(ctx, 'email', 'E-mail address: ', true);
    const clientId = await oauthClientId(ctx);
    const tenant = ctx.flags.tenant as string | undefined;
    raw = {
      kind,
      id: (ctx.flags.id as string | undefined) ?? deriveId(email!),
      email,
      ...(ctx.flags.url ? { url: ctx.flags.url } : {}),
      auth: { type: 'oauth2', clientId, ...(tenant ? { tenant } : {}) },
    };
  } else if (kind === 'exchange') {
    const email = await value(ctx, 'email', 'E-mail address: ', true);
    const username = await value(ctx, 'username', 'Login name (empty: the address): ', false);
    raw = {
      kind,
      id: (ctx.flags.id as string | undefined) ?? deriveId(email!),
      email,
      ...(username ? { username } : {}),
      ...(ctx.flags.url ? { url: ctx.flags.url } : {}),
      auth: { type: 'basic', secret: secretRef },
    };
  } else if (kind === 'imap') {
    raw = await imapAccountFields(ctx, secretRef);
    if (oauth) {
      // XOAUTH2/OAUTHBEARER (Gmail, Microsoft 365 IMAP): the token comes from `account login`.
      const flag = ctx.flags.provider as string | undefined;
      if (flag !== undefined && flag !== 'google' && flag !== 'microsoft')
        throw new CliError('CLI_ERR_BAD_VALUE', `--provider: "${flag}" is not google or microsoft`, {
          command: 'account add',
        });
      const provider = flag ?? providerForHost(String(raw.host));
      if (provider === 'google') raw.oauth2 = await googleOAuth(ctx);
      else {
        const tenant = ctx.flags.tenant as string | undefined;
        raw.oauth2 = {
          ...(flag === undefined ? {} : { provider }),
          clientId: await oauthClientId(ctx),
          ...(tenant ? { tenant } : {}),
        };
      }
      delete raw.secret;
    } else if (providerForHost(String(raw.host)) === 'google')
      // Gmail takes a password only as an app password (with 2-Step Verification on).
      ctx.out.info(
        'Gmail: use an app password (Google account → Security → App passwords), or add with --oauth to sign in with Google (docs/gmail.md)',
      );
  } else if (kind === 'jmap') {
    raw = await jmapAccountFields(ctx, secretRef);
  } else {
    const url = await value(
      ctx,
      'url',
      `${kind === 'caldav' ? 'CalDAV' : 'CardDAV'} server URL (or your e-mail address): `,
      true,
    );
    // Refused before anything else is asked or tried: `ftp://…` was added as "ok" (issue 16).
    const problem = davUrlProblem(url!, kind);
    if (problem) throw new CliError('CLI_ERR_BAD_VALUE', `--url: ${problem}`, { command: 'account add' });
    const username = await value(ctx, 'username', 'Login name: ', true);
    raw = {
      kind,
      id: (ctx.flags.id as string | undefined) ?? deriveId(`${kind}-${username}`),
      url,
      username,
      secret: secretRef,
    };
  }
  if (ctx.flags.name) raw.name = ctx.flags.name;
  const parsed = accountSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = toIssues(parsed.error)[0]!;
    throw new CliError('CLI_ERR_BAD_VALUE', `${issue.path}: ${issue.reason}`, { command: 'account add' });
  }
  const account = parsed.data;
  if (oauth) {
    // No token yet: nothing to test. `account login` signs in and stores the refresh token.
    await daemonOr(
      ctx,
      (c) => c.call('accounts.add', { account }),
      async () => {
        await addAccountToFile(configPathOf(ctx), account);
        return undefined;
      },
    );
    const google = account.kind === 'imap' && account.oauth2?.provider === 'google';
    ctx.out.info(
      google
        ? `next: tidings account login ${account.id}   (Sign in with Google in the browser)`
        : `next: tidings account login ${account.id}   (or --device-code on a machine without a browser)`,
    );
    ctx.out.result({ added: true, id: account.id }, () => `added ${account.id} to ${configPathOf(ctx)}`);
    return EXIT.OK;
  }
  const password = 'keyring' in secretRef ? await readPassword(ctx) : undefined;
  const secret: SecretSource =
    password !== undefined ? { get: async () => password } : secretForAccount(account, { env: ctx.env });

  let test: TestResult | undefined;
  if (!ctx.flags['no-test']) {
    ctx.out.info(`testing ${account.id} …`);
    // On the daemon's path and with its state store (issue 13 §1): the test makes the account's
    // DeviceId once and stores it under the account's id, so the watcher started by the add
    // speaks as that same device. A test with a store of its own registered a throwaway device
    // on the server on every add. (A failed add leaves the id stored: a retry reuses it.)
    const result: TestResult = await daemonOr(
      ctx,
      (c) => c.call('accounts.test', { account, ...(password !== undefined ? { secret: password } : {}) }),
      () =>
        testAccountHere(account, secret, cliLog(ctx), {
          ...checkOptionsOf(ctx),
          stateDir: stateDirOf(ctx),
        }),
    );
    test = result;
    ctx.out.info(formatSteps(`${account.id}:`, result));
    if (!result.ok && !ctx.flags.force) {
      ctx.out.result(
        { added: false, test: result },
        () => 'not added: fix the failing check, or add --force',
      );
      return EXIT.CHECK_FAILED;
    }
  }
  await daemonOr(
    ctx,
    (c) => c.call('accounts.add', { account, ...(password !== undefined ? { secret: password } : {}) }),
    async () => {
      if (password !== undefined)
        await keyringSecret(account.id, 'password', ctx.hooks?.keyring).set!(password);
      await addAccountToFile(configPathOf(ctx), account);
      return undefined;
    },
  );
  ctx.out.result(
    { added: true, id: account.id, ...(test ? { test } : {}) },
    () => `added ${account.id} to ${configPathOf(ctx)}`,
  );
  return EXIT.OK;
}

/** `tidings account remove`: its name, flags and help are in ../registry.ts. */
export async function accountRemove(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  if (!id)
    throw new CliError('CLI_ERR_MISSING', 'which account? tidings account remove <id>', {
      command: 'account remove',
    });
  const file = configPathOf(ctx);
  const account = (await loadConfig(file)).accounts.find((a) => a.id === id);
  await daemonOr(
    ctx,
    (c) => c.call('accounts.remove', { id }),
    async () => {
      await removeAccountFromFile(file, id);
      const store = SqliteStore.open({ path: join(stateDirOf(ctx), 'state.db') });
      try {
        store.deleteAccount(id);
      } finally {
        store.close();
      }
      return { removed: true };
    },
  );
  // Secrets the keyring holds for it go too; a missing keyring is not a reason to fail.
  for (const purpose of ['password', 'oauth-refresh'] as const)
    await keyringSecret(id, purpose, ctx.hooks?.keyring).delete!().catch(() => {});
  ctx.out.result({ removed: true, id, kind: account?.kind }, () => `removed ${id}`);
  return EXIT.OK;
}

/** `tidings account test`: its name, flags and help are in ../registry.ts. */
export async function accountTest(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  if (!id)
    throw new CliError('CLI_ERR_MISSING', 'which account? tidings account test <id>', {
      command: 'account test',
    });
  const result = await daemonOr(
    ctx,
    (c) => c.call('accounts.test', { id }),
    async () => {
      const account = (await loadConfig(configPathOf(ctx))).accounts.find((a) => a.id === id);
      if (!account) throw new CliError('CLI_ERR_FAILED', `no account "${id}" in ${configPathOf(ctx)}`);
      // As the daemon would: its dispatcher, and the DeviceId from its state store.
      return testAccountHere(account, secretForAccount(account, { env: ctx.env }), cliLog(ctx), {
        ...checkOptionsOf(ctx),
        stateDir: stateDirOf(ctx),
      });
    },
  );
  ctx.out.result(result, () => formatSteps(`${id}:`, result));
  return result.ok ? EXIT.OK : EXIT.CHECK_FAILED;
}
