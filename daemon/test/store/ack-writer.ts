/**
 * Child process for the ack test in sqlite-crash.test.ts: commits signal 1, acks it, then does
 * what `mode` says and kills itself with SIGKILL — so the parent sees exactly which queued acks
 * reached the file.
 * - `with-commit`: commits signal 2 in the same turn (the ack rides in that transaction);
 * - `later`: waits 300 ms (the ack's own transaction, at most 100 ms after the ack);
 * - `no-chance`: dies at once (the ack is lost; signal 1 stays pending, delivered again).
 */
import { SqliteStore } from '../../src/store/sqlite-store';
import { mailSignal } from './signals';

const [path, mode] = process.argv.slice(2);
if (path) {
  const store = SqliteStore.open({ path });
  store.commit('acct', { signals: [mailSignal('acct', 1)] });
  store.ack([mailSignal('acct', 1).id]);
  if (mode === 'with-commit') store.commit('acct', { signals: [mailSignal('acct', 2)] });
  if (mode === 'later') await new Promise((r) => setTimeout(r, 300));
  process.kill(process.pid, 'SIGKILL');
}
