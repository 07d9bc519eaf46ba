/**
 * WBXML codec benchmark: our decode/encode against libwbxml's C tree API, in the same run, on
 * realistic EAS documents (sample-documents.ts): a ~1 KB FolderSync response, a ~30 KB calendar
 * Sync, and ~250 KB and ~5 MB mail Syncs whose bodies are MIME messages carried as OPAQUE.
 *
 *   npm run bench            (all workspace benchmarks)
 *   npx tsx wbxml/bench/codec.bench.ts
 *
 * Targets (issue 2): >= 1.0x libwbxml for decode and encode on the large documents, >= 2x on the
 * 1 KB one; decoding 5 MB holds <= ~3x its size. Encode is timed through three APIs, each judged
 * on its own row: one-shot `encode()` (owned copy), `createEncoder().encode` (reused buffer,
 * borrowed view; the like-for-like row, since libwbxml's malloc/free loop reuses warm pages
 * too) and `createEncoder().encodeChunks` (OPAQUE by reference; no libwbxml counterpart).
 * Each figure is the median of several timed rounds after a warm-up, ours and libwbxml's
 * interleaved round by round, timed in process CPU time on both sides (process.cpuUsage here,
 * CLOCK_PROCESS_CPUTIME_ID in the harness). libwbxml runs through libwbxml-harness.c, compiled
 * here with cc against Debian's libwbxml2-dev; when that is impossible the reason is printed and
 * only our figures shown.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { calendarSync, folderSyncResponse, mailSync } from '../scripts/sample-documents';
import { decode } from '../src/decoder';
import { createEncoder, encode } from '../src/encoder';
import type { WbxmlElement } from '../src/tree';

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

interface Doc {
  name: string;
  tree: WbxmlElement;
  bytes: Uint8Array;
  /** Minimum speed-up over libwbxml the issue asks for. */
  target: number;
}

function docs(): Doc[] {
  const make = (name: string, tree: WbxmlElement, target: number): Doc => ({
    name,
    tree,
    bytes: encode(tree),
    target,
  });
  return [
    make('FolderSync response 1 KB', folderSyncResponse(), 2),
    make('calendar Sync 30 KB', calendarSync(), 1),
    make('mail Sync 250 KB (MIME opaque)', mailSync(250 * 1024), 1),
    make('mail Sync 5 MB (MIME opaque)', mailSync(5 * 1024 * 1024), 1),
  ];
}

/** The last result of the measured function (a blackhole the optimiser cannot drop). */
let sink: unknown;

/** Process CPU time in nanoseconds (user + system, all threads: GC helpers count too). */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/**
 * CPU nanoseconds per call over one round of at least ROUND_MS of CPU time. CPU time, on both
 * sides, because these machines are shared: wall time would add the time spent waiting for a core.
 */
