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
  // 2: the hub's hand-off (issue 13 §7, §8). `feed` holds every signal as handed on
  // (coalesced), so a subscriber's cursor and a replay see the ids it saw live; `ledger` holds
  // what each durable sink (exec hook, webhook) still owes, written in the same transaction as
  // the outbox ack and removed when the sink is done.
  `
  -- AUTOINCREMENT: a seq is never reused, even after the newest rows are deleted (a ledger
  -- entry settled, the feed pruned) — sinks and subscribers page by "seq after the last seen".
  CREATE TABLE feed (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    account    TEXT NOT NULL,
    payload    TEXT NOT NULL,         -- JSON ChangeSignal as handed on
    people     INTEGER NOT NULL,      -- 0: paused or quiet-dropped for people-facing sinks
    created_at INTEGER NOT NULL
  );
  CREATE INDEX feed_created ON feed (created_at);
  CREATE INDEX feed_account ON feed (account);

  CREATE TABLE ledger (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    sink       TEXT NOT NULL,
    id         TEXT NOT NULL,
    account    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    state      INTEGER NOT NULL DEFAULT 0,   -- 0 pending, 1 running (an attempt began)
    attempts   INTEGER NOT NULL DEFAULT 0,
    note       TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (sink, id)
  );
  CREATE INDEX ledger_sink ON ledger (sink, seq);
  CREATE INDEX ledger_created ON ledger (created_at);
  CREATE INDEX ledger_account ON ledger (account);
  `,
];
