/**
 * The state file's schema, one migration per version. `PRAGMA user_version` holds the number of
 * migrations applied; a file from a newer build (user_version > MIGRATIONS.length) is refused
 * rather than written with a schema we do not know. Append only: never edit a shipped step.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: account values and the signal outbox.
  `
  CREATE TABLE kv (
    account TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,            -- JSON
    PRIMARY KEY (account, key)
  ) WITHOUT ROWID;

  -- The transactional outbox (docs/daemon-state.md): a watcher inserts its signals in the same
  -- transaction as its new sync key; the hub sets delivered_at once it has handed them on.
  -- seq gives commit order; the unique id is the de-dup key that makes a replayed step a no-op.
  CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account      TEXT NOT NULL,
    payload      TEXT,                -- JSON ChangeSignal; NULL once pruned (the id stays for de-dup)
    committed_at INTEGER NOT NULL,    -- ms since the epoch
    delivered_at INTEGER              -- NULL while pending
  );
  CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
  CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
  CREATE INDEX outbox_account ON outbox (account);
  `,
];