function roundNs(fn: () => unknown): number {
  // Calls run in batches, doubling while a batch takes under 1 ms, so reading the clock (a
  // system call) stays out of the per-call figure for small documents; the harness does the same.
  let batch = 1;
  let n = 0;
  const t0 = cpuNs();
  let elapsed = 0;
  for (;;) {
    const b0 = cpuNs();
    for (let i = 0; i < batch; i++) {
      // Keep each result until the next call, as a caller does (and as the harness frees only
      // after use): a result dropped on the spot measured several times slower here.
      sink = fn();
    }
    n += batch;
    const now = cpuNs();
    elapsed = now - t0;
    if (elapsed >= ROUND_MS * 1e6 && n >= 3) return elapsed / n;
    if (now - b0 < 1e6) batch *= 2;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Timing {
  decodeNs: number;
  encodeNs: number;
}

/** Our figures: decode, and encode through each of the three APIs. */
interface OurTiming extends Timing {
  /** `createEncoder().encode`: the same bytes in the encoder's reused buffer (a borrowed view). */
  reusedNs: number;
  /** `createEncoder().encodeChunks`: structural bytes reused, OPAQUE payloads by reference. */
  chunksNs: number;
}

/** Compiles the C harness; returns its path, or a reason it cannot run. */
function buildHarness(dir: string): { bin?: string; why?: string } {
  try {
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libwbxml2'], { encoding: 'utf8' })
      .trim()
      .split(/\s+/);
    const bin = join(dir, 'libwbxml-harness');
    execFileSync('cc', ['-O2', '-o', bin, join(import.meta.dirname, 'libwbxml-harness.c'), ...flags], {
      stdio: 'pipe',
    });
    return { bin };
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return {
      why: `${e.message.split('\n')[0]} ${e.stderr?.toString().trim() ?? ''} (apt-get install libwbxml2-dev pkg-config build-essential)`,
    };
  }
}

/**
 * Our decode and encodes and libwbxml's, in interleaved rounds after a warm-up; medians. Each
 * round times all four of ours, then one harness run (its decode and encode), so both sides see
 * the same machine load; the figures of this shared machine drift by 2x within a minute.
 */
async function measure(
  doc: Doc,
  peer: Peer | undefined,
  file: string,
): Promise<{ ours: OurTiming; lib?: Timing }> {
  // One encoder per API, as the daemon would hold one per connection; each result is kept (in
  // `sink`) until the next call, which is exactly as long as a borrowed result is valid.
  const reuse = createEncoder();
  const chunker = createEncoder();
  const fns = [
    () => decode(doc.bytes),
    () => encode(doc.tree),
    () => reuse.encode(doc.tree),
    () => chunker.encodeChunks(doc.tree),
  ];
  for (let i = 0; i < 2; i++) {
    // Warm-up: let the JIT settle and the scratch and encoder buffers reach their size.
    for (const fn of fns) roundNs(fn);
  }
  const t: number[][] = fns.map(() => []);
  const ld: number[] = [];
  const le: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const [k, fn] of fns.entries()) t[k]!.push(roundNs(fn));
    if (peer) {
      const r = await peer.run(file);
      ld.push(r.decodeNs);
      le.push(r.encodeNs);
    }
  }
  const ours = {
    decodeNs: median(t[0]!),
    encodeNs: median(t[1]!),
    reusedNs: median(t[2]!),
    chunksNs: median(t[3]!),
  };
  return peer ? { ours, lib: { decodeNs: median(ld), encodeNs: median(le) } } : { ours };
}

/**
 * Runs the harness through a small shell started before the documents exist. Spawning from this
 * process (fork) would leave its large heap copy-on-write, and on this sandbox the page faults
 * that follow were charged to whichever of our rounds came next (10x on the 250 KB decode); the
 * shell is small and does the forking, so our rounds and libwbxml's can interleave.
 */
interface Peer {
  run(file: string): Promise<Timing>;
  close(): void;
}

function startPeer(bin: string): Peer {
  const sh = spawn(
    'sh',
    ['-c', 'while read -r f ms; do "$0" "$f" "$ms" || echo "{\\"error\\":1}"; done', bin],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: sh.stdout })[Symbol.asyncIterator]();
  return {
    async run(file) {
      sh.stdin.write(`${file} ${ROUND_MS}\n`);
      const next = await lines.next();
      if (next.done) throw new Error('libwbxml harness shell exited');
      const r = JSON.parse(next.value) as Timing & { error?: number };
      if (r.error) throw new Error(`libwbxml harness failed on ${file}`);
      return r;
    },
    close() {
      sh.stdin.end();
    },
  };
}

