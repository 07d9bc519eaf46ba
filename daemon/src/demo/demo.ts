import { randomBytes } from 'node:crypto';
import type { EasFixtureServer } from '@tidings/fixtures';
import type { Logger } from 'pino';
import type { EasAccount } from '../config/account';
import type { SecretSource } from '../secrets/types';
import { demoItem } from './items';

/** The demo account's id, as `tidings status` shows it. */
export const DEMO_ACCOUNT_ID = 'demo';
const DEMO_USER = 'demo';

export interface DemoOptions {
  /** Time between items; default 5 s ("every few seconds"). */
  intervalMs?: number;
  log: Logger;
}

/** A running demo: the fixture server, the account pointing at it, and its generator. */
export interface Demo {
  readonly account: EasAccount;
  /** The demo user's password, held in memory only: the demo needs no keyring. */
  readonly secret: SecretSource;
  readonly server: EasFixtureServer;
  /** Items delivered so far. */
  readonly delivered: number;
  close(): Promise<void>;
}

/**
 * Starts the newcomer's demo: the bundled EAS fixture server on 127.0.0.1 (ephemeral port)
 * with a demo user, and a generator that delivers a mail, an event or a contact every few
 * seconds. The account it returns goes through the real EAS watcher, store, hub and IPC, so
 * `tidings watch` and the tray show real signals. The fixture server is imported lazily: a
 * configured daemon never loads it.
 */
export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const { startEasServer } = await import('@tidings/fixtures');
  const password = randomBytes(12).toString('base64url');
  const server = await startEasServer({ users: { [DEMO_USER]: password }, record: 0 });
  const intervalMs = opts.intervalMs ?? 5_000;
  let n = 0;
  const timer = setInterval(() => {
    const item = demoItem(n++, new Date());
    if (item.kind === 'mail') server.addMail(DEMO_USER, item.mail);
    else if (item.kind === 'event') server.addEvent(DEMO_USER, item.event);
    else server.addContact(DEMO_USER, item.contact);
  }, intervalMs);
  timer.unref();
  const account: EasAccount = {
    id: DEMO_ACCOUNT_ID,
    name: 'Demo (bundled fixture server)',
    kind: 'exchange',
    enabled: true,
    email: 'demo@example.org',
    username: DEMO_USER,
    url: server.url,
    auth: { type: 'basic', secret: { keyring: true } },
  };
  opts.log.info({ url: server.url, everyMs: intervalMs }, 'demo EAS server started');
  return {
    account,
    secret: { get: async () => password },
    server,
    get delivered() {
      return n;
    },
    async close() {
      clearInterval(timer);
      await server.close();
    },
  };
}
