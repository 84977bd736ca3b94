#!/usr/bin/env bash
# Runs every test of the suite against a real RabbitMQ and prints "N passed, N failed".
#
#   deploy/test.sh [extra dotnet test arguments]
#
# Without CSTO_RABBITMQ_URL it starts one private broker for the run (deploy/rabbitmq.sh, own ports
# and data folder) and stops it afterwards; tests that stop a broker start their own. Without
# CSTO_RABBITMQ_CLUSTER_URLS it also starts a private three-node cluster (deploy/rabbitmq.sh cluster,
# other node names and ports) for the cluster tests, which kill and restart its nodes.
# Without CSTO_POSTGRES_CONNECTION it starts one private PostgreSQL the same way (deploy/postgres.sh, the
# first free port from 5632, a temporary data folder) for the PostgreSQL store's tests; tests that stop
# the server start their own. The console's browser tests need Chromium (Debian's package, installed here
# when missing; CSTO_CHROMIUM names another executable) and save their screenshots under CSTO_SCREENSHOTS
# (default tests/Csto.Console.Tests/bin/.../TestResults/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ -z "${CSTO_CHROMIUM:-}" ] && ! command -v chromium >/dev/null; then
    echo "[test] installing chromium (Debian's package) for the console's browser tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null
fi

results="$(mktemp -d)"
AMQP_PORT=""
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# one broker's four ports: AMQP, management (+10000), Erlang distribution (+20000), streams (-120)
broker_env() {
    CSTO_RABBITMQ_DIR="$started_broker" CSTO_RABBITMQ_PORT="$AMQP_PORT" CSTO_RABBITMQ_MGMT_PORT="$((AMQP_PORT + 10000))" \
    CSTO_RABBITMQ_DIST_PORT="$((AMQP_PORT + 20000))" CSTO_RABBITMQ_STREAM_PORT="$((AMQP_PORT - 120))" \
    RABBITMQ_NODENAME="csto-test-$AMQP_PORT@localhost" "$@"
}
started_broker=""
started_cluster=""
started_postgres=""
postgres_env() { CSTO_POSTGRES_DIR="$started_postgres/pg" CSTO_POSTGRES_PORT="$PG_PORT" "$@"; }
cleanup() {
    if [ -n "$started_postgres" ]; then
        postgres_env deploy/postgres.sh stop >/dev/null 2>&1 || true
        rm -rf "$started_postgres"
    fi
    if [ -n "$started_broker" ]; then
        broker_env deploy/rabbitmq.sh stop >/dev/null 2>&1 || true
        rm -rf "$started_broker"
    fi
    if [ -n "$started_cluster" ]; then
        deploy/rabbitmq.sh cluster stop >/dev/null 2>&1 || true
        rm -rf "$started_cluster"
    fi
    rm -rf "$results"
}
trap cleanup EXIT

if [ -z "${CSTO_RABBITMQ_URL:-}" ]; then
    started_broker="$(mktemp -d /tmp/csto-ci-rabbit.XXXXXX)"
    # the first free block of ports from 5682 (another run may hold one)
    base=5682
    while port_busy "$base" || port_busy "$((base + 10000))" || port_busy "$((base + 20000))" || port_busy "$((base - 120))"; do
        base=$((base + 1))
    done
    AMQP_PORT=$base
    broker_env deploy/rabbitmq.sh start >/dev/null
    # the broker's administrator (there is no guest): the harness creates one virtual host per test class
    CSTO_RABBITMQ_URL="$(broker_env deploy/rabbitmq.sh url admin)"
    export CSTO_RABBITMQ_URL
    export CSTO_RABBITMQ_MGMT_URL="http://localhost:$((AMQP_PORT + 10000))/"
fi

if [ -z "${CSTO_RABBITMQ_CLUSTER_URLS:-}" ]; then
    started_cluster="$(mktemp -d /tmp/csto-ci-rabbit-cluster.XXXXXX)"
    # three nodes at base, base+1, base+2 (each with management +10000, distribution +20000, streams -120):
    # the first free block from 5692 (the single broker above already holds its ports)
    base=5692
    cluster_busy() { local i; for i in 0 1 2; do
        port_busy "$(($1 + i))" || port_busy "$(($1 + 10000 + i))" || port_busy "$(($1 + 20000 + i))" || port_busy "$(($1 - 120 + i))" || continue
        return 0; done; return 1; }
    while cluster_busy "$base"; do base=$((base + 3)); done
    # the fixture's "cluster kill N" and "cluster start" reach this cluster through the same settings
    export CSTO_RABBITMQ_CLUSTER_DIR="$started_cluster" CSTO_RABBITMQ_CLUSTER_PORT="$base" CSTO_RABBITMQ_CLUSTER_NODE="csto-ctest-$base"
    deploy/rabbitmq.sh cluster start >/dev/null
    # the cluster's administrator (users are cluster-wide; there is no guest): one virtual host per test
    CSTO_RABBITMQ_CLUSTER_URLS="$(deploy/rabbitmq.sh cluster url admin)"
    export CSTO_RABBITMQ_CLUSTER_URLS
    export CSTO_RABBITMQ_CLUSTER_MGMT_URLS="http://localhost:$((base + 10000))/,http://localhost:$((base + 10001))/,http://localhost:$((base + 10002))/"
fi
if [ -z "${CSTO_POSTGRES_CONNECTION:-}" ]; then
    started_postgres="$(mktemp -d /tmp/csto-ci-postgres.XXXXXX)"
    chmod 0755 "$started_postgres" # the server runs as the user postgres
    PG_PORT=5632
    while port_busy "$PG_PORT"; do PG_PORT=$((PG_PORT + 1)); done
    CSTO_POSTGRES_CONNECTION="$(postgres_env deploy/postgres.sh start)"
    export CSTO_POSTGRES_CONNECTION
fi

set +e
# one test assembly after another (-m:1): on a two-core machine the assemblies that kill broker nodes, restart
# PostgreSQL or drive Chromium must not compete with each other for the CPU (their timeouts are for one of them at a time)
dotnet test CstoServices.sln -m:1 --logger "trx" --results-directory "$results" "$@"
status=$?
set -e

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
    p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
    f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
    n="$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")"
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # the run failed outside a test (build, crash): never report it green
fi
summary="$passed passed, $failed failed, $skipped skipped"
# the names of the failed tests, again at the end (dotnet test printed them with their messages further up)
failures="$(cat "$results"/*.trx 2>/dev/null | grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' \
    | sed -n 's/.* testName="\([^"]*\)".*/  failed: \1/p' | sed 's/&quot;/"/g; s/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g' || true)"
[ -n "$failures" ] && echo "$failures"
echo "$summary"
# CSTO_TEST_SUMMARY=<file>: the same lines for a caller that runs more after the tests (.ci/run prints them last)
if [ -n "${CSTO_TEST_SUMMARY:-}" ]; then
    { [ -n "$failures" ] && echo "$failures"; echo "$summary"; } > "$CSTO_TEST_SUMMARY"
fi
exit "$status"
