#!/usr/bin/env bash
# Local RabbitMQ broker for CstoServices development, CI and integration tests.
#
# Usage: deploy/rabbitmq.sh install|start|stop|status|url|ctl|cluster ...
#
#   install  install the Debian/Ubuntu package "rabbitmq-server" (no start; used by CI)
#   start    install if needed, start a private broker (native, current user, own data dir),
#            enable management + stream plugins, create vhost/user for the suite, print URL
#   stop     stop the broker started by "start" (idempotent)
#   status   exit 0 + "running on port N" if up, else exit 1 + "not running"
#   url [S]  the amqp URL of service S's own user (membership, bodies, operations), of the administrator
#            ("url admin": the management API's user, e.g. for a test harness), or of the suite user
#   ctl ...  run the package's rabbitmqctl against this instance (same env/cookie), e.g.
#            deploy/rabbitmq.sh ctl list_queues -p csto
#   cluster start        three nodes (<cluster>/node1..3, nodes csto-1..3@localhost, AMQP 5772-5774):
#                        start the nodes, join 2 and 3 to 1 (stop_app, join_cluster, start_app), the
#                        same vhost/users/permissions as "start", print CSTO_RABBITMQ_CLUSTER_URLS=...;
#                        after a kill or a stop it brings the missing nodes back into the cluster
#   cluster stop         stop the three nodes (idempotent)
#   cluster status       which nodes run, and rabbitmqctl cluster_status; exit 0 only if all three run
#   cluster kill N       kill -9 node N's beam process (a hard failure, for tests); data folder kept
#   cluster url [S]      the three amqp URLs (comma-separated) of service S's user, of the administrator
#                        ("cluster url admin"), or of the suite user
#   cluster ctl N ...    rabbitmqctl against node N, e.g. deploy/rabbitmq.sh cluster ctl 1 list_queues -p csto name type
#
# The broker is NOT the system service: it runs the package's own
# /usr/lib/rabbitmq/bin/rabbitmq-server (not the /usr/sbin wrappers, which switch to
# the "rabbitmq" user and /var/lib/rabbitmq) with every path pointed into a data dir,
# so several independent instances can run side by side (e.g. one per test run).
#
# The broker is closed: there is no "guest" (the generated rabbitmq.conf makes the administrator the
# node's default user, so a fresh node never creates guest, and a data folder from before loses it
# once); the management API answers only the administrator (CSTO_RABBITMQ_ADMIN_USER, tag
# administrator, generated password); the suite and service users speak AMQP only. Every listener
# binds CSTO_RABBITMQ_BIND (loopback by default): AMQP, management, stream, the Erlang distribution
# port (inet_dist_use_interface, the node's and the CLI tools') and epmd (ERL_EPMD_ADDRESS).
#
# Environment (all optional):
#   CSTO_RABBITMQ_DIR          data dir            (default ${CSTO_DATA:-<repo>/.data}/rabbitmq)
#   CSTO_RABBITMQ_PORT         AMQP port           (default 5672)
#   CSTO_RABBITMQ_DIST_PORT    Erlang dist port    (default AMQP port + 20000)
#   CSTO_RABBITMQ_MGMT_PORT    management HTTP     (default 15672)
#   CSTO_RABBITMQ_STREAM_PORT  stream protocol     (default 5552)
#   RABBITMQ_NODENAME          Erlang node name    (default rabbit-csto@localhost; "@localhost" added if no host)
#   CSTO_RABBITMQ_USER         suite user          (default csto: operators, cstoctl; AMQP only)
#   CSTO_RABBITMQ_ADMIN_USER   administrator       (default csto-admin: management API/UI, test harness)
#   CSTO_RABBITMQ_PASSWORD     password of every suite user and the administrator (default: one random
#                              password per user, generated at the first start and kept in
#                              <dir>/passwords, mode 0600; "url admin" prints the administrator's URL)
#   CSTO_RABBITMQ_BIND         address the listeners bind, epmd and the Erlang distribution included
#                              (default 127.0.0.1: loopback only; 0.0.0.0 or :: leaves epmd and the
#                              distribution on every interface; no "#", spaces or quotes in passwords then)
#   CSTO_RABBITMQ_VHOST        suite vhost         (default csto)
#   CSTO_RABBITMQ_START_TIMEOUT seconds to wait for readiness (default 90)
#   CSTO_RABBITMQ_LOG_LEVEL    broker file log level (default info)
#   RABBITMQ_CTL_DIST_PORT_MIN/MAX  CLI tools' own dist ports (package default 35672..35682)
# For "cluster" (node N at base + N - 1 for each kind of port; the single-node settings above
# other than USER, ADMIN_USER, PASSWORD, BIND, VHOST and the timeouts do not apply to it):
#   CSTO_RABBITMQ_CLUSTER_DIR          the cluster's folder (default <data dir>/cluster; nodes in node1..3)
#   CSTO_RABBITMQ_CLUSTER_PORT         AMQP port of node 1 (default 5772)
#   CSTO_RABBITMQ_CLUSTER_MGMT_PORT    management port of node 1 (default AMQP + 10000)
#   CSTO_RABBITMQ_CLUSTER_DIST_PORT    Erlang dist port of node 1 (default AMQP + 20000)
#   CSTO_RABBITMQ_CLUSTER_STREAM_PORT  stream port of node 1 (default AMQP - 120)
#   CSTO_RABBITMQ_CLUSTER_NODE         node name prefix (default csto: csto-1@localhost, ...)
#
# For a test harness: pick free values for PORT, DIST_PORT, MGMT_PORT, STREAM_PORT, a
# temporary CSTO_RABBITMQ_DIR and a unique RABBITMQ_NODENAME (e.g. rabbit-test1@localhost),
# then use the same env for "stop". After "start", <dir>/connection.env holds
# CSTO_RABBITMQ_URL=... ready to be sourced.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

