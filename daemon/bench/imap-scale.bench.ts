/**
 * IMAP scale benchmark (issue 17): 1 000 IMAP IDLE accounts against a real Dovecot 2.3 and the
 * memory each costs, twice: in a process of bare watchers, and in the bundled daemon beside
 * 1 000 EAS accounts on the EAS fixture (scale.bench.ts' server role: a run of the daemon with
 * the EAS accounts only, then one with both; per IMAP account = the RSS difference / 1 000).
 * A file of its own: scale.bench.ts' runs are EAS-only and timed to its targets.
 *
 * Server: a bench-only Dovecot instance written to this run's temp dir (1 000 users in its own
 * passwd-file, IMAPS on 127.0.0.1:SCALE_PORT with the certificate of scripts/dovecot-imap.sh,
 * imap-login in performance mode and process limits raised so it holds 1 000 TLS sessions) —
 * scripts/dovecot-imap.sh's instances allow 100 connections per user and 100 login processes.
 * It is started here and stopped here by its pid, never by name.
 *
 * Client: a child process (the daemon's node flags, sources under tsx) loads the watcher and one
 * SQLite store, reports its RSS, then starts N watchers (one connection each, INBOX only, so
 * IDLE: the instance offers NOTIFY, which on one mailbox is the same single connection),
 * waits until every one is `waiting`, lets them settle, and reports RSS again.
 * Per account = (RSS with N waiting − RSS with the first 50 waiting) / (N − 50), each settled and
 * after a GC. Peer, same run: bare node with the same flags (an empty event loop).
 *   npx tsx daemon/bench/imap-scale.bench.ts [--accounts N] [--no-daemon]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildDaemon } from '../../scripts/build-daemon';
import { connect as ipcConnect } from '../src/ipc/client';
import { DAEMON_NODE_FLAGS } from '../src/v8-tuning';

const SCALE_PORT = 21996;
const PASSWORD = 'scale-pw';
/** scale.bench.ts' fixture server gives every user this password. */
const EAS_PASSWORD = 'bench-password';
const SETTLE_MS = 10_000;
const BATCH = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const mb = (b: number) => b / 1024 / 1024;

/* ---------- holder role: the accounts ---------- */

async function holdRole(n: number, port: number, ca: string, dir: string): Promise<void> {
  const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const gc = (globalThis as { gc?: () => void }).gc;
  const { default: pino } = await import('pino');
  const { SqliteStore } = await import('../src/store/sqlite-store');
  const { createImapWatcher } = await import('../src/watch/imap-watcher');
  // Its own directory: the store makes the directory of its file private (0700), and Dovecot
  // reads the users file and the mail beside it.
  const store = SqliteStore.open({ path: join(dir, 'client', 'state.db') });
  const log = pino({ level: 'silent' });
  gc?.();
  await sleep(1000);
  out({ phase: 'loaded', rss: process.memoryUsage().rss });
  const watchers: ReturnType<typeof createImapWatcher>[] = [];
  const began = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const batch: ReturnType<typeof createImapWatcher>[] = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const w = createImapWatcher(
        {
          id: `s${j}`,
          kind: 'imap',
          enabled: true,
          host: '127.0.0.1',
          port,
          security: 'tls',
          username: `s${j}`,
          secret: { env: 'UNUSED' },
          tls: { ca, rejectUnauthorized: true },
          mailboxes: ['INBOX'],
        },
        {
          accountId: `s${j}`,
          store,
          log,
          secret: { get: async () => PASSWORD },
          publish: () => {},
          setStatus: () => {},
        },
      );
      w.start();
      batch.push(w);
    }
    const until = Date.now() + 120_000;
    const settled = (w: ReturnType<typeof createImapWatcher>) =>
      ['waiting', 'needs-credentials', 'disabled'].includes(w.status().state);
    while (!batch.every(settled) && Date.now() < until) await sleep(50);
    watchers.push(...batch);
    if (i === 0) {
      // The first batch waiting and settled: the base the others' cost is measured from (the
      // RSS right after loading still holds the loader's garbage).
      await sleep(SETTLE_MS);
      gc?.();
      await sleep(500);
      const m = process.memoryUsage();
      out({ phase: 'first', rss: m.rss, heapUsed: m.heapUsed, count: watchers.length });
    }
  }
  const ready = watchers.filter((w) => w.status().state === 'waiting').length;
  const states: Record<string, number> = {};
  for (const w of watchers) states[w.status().state] = (states[w.status().state] ?? 0) + 1;
  out({ phase: 'ready', ready, states, ms: performance.now() - began });
  await sleep(SETTLE_MS);
  gc?.();
  await sleep(500);
  const m = process.memoryUsage();
  out({ phase: 'idle', rss: m.rss, heapUsed: m.heapUsed, external: m.external });
  await Promise.all(watchers.map((w) => w.stop()));
  store.close();
  out({ phase: 'stopped' });
}

