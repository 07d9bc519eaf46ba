/**
 * Scale benchmark (issue 5): one daemon holding the Pings of 1 000 and of 10 000 EAS accounts
 * against the fixture server (127.0.0.1, a separate process), plus idle RSS with 3 accounts.
 * Prints RSS, CPU seconds per idle minute (a full minute after a settle period;
 * TIDINGS_BENCH_IDLE_SEC shortens it for a quick look, and the output then says it scaled), and change → IPC signal latency p50/p99 under a burst of 1 000 changes/s, with
 * PASS/MISS against the targets. Runs alone: `npx tsx daemon/bench/scale.bench.ts`; with
 * `--quick` only the 3- and 1 000-account runs; `--accounts N` one run of N accounts;
 * `--no-imap` without the IMAP run; `--accounts N --imap` that run, then again with the IMAP accounts.
 *
 * IMAP (issue 17): after the EAS-only 1 000-account run, the same run with 1 000 IMAP IDLE accounts
 * beside the EAS ones (IMAPS, INBOX only, against a bench-only Dovecot 2.3 of 1 000 users:
 * bench-dovecot.ts), timed the same way; memory per IMAP account = (idle RSS with both − idle
 * RSS of the EAS-only run) / 1 000. No Dovecot (or its certificate): the run is skipped with the
 * reason printed.
 *
 * The daemon runs as the service units run it: the bundle, with the units' node flags
 * (DAEMON_NODE_FLAGS, v8-tuning.ts).
 *
 * The same file is also the fixture server's process (`--role server`), so the server's CPU and
 * memory never count against the daemon.
 *
 * Peers, measured in the same run: for memory, bare node (an empty event loop with the same
 * flags), so each figure shows what the daemon adds; for latency, an authenticated OPTIONS round
 * trip (node:http, keep-alive) to the same fixture server every 20 ms during the burst — the
 * floor for a signal, which needs at least two round trips (the Ping's answer, then the Sync).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { buildDaemon } from '../../scripts/build-daemon';
import { type BenchDovecot, startBenchDovecot } from './bench-dovecot';
import { connect, type IpcClient } from '../src/ipc/client';
import { DAEMON_NODE_FLAGS } from '../src/v8-tuning';

const ROOT = join(import.meta.dirname, '..', '..');
const PASSWORD = 'bench-password';
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Where the daemon's state.db goes; TIDINGS_BENCH_STATE_BASE=/dev/shm isolates the cost of fsync. */
const STATE_BASE = process.env.TIDINGS_BENCH_STATE_BASE ?? tmpdir();
/** Extra node flags for the daemon, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where a burst goes. */
const DAEMON_NODE_ARGS = process.env.TIDINGS_BENCH_DAEMON_NODE_ARGS ?? '';
/**
 * How the daemon runs: the production form, the esbuild bundle (`dist/tidings.mjs`, built at the
 * start of the bench), or with TIDINGS_BENCH_FROM_SOURCE=1 the sources under tsx's loader.
 */
/** A file for the daemon's stdout, e.g. with `--trace-gc-nvp` in TIDINGS_BENCH_DAEMON_NODE_ARGS. */
const DAEMON_STDOUT = process.env.TIDINGS_BENCH_DAEMON_STDOUT;
/** A file to write each change's offset into the burst and its latency to, ms (one line each). */
const DUMP = process.env.TIDINGS_BENCH_DUMP;
/** Extra node flags for the fixture server process, e.g. `--cpu-prof` to see whether it keeps up. */
const SERVER_NODE_ARGS = process.env.TIDINGS_BENCH_SERVER_NODE_ARGS ?? '';
/**
 * The fixture server stands in for an Exchange server on another machine, yet shares our two
 * cores. Its V8 memory reducer shrinks its heap during the idle minute, and the first burst then
 * pays for the regrowth in the server's answers. 1 000 accounts after the idle minute: p99
 * 117–194 ms over four runs with it, 57–151 ms over six without; after a 3 s idle 18–60 ms, with
 * the daemon's own CPU per change the same throughout. So the server keeps its heap.
 */
