/**
 * WBXML codec benchmark: our decode/encode against libwbxml's C tree API, in the same run, on
 * documents of the two shapes EAS servers send (sample-documents.ts), each at ~1 KB, ~250 KB and
 * ~5 MB, plus a ~1 KB FolderSync:
 *   - text-heavy: a mail Sync as SOGo and Z-Push answer, bodies as inline HTML strings (a 5 MB one
 *     has ~48 000 elements and ~4.9 M characters of text);
 *   - opaque-heavy: a mail Sync whose bodies are MIME messages carried as OPAQUE (Exchange's
 *     answer to a MIME request), ~95 % copied bytes.
 *
 *   npm run bench            (all workspace benchmarks)
 *   npx tsx wbxml/bench/codec.bench.ts      (BENCH_DOCS=text|opaque|folder filters by name)
 *   BENCH_ENCODE_ONLY=1 npx tsx wbxml/bench/codec.bench.ts   (only the judged one-shot encode row;
 *                                            no XML bridge, no decode memory)
 *
 * Targets (issue 15): decode and one-shot encode() >= 1.0x libwbxml on the 250 KB and 5 MB
 * documents, >= 2x on the 1 KB ones, in CPU time; decoding a 5 MB document adds <= 1.5x its
 * size (judged with `lazyTextFrom: 1024`, as the daemon decodes; eager printed beside it). Encode is timed through three APIs, each judged on its own row: one-shot `encode()`
 * (caller-owned result; what the daemon calls), `createEncoder().encode` (reused buffer, borrowed
 * view) and `createEncoder().encodeChunks` (OPAQUE by reference; no libwbxml counterpart). The
 * judged encode rows encode the tree the document was built from (strings, as the daemon builds
 * its requests); libwbxml encodes its own decoded tree (UTF-8 bytes), so the one-shot encode of
 * our decoded trees (eager: strings; lazy: long texts as bytes) is printed beside it, unjudged.
 * Each figure is the median of several rounds after a warm-up, ours and libwbxml's interleaved
 * round by round. Ratios are CPU time on both sides (process.cpuUsage here,
 * CLOCK_PROCESS_CPUTIME_ID in the harness: GC helper threads count); wall-time ratios are printed
 * beside them. libwbxml runs through libwbxml-harness.c, compiled here with cc against Debian's
 * libwbxml2-dev; when that is impossible the reason is printed and only our figures shown.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderSyncResponse, mailSync, textMailSync } from '../scripts/sample-documents';
import { decode } from '../src/decoder';
import { createEncoder, encode } from '../src/encoder';
import { fromXml, toXml } from '../src/xml';
import type { WbxmlElement } from '../src/tree';

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LAZY = { lazyTextFrom: 1024 };
/** Times only the one-shot `encode()` (the judged encode row), for quick encoder work. */
const ENCODE_ONLY = process.env.BENCH_ENCODE_ONLY === '1';

interface Doc {
  name: string;
  /** Builds the tree; called right before the document is measured. */
  build: () => WbxmlElement;
  /** Minimum speed-up over libwbxml the issue asks for. */
  target: number;
}

/**
 * Smallest first, each built right before it is measured: under tsx (source maps on), code
 * first optimised while encoding a multi-megabyte tree ran 1 KB documents ~5x slower until the
 * next full GC. The bundled daemon showed ~20 %; it meets small documents first anyway.
 */
function docs(): Doc[] {
  const all: Doc[] = [
    { name: 'FolderSync response 1 KB', build: () => folderSyncResponse(), target: 2 },
    { name: 'text mail Sync 1 KB', build: () => textMailSync(1024), target: 2 },
    { name: 'opaque mail Sync 1 KB', build: () => mailSync(1024), target: 2 },
    { name: 'text mail Sync 250 KB', build: () => textMailSync(250 * 1024), target: 1 },
    { name: 'opaque mail Sync 250 KB', build: () => mailSync(250 * 1024), target: 1 },
    { name: 'text mail Sync 5 MB', build: () => textMailSync(5 * 1024 * 1024), target: 1 },
    { name: 'opaque mail Sync 5 MB', build: () => mailSync(5 * 1024 * 1024), target: 1 },
  ];
  const only = process.env.BENCH_DOCS;
  return only ? all.filter((d) => d.name.toLowerCase().includes(only)) : all;
}

/** The last result of the measured function (a blackhole the optimiser cannot drop). */
let sink: unknown;

