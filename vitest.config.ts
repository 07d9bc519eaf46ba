import { defineConfig } from 'vitest/config';

// Unit, fault and fixture-server suites. Live-server suites (SOGo, Radicale, libwbxml bytes are
// unit-level because libwbxml is a local binary) live under test/interop and run with
// vitest.interop.config.ts, as imapflow keeps its integration tests apart.
export default defineConfig({
  test: {
    include: ['{wbxml,daemon,fixtures,tray,scripts}/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/test/interop/**'],
    // Stops the Dovecot instances the IMAP files may start, once, after the last file.
    globalSetup: ['daemon/test/imap/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
