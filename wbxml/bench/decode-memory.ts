/**
 * Child process of codec.bench.ts (run with --expose-gc): how much memory decoding a 5 MB mail
 * Sync holds; argv[2] picks the shape, `text` (bodies as inline strings) or `opaque` (MIME). Method: build and encode the document, drop the tree, collect garbage and read
 * process.memoryUsage(); decode while keeping the tree (and the input) alive; collect garbage
 * again and read it once more. The delta of heapUsed + external (external counts ArrayBuffer
 * memory: the OPAQUE copies) is what the decoded tree costs; the input buffer is in both
 * readings, so it is not counted. Prints one JSON line.
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
let bytes: Uint8Array | undefined = encode(shape === 'opaque' ? mailSync(size) : textMailSync(size));
const settle = () => {
  for (let i = 0; i < 4; i++) gc();
};
settle();
const before = process.memoryUsage();
const peak = { rss: before.rss };
const tree = decode(bytes);
settle();
const after = process.memoryUsage();
peak.rss = Math.max(peak.rss, after.rss);
const held = after.heapUsed + after.external - (before.heapUsed + before.external);
console.log(
  JSON.stringify({
    documentBytes: bytes.length,
    heldBytes: held,
    heapDelta: after.heapUsed - before.heapUsed,
    externalDelta: after.external - before.external,
    rssDelta: after.rss - before.rss,
    elements: tree.children.length,
  }),
);
bytes = undefined;
