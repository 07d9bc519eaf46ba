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
