-- Tidings interop: the user source SOGo (SOGoUserSources, type sql) and Dovecot (passdb sql)
-- both read. Columns are the ones SOGo requires (Installation Guide, "Authentication using
-- SQL"). SOGo creates its own folder, profile, session and cache tables on first start.
CREATE TABLE IF NOT EXISTS sogo_users (
  c_uid      varchar(128) PRIMARY KEY,
  c_name     varchar(128) NOT NULL,
  c_password varchar(256) NOT NULL,
  c_cn       varchar(256) NOT NULL,
  mail       varchar(256) NOT NULL
);

-- ActiveSync keeps its per-device state (sync keys, folder maps) here (OCSCacheFolderURL), but
-- sogod 5.8 does not create the table itself: every EAS Sync answered Status 13 until it existed.
-- The statement is the one libSOGo carries for PostgreSQL (SOGoCacheGCSObject).
CREATE TABLE IF NOT EXISTS sogo_cache_folder (
  c_path         varchar(255) PRIMARY KEY,
  c_parent_path  varchar(255),
  c_type         smallint NOT NULL,
  c_creationdate int4 NOT NULL,
  c_lastmodified int4 NOT NULL,
  c_version      int4 NOT NULL DEFAULT 0,
  c_deleted      smallint NOT NULL DEFAULT 0,
  c_content      text
);