/** Checks, before timing, that every encode API gives the bytes the decode rows read. */
function checkSameBytes(doc: Doc): void {
  const reused = createEncoder().encode(doc.tree);
  const chunks = Buffer.concat(createEncoder().encodeChunks(doc.tree));
  if (!Buffer.from(reused).equals(Buffer.from(doc.bytes)) || !chunks.equals(Buffer.from(doc.bytes))) {
    throw new Error(`${doc.name}: the encode APIs disagree`);
  }
}

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(9);
const mbps = (bytes: number, ns: number) => bytes / 1024 / 1024 / (ns / 1e9);
const perSec = (ns: number) => 1e9 / ns;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  try {
    const harness = buildHarness(dir);
    if (!harness.bin) console.log(`libwbxml peer unavailable: ${harness.why}\n`);
    const peer = harness.bin ? startPeer(harness.bin) : undefined;
    console.log(
      `node ${process.version}, ${ROUNDS} rounds x >= ${ROUND_MS} ms CPU time, median; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}\n`,
    );
    console.log(
      [
        'Rows per document (ratio = libwbxml time / ours; > 1 means we are faster):',
        '  decode          decode(bytes) vs wbxml_tree_from_wbxml + wbxml_tree_destroy',
        '  encode one-shot encode(tree): a fresh, caller-owned Uint8Array per call',
        "  encode reused   createEncoder().encode(tree): same bytes, in the encoder's reused buffer;",
        '                  the result is a borrowed view, valid until the next call on that encoder',
        '  encode chunks   createEncoder().encodeChunks(tree): same bytes as a list of chunks, OPAQUE',
        '                  payloads >= 1 KiB by reference (not copied), structure in a reused buffer',
        'libwbxml encode is wbxml_tree_to_wbxml + wbxml_free in a loop: each result is freed before',
        'the next malloc, which hands back the same warm pages — a reused buffer in effect, so "encode',
        'reused" is the like-for-like row. "encode chunks" has no libwbxml counterpart (it writes no',
        'contiguous document); its ratio is against the same libwbxml encode, for scale only.',
        '',
      ].join('\n'),
    );
    const header = `${'document'.padEnd(32)} ${'bytes'.padStart(9)} | ${'op'.padEnd(15)} | ${'ours MB/s'.padStart(9)} ${'docs/s'.padStart(9)} | ${'lib MB/s'.padStart(9)} ${'docs/s'.padStart(9)} | ratio  target`;
    console.log(header);
    console.log('-'.repeat(header.length));
    const misses: string[] = [];
    const all = docs();
    for (const doc of all) checkSameBytes(doc);
    const results: { ours: OurTiming; lib?: Timing }[] = [];
    for (const doc of all) {
      const file = join(dir, `${doc.bytes.length}.wbxml`);
      writeFileSync(file, doc.bytes);
      results.push(await measure(doc, peer, file));
    }
    peer?.close();
    const rows = [
      ['decode', (t: OurTiming) => t.decodeNs, (t: Timing) => t.decodeNs],
      ['encode one-shot', (t: OurTiming) => t.encodeNs, (t: Timing) => t.encodeNs],
      ['encode reused', (t: OurTiming) => t.reusedNs, (t: Timing) => t.encodeNs],
      ['encode chunks', (t: OurTiming) => t.chunksNs, (t: Timing) => t.encodeNs],
    ] as const;
    for (const [i, doc] of all.entries()) {
      const { ours, lib } = results[i]!;
      for (const [op, pickOurs, pickLib] of rows) {
        const o = pickOurs(ours);
        const l = lib ? pickLib(lib) : undefined;
        const ratio = l === undefined ? undefined : l / o;
        const verdict = ratio === undefined ? 'n/a' : ratio >= doc.target ? 'met' : 'MISSED';
        if (verdict === 'MISSED') misses.push(`${doc.name} ${op}: ${ratio!.toFixed(2)}x < ${doc.target}x`);
        console.log(
          `${doc.name.padEnd(32)} ${String(doc.bytes.length).padStart(9)} | ${op.padEnd(15)} | ${fmt(mbps(doc.bytes.length, o))} ${fmt(perSec(o), 0)} | ` +
            `${l === undefined ? '      n/a       n/a' : `${fmt(mbps(doc.bytes.length, l))} ${fmt(perSec(l), 0)}`} | ` +
            `${ratio === undefined ? '  n/a ' : `${ratio.toFixed(2).padStart(5)}x`} >=${doc.target}x ${verdict}`,
        );
      }
    }

    const mem = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--expose-gc', join(import.meta.dirname, 'decode-memory.ts')],
      {
        encoding: 'utf8',
      },
    );
    if (mem.status !== 0) throw new Error(`decode-memory failed: ${mem.stderr}`);
    const m = JSON.parse(mem.stdout) as {
      documentBytes: number;
      heldBytes: number;
      heapDelta: number;
      externalDelta: number;
      rssDelta: number;
    };
    const ratio = m.heldBytes / m.documentBytes;
    console.log(
      `\ndecode memory, 5 MB mail Sync (${m.documentBytes} bytes): tree holds ${(m.heldBytes / 1048576).toFixed(2)} MiB ` +
        `= ${ratio.toFixed(2)}x the document (heap ${(m.heapDelta / 1048576).toFixed(2)} MiB + external ${(m.externalDelta / 1048576).toFixed(2)} MiB; ` +
        `RSS +${(m.rssDelta / 1048576).toFixed(2)} MiB); target <= 3x: ${ratio <= 3 ? 'met' : 'MISSED'}`,
    );
    if (ratio > 3) misses.push(`decode memory ${ratio.toFixed(2)}x > 3x`);
    console.log(
      misses.length === 0
        ? '\nall targets met, by every API'
        : `\ntargets missed (per API; a miss by one encode API is not covered by another's row):\n  ${misses.join('\n  ')}`,
    );
    if (sink === undefined) console.log('(no result)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