const SERVER_NODE_FLAGS = ['--no-memory-reducer'];
const FROM_SOURCE = process.env.TIDINGS_BENCH_FROM_SOURCE === '1';
/** glibc's arena cap, passed on when set (A/B: `MALLOC_ARENA_MAX=2 npx tsx …`); unset by default. */
const MALLOC_ARENA_MAX = process.env.MALLOC_ARENA_MAX;

/* ---------- server role ---------- */

async function serverRole(users: number): Promise<void> {
  const { startEasServer } = await import('@tidings/fixtures');
  const map: Record<string, string> = {};
  for (let i = 0; i < users; i++) map[`u${i}`] = PASSWORD;
  const server = await startEasServer({ users: map, record: 0, maxHeartbeat: 3540 });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  // Requests per command, reset by each burst: how many round trips a change costs.
  let counts: Record<string, number> = {};
  server.handlers['*'] = (req, next) => {
    // The bench's latency peer sends OPTIONS; the daemon sends none during a burst.
    if (req.command !== 'OPTIONS') counts[req.command] = (counts[req.command] ?? 0) + 1;
    return next();
  };
  // Commands on stdin: {"burst": n, "perSecond": r} adds n mails to random users at r/s and
  // reports each add's time, so the bench can match signals to changes; {"counts": true}
  // reports the requests answered since the burst began.
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as { burst?: number; perSecond?: number; quit?: boolean; counts?: boolean };
    if (cmd.quit) break;
    if (cmd.burst) {
      const gap = 1000 / (cmd.perSecond ?? 1000);
      const start = now();
      counts = {};
      const adds: { token: string; at: number }[] = [];
      for (let n = 0; n < cmd.burst; n++) {
        while (now() < start + n * gap) await sleep(Math.max(0, start + n * gap - now()));
        const token = `b${n}-${Math.random().toString(36).slice(2, 8)}`;
        const user = `u${Math.floor(Math.random() * users)}`;
        const at = now();
        server.addMail(user, { subject: token, from: 'Bench <bench@example.org>' });
        adds.push({ token, at });
      }
      process.stdout.write(`${JSON.stringify({ adds })}\n`);
    }
    if (cmd.counts) process.stdout.write(`${JSON.stringify({ counts })}\n`);
  }
  await server.close();
  process.exit(0);
}

/* ---------- bench role ---------- */

interface ProcStat {
  rssMb: number;
  cpuSec: number;
}

/** Anonymous (heap, malloc, stacks) vs file-backed (node binary, shared libraries) resident MB. */
function smaps(pid: number): { anonMb: number; fileMb: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { anonMb: kb('Anonymous') / 1024, fileMb: (kb('Rss') - kb('Anonymous')) / 1024 };
}

/** RSS and CPU time of a process from /proc (Linux). */
function procStat(pid: number): ProcStat {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return { rssMb: rssKb / 1024, cpuSec: ticks / 100 }; // USER_HZ is 100 on Linux
}

/** The memory peer: bare node with the daemon's flags, an empty event loop, after a settle. */
async function bareNode(): Promise<{ rssMb: number; anonMb: number; fileMb: number }> {
  const p = spawn(process.execPath, [...DAEMON_NODE_FLAGS, '-e', 'setInterval(() => {}, 1 << 30)'], {
    stdio: 'ignore',
  });
  try {
    await sleep(3000);
    const { anonMb, fileMb } = smaps(p.pid!);
    return { rssMb: procStat(p.pid!).rssMb, anonMb, fileMb };
  } finally {
    p.kill('SIGKILL');
  }
}

/**
 * The latency peer: authenticated OPTIONS round trips to the fixture server, one every 20 ms
 * until `done()`, over one keep-alive connection. Milliseconds, sorted.
 */
