import { defineConfig } from 'vitest/config';

// Suites against real servers started by scripts/ (SOGo + Dovecot + PostgreSQL, Radicale).
// In CI a missing server fails loudly; locally the suite skips with a printed reason.
export default defineConfig({
  test: {
    include: ['{wbxml,daemon,fixtures,tray}/test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
