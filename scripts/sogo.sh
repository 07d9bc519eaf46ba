#!/usr/bin/env bash
# The real ActiveSync server of the interop suite (issue 3, "The real server"): SOGo from
# Debian with sogo-activesync, PostgreSQL, Dovecot and memcached, all on 127.0.0.1.
#
#   scripts/sogo.sh install   idempotent: packages, a private PostgreSQL cluster, the SOGo
#                             database and test users (scripts/sogo/users.tsv), config files
#   scripts/sogo.sh start     starts the four daemons detached, records their pids, waits for
#                             SOGo's ActiveSync OPTIONS answer, primes mail/calendar/contacts
#   scripts/sogo.sh stop      ends exactly the processes whose pids start recorded
#   scripts/sogo.sh status    prints each daemon's pid and whether it runs
#
# Needs root (apt, /etc/sogo/sogo.conf, switching to the sogo/postgres users); re-runs itself
# under sudo otherwise. Nothing here touches the Debian services' own clusters or configs
# except /etc/sogo/sogo.conf, which SOGo reads and nothing else (README.Debian).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEMPLATES=$ROOT/scripts/sogo
DATA_DIR=${TIDINGS_SOGO_DATA:-/var/lib/tidings-sogo}
RUN_DIR=${TIDINGS_SOGO_RUN:-/tmp/tidings-sogo}
SOGO_PORT=20000
PG_PORT=20432
IMAP_PORT=20143
MEMCACHED_PORT=20211
DB_NAME=sogo
DB_USER=sogo
# Loopback-only fixture credential between SOGo/Dovecot and their private PostgreSQL.
DB_PASSWORD=tidings-sogo-db
MAIL_DOMAIN=tidings.test
PACKAGES=(sogo sogo-activesync postgresql dovecot-imapd dovecot-pgsql memcached curl ca-certificates)
SERVICES=(postgres memcached dovecot sogod)

PG_BIN=
PGDATA=$DATA_DIR/pg

