import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Room dependencies under daemon/src point one way (docs/ARCHITECTURE.md, "Rooms and the
 * direction of imports"; issue 17 removed eas↔watch, dav↔watch, secrets→watch and daemon→cli).
 * A room may import its own layer or a lower one, never a higher one; protocol rooms do not
 * import each other; the room graph has no cycle. A new top-level folder or file under
 * daemon/src must be placed in LAYERS, so nothing escapes the rule by being new.
 */

const root = join(import.meta.dirname, '..', '..');

interface Allowance {
  from: string;
  to: string;
  why: string;
}

interface Layer {
  name: string;
  rooms: string[];
  /** Whether different rooms of this layer may import each other (acyclically). */
  peers: boolean;
}

/** Lowest first. */
const LAYERS: Layer[] = [
  {
    name: 'base: values and pure helpers',
    rooms: [
      'signal',
      'clock',
      'channels',
      'log-journal',
      'log',
      'local-time',
      'did-you-mean',
      'version',
      'v8-tuning',
      'folder-labels',
      'retry',
      'text',
      'coded-error',
      'zones',
    ],
    peers: true,
  },
  { name: 'shared services', rooms: ['config', 'secrets', 'store', 'net', 'oauth'], peers: true },
  { name: 'protocols', rooms: ['eas', 'dav', 'imap', 'jmap'], peers: false },
  { name: 'watchers', rooms: ['watch'], peers: true },
  { name: 'daemon parts', rooms: ['hub', 'sinks', 'ipc', 'demo'], peers: true },
  { name: 'set-up', rooms: ['setup'], peers: true },
  { name: 'daemon', rooms: ['daemon', 'diagnose'], peers: true },
  { name: 'entry points', rooms: ['cli', 'index'], peers: true },
];

/**
 * Imports the layers forbid but that stay, each with its reason (`to` is a path prefix under
 * daemon/src). Empty since oauth/ left eas/; an entry needs a reason a reviewer accepts.
 */
const ALLOWED: Allowance[] = [];

/**
 * Workspace package entries daemon code may import, and from which rooms (the rest: none). eas/
 * takes the codec's core entry: the full one also holds the XML bridge and the CLI, which would
 * then load with the daemon (issue 5).
 */
const PACKAGES: Record<string, string[]> = {
  '@tidings/wbxml/core': ['eas'],
  '@tidings/wbxml': ['cli'],
  // The demo daemon runs the EAS fixture server in-process (`tidings daemon --demo`).
  '@tidings/fixtures': ['demo'],
};

/** Module specifiers of one file: static and dynamic imports, re-exports, `typeof import()`. */
function specifiers(text: string): string[] {
  // Comment lines (`//`, `/*`, JSDoc's ` * `) and trailing `// …` (after whitespace, so
  // 'https://…' stays) would give false edges from examples in prose. Line-based on purpose: a
  // block-comment regex would eat code after a string like '*/*'.
  const code = text
    .split('\n')
    .map((l) => (/^\s*(\/\/|\/\*|\*)/.test(l) ? '' : l.replace(/\s\/\/.*$/, '')))
    .join('\n');
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1] as string);
  return out;
}

/** `eas/transport.ts` → `eas`; a top-level `daemon.ts` is the room `daemon`. */
function roomOf(file: string): string {
  const [first, ...rest] = file.split('/');
  return rest.length ? (first as string) : (first as string).replace(/(\.d)?\.ts$/, '');
}

interface Edge {
  file: string;
  spec: string;
  /** Resolved path under daemon/src, undefined for packages. */
  target?: string;
  from: string;
  to: string;
}

interface Report {
  edges: Edge[];
  unresolved: string[];
  unplaced: string[];
  upward: string[];
  cycles: string[][];
}

function resolveIn(files: Map<string, string>, from: string, spec: string): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  for (const c of [base, `${base}.ts`, `${base}/index.ts`, `${base}.d.ts`]) if (files.has(c)) return c;
  return undefined;
}

/** Checks a set of files (paths relative to daemon/src → text). Pure, so it can be tested. */
function check(files: Map<string, string>, layers = LAYERS, allowed = ALLOWED): Report {
  const layerOf = new Map<string, number>();
  layers.forEach((l, i) => {
    for (const r of l.rooms) layerOf.set(r, i);
  });
  const report: Report = { edges: [], unresolved: [], unplaced: [], upward: [], cycles: [] };
  const rooms = new Set<string>();
  for (const [file, text] of files) {
    const from = roomOf(file);
    rooms.add(from);
    for (const spec of specifiers(text)) {
      if (spec.startsWith('.')) {
        const target = resolveIn(files, file, spec);
        if (!target) {
          report.unresolved.push(`${file}: ${spec}`);
          continue;
        }
        const to = roomOf(target);
        if (to !== from) report.edges.push({ file, spec, target, from, to });
      } else if (spec.startsWith('@tidings/')) {
        if (!(PACKAGES[spec] ?? []).includes(from))
          report.upward.push(`${file} imports ${spec}: not a package ${from}/ may use`);
      }
    }
  }
  for (const r of rooms) if (!layerOf.has(r)) report.unplaced.push(r);
  for (const e of report.edges) {
    const a = layerOf.get(e.from);
    const b = layerOf.get(e.to);
    if (a === undefined || b === undefined) continue;
    const ok = b < a || (b === a && (layers[a] as Layer).peers);
    if (ok) continue;
    if (allowed.some((x) => x.from === e.from && e.target?.startsWith(x.to))) continue;
    const why = b === a ? 'a peer in' : 'a higher layer,';
    report.upward.push(
      `${e.file} imports ${e.spec}: ${e.to}/ is ${why} ${(layers[b] as Layer).name} (${e.from}/ is in ${(layers[a] as Layer).name})`,
    );
  }
  report.cycles = cyclesOf(report.edges);
  return report;
}

