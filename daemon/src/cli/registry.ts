import { dirname } from 'node:path';
import type { Command } from './command';
import { SYSTEM_PATHS } from './service-paths';

/*
 * What `--help`, did-you-mean and the flag parser need of each command, and nothing else: each
 * command's code is loaded by `load`, a literal dynamic import() that esbuild turns into a chunk of
 * its own, when the command runs. So `tidings daemon` does not load account add's discovery and
 * OAuth flows, doctor's checks or the WBXML-to-XML converter (issue 5: 3 accounts under 60 MB),
 * and `tidings status` does not load the daemon.
 */

/** What one `items.markRead` call takes (daemon/src/ipc/params.ts). */
const MAX_ITEMS = 100;

const daemon: Command = {
  name: 'daemon',
  description: 'run the daemon in the foreground (systemd, launchd or the tray start it)',
  flags: [
    {
      name: 'state-dir',
      type: 'string',
      placeholder: 'dir',
      description: 'state store directory (default: $XDG_STATE_HOME/tidings)',
    },
    {
      name: 'no-demo',
      type: 'boolean',
      description: 'fail when there is no config file instead of running the demo',
    },
    {
      name: 'empty',
      type: 'boolean',
      description: 'with no config file, run with no accounts (no demo) until one is added (the tray)',
    },
  ],
  details:
    'With no config file the daemon runs a demo account against a bundled EAS test server and prints every\n' +
    'signal to stdout. Logs are JSON on stderr (readable on a terminal). SIGHUP reloads the config;\n' +
    'SIGTERM or SIGINT stop cleanly.',
  load: () => import('./commands/daemon').then((m) => m.daemon),
};

const status: Command = {
  name: 'status',
  description: 'show the daemon and every account: state, since when, why, unseen counts',
  flags: [],
  load: () => import('./commands/status').then((m) => m.status),
};

const watch: Command = {
  name: 'watch',
  description:
    'print change signals as they come (JSON lines with --json) until Ctrl-C; survives daemon restarts',
  flags: [
    { name: 'replay', type: 'boolean', description: 'first print the most recent signals the daemon keeps' },
    {
      name: 'after',
      type: 'string',
      description: 'first print every signal handed on after this signal id (the last one you saw)',
    },
  ],
  load: () => import('./commands/watch').then((m) => m.watch),
};

const accountsList = {
  description: 'list configured accounts and their state',
  flags: [],
  load: () => import('./commands/accounts').then((m) => m.accounts),
} satisfies Omit<Command, 'name'>;
const accounts: Command = { name: 'accounts', ...accountsList };