/** Process CPU time in nanoseconds (user + system, all threads: GC helpers count too). */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** Nanoseconds per call, in CPU time and in wall time. */
interface Cost {
  cpu: number;
  wall: number;
}

/**
 * Cost per call over one round of at least ROUND_MS of CPU time. The ratios use CPU time, on
 * both sides, because these machines are shared: wall time also counts waiting for a core.
 */
function round(fn: () => unknown): Cost {
  // Calls run in batches, doubling while a batch takes under 1 ms, so reading the clock (a
  // system call) stays out of the per-call figure for small documents; the harness does the same.
  let batch = 1;
  let n = 0;
  const w0 = process.hrtime.bigint();
  const t0 = cpuNs();
  for (;;) {
    const b0 = cpuNs();
    for (let i = 0; i < batch; i++) {
      // Keep each result until the next call, as a caller does (and as the harness frees only
      // after use): a result dropped on the spot measured several times slower here.
      sink = fn();
    }
    n += batch;
    const now = cpuNs();
    const elapsed = now - t0;
    if (elapsed >= ROUND_MS * 1e6 && n >= 3) {
      return { cpu: elapsed / n, wall: Number(process.hrtime.bigint() - w0) / n };
    }
    if (now - b0 < 1e6) batch *= 2;
  }
}

/**
 * A short idle pause between our rows, outside the timed rounds: V8 finishes the concurrent GC
 * work (marking, sweeping) a round leaves behind on helper threads, which process CPU time would
 * otherwise charge to whichever row runs next (decode's 15 MB of garbage per call was landing on
 * the encode rows). Each row is still charged the GC its own allocations cause while it runs.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medianCost = (xs: Cost[]): Cost => ({
  cpu: median(xs.map((x) => x.cpu)),
  wall: median(xs.map((x) => x.wall)),
});

interface Timing {
  decode: Cost;
  encode: Cost;
}

/** Our figures: decode, and encode through each of the three APIs. */
interface OurTiming extends Timing {
  /** `createEncoder().encode`: the same bytes in the encoder's reused buffer (a borrowed view). */
  reused: Cost;
  /** `createEncoder().encodeChunks`: structural bytes reused, OPAQUE payloads by reference. */
  chunks: Cost;
  /** `decode(bytes, undefined, { lazyTextFrom: 1024 })`: what the daemon's EAS client calls. */
  lazy: Cost;
  /** One-shot `encode()` of the tree `decode(bytes)` gave (every text a string). */
  fromDecoded: Cost;
  /** One-shot `encode()` of the tree the lazy decode gave (texts >= 1 KiB still UTF-8 bytes). */
  fromLazy: Cost;
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
  doc: Built,
  peer: Peer | undefined,
  file: string,
): Promise<{ ours: OurTiming; lib?: Timing }> {
  // One encoder per API, as the daemon would hold one per connection; each result is kept (in
  // `sink`) until the next call, which is exactly as long as a borrowed result is valid.
  const reuse = createEncoder();
  const chunker = createEncoder();
  // Trees as a decode gives them, for the rows that encode what libwbxml encodes (its own decoded
  // tree, whose text is UTF-8 bytes). Each is built right before its own round and dropped after
  // it: kept for the whole document, the two extra trees (~20 MB for 5 MB) made every full GC of
  // the other rows mark them too.
  let decoded: WbxmlElement | undefined;
  let lazyTree: WbxmlElement | undefined;
  const fns: [() => unknown, (() => void)?, (() => void)?][] = [
    [() => decode(doc.bytes)],
    [() => encode(doc.tree)],
    [() => reuse.encode(doc.tree)],
    [() => chunker.encodeChunks(doc.tree)],
    [() => decode(doc.bytes, undefined, LAZY)],
    [() => encode(decoded!), () => (decoded = decode(doc.bytes)), () => (decoded = undefined)],
    [
      () => encode(lazyTree!),
      () => (lazyTree = decode(doc.bytes, undefined, LAZY)),
      () => (lazyTree = undefined),
    ],
  ];
  const timed = (k: number): Cost => {
    const [fn, before, after] = fns[k]!;
    if (ENCODE_ONLY && k !== 1) return { cpu: Number.NaN, wall: Number.NaN };
    before?.();
    const cost = round(fn);
    after?.();
    return cost;
  };
  for (let i = 0; i < 2; i++) {
    // Warm-up: let the JIT settle and the scratch and encoder buffers reach their size.
    for (let k = 0; k < fns.length; k++) timed(k);
  }
  const t: Cost[][] = fns.map(() => []);
  const ld: Cost[] = [];
  const le: Cost[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (let k = 0; k < fns.length; k++) {
      t[k]!.push(timed(k));
      await settle();
    }
    if (peer) {
      const r = await peer.run(file);
      ld.push(r.decode);
      le.push(r.encode);
    }
  }
  const ours = {
    decode: medianCost(t[0]!),
    encode: medianCost(t[1]!),
    reused: medianCost(t[2]!),
    chunks: medianCost(t[3]!),
    lazy: medianCost(t[4]!),
    fromDecoded: medianCost(t[5]!),
    fromLazy: medianCost(t[6]!),
  };
  return peer ? { ours, lib: { decode: medianCost(ld), encode: medianCost(le) } } : { ours };
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
      const r = JSON.parse(next.value) as {
        decodeNs: number;
        encodeNs: number;
        decodeWallNs: number;
        encodeWallNs: number;
        error?: number;
      };
      if (r.error) throw new Error(`libwbxml harness failed on ${file}`);
      return {
        decode: { cpu: r.decodeNs, wall: r.decodeWallNs },
        encode: { cpu: r.encodeNs, wall: r.encodeWallNs },
      };
    },
    close() {
      sh.stdin.end();
    },
  };
}

