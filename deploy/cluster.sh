#!/usr/bin/env bash
# The suite on several machines' engines, on one machine: PostgreSQL (one database for every instance of a service),
# a three-node RabbitMQ cluster with quorum queues, and two instances of each service.
#
# Usage: deploy/cluster.sh up|down|status|kill SERVICE#N|start SERVICE#N|kill-broker-node N|start-broker-node N
#
#   up                  PostgreSQL (deploy/postgres.sh: Debian's package, its own data folder and port, installed
#                       when missing), the three broker nodes (deploy/rabbitmq.sh cluster start), two instances of
#                       each service, the history loaded through them; prints where everything is
#   down                stops the instances, the broker nodes and PostgreSQL (data kept in $CSTO_DATA)
#   status              which processes run, the broker cluster and the database
#   kill SERVICE#N      kill -9 instance N (1 or 2) of a service, e.g. "kill bodies#1": the other instance
#                       keeps answering, takes the relay lease within 5 s, and the queue's consumers compete
#   start SERVICE#N     start that instance again
#   kill-broker-node N  kill -9 broker node N (1..3); clients reconnect to the others
#   start-broker-node N bring the broker nodes back (deploy/rabbitmq.sh cluster start)
#
# gRPC clients reach the instances of a service by client-side round robin: cstoctl takes the comma-separated
# addresses this script prints (CSTO_<SERVICE>_URL="http://127.0.0.1:5111,http://127.0.0.1:5112").
#
# Connections to PostgreSQL are a budget: each of the six instances holds at most CSTO_POSTGRES_POOL (default 20,
# Maximum Pool Size in its connection string, Application Name csto-<service>#<n>), and CSTO_POSTGRES_TOOLS (default 20)
# are kept for an operator's tools and the fault suite's checker; "up" refuses to start when
#   6 x CSTO_POSTGRES_POOL + CSTO_POSTGRES_TOOLS > CSTO_POSTGRES_MAX_CONNECTIONS (default 200) - 3 (PostgreSQL's, for superusers)
# "status" shows each instance's pool (GetLogInfo) and the server's connections by application name.
#
# Environment (all optional): CSTO_DATA (default <repo>/.data/cluster), CSTO_CLUSTER_PORT (first service port,
# default 5111: membership 5111/5112, bodies 5121/5122, operations 5131/5132), the CSTO_POSTGRES_* variables of
# deploy/postgres.sh and the CSTO_RABBITMQ_* / CSTO_RABBITMQ_CLUSTER_* variables of deploy/rabbitmq.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CSTO_DATA="${CSTO_DATA:-$ROOT/.data/cluster}"
umask 077
mkdir -p "$CSTO_DATA/run" "$CSTO_DATA/logs"
chmod 0711 "$CSTO_DATA" # PostgreSQL runs as the user postgres and keeps its data folder in here: it may pass, not list
# the key of the instances' tokens, generated at the first start (0600); cstoctl finds it in $CSTO_DATA/signing.key
if [ -z "${CSTO_SIGNING_KEY:-}" ]; then
    [ -s "$CSTO_DATA/signing.key" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > "$CSTO_DATA/signing.key"
    CSTO_SIGNING_KEY="$(cat "$CSTO_DATA/signing.key")"
fi
export CSTO_SIGNING_KEY
BASE="${CSTO_CLUSTER_PORT:-5111}"
SERVICES=(membership bodies operations)
declare -A PROJECTS=([membership]=Csto.Membership [bodies]=Csto.Bodies [operations]=Csto.Operations)
declare -A OFFSET=([membership]=0 [bodies]=10 [operations]=20)
INSTANCES=6
export CSTO_POSTGRES_POOL="${CSTO_POSTGRES_POOL:-20}" CSTO_POSTGRES_MAX_CONNECTIONS="${CSTO_POSTGRES_MAX_CONNECTIONS:-200}"
TOOLS="${CSTO_POSTGRES_TOOLS:-20}"
SUPERUSER_RESERVED=3

say() { echo "[cluster] $*"; }
die() { echo "[cluster] $*" >&2; exit 1; }
# the most connections the instances may hold together, and what the server leaves to ordinary users
budget() { echo $((INSTANCES * CSTO_POSTGRES_POOL)); }
check_budget() {
    [[ "$TOOLS" =~ ^[0-9]+$ ]] || die "CSTO_POSTGRES_TOOLS=$TOOLS must be a whole number"
    local ordinary=$((CSTO_POSTGRES_MAX_CONNECTIONS - SUPERUSER_RESERVED))
    [ $(($(budget) + TOOLS)) -le "$ordinary" ] ||
        die "the connections do not fit: $INSTANCES instances x CSTO_POSTGRES_POOL=$CSTO_POSTGRES_POOL + CSTO_POSTGRES_TOOLS=$TOOLS = $(($(budget) + TOOLS)) > CSTO_POSTGRES_MAX_CONNECTIONS=$CSTO_POSTGRES_MAX_CONNECTIONS - $SUPERUSER_RESERVED for superusers"
}
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }
port_of() { echo $((BASE + ${OFFSET[$1]} + $2 - 1)); }
urls_of() { echo "http://127.0.0.1:$(port_of "$1" 1),http://127.0.0.1:$(port_of "$1" 2)"; }
ctl() { dotnet "$ROOT/services/Csto.Ctl/bin/Release/net10.0/cstoctl.dll" "$@"; }
export_urls() {
    CSTO_MEMBERSHIP_URL="$(urls_of membership)"; CSTO_BODIES_URL="$(urls_of bodies)"; CSTO_OPERATIONS_URL="$(urls_of operations)"
    export CSTO_MEMBERSHIP_URL CSTO_BODIES_URL CSTO_OPERATIONS_URL
}