const accountList: Command = { name: 'account list', ...accountsList };
const accountAdd: Command = {
  name: 'account add',
  synopsis: 'exchange|caldav|carddav|imap|jmap',
  description: 'add an account: asks what it needs, discovers the server, tests, stores the secret',
  flags: [
    { name: 'id', type: 'string', placeholder: 'id', description: 'account id (default: from the address)' },
    { name: 'name', type: 'string', placeholder: 'text', description: 'display name' },
    {
      name: 'email',
      type: 'string',
      placeholder: 'addr',
      description: 'exchange: e-mail address (Autodiscover starts from it); imap: found from it (RFC 6186)',
    },
    {
      name: 'host',
      type: 'string',
      placeholder: 'host',
      description: 'imap: server host name (skips discovery)',
    },
    {
      name: 'port',
      type: 'string',
      placeholder: 'n',
      description: 'imap: port (default 993, or 143 with STARTTLS)',
    },
    { name: 'starttls', type: 'boolean', description: 'imap: STARTTLS on port 143 instead of TLS on 993' },
    {
      name: 'ca',
      type: 'string',
      placeholder: 'file',
      description: 'imap: PEM file with the CA that signed the server certificate (a self-hosted server)',
    },
    {
      name: 'mailboxes',
      type: 'string',
      placeholder: 'a,b',
      description: 'imap, jmap: mailboxes to watch, comma-separated (default INBOX)',
    },
    {
      name: 'username',
      type: 'string',
      placeholder: 'login',
      description: 'login when it differs from the address (DOMAIN\\user, UPN)',
    },
    {
      name: 'url',
      type: 'string',
      placeholder: 'url',
      description: 'server URL (exchange: skips Autodiscover; dav, jmap: required)',
    },
    {
      name: 'bearer',
      type: 'boolean',
      description: 'jmap: the secret is a Bearer token (a Fastmail API token), not a password',
    },
    {
      name: 'password-command',
      type: 'string',
      placeholder: 'cmd',
      description: 'read the password from this command (sh -c, first line), as mbsync PassCmd',
    },
    {
      name: 'password-env',
      type: 'string',
      placeholder: 'VAR',
      description: 'read the password from this environment variable of the daemon',
    },
    {
      name: 'password-stdin',
      type: 'boolean',
      description: 'read the password (for the keyring) from the first line of stdin',
    },
    {
      name: 'oauth',
      type: 'boolean',
      description: 'exchange, imap: sign in with OAuth2 (Microsoft 365, Gmail) instead of a password',
    },
    {
      name: 'provider',
      type: 'string',
      placeholder: 'name',
      description: 'imap --oauth: google or microsoft (default: google for imap.gmail.com, else microsoft)',
    },
    {
      name: 'client-id',
      type: 'string',
      placeholder: 'id',
      description:
        '--oauth: the Entra application (client) id, or the Google desktop client id (default: built in)',
    },
    {
      name: 'client-secret',
      type: 'string',
      placeholder: 'secret',
      description:
        'imap --oauth with Google: the desktop client secret (default: built in or TIDINGS_GOOGLE_CLIENT_SECRET)',
    },
    {
      name: 'tenant',
      type: 'string',
      placeholder: 'tenant',
      description: 'exchange --oauth: tenant id or domain (default: common)',
    },
    { name: 'no-test', type: 'boolean', description: 'add without testing the connection' },
    { name: 'force', type: 'boolean', description: 'add even when the test fails' },
  ],
  details:
    'The password goes to the OS keyring (service "tidings", account <id>) unless --password-command or\n' +
    '--password-env says where the daemon finds it; it is never written to the config file.',
  load: () => import('./commands/account').then((m) => m.accountAdd),
};

const accountRemove: Command = {
  name: 'account remove',
  synopsis: '<id>',
  description: 'remove an account: config entry, stored secrets and sync state',
  flags: [],
  load: () => import('./commands/account').then((m) => m.accountRemove),
};

const accountTest: Command = {
  name: 'account test',
  synopsis: '<id>',
  description: 'test an account: DNS, TLS, Autodiscover, auth, OPTIONS, one short Ping',
  flags: [],
  load: () => import('./commands/account').then((m) => m.accountTest),
};

const accountLogin: Command = {
  name: 'account login',
  synopsis: '<id>',
  description:
    'sign an OAuth2 account in (Microsoft 365, Gmail): browser, or --device-code on a headless machine (Microsoft)',
  flags: [
    {
      name: 'device-code',
      type: 'boolean',
      description: 'print a code and a URL to open on another device instead of starting a browser',
    },
  ],
  details:
    'The refresh token goes to the OS keyring (service "tidings", account <id>:oauth-refresh), never to\n' +
    'the config file; a running daemon restarts the account with it.',
  load: () => import('./commands/login').then((m) => m.accountLogin),
};

const accountAcceptMove: Command = {
  name: 'account accept-move',
  synopsis: '<id>',
  description: 'follow the server move an Exchange account waits on (needs-confirmation)',
  flags: [],
  maxArgs: 1,
  load: () => import('./commands/account-move').then((m) => m.accountAcceptMove),
};