async function roundTrips(url: string, done: () => boolean): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const auth = `Basic ${Buffer.from(`u0:${PASSWORD}`).toString('base64')}`;
  const times: number[] = [];
  try {
    while (!done()) {
      const t0 = now();
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(
          url,
          { method: 'OPTIONS', agent, headers: { authorization: auth } },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`OPTIONS ${res.statusCode}`)),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
      times.push(now() - t0);
      await sleep(Math.max(0, 20 - (now() - t0)));
    }
  } finally {
    agent.destroy();
  }
  return times.sort((a, b) => a - b);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Seconds between all Pings parked and the idle window; the window's length (a full minute). */
const SETTLE_SEC = 10;
const IDLE_SEC = Number(process.env.TIDINGS_BENCH_IDLE_SEC ?? 60);

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function lines(p: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: p.stdout! })[Symbol.asyncIterator]();
}

interface RunResult {
  accounts: number;
  /** IMAP accounts held beside the EAS ones (0: an EAS-only run). */
  imap: number;
  ready: number;
  readySec: number;
  rssMb: number;
  idleRssMb: number;
  anonMb: number;
  fileMb: number;
  cpuPerIdleMin: number;
  idleWindowSec: number;
  p50?: number;
  p99?: number;
  received?: number;
  sent?: number;
  /** CPU seconds the daemon and the fixture server spent from the burst's start to its last signal. */
  burstCpuSec?: number;
  serverBurstCpuSec?: number;
  benchBurstCpuSec?: number;
  /** Requests the fixture server answered from the burst's start to its last signal, per command. */
  requests?: Record<string, number>;
  /** The latency peer's round trips during the burst (see roundTrips). */
  peerP50?: number;
  peerP99?: number;
  peerCount?: number;
}