parse_instance() {  # "bodies#2" -> SERVICE=bodies N=2
    [[ "${1:-}" =~ ^(membership|bodies|operations)#([12])$ ]] || die "an instance is SERVICE#N: membership, bodies or operations, N 1 or 2 (got '${1:-}')"
    SERVICE="${BASH_REMATCH[1]}"; N="${BASH_REMATCH[2]}"
}

start_instance() {  # start_instance SERVICE N
    local service="$1" n="$2" pidfile="$CSTO_DATA/run/$1-$2.pid" project="${PROJECTS[$1]}" port
    port="$(port_of "$service" "$n")"
    if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
        say "$service#$n already running (pid $(cat "$pidfile"))"; return
    fi
    say "starting $service#$n on http://127.0.0.1:$port"
    # one database for the instances of a service (its own schema), the cluster's three nodes, quorum queues
    # its own budget of connections (Maximum Pool Size, in the url) and its name in pg_stat_activity
    CSTO_LOG_FORMAT=json EventLog__Store=postgres ConnectionStrings__EventLog="$(deploy/postgres.sh url);Application Name=csto-$service#$n" \
        EventLog__RabbitMqUrl="$(deploy/rabbitmq.sh cluster url "$service")" EventLog__QueueType=quorum \
        nohup dotnet "$ROOT/services/$project/bin/Release/net10.0/$project.dll" --urls "http://127.0.0.1:$port" \
        >>"$CSTO_DATA/logs/$service-$n.log" 2>&1 &
    echo $! > "$pidfile"
}

kill_instance() {  # kill_instance SERVICE N SIGNAL
    local pidfile="$CSTO_DATA/run/$1-$2.pid"
    [ -f "$pidfile" ] || { say "$1#$2 is not running"; return; }
    local pid; pid="$(cat "$pidfile")"
    if alive "$pid"; then
        say "stopping $1#$2 (pid $pid, SIG$3)"
        # a process may end between the check and the signal (a loaded machine takes seconds to reap a killed .NET
        # process): that is what we want, not an error that stops the caller
        kill "-$3" "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
        if alive "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
        fi
    fi
    rm -f "$pidfile"
}

cmd_up() {
    check_budget
    say "starting PostgreSQL (deploy/postgres.sh): max_connections $CSTO_POSTGRES_MAX_CONNECTIONS; $INSTANCES instances x $CSTO_POSTGRES_POOL connections = $(budget), $TOOLS for tools"
    deploy/postgres.sh start >/dev/null
    say "starting the three RabbitMQ nodes (deploy/rabbitmq.sh cluster start)"
    deploy/rabbitmq.sh cluster start >/dev/null
    say "building the services and cstoctl"
    for project in Csto.Membership Csto.Bodies Csto.Operations Csto.Ctl; do
        (umask 022; dotnet build "services/$project" -c Release -v quiet -nologo -clp:ErrorsOnly) >>"$CSTO_DATA/logs/build.log" 2>&1 \
            || { tail -n 40 "$CSTO_DATA/logs/build.log"; exit 1; }
    done
    for service in "${SERVICES[@]}"; do
        start_instance "$service" 1
        start_instance "$service" 2
    done
    export_urls
    say "waiting for the health checks of every instance"
    for n in 1 2; do
        CSTO_MEMBERSHIP_URL="http://127.0.0.1:$(port_of membership "$n")" CSTO_BODIES_URL="http://127.0.0.1:$(port_of bodies "$n")" \
            CSTO_OPERATIONS_URL="http://127.0.0.1:$(port_of operations "$n")" ctl health --wait 120 >/dev/null \
            || { say "instance $n of a service is not healthy; logs in $CSTO_DATA/logs/"; exit 1; }
    done
    say "loading the CSTO's history through both instances (client-side round robin)"
    CSTO_TOKEN= ctl history load --no-progress | tail -n 3
    cmd_status
}

cmd_down() {
    for service in operations bodies membership; do
        kill_instance "$service" 1 TERM
        kill_instance "$service" 2 TERM
    done
    deploy/rabbitmq.sh cluster stop >/dev/null 2>&1 || true
    deploy/postgres.sh stop >/dev/null 2>&1 || true
    say "stopped (data kept in $CSTO_DATA)"
}

cmd_status() {
    echo
    echo "== PostgreSQL"
    deploy/postgres.sh status || true
    echo "== RabbitMQ cluster"
    deploy/rabbitmq.sh cluster status 2>/dev/null | head -n 3 || true
    echo "== instances"
    for service in "${SERVICES[@]}"; do
        for n in 1 2; do
            local pidfile="$CSTO_DATA/run/$service-$n.pid" state="stopped"
            [ -f "$pidfile" ] && alive "$(cat "$pidfile")" && state="running (pid $(cat "$pidfile"))"
            printf '  %-12s #%s  http://127.0.0.1:%s  %s\n' "$service" "$n" "$(port_of "$service" "$n")" "$state"
        done
    done
    export_urls
    echo "== relay leases and database connections (GetLogInfo of each instance: exactly one instance of a service publishes)"
    local token info pool; token="$(ctl token issue --role operator --ttl 10m 2>/dev/null)"
    for service in "${SERVICES[@]}"; do
        for n in 1 2; do
            info="$(CSTO_TOKEN="$token" ctl log stats --json --service "$service" "--$service-url" "http://127.0.0.1:$(port_of "$service" "$n")" 2>/dev/null || true)"
            pool=""
            if [ -z "$info" ]; then state="not answering"
            else
                if grep -q '"holdsLease": true' <<<"$info"; then state="holds the relay lease, head $(grep -o '"headPosition": "[0-9]*"' <<<"$info" | grep -o '[0-9]*')"
                else state="standby"; fi
                field() { grep -o "\"$1\": \"\?[0-9]*" <<<"$info" | grep -o '[0-9]*$' || echo 0; }
                pool="; connections $(field inUse) in use, $(field open) open of $(field maxSize), $(field waiting) waiting, $(field timeouts) refused"
            fi
            printf '  %-12s #%s  %s%s\n' "$service" "$n" "$state" "$pool"
        done
    done
    echo "== database connections (budget: $INSTANCES instances x $CSTO_POSTGRES_POOL = $(budget), $TOOLS for tools)"
    deploy/postgres.sh connections 2>/dev/null || true
    echo
    echo "Clients:   export CSTO_MEMBERSHIP_URL=$CSTO_MEMBERSHIP_URL"
    echo "           export CSTO_BODIES_URL=$CSTO_BODIES_URL"
    echo "           export CSTO_OPERATIONS_URL=$CSTO_OPERATIONS_URL"
    echo "Database:  $(deploy/postgres.sh url 2>/dev/null | sed 's/Password=[^;]*/Password=…/')"
    echo "Broker:    $(deploy/rabbitmq.sh cluster url 2>/dev/null | sed 's#://[^@]*@#://…@#g')"
    echo "Faults:    deploy/cluster.sh kill bodies#1 | kill-broker-node 2 | start bodies#1 | start-broker-node 2"
    echo "Stop with: deploy/cluster.sh down"
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    kill) parse_instance "${2:-}"; kill_instance "$SERVICE" "$N" KILL ;;
    start) parse_instance "${2:-}"; start_instance "$SERVICE" "$N" ;;
    kill-broker-node) deploy/rabbitmq.sh cluster kill "${2:?a node: 1, 2 or 3}" ;;
    start-broker-node) deploy/rabbitmq.sh cluster start >/dev/null; say "broker nodes started" ;;
    *) sed -n '2,25p' "$0"; exit 2 ;;
esac