DATA_DIR="${CSTO_RABBITMQ_DIR:-${CSTO_DATA:-$REPO_ROOT/.data}/rabbitmq}"
PORT="${CSTO_RABBITMQ_PORT:-5672}"
DIST_PORT="${CSTO_RABBITMQ_DIST_PORT:-$((PORT + 20000))}"
MGMT_PORT="${CSTO_RABBITMQ_MGMT_PORT:-15672}"
STREAM_PORT="${CSTO_RABBITMQ_STREAM_PORT:-5552}"
NODENAME="${RABBITMQ_NODENAME:-rabbit-csto@localhost}"
[[ "$NODENAME" == *@* ]] || NODENAME="$NODENAME@localhost"   # never depend on $(hostname)
SUITE_USER="${CSTO_RABBITMQ_USER:-csto}"
ADMIN_USER="${CSTO_RABBITMQ_ADMIN_USER:-csto-admin}"
BIND="${CSTO_RABBITMQ_BIND:-127.0.0.1}"
PASSWORD_FILE="$DATA_DIR/passwords"
SUITE_VHOST="${CSTO_RABBITMQ_VHOST:-csto}"
START_TIMEOUT="${CSTO_RABBITMQ_START_TIMEOUT:-90}"
# the caller's own extra Erlang arguments, kept; setup_env adds the distribution's interface to them
CALLER_SERVER_ERL_ARGS="${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:-}"
CALLER_CTL_ERL_ARGS="${RABBITMQ_CTL_ERL_ARGS:-}"

PID_FILE="$DATA_DIR/rabbitmq.pid"
LOG_DIR="$DATA_DIR/log"
BOOT_LOG="$LOG_DIR/boot-stdout.log"
SESSION_FILE="$DATA_DIR/session.pid"

log() { echo "[rabbitmq] $*" >&2; }
now_ms() { local t="${EPOCHREALTIME/[.,]/}"; echo "$((t / 1000))"; }     # bash >= 5
since() { local d=$(( $(now_ms) - $1 )); printf '%d.%03ds' "$((d / 1000))" "$((d % 1000))"; }
die() { echo "[rabbitmq] ERROR: $*" >&2; exit 1; }

# Run a command as root (directly, or through sudo when available).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) for: $*"; fi
}

validate_ports() {
    local name val
    for name in PORT DIST_PORT MGMT_PORT STREAM_PORT; do
        val="${!name}"
        [[ "$val" =~ ^[0-9]+$ ]] && [ "$val" -ge 1 ] && [ "$val" -le 65535 ] ||
            die "$name=$val is not a valid TCP port (set CSTO_RABBITMQ_${name} explicitly)"
    done
    local uniq
    uniq="$(printf '%s\n' "$PORT" "$DIST_PORT" "$MGMT_PORT" "$STREAM_PORT" | sort -u | wc -l)"
    [ "$uniq" -eq 4 ] || die "ports must differ: AMQP $PORT, dist $DIST_PORT, mgmt $MGMT_PORT, stream $STREAM_PORT"
}

# ---------------------------------------------------------------- install ---------

is_installed() {
    dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null | grep -q 'install ok installed'
}

# pids of processes (beam/epmd) running as the package's "rabbitmq" system user
package_pids() { pgrep -u rabbitmq 2>/dev/null || true; }

cmd_install() {
    if is_installed; then
        log "rabbitmq-server already installed ($(dpkg-query -W -f='${Version}' rabbitmq-server))"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "rabbitmq-server not installed and apt-get not available"
    log "installing rabbitmq-server via apt-get ..."

    # Keep the package's postinst from starting the system service (invoke-rc.d honours
    # policy-rc.d exit code 101 = "action forbidden"). Preserve any existing policy-rc.d.
    local policy=/usr/sbin/policy-rc.d backup=""
    if [ -e "$policy" ]; then
        backup="$(as_root mktemp /usr/sbin/policy-rc.d.csto-backup.XXXXXX)"
        as_root cp -p "$policy" "$backup"
    fi
    # shellcheck disable=SC2064
    trap "as_root rm -f '$policy'; [ -n '$backup' ] && as_root mv -f '$backup' '$policy' || true" EXIT
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"

    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        rabbitmq-server >/dev/null

    as_root rm -f "$policy"
    [ -n "$backup" ] && as_root mv -f "$backup" "$policy"
    trap - EXIT

    # Belt and braces: stop anything the package may have started anyway (system
    # service running as user "rabbitmq"; an epmd with no registered nodes).
    local pids
    pids="$(package_pids)"
    if [ -n "$pids" ]; then
        log "stopping processes started by the package: $(tr "\n" " " <<<"$pids")"
        # shellcheck disable=SC2086
        as_root kill $pids 2>/dev/null || true
        sleep 2
        pids="$(package_pids)"
        # shellcheck disable=SC2086
        [ -z "$pids" ] || as_root kill -9 $pids 2>/dev/null || true
    fi
    stop_idle_epmd
    log "installed rabbitmq-server $(dpkg-query -W -f='${Version}' rabbitmq-server)"
}

# ---------------------------------------------------------------- environment -----

# Directory holding the package's own (non user-switching) scripts.
rabbit_bin_dir() {
    local p
    p="$(dpkg -L rabbitmq-server 2>/dev/null | grep -E '/bin/rabbitmq-server$' | grep -v '^/usr/sbin/' | head -n1 || true)"
    [ -n "$p" ] || p=/usr/lib/rabbitmq/bin/rabbitmq-server
    [ -x "$p" ] || die "cannot find the package's rabbitmq-server script (tried: $p)"
    dirname "$p"
}

