/**
 * Builds the bundle users run (`npm run build` → dist/tidings.mjs) once before the interop
 * suites: they start `node dist/tidings.mjs daemon` and `tidings watch --json` as processes.
 */
import { buildDaemon } from '../../../../scripts/build-daemon';

export default async function setup(): Promise<void> {
  if (process.env.TIDINGS_INTEROP_BUNDLE) {
    console.log(
      `interop: running ${process.env.TIDINGS_INTEROP_BUNDLE} (TIDINGS_INTEROP_BUNDLE), not building`,
    );
    return;
  }
  const started = Date.now();
  await buildDaemon({ quiet: true });
  console.log(`interop: built dist/tidings.mjs in ${Date.now() - started} ms`);
}
