#!/usr/bin/env bash
# Local PostgreSQL for CstoServices: the event logs of several instances of a service in one database.
#
# Usage: deploy/postgres.sh install|start|stop|status|url|connections
#
#   install  install Debian's package "postgresql" (no start; used by CI)
#   start    install if needed, initdb a private cluster in the data dir (first start), start it on its own
#            port, create the role and database of the suite, print the connection string
#   stop     stop the cluster started by "start" (idempotent)
#   status   exit 0 + "running on port N" if up, else exit 1 + "not running"
#   url      the Npgsql connection string (EventLog:Store=postgres, ConnectionStrings__EventLog), with the budget of one
#            instance: Maximum Pool Size=$CSTO_POSTGRES_POOL
#   connections  the server's client connections now, by application name (csto-<service>#<n> for the instances of
#            deploy/cluster.sh), with max_connections; "connections --total" prints only the number
#
# The cluster is NOT the system service (no pg_ctlcluster, no /var/lib/postgresql): it runs the package's
# versioned /usr/lib/postgresql/15/bin/initdb and pg_ctl as the user "postgres" on a data dir of ours,
# so several instances run side by side (e.g. one per test run). Each service keeps its log in its own
# schema (csto_<service>), created by the service at its first start.
#
# Environment (all optional):
#   CSTO_POSTGRES_DIR       data dir   (default ${CSTO_DATA:-<repo>/.data}/postgres)
#   CSTO_POSTGRES_PORT      port       (default 5532: not the system cluster's 5432)
#   CSTO_POSTGRES_DB        database   (default csto)
#   CSTO_POSTGRES_USER      role       (default csto)
#   CSTO_POSTGRES_PASSWORD  its password (default: generated at the first start, kept in <dir>/password, 0600)
#   CSTO_POSTGRES_VERSION   major version of Debian's package (default 15)
#   CSTO_POSTGRES_MAX_CONNECTIONS  the server's max_connections (default 200, of which PostgreSQL keeps 3 for superusers)
#   CSTO_POSTGRES_POOL      the connections of one service instance, Maximum Pool Size in "url" (default 20)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
DATA_DIR="${CSTO_POSTGRES_DIR:-${CSTO_DATA:-$REPO_ROOT/.data}/postgres}"
PORT="${CSTO_POSTGRES_PORT:-5532}"
DB="${CSTO_POSTGRES_DB:-csto}"
ROLE="${CSTO_POSTGRES_USER:-csto}"
VERSION="${CSTO_POSTGRES_VERSION:-15}"
MAX_CONNECTIONS="${CSTO_POSTGRES_MAX_CONNECTIONS:-200}"
POOL="${CSTO_POSTGRES_POOL:-20}"
BIN="/usr/lib/postgresql/$VERSION/bin"
CLUSTER="$DATA_DIR/cluster"
SOCKETS="$DATA_DIR/sockets"
SERVER_LOG="$DATA_DIR/log/server.log"
PASSWORD_FILE="$DATA_DIR/password"

log() { echo "[postgres] $*" >&2; }
die() { echo "[postgres] ERROR: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) for: $*"; fi
}

# initdb and the server refuse to run as root: the package's "postgres" user owns the cluster
as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"
    elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
    else sudo -u postgres "$@"; fi
}

