/**
 * Child process of codec.bench.ts (run with --expose-gc): how much memory decoding a 5 MB mail
 * Sync holds; argv[2] picks the shape, `text` (bodies as inline strings) or `opaque` (MIME);
 * argv[4] `lazy` decodes with `lazyTextFrom: 1024` (what the daemon does), else eagerly.
 * Method: build and encode the document, drop the tree, collect garbage and read
 * process.memoryUsage(); decode while keeping the input alive; collect garbage again and read it
 * once more: the delta of heapUsed + external (external counts ArrayBuffer memory: the OPAQUE
 * copies) is what the tree adds. Then drop our reference to the input and collect: if the input
 * still lives (a WeakRef tells), the tree keeps it alive (lazy text views it) and its size is
 * added. So heldBytes is everything the tree holds, the input included when it is held.
 * Prints one JSON line.
 */
import { decode } from '../src/decoder';
import { encode } from '../src/encoder';
import { mailSync, textMailSync } from '../scripts/sample-documents';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('decode-memory: run with node --expose-gc');
  process.exit(2);
}
const shape = process.argv[2] ?? 'text';
const size = Number(process.argv[3] ?? 5 * 1024 * 1024);
const lazy = process.argv[4] === 'lazy';
let bytes: Uint8Array | undefined = encode(shape === 'opaque' ? mailSync(size) : textMailSync(size));
const settle = () => {
  for (let i = 0; i < 4; i++) gc();
};
settle();
const before = process.memoryUsage();
const peak = { rss: before.rss };
const documentBytes = bytes.length;
const tree = decode(bytes, undefined, lazy ? { lazyTextFrom: 1024 } : undefined);
settle();
const after = process.memoryUsage();
peak.rss = Math.max(peak.rss, after.rss);
const input = new WeakRef(bytes.buffer);
bytes = undefined;
// A WeakRef's target survives the current job: collect from a later macrotask.
await new Promise((resolve) => setTimeout(resolve, 0));
settle();
const inputHeld = input.deref() !== undefined;
const held =
  after.heapUsed + after.external - (before.heapUsed + before.external) + (inputHeld ? documentBytes : 0);
console.log(
  JSON.stringify({
    documentBytes,
    lazy,
    inputHeld,
    heldBytes: held,
    heapDelta: after.heapUsed - before.heapUsed,
    externalDelta: after.external - before.external,
    rssDelta: after.rss - before.rss,
    elements: tree.children.length,
  }),
);
