/**
 * A bench-only Dovecot 2.3 instance (not a bench itself: `npm run bench` runs `*.bench.ts` only),
 * written to its own temp dir and started and stopped here by its pid, never by name.
 *
 * scripts/dovecot-imap.sh's instances allow 100 connections per user and 100 login processes,
 * and send their IDLE keep-alive every 2 min: the scale bench needs 1 000 TLS sessions, and the
 * idle-hour bench keep-alives in seconds (or none at all, for a silent server). This instance has
 * its own passwd-file of `users` users (`s0` … `s<n-1>`, one password), IMAPS on 127.0.0.1 with
 * the certificate of scripts/dovecot-imap.sh (run its `start` once), imap-login in performance
 * mode and process limits raised to the user count.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchDovecot {
  port: number;
  /** The CA that signed the server's certificate (scripts/dovecot-imap.sh's). */
  ca: string;
  password: string;
  dir: string;
  stop(): Promise<void>;
}

export interface BenchDovecotOptions {
  users: number;
  /** imap_idle_notify_interval: `* OK Still here` this often during IDLE; 0 sends none. */
  keepAliveSec?: number;
  password?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (Dovecot takes a fixed port in its config). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function conf(dir: string, certDir: string, n: number, port: number, keepAliveSec: number): string {
  return `# Bench-only Dovecot (daemon/bench/bench-dovecot.ts): ${n} users, IMAPS only.
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = tidings-bench-${port}
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
    port = ${port}
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
  imap_idle_notify_interval = ${keepAliveSec} secs
}
`;
}

/** Starts the instance, or says why it cannot (no dovecot, no certificate, it did not listen). */
export async function startBenchDovecot(o: BenchDovecotOptions): Promise<BenchDovecot | { reason: string }> {
  const certDir = process.env.TIDINGS_DOVECOT_ROOT ?? '/tmp/tidings-dovecot-imap';
  const password = o.password ?? 'bench-imap-pw';
  if (!existsSync('/usr/sbin/dovecot'))
    return { reason: 'dovecot is not installed (scripts/setup.sh or scripts/sogo.sh install)' };
  if (!existsSync(join(certDir, 'ca.pem')))
    return { reason: `no ${certDir}/ca.pem: run bash scripts/dovecot-imap.sh start (and stop) once` };
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-dovecot-'));
  chmodSync(dir, 0o755);
  let dovecot: ChildProcess | undefined;
  const stop = async (keep = process.env.TIDINGS_BENCH_KEEP === '1') => {
    if (dovecot?.pid !== undefined && dovecot.exitCode === null) {
      // The master (our child, its own process group) ends its login/imap/auth children on TERM.
      process.kill(dovecot.pid, 'SIGTERM');
      const by = Date.now() + 10_000;
      while (dovecot.exitCode === null && Date.now() < by) await sleep(100);
      if (dovecot.exitCode === null) process.kill(-dovecot.pid, 'SIGKILL');
    }
    if (keep) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    const mailUid = Number(execFileSync('id', ['-u', 'mail']).toString().trim());
    const mailGid = Number(execFileSync('id', ['-g', 'mail']).toString().trim());
    for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d));
    chownSync(join(dir, 'mail'), mailUid, mailGid);
    const users = Array.from({ length: o.users }, (_, i) => `s${i}:{PLAIN}${password}::::::`).join('\n');
    writeFileSync(join(dir, 'users'), `${users}\n`, { mode: 0o644 });
    const port = await freePort();
    writeFileSync(join(dir, 'dovecot.conf'), conf(dir, certDir, o.users, port, o.keepAliveSec ?? 120));
    dovecot = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore', detached: true });
    const upBy = Date.now() + 20_000;
    for (;;) {
      try {
        execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: 'ignore' });
        break;
      } catch {
        if (Date.now() > upBy || dovecot.exitCode !== null)
          throw new Error(`the bench Dovecot did not listen on ${port}; see ${dir}/dovecot.log`);
        await sleep(200);
      }
    }
    return { port, ca: join(certDir, 'ca.pem'), password, dir, stop: () => stop() };
  } catch (err) {
    await stop(true); // its log says why
    return { reason: (err as Error).message };
  }
}