/* ---------- the daemon: EAS accounts, then the same with the IMAP ones beside them ---------- */

const ROOT = join(import.meta.dirname, '..', '..');

/** Lines of a child's stdout. */
function linesOf(p: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: p.stdout! })[Symbol.asyncIterator]();
}

/**
 * The bundled daemon (as the service units run it) with `eas` Exchange accounts on the EAS
 * fixture (scale.bench.ts' server role, its own process) and `imap` IMAP accounts on the bench
 * Dovecot; RSS once every account is waiting and a settle has passed.
 */
async function daemonRun(
  eas: number,
  imap: number,
  easUrl: string,
  port: number,
  ca: string,
  base: string,
): Promise<{ ready: number; readySec: number; rss: number }> {
  const dir = mkdtempSync(join(base, 'daemon-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      logLevel: 'warn',
      notifications: { sinks: { desktop: { enabled: false } } },
      accounts: [
        ...Array.from({ length: eas }, (_, i) => ({
          id: `a${i}`,
          kind: 'exchange',
          email: `u${i}@example.org`,
          username: `u${i}`,
          url: easUrl,
          folders: ['Inbox'],
          auth: { type: 'basic', secret: { env: 'TIDINGS_BENCH_PW' } },
        })),
        ...Array.from({ length: imap }, (_, i) => ({
          id: `s${i}`,
          kind: 'imap',
          host: '127.0.0.1',
          port,
          security: 'tls',
          username: `s${i}`,
          secret: { env: 'TIDINGS_BENCH_IMAP_PW' },
          tls: { ca },
          mailboxes: ['INBOX'],
        })),
      ],
    }),
  );
  const socket = join(dir, 'run', 'tidings.sock');
  const t0 = performance.now();
  const daemon = spawn(
    'bash',
    [
      '-c',
      `ulimit -n $(ulimit -Hn); exec "${process.execPath}" ${DAEMON_NODE_FLAGS.join(' ')} dist/tidings.mjs daemon --no-demo --config "${configPath}" --socket "${socket}" --state-dir "${join(dir, 'state')}"`,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, TIDINGS_BENCH_PW: EAS_PASSWORD, TIDINGS_BENCH_IMAP_PW: PASSWORD },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    let client: Awaited<ReturnType<typeof ipcConnect>> | undefined;
    const by = Date.now() + 180_000;
    while (!client) {
      if (Date.now() > by) throw new Error('bench: the daemon did not open its socket');
      client = await ipcConnect(socket, { client: 'bench', callTimeoutMs: 120_000 }).catch(() => undefined);
      if (!client) await sleep(200);
    }
    let ready = 0;
    while (Date.now() < by) {
      const st = await client.call('status', {});
      ready = st.accounts.filter((a) => a.status.state === 'waiting').length;
      if (ready === eas + imap) break;
      await sleep(500);
    }
    const readySec = (performance.now() - t0) / 1000;
    await sleep(SETTLE_MS);
    const rss = rssOf(daemon.pid!);
    client.close();
    return { ready, readySec, rss };
  } finally {
    daemon.kill('SIGTERM');
    const by = Date.now() + 20_000;
    while (daemon.exitCode === null && Date.now() < by) await sleep(100);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
  }
}

/* ---------- bench role ---------- */

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

async function bareNode(): Promise<number> {
  const p = spawn(process.execPath, [...DAEMON_NODE_FLAGS, '-e', 'setInterval(() => {}, 1 << 30)'], {
    stdio: 'ignore',
  });
  try {
    await sleep(3000);
    return rssOf(p.pid!);
  } finally {
    p.kill('SIGKILL');
  }
}