interface Built {
  tree: WbxmlElement;
  bytes: Uint8Array;
}

/** Checks, before timing, that every encode API gives the bytes the decode rows read. */
function checkSameBytes(name: string, doc: Built): void {
  const reused = createEncoder().encode(doc.tree);
  const chunks = Buffer.concat(createEncoder().encodeChunks(doc.tree));
  const fromDecoded = Buffer.from(encode(decode(doc.bytes)));
  const fromLazy = Buffer.from(encode(decode(doc.bytes, undefined, LAZY)));
  if (
    !Buffer.from(reused).equals(Buffer.from(doc.bytes)) ||
    !chunks.equals(Buffer.from(doc.bytes)) ||
    !fromDecoded.equals(Buffer.from(doc.bytes)) ||
    !fromLazy.equals(Buffer.from(doc.bytes))
  ) {
    throw new Error(`${name}: the encode APIs disagree`);
  }
}

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(9);
const mbps = (bytes: number, ns: number) => bytes / 1024 / 1024 / (ns / 1e9);
const perSec = (ns: number) => 1e9 / ns;

interface MemoryFigure {
  documentBytes: number;
  lazy: boolean;
  /** The tree keeps the input alive (lazy text views it). */
  inputHeld: boolean;
  /** What the tree holds: what decoding added, plus the input when the tree keeps it alive. */
  heldBytes: number;
  heapDelta: number;
  externalDelta: number;
  rssDelta: number;
}

/** decode-memory.ts in a fresh process (--expose-gc) for one document shape and mode. */
function decodeMemory(shape: 'text' | 'opaque', mode: 'eager' | 'lazy'): MemoryFigure {
  const mem = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--expose-gc',
      join(import.meta.dirname, 'decode-memory.ts'),
      shape,
      String(5 * 1024 * 1024),
      mode,
    ],
    { encoding: 'utf8' },
  );
  if (mem.status !== 0) throw new Error(`decode-memory failed: ${mem.stderr}`);
  return JSON.parse(mem.stdout) as MemoryFigure;
}

const MEMORY_TARGET = 1.5;
const XML_TARGET = 50;

/**
 * The XML the issue measured the bridge on (judged): one 10 MB text element, and 2 M `&amp;`;
 * and, for scale, the text-heavy 5 MB mail Sync as pretty XML (~49 000 elements).
 */