# Export everything the rabbitmq scripts and CLI tools need to talk to *this* instance.
setup_env() {
    RABBIT_BIN="$(rabbit_bin_dir)"
    export HOME="$DATA_DIR"                                  # -> $HOME/.erlang.cookie
    export RABBITMQ_NODENAME="$NODENAME"
    # Node names with a dotted host part (rabbit@host.example) need Erlang long names.
    case "${NODENAME#*@}" in *.*) export RABBITMQ_USE_LONGNAME=true ;; *) export RABBITMQ_USE_LONGNAME=false ;; esac
    export RABBITMQ_BASE="$DATA_DIR"
    export RABBITMQ_CONF_ENV_FILE="$DATA_DIR/rabbitmq-env.conf"  # ignore /etc/rabbitmq/rabbitmq-env.conf
    export RABBITMQ_CONFIG_FILE="$DATA_DIR/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$DATA_DIR/advanced.config"
    export RABBITMQ_MNESIA_BASE="$DATA_DIR/mnesia"
    export RABBITMQ_LOG_BASE="$LOG_DIR"
    export RABBITMQ_PID_FILE="$PID_FILE"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$DATA_DIR/enabled_plugins"
    export RABBITMQ_NODE_PORT="$PORT"
    export RABBITMQ_DIST_PORT="$DIST_PORT"
    # CLI tools (rabbitmqctl & co.) listen on a port from RABBITMQ_CTL_DIST_PORT_MIN..MAX
    # (package default 35672..35682, shared by all instances; pass them through to change).
    # rabbitmq-server treats ANY non-empty RABBITMQ_ALLOW_INPUT (even "false") as "keep the
    # Erlang shell on stdin"; NOTIFY_SOCKET would make it think it runs under systemd.
    unset RABBITMQ_ALLOW_INPUT NOTIFY_SOCKET detached RABBITMQ_NODE_IP_ADDRESS RABBITMQ_SERVER_START_ARGS 2>/dev/null || true
    # epmd and the Erlang distribution listen where the other listeners do. epmd (started by the first
    # Erlang node or CLI call of the host) binds ERL_EPMD_ADDRESS and adds the loopback itself; the
    # node's distribution port and the CLI tools' own one bind inet_dist_use_interface (IPv4 only:
    # for 0.0.0.0, :: or an IPv6 address they stay on every interface, as without this).
    case "$BIND" in
        0.0.0.0|::|'[::]') ;;                                  # every interface: leave epmd as the caller has it
        *) export ERL_EPMD_ADDRESS="$BIND" ;;
    esac
    local tuple; tuple="$(bind_tuple)"
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$CALLER_SERVER_ERL_ARGS${tuple:+ -kernel inet_dist_use_interface $tuple}"
    export RABBITMQ_CTL_ERL_ARGS="$CALLER_CTL_ERL_ARGS${tuple:+ -kernel inet_dist_use_interface $tuple}"
    [ -n "$RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS" ] || unset RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS
    [ -n "$RABBITMQ_CTL_ERL_ARGS" ] || unset RABBITMQ_CTL_ERL_ARGS
}