function dovecotConf(dir: string, certDir: string, n: number): string {
  return `# Bench-only Dovecot for daemon/bench/imap-scale.bench.ts: ${n} users, IMAPS only.
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = tidings-imap-scale
ssl = required
ssl_cert = <${certDir}/server.pem
ssl_key = <${certDir}/server.key
auth_mechanisms = plain
# ${n} TLS sessions: each is an imap process, and its TLS is proxied by a login process.
default_process_limit = ${n + 200}
default_client_limit = ${4 * n + 1000}
default_vsz_limit = 1G
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${dir}/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${dir}/mail/%n
}
first_valid_uid = 8
first_valid_gid = 8
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${SCALE_PORT}
  }
  # Performance mode (one login process serves many TLS sessions) instead of one process each.
  service_count = 0
  process_min_avail = 2
  client_limit = ${n + 200}
}
service imap {
  process_limit = ${n + 200}
}
protocol imap {
  imap_idle_notify_interval = 2 mins
}
`;
}

async function benchRole(): Promise<void> {
  const n = Number(arg('--accounts') ?? 1000);
  const certDir = process.env.TIDINGS_DOVECOT_ROOT ?? '/tmp/tidings-dovecot-imap';
  if (!existsSync('/usr/sbin/dovecot')) {
    console.error('imap-scale bench: dovecot is not installed (scripts/sogo.sh install)');
    process.exit(process.env.CI === 'true' ? 1 : 0);
  }
  if (!existsSync(join(certDir, 'ca.pem'))) {
    console.error(`imap-scale bench: no ${certDir}/ca.pem: run scripts/dovecot-imap.sh start once`);
    process.exit(process.env.CI === 'true' ? 1 : 0);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tidings-imap-scale-'));
  chmodSync(dir, 0o755);
  const mailUid = Number(execFileSync('id', ['-u', 'mail']).toString().trim());
  const mailGid = Number(execFileSync('id', ['-g', 'mail']).toString().trim());
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d));
  chownSync(join(dir, 'mail'), mailUid, mailGid);
  const users = Array.from({ length: n }, (_, i) => `s${i}:{PLAIN}${PASSWORD}::::::`).join('\n');
  writeFileSync(join(dir, 'users'), `${users}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'dovecot.conf'), dovecotConf(dir, certDir, n));

  let dovecot: ChildProcess | undefined;
  let holder: ChildProcess | undefined;
  try {
    const bare = await bareNode();
    dovecot = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore', detached: true });
    const upBy = Date.now() + 20_000;
    for (;;) {
      try {
        execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${SCALE_PORT}`], { stdio: 'ignore' });
        break;
      } catch {
        if (Date.now() > upBy || dovecot.exitCode !== null)
          throw new Error(`bench Dovecot did not listen; see ${dir}/dovecot.log`);
        await sleep(200);
      }
    }
    holder = spawn(
      process.execPath,
      [
        ...DAEMON_NODE_FLAGS,
        '--expose-gc',
        '--import',
        'tsx',
        import.meta.filename,
        '--role',
        'hold',
        String(n),
        String(SCALE_PORT),
        join(certDir, 'ca.pem'),
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: Record<string, Record<string, unknown>> = {};
    for await (const line of createInterface({ input: holder.stdout! })) {
      const o = JSON.parse(line) as { phase: string };
      lines[o.phase] = o;
      if (o.phase === 'ready') console.log(`  ${JSON.stringify(o)}`);
      if (o.phase === 'stopped') break;
    }
    const loaded = lines.loaded?.rss as number;
    const idle = lines.idle?.rss as number;
    const ready = lines.ready?.ready as number;
    const first = lines.first?.rss as number;
    const firstCount = lines.first?.count as number;
    const perAccountKb = (idle - first) / (n - firstCount) / 1024;
    console.log(
      `IMAP scale: ${n} IDLE accounts over IMAPS against Dovecot 2.3 (bench-only instance), one process:`,
    );
    console.log(
      `  waiting: ${ready}/${n} after ${((lines.ready?.ms as number) / 1000).toFixed(1)} s (connect + TLS + LOGIN + baseline, ${BATCH} at a time)`,
    );
    console.log(
      `  RSS: ${mb(loaded).toFixed(1)} MB right after loading (sources under tsx), ${mb(first).toFixed(1)} MB with ${firstCount} waiting, ${mb(idle).toFixed(1)} MB with ${n} waiting (settled, after a GC); heap used ${mb(lines.idle?.heapUsed as number).toFixed(1)} MB`,
    );
    console.log(
      `  per account: ${perAccountKb.toFixed(1)} KB RSS, ${(((lines.idle?.heapUsed as number) - (lines.first?.heapUsed as number)) / (n - firstCount) / 1024).toFixed(1)} KB of JS heap (from ${firstCount} to ${n} waiting / ${n - firstCount})`,
    );
    console.log(
      `  peer, bare node with the daemon's flags (this run): ${mb(bare).toFixed(1)} MB; the process with ${n} accounts is ${(idle / bare).toFixed(2)}× it, one account ${(((perAccountKb * 1024) / bare) * 100).toFixed(2)}% of it`,
    );
    if (ready !== n) {
      console.error(`FAIL: only ${ready} of ${n} accounts reached waiting`);
      process.exitCode = 1;
    }

    if (!process.argv.includes('--no-daemon')) {
      await buildDaemon({ quiet: true });
      const server = spawn(
        'bash',
        [
          '-c',
          `ulimit -n $(ulimit -Hn); exec "${process.execPath}" --no-memory-reducer --import tsx daemon/bench/scale.bench.ts --role server --users ${n}`,
        ],
        { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
      );
      try {
        const { url } = JSON.parse((await linesOf(server).next()).value as string) as { url: string };
        const easOnly = await daemonRun(n, 0, url, SCALE_PORT, join(certDir, 'ca.pem'), dir);
        const both = await daemonRun(n, n, url, SCALE_PORT, join(certDir, 'ca.pem'), dir);
        console.log(
          `the bundled daemon, ${n} EAS accounts (fixture) and then the same beside ${n} IMAP IDLE ones:`,
        );
        console.log(
          `  EAS only: ${easOnly.ready}/${n} waiting after ${easOnly.readySec.toFixed(1)} s, RSS ${mb(easOnly.rss).toFixed(1)} MB`,
        );
        console.log(
          `  EAS + IMAP: ${both.ready}/${2 * n} waiting after ${both.readySec.toFixed(1)} s, RSS ${mb(both.rss).toFixed(1)} MB`,
        );
        console.log(
          `  per IMAP account: ${((both.rss - easOnly.rss) / n / 1024).toFixed(1)} KB (RSS difference / ${n}); bare node peer ${mb(bare).toFixed(1)} MB, the daemon with both ${(both.rss / bare).toFixed(2)}× it`,
        );
        if (both.ready !== 2 * n || easOnly.ready !== n) {
          console.error('FAIL: not every account of the daemon reached waiting');
          process.exitCode = 1;
        }
      } finally {
        server.stdin?.end(`${JSON.stringify({ quit: true })}\n`);
        const by = Date.now() + 10_000;
        while (server.exitCode === null && Date.now() < by) await sleep(100);
        if (server.exitCode === null) server.kill('SIGKILL');
      }
    }
  } finally {
    if (holder && holder.exitCode === null) holder.kill('SIGTERM');
    if (dovecot?.pid !== undefined && dovecot.exitCode === null) {
      // The master (our child, its own process group) ends its login/imap/auth children on TERM.
      process.kill(dovecot.pid, 'SIGTERM');
      const by = Date.now() + 10_000;
      while (dovecot.exitCode === null && Date.now() < by) await sleep(100);
      if (dovecot.exitCode === null) process.kill(-dovecot.pid, 'SIGKILL');
    }
    if (process.env.TIDINGS_BENCH_KEEP === '1') console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (arg('--role') === 'hold') {
  const i = process.argv.indexOf('hold');
  const [n, port, ca, dir] = process.argv.slice(i + 1);
  await holdRole(Number(n), Number(port), ca!, dir!);
  process.exit(0);
} else {
  await benchRole();
}