function xmlDocuments(): [string, string, boolean][] {
  const only = process.env.BENCH_DOCS;
  if (only && !'xml'.includes(only)) return [];
  const sync = toXml(textMailSync(5 * 1024 * 1024), { declaration: false, pretty: true });
  return [
    [
      '10 MB text element',
      `<Data xmlns="AirSyncBase:">${'Lorem ipsum dolor sit amet, consectetur. '.repeat(256_000)}</Data>`,
      true,
    ],
    ['2 M &amp; (10 MB)', `<Data xmlns="AirSyncBase:">${'&amp;'.repeat(2_000_000)}</Data>`, true],
    ['text mail Sync 5 MB as pretty XML', sync, false],
  ];
}

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
        '  decode          decode(bytes) vs wbxml_tree_from_wbxml + wbxml_tree_destroy (every text a string)',
        '  decode lazy     decode(bytes, undefined, { lazyTextFrom: 1024 }), what the daemon calls: text of',
        '                  >= 1 KiB left as UTF-8 (validated) until read; same libwbxml figure',
        '  encode one-shot encode(tree) of the tree the document was built from (strings, as the daemon',
        '                  builds its requests): a caller-owned result per call, never overwritten (what',
        '                  the daemon calls); judged on this row',
        '  enc. decoded    the same one-shot encode() of the tree decode(bytes) gave (every text a string)',
        '  enc. lazy tree  the same of the tree the lazy decode gave (texts >= 1 KiB still UTF-8 bytes, as',
        "                  libwbxml's own decoded tree, which its encode row encodes); for comparison, no target",
        "  encode reused   createEncoder().encode(tree): same bytes, in the encoder's reused buffer;",
        '                  the result is a borrowed view, valid until the next call on that encoder',
        '  encode chunks   createEncoder().encodeChunks(tree): same bytes as a list of chunks, OPAQUE',
        '                  payloads >= 1 KiB by reference (not copied), structure in a reused buffer',
        'libwbxml encode is wbxml_tree_to_wbxml + wbxml_free in a loop. "encode chunks" has no libwbxml',
        'counterpart (it writes no contiguous document); its ratio is for scale only and has no target.',
        'MB/s and ratio are CPU time (both processes, all threads); "wall" is the ratio in wall time.',
        '',
      ].join('\n'),
    );
    const header = `${'document'.padEnd(26)} ${'bytes'.padStart(8)} | ${'op'.padEnd(15)} | ${'ours MB/s'.padStart(9)} ${'docs/s'.padStart(8)} | ${'lib MB/s'.padStart(9)} ${'docs/s'.padStart(8)} | CPU ratio  wall | target`;
    console.log(header);
    console.log('-'.repeat(header.length));
    const misses: string[] = [];
    const all = docs();
    const results: { ours: OurTiming; lib?: Timing }[] = [];
    const sizes: number[] = [];
    for (const doc of all) {
      const tree = doc.build();
      const built = { tree, bytes: encode(tree) };
      checkSameBytes(doc.name, built);
      const file = join(dir, `${built.bytes.length}.wbxml`);
      writeFileSync(file, built.bytes);
      sizes.push(built.bytes.length);
      results.push(await measure(built, peer, file));
    }
    peer?.close();
    const rows = [
      ['decode', (t: OurTiming) => t.decode, (t: Timing) => t.decode, true],
      ['decode lazy', (t: OurTiming) => t.lazy, (t: Timing) => t.decode, true],
      ['encode one-shot', (t: OurTiming) => t.encode, (t: Timing) => t.encode, true],
      ['enc. decoded', (t: OurTiming) => t.fromDecoded, (t: Timing) => t.encode, false],
      ['enc. lazy tree', (t: OurTiming) => t.fromLazy, (t: Timing) => t.encode, false],
      ['encode reused', (t: OurTiming) => t.reused, (t: Timing) => t.encode, true],
      ['encode chunks', (t: OurTiming) => t.chunks, (t: Timing) => t.encode, false],
    ] as const;
    for (const [i, doc] of all.entries()) {
      const { ours, lib } = results[i]!;
      for (const [op, pickOurs, pickLib, judged] of rows) {
        if (ENCODE_ONLY && op !== 'encode one-shot') continue;
        const o = pickOurs(ours);
        const l = lib ? pickLib(lib) : undefined;
        const ratio = l === undefined ? undefined : l.cpu / o.cpu;
        const wall = l === undefined ? undefined : l.wall / o.wall;
        const verdict =
          ratio === undefined || !judged ? 'n/a' : ratio >= doc.target ? 'met' : 'MISSED <<<<<<<<';
        if (verdict.startsWith('MISSED')) {
          misses.push(`${doc.name} ${op}: ${ratio!.toFixed(2)}x < ${doc.target}x (CPU time)`);
        }
        console.log(
          `${doc.name.padEnd(26)} ${String(sizes[i]!).padStart(8)} | ${op.padEnd(15)} | ${fmt(mbps(sizes[i]!, o.cpu))} ${fmt(perSec(o.cpu), 0).slice(1)} | ` +
            `${l === undefined ? '      n/a      n/a' : `${fmt(mbps(sizes[i]!, l.cpu))} ${fmt(perSec(l.cpu), 0).slice(1)}`} | ` +
            `${ratio === undefined ? '      n/a     ' : `${ratio.toFixed(2).padStart(8)}x ${wall!.toFixed(2).padStart(5)}x`} | ` +
            `${judged ? `>=${doc.target}x` : '    '} ${verdict}`,
        );
      }
    }

    if (!ENCODE_ONLY)
      console.log(
        `\nXML bridge (what \`tidings wbxml encode|decode\` runs), CPU time, median of ${ROUNDS} rounds; target >= ${XML_TARGET} MB/s of XML:`,
      );
    for (const [name, xml, judged] of ENCODE_ONLY ? [] : xmlDocuments()) {
      const opts = { declaration: false, pretty: !judged };
      const tree = fromXml(xml);
      if (toXml(tree, opts) !== xml) throw new Error(`${name}: the XML bridge does not round-trip`);
      for (const [op, fn] of [
        ['fromXml', () => fromXml(xml)],
        ['toXml', () => toXml(tree, opts)],
      ] as const) {
        round(fn);
        const cost = medianCost(Array.from({ length: ROUNDS }, () => round(fn)));
        const rate = mbps(xml.length, cost.cpu);
        const ok = rate >= XML_TARGET;
        if (judged && !ok)
          misses.push(`XML bridge ${op} ${name}: ${rate.toFixed(1)} MB/s < ${XML_TARGET} MB/s`);
        const verdict = judged ? (ok ? 'met' : 'MISSED <<<<<<<<') : '(for scale, no target)';
        console.log(
          `  ${op.padEnd(8)} ${name.padEnd(34)} ${fmt(rate)} MB/s CPU ${fmt(mbps(xml.length, cost.wall))} MB/s wall  ${verdict}`,
        );
      }
    }

    console.log('');
    // Judged: what decoding adds while the caller holds the input (the daemon holds the HTTP
    // body while it reads the tree), in the mode the daemon decodes in (lazyTextFrom 1024), the
    // eager default beside it. A lazy tree also keeps the input alive: the total is printed.
    if (!ENCODE_ONLY)
      console.log(
        'decode memory, 5 MB documents: "adds" = heap + external held after GC while the input is held, ÷ input;',
      );
    if (!ENCODE_ONLY)
      console.log(
        '"with input" = what stays alive once the caller drops the input (the input counted when the tree keeps it)',
      );
    for (const [shape, mode, judged] of ENCODE_ONLY
      ? []
      : ([
          ['text', 'lazy', true],
          ['text', 'eager', false],
          ['opaque', 'lazy', true],
          ['opaque', 'eager', false],
        ] as const)) {
      const m = decodeMemory(shape, mode);
      const adds = m.heldBytes - (m.inputHeld ? m.documentBytes : 0);
      const ratio = adds / m.documentBytes;
      const ok = ratio <= MEMORY_TARGET;
      const what = mode === 'lazy' ? 'lazyTextFrom 1024, what the daemon calls' : 'eager, the default';
      console.log(
        `  ${shape} mail Sync 5 MB (${m.documentBytes} bytes), ${what}: adds ${(adds / 1048576).toFixed(2)} MiB = ${ratio.toFixed(2)}x; ` +
          `with input ${(m.heldBytes / m.documentBytes).toFixed(2)}x${m.inputHeld ? ' (the tree keeps the input)' : ''} ` +
          `(heap ${(m.heapDelta / 1048576).toFixed(2)} MiB + external ${(m.externalDelta / 1048576).toFixed(2)} MiB; RSS +${(m.rssDelta / 1048576).toFixed(2)} MiB)` +
          `${judged ? `; target adds <= ${MEMORY_TARGET}x: ${ok ? 'met' : 'MISSED <<<<<<<<'}` : ' (for comparison)'}`,
      );
      if (judged && !ok)
        misses.push(
          `decode memory, ${shape} mail Sync 5 MB (${mode}): ${ratio.toFixed(2)}x > ${MEMORY_TARGET}x`,
        );
    }
    if (misses.length === 0) {
      console.log('\nall targets met');
    } else {
      const bar = '!'.repeat(78);
      console.log(`\n${bar}\n${misses.length} TARGET(S) MISSED (each API judged on its own row):`);
      for (const m of misses) console.log(`MISSED: ${m}`);
      console.log(bar);
    }
    if (sink === undefined) console.log('(no result)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