async function run(
  accounts: number,
  opts: {
    burst: boolean;
    idleSec: number;
    readyTimeoutSec: number;
    imap?: { count: number; server: BenchDovecot };
  },
): Promise<RunResult> {
  const imap = opts.imap?.count ?? 0;
  const dir = mkdtempSync(join(STATE_BASE, 'tidings-bench-'));
  const children: ChildProcess[] = [];
  let client: IpcClient | undefined;
  try {
    const server = spawn(
      'bash',
      [
        '-c',
        `ulimit -n $(ulimit -Hn); exec "${process.execPath}" ${SERVER_NODE_FLAGS.join(' ')} ${SERVER_NODE_ARGS} --import tsx "${import.meta.filename}" --role server --users ${accounts}`,
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(server);
    const serverOut = lines(server);
    const { url } = JSON.parse((await serverOut.next()).value as string) as { url: string };

    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        logLevel: 'warn',
        // No coalescing window: the default 2 s window delays every signal by design; here we
        // measure the pipeline itself (Ping answer → Sync → store → hub → IPC).
        notifications: { coalesceMs: 0, sinks: { desktop: { enabled: false } } },
        accounts: [
          ...Array.from({ length: accounts }, (_, i) => ({
            id: `a${i}`,
            kind: 'exchange',
            email: `u${i}@example.org`,
            username: `u${i}`,
            url,
            folders: ['Inbox'],
            auth: { type: 'basic', secret: { env: 'TIDINGS_BENCH_PW' } },
          })),
          ...Array.from({ length: imap }, (_, i) => ({
            id: `s${i}`,
            kind: 'imap',
            host: '127.0.0.1',
            port: opts.imap!.server.port,
            security: 'tls',
            username: `s${i}`,
            secret: { env: 'TIDINGS_BENCH_IMAP_PW' },
            tls: { ca: opts.imap!.server.ca },
            mailboxes: ['INBOX'],
          })),
        ],
      }),
    );
    const socket = join(dir, 'run', 'tidings.sock');
    const t0 = now();
    const daemon = spawn(
      'bash',
      [
        '-c',
        `ulimit -n $(ulimit -Hn); exec "${process.execPath}" ${DAEMON_NODE_FLAGS.join(' ')} ${DAEMON_NODE_ARGS} ${FROM_SOURCE ? '--import tsx daemon/src/cli/main.ts' : 'dist/tidings.mjs'} daemon --no-demo --config "${configPath}" --socket "${socket}" --state-dir "${join(dir, 'state')}"`,
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          TIDINGS_BENCH_PW: PASSWORD,
          TIDINGS_BENCH_IMAP_PW: opts.imap?.server.password ?? '',
        },
        stdio: ['ignore', DAEMON_STDOUT ? openSync(DAEMON_STDOUT, 'w') : 'ignore', 'inherit'],
      },
    );
    children.push(daemon);
    const pid = daemon.pid!; // bash exec'd node: same pid

    for (;;) {
      try {
        client = await connect(socket, { client: 'bench', callTimeoutMs: 120_000 });
        break;
      } catch {
        await sleep(200);
      }
    }
    let ready = 0;
    const deadline = t0 + opts.readyTimeoutSec * 1000;
    while (now() < deadline) {
      const s = await client.call('status', {});
      ready = s.accounts.filter((a) => a.status.state === 'waiting').length;
      if (ready === accounts + imap) break;
      await sleep(accounts + imap > 2000 ? 2000 : 250);
    }
    const readySec = (now() - t0) / 1000;

    // Idle: every Ping parked, nothing happening. The first seconds after start-up still hold
    // V8's memory-reducer GCs of the start-up garbage (a one-off, ~1 s at 10 000 accounts), so
    // the window opens after a settle period.
    await sleep(SETTLE_SEC * 1000);
    const before = procStat(pid);
    await sleep(opts.idleSec * 1000);
    const after = procStat(pid);
    const result: RunResult = {
      accounts,
      imap,
      ready,
      readySec,
      rssMb: after.rssMb,
      idleRssMb: after.rssMb,
      ...smaps(pid),
      cpuPerIdleMin: ((after.cpuSec - before.cpuSec) / opts.idleSec) * 60,
      idleWindowSec: opts.idleSec,
    };

    if (opts.burst) {
      const arrived = new Map<string, number>();
      client.onSignal((s) => {
        const t = now();
        for (const i of s.added) if (i.title && !arrived.has(i.title)) arrived.set(i.title, t);
      });
      await client.subscribe();
      const cpu0 = procStat(pid).cpuSec;
      const serverCpu0 = procStat(server.pid!).cpuSec;
      const benchCpu0 = process.cpuUsage();
      let burstOver = false;
      const peer = roundTrips(url, () => burstOver);
      server.stdin!.write(`${JSON.stringify({ burst: 1000, perSecond: 1000 })}\n`);
      const { adds } = JSON.parse((await serverOut.next()).value as string) as {
        adds: { token: string; at: number }[];
      };
      const end = now() + 15_000;
      while (arrived.size < adds.length && now() < end) await sleep(100);
      burstOver = true;
      const peerTimes = await peer;
      result.peerP50 = percentile(peerTimes, 50);
      result.peerP99 = percentile(peerTimes, 99);
      result.peerCount = peerTimes.length;
      if (DUMP)
        writeFileSync(
          DUMP,
          adds
            .map(
              (a) =>
                `${(a.at - adds[0]!.at).toFixed(1)} ${((arrived.get(a.token) ?? Number.NaN) - a.at).toFixed(1)}`,
            )
            .join('\n'),
        );
      const lat = adds
        .flatMap((a) => (arrived.has(a.token) ? [arrived.get(a.token)! - a.at] : []))
        .sort((x, y) => x - y);
      result.burstCpuSec = procStat(pid).cpuSec - cpu0;
      server.stdin!.write(`${JSON.stringify({ counts: true })}\n`);
      result.requests = (
        JSON.parse((await serverOut.next()).value as string) as { counts: Record<string, number> }
      ).counts;
      result.serverBurstCpuSec = procStat(server.pid!).cpuSec - serverCpu0;
      const benchCpu = process.cpuUsage(benchCpu0);
      result.benchBurstCpuSec = (benchCpu.user + benchCpu.system) / 1e6;
      result.p50 = percentile(lat, 50);
      result.p99 = percentile(lat, 99);
      result.received = lat.length;
      result.sent = adds.length;
      result.rssMb = Math.max(result.rssMb, procStat(pid).rssMb);
    }
    await client.call('shutdown', {}).catch(() => {});
    server.stdin!.write(`${JSON.stringify({ quit: true })}\n`);
    return result;
  } finally {
    client?.close();
    // Give both a moment to exit on their own (a --cpu-prof daemon writes its profile then).
    const end = now() + 15_000;
    while (children.some((c) => c.exitCode === null && c.signalCode === null) && now() < end)
      await sleep(100);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

type Peer = Awaited<ReturnType<typeof bareNode>>;

function report(r: RunResult, bare: Peer, rssTarget?: number, easOnly?: RunResult): void {
  const total = r.accounts + r.imap;
  const rss = `${r.rssMb.toFixed(1)} MB${rssTarget ? ` (target < ${rssTarget} MB: ${verdict(r.rssMb < rssTarget && r.ready === total)})` : ''}`;
  console.log(
    r.imap === 0
      ? `\n${r.accounts} accounts: ${r.ready}/${r.accounts} holding a Ping after ${r.readySec.toFixed(1)} s`
      : `\n${r.accounts} EAS + ${r.imap} IMAP IDLE accounts: ${r.ready}/${total} waiting (Ping held, IDLE on) after ${r.readySec.toFixed(1)} s`,
  );
  console.log(`  RSS ${rss}`);
  console.log(
    `  idle RSS ${r.idleRssMb.toFixed(1)} MB: ${r.anonMb.toFixed(1)} MB anonymous (JS heap, malloc, stacks), ${r.fileMb.toFixed(1)} MB file-backed (node binary, libraries)`,
  );
  const added = r.idleRssMb - bare.rssMb;
  console.log(
    `  peer, bare node with the same flags (this run): ${bare.rssMb.toFixed(1)} MB (${bare.anonMb.toFixed(1)} anonymous, ${bare.fileMb.toFixed(1)} file-backed); ` +
      `the daemon idles at ${(r.idleRssMb / bare.rssMb).toFixed(2)}× it, +${added.toFixed(1)} MB` +
      (total >= 1000 ? ` (${((added * 1024) / total).toFixed(1)} KB per account)` : ''),
  );
  if (easOnly && r.imap > 0)
    console.log(
      `  per IMAP account: ${(((r.idleRssMb - easOnly.idleRssMb) * 1024) / r.imap).toFixed(1)} KB ` +
        `(idle RSS ${r.idleRssMb.toFixed(1)} MB − ${easOnly.idleRssMb.toFixed(1)} MB of the EAS-only run, / ${r.imap}; anonymous ${(((r.anonMb - easOnly.anonMb) * 1024) / r.imap).toFixed(1)} KB); ` +
        `per EAS account in the EAS-only run ${(((easOnly.idleRssMb - bare.rssMb) * 1024) / easOnly.accounts).toFixed(1)} KB`,
    );
  console.log(
    `  CPU ${r.cpuPerIdleMin.toFixed(3)} s per idle minute (measured over ${r.idleWindowSec} s${r.idleWindowSec === 60 ? '' : ', scaled to 60 s'})`,
  );
  if (r.sent !== undefined)
    console.log(
      `  change → IPC signal, burst of ${r.sent} changes at 1 000/s: ${r.received}/${r.sent} arrived, ` +
        `p50 ${r.p50?.toFixed(1)} ms, p99 ${r.p99?.toFixed(1)} ms (target p99 < 100 ms: ${verdict((r.p99 ?? Infinity) < 100 && r.received === r.sent)})`,
    );
  if (r.peerP99 !== undefined)
    console.log(
      `  peer, one OPTIONS round trip to the same server during the burst (${r.peerCount} of them): p50 ${r.peerP50?.toFixed(1)} ms, p99 ${r.peerP99.toFixed(1)} ms; ` +
        `the signal's p50 is ${((r.p50 ?? Number.NaN) / (r.peerP50 ?? Number.NaN)).toFixed(1)}×, p99 ${((r.p99 ?? Number.NaN) / r.peerP99).toFixed(1)}× (a signal needs ≥ 2 round trips)`,
    );
  if (r.requests)
    console.log(
      `  requests during the burst: ${Object.entries(r.requests)
        .map(([c, n]) => `${c} ${n}`)
        .join(
          ', ',
        )} (${(Object.values(r.requests).reduce((a, b) => a + b, 0) / (r.sent || 1)).toFixed(2)} per change)`,
    );
  if (r.burstCpuSec !== undefined)
    console.log(
      `  CPU during the burst: daemon ${r.burstCpuSec.toFixed(2)} s (${((r.burstCpuSec / (r.sent || 1)) * 1000).toFixed(2)} ms per change), fixture server ${r.serverBurstCpuSec?.toFixed(2)} s, this bench's IPC client ${r.benchBurstCpuSec?.toFixed(2)} s`,
    );
}

/** The 1 000-account run again with 1 000 IMAP IDLE accounts beside the EAS ones (issue 17). */
async function imapRun(easOnly: RunResult, bare: Peer): Promise<void> {
  const count = 1000;
  const server = await startBenchDovecot({ users: count });
  if ('reason' in server) {
    console.log(`\n${easOnly.accounts} EAS + ${count} IMAP accounts: SKIPPED, ${server.reason}`);
    if (process.env.CI === 'true') process.exitCode = 1;
    return;
  }
  try {
    const both = await run(easOnly.accounts, {
      burst: true,
      idleSec: IDLE_SEC,
      readyTimeoutSec: 240,
      imap: { count, server },
    });
    report(both, bare, undefined, easOnly);
    if (both.ready !== both.accounts + count) {
      console.error(`MISS: only ${both.ready} of ${both.accounts + count} accounts reached waiting`);
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--role' && args[1] === 'server') {
    await serverRole(Number(args[args.indexOf('--users') + 1]));
    return;
  }
  const quick = args.includes('--quick');
  const only = args.includes('--accounts') ? Number(args[args.indexOf('--accounts') + 1]) : undefined;
  const started = now();
  if (!FROM_SOURCE) await buildDaemon({ quiet: true });
  const bare = await bareNode();
  console.log(
    `daemon runs as ${FROM_SOURCE ? 'sources under tsx' : 'the esbuild bundle dist/tidings.mjs'}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX ?? 'unset'}`,
  );
  console.log(
    'scale bench: daemon and fixture EAS server in separate processes on 127.0.0.1, fd limit raised to the hard ' +
      `limit (${spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()}); state under ${STATE_BASE}`,
  );
  console.log('coalesceMs 0 for the latency runs (the default 2 s window delays signals by design)');
  if (only !== undefined) {
    const r = await run(only, { burst: only > 3, idleSec: IDLE_SEC, readyTimeoutSec: 150 });
    report(r, bare, only >= 10_000 ? 300 : only <= 3 ? 60 : undefined);
    // `--accounts 1000 --imap`: that run again with 1 000 IMAP accounts beside.
    if (args.includes('--imap')) await imapRun(r, bare);
    return;
  }
  const three = await run(3, { burst: false, idleSec: IDLE_SEC, readyTimeoutSec: 60 });
  report(three, bare, 60);
  const thousand = await run(1000, { burst: true, idleSec: IDLE_SEC, readyTimeoutSec: 90 });
  report(thousand, bare);
  if (!args.includes('--no-imap')) await imapRun(thousand, bare);
  if (!quick) {
    const tenThousand = await run(10_000, { burst: true, idleSec: IDLE_SEC, readyTimeoutSec: 150 });
    report(tenThousand, bare, 300);
  }
  console.log(`\nscale bench took ${((now() - started) / 1000).toFixed(0)} s`);
}

await main();
