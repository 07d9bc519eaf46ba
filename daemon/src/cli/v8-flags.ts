import { setFlagsFromString } from 'node:v8';
import { tuneV8 } from '../v8-tuning';

/**
 * V8 flags for a process that mostly waits, set before the CLI's other modules are evaluated (the
 * entry imports this first). TIDINGS_V8_DEFAULTS=1 keeps V8's defaults.
 * - The young generation would grow from 1 MB to 8 MB semi-spaces (32 MB at 1 000 accounts)
 *   after a few busy scavenges, start-up included, and keep them; V8's code flushing would keep
 *   start-up code compiled for good. Both start as for a small daemon here and follow the account
 *   count after (v8-tuning.ts).
 * - undici parses HTTP with llhttp compiled to WebAssembly. Its optimising tier-up compiles the
 *   parser's state machine in ~36 MB of malloc'd scratch memory on a worker thread, and that
 *   thread's malloc arena keeps 4–10 MB of it resident for good. The baseline compiler's code is
 *   fast enough for Ping-sized responses.
 */
if (process.env.TIDINGS_V8_DEFAULTS !== '1') {
  tuneV8(0);
  setFlagsFromString('--liftoff-only');
}
