#!/usr/bin/env bash
# Stops what deploy/up.sh started, by pid; idempotent. Data stays in $CSTO_DATA (default .data/).
set -euo pipefail
cd "$(dirname "$0")/.."
export CSTO_DATA="${CSTO_DATA:-$PWD/.data}"
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }
for service in console operations bodies membership; do
    pidfile="$CSTO_DATA/run/$service.pid"
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if alive "$pid"; then
        echo "[down] stopping $service (pid $pid)"
        kill -TERM "$pid"
        for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
        alive "$pid" && kill -KILL "$pid"
    fi
    rm -f "$pidfile"
done
case "$(cat "$CSTO_DATA/run/broker" 2>/dev/null || true)" in
    native) echo "[down] stopping RabbitMQ"; deploy/rabbitmq.sh stop >/dev/null ;;
esac
rm -f "$CSTO_DATA/run/broker"
echo "[down] stopped"