const doctor: Command = {
  name: 'doctor',
  description:
    'check config, daemon and every account (DNS, TLS, Autodiscover, auth, OPTIONS, Ping); say what to fix',
  flags: [{ name: 'account', type: 'string', placeholder: 'id', description: 'check only this account' }],
  load: () => import('./commands/doctor').then((m) => m.doctor),
};

const check: Command = {
  name: 'check',
  synopsis: '[account]',
  description: 'check an account (or every account) for changes now',
  flags: [],
  maxArgs: 1,
  load: () => import('./commands/check').then((m) => m.check),
};

const markRead: Command = {
  name: 'mark-read',
  synopsis: '<account> <folder> <item> [item…]',
  description: 'mark mail read on the server (Exchange), by the ids a signal carries',
  flags: [],
  maxArgs: 2 + MAX_ITEMS,
  load: () => import('./commands/mark-read').then((m) => m.markRead),
};

const pause: Command = {
  name: 'pause',
  description: 'hold back notifications for a while (hooks keep running)',
  flags: [
    { name: 'minutes', type: 'number', placeholder: 'n', description: 'pause for n minutes (default 60)' },
    {
      name: 'until',
      type: 'string',
      placeholder: 'time',
      description: 'pause until a local time (18:00: its next occurrence) or an ISO time',
    },
  ],
  load: () => import('./commands/control').then((m) => m.pause),
};

const resume: Command = {
  name: 'resume',
  description: 'end a pause',
  flags: [],
  load: () => import('./commands/control').then((m) => m.resume),
};

const reload: Command = {
  name: 'reload',
  description: 're-read the config file (a broken file is refused and the running config kept)',
  flags: [],
  load: () => import('./commands/control').then((m) => m.reload),
};

const stop: Command = {
  name: 'stop',
  description: 'ask the running daemon to shut down',
  flags: [],
  load: () => import('./commands/control').then((m) => m.stop),
};

const serviceInstall: Command = {
  name: 'service install',
  description: 'write and enable the systemd unit (user, or --system) or the launchd agent (macOS)',
  flags: [
    {
      name: 'system',
      type: 'boolean',
      description: `Linux: a system unit run as the "${SYSTEM_PATHS.user}" user, config in ${dirname(SYSTEM_PATHS.config)} (needs root; for servers)`,
    },
    {
      name: 'dry-run',
      type: 'boolean',
      description: 'print the files and the commands instead of running them',
    },
  ],
  details:
    'Without --system on Linux: a systemd user unit, running while you are logged in (loginctl enable-linger\n' +
    'keeps it running after logout). With --system: /etc/systemd/system/tidings.service, hardened, as a\n' +
    'dedicated system user. A config error (exit 4) stops the service instead of restarting it.',
  load: () => import('./commands/service').then((m) => m.serviceInstall),
};

const wbxml: Command = {
  name: 'wbxml',
  synopsis: 'decode|encode [file|-]',
  description: 'convert EAS WBXML to XML and back (for reading captures and writing fixtures)',
  flags: [],
  passthrough: true,
  // The codec's own CLI parses its flags and prints its own usage (wbxml/src/cli.ts).
  load: () => import('./commands/wbxml').then((m) => m.wbxml),
};

/** Every command, in the order `tidings --help` lists them. */
export const COMMANDS: readonly Command[] = [
  daemon,
  status,
  watch,
  accounts,
  accountList,
  accountAdd,
  accountRemove,
  accountTest,
  accountLogin,
  accountAcceptMove,
  doctor,
  check,
  markRead,
  pause,
  resume,
  reload,
  stop,
  serviceInstall,
  wbxml,
];

/**
 * Finds the command named by the leading words (`account add exchange` → `account add`):
 * the longest name that matches wins.
 */
export function findCommand(words: readonly string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const c of COMMANDS) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p) && (!best || parts.length > best.name.split(' ').length))
      best = c;
  }
  return best ? { command: best, rest: words.slice(best.name.split(' ').length) } : undefined;
}