[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "CSTO_POSTGRES_PORT=$PORT is not a valid TCP port"
[[ "$MAX_CONNECTIONS" =~ ^[0-9]+$ ]] && [ "$MAX_CONNECTIONS" -ge 20 ] || die "CSTO_POSTGRES_MAX_CONNECTIONS=$MAX_CONNECTIONS must be a whole number, 20 or more"
[[ "$POOL" =~ ^[0-9]+$ ]] && [ "$POOL" -ge 6 ] || die "CSTO_POSTGRES_POOL=$POOL must be a whole number, 6 or more (an instance's writer, listener, two for upkeep, two for reads)"

install() {
    if [ -x "$BIN/pg_ctl" ]; then
        log "postgresql $VERSION is installed ($BIN)"
        return
    fi
    log "installing Debian's postgresql (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # policy-rc.d keeps the package from starting the system cluster on 5432: we run our own
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || { as_root rm -f /usr/sbin/policy-rc.d; die "apt-get install postgresql failed"; }
    as_root rm -f /usr/sbin/policy-rc.d
    [ -x "$BIN/pg_ctl" ] || die "postgresql installed, but $BIN/pg_ctl is missing (set CSTO_POSTGRES_VERSION)"
}

running() { [ -f "$CLUSTER/postmaster.pid" ] && as_postgres "$BIN/pg_ctl" -D "$CLUSTER" status >/dev/null 2>&1; }

password() {
    if [ -n "${CSTO_POSTGRES_PASSWORD:-}" ]; then echo "$CSTO_POSTGRES_PASSWORD"; return; fi
    if [ ! -s "$PASSWORD_FILE" ]; then
        (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$PASSWORD_FILE")
    fi
    cat "$PASSWORD_FILE"
}

url() { echo "Host=127.0.0.1;Port=$PORT;Database=$DB;Username=$ROLE;Password=$(password);Maximum Pool Size=$POOL"; }

psql_admin() { as_postgres "$BIN/psql" -h "$SOCKETS" -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

start() {
    install
    mkdir -p "$DATA_DIR"
    chmod 0755 "$DATA_DIR"
    password >/dev/null
    if [ ! -f "$CLUSTER/PG_VERSION" ]; then
        log "initdb $CLUSTER"
        mkdir -p "$CLUSTER" "$SOCKETS"
        chown postgres:postgres "$CLUSTER" "$SOCKETS" 2>/dev/null || true
        chmod 0700 "$CLUSTER"
        as_postgres "$BIN/initdb" -D "$CLUSTER" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DATA_DIR/initdb.log" 2>&1 ||
            die "initdb failed: $(tail -n 5 "$DATA_DIR/initdb.log")"
    fi
    mkdir -p "$SOCKETS" "$DATA_DIR/log"; chown postgres:postgres "$SOCKETS" "$DATA_DIR/log" 2>/dev/null || true
    if running; then
        log "running on port $PORT"
    else
        # loopback only, sockets in our own folder, fsync on (durable commits, as the SQLite log)
        as_postgres "$BIN/pg_ctl" -D "$CLUSTER" -l "$SERVER_LOG" -w -t 60 start \
            -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$SOCKETS -c max_connections=$MAX_CONNECTIONS -c fsync=on -c synchronous_commit=on" >/dev/null ||
            die "pg_ctl start failed: $(tail -n 5 "$SERVER_LOG" 2>/dev/null)"
        log "started on port $PORT ($CLUSTER)"
    fi
    local pw; pw="$(password)"
    psql_admin -v role="$ROLE" -v pw="$pw" -v db="$DB" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'pw') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
    url
}

stop() {
    if running; then
        as_postgres "$BIN/pg_ctl" -D "$CLUSTER" -m fast -w -t 60 stop >/dev/null
        log "stopped"
    else
        log "not running"
    fi
}

status() {
    if running; then echo "running on port $PORT"; else echo "not running"; exit 1; fi
}

connections() {
    running || die "not running"
    if [ "${1:-}" = --total ]; then
        psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        return
    fi
    echo "max_connections $(psql_admin -c 'SHOW max_connections') ($(psql_admin -c 'SHOW superuser_reserved_connections') kept for superusers)"
    psql_admin -F ' ' -c "SELECT count(*), coalesce(nullif(application_name, ''), '(none)') FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 2 ORDER BY 2" |
        while read -r n name; do printf '  %-28s %s\n' "$name" "$n"; done
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    url) url ;;
    connections) connections "${2:-}" ;;
    *) echo "usage: $0 install|start|stop|status|url|connections [--total]" >&2; exit 2 ;;
esac
