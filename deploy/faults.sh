#!/usr/bin/env bash
# The fault suite: brings the suite up on its own data folder and ports (deploy/up.sh, history
# loaded), breaks it on purpose, and counts exactly what survived. Each scenario ends with a line
#   <scenario>: lost N, applied twice N, recovered yes|no
# where "lost" counts acknowledged writes missing from the producer's log plus status changes of the
# producer missing from a consumer, and "applied twice" counts changes a consumer recorded twice.
#
#   deploy/faults.sh [--quick] [scenario ...]
#   deploy/faults.sh --cluster [--quick] [scenario ...]
#
# Scenarios (default: all, in this order):
#   producer-kill   kill -9 of membership mid-burst, restart, retry with the same request ids
#   consumer-kill   kill -9 of operations, a burst while it is down (messages queue up), restart
#   broker-outage   the broker stopped mid-burst (45 s; --quick 10 s), then started
#   queue-deleted   operations stopped, its queue deleted, a burst, operations started
#   poison          empty body, garbage body, unknown type, missing headers: to the error queues, then purged
#   duplicates      the whole membership log republished, and a raw copy of a message
#   reversed        bodies adopts an extension before the authorization it extends
#   forged          a MemberStatusChanged claiming to come from membership, published by another broker user
#   db-lock         bodies.db write-locked by another process for 70 s (--quick 15 s) during a burst
#   abuse           what an attacker on the host tries with what the repository holds: tokens signed with the development
#                   key (operator, Secretariat), each service's broker user publishing another service's event type into a
#                   consumer's exchange, guest/guest on AMQP and on the management API, a service's broker user on the
#                   management API; prints "abuse: refused N of N, heads unchanged, rss +N MB"
# With --cluster it brings up deploy/cluster.sh instead (PostgreSQL, three broker nodes, two instances of each
# service, reached by client-side round robin) on its own ports, and runs:
#   instance-kill     kill -9 of the membership instance that holds the relay lease mid-burst; the other instance
#                     keeps accepting writes and takes the lease over; the burst is retried with the same request ids
#   broker-node-kill  kill -9 of a broker node mid-burst (quorum queues keep their messages), then it rejoins
#   postgres-restart  PostgreSQL stopped mid-burst for 10 s: writes fail UNAVAILABLE, then succeed; retried
# On the cluster every scenario also samples pg_stat_activity (csto-faults connections) and adds a line
#   <scenario> connections: peak N of the instances' budget B (6 x pool), ..., within budget yes|no
# (an instance over its Maximum Pool Size, or the instances over 6 x CSTO_POSTGRES_POOL, fails the run), and the
# checker counts through a PostgreSQL connection of its own (CSTO_FAULTS_POSTGRES), which the budget's tools keep.
# --quick uses small bursts and short outages (what .ci/run runs). Exit status 1 when a scenario did not recover.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
QUICK=0
CLUSTER=0
if [ "${1:-}" = --cluster ]; then CLUSTER=1; shift; fi
if [ "${1:-}" = --quick ]; then QUICK=1; shift; fi
ALL=(producer-kill consumer-kill broker-outage queue-deleted poison duplicates reversed forged db-lock abuse)
[ "$CLUSTER" = 1 ] && ALL=(instance-kill broker-node-kill postgres-restart)
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=("${ALL[@]}")
size() { if [ "$QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export CSTO_DATA="${CSTO_FAULTS_DATA:-$(mktemp -d /tmp/csto-faults.XXXXXX)}"
# its own broker and service ports, so that it runs beside deploy/up.sh and deploy/test.sh
export CSTO_RABBITMQ_PORT="${CSTO_FAULTS_AMQP_PORT:-5782}"
export CSTO_RABBITMQ_MGMT_PORT=$((CSTO_RABBITMQ_PORT + 10000)) CSTO_RABBITMQ_DIST_PORT=$((CSTO_RABBITMQ_PORT + 20000)) CSTO_RABBITMQ_STREAM_PORT=$((CSTO_RABBITMQ_PORT - 120))
export RABBITMQ_NODENAME="csto-faults-$CSTO_RABBITMQ_PORT@localhost"
export CSTO_MEMBERSHIP_PORT=5201 CSTO_BODIES_PORT=5202 CSTO_OPERATIONS_PORT=5203
export CSTO_MEMBERSHIP_URL=http://127.0.0.1:5201 CSTO_BODIES_URL=http://127.0.0.1:5202 CSTO_OPERATIONS_URL=http://127.0.0.1:5203
unset CSTO_RABBITMQ_URL CSTO_TOKEN

say() { echo "[faults] $*"; }
if [ "$CLUSTER" = 1 ]; then
    # the cluster's own ports: instances 5311.., PostgreSQL 5632, broker nodes 5872-5874
    export CSTO_CLUSTER_PORT="${CSTO_FAULTS_CLUSTER_PORT:-5311}" CSTO_POSTGRES_PORT="${CSTO_FAULTS_POSTGRES_PORT:-5632}"
    export CSTO_RABBITMQ_CLUSTER_PORT="${CSTO_FAULTS_CLUSTER_AMQP_PORT:-5872}" CSTO_RABBITMQ_CLUSTER_NODE="${CSTO_FAULTS_CLUSTER_NODE:-csto-faults}"
    urls() { echo "http://127.0.0.1:$(($1)),http://127.0.0.1:$(($1 + 1))"; }
    export CSTO_MEMBERSHIP_URL="$(urls "$CSTO_CLUSTER_PORT")" CSTO_BODIES_URL="$(urls "$CSTO_CLUSTER_PORT + 10")" CSTO_OPERATIONS_URL="$(urls "$CSTO_CLUSTER_PORT + 20")"
    cleanup() { [ -z "${SAMPLER:-}" ] || kill "$SAMPLER" 2>/dev/null || true; deploy/cluster.sh down >/dev/null 2>&1 || true; }
    trap cleanup EXIT
    say "data in $CSTO_DATA; cluster: instances from $CSTO_CLUSTER_PORT, PostgreSQL on $CSTO_POSTGRES_PORT, broker nodes from $CSTO_RABBITMQ_CLUSTER_PORT"
    deploy/cluster.sh up > "$CSTO_DATA/up.log" 2>&1 || { tail -n 30 "$CSTO_DATA/up.log"; exit 1; }
    CSTO_FAULTS_POSTGRES="$(deploy/postgres.sh url)"
    export CSTO_FAULTS_POSTGRES
else
cleanup() { deploy/down.sh >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "data in $CSTO_DATA; broker on $CSTO_RABBITMQ_PORT; services on 5201-5203"
deploy/up.sh > "$CSTO_DATA/up.log" 2>&1 || { tail -n 30 "$CSTO_DATA/up.log"; exit 1; }
fi
dotnet build tests/Csto.Faults -c Release -v quiet -nologo -clp:ErrorsOnly > "$CSTO_DATA/faults-build.log" 2>&1 || { cat "$CSTO_DATA/faults-build.log"; exit 1; }
faults() { dotnet "$ROOT/tests/Csto.Faults/bin/Release/net10.0/csto-faults.dll" "$@"; }
ctl() { dotnet "$ROOT/services/Csto.Ctl/bin/Release/net10.0/cstoctl.dll" "$@"; }
services_up() { CSTO_UP_SERVICES_ONLY=1 deploy/up.sh > "$CSTO_DATA/restart.log" 2>&1 || { tail -n 20 "$CSTO_DATA/restart.log"; exit 1; }; }
pid_of() { cat "$CSTO_DATA/run/$1.pid"; }
ACKED="$CSTO_DATA/acked"
: > "$ACKED"
OFFSET=0
RESULTS=()
burst() {  # prefix count: writes OFFSET..OFFSET+count-1 (retrying the same prefix and offset repeats the same requests)
    faults burst --prefix "$1" --count "$2" --offset "$OFFSET" --acked "$ACKED"
}
next() { OFFSET=$((OFFSET + $1)); }
check() {  # scenario [expected errors per consumer]
    local out
    out="$(faults check --scenario "$1" --acked "$ACKED" --expect-errors "${2:-0}" --timeout 180 || true)"
    echo "$out"
    RESULTS+=("$(tail -n 1 <<<"$out")")
}

SAMPLER=""
sample_start() {  # the instances' connections while the scenario runs (cluster only)
    [ "$CLUSTER" = 1 ] || return 0
    rm -f "$CSTO_DATA/sampler.stop"
    faults connections --pool "${CSTO_POSTGRES_POOL:-20}" --instances 6 --stop "$CSTO_DATA/sampler.stop" > "$CSTO_DATA/sampler.out" 2>&1 &
    SAMPLER=$!
}
sample_stop() {  # scenario
    [ -n "$SAMPLER" ] || return 0
    touch "$CSTO_DATA/sampler.stop"
    wait "$SAMPLER" || true
    SAMPLER=""
    cat "$CSTO_DATA/sampler.out"
    local line; line="$(tail -n 1 "$CSTO_DATA/sampler.out")"
    [[ "$line" == connections:* ]] || line="connections: no samples ($(tail -n 1 "$CSTO_DATA/sampler.out")), within budget no"
    RESULTS+=("$1 $line")
}

for scenario in "${SCENARIOS[@]}"; do
    say "== $scenario"
    sample_start
    case "$scenario" in
        producer-kill)
            n=$(size 2000 600)
            burst pk "$n" & b=$!
            sleep "$(size 2.5 0.7)"
            say "kill -9 membership (pid $(pid_of membership)) in the middle of the burst"
            kill -9 "$(pid_of membership)"
            wait "$b" || true
            services_up
            say "retrying the burst with the same request ids"
            burst pk "$n"
            sort -u -o "$ACKED" "$ACKED"
            next "$n"; check "$scenario" ;;
        consumer-kill)
            n=$(size 1000 200)
            say "kill -9 operations (pid $(pid_of operations)); its queue fills while it is down"
            kill -9 "$(pid_of operations)"
            burst ck "$n"
            deploy/rabbitmq.sh ctl list_queues -p csto name messages 2>/dev/null | grep -E '^csto\.operations\s' || true
            services_up
            next "$n"; check "$scenario" ;;
        broker-outage)
            n=$(size 3000 600); outage=$(size 45 10)
            burst bo "$n" & b=$!
            sleep "$(size 2.5 0.7)"
            say "broker stopped for $outage s"
            deploy/rabbitmq.sh ctl stop_app >/dev/null 2>&1
            sleep "$outage"
            deploy/rabbitmq.sh ctl start_app >/dev/null 2>&1
            wait "$b" || true
            next "$n"; check "$scenario" ;;
        queue-deleted)
            n=$(size 200 200)
            say "operations stopped, queue csto.operations deleted"
            kill -TERM "$(pid_of operations)"; sleep 6
            deploy/rabbitmq.sh ctl delete_queue -p csto csto.operations >/dev/null 2>&1 || true
            burst qd "$n"
            services_up
            next "$n"; check "$scenario" ;;
        poison)
            faults poison --amqp "$(deploy/rabbitmq.sh url membership)"
            check "$scenario" 4
            CSTO_TOKEN="$(ctl token issue --role operator 2>/dev/null)" ctl errors list --service all 2>/dev/null | head -n 12 || true
            faults purge ;;
        duplicates)
            head="$(faults head --service membership)"
            say "republishing membership 1..$head and publishing a raw copy"
            CSTO_TOKEN="$(ctl token issue --role operator 2>/dev/null)" ctl log republish --service membership --from 1 --to "$head"
            faults copy --amqp "$(deploy/rabbitmq.sh url membership)"
            check "$scenario" ;;
        reversed)
            out="$(faults reversed --scenario "$scenario" || true)"
            echo "$out"
            RESULTS+=("$(tail -n 1 <<<"$out")") ;;
        forged)
            password="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
            deploy/rabbitmq.sh ctl add_user intruder "$password" >/dev/null 2>&1 || deploy/rabbitmq.sh ctl change_password intruder "$password" >/dev/null 2>&1
            deploy/rabbitmq.sh ctl set_permissions -p csto intruder '.*' '.*' '.*' >/dev/null 2>&1
            faults forge --amqp "amqp://intruder:$password@localhost:$CSTO_RABBITMQ_PORT/csto"
            check "$scenario" 1
            faults purge ;;
        db-lock)
            n=$(size 300 100); lock=$(size 70 15)
            say "bodies.db write-locked by another process for $lock s during a burst"
            python3 -c "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None); c.execute('BEGIN IMMEDIATE'); time.sleep(float(sys.argv[2])); c.execute('COMMIT')" \
                "$CSTO_DATA/bodies.db" "$lock" & l=$!
            sleep 1
            burst dl "$n"
            CSTO_TOKEN="$(ctl token issue --role operator 2>/dev/null)" ctl health || true
            wait "$l"
            next "$n"; check "$scenario" ;;
        abuse)
            out="$(faults abuse --data "$CSTO_DATA" --membership-amqp "$(deploy/rabbitmq.sh url membership)" --operations-amqp "$(deploy/rabbitmq.sh url operations)" \
                --management "http://127.0.0.1:$CSTO_RABBITMQ_MGMT_PORT/" || true)"
            echo "$out"
            RESULTS+=("$(tail -n 1 <<<"$out")")
            faults purge ;;
        instance-kill)
            n=$(size 1500 400)
            holder="$(faults lease --service membership --wait 30)"
            burst ik "$n" & b=$!
            sleep "$(size 2.5 1)"
            say "kill -9 membership#$holder (it holds the relay lease) in the middle of the burst"
            deploy/cluster.sh kill "membership#$holder"
            wait "$b" || true
            say "the lease is now held by membership#$(faults lease --service membership --wait 10)"
            deploy/cluster.sh start "membership#$holder" >/dev/null
            say "retrying the burst with the same request ids"
            burst ik "$n"
            sort -u -o "$ACKED" "$ACKED"
            next "$n"; check "$scenario" ;;
        broker-node-kill)
            n=$(size 1500 400)
            burst bk "$n" & b=$!
            sleep "$(size 2.5 1)"
            say "kill -9 broker node 1 in the middle of the burst"
            deploy/cluster.sh kill-broker-node 1
            wait "$b" || true
            deploy/cluster.sh start-broker-node 1
            deploy/rabbitmq.sh cluster status 2>/dev/null | head -n 3 || true
            next "$n"; check "$scenario" ;;
        postgres-restart)
            n=$(size 1500 400)
            burst pr "$n" & b=$!
            sleep "$(size 2.5 1)"
            say "PostgreSQL stopped for 10 s in the middle of the burst"
            deploy/postgres.sh stop >/dev/null
            sleep 10
            deploy/postgres.sh start >/dev/null
            wait "$b" || true
            say "retrying the burst with the same request ids"
            burst pr "$n"
            sort -u -o "$ACKED" "$ACKED"
            next "$n"; check "$scenario" ;;
        *) echo "unknown scenario '$scenario' (one of: ${ALL[*]})" >&2; exit 2 ;;
    esac
    sample_stop "$scenario"
done

echo
say "summary"
failed=0
for line in "${RESULTS[@]}"; do
    echo "$line"
    if [[ "$line" =~ ^abuse:\ refused\ ([0-9]+)\ of\ ([0-9]+),\ heads\ unchanged ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then continue; fi
    [[ "$line" == *"lost 0, applied twice 0, recovered yes" || "$line" == *"connections: "*"within budget yes" ]] || failed=1
done
exit "$failed"
