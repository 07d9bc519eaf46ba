import { defineConfig } from 'vitest/config';

// Suites against real servers started by scripts/ (SOGo + Dovecot + PostgreSQL, Radicale).
// In CI a missing server fails loudly; locally the suite skips with a printed reason. The
// bundle users run (dist/tidings.mjs) is built once first: the daemon suites start it as a
// process (daemon/test/interop/support/daemon-process.ts).
export default defineConfig({
  test: {
    include: ['{wbxml,daemon,fixtures,tray}/test/interop/**/*.test.ts'],
    globalSetup: ['daemon/test/interop/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