# CSTO_RABBITMQ_BIND as an Erlang IPv4 tuple ({127,0,0,1}) for inet_dist_use_interface; nothing for
# 0.0.0.0, an IPv6 address or a name (the distribution then listens on every interface).
bind_tuple() {
    [[ "$BIND" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 0
    [ "$BIND" != 0.0.0.0 ] || return 0
    printf '{%d,%d,%d,%d}' "$((10#${BASH_REMATCH[1]}))" "$((10#${BASH_REMATCH[2]}))" "$((10#${BASH_REMATCH[3]}))" "$((10#${BASH_REMATCH[4]}))"
}

# epmd is one per host, shared by every Erlang node: one started earlier without ERL_EPMD_ADDRESS
# (another Erlang program, or this script before the broker was closed) listens on every interface.
# Restart it when no node is registered with it; else say so (it stays open until those nodes stop).
check_epmd() {
    [ -n "${ERL_EPMD_ADDRESS:-}" ] || return 0
    command -v ss >/dev/null 2>&1 || return 0
    [ -n "$(bind_tuple)" ] || log "CSTO_RABBITMQ_BIND=$BIND is not an IPv4 address: the Erlang distribution port listens on every interface"
    local port="${ERL_EPMD_PORT:-4369}" wide
    wide="$(ss -Hltn "sport = :$port" 2>/dev/null | awk '{print $4}' |
        grep -Fvx -e "127.0.0.1:$port" -e "[::1]:$port" -e "$BIND:$port" -e "[$BIND]:$port" | tr '\n' ' ' || true)"
    [ -n "$wide" ] || return 0
    local epmd names; epmd="$(epmd_bin)"
    names="$("$epmd" -names 2>/dev/null | grep '^name ' | awk '{print $2}' | tr '\n' ' ' || true)"
    if [ -z "$names" ]; then
        log "epmd (port $port) listens on ${wide% } (started earlier without ERL_EPMD_ADDRESS) and is idle: restarting it on $BIND"
        stop_idle_epmd
    else
        log "WARNING: epmd (port $port) listens on ${wide% }: it was started earlier without ERL_EPMD_ADDRESS and serves the nodes ${names% }; it stays open to other hosts until they stop (and a node started before the broker was closed keeps its distribution port open until it restarts)"
    fi
}

ctl()  { "$RABBIT_BIN/rabbitmqctl" -n "$NODENAME" "$@"; }

# a value rabbitmq.conf (cuttlefish) reads back as written: no whitespace, comment sign or quotes
conf_value_ok() { [ -n "$1" ] && [[ "$1" != *[[:space:]\#\'\"]* ]]; }

prepare_data_dir() {
    mkdir -p "$DATA_DIR" "$LOG_DIR" "$RABBITMQ_MNESIA_BASE"
    chmod 700 "$DATA_DIR"
    : > "$RABBITMQ_CONF_ENV_FILE"
    [ -e "$RABBITMQ_ADVANCED_CONFIG_FILE" ] || echo '[].' > "$RABBITMQ_ADVANCED_CONFIG_FILE"
    # Private Erlang cookie (server and CLI both read $HOME/.erlang.cookie).
    local cookie="$DATA_DIR/.erlang.cookie"
    if [ ! -s "$cookie" ]; then
        (umask 077; head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' > "$cookie")
    fi
    chmod 400 "$cookie"
    # The administrator is the node's default user: a node without a database yet creates it (and not
    # guest) at its first boot. The file holds its password: owner-only, like the passwords file.
    ensure_passwords
    local admin_pass; admin_pass="$(password_of "$ADMIN_USER")"
    conf_value_ok "$ADMIN_USER" || die "CSTO_RABBITMQ_ADMIN_USER='$ADMIN_USER' cannot go into rabbitmq.conf (no spaces, #, quotes)"
    conf_value_ok "$admin_pass" || die "the administrator's password cannot go into rabbitmq.conf (CSTO_RABBITMQ_PASSWORD: no spaces, #, quotes)"
    (umask 077; cat > "$RABBITMQ_CONFIG_FILE" <<EOF
# Generated by deploy/rabbitmq.sh - rewritten on every start.
default_user = $ADMIN_USER
default_pass = $admin_pass
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.write = .*
default_permissions.read = .*
listeners.tcp.1 = $BIND:$PORT
management.tcp.port = $MGMT_PORT
management.tcp.ip = $BIND
stream.listeners.tcp.1 = $BIND:$STREAM_PORT
stream.advertised_host = localhost
stream.advertised_port = $STREAM_PORT
log.file.level = ${CSTO_RABBITMQ_LOG_LEVEL:-info}
log.console = false
EOF
    )
    chmod 600 "$RABBITMQ_CONFIG_FILE"       # one written before the broker was closed is 0644
    # Enable plugins offline (no running node needed). Skip the slow CLI when done already.
    if ! grep -q rabbitmq_management "$RABBITMQ_ENABLED_PLUGINS_FILE" 2>/dev/null ||
       ! grep -q rabbitmq_stream "$RABBITMQ_ENABLED_PLUGINS_FILE" 2>/dev/null; then
        "$RABBIT_BIN/rabbitmq-plugins" -n "$NODENAME" --offline enable rabbitmq_management rabbitmq_stream >/dev/null ||
            die "rabbitmq-plugins --offline enable failed"
    fi
}

# ---------------------------------------------------------------- helpers ---------

# Serialise start/stop of the same instance (concurrent callers, e.g. parallel test jobs).
lock_instance() {
    mkdir -p "$DATA_DIR"
    command -v flock >/dev/null 2>&1 || return 0
    exec 9>"$DATA_DIR/.lock"
    flock -w $(( START_TIMEOUT + 60 )) 9 || die "could not lock $DATA_DIR/.lock (another start/stop running?)"
}

tcp_open() {  # tcp_open PORT  -> 0 if something accepts on 127.0.0.1:PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

broker_pid() {  # prints pid from pid file if that process is alive
    local pid
    [ -s "$PID_FILE" ] || return 1
    pid="$(tr -dc '0-9' < "$PID_FILE")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

main_log() { echo "$LOG_DIR/$NODENAME.log"; }

show_log_tail() {
    local f shown=0
    for f in "$(main_log)" "$BOOT_LOG"; do
        [ -s "$f" ] || continue
        echo "----- tail -n 40 $f -----" >&2
        tail -n 40 "$f" >&2
        shown=1
    done
    [ "$shown" -eq 1 ] || echo "(no log output in $LOG_DIR - node hung before logging; check that the host part of $NODENAME resolves)" >&2
}

# Startup failed: show logs, kill what we launched (nothing left behind), exit 1.
fail_start() {
    show_log_tail
    echo "[rabbitmq] ERROR: $*" >&2
    kill_session_leftovers
    rm -f "$PID_FILE"
    stop_idle_epmd
    exit 1
}

epmd_bin() { command -v epmd 2>/dev/null || ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -n1; }

# Kill epmd only when no Erlang node is registered with it any more (it is shared by
# all nodes on the host, including other instances of this script).
stop_idle_epmd() {
    local epmd names
    epmd="$(epmd_bin)"
    [ -n "$epmd" ] || return 0
    names="$("$epmd" -names 2>/dev/null)" || return 0     # not running
    if ! grep -q '^name ' <<<"$names"; then
        "$epmd" -kill >/dev/null 2>&1 || true
    fi
}

urlencode() {
    local s="$1" out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c="${s:i:1}"
        case "$c" in
            [a-zA-Z0-9.~_-]) out+="$c" ;;
            *) out+="$(printf '%%%02X' "'$c")" ;;
        esac
    done
    printf '%s' "$out"
}

user_url() {  # user_url USER: amqp URL of USER on this node's suite vhost
    printf 'amqp://%s:%s@localhost:%s/%s' "$(urlencode "$1")" "$(urlencode "$(password_of "$1")")" \
        "$PORT" "$(urlencode "$SUITE_VHOST")"
}
amqp_url() { user_url "$SUITE_USER"; }

# ---------------------------------------------------------------- start -----------

wait_ready() {  # wait_ready PID START_EPOCH [START_MS]
    local pid="$1" t0="$2" deadline=$(( $2 + START_TIMEOUT )) t0ms="${3:-$(now_ms)}"
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            fail_start "broker process $pid exited during startup (see logs in $LOG_DIR)"
        fi
        if tcp_open "$PORT"; then break; fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            fail_start "AMQP port $PORT not accepting connections after ${START_TIMEOUT}s (broker pid $pid; logs in $LOG_DIR)"
        fi
        sleep 0.5
    done
    log "AMQP port $PORT accepting after $(since "$t0ms")"
    local left=$(( deadline - $(date +%s) )); [ "$left" -ge 5 ] || left=5
    if ! ctl -q await_startup --timeout "$left" >/dev/null 2>&1; then
        fail_start "rabbitmqctl await_startup failed for $NODENAME (logs in $LOG_DIR)"
    fi
    log "boot complete (await_startup) after $(since "$t0ms")"
}

json_str() {  # JSON string literal (escapes backslash, double quote, tab, CR, LF)
    local s="$1"
    s="${s//\\/\\\\}"; s="${s//\"/\\\"}"
    s="${s//$'\t'/\\t}"; s="${s//$'\r'/\\r}"; s="${s//$'\n'/\\n}"
    printf '"%s"' "$s"
}

# RabbitMQ internal password hash (rabbit_password_hashing_sha256):
#   base64( salt[4] ++ sha256( salt[4] ++ utf8(password) ) )
# openssl is a dependency of the rabbitmq-server package.
password_hash() {
    local tmp; tmp="$(mktemp -d)"
    head -c 4 /dev/urandom > "$tmp/salt"
    { cat "$tmp/salt"; printf '%s' "$1"; } | openssl dgst -sha256 -binary > "$tmp/hash"
    cat "$tmp/salt" "$tmp/hash" | base64 | tr -d '\n'
    rm -rf "$tmp"
}

# The suite user (operators, cstoctl: AMQP only), one user per service and the administrator (the
# management API, tag administrator), each with its own password, generated once and kept in
# $PASSWORD_FILE (mode 0600); CSTO_RABBITMQ_PASSWORD sets them all.
SERVICE_USERS=(csto-membership csto-bodies csto-operations)
password_of() {
    if [ -n "${CSTO_RABBITMQ_PASSWORD:-}" ]; then printf '%s' "$CSTO_RABBITMQ_PASSWORD"; return; fi
    local line; line="$(grep -m1 "^$1 " "$PASSWORD_FILE" 2>/dev/null || true)"
    [ -n "$line" ] || die "no password for $1 in $PASSWORD_FILE (run deploy/rabbitmq.sh start)"
    printf '%s' "${line#* }"
}
ensure_passwords() {
    mkdir -p "$DATA_DIR"
    (umask 077; touch "$PASSWORD_FILE")
    chmod 600 "$PASSWORD_FILE"
    local u
    for u in "$SUITE_USER" "${SERVICE_USERS[@]}" "$ADMIN_USER"; do
        grep -q "^$u " "$PASSWORD_FILE" || printf '%s %s\n' "$u" "$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)" >> "$PASSWORD_FILE"
    done
}
suite_users() {
    local u sep=""
    for u in "$SUITE_USER" "${SERVICE_USERS[@]}" "$ADMIN_USER"; do
        printf '%s{"name": %s, "password_hash": "%s", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": [%s], "limits": {}}' \
            "$sep" "$(json_str "$u")" "$(password_hash "$(password_of "$u")")" "$([ "$u" = "$ADMIN_USER" ] && echo '"administrator"')"
        sep=", "
    done
}

# Least privilege, from the topology table (services/Csto.EventLog/Wire/Topology.cs): a service
# configures and writes its own event exchanges (csto.<s>.v1.*), its queue csto.<s> and the exchange
# of that name, its error queue, and the queues of the consumers of its events (declared before it
# publishes, bound to its exchanges); it reads only its own exchanges, its own queues and the exchanges
# of the events it consumes (to bind them). It cannot read another service's queue, nor publish
# another service's events; the broker checks that user_id is the connection's user, and consumers
# check user_id against csto-<source>. MassTransit's bus endpoint (*_bus_*) is the service's own.
declare -A CONSUMERS=([membership]="bodies|operations" [bodies]="membership|operations" [operations]="bodies")
# event types of the shared kernel that a service records in its own log (the roster kept by bodies and operations)
declare -A KERNEL_TYPES=([membership]="" [bodies]='|csto\\.roster\\.v1\\..*' [operations]='|csto\\.roster\\.v1\\..*')
declare -A CONSUMES=([membership]='csto\\.bodies\\.v1\\.DecisionAdopted' \
    [bodies]='csto\\.membership\\.v1\\.MemberStatusChanged|csto\\.operations\\.v1\\.OperationSummaryPublished' \
    [operations]='csto\\.bodies\\.v1\\.DecisionAdopted|csto\\.membership\\.v1\\.MemberStatusChanged')
service_permission() {  # service -> {"configure", "write", "read"} regexes (JSON-escaped)
    local s="$1" own="csto\\\\.$1\\\\.v1\\\\..*|csto\\\\.$1|csto\\\\.$1_error|.*_bus_.*${KERNEL_TYPES[$1]}"
    local consumers="csto\\\\.(${CONSUMERS[$1]})" consumed="${CONSUMES[$1]}"
    printf '"configure": "^(%s|%s|%s)$", "write": "^(%s|%s)$", "read": "^(%s|%s)$"' \
        "$own" "$consumers" "$consumed" "$own" "$consumers" "$own" "$consumed"
}
suite_permissions() {
    printf '{"user": %s, "vhost": %s, "configure": ".*", "write": ".*", "read": ".*"}' "$(json_str "$SUITE_USER")" "$(json_str "$SUITE_VHOST")"
    local s
    for s in membership bodies operations; do
        printf ', {"user": %s, "vhost": %s, %s}' "$(json_str "csto-$s")" "$(json_str "$SUITE_VHOST")" "$(service_permission "$s")"
    done
    printf ', {"user": %s, "vhost": %s, "configure": ".*", "write": ".*", "read": ".*"}' "$(json_str "$ADMIN_USER")" "$(json_str "$SUITE_VHOST")"
}

# vhost + user + permissions in ONE rabbitmqctl call (each CLI call costs ~1 s of VM start).
# import_definitions is additive: "/" and everything else stay untouched; an existing user gets
# the new password hash and tags. A node that had a database before the broker was closed still
# has guest: deleted once (one more CLI call), then the marker file says it is gone.
setup_suite_account() {
    ensure_passwords
    local defs="$DATA_DIR/suite-definitions.json"
    (umask 077; cat > "$defs" <<EOF
{
  "users": [$(suite_users)],
  "vhosts": [{"name": $(json_str "$SUITE_VHOST")}],
  "permissions": [$(suite_permissions)]
}
EOF
    )
    ctl -q import_definitions "$defs" >/dev/null ||
        die "could not create vhost $SUITE_VHOST / user $SUITE_USER (rabbitmqctl import_definitions $defs)"
    rm -f "$defs"
    if [ ! -e "$DATA_DIR/.guest-deleted" ]; then
        local out
        if out="$(ctl -q delete_user guest 2>&1)"; then
            log "deleted the user guest (a data folder from before the broker was closed)"
        elif ! grep -qi "does not exist\|no_such_user" <<<"$out"; then
            die "rabbitmqctl delete_user guest failed: $out"
        fi
        : > "$DATA_DIR/.guest-deleted"
    fi
    (umask 077; connection_env > "$DATA_DIR/connection.env")
}
connection_env() { printf 'CSTO_RABBITMQ_URL=%s\nCSTO_RABBITMQ_ADMIN_URL=%s\n' "$(amqp_url)" "$(user_url "$ADMIN_USER")"; }

# amqp URL of one service's own user (deploy/up.sh gives it to that service)
# (service "admin": the administrator's)
service_url() {
    if [ "$1" = admin ]; then user_url "$ADMIN_USER"; else user_url "csto-$1"; fi
}

print_summary() {
    log "AMQP $PORT, management http://localhost:$MGMT_PORT/ (user $ADMIN_USER: deploy/rabbitmq.sh url admin), stream $STREAM_PORT, node $NODENAME, dir $DATA_DIR"
    [ -n "${CSTO_RABBITMQ_PASSWORD:-}" ] ||
        log "passwords of $SUITE_USER, ${SERVICE_USERS[*]} and $ADMIN_USER in $PASSWORD_FILE (mode 0600; CSTO_RABBITMQ_PASSWORD overrides)"
    echo "CSTO_RABBITMQ_URL=$(amqp_url)"
}

# Start this instance's node (setup_env and lock_instance done) and wait until it has booted; no
# accounts. Sets NODE_WAS_RUNNING=yes when the node was up already (AMQP open), else no. Used by
# "start" and, once per node, by "cluster start".
NODE_WAS_RUNNING=no
start_node() {
    NODE_WAS_RUNNING=no
    local pid
    if pid="$(broker_pid)"; then
        if tcp_open "$PORT"; then
            log "already running (pid $pid, node $NODENAME) on port $PORT"
            NODE_WAS_RUNNING=yes
            return 0
        fi
        # Node up but AMQP closed: still booting, or the app was stopped (rabbitmqctl stop_app).
        if ctl -q ping >/dev/null 2>&1 && ! ctl -q await_startup --timeout 1 >/dev/null 2>&1 &&
           ! "$RABBIT_BIN/rabbitmq-diagnostics" -n "$NODENAME" -q is_booting 2>/dev/null | grep -q true; then
            log "node $NODENAME (pid $pid) is up with the app stopped - start_app"
            ctl -q start_app >/dev/null || die "rabbitmqctl start_app failed"
        else
            log "broker process $pid exists but port $PORT not open yet - waiting"
        fi
        wait_ready "$pid" "$(date +%s)"
        return 0
    fi

    local p
    for p in "$PORT" "$DIST_PORT" "$MGMT_PORT" "$STREAM_PORT"; do
        tcp_open "$p" && die "port $p is already in use by another process (set CSTO_RABBITMQ_*_PORT)"
    done
    if "$(epmd_bin)" -names 2>/dev/null | grep -q "^name ${NODENAME%@*} "; then
        die "Erlang node name ${NODENAME%@*} is already registered with epmd (another instance?); set RABBITMQ_NODENAME"
    fi

    # A node without a database boots with prepare_data_dir's rabbitmq.conf: its default user is the
    # administrator and guest never exists, so setup_suite_account has nothing to delete.
    [ -d "$RABBITMQ_MNESIA_BASE/$NODENAME" ] || { mkdir -p "$DATA_DIR"; : > "$DATA_DIR/.guest-deleted"; }
    prepare_data_dir
    rm -f "$PID_FILE"
    # Raise the fd limit if we can (RabbitMQ wants many sockets/files).
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

    local t0 t0ms; t0="$(date +%s)"; t0ms="$(now_ms)"
    log "starting $NODENAME (AMQP $PORT) from $RABBIT_BIN, data in $DATA_DIR"
    # setsid: own session, survives the calling shell; stdin closed.
    setsid "$RABBIT_BIN/rabbitmq-server" </dev/null >"$BOOT_LOG" 2>&1 9>&- &   # 9>&-: do not inherit the lock
    local launcher=$!
    disown "$launcher" 2>/dev/null || true
    echo "$launcher" > "$SESSION_FILE"   # session id of launcher + beam + helpers

    # The pid file (beam's pid) is written by the node itself; the launcher stays as a small
    # sh parent that turns SIGTERM into a clean shutdown.
    while ! pid="$(broker_pid)"; do
        if ! kill -0 "$launcher" 2>/dev/null; then
            fail_start "rabbitmq-server exited during startup (see $LOG_DIR)"
        fi
        if [ "$(date +%s)" -ge $(( t0 + START_TIMEOUT )) ]; then
            fail_start "no pid file $PID_FILE after ${START_TIMEOUT}s"
        fi
        sleep 0.3
    done
    log "pid file after $(since "$t0ms") (pid $pid)"
    wait_ready "$pid" "$t0" "$t0ms"
}

cmd_start() {
    validate_ports
    is_installed || cmd_install
    setup_env
    lock_instance
    check_epmd

    local t0ms; t0ms="$(now_ms)"
    start_node
    if [ "$NODE_WAS_RUNNING" = yes ]; then
        # Re-apply vhost/users only if users/passwords/vhost in the env changed since last time.
        ensure_passwords
        if [ "$(cat "$DATA_DIR/connection.env" 2>/dev/null)" != "$(connection_env)" ]; then
            log "suite account settings changed - updating user/vhost"
            setup_suite_account
        fi
    else
        setup_suite_account
        log "ready (vhost/user set up) after $(since "$t0ms")"
    fi
    print_summary
}

# ---------------------------------------------------------------- stop / status ---

# Kill whatever is left of the session "start" created (sh launcher, erl_child_setup, ...).
kill_session_leftovers() {
    local sid left
    [ -s "$SESSION_FILE" ] || return 0
    sid="$(tr -dc '0-9' < "$SESSION_FILE")"
    if [ -n "$sid" ]; then
        left="$(pgrep -s "$sid" 2>/dev/null || true)"
        if [ -n "$left" ]; then
            # shellcheck disable=SC2086
            kill $left 2>/dev/null || true; sleep 0.5
            left="$(pgrep -s "$sid" 2>/dev/null || true)"
            # shellcheck disable=SC2086
            [ -z "$left" ] || kill -9 $left 2>/dev/null || true
        fi
    fi
    rm -f "$SESSION_FILE"
}

cmd_stop() {
    validate_ports
    if ! is_installed; then
        log "not running (rabbitmq-server not installed)"
        return 0
    fi
    setup_env
    [ -d "$DATA_DIR" ] || { log "not running ($NODENAME, no dir $DATA_DIR)"; stop_idle_epmd; return 0; }
    lock_instance
    local pid
    if ! pid="$(broker_pid)"; then
        log "not running ($NODENAME, dir $DATA_DIR)"
        kill_session_leftovers
        rm -f "$PID_FILE"
        stop_idle_epmd
        return 0
    fi
    log "stopping $NODENAME (pid $pid) ..."
    # "stop <pidfile>" waits until the OS process has exited.
    timeout 60 "$RABBIT_BIN/rabbitmqctl" -n "$NODENAME" -q stop "$PID_FILE" >/dev/null 2>&1 || true
    local i
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; [ "$i" -eq 10 ] && kill "$pid" 2>/dev/null; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid still alive - killing"
        kill -9 "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    kill_session_leftovers
    rm -f "$PID_FILE"
    stop_idle_epmd
    log "stopped"
}

cmd_status() {
    validate_ports
    if is_installed; then
        setup_env
        local pid
        if pid="$(broker_pid)" && tcp_open "$PORT"; then
            echo "running on port $PORT (pid $pid, node $NODENAME, mgmt $MGMT_PORT, stream $STREAM_PORT)"
            return 0
        fi
        if [ -n "${pid:-}" ]; then
            echo "not running (node process $pid is up but AMQP port $PORT is closed: booting or app stopped)"
            return 1
        fi
    fi
    echo "not running"
    return 1
}

# ---------------------------------------------------------------- cluster ---------

# Three nodes of the same package on this machine, each an instance like the one above (own node
# name, ports, data folder), sharing one Erlang cookie and one password file: the functions above
# run once per node after cluster_node has pointed the globals at that node.
CLUSTER_DIR="${CSTO_RABBITMQ_CLUSTER_DIR:-$DATA_DIR/cluster}"
CLUSTER_PORT="${CSTO_RABBITMQ_CLUSTER_PORT:-5772}"
CLUSTER_MGMT_PORT="${CSTO_RABBITMQ_CLUSTER_MGMT_PORT:-$((CLUSTER_PORT + 10000))}"
CLUSTER_DIST_PORT="${CSTO_RABBITMQ_CLUSTER_DIST_PORT:-$((CLUSTER_PORT + 20000))}"
CLUSTER_STREAM_PORT="${CSTO_RABBITMQ_CLUSTER_STREAM_PORT:-$((CLUSTER_PORT - 120))}"
CLUSTER_NODE="${CSTO_RABBITMQ_CLUSTER_NODE:-csto}"
CLUSTER_NODES=(1 2 3)

cluster_node() {  # cluster_node N: every global of the single instance now names node N
    [[ "$1" =~ ^[123]$ ]] || die "cluster node is 1, 2 or 3 (got '$1')"
    local i=$(( $1 - 1 ))
    DATA_DIR="$CLUSTER_DIR/node$1"
    PORT=$((CLUSTER_PORT + i)); MGMT_PORT=$((CLUSTER_MGMT_PORT + i))
    DIST_PORT=$((CLUSTER_DIST_PORT + i)); STREAM_PORT=$((CLUSTER_STREAM_PORT + i))
    NODENAME="$CLUSTER_NODE-$1@localhost"
    PASSWORD_FILE="$CLUSTER_DIR/passwords"          # users are cluster-wide: one password each
    PID_FILE="$DATA_DIR/rabbitmq.pid"; LOG_DIR="$DATA_DIR/log"
    BOOT_LOG="$LOG_DIR/boot-stdout.log"; SESSION_FILE="$DATA_DIR/session.pid"
    validate_ports
}

# One cookie for the three nodes (and their CLI calls): generated once in the cluster folder,
# copied into each node's folder before prepare_data_dir would make a node its own.
cluster_cookie() {
    local shared="$CLUSTER_DIR/.erlang.cookie" n
    mkdir -p "$CLUSTER_DIR"; chmod 700 "$CLUSTER_DIR"
    if [ ! -s "$shared" ]; then
        (umask 077; head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' > "$shared")
    fi
    chmod 400 "$shared"
    for n in "${CLUSTER_NODES[@]}"; do
        mkdir -p "$CLUSTER_DIR/node$n"; chmod 700 "$CLUSTER_DIR/node$n"
        cmp -s "$shared" "$CLUSTER_DIR/node$n/.erlang.cookie" || install -m 400 "$shared" "$CLUSTER_DIR/node$n/.erlang.cookie"
    done
}

cluster_urls() {  # cluster_urls [SERVICE]: the amqp URLs of the three nodes, comma-separated
    local n sep=""
    for n in "${CLUSTER_NODES[@]}"; do
        cluster_node "$n"
        printf '%s%s' "$sep" "$(if [ -n "${1:-}" ]; then service_url "$1"; else amqp_url; fi)"
        sep=","
    done
}

node_running() { broker_pid >/dev/null && tcp_open "$PORT"; }

# Joins node N to node 1 (stop_app, join_cluster, start_app) unless it is a member already; the
# marker file records a finished join, so a node restarted after a kill just boots and rejoins
# (its data folder remembers the cluster) and "start" stays idempotent.
cluster_join() {
    local n="$1" first="$CLUSTER_NODE-1@localhost"
    cluster_node "$n"; setup_env
    if [ "$(cat "$DATA_DIR/joined" 2>/dev/null)" = "$first" ]; then return 0; fi
    log "joining $NODENAME to $first"
    ctl -q stop_app >/dev/null || die "rabbitmqctl stop_app failed on $NODENAME"
    # join_cluster resets the new node first; on a member already it says so and succeeds
    ctl -q join_cluster "$first" >/dev/null || die "rabbitmqctl join_cluster $first failed on $NODENAME (logs in $LOG_DIR)"
    ctl -q start_app >/dev/null || die "rabbitmqctl start_app failed on $NODENAME"
    ctl -q await_startup --timeout "$START_TIMEOUT" >/dev/null 2>&1 || fail_start "$NODENAME did not boot after joining $first"
    echo "$first" > "$DATA_DIR/joined"
}

cmd_cluster_start() {
    is_installed || cmd_install
    cluster_cookie
    # the cluster's one password file, written before the nodes start at once (each reads the
    # administrator's password for its rabbitmq.conf); epmd checked once for the three
    cluster_node 1; setup_env
    ensure_passwords
    check_epmd
    local n pids=() failed=0 t0ms; t0ms="$(now_ms)"
    # All nodes boot at once: a node that was a member waits at boot for the others' tables, so
    # after a full stop (or a kill) no start order is right for every case except "together".
    for n in "${CLUSTER_NODES[@]}"; do
        ( cluster_node "$n"; setup_env; lock_instance; start_node ) &
        pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n" || failed=1; done
    [ "$failed" -eq 0 ] || die "a cluster node did not start (logs in $CLUSTER_DIR/node*/log)"
    cluster_join 2
    cluster_join 3
    # vhost, users and permissions are cluster-wide: set once, through node 1
    cluster_node 1; setup_env
    setup_suite_account
    (umask 077; printf 'CSTO_RABBITMQ_CLUSTER_URLS=%s\n' "$(cluster_urls)" > "$CLUSTER_DIR/connection.env")
    log "cluster ready after $(since "$t0ms"): nodes ${CLUSTER_NODE}-{1,2,3}@localhost, AMQP $CLUSTER_PORT-$((CLUSTER_PORT + 2)), management $CLUSTER_MGMT_PORT-$((CLUSTER_MGMT_PORT + 2)) (user $ADMIN_USER: deploy/rabbitmq.sh cluster url admin), dir $CLUSTER_DIR"
    echo "CSTO_RABBITMQ_CLUSTER_URLS=$(cluster_urls)"
}

cmd_cluster_stop() {
    local n
    for n in 3 2 1; do
        cluster_node "$n"
        cmd_stop
    done
}

cmd_cluster_status() {
    is_installed || { echo "not running (rabbitmq-server not installed)"; return 1; }
    local n running=0 first=""
    for n in "${CLUSTER_NODES[@]}"; do
        cluster_node "$n"; setup_env
        if node_running; then
            echo "node $n: running $NODENAME on port $PORT (pid $(broker_pid), mgmt $MGMT_PORT)"
            running=$((running + 1)); [ -n "$first" ] || first="$n"
        else
            echo "node $n: not running ($NODENAME, port $PORT)"
        fi
    done
    if [ -n "$first" ]; then
        cluster_node "$first"; setup_env
        ctl cluster_status 2>&1 || true
    fi
    [ "$running" -eq "${#CLUSTER_NODES[@]}" ]
}

# A hard failure of one node for tests: kill -9 of its beam process, then what is left of its
# session (the launcher); its data folder stays, so "cluster start" brings it back into the cluster.
cmd_cluster_kill() {
    cluster_node "${1:-}"; setup_env
    local pid
    pid="$(broker_pid)" || die "node $1 ($NODENAME) is not running"
    log "kill -9 $NODENAME (beam pid $pid)"
    kill -9 "$pid"
    local i
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill_session_leftovers
    rm -f "$PID_FILE"
}

cmd_cluster() {
    case "${1:-}" in
        start)  cmd_cluster_start ;;
        stop)   cmd_cluster_stop ;;
        status) cmd_cluster_status ;;
        kill)   cmd_cluster_kill "${2:-}" ;;
        url)    case "${2:-}" in membership|bodies|operations|admin|"") cluster_urls "${2:-}"; echo ;;
                    *) die "cluster url: membership, bodies, operations or admin (or nothing for the suite user)" ;; esac ;;
        ctl)    cluster_node "${2:-}"; shift 2; setup_env; ctl "$@" ;;
        *) echo "usage: $0 cluster start|stop|status|kill NODE|url [SERVICE|admin]|ctl NODE <rabbitmqctl args>" >&2; exit 2 ;;
    esac
}

case "${1:-}" in
    install) cmd_install ;;
    start)   cmd_start ;;
    stop)    cmd_stop ;;
    status)  cmd_status ;;
    ctl)     shift; validate_ports; setup_env; ctl "$@" ;;          # rabbitmqctl with this instance's env
    cluster) shift; cmd_cluster "$@" ;;                          # three nodes: see "cluster" above
    permissions) suite_permissions; echo ;;                      # the users' permissions (JSON), for review
    url)     case "${2:-}" in membership|bodies|operations|admin) service_url "$2"; echo ;; "") amqp_url; echo ;;
                 *) die "url: membership, bodies, operations or admin (or nothing for the suite user)" ;; esac ;;
    *) echo "usage: $0 install|start|stop|status|url [SERVICE|admin]|ctl <rabbitmqctl args>|cluster start|stop|status|kill NODE|url [SERVICE|admin]" >&2; exit 2 ;;
esac