/** Strongly connected room groups with more than one room (Tarjan). */
function cyclesOf(edges: Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    (next.get(e.from) as Set<string>).add(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n);
    n++;
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}

function readTree(dir: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
    if (ent.isDirectory()) for (const [k, v] of readTree(join(dir, ent.name), rel)) files.set(k, v);
    else if (ent.name.endsWith('.ts')) files.set(rel, readFileSync(join(dir, ent.name), 'utf8'));
  }
  return files;
}

describe('room dependencies under daemon/src', () => {
  const files = readTree(join(root, 'daemon', 'src'));
  const report = check(files);

  it('reads the real import graph (every relative import resolves)', () => {
    expect(files.size).toBeGreaterThan(100);
    expect(report.unresolved).toEqual([]);
    // The known shape: watchers use the protocols, the CLI the IPC client.
    expect(report.edges.some((e) => e.from === 'watch' && e.to === 'eas')).toBe(true);
    expect(report.edges.some((e) => e.from === 'cli' && e.to === 'ipc')).toBe(true);
  });

  it('every room is placed in a layer', () => {
    expect(report.unplaced).toEqual([]);
  });

  it('no room imports a higher layer or a protocol peer', () => {
    expect(report.upward).toEqual([]);
  });

  it('the room graph has no cycle', () => {
    expect(report.cycles).toEqual([]);
  });

  it('every allow-list entry is still needed', () => {
    const unused = ALLOWED.filter(
      (x) => !report.edges.some((e) => e.from === x.from && e.target?.startsWith(x.to)),
    );
    expect(unused).toEqual([]);
  });

  it('wbxml imports nothing of the daemon', () => {
    const wbxml = readTree(join(root, 'wbxml', 'src'));
    const out = [...wbxml].flatMap(([f, t]) =>
      specifiers(t)
        .filter(
          (s) =>
            s.startsWith('@tidings/') ||
            (s.startsWith('.') && posix.join(posix.dirname(f), s).startsWith('..')),
        )
        .map((s) => `${f}: ${s}`),
    );
    expect(out).toEqual([]);
  });
});

describe('the checker itself', () => {
  const tree = (o: Record<string, string>) => new Map(Object.entries(o));

  it('finds imports in every form and skips comments', () => {
    const text = [
      "import type { A } from '../a';",
      'import {',
      '  b,',
      "} from '../b';",
      "export { c } from './c';",
      "import './side';",
      "const d = await import('../d');",
      "type E = typeof import('../e');",
      "// import x from '../commented';",
      " * see import('../in-doc')",
      "const url = 'https://example.org'; // import('../trailing')",
    ].join('\n');
    expect(specifiers(text).sort()).toEqual(['../a', '../b', '../d', '../e', './c', './side']);
  });

  it('reports an upward import, a protocol peer, an unplaced room and a cycle', () => {
    const r = check(
      tree({
        'eas/recovery.ts': "import type { S } from '../watch/types';",
        'watch/types.ts': "import { x } from '../eas/recovery';",
        'dav/a.ts': "import { y } from '../jmap/b';",
        'jmap/b.ts': '',
        'newroom/x.ts': "import { z } from '../signal';",
        'signal.ts': '',
      }),
    );
    expect(r.upward).toHaveLength(2);
    expect(r.upward[0]).toContain('eas/recovery.ts imports ../watch/types');
    expect(r.upward[1]).toContain('a peer in protocols');
    expect(r.unplaced).toEqual(['newroom']);
    expect(r.cycles).toEqual([['eas', 'watch']]);
  });

  it('honours the allow-list by path prefix only', () => {
    const files = tree({
      'imap/a.ts': "import { o } from '../eas/oauth';\nimport { t } from '../eas/transport';",
      'eas/oauth/index.ts': '',
      'eas/transport.ts': '',
    });
    const r = check(files, LAYERS, [{ from: 'imap', to: 'eas/oauth/', why: 'test' }]);
    expect(r.upward).toHaveLength(1);
    expect(r.upward[0]).toContain('../eas/transport');
  });

  it('keeps workspace packages to the rooms named for them', () => {
    const r = check(tree({ 'hub/a.ts': "import { s } from '@tidings/fixtures';" }));
    expect(r.upward[0]).toContain('@tidings/fixtures');
  });

  it("keeps eas/ to the codec core entry: the full one is the CLI room's", () => {
    const r = check(
      tree({
        'eas/a.ts': "import { decode } from '@tidings/wbxml/core';",
        'eas/b.ts': "import { toXml } from '@tidings/wbxml';",
        'cli/c.ts': "import { runWbxmlCli } from '@tidings/wbxml';",
      }),
    );
    expect(r.upward).toEqual(['eas/b.ts imports @tidings/wbxml: not a package eas/ may use']);
  });
});