log() { printf 'sogo.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  exec sudo --preserve-env=CI,TIDINGS_SOGO_DATA,TIDINGS_SOGO_RUN bash "$0" "$@"
fi

find_pg_bin() {
  local v
  v=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -1)
  [[ -n $v ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql; run install"
  PG_BIN=/usr/lib/postgresql/$v/bin
}

# Fills @VARS@ of a template; the values are fixed by this script, none contains '|'.
render() {
  sed -e "s|@SOGO_PORT@|$SOGO_PORT|g" -e "s|@PG_PORT@|$PG_PORT|g" -e "s|@IMAP_PORT@|$IMAP_PORT|g" \
    -e "s|@MEMCACHED_PORT@|$MEMCACHED_PORT|g" -e "s|@DB_NAME@|$DB_NAME|g" -e "s|@DB_USER@|$DB_USER|g" \
    -e "s|@DB_PASSWORD@|$DB_PASSWORD|g" -e "s|@MAIL_DOMAIN@|$MAIL_DOMAIN|g" \
    -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@DATA_DIR@|$DATA_DIR|g" "$1"
}

# Test users, one "uid<TAB>password<TAB>display name" per line.
users() { grep -v '^#' "$TEMPLATES/users.tsv" | grep -v '^[[:space:]]*$'; }

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$RUN_DIR/pg" -p "$PG_PORT" -U postgres "$@"; }

pid_of() {
  local f=$RUN_DIR/$1.pid
  [[ -s $f ]] && cat "$f"
}
running() {
  local pid
  pid=$(pid_of "$1") || return 1
  kill -0 "$pid" 2>/dev/null
}

# Starts "$@" in its own session with every standard stream redirected, and records its pid.
# The daemons run in the foreground of that session so the recorded pid is the daemon itself.
spawn() {
  local name=$1
  shift
  if running "$name"; then
    log "$name already running (pid $(pid_of "$name"))"
    return
  fi
  setsid "$@" </dev/null >>"$RUN_DIR/$name.out" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
  log "$name started (pid $!)"
}

wait_for() {
  local what=$1 tries=$2 i
  shift 2
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what did not come up; see $RUN_DIR/*.out and *.log"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Refuses to start $1 when something else already listens on its port: the readiness checks
# would otherwise pass against a stranger (say, the Debian sogod with the package's config).
port_free_for() {
  running "$1" && return 0
  ! port_open "$2" || die "port $2 is taken by a process this script did not start; cannot start $1"
}

prepare_run_dir() {
  install -d -m 0755 "$RUN_DIR"
  install -d -m 0755 -o postgres -g postgres "$RUN_DIR/pg"
  # Dovecot refuses a base_dir it does not own and checks it with its own rules.
  install -d -m 0755 "$RUN_DIR/dovecot"
  # sogod writes its log and pid file as the sogo user; GNUstep wants a writable HOME.
  install -d -m 0755 -o sogo -g sogo "$RUN_DIR/sogo"
  touch "$RUN_DIR/sogod.log" && chown sogo:sogo "$RUN_DIR/sogod.log"
}

start_postgres() {
  find_pg_bin
  port_free_for postgres "$PG_PORT"
  spawn postgres setpriv --reuid=postgres --regid=postgres --init-groups -- \
    "$PG_BIN/postgres" -D "$PGDATA" -c listen_addresses=127.0.0.1 -c "port=$PG_PORT" \
    -c "unix_socket_directories=$RUN_DIR/pg" -c logging_collector=off
  wait_for PostgreSQL 60 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

# Ends one recorded daemon: its own shutdown signal first, then KILL to its process group after a
# grace period. setsid made the daemon its group leader, so the group is exactly what we started.
stop_one() {
  local name=$1 pid i sig=TERM target grace=40
  pid=$(pid_of "$name") || return 0
  target=$pid
  case $name in
    # Fast shutdown: roll back clients, checkpoint, exit (PostgreSQL "Shutting Down the Server").
    postgres) sig=INT ;;
    # sogod's watchdog logs "Terminating with SIGINT or SIGTERM" every half second and waits on
    # its workers without ever ending them: signal the workers too and give it three seconds.
    sogod) target=-$pid grace=12 ;;
  esac
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" -- "$target" 2>/dev/null || true
    for ((i = 0; i < grace; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) still running after SIG$sig; sending KILL to its process group"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    log "$name stopped (pid $pid)"
  fi
  rm -f "$RUN_DIR/$name.pid"
}

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    # The packages' own services must not start: the Debian sogod would take port 20000 with the
    # package's config. policy-rc.d exit 101 is Debian's "do not start" (invoke-rc.d(8)); CI images
    # often ship one already, and then it is left alone.
    local own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 0755 /usr/sbin/policy-rc.d
      own_policy=1
    fi
    local rc=0
    { apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
    ((own_policy)) && rm -f /usr/sbin/policy-rc.d
    ((rc == 0)) || die "apt-get install failed (exit $rc)"
  fi
}

install_cluster() {
  find_pg_bin
  install -d -m 0755 "$DATA_DIR"
  if [[ ! -s $PGDATA/PG_VERSION ]]; then
    log "creating PostgreSQL cluster in $PGDATA"
    install -d -m 0700 -o postgres -g postgres "$PGDATA"
    # Superuser only over the Unix socket as the postgres OS user; TCP needs a password.
    as_postgres "$PG_BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
}

install_database() {
  psql_admin -d postgres <<SQL
SELECT 'CREATE ROLE $DB_USER LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER')\gexec
ALTER ROLE $DB_USER PASSWORD '$DB_PASSWORD';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING ''UTF8''' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
  PGPASSWORD=$DB_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d "$DB_NAME" \
    -f "$TEMPLATES/schema.sql"
  local uid pw cn hash
  while IFS=$'\t' read -r uid pw cn; do
    hash=$(doveadm pw -s SHA512-CRYPT -p "$pw")
    PGPASSWORD=$DB_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d "$DB_NAME" \
      -v uid="$uid" -v hash="$hash" -v cn="$cn" -v mail="$uid@$MAIL_DOMAIN" <<'SQL'
INSERT INTO sogo_users (c_uid, c_name, c_password, c_cn, mail)
VALUES (:'uid', :'uid', :'hash', :'cn', :'mail')
ON CONFLICT (c_uid) DO UPDATE SET c_password = EXCLUDED.c_password, c_cn = EXCLUDED.c_cn, mail = EXCLUDED.mail;
SQL
    install -d -m 0700 -o mail -g mail "$DATA_DIR/mail/$uid"
  done < <(users)
}

install_configs() {
  install -d -m 0755 "$DATA_DIR/dovecot-state" "$DATA_DIR/mail"
  chown mail:mail "$DATA_DIR/mail"
  render "$TEMPLATES/dovecot.conf.in" >"$DATA_DIR/dovecot.conf"
  render "$TEMPLATES/dovecot-sql.conf.ext.in" >"$DATA_DIR/dovecot-sql.conf.ext"
  chmod 0600 "$DATA_DIR/dovecot-sql.conf.ext"
  if [[ -f /etc/sogo/sogo.conf && ! -f /etc/sogo/sogo.conf.debian ]] && ! grep -q 'Tidings interop' /etc/sogo/sogo.conf; then
    cp -p /etc/sogo/sogo.conf /etc/sogo/sogo.conf.debian
  fi
  render "$TEMPLATES/sogo.conf.in" >/etc/sogo/sogo.conf.new
  chown root:sogo /etc/sogo/sogo.conf.new
  chmod 0640 /etc/sogo/sogo.conf.new
  mv /etc/sogo/sogo.conf.new /etc/sogo/sogo.conf
}

cmd_install() {
  install_packages
  install_cluster
  install_configs
  prepare_run_dir
  local was_running=1
  running postgres || was_running=0
  start_postgres
  install_database
  ((was_running)) || stop_one postgres
  log "installed (data in $DATA_DIR)"
}

eas_ready() {
  local uid pw
  IFS=$'\t' read -r uid pw _ < <(users)
  curl -fsS -o /dev/null -D - -X OPTIONS -u "$uid:$pw" \
    "http://127.0.0.1:$SOGO_PORT/SOGo/Microsoft-Server-ActiveSync" | grep -qi '^MS-ASProtocolVersions:'
}

cmd_start() {
  [[ -s $PGDATA/PG_VERSION && -f $DATA_DIR/dovecot.conf ]] || die "not installed; run: scripts/sogo.sh install"
  prepare_run_dir
  start_postgres
  port_free_for memcached "$MEMCACHED_PORT"
  spawn memcached memcached -u memcache -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64
  wait_for memcached 40 port_open "$MEMCACHED_PORT"
  port_free_for dovecot "$IMAP_PORT"
  spawn dovecot dovecot -F -c "$DATA_DIR/dovecot.conf"
  wait_for Dovecot 40 port_open "$IMAP_PORT"
  port_free_for sogod "$SOGO_PORT"
  spawn sogod setpriv --reuid=sogo --regid=sogo --init-groups -- \
    env HOME="$RUN_DIR/sogo" /usr/sbin/sogod -WONoDetach YES
  wait_for "SOGo ActiveSync (OPTIONS /SOGo/Microsoft-Server-ActiveSync)" 120 eas_ready
  log "SOGo answers on http://127.0.0.1:$SOGO_PORT/SOGo/Microsoft-Server-ActiveSync"
  "$ROOT/node_modules/.bin/tsx" "$TEMPLATES/prime.ts"
}

cmd_stop() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop_one "${SERVICES[$i]}"; done
}

cmd_status() {
  local name pid rc=0
  for name in "${SERVICES[@]}"; do
    if running "$name"; then
      printf '%-10s running  pid %s\n' "$name" "$(pid_of "$name")"
    else
      printf '%-10s stopped\n' "$name"
      rc=3
    fi
  done
  return $rc
}

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 {install|start|stop|status}" >&2
    exit 2
    ;;
esac
